//! No token, secret, code or state in plaintext: neither in the raw stored bytes (the embedded
//! data folder), nor on the queue, nor in the logs of a whole connect flow with a refresh, a
//! failed exchange, a wrong API key and a delete. In a test binary of its own: the capturing
//! subscriber must be the process-wide default (tracing decides callsite interest per process).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod connect_support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connect_support::{Relay, location, param};
use relay_shared::connect::TokenManager;
use relay_shared::domain::TokenPair;
use relay_shared::secret::SecretString;
use reqwest::{Method, StatusCode};
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

/// Every file under `dir`, concatenated.
fn raw_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            bytes.extend(raw_bytes(&path));
        } else {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
}

fn assert_absent(what: &str, haystack: &[u8], secrets: &[(&str, String)]) {
    assert!(!haystack.is_empty(), "{what} is empty: nothing was checked");
    for (name, secret) in secrets {
        assert!(
            !contains(haystack, secret),
            "{name} found in plaintext in {what}"
        );
    }
}

#[tokio::test]
async fn no_secret_reaches_storage_the_queue_or_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new("relay_shared=trace"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let relay = Relay::start().await;
    let app = relay.emu.oauth_app();
    let mut secrets: Vec<(&str, String)> = vec![
        ("API key", relay.api_key.clone()),
        ("client secret", app.client_secret.clone()),
    ];

    // The whole connect flow.
    let journey = relay.connect("user-secret").await;
    let id = journey.connection_id();
    secrets.push(("session token", journey.session_token.clone()));
    secrets.push(("state", param(&journey.authorize_url, "state").unwrap()));
    secrets.push(("code", param(&journey.callback_url, "code").unwrap()));
    let first = relay.tokens(&id).await;
    secrets.push(("access token", first.access.expose().to_owned()));
    secrets.push((
        "refresh token",
        first.refresh.clone().unwrap().expose().to_owned(),
    ));

    // A refresh through the token manager after the stored access token died.
    let oauth = relay.ctx.notion.oauth(
        app.client_id.clone(),
        SecretString::new(app.client_secret.clone()),
    );
    let rotated = oauth
        .refresh(first.refresh.as_ref().unwrap())
        .await
        .unwrap();
    secrets.push((
        "rotated access token",
        rotated.access_token.expose().to_owned(),
    ));
    secrets.push((
        "rotated refresh token",
        rotated.refresh_token.clone().unwrap().expose().to_owned(),
    ));
    relay
        .store_tokens(
            &id,
            &TokenPair {
                access: first.access.clone(),
                refresh: rotated.refresh_token.clone(),
            },
        )
        .await;
    let manager = TokenManager::new(relay.ctx.clone());
    manager
        .call(&id, |client| async move { client.me().await })
        .await
        .unwrap();
    let refreshed = relay.tokens(&id).await;
    secrets.push((
        "refreshed access token",
        refreshed.access.expose().to_owned(),
    ));
    secrets.push((
        "refreshed refresh token",
        refreshed.refresh.clone().unwrap().expose().to_owned(),
    ));

    // A failed exchange with a made-up code, and a wrong API key.
    let (_, authorize_url) = relay.begin("user-secret").await;
    let bad_code = "code_made_up_0123456789abcdef";
    secrets.push(("bad code", bad_code.to_owned()));
    secrets.push(("second state", param(&authorize_url, "state").unwrap()));
    let failed = relay
        .callback(
            &relay
                .url(&format!(
                    "/oauth/callback?code={bad_code}&state={}",
                    param(&authorize_url, "state").unwrap()
                ))
                .parse()
                .unwrap(),
        )
        .await;
    assert_eq!(param(&location(&failed), "error").unwrap(), "invalid_grant");
    let wrong_key = "wrong-key-0123456789abcdef";
    secrets.push(("wrong API key", wrong_key.to_owned()));
    let refused = relay
        .http
        .get(relay.url("/connections"))
        .bearer_auth(wrong_key)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    // Raw storage while the connection holds tokens, and the queued job.
    let stored = raw_bytes(relay.dir.path());
    // Positive control: the store's bytes are readable, so a plaintext token would show.
    assert!(contains(&stored, &id.to_string()));
    assert!(contains(&stored, "user-secret"));
    assert_absent("the data folder", &stored, &secrets);
    let jobs = relay
        .ctx
        .adapters
        .queue
        .receive(10, Duration::from_secs(30), Duration::from_millis(50))
        .await
        .unwrap();
    assert!(!jobs.is_empty());
    for job in &jobs {
        let raw = serde_json::to_vec(&job.body).unwrap();
        assert_absent("a queue message", &raw, &secrets);
        assert!(contains(&raw, &id.to_string()));
    }

    // Delete (revokes with the access token), then everything again.
    let deleted = relay
        .api(Method::DELETE, &format!("/connections/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_absent("the data folder", &raw_bytes(relay.dir.path()), &secrets);

    let logs = captured.0.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&logs);
    assert!(text.contains("connection stored"), "logs were not captured");
    assert!(text.contains("token pair refreshed"));
    assert!(text.contains("connection deleted"));
    assert!(text.contains(&id.to_string()));
    assert_absent("the logs", &logs, &secrets);
}
