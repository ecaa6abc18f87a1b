//! The emulator binary starts from the command line on a chosen loopback port with a generated
//! workspace, prints how to reach it, and answers with the recorded responses' fields.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{assert_same_keys, fixture};

/// Kills the emulator process when the test ends, pass or fail.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_loopback_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_binary_serves_a_generated_workspace_on_the_chosen_port() {
    let port = free_loopback_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_notion-emulator"))
        .args(["--port", &port.to_string(), "--seed", "7", "--pages", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = KillOnDrop(child);

    // The binary prints `NAME=value` lines a shell or a .env file can take as they are.
    let printed: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|line| !line.starts_with("workspace:"))
        .collect();
    let value_of = |name: &str| {
        printed
            .iter()
            .find_map(|line| line.strip_prefix(&format!("{name}=")).map(str::to_owned))
            .unwrap_or_else(|| panic!("{name} not printed: {printed:?}"))
    };
    let base_url = value_of("NOTION_API_BASE_URL");
    assert_eq!(base_url, format!("http://127.0.0.1:{port}"));
    let token = value_of("NOTION_ACCESS_TOKEN");

    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(format!("{base_url}{path}"))
            .bearer_auth(&token)
            .header("Notion-Version", "2026-03-11")
    };

    let me: serde_json::Value = get("/v1/users/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_same_keys("users/me", &me, &fixture("user-me-bot.json"));

    let search: serde_json::Value = http
        .post(format!("{base_url}/v1/search"))
        .bearer_auth(&token)
        .header("Notion-Version", "2026-03-11")
        .json(&serde_json::json!({"filter": {"property": "object", "value": "page"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recorded = fixture("search-pages.json");
    assert_same_keys("search list", &search, &recorded);
    let results = search["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let page_id = results[0]["id"].as_str().unwrap();
    let page: serde_json::Value = get(&format!("/v1/pages/{page_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A retrieved page carries its request id at the top, unlike pages inside a search list.
    assert_same_keys("page", &page, &fixture("page-relation-has-more.json"));

    let missing = get("/v1/pages/7855b161-f63e-4683-b7c7-8ca6e97ee266")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_same_keys("error", &body, &fixture("error-object-not-found.json"));
}
