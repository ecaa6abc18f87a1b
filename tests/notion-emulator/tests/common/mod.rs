//! Shared helpers for the emulator's HTTP tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use notion_emulator::{Emulator, EmulatorConfig, RunningEmulator, TokenGrant};
use serde_json::Value;

pub const VERSION: &str = "2026-03-11";

pub struct Api {
    pub running: RunningEmulator,
    pub http: reqwest::Client,
    pub token: TokenGrant,
}

impl Api {
    pub async fn start(config: EmulatorConfig) -> Api {
        let running = Emulator::start(config).await.expect("emulator starts");
        let token = running.emulator.grant_all();
        Api {
            running,
            http: reqwest::Client::new(),
            token,
        }
    }

    pub async fn default() -> Api {
        Api::start(EmulatorConfig::default()).await
    }

    pub fn emu(&self) -> &Emulator {
        &self.running.emulator
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.running.base_url, path)
    }

    /// A request with the bearer token and Notion-Version.
    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.req_as(&self.token.access_token, method, path)
    }

    pub fn req_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(token)
            .header("Notion-Version", VERSION)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        send(self.req(reqwest::Method::GET, path)).await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> (u16, Value) {
        send(self.req_as(token, reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.req(reqwest::Method::POST, path).json(&body)).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        send(self.req_as(token, reqwest::Method::POST, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        send(self.req(reqwest::Method::PATCH, path).json(&body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        send(self.req(reqwest::Method::DELETE, path)).await
    }

    /// Every result of a GET listing, following cursors.
    pub async fn get_all(&self, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{sep}start_cursor={c}"),
                None => path.to_string(),
            };
            let (status, body) = self.get(&url).await;
            assert_eq!(status, 200, "{body}");
            out.extend(body["results"].as_array().unwrap().iter().cloned());
            match body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        out
    }
}

pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("NOTION_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/fixtures/notion"
            ))
        })
}

pub fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture is JSON")
}

pub fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Asserts equal top-level key sets, naming what differs.
pub fn assert_same_keys(what: &str, ours: &Value, theirs: &Value) {
    let (a, b) = (keys(ours), keys(theirs));
    let missing: Vec<_> = b.difference(&a).collect();
    let extra: Vec<_> = a.difference(&b).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, extra {extra:?}\nours: {ours}"
    );
}
