//! The verification token, the signing secret and signatures never reach the logs (all of
//! `relay_shared` at trace level) nor the database file, through a handshake, verified and refused
//! events, and an app webhook that ends as a dead letter. A test binary of its own: the capturing
//! subscriber must be the process-wide default.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use notion_emulator::WebhookTarget;
use relay_shared::adapters::embedded::db::DB_FILE;
use relay_shared::ports::SecretName;
use relay_shared::routes::webhooks::webhooks_router_with;
use relay_shared::secret::SecretString;
use relay_shared::webhooks::signature::notion_signature;
use relay_shared::webhooks::{
    AppEvent, AppEventKind, AppWebhookSender, DeliveryOptions, DeliveryOutcome, IncomingOptions,
    IncomingWebhooks,
};
use serde_json::json;
use sync_support::{Config, Harness, expected_ids};
use tracing_subscriber::EnvFilter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_secrets_stay_out_of_logs_and_storage() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new("relay_shared=trace"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let token = "secret_VERIFICATION_token_5f1e";
    let signing = "whsec_SIGNING_secret_77aa";
    let relay = Harness::start(Config::default()).await;
    relay
        .ctx
        .adapters
        .secrets
        .put(
            &SecretName::webhook_signing_secret(),
            &SecretString::new(signing),
        )
        .await
        .unwrap();
    let service = IncomingWebhooks::new(relay.ctx.clone(), IncomingOptions::default());
    let router = webhooks_router_with(service.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/notion", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    relay.emu.set_webhook(Some(WebhookTarget {
        url: url.clone(),
        verification_token: token.to_owned(),
    }));
    assert_eq!(relay.emu.send_webhook_verification().await.unwrap(), 200);

    // The emulator delivers a signed event for an edit; one forged event is refused.
    let page = expected_ids(&relay.emu).0[0].clone();
    relay.emu.edit_page_title(&page, "Edited");
    let body = serde_json::to_vec(&json!({
        "id": "0f4b6c1e-0000-4000-8000-000000000001",
        "workspace_id": relay.grant.workspace_id,
        "type": "page.created",
        "entity": {"id": page, "type": "page"},
    }))
    .unwrap();
    let forged = notion_signature("secret_forger", &body);
    let refused = reqwest::Client::new()
        .post(&url)
        .header("X-Notion-Signature", &forged)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let genuine = notion_signature(token, &body);
    let accepted = reqwest::Client::new()
        .post(&url)
        .header("X-Notion-Signature", &genuine)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    for _ in 0..50 {
        if service
            .stats()
            .events
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();

    // An app webhook that fails every attempt.
    let sender = AppWebhookSender::new(
        relay.ctx.clone(),
        DeliveryOptions {
            max_attempts: 2,
            first_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(5),
            timeout: Duration::from_millis(500),
        },
    );
    let event = AppEvent::new(AppEventKind::SyncFinished, json!({"added": 0}));
    let outcome = sender
        .deliver("http://127.0.0.1:9/unreachable", &event)
        .await
        .unwrap();
    assert!(matches!(outcome, DeliveryOutcome::DeadLettered { .. }));

    let logs = captured.0.lock().unwrap().clone();
    assert!(contains(&logs, "webhook verification token stored"));
    assert!(contains(&logs, "webhook event accepted"));
    assert!(contains(&logs, "app webhook dead-lettered"));
    let database = std::fs::read(relay.dir.path().join(DB_FILE)).unwrap();
    for (name, secret) in [
        ("verification token", token.to_owned()),
        ("signing secret", signing.to_owned()),
        ("forged signature", forged.clone()),
        ("genuine signature", genuine.clone()),
    ] {
        assert!(!contains(&logs, &secret), "{name} in the logs");
        assert!(!contains(&database, &secret), "{name} in the database file");
    }
}
