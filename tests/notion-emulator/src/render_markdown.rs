//! A page's block tree as Notion-flavored Markdown, cut at a record limit like
//! `GET /v1/pages/{id}/markdown` (`truncated`, `unknown_block_ids`).

use serde_json::Value;

use crate::ids::compact_id;
use crate::json_shapes::{page_title, plain_text};
use crate::workspace::Workspace;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub markdown: String,
    pub truncated: bool,
    /// Blocks not rendered (over the limit, or unsupported): fetch each as its own subtree.
    pub unknown_block_ids: Vec<String>,
}

/// Renders the body of page `root`, or the subtree of block `root`, rendering at most `limit`
/// blocks.
pub fn render(ws: &Workspace, root: &str, limit: usize) -> Rendered {
    let mut r = Renderer {
        ws,
        limit,
        count: 0,
        lines: Vec::new(),
        unknown: Vec::new(),
        truncated: false,
    };
    if ws.pages.contains_key(root) {
        let children = ws.live_children(root);
        r.blocks(&children, 0);
    } else {
        r.blocks(&[root.to_string()], 0);
    }
    Rendered {
        markdown: r.lines.join("\n"),
        truncated: r.truncated,
        unknown_block_ids: r.unknown,
    }
}

struct Renderer<'a> {
    ws: &'a Workspace,
    limit: usize,
    count: usize,
    lines: Vec<String>,
    unknown: Vec<String>,
    truncated: bool,
}

fn url_of(id: &str) -> String {
    format!("https://www.notion.so/{}", compact_id(id))
}

fn attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;")
}

/// Rich text as inline Markdown.
pub fn rich_to_markdown(rich: &Value) -> String {
    let Some(items) = rich.as_array() else {
        return String::new();
    };
    let mut out = String::new();
    for item in items {
        let a = &item["annotations"];
        let piece = match item["type"].as_str() {
            Some("equation") => format!(
                "${}$",
                item["equation"]["expression"].as_str().unwrap_or_default()
            ),
            Some("mention") => mention(item),
            _ => {
                let mut t = item["plain_text"]
                    .as_str()
                    .or_else(|| item["text"]["content"].as_str())
                    .unwrap_or_default()
                    .to_string();
                if a["code"] == true {
                    t = format!("`{t}`");
                }
                if a["bold"] == true {
                    t = format!("**{t}**");
                }
                if a["italic"] == true {
                    t = format!("*{t}*");
                }
                if a["strikethrough"] == true {
                    t = format!("~~{t}~~");
                }
                if a["underline"] == true {
                    t = format!("<span underline=\"true\">{t}</span>");
                }
                if let Some(url) = item["href"].as_str() {
                    t = format!("[{t}]({url})");
                }
                t
            }
        };
        match a["color"].as_str() {
            Some(c) if c != "default" => {
                out.push_str(&format!("<span color=\"{c}\">{piece}</span>"))
            }
            _ => out.push_str(&piece),
        }
    }
    out
}

fn mention(item: &Value) -> String {
    let m = &item["mention"];
    let plain = item["plain_text"].as_str().unwrap_or_default();
    match m["type"].as_str() {
        Some("user") => format!(
            "<mention-user url=\"user://{}\">{}</mention-user>",
            m["user"]["id"].as_str().unwrap_or_default(),
            plain.trim_start_matches('@')
        ),
        Some("page") => format!(
            "<mention-page url=\"{}\">{plain}</mention-page>",
            url_of(m["page"]["id"].as_str().unwrap_or_default())
        ),
        Some("database") => format!(
            "<mention-database url=\"{}\">{plain}</mention-database>",
            url_of(m["database"]["id"].as_str().unwrap_or_default())
        ),
        Some("date") => {
            let d = &m["date"];
            match d["end"].as_str() {
                Some(end) => format!(
                    "<mention-date start=\"{}\" end=\"{end}\"/>",
                    d["start"].as_str().unwrap_or_default()
                ),
                None => format!(
                    "<mention-date start=\"{}\"/>",
                    d["start"].as_str().unwrap_or_default()
                ),
            }
        }
        Some("link_preview") => m["link_preview"]["url"]
            .as_str()
            .unwrap_or(plain)
            .to_string(),
        _ => plain.to_string(),
    }
}

fn media_url(payload: &Value) -> String {
    payload["external"]["url"]
        .as_str()
        .or_else(|| payload["file"]["url"].as_str())
        .unwrap_or_default()
        .to_string()
}

