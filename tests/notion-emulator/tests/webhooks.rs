//! Signed webhook delivery with retries, and the verification handshake.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bytes::Bytes;
use common::Api;
use hmac::{Hmac, KeyInit, Mac};
use notion_emulator::{EmulatorConfig, WebhookTarget};
use serde_json::{Value, json};
use sha2::Sha256;

#[derive(Default)]
struct Inbox {
    received: Vec<(Option<String>, Bytes)>,
    fail_first: usize,
}

async fn receiver(inbox: Arc<Mutex<Inbox>>) -> String {
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let inbox = inbox.clone();
            async move {
                let mut inbox = inbox.lock().unwrap();
                let sig = headers
                    .get("x-notion-signature")
                    .map(|v| v.to_str().unwrap().to_string());
                inbox.received.push((sig, body));
                if inbox.fail_first > 0 {
                    inbox.fail_first -= 1;
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}/hook")
}

fn verify(token: &str, body: &[u8], header: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    expected == header
}

async fn wait_for(inbox: &Arc<Mutex<Inbox>>, n: usize) {
    for _ in 0..100 {
        if inbox.lock().unwrap().received.len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!(
        "expected {n} webhook requests, got {}",
        inbox.lock().unwrap().received.len()
    );
}

#[tokio::test]
async fn edits_emit_signed_events_with_retries() {
    let inbox = Arc::new(Mutex::new(Inbox {
        fail_first: 1,
        ..Inbox::default()
    }));
    let url = receiver(inbox.clone()).await;
    let token = "secret_verification_token";
    let api = Api::start(EmulatorConfig {
        webhook: Some(WebhookTarget {
            url,
            verification_token: token.to_string(),
        }),
        webhook_retry_delay: Duration::from_millis(20),
        ..EmulatorConfig::default()
    })
    .await;
    let page = api.emu().top_level_ids()[0].clone();
    api.emu().edit_page_title(&page, "Renamed home");
    wait_for(&inbox, 2).await;
    let received = inbox.lock().unwrap().received.clone();
    let (sig1, body1) = &received[0];
    let (sig2, body2) = &received[1];
    assert!(verify(token, body1, sig1.as_deref().unwrap()));
    assert!(verify(token, body2, sig2.as_deref().unwrap()));
    assert!(!verify("wrong", body2, sig2.as_deref().unwrap()));
    let first: Value = serde_json::from_slice(body1).unwrap();
    let retry: Value = serde_json::from_slice(body2).unwrap();
    assert_eq!(first["attempt_number"], 1);
    assert_eq!(retry["attempt_number"], 2);
    assert_eq!(first["id"], retry["id"], "a retry keeps the event id");
    assert_eq!(retry["type"], "page.properties_updated");
    assert_eq!(retry["entity"], json!({"id": page, "type": "page"}));
    assert_eq!(retry["api_version"], "2026-03-11");
    assert_eq!(retry["data"]["parent"]["type"], "space");
    assert_eq!(retry["data"]["updated_properties"], json!(["title"]));
    for key in [
        "id",
        "timestamp",
        "workspace_id",
        "workspace_name",
        "subscription_id",
        "integration_id",
        "type",
        "authors",
        "accessible_by",
        "attempt_number",
        "api_version",
        "entity",
        "data",
    ] {
        assert!(retry.get(key).is_some(), "envelope lacks {key}");
    }
    let recorded = common::fixture("webhook-page-properties-updated.json");
    for key in common::keys(&recorded) {
        assert!(
            retry.get(&key).is_some(),
            "envelope lacks recorded key {key}"
        );
    }
    for _ in 0..50 {
        if !api.emu().webhook_deliveries().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deliveries = api.emu().webhook_deliveries();
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].delivered);
    assert_eq!(deliveries[0].attempts, 2);
}

#[tokio::test]
async fn api_writes_emit_events_and_handshake_is_unsigned() {
    let inbox = Arc::new(Mutex::new(Inbox::default()));
    let url = receiver(inbox.clone()).await;
    let api = Api::default().await;
    api.emu().set_webhook(Some(WebhookTarget {
        url,
        verification_token: "secret_t".into(),
    }));
    let status = api.emu().send_webhook_verification().await.unwrap();
    assert_eq!(status, 200);
    wait_for(&inbox, 1).await;
    {
        let inbox = inbox.lock().unwrap();
        let (sig, body) = &inbox.received[0];
        assert!(sig.is_none());
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v, json!({"verification_token": "secret_t"}));
    }

    let parent = api.emu().top_level_ids()[0].clone();
    let (status, created) = api
        .post("/v1/pages", json!({"parent": {"page_id": parent}, "properties": {"title": {"title": [{"text": {"content": "From the API"}}]}}}))
        .await;
    assert_eq!(status, 200, "{created}");
    let (status, _) = api
        .patch(
            &format!("/v1/blocks/{}/children", created["id"].as_str().unwrap()),
            json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": "hi"}}]}}]}),
        )
        .await;
    assert_eq!(status, 200);
    api.emu().trash_page(created["id"].as_str().unwrap(), true);
    api.emu().trash_page(created["id"].as_str().unwrap(), false);
    let types: Vec<String> = api
        .emu()
        .webhook_events()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    for t in [
        "page.created",
        "page.content_updated",
        "page.deleted",
        "page.undeleted",
    ] {
        assert!(types.iter().any(|x| x == t), "missing {t} in {types:?}");
    }
    let created_event = api
        .emu()
        .webhook_events()
        .into_iter()
        .find(|e| e["type"] == "page.created")
        .unwrap();
    assert_eq!(created_event["authors"][0]["type"], "bot");
    assert_eq!(
        created_event["data"]["parent"],
        json!({"id": parent, "type": "page"})
    );

    let ds = api.emu().data_source_ids()[0].clone();
    let row = api.emu().row_ids(&ds)[0].clone();
    api.emu()
        .update_properties(&row, &json!({"Done": {"checkbox": true}}))
        .unwrap();
    let events = api.emu().webhook_events();
    assert!(events.iter().any(|e| e["type"] == "data_source.content_updated" && e["entity"]["id"] == ds.as_str()));

    let (status, _) = api
        .post(
            "/v1/comments",
            json!({"parent": {"page_id": parent}, "rich_text": [{"text": {"content": "Nice"}}]}),
        )
        .await;
    assert_eq!(status, 200);
    let comment = api
        .emu()
        .webhook_events()
        .into_iter()
        .find(|e| e["type"] == "comment.created")
        .unwrap();
    assert_eq!(comment["data"]["page_id"], parent);

    wait_for(&inbox, 1 + api.emu().webhook_events().len()).await;
}
