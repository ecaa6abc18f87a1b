//! A running Relay (oauth + api routers on 127.0.0.1) over embedded adapters in a temporary
//! folder, beside the Notion emulator, and a browser-like HTTP client that does not follow
//! redirects, so each hop of the connect flow can be checked.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::Duration;

use notion_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use relay_shared::adapters::Adapters;
use relay_shared::app::{AppContext, Settings};
use relay_shared::config::{BudgetConfig, NotionConfig};
use relay_shared::connect::ConnectOptions;
use relay_shared::domain::{Connection, ConnectionId, TokenPair};
use relay_shared::routes;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use url::Url;

pub const RETURN_URL: &str = "http://app.test/settings/notion";

pub struct Relay {
    pub running: RunningEmulator,
    pub emu: Emulator,
    pub ctx: AppContext,
    pub dir: tempfile::TempDir,
    /// Relay's own base URL.
    pub base: String,
    pub http: reqwest::Client,
    pub api_key: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// What the browser saw on its way through the connect flow.
#[derive(Debug, Clone)]
pub struct Journey {
    pub session_token: String,
    /// Relay's 302 to Notion's authorize URL.
    pub authorize_url: Url,
    /// The emulator's 302 back to Relay's callback (with `code` and `state`).
    pub callback_url: Url,
    /// Relay's final 302 to the return URL.
    pub final_url: Url,
}

impl Journey {
    pub fn connection_id(&self) -> ConnectionId {
        ConnectionId::parse(&param(&self.final_url, "connection_id").expect("connection_id"))
            .unwrap()
    }
}

/// The first value of `key` in the URL's query.
pub fn param(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

pub fn location(response: &reqwest::Response) -> Url {
    assert_eq!(response.status(), StatusCode::FOUND, "expected a redirect");
    let raw = response.headers()["location"].to_str().unwrap();
    Url::parse(raw).unwrap()
}

impl Relay {
    pub async fn start() -> Self {
        Self::start_with(ConnectOptions::default()).await
    }

    pub async fn start_with(options: ConnectOptions) -> Self {
        let running = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let emu = running.emulator.clone();
        let app = emu.oauth_app();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let api_key = format!("relay-test-key-{}", uuid::Uuid::new_v4().simple());
        let env = HashMap::from([
            ("RELAY_API_KEY".to_owned(), api_key.clone()),
            ("NOTION_CLIENT_ID".to_owned(), app.client_id.clone()),
            ("NOTION_CLIENT_SECRET".to_owned(), app.client_secret.clone()),
        ]);
        let adapters = Adapters::embedded(dir.path(), env, 5, Duration::from_secs(300)).unwrap();
        let settings = Settings {
            public_url: Url::parse(&base).unwrap(),
            return_url_allowlist: vec![RETURN_URL.to_owned(), "https://other.test/".to_owned()],
            notion: NotionConfig {
                base_url: Url::parse(&running.base_url).unwrap(),
                budget: BudgetConfig {
                    requests_per_second: 500.0,
                    burst: 100,
                },
                request_timeout: Duration::from_secs(10),
                ..NotionConfig::default()
            },
        };
        let ctx = AppContext::new(adapters, settings).unwrap();
        let router =
            routes::oauth_router_with(ctx.clone(), options).merge(routes::api_router(ctx.clone()));
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        Self {
            running,
            emu,
            ctx,
            dir,
            base,
            http,
            api_key,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /connect/sessions` with the API key; asserts 201 and returns the body.
    pub async fn create_session(&self, end_user_id: &str) -> Value {
        let response = self
            .http
            .post(self.url("/connect/sessions"))
            .bearer_auth(&self.api_key)
            .json(&json!({
                "end_user": {"id": end_user_id, "email": "ada@example.test", "display_name": "Ada"},
                "return_url": RETURN_URL,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// Session, then Relay's redirect to Notion: returns the session token and authorize URL.
    pub async fn begin(&self, end_user_id: &str) -> (String, Url) {
        let session = self.create_session(end_user_id).await;
        let token = session["session_token"].as_str().unwrap().to_owned();
        let connect_url = session["connect_url"].as_str().unwrap().to_owned();
        let response = self.http.get(&connect_url).send().await.unwrap();
        (token, location(&response))
    }

    /// The emulator's consent step (auto-approved): its redirect back to Relay.
    pub async fn authorize(&self, authorize_url: &Url) -> Url {
        let response = self.http.get(authorize_url.clone()).send().await.unwrap();
        location(&response)
    }

    /// Relay's callback: its final redirect.
    pub async fn callback(&self, callback_url: &Url) -> reqwest::Response {
        self.http.get(callback_url.clone()).send().await.unwrap()
    }

    /// The whole flow for `end_user_id`, asserting each hop.
    pub async fn connect(&self, end_user_id: &str) -> Journey {
        let (session_token, authorize_url) = self.begin(end_user_id).await;
        let callback_url = self.authorize(&authorize_url).await;
        let response = self.callback(&callback_url).await;
        let final_url = location(&response);
        Journey {
            session_token,
            authorize_url,
            callback_url,
            final_url,
        }
    }

    pub async fn stored(&self, id: &ConnectionId) -> Option<Connection> {
        self.ctx.adapters.connections.get(id).await.unwrap()
    }

    /// The connection's tokens, opened.
    pub async fn tokens(&self, id: &ConnectionId) -> TokenPair {
        let connection = self.stored(id).await.expect("connection");
        self.ctx
            .adapters
            .tokens
            .open(id, connection.tokens.as_ref().expect("tokens"))
            .await
            .unwrap()
    }

    /// Replaces the stored pair (versioned put), as a test setup step.
    pub async fn store_tokens(&self, id: &ConnectionId, pair: &TokenPair) {
        let mut connection = self.stored(id).await.unwrap();
        connection.tokens = Some(self.ctx.adapters.tokens.seal(id, pair).await.unwrap());
        self.ctx
            .adapters
            .connections
            .put(&connection)
            .await
            .unwrap();
    }

    /// An authenticated API request.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.api_key)
    }
}
