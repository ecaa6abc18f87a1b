//! The local stack end to end: it starts on free loopback ports, a workspace connects through the
//! real connect flow (the emulator's consent page), the first sync fills the records API, and a
//! restart on the same data folder keeps the API key, the connection, the records and the
//! emulator's tokens (a sync of the old connection still succeeds).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use relay_local::{LocalConfig, NotionTarget, RunningStack};
use serde_json::Value;

fn config(data_dir: &std::path::Path) -> LocalConfig {
    let env: HashMap<String, String> = [
        ("RELAY_BACKEND", "embedded"),
        ("NOTION_REQUESTS_PER_SECOND", "200"),
        ("NOTION_BURST", "20"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    LocalConfig {
        port: 0,
        data_dir: data_dir.to_path_buf(),
        notion: NotionTarget::Emulator {
            port: 0,
            seed: 3,
            pages: 20,
        },
        extra_return_urls: Vec::new(),
        env,
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Connects a workspace the way a person does: session, consent page, approve everything.
async fn connect(stack: &RunningStack) -> String {
    let http = http();
    let session: Value = http
        .post(format!("{}/connect/sessions", stack.url))
        .bearer_auth(stack.api_key.expose())
        .json(&serde_json::json!({"end_user": {"id": "user-1"}, "return_url": stack.demo_url()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let connect_url = session["connect_url"].as_str().unwrap();
    let authorize = location(&http.get(connect_url).send().await.unwrap());
    let emulator = stack.emulator.as_ref().unwrap();
    let consent = http
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        consent.contains("Allow access"),
        "the consent page lists what to share"
    );

    let query: HashMap<String, String> = url::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let mut form: Vec<(String, String)> = ["client_id", "redirect_uri", "state"]
        .iter()
        .map(|k| ((*k).to_owned(), query[*k].clone()))
        .collect();
    for id in emulator.emulator.top_level_ids() {
        form.push(("share".to_owned(), id));
    }
    form.push(("decision".to_owned(), "approve".to_owned()));
    let approved = http
        .post(format!("{}/v1/oauth/authorize", emulator.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&form)
                .finish(),
        )
        .send()
        .await
        .unwrap();
    let callback = location(&approved);
    let back = location(&http.get(&callback).send().await.unwrap());
    assert!(back.starts_with(&stack.demo_url()), "{back}");
    let back = url::Url::parse(&back).unwrap();
    let pairs: HashMap<String, String> = back.query_pairs().into_owned().collect();
    assert_eq!(pairs.get("status").map(String::as_str), Some("connected"));
    pairs["connection_id"].clone()
}

async fn page_records(stack: &RunningStack, connection_id: &str) -> Vec<Value> {
    let mut records = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!(
            "{}/connections/{connection_id}/records?model=page&limit=1000",
            stack.url
        );
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page: Value = http()
            .get(url)
            .bearer_auth(stack.api_key.expose())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        records.extend(page["records"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if page["has_more"] != Value::Bool(true) {
            return records;
        }
    }
}

/// Waits until `runs` sync runs of the connection have completed; returns the sync status.
async fn wait_for_runs(stack: &RunningStack, connection_id: &str, runs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status: Value = http()
            .get(format!("{}/connections/{connection_id}/sync", stack.url))
            .bearer_auth(stack.api_key.expose())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["completed_runs"].as_u64().unwrap_or(0) >= runs && status["current_run"].is_null()
        {
            return status;
        }
        assert_ne!(
            status["connection_status"], "needs_reauth",
            "the connection lost its tokens: {status}"
        );
        assert!(
            Instant::now() < deadline,
            "sync run {runs} did not finish: {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_sync_and_restart_keep_everything() {
    let data_dir = tempfile::tempdir().unwrap();
    let stack = relay_local::start(config(data_dir.path())).await.unwrap();
    let connection_id = connect(&stack).await;

    // The initial sync runs in the background worker: wait for it to finish.
    wait_for_runs(&stack, &connection_id, 1).await;
    let synced = page_records(&stack, &connection_id).await;
    let live_pages = stack
        .emulator
        .as_ref()
        .unwrap()
        .emulator
        .page_ids()
        .into_iter()
        .filter(|id| {
            let page = stack
                .emulator
                .as_ref()
                .unwrap()
                .emulator
                .page_json(id)
                .unwrap();
            page["in_trash"] != Value::Bool(true)
                && page["parent"]["type"] != Value::String("data_source_id".into())
        })
        .count();
    let live_synced = synced
        .iter()
        .filter(|r| r["metadata"]["deleted_at"].is_null())
        .count();
    assert_eq!(
        live_synced, live_pages,
        "every shared page is in the records API"
    );

    let api_key = stack.api_key.expose().to_owned();
    stack.shutdown().await;

    // Same data folder: same key, same connection, same records.
    let again = relay_local::start(config(data_dir.path())).await.unwrap();
    assert_eq!(again.api_key.expose(), api_key);
    let connection: Value = http()
        .get(format!("{}/connections/{connection_id}", again.url))
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(connection["id"], Value::String(connection_id.clone()));
    assert_eq!(
        page_records(&again, &connection_id).await.len(),
        synced.len()
    );

    // The restarted emulator still knows the connection's tokens and what it shared: a sync of
    // the old connection succeeds and picks up an edit.
    let emulator = &again.emulator.as_ref().unwrap().emulator;
    let edited = synced
        .iter()
        .find(|r| r["metadata"]["deleted_at"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator.advance_clock(2);
    emulator.edit_page_title(&edited, "Renamed after a restart");
    let trigger = http()
        .post(format!("{}/connections/{connection_id}/sync", again.url))
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(trigger.status().as_u16(), 202);
    let status = wait_for_runs(&again, &connection_id, 2).await;
    assert_eq!(status["connection_status"], "active", "{status}");
    assert_eq!(status["runs"][0]["status"], "succeeded", "{status}");
    let renamed = page_records(&again, &connection_id)
        .await
        .into_iter()
        .any(|r| {
            r["id"] == Value::String(edited.clone())
                && r["data"]["title"] == "Renamed after a restart"
        });
    assert!(renamed, "the sync after the restart read the edit");
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emulator_edits_reach_the_records_api_through_webhooks() {
    let data_dir = tempfile::tempdir().unwrap();
    let stack = relay_local::start(config(data_dir.path())).await.unwrap();
    let connection_id = connect(&stack).await;
    wait_for_runs(&stack, &connection_id, 1).await;
    let edited = page_records(&stack, &connection_id)
        .await
        .into_iter()
        .find(|r| r["metadata"]["deleted_at"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // No sync is triggered and the connection is not due for minutes: only the webhook path
    // (emulator -> POST /webhooks/notion -> targeted job -> worker) can bring the edit.
    let emulator = &stack.emulator.as_ref().unwrap().emulator;
    emulator.advance_clock(2);
    emulator.edit_page_title(&edited, "Renamed in Notion");
    let waited = std::time::Instant::now();
    loop {
        let renamed = page_records(&stack, &connection_id)
            .await
            .into_iter()
            .any(|r| {
                r["id"] == Value::String(edited.clone())
                    && r["data"]["title"] == "Renamed in Notion"
            });
        if renamed {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "the edit never arrived; deliveries: {:?}",
            emulator.webhook_deliveries().len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let status: Value = http()
        .get(format!("{}/connections/{connection_id}/sync", stack.url))
        .bearer_auth(stack.api_key.expose())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let full_runs = status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|run| run["kind"] != "targeted")
        .count();
    assert_eq!(
        full_runs, 1,
        "no scheduled or manual run brought it: {status}"
    );
    stack.shutdown().await;
}
