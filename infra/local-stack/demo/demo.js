// Notion Relay demo page: plain script, no build step. It talks to Relay's API with a connect
// session token (never the API secret key). Locally the token comes from the local stack's
// /demo/session; for a deployed stack the user pastes the API URL and a token from the app
// backend. Text from the API is only ever put into the page as text nodes.
"use strict";

const REMOTE_KEY = "relay-demo-remote";
const POLL_MS = 1000;

const state = { apiBase: "", token: "", connectionId: null, polling: null };

const $ = (id) => document.getElementById(id);

function setText(id, text, kind) {
  const el = $(id);
  el.textContent = text;
  el.className = kind || "";
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${state.token}` }, options.headers || {});
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(state.apiBase + path, Object.assign({}, options, { headers }));
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
  if (!response.ok) {
    const detail = body && body.error ? body.error : {};
    const code = detail.code || "error";
    const message = detail.message || text.slice(0, 200);
    throw new ApiError(response.status, code, message);
  }
  return body;
}

// ------------------------------------------------------------------ where the API is

async function chooseStack() {
  const remote = JSON.parse(sessionStorage.getItem(REMOTE_KEY) || "null");
  if (remote && remote.apiBase && remote.token) {
    state.apiBase = remote.apiBase.replace(/\/+$/, "");
    state.token = remote.token;
    setText("mode", `Deployed stack: ${state.apiBase}`);
    $("remote-url").value = state.apiBase;
    return;
  }
  // Local stack: it creates a connect session for its demo end user.
  const response = await fetch("session", { method: "POST" });
  if (!response.ok) throw new Error(`the local stack gave no session (${response.status})`);
  const session = await response.json();
  state.apiBase = session.api_base.replace(/\/+$/, "");
  state.token = session.session_token;
  setText("mode", `Local stack: ${state.apiBase} (end user ${session.end_user_id})`);
}

// ------------------------------------------------------------------ connection and sync

async function findConnection(params) {
  const fromReturn = params.get("connection_id");
  if (fromReturn) return fromReturn;
  const list = await api("/connections");
  const active = list.connections.find((c) => c.status === "active") || list.connections[0];
  return active ? active.id : null;
}

async function showConnection() {
  const connection = await api(`/connections/${encodeURIComponent(state.connectionId)}`);
  const dl = $("connection");
  dl.replaceChildren();
  const rows = [
    ["Status", connection.status + (connection.status_reason ? ` (${connection.status_reason})` : "")],
    ["Workspace", connection.workspace && connection.workspace.name ? connection.workspace.name : "–"],
    ["Connection id", connection.id],
    ["End user", connection.end_user.id],
  ];
  for (const [term, value] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    if (term === "Status") dd.id = "connection-status";
    dl.append(dt, dd);
  }
}

function describeSync(status) {
  const run = status.current_run;
  if (run) {
    const c = run.counts;
    return `${status.state}: ${run.kind} run, ${run.phase} (${c.added} added, ${c.updated} updated, ${c.deleted} deleted)`;
  }
  const last = status.runs && status.runs[0];
  const counts = last && last.counts ? ` (last run: ${last.counts.added} added, ${last.counts.updated} updated, ${last.counts.deleted} deleted)` : "";
  return `${status.state}, ${status.completed_runs} completed run(s)${counts}`;
}

async function pollSync() {
  try {
    const status = await api(`/connections/${encodeURIComponent(state.connectionId)}/sync`);
    const done = status.completed_runs >= 1 && !status.current_run;
    setText("sync-state", describeSync(status), done ? "ok" : "");
    $("sync-progress").hidden = done;
    if (done) {
      clearInterval(state.polling);
      state.polling = null;
      await loadPages();
    }
  } catch (error) {
    setText("sync-state", error.message, "error");
    if (error.status === 401) { clearInterval(state.polling); state.polling = null; }
  }
}

// ------------------------------------------------------------------ pages

async function allPageRecords() {
  const records = [];
  let cursor = "";
  for (let guard = 0; guard < 100; guard++) {
    const query = `model=page&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api(`/connections/${encodeURIComponent(state.connectionId)}/records?${query}`);
    records.push(...page.records);
    cursor = page.next_cursor;
    if (!page.has_more) break;
  }
  return records.filter((r) => !r.metadata.deleted_at);
}

