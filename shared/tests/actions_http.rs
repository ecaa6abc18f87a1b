//! The actions route: every action over `POST /connections/{id}/actions/{name}` with valid and
//! invalid input, against the emulator after a sync (the synced copy) and without one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod actions_support;
mod sync_support;

use actions_support::{
    action, data_source, markdown_input, ok, refused, rows, some_page, status_of,
};
use relay_shared::domain::ConnectionStatus;
use serde_json::{Value, json};
use sync_support::{Config, Harness, full_markdown};

async fn synced() -> Harness {
    let relay = Harness::start(Config::default()).await;
    let report = relay.initial_sync().await;
    assert_eq!(report.failed, 0, "{report:?}");
    relay
}

fn endpoint_count(relay: &Harness, endpoint: &str) -> u64 {
    relay
        .emu
        .counters()
        .by_endpoint
        .get(endpoint)
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_lists_every_action_with_schemas_and_needs_the_key() {
    let relay = Harness::start(Config::default()).await;
    let (status, body) = relay.get("/actions").await;
    assert_eq!(status, 200);
    let actions = body["actions"].as_array().unwrap();
    let names: Vec<&str> = actions
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "search",
            "get_page",
            "query_data_source",
            "list_data_sources",
            "create_page",
            "create_row",
            "append_to_page",
            "add_comment"
        ]
    );
    for action in actions {
        assert_eq!(action["input_schema"]["type"], "object", "{action}");
        assert_eq!(action["output_schema"]["type"], "object", "{action}");
        assert!(action["annotations"]["read_only"].is_boolean());
    }
    let get_page = &actions[1];
    assert_eq!(get_page["annotations"]["read_only"], true);
    assert!(
        get_page["input_schema"]["properties"]["page_id"]["description"]
            .as_str()
            .unwrap()
            .contains("page id")
    );
    assert_eq!(actions[4]["annotations"]["read_only"], false);
    assert_eq!(actions[4]["annotations"]["destructive"], false);

    let anonymous = relay.http.get(relay.url("/actions")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_errors_are_clear() {
    let relay = Harness::start(Config::default()).await;
    // Unknown action: 404 listing the actions.
    let (status, body) = action(&relay, "delete_everything", json!({})).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "unknown_action");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("search, get_page")
    );
    // Not JSON: 400 naming the body.
    let response = relay
        .http
        .post(relay.url(&format!(
            "/connections/{}/actions/search",
            relay.connection_id
        )))
        .bearer_auth(&relay.api_key)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("body:")
    );
    // Wrong key, bad and unknown connection ids.
    let response = relay
        .http
        .post(relay.url(&format!(
            "/connections/{}/actions/search",
            relay.connection_id
        )))
        .bearer_auth("wrong")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = relay
        .http
        .post(relay.url("/connections/nope/actions/search"))
        .bearer_auth(&relay.api_key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = relay
        .http
        .post(relay.url(&format!(
            "/connections/{}/actions/search",
            uuid::Uuid::new_v4()
        )))
        .bearer_auth(&relay.api_key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // A connection in needs_reauth: 409 needs_reauth, and Notion is not called.
    let mut connection = relay
        .ctx
        .adapters
        .connections
        .get(&relay.connection_id)
        .await
        .unwrap()
        .unwrap();
    connection.status = ConnectionStatus::NeedsReauth;
    relay
        .ctx
        .adapters
        .connections
        .put(&connection)
        .await
        .unwrap();
    relay.emu.reset_counters();
    let (status, body) = action(&relay, "search", json!({"query": "x"})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "needs_reauth");
    assert_eq!(relay.emu.counters().total, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_reads_the_synced_copy_and_falls_back_to_notion() {
    // Before any sync: Notion's search answers.
    let relay = Harness::start(Config::default()).await;
    let (title, id) = {
        let page_id = relay.emu.page_ids().into_iter().find(|id| {
            let page = relay.emu.page_json(id).unwrap();
            page["in_trash"] == false && page["parent"]["type"] == "page_id"
        });
        let page_id = page_id.unwrap();
        let page = relay.emu.page_json(&page_id).unwrap();
        (sync_support::plain_title(&page), page_id)
    };
    let body = ok(&relay, "search", json!({"query": title, "kind": "page"})).await;
    assert_eq!(body["source"], "notion", "{body}");
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|hit| hit["id"] == id.as_str()),
        "{body}"
    );

    // Data sources too, with their schemas.
    let body = ok(&relay, "list_data_sources", json!({"limit": 100})).await;
    assert_eq!(body["source"], "notion", "{body}");
    assert_eq!(
        body["data_sources"].as_array().unwrap().len(),
        relay.emu.data_source_ids().len()
    );
    assert!(body["data_sources"][0]["properties"].is_object());

    relay.initial_sync().await;
    relay.emu.reset_counters();
    let body = ok(&relay, "search", json!({"query": title.to_uppercase()})).await;
    assert_eq!(body["source"], "synced");
    let first = &body["results"][0];
    assert_eq!(first["id"], id.as_str(), "exact title first: {body}");
    assert_eq!(first["object"], "page");
    assert!(first["url"].as_str().unwrap().starts_with("http"));
    assert_eq!(
        relay.emu.counters().total,
        0,
        "the synced copy answered alone"
    );

    // Paging through everything with a small limit sees each object once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut input = json!({"limit": 3});
        if let Some(cursor) = &cursor {
            input["cursor"] = json!(cursor);
        }
        let body = ok(&relay, "search", input).await;
        for hit in body["results"].as_array().unwrap() {
            seen.push(hit["id"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total, "no duplicates across pages");
    let expected = relay.live("page").await.len()
        + relay.live("row").await.len()
        + relay.live("data_source").await.len();
    assert!(total >= expected - 2, "{total} of {expected}");

    // Data sources only.
    let body = ok(
        &relay,
        "search",
        json!({"query": "tasks", "kind": "data_source"}),
    )
    .await;
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|hit| hit["object"] == "data_source")
    );
    assert!(!body["results"].as_array().unwrap().is_empty());

    refused(&relay, "search", json!({"limit": 0}), "limit").await;
    refused(&relay, "search", json!({"limit": 51}), "limit").await;
    refused(
        &relay,
        "search",
        json!({"query": "x", "sort": "asc"}),
        "sort",
    )
    .await;
    refused(&relay, "search", json!({"query": 5}), "query").await;
    refused(&relay, "search", json!({"kind": "block"}), "kind").await;
    refused(&relay, "search", json!({"cursor": "garbage"}), "cursor").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_page_serves_fresh_copies_and_reads_notion_otherwise() {
    let relay = synced().await;
    let (title, id) = some_page(&relay).await;
    let ws = relay.snapshot();

    relay.emu.reset_counters();
    let budget = relay
        .ctx
        .notion
        .budgets()
        .budget(&relay.connection_id.to_string());
    let before = budget.stats().snapshot().requests_sent;
    assert!(
        before > 0,
        "the sync's requests count against the connection's budget"
    );
    let body = ok(&relay, "get_page", json!({"page_id": id.replace('-', "")})).await;
    assert_eq!(
        budget.stats().snapshot().requests_sent,
        before + 1,
        "the action's request counts against the same budget as the sync's"
    );
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["title"], title.as_str());
    assert_eq!(body["body_source"], "synced", "{body}");
    assert_eq!(body["markdown"], full_markdown(&ws, &id));
    assert_eq!(body["body_complete"], true);
    assert!(body.get("next_offset").is_none());
    assert_eq!(endpoint_count(&relay, "GET /v1/pages/{id}/markdown"), 0);
    assert_eq!(endpoint_count(&relay, "GET /v1/pages/{id}"), 1);

    // Cut bodies continue from next_offset.
    let whole = body["markdown"].as_str().unwrap().to_owned();
    let first = ok(&relay, "get_page", json!({"page_id": id, "max_chars": 10})).await;
    assert_eq!(first["markdown"].as_str().unwrap().chars().count(), 10);
    assert_eq!(first["next_offset"], 10);
    let rest = ok(
        &relay,
        "get_page",
        json!({"page_id": id, "offset": 10, "max_chars": 100000}),
    )
    .await;
    assert_eq!(
        format!(
            "{}{}",
            first["markdown"].as_str().unwrap(),
            rest["markdown"].as_str().unwrap()
        ),
        whole
    );

    // Edited after the sync: read from Notion, with the edit.
    relay.emu.advance_clock(3);
    relay.emu.append_paragraph(&id, "Edited after the sync");
    let body = ok(&relay, "get_page", json!({"page_id": id})).await;
    assert_eq!(body["body_source"], "notion", "{body}");
    assert!(
        body["markdown"]
            .as_str()
            .unwrap()
            .contains("Edited after the sync")
    );

    // Block ids on request.
    let body = ok(
        &relay,
        "get_page",
        json!({"page_id": id, "include_block_ids": true}),
    )
    .await;
    let blocks = body["blocks"].as_array().unwrap();
    assert!(!blocks.is_empty());
    let last = relay.emu.block_children_json(&id).last().cloned().unwrap();
    assert!(
        blocks
            .iter()
            .any(|b| b["id"] == last["id"] && b["text"] == "Edited after the sync")
    );

    // Rows: properties in plain form, body from Notion.
    let tasks = data_source(&relay, "Tasks").await;
    let row = &rows(&relay, &tasks)[0];
    let body = ok(&relay, "get_page", json!({"page_id": row["id"]})).await;
    assert_eq!(body["properties"]["Status"], status_of(row));
    assert_eq!(body["parent"]["type"], "data_source_id");

    refused(&relay, "get_page", json!({}), "page_id").await;
    refused(
        &relay,
        "get_page",
        json!({"page_id": "not-an-id"}),
        "page_id",
    )
    .await;
    refused(
        &relay,
        "get_page",
        json!({"page_id": id, "max_chars": 0}),
        "max_chars",
    )
    .await;
    refused(
        &relay,
        "get_page",
        json!({"page_id": id, "offset": 10_000_000}),
        "offset",
    )
    .await;
    refused(
        &relay,
        "get_page",
        json!({"page_id": id, "include_blocks": true}),
        "include_blocks",
    )
    .await;
    let (status, body) = action(&relay, "get_page", json!({"page_id": uuid::Uuid::new_v4()})).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("share"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_sources_are_listed_and_queried() {
    let relay = synced().await;
    relay.emu.reset_counters();
    let body = ok(&relay, "list_data_sources", json!({})).await;
    assert_eq!(body["source"], "synced");
    let listed = body["data_sources"].as_array().unwrap();
    assert_eq!(listed.len(), relay.emu.data_source_ids().len());
    let tasks = listed.iter().find(|s| s["title"] == "Tasks").unwrap();
    assert_eq!(tasks["title_property"], "Name");
    assert_eq!(tasks["properties"]["Status"]["type"], "status");
    assert_eq!(
        tasks["properties"]["Status"]["options"],
        json!(["Not started", "In progress", "Done"])
    );
    assert_eq!(relay.emu.counters().total, 0);
    let page = ok(
        &relay,
        "list_data_sources",
        json!({"limit": 1, "include_schema": false}),
    )
    .await;
    assert_eq!(page["data_sources"].as_array().unwrap().len(), 1);
    assert!(page["data_sources"][0].get("properties").is_none());
    assert!(page["next_cursor"].is_string());
    refused(&relay, "list_data_sources", json!({"limit": 500}), "limit").await;

    let tasks_id = tasks["id"].as_str().unwrap().to_owned();
    let all_rows = rows(&relay, &tasks_id);
    let done: Vec<&Value> = all_rows
        .iter()
        .filter(|row| status_of(row) == "Done")
        .collect();
    assert!(!done.is_empty());
    let body = ok(
        &relay,
        "query_data_source",
        json!({"data_source_id": tasks_id, "filter": [{"property": "Status", "operator": "equals", "value": "Done"}], "limit": 100}),
    )
    .await;
    let got = body["rows"].as_array().unwrap();
    assert_eq!(got.len(), done.len(), "{body}");
    assert!(got.iter().all(|row| row["properties"]["Status"] == "Done"));

    // Paginated, sorted, selected properties.
    let mut ids = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let body = ok(
            &relay,
            "query_data_source",
            json!({"data_source_id": tasks_id, "sorts": [{"property": "created_time"}],
                   "properties": ["Status"], "limit": 2, "cursor": cursor}),
        )
        .await;
        for row in body["rows"].as_array().unwrap() {
            assert_eq!(row["properties"].as_object().unwrap().len(), 1);
            ids.push(row["id"].as_str().unwrap().to_owned());
        }
        match &body["next_cursor"] {
            Value::String(next) => cursor = json!(next),
            _ => break,
        }
    }
    assert_eq!(ids.len(), all_rows.len());

    // Any-of conditions and Notion's own filter syntax.
    let body = ok(
        &relay,
        "query_data_source",
        json!({"data_source_id": tasks_id, "match": "any", "limit": 100, "filter": [
            {"property": "Status", "operator": "equals", "value": "Done"},
            {"property": "Status", "operator": "equals", "value": "Not started"}]}),
    )
    .await;
    let expected = all_rows
        .iter()
        .filter(|r| status_of(r) != "In progress")
        .count();
    assert_eq!(body["rows"].as_array().unwrap().len(), expected);
    let body = ok(
        &relay,
        "query_data_source",
        json!({"data_source_id": tasks_id, "limit": 100,
               "notion_filter": {"property": "Done", "checkbox": {"equals": true}}}),
    )
    .await;
    assert!(
        body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["properties"]["Done"] == true)
    );

    refused(&relay, "query_data_source", json!({}), "data_source_id").await;
    refused(
        &relay,
        "query_data_source",
        json!({"data_source_id": tasks_id, "filter": [{"property": "Nope", "operator": "equals", "value": "x"}]}),
        "filter[0].property",
    )
    .await;
    refused(
        &relay,
        "query_data_source",
        json!({"data_source_id": tasks_id, "filter": [{"property": "Done", "operator": "contains", "value": "x"}]}),
        "filter[0].operator",
    )
    .await;
    refused(
        &relay,
        "query_data_source",
        json!({"data_source_id": tasks_id, "filter": [{"property": "Estimate", "operator": "equals", "value": "three"}]}),
        "filter[0].value",
    )
    .await;
    refused(
        &relay,
        "query_data_source",
        json!({"data_source_id": tasks_id, "filter": [{"property": "Status", "operator": "like", "value": "x"}]}),
        "filter[0].operator",
    )
    .await;
    refused(
        &relay,
        "query_data_source",
        json!({"data_source_id": tasks_id, "limit": 0}),
        "limit",
    )
    .await;
    let (status, _) = action(
        &relay,
        "query_data_source",
        json!({"data_source_id": uuid::Uuid::new_v4()}),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_create_append_and_comment() {
    let relay = synced().await;
    let (parent_title, parent_id) = some_page(&relay).await;

    // An agent's flow: find the parent by name, create under it, read it back.
    let found = ok(
        &relay,
        "search",
        json!({"query": parent_title, "kind": "page"}),
    )
    .await;
    let parent = found["results"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(parent, parent_id);
    let created = ok(
        &relay,
        "create_page",
        json!({"parent": {"page_id": parent}, "title": "Agent notes", "markdown": markdown_input("Agent notes"),
               "idempotency_key": "actions-test-1"}),
    )
    .await;
    let page_id = created["id"].as_str().unwrap().to_owned();
    assert!(created["url"].as_str().unwrap().starts_with("http"));
    assert!(
        created["blocks_written"].as_u64().unwrap() >= 4,
        "{created}"
    );
    let again = ok(
        &relay,
        "create_page",
        json!({"parent": {"page_id": parent}, "title": "Agent notes", "markdown": markdown_input("Agent notes"),
               "idempotency_key": "actions-test-1"}),
    )
    .await;
    assert_eq!(again["id"], page_id.as_str(), "same key, same page");
    let read = ok(&relay, "get_page", json!({"page_id": page_id})).await;
    assert_eq!(read["title"], "Agent notes");
    assert_eq!(read["parent"]["id"], parent_id.as_str());
    assert!(
        read["markdown"].as_str().unwrap().contains("fn main()"),
        "{read}"
    );

    // Append, then read it back.
    let appended = ok(
        &relay,
        "append_to_page",
        json!({"page_id": page_id, "markdown": "## Follow-up\n\n- [ ] check the numbers"}),
    )
    .await;
    assert_eq!(appended["blocks_written"], 2, "{appended}");
    let read = ok(&relay, "get_page", json!({"page_id": page_id})).await;
    assert!(
        read["markdown"]
            .as_str()
            .unwrap()
            .contains("check the numbers"),
        "{read}"
    );

    // A row, checked against the schema.
    let tasks = data_source(&relay, "Tasks").await;
    let row = ok(
        &relay,
        "create_row",
        json!({"data_source_id": tasks, "title": "Agent task", "properties": {"Status": "Done", "Estimate": 5, "Tags": ["docs"]}}),
    )
    .await;
    let row = ok(&relay, "get_page", json!({"page_id": row["id"]})).await;
    assert_eq!(row["properties"]["Status"], "Done");
    assert_eq!(row["properties"]["Estimate"], 5);
    assert_eq!(row["properties"]["Name"], "Agent task");

    // A comment, and a reply in its discussion.
    let comment = ok(
        &relay,
        "add_comment",
        json!({"page_id": page_id, "markdown": "Looks **good**"}),
    )
    .await;
    assert!(comment["id"].is_string());
    assert_eq!(comment["text"], "Looks good");
    let discussion = comment["discussion_id"].as_str().unwrap();
    ok(
        &relay,
        "add_comment",
        json!({"discussion_id": discussion, "markdown": "Thanks"}),
    )
    .await;

    refused(
        &relay,
        "create_page",
        json!({"parent": {"page_id": parent_id}}),
        "title",
    )
    .await;
    refused(
        &relay,
        "create_page",
        json!({"parent": {"block_id": parent_id}, "title": "x"}),
        "parent",
    )
    .await;
    refused(
        &relay,
        "create_page",
        json!({"parent": {"page_id": "nope"}, "title": "x"}),
        "parent.page_id",
    )
    .await;
    refused(
        &relay,
        "create_row",
        json!({"data_source_id": tasks, "title": "x", "properties": {"Nope": 1}}),
        "properties.Nope",
    )
    .await;
    refused(
        &relay,
        "create_row",
        json!({"data_source_id": tasks, "title": "x", "properties": {"Estimate": "many"}}),
        "properties.Estimate",
    )
    .await;
    refused(
        &relay,
        "append_to_page",
        json!({"page_id": page_id, "markdown": "  "}),
        "markdown",
    )
    .await;
    refused(
        &relay,
        "append_to_page",
        json!({"markdown": "x"}),
        "page_id",
    )
    .await;
    refused(
        &relay,
        "add_comment",
        json!({"page_id": page_id, "block_id": page_id, "markdown": "x"}),
        "page_id",
    )
    .await;
    refused(
        &relay,
        "add_comment",
        json!({"page_id": page_id}),
        "markdown",
    )
    .await;
    let (status, body) = action(
        &relay,
        "append_to_page",
        json!({"page_id": uuid::Uuid::new_v4(), "markdown": "x"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_429_with_retry_after() {
    // Retry-After (1 s) longer than the client may wait inline: the action reports it.
    let mut config = Config::default();
    config.retry.max_inline_wait = std::time::Duration::ZERO;
    let relay = Harness::start(config).await;
    relay.emu.fail_next(notion_emulator::Fault::status(429, 20));
    let response = relay
        .http
        .post(relay.url(&format!(
            "/connections/{}/actions/search",
            relay.connection_id
        )))
        .bearer_auth(&relay.api_key)
        .json(&json!({"query": "anything"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("retry after 1 seconds"),
        "{body}"
    );
}

/// A body read during its page's edit minute may miss a later edit in that same minute (Notion
/// keeps the minute-granular `last_edited_time`). The sync remembers such pages for a re-read
/// (the checkpoint's `recheck`), due only once Notion's clock visibly moves on: in a quiet
/// workspace later runs finish without it. Until that re-read, get_page must read Notion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_page_reads_notion_while_the_copy_awaits_its_recheck() {
    let relay = synced().await;
    let (_, id) = some_page(&relay).await;
    // Two edits in one Notion minute around an incremental sync (again if a minute boundary
    // fell between them).
    let mut same_minute = false;
    for attempt in 0..3 {
        relay
            .emu
            .append_paragraph(&id, &format!("First edit {attempt}"));
        let edited = relay.emu.page_json(&id).unwrap()["last_edited_time"].clone();
        let report = relay.incremental_sync().await;
        assert_eq!(report.failed, 0, "{report:?}");
        relay
            .emu
            .append_paragraph(&id, &format!("Second edit {attempt}"));
        if relay.emu.page_json(&id).unwrap()["last_edited_time"] == edited {
            same_minute = true;
            break;
        }
    }
    assert!(same_minute, "no two edits within one minute");
    let checkpoint = relay
        .ctx
        .adapters
        .sync_state
        .get_checkpoint(&relay.connection_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        checkpoint.data["recheck"].get(&id).is_some(),
        "the sync awaits a re-read of {id}: {}",
        checkpoint.data["recheck"]
    );
    // A later run (the re-read not due yet) finished after the edit minute.
    let mut connection = relay
        .ctx
        .adapters
        .connections
        .get(&relay.connection_id)
        .await
        .unwrap()
        .unwrap();
    connection.last_sync.as_mut().unwrap().finished_at =
        Some(time::OffsetDateTime::now_utc() + time::Duration::minutes(2));
    relay
        .ctx
        .adapters
        .connections
        .put(&connection)
        .await
        .unwrap();

    let body = ok(&relay, "get_page", json!({"page_id": id})).await;
    assert_eq!(body["body_source"], "notion", "{body}");
    assert!(
        body["markdown"].as_str().unwrap().contains("Second edit"),
        "{body}"
    );
}
