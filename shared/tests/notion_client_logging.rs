//! The client's logs carry ids, never tokens. In a test binary of its own: the subscriber is the
//! process-wide default, so tracing's per-callsite interest cache cannot be decided by another
//! test running in parallel without a subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use notion_emulator::{Emulator, EmulatorConfig};
use relay_shared::config::{BudgetConfig, NotionConfig};
use relay_shared::notion::{NotionClient, RetryPolicy};
use relay_shared::secret::SecretString;

/// Collects everything written by the tracing subscriber.
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

#[tokio::test]
async fn requests_are_logged_with_ids_but_never_tokens() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let running = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let config = NotionConfig {
        base_url: running.base_url.parse().unwrap(),
        budget: BudgetConfig {
            requests_per_second: 200.0,
            burst: 50,
        },
        request_timeout: Duration::from_secs(10),
        ..NotionConfig::default()
    };
    let client = NotionClient::with_retry_policy(&config, RetryPolicy::default()).unwrap();
    let grant = running.emulator.grant_all();
    let notion = client.connection("conn-logged", SecretString::new(grant.access_token.clone()));
    notion.me().await.unwrap();
    let app = running.emulator.oauth_app();
    let oauth = client.oauth(app.client_id, SecretString::new(app.client_secret.clone()));
    let refreshed = oauth
        .refresh(&SecretString::new(grant.refresh_token.clone()))
        .await
        .unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("notion request"), "{logs}");
    assert!(logs.contains("/v1/users/me"));
    assert!(logs.contains("conn-logged"));
    for secret in [
        grant.access_token.as_str(),
        grant.refresh_token.as_str(),
        app.client_secret.as_str(),
        refreshed.access_token.expose(),
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}