async function loadPages() {
  const records = await allPageRecords();
  records.sort((a, b) => (a.data.title || "").localeCompare(b.data.title || ""));
  const list = $("pages");
  const parent = $("new-parent");
  const chosen = parent.value;
  list.replaceChildren();
  parent.replaceChildren();
  for (const record of records) {
    const title = record.data.title || "Untitled";
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = title;
    button.dataset.id = record.id;
    button.addEventListener("click", () => showPage(record));
    item.append(button);
    list.append(item);
    const option = document.createElement("option");
    option.value = record.id;
    option.textContent = title;
    parent.append(option);
  }
  if (chosen) parent.value = chosen;
  list.dataset.count = String(records.length);
  $("create").disabled = records.length === 0;
  $("refresh").disabled = false;
}

function showPage(record) {
  const view = $("page-view");
  view.replaceChildren();
  const h = document.createElement("h3");
  h.textContent = record.data.title || "Untitled";
  view.append(h);
  const body = record.data.body;
  if (!body || typeof body.markdown !== "string") {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = "No body synced for this page.";
    view.append(p);
    return;
  }
  view.append(renderMarkdown(body.markdown));
  if (body.complete === false) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = "Part of this body was not read (a limit applied; the sync run reports it).";
    view.append(p);
  }
}