impl Renderer<'_> {
    fn push(&mut self, depth: usize, line: &str) {
        let indent = "\t".repeat(depth);
        for l in line.split('\n') {
            self.lines.push(format!("{indent}{l}"));
        }
    }

    fn blocks(&mut self, ids: &[String], depth: usize) {
        for (i, id) in ids.iter().enumerate() {
            if self.count >= self.limit {
                self.truncated = true;
                self.unknown.extend(ids[i..].iter().cloned());
                return;
            }
            self.count += 1;
            self.block(id, depth);
        }
    }

    fn children(&mut self, id: &str, depth: usize) {
        let children = self.ws.live_children(id);
        self.blocks(&children, depth);
    }

    fn block(&mut self, id: &str, depth: usize) {
        let Some(b) = self.ws.render_block(id) else {
            return;
        };
        let kind = b["type"].as_str().unwrap_or_default().to_string();
        let p = &b[&kind];
        let text = rich_to_markdown(&p["rich_text"]);
        match kind.as_str() {
            "paragraph" => {
                if text.is_empty() {
                    self.push(depth, "<empty-block/>");
                } else {
                    self.push(depth, &text);
                }
                self.children(id, depth + 1);
            }
            "heading_1" | "heading_2" | "heading_3" | "heading_4" => {
                let level: usize = kind[8..].parse().unwrap_or(1);
                let toggle = if p["is_toggleable"] == true {
                    " {toggle=\"true\"}"
                } else {
                    ""
                };
                self.push(depth, &format!("{} {text}{toggle}", "#".repeat(level)));
                self.children(id, depth + 1);
            }
            "bulleted_list_item" => {
                self.push(depth, &format!("- {text}"));
                self.children(id, depth + 1);
            }
            "numbered_list_item" => {
                self.push(depth, &format!("1. {text}"));
                self.children(id, depth + 1);
            }
            "to_do" => {
                let mark = if p["checked"] == true { "x" } else { " " };
                self.push(depth, &format!("- [{mark}] {text}"));
                self.children(id, depth + 1);
            }
            "quote" => {
                self.push(depth, &format!("> {}", text.replace('\n', "<br>")));
                self.children(id, depth + 1);
            }
            "toggle" => {
                self.push(depth, &format!("<details>\n<summary>{text}</summary>"));
                self.children(id, depth + 1);
                self.push(depth, "</details>");
            }
            "callout" => {
                let icon = p["icon"]["emoji"].as_str().unwrap_or_default();
                self.push(
                    depth,
                    &format!(
                        "<callout icon=\"{icon}\" color=\"{}\">",
                        p["color"].as_str().unwrap_or("default")
                    ),
                );
                self.push(depth + 1, &text);
                self.children(id, depth + 1);
                self.push(depth, "</callout>");
            }
            "code" => {
                let code = plain_text(&p["rich_text"]);
                self.push(
                    depth,
                    &format!(
                        "```{}\n{code}\n```",
                        p["language"].as_str().unwrap_or_default()
                    ),
                );
            }
            "equation" => self.push(
                depth,
                &format!("$$\n{}\n$$", p["expression"].as_str().unwrap_or_default()),
            ),
            "divider" => self.push(depth, "---"),
            "breadcrumb" => self.push(depth, "<breadcrumb/>"),
            "table_of_contents" => self.push(depth, "<table_of_contents/>"),
            "column_list" => {
                self.push(depth, "<columns>");
                self.children(id, depth + 1);
                self.push(depth, "</columns>");
            }
            "column" => {
                self.push(depth, "<column>");
                self.children(id, depth + 1);
                self.push(depth, "</column>");
            }
            "table" => {
                let header = if p["has_column_header"] == true {
                    " header-row=\"true\""
                } else {
                    ""
                };
                self.push(depth, &format!("<table{header}>"));
                self.children(id, depth + 1);
                self.push(depth, "</table>");
            }
            "table_row" => {
                let cells: String = p["cells"]
                    .as_array()
                    .map(|cells| {
                        cells
                            .iter()
                            .map(|c| format!("<td>{}</td>", rich_to_markdown(c)))
                            .collect()
                    })
                    .unwrap_or_default();
                self.push(depth, &format!("<tr>{cells}</tr>"));
            }
            "image" => self.push(
                depth,
                &format!("![{}]({})", plain_text(&p["caption"]), media_url(p)),
            ),
            "video" | "audio" | "pdf" | "file" => self.push(
                depth,
                &format!(
                    "<{kind} src=\"{}\">{}</{kind}>",
                    attr(&media_url(p)),
                    rich_to_markdown(&p["caption"])
                ),
            ),
            "bookmark" => self.push(
                depth,
                &format!(
                    "<bookmark url=\"{}\"/>",
                    attr(p["url"].as_str().unwrap_or_default())
                ),
            ),
            "embed" => self.push(
                depth,
                &format!(
                    "<embed src=\"{}\"/>",
                    attr(p["url"].as_str().unwrap_or_default())
                ),
            ),
            "link_preview" => self.push(depth, p["url"].as_str().unwrap_or_default()),
            "link_to_page" => {
                let target = p["page_id"]
                    .as_str()
                    .or_else(|| p["database_id"].as_str())
                    .unwrap_or_default();
                let title = self
                    .ws
                    .pages
                    .get(target)
                    .map(page_title)
                    .unwrap_or_default();
                self.push(
                    depth,
                    &format!(
                        "<mention-page url=\"{}\">{title}</mention-page>",
                        url_of(target)
                    ),
                );
            }
            "synced_block" => {
                match p["synced_from"]["block_id"].as_str() {
                    Some(source) => self.push(
                        depth,
                        &format!(
                            "<synced_block_reference url=\"{}#{}\">",
                            url_of(id),
                            compact_id(source)
                        ),
                    ),
                    None => self.push(depth, &format!("<synced_block url=\"{}\">", url_of(id))),
                }
                self.children(id, depth + 1);
                let close = if p["synced_from"].is_null() {
                    "</synced_block>"
                } else {
                    "</synced_block_reference>"
                };
                self.push(depth, close);
            }
            "child_page" => {
                let title = p["title"].as_str().unwrap_or_default().to_string();
                self.push(
                    depth,
                    &format!("<page url=\"{}\">{title}</page>", url_of(id)),
                );
            }
            "child_database" => {
                let title = p["title"].as_str().unwrap_or_default().to_string();
                let inline = self
                    .ws
                    .databases
                    .get(id)
                    .map(|d| d["is_inline"] == true)
                    .unwrap_or(false);
                let source = self
                    .ws
                    .data_sources_of(id)
                    .first()
                    .map(|ds| format!(" data-source-url=\"collection://{ds}\""))
                    .unwrap_or_default();
                self.push(
                    depth,
                    &format!(
                        "<database url=\"{}\" inline=\"{inline}\"{source}>{title}</database>",
                        url_of(id)
                    ),
                );
            }
            "tab" => self.children(id, depth),
            "template" => self.push(depth, &text),
            "meeting_notes" => {
                self.push(
                    depth,
                    &format!("<meeting-notes>{}", rich_to_markdown(&p["title"])),
                );
                self.children(id, depth + 1);
                self.push(depth, "</meeting-notes>");
            }
            _ => {
                self.push(
                    depth,
                    &format!(
                        "<unknown url=\"{}\" alt=\"{}\"/>",
                        url_of(id),
                        p["block_type"].as_str().unwrap_or(&kind)
                    ),
                );
                self.unknown.push(id.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GeneratedWorkspace;
    use serde_json::json;

    #[test]
    fn inline_annotations_and_links() {
        let rich = json!([
            {"type": "text", "text": {"content": "b"}, "annotations": {"bold": true, "color": "default"}, "plain_text": "b", "href": null},
            {"type": "text", "text": {"content": "l"}, "annotations": {"color": "red"}, "plain_text": "l", "href": "https://x"},
            {"type": "equation", "equation": {"expression": "x"}, "annotations": {}, "plain_text": "x"},
        ]);
        assert_eq!(
            rich_to_markdown(&rich),
            "**b**<span color=\"red\">[l](https://x)</span>$x$"
        );
    }

    #[test]
    fn large_pages_are_truncated_with_unknown_ids() {
        let ws = crate::generate::generate(&GeneratedWorkspace::default());
        let large = ws
            .page_ids()
            .into_iter()
            .find(|id| page_title(&ws.pages[id]) == "Large Page")
            .unwrap();
        let full = render(&ws, &large, 1_000);
        assert!(!full.truncated);
        assert!(full.unknown_block_ids.is_empty());
        let cut = render(&ws, &large, 50);
        assert!(cut.truncated);
        assert_eq!(
            cut.unknown_block_ids.len(),
            ws.live_children(&large).len() - 50
        );
        // A listed id renders as its own subtree.
        let rest = render(&ws, &cut.unknown_block_ids[0], 10);
        assert!(rest.markdown.starts_with("Paragraph 51"));
    }

    #[test]
    fn showcase_renders_structures() {
        let ws = crate::generate::generate(&GeneratedWorkspace::default());
        let page = ws
            .page_ids()
            .into_iter()
            .find(|id| page_title(&ws.pages[id]) == "Block Showcase")
            .unwrap();
        let md = render(&ws, &page, 10_000).markdown;
        for needle in [
            "# Every block type",
            "<columns>",
            "<table header-row=\"true\">",
            "```rust",
            "- [x] Finished task",
            "<synced_block_reference",
            "<page url=",
            "<database url=",
            "\t\t\t- Bullet level 4",
        ] {
            assert!(md.contains(needle), "missing {needle} in\n{md}");
        }
    }
}
