//! Webhooks out to the app: signatures checked independently, retries against a receiver that
//! fails twice, dead letters (listed and retried through the API) against one that always fails,
//! and events emitted by the sync worker and the connection API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use relay_shared::ports::SecretName;
use relay_shared::secret::SecretString;
use relay_shared::webhooks::outgoing::{self, AppEvent, AppEventKind, AppWebhookConfig};
use relay_shared::webhooks::{AppWebhookSender, DeliveryOptions, DeliveryOutcome};
use serde_json::{Value, json};
use sha2::Sha256;
use sync_support::{Config, Harness};

const SIGNING_SECRET: &str = "whsec_test_signing_SECRET_42";

#[derive(Default)]
struct Inbox {
    requests: Mutex<Vec<(HeaderMap, Bytes)>>,
    /// Answer 500 to this many requests first (`usize::MAX`: always).
    fail_first: AtomicUsize,
}

async fn receiver(inbox: Arc<Inbox>) -> (String, tokio::task::JoinHandle<()>) {
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let inbox = inbox.clone();
            async move {
                inbox.requests.lock().unwrap().push((headers, body));
                let left = inbox.fail_first.load(Ordering::SeqCst);
                if left > 0 {
                    if left != usize::MAX {
                        inbox.fail_first.fetch_sub(1, Ordering::SeqCst);
                    }
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, server)
}

fn fast() -> DeliveryOptions {
    DeliveryOptions {
        max_attempts: 3,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        timeout: Duration::from_secs(2),
    }
}

async fn relay_with_secret() -> Harness {
    let relay = Harness::start(Config::default()).await;
    relay
        .ctx
        .adapters
        .secrets
        .put(
            &SecretName::webhook_signing_secret(),
            &SecretString::new(SIGNING_SECRET),
        )
        .await
        .unwrap();
    relay
}

/// The check an app performs, written from the README's description (not Relay's code).
fn app_verifies(headers: &HeaderMap, body: &[u8]) -> bool {
    let header = headers["relay-signature"].to_str().unwrap();
    let (t, v1) = header.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let v1 = v1.strip_prefix("v1=").unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if (now - t.parse::<i64>().unwrap()).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(SIGNING_SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes()) == v1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_and_retried_until_accepted() {
    let relay = relay_with_secret().await;
    let inbox = Arc::new(Inbox::default());
    inbox.fail_first.store(2, Ordering::SeqCst);
    let (url, _server) = receiver(inbox.clone()).await;
    let sender = AppWebhookSender::new(relay.ctx.clone(), fast());
    let event = AppEvent::new(
        AppEventKind::ConnectionCreated,
        json!({"connection_id": relay.connection_id}),
    );
    let outcome = sender.deliver(&url, &event).await.unwrap();
    assert_eq!(outcome, DeliveryOutcome::Delivered { attempts: 3 });
    let requests = inbox.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3);
    for (headers, body) in requests.iter() {
        assert!(app_verifies(headers, body));
        assert_eq!(headers["relay-event-id"].to_str().unwrap(), event.id);
        let sent: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(sent["id"], event.id.as_str());
        assert_eq!(sent["type"], "connection.created");
        assert!(sent["created_at"].is_string());
        // Another secret, or a body changed by one byte, does not verify.
        let mut changed = body.to_vec();
        changed[1] ^= 1;
        assert!(!app_verifies(headers, &changed));
    }
    assert!(
        relay
            .ctx
            .adapters
            .dead_letters
            .list(None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_always_fails_gets_a_dead_letter_listed_and_retried_through_the_api() {
    let relay = relay_with_secret().await;
    let inbox = Arc::new(Inbox::default());
    inbox.fail_first.store(usize::MAX, Ordering::SeqCst);
    let (url, _server) = receiver(inbox.clone()).await;
    let sender = AppWebhookSender::new(relay.ctx.clone(), fast());
    let event = AppEvent::new(AppEventKind::SyncFinished, json!({"added": 1}));
    let DeliveryOutcome::DeadLettered { id, attempts } =
        sender.deliver(&url, &event).await.unwrap()
    else {
        panic!("expected a dead letter");
    };
    assert_eq!(attempts, 3);
    assert_eq!(inbox.requests.lock().unwrap().len(), 3);

    // Listed through the API (API key only).
    let unauthorized = relay
        .http
        .get(relay.url("/webhooks/app/dead-letters"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    let (status, body) = relay.get("/webhooks/app/dead-letters").await;
    assert_eq!(status, 200, "{body}");
    let letters = body["dead_letters"].as_array().unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["id"], id.as_str());
    assert_eq!(letters[0]["event"]["id"], event.id.as_str());
    assert_eq!(letters[0]["attempts"], 3);
    assert_eq!(letters[0]["last_error"], "HTTP 500");
    assert!(!body.to_string().contains(SIGNING_SECRET));

    // The app is back: a retry delivers it and removes the dead letter.
    inbox.fail_first.store(0, Ordering::SeqCst);
    let retried = relay
        .http
        .post(relay.url(&format!("/webhooks/app/dead-letters/{id}/retry")))
        .bearer_auth(&relay.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 200);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["delivered"], true, "{retried}");
    let (_, body) = relay.get("/webhooks/app/dead-letters").await;
    assert!(body["dead_letters"].as_array().unwrap().is_empty());
    let (headers, last) = inbox.requests.lock().unwrap().last().cloned().unwrap();
    assert!(app_verifies(&headers, &last));
    let missing = relay
        .http
        .post(relay.url("/webhooks/app/dead-letters/0000000000000-ffff/retry"))
        .bearer_auth(&relay.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// The only test here that sets the process-wide configuration: the flows emit, the worker
/// delivers from the queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_runs_and_deletes_emit_events_delivered_by_the_worker() {
    let relay = relay_with_secret().await;
    let inbox = Arc::new(Inbox::default());
    let (url, _server) = receiver(inbox.clone()).await;
    outgoing::set_config(AppWebhookConfig {
        urls: vec![url],
        delivery: fast(),
    });
    relay.initial_sync().await;
    let finished: Vec<Value> = inbox
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).unwrap())
        .filter(|event: &Value| event["type"] == "sync.finished")
        .collect();
    assert_eq!(finished.len(), 1, "{finished:?}");
    let data = &finished[0]["data"];
    assert_eq!(data["connection_id"], relay.connection_id.to_string());
    assert!(data["added"].as_u64().unwrap() > 0);
    assert!(data["run_id"].is_string());
    let cursor = data["cursors"]["page"].as_str().unwrap();
    let (records, _) = relay.changes("page", "0").await;
    assert_eq!(
        records.last().unwrap()["metadata"]["cursor"]
            .as_str()
            .unwrap(),
        cursor
    );

    // A revoked grant: the next run moves the connection to needs_reauth, and the app hears it.
    relay.emu.advance_clock(2);
    relay.emu.revoke(&relay.grant.access_token);
    relay.incremental_sync().await;
    let reauth: Vec<Value> = inbox
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).unwrap())
        .filter(|event: &Value| event["type"] == "connection.needs_reauth")
        .collect();
    assert_eq!(reauth.len(), 1, "{reauth:?}");
    assert_eq!(reauth[0]["data"]["status"], "needs_reauth");
    assert_eq!(
        reauth[0]["data"]["connection_id"],
        relay.connection_id.to_string()
    );

    let deleted = relay
        .http
        .delete(relay.url(&format!("/connections/{}", relay.connection_id)))
        .bearer_auth(&relay.api_key)
        .send()
        .await
        .unwrap();
    assert!(deleted.status().is_success());
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    let requests = inbox.requests.lock().unwrap().clone();
    let types: Vec<String> = requests
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<Value>(body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        types.contains(&"connection.deleted".to_owned()),
        "{types:?}"
    );
    assert!(
        requests
            .iter()
            .all(|(headers, body)| app_verifies(headers, body))
    );
    outgoing::set_config(AppWebhookConfig::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_slower_than_the_timeout_is_retried() {
    let relay = relay_with_secret().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = Router::new().route(
        "/slow",
        post(move || {
            let counter = counter.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let sender = AppWebhookSender::new(
        relay.ctx.clone(),
        DeliveryOptions {
            timeout: Duration::from_millis(200),
            ..fast()
        },
    );
    let event = AppEvent::new(AppEventKind::ConnectionDeleted, json!({}));
    assert_eq!(
        sender.deliver(&url, &event).await.unwrap(),
        DeliveryOutcome::Delivered { attempts: 2 }
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letter_pages_refuse_a_malformed_after() {
    let relay = Harness::start(Config::default()).await;
    let (status, _) = relay
        .get("/webhooks/app/dead-letters?after=0000000000001-ab")
        .await;
    assert_eq!(status, 200);
    let long = "a".repeat(2000);
    for after in ["", "%20x", long.as_str()] {
        let (status, body) = relay
            .get(&format!("/webhooks/app/dead-letters?after={after}"))
            .await;
        assert_eq!(status, 400, "after={after}: {body}");
    }
}
