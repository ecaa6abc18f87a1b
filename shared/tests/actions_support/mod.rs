//! Helpers of the actions and MCP tests: a synced Relay (sync_support's harness) and calls of
//! `POST /connections/{id}/actions/{name}`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::sync_support::Harness;

/// Calls action `name` over HTTP with `input`; answers the status and the JSON body.
pub async fn action(relay: &Harness, name: &str, input: Value) -> (u16, Value) {
    let response = relay
        .http
        .post(relay.url(&format!(
            "/connections/{}/actions/{name}",
            relay.connection_id
        )))
        .bearer_auth(&relay.api_key)
        .json(&input)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Calls `name` and expects success.
pub async fn ok(relay: &Harness, name: &str, input: Value) -> Value {
    let (status, body) = action(relay, name, input.clone()).await;
    assert_eq!(status, 200, "{name} {input}: {body}");
    body
}

/// Calls `name` and expects a 400 naming `field`.
pub async fn refused(relay: &Harness, name: &str, input: Value, field: &str) -> Value {
    let (status, body) = action(relay, name, input.clone()).await;
    assert_eq!(status, 400, "{name} {input}: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("{field}:")),
        "{name}: expected the error to name {field}: {message}"
    );
    body
}

/// A synced page that is not a row, not trashed, with a body (title, id).
pub async fn some_page(relay: &Harness) -> (String, String) {
    let pages = relay.live("page").await;
    let (id, record) = pages
        .iter()
        .find(|(_, record)| {
            let data = &record["data"];
            data["in_trash"] == false
                && data["title"]
                    .as_str()
                    .is_some_and(|t| t.split_whitespace().count() >= 2)
                && data["body"]["complete"] == true
                && data["body"]["markdown"]
                    .as_str()
                    .is_some_and(|m| m.len() > 20)
        })
        .expect("a synced page with a body");
    (
        record["data"]["title"].as_str().unwrap().to_owned(),
        id.clone(),
    )
}

/// The id of the synced data source titled `title`.
pub async fn data_source(relay: &Harness, title: &str) -> String {
    let sources = relay.live("data_source").await;
    sources
        .iter()
        .find(|(_, record)| record["data"]["title"] == title)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no data source {title}"))
}

/// The rows of data source `id` as the emulator holds them (not trashed).
pub fn rows(relay: &Harness, data_source_id: &str) -> Vec<Value> {
    relay
        .emu
        .row_ids(data_source_id)
        .iter()
        .filter_map(|id| relay.emu.page_json(id))
        .filter(|row| row["in_trash"] == false)
        .collect()
}

pub fn status_of(row: &Value) -> String {
    row["properties"]["Status"]["status"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub fn markdown_input(title: &str) -> Value {
    json!(format!(
        "# {title}\n\nWritten by the **actions** test.\n\n- one\n- two\n\n```rust\nfn main() {{}}\n```\n"
    ))
}