// A small Markdown renderer that builds DOM nodes (text is never parsed as HTML): headings,
// lists, to-dos, quotes, code fences, dividers, paragraphs; inline code, bold, italic, links.
function renderMarkdown(markdown) {
  const root = document.createDocumentFragment();
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  let list = null;
  let paragraph = null;
  const close = () => { list = null; paragraph = null; };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^\s*```(.*)$/);
    if (fence) {
      close();
      const code = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) code.push(lines[i]);
      const pre = document.createElement("pre");
      const el = document.createElement("code");
      el.textContent = code.join("\n");
      pre.append(el);
      root.append(pre);
      continue;
    }
    if (/^\s*$/.test(line)) { close(); continue; }
    if (/^\s*(---|\*\*\*)\s*$/.test(line)) { close(); root.append(document.createElement("hr")); continue; }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    if (heading) {
      close();
      const el = document.createElement(`h${Math.min(heading[1].length + 3, 6)}`);
      appendInline(el, heading[2]);
      root.append(el);
      continue;
    }
    const quote = line.match(/^\s*>\s?(.*)$/);
    if (quote) {
      close();
      const el = document.createElement("blockquote");
      appendInline(el, quote[1]);
      root.append(el);
      continue;
    }
    const item = line.match(/^(\s*)([-*+]|\d+[.)])\s+(.*)$/);
    if (item) {
      paragraph = null;
      const ordered = /\d/.test(item[2]);
      const tag = ordered ? "OL" : "UL";
      if (!list || list.tagName !== tag) {
        list = document.createElement(tag.toLowerCase());
        root.append(list);
      }
      const li = document.createElement("li");
      let text = item[3];
      const todo = text.match(/^\[([ xX])\]\s+(.*)$/);
      if (todo) {
        const box = document.createElement("input");
        box.type = "checkbox";
        box.disabled = true;
        box.checked = todo[1] !== " ";
        box.style.display = "inline";
        box.style.width = "auto";
        li.append(box, " ");
        text = todo[2];
      }
      if (item[1].length >= 2) li.style.marginLeft = `${Math.floor(item[1].length / 2)}rem`;
      appendInline(li, text);
      list.append(li);
      continue;
    }
    list = null;
    if (!paragraph) {
      paragraph = document.createElement("p");
      root.append(paragraph);
    } else {
      paragraph.append(document.createElement("br"));
    }
    appendInline(paragraph, line);
  }
  return root;
}

function appendInline(parent, text) {
  const pattern = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*]+\*|_[^_]+_)|(\[[^\]]*\]\([^)\s]+\))/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) parent.append(text.slice(last, match.index));
    const token = match[0];
    let el;
    if (match[1]) { el = document.createElement("code"); el.textContent = token.slice(1, -1); }
    else if (match[2]) { el = document.createElement("strong"); el.textContent = token.slice(2, -2); }
    else if (match[3]) { el = document.createElement("em"); el.textContent = token.slice(1, -1); }
    else {
      const [, label, href] = token.match(/^\[([^\]]*)\]\(([^)\s]+)\)$/);
      if (/^https?:\/\//i.test(href)) {
        el = document.createElement("a");
        el.href = href;
        el.rel = "noopener noreferrer";
        el.target = "_blank";
        el.textContent = label || href;
      } else {
        el = document.createTextNode(label);
      }
    }
    parent.append(el);
    last = match.index + token.length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

// ------------------------------------------------------------------ create a page

function idempotencyKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `demo-${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

async function createPage(event) {
  event.preventDefault();
  const title = $("new-title").value.trim();
  const parent = $("new-parent").value;
  if (!title || !parent) return;
  $("create").disabled = true;
  setText("create-result", "Creating…");
  try {
    const created = await api(`/connections/${encodeURIComponent(state.connectionId)}/pages`, {
      method: "POST",
      headers: { "Idempotency-Key": idempotencyKey() },
      body: JSON.stringify({ parent: { page_id: parent }, title, markdown: $("new-markdown").value }),
    });
    const result = $("create-result");
    result.replaceChildren();
    result.className = "ok";
    result.append(`Created “${title}” (${created.id}). `);
    if (typeof created.url === "string" && /^https?:\/\//i.test(created.url)) {
      const a = document.createElement("a");
      a.href = created.url;
      a.textContent = "Open in Notion";
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      result.append(a);
    }
    result.dataset.pageId = created.id;
    result.append(" (It shows up in the list after the next sync.)");
  } catch (error) {
    setText("create-result", error.message, "error");
  } finally {
    $("create").disabled = false;
  }
}

// ------------------------------------------------------------------ start

function connect() {
  // The session's return URL brings the browser back here with ?connection_id=…
  window.location.href = `${state.apiBase}/connect/notion?session_token=${encodeURIComponent(state.token)}`;
}

async function start() {
  const params = new URLSearchParams(window.location.search);
  try {
    await chooseStack();
  } catch (error) {
    setText("mode", error.message, "error");
    return;
  }
  $("connect").disabled = false;
  if (params.get("error")) {
    setText("flash", `Connecting failed: ${params.get("error")}${params.get("error_description") ? ` (${params.get("error_description")})` : ""}`, "error");
  } else if (params.get("status") === "connected") {
    setText("flash", "Connected.", "ok");
  }
  try {
    state.connectionId = await findConnection(params);
    if (!state.connectionId) return;
    await showConnection();
    $("sync-progress").hidden = false;
    await pollSync();
    if (!state.polling && $("pages").dataset.count === undefined) {
      state.polling = setInterval(pollSync, POLL_MS);
    }
  } catch (error) {
    setText("connection-status", error.message, "error");
  }
}

$("connect").addEventListener("click", connect);
$("refresh").addEventListener("click", () => loadPages().catch((e) => setText("flash", e.message, "error")));
$("create-form").addEventListener("submit", createPage);
$("remote-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const apiBase = $("remote-url").value.trim();
  const token = $("remote-token").value.trim();
  if (!apiBase || !token) return;
  sessionStorage.setItem(REMOTE_KEY, JSON.stringify({ apiBase, token }));
  window.location.href = window.location.pathname;
});
$("use-local").addEventListener("click", () => {
  sessionStorage.removeItem(REMOTE_KEY);
  window.location.href = window.location.pathname;
});
start();
