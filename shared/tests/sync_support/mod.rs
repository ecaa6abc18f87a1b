//! A Relay over embedded adapters in a temporary folder, the api router on 127.0.0.1, the Notion
//! emulator with a generated workspace, one connection that sees everything, and the in-process
//! queue runner that plays the sync worker.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use notion_emulator::{
    Emulator, EmulatorConfig, GeneratedWorkspace, RateLimit, RunningEmulator, TokenGrant,
    Workspace, WorkspaceSource,
};
use relay_shared::adapters::Adapters;
use relay_shared::app::{AppContext, Settings};
use relay_shared::config::{BudgetConfig, NotionConfig};
use relay_shared::domain::{
    Connection, ConnectionId, EndUser, EndUserId, RunRecord, SyncJob, TokenPair, Workspace as Ws,
    timestamp,
};
use relay_shared::notion::{NotionClient, RetryPolicy};
use relay_shared::routes;
use relay_shared::secret::SecretString;
use relay_shared::sync::{DrainReport, QueueRunner, SyncOptions, SyncWorker};
use serde_json::{Value, json};
use url::Url;

pub struct Config {
    pub workspace: GeneratedWorkspace,
    pub requests_per_second: f64,
    pub burst: u32,
    pub emulator_rate_limit: Option<RateLimit>,
    pub markdown_record_limit: usize,
    pub options: SyncOptions,
    pub retry: RetryPolicy,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            workspace: GeneratedWorkspace::default(),
            requests_per_second: 500.0,
            burst: 100,
            emulator_rate_limit: None,
            markdown_record_limit: 1_000,
            options: SyncOptions {
                // Tests say when they want a full run.
                reconcile_every: 1_000,
                ..SyncOptions::default()
            },
            retry: RetryPolicy {
                base_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(100),
                ..RetryPolicy::default()
            },
        }
    }
}

pub struct Harness {
    pub running: RunningEmulator,
    pub emu: Emulator,
    pub ctx: AppContext,
    pub dir: tempfile::TempDir,
    pub base: String,
    pub http: reqwest::Client,
    pub api_key: String,
    pub connection_id: ConnectionId,
    pub grant: TokenGrant,
    pub worker: SyncWorker,
    pub runner: QueueRunner,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Harness {
    pub async fn start(config: Config) -> Self {
        let running = Emulator::start(EmulatorConfig {
            workspace: WorkspaceSource::Generated(config.workspace),
            rate_limit: config.emulator_rate_limit,
            markdown_record_limit: config.markdown_record_limit,
            ..EmulatorConfig::default()
        })
        .await
        .unwrap();
        let emu = running.emulator.clone();
        let dir = tempfile::tempdir().unwrap();
        let api_key = format!("relay-test-key-{}", uuid::Uuid::new_v4().simple());
        let app = emu.oauth_app();
        let env = HashMap::from([
            ("RELAY_API_KEY".to_owned(), api_key.clone()),
            ("NOTION_CLIENT_ID".to_owned(), app.client_id.clone()),
            ("NOTION_CLIENT_SECRET".to_owned(), app.client_secret.clone()),
        ]);
        let adapters = Adapters::embedded(dir.path(), env, 5, Duration::from_secs(300)).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let notion = NotionConfig {
            base_url: Url::parse(&running.base_url).unwrap(),
            budget: BudgetConfig {
                requests_per_second: config.requests_per_second,
                burst: config.burst,
            },
            request_timeout: Duration::from_secs(20),
            ..NotionConfig::default()
        };
        let settings = Settings {
            public_url: Url::parse(&base).unwrap(),
            return_url_allowlist: vec![],
            notion: notion.clone(),
        };
        let mut ctx = AppContext::new(adapters, settings).unwrap();
        ctx.notion = NotionClient::with_retry_policy(&notion, config.retry).unwrap();
        let router = routes::api_router(ctx.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });

        let grant = emu.grant_all();
        let connection_id = ConnectionId::random();
        let sealed = ctx
            .adapters
            .tokens
            .seal(
                &connection_id,
                &TokenPair {
                    access: SecretString::new(grant.access_token.clone()),
                    refresh: Some(SecretString::new(grant.refresh_token.clone())),
                },
            )
            .await
            .unwrap();
        let connection = Connection::new(
            connection_id,
            EndUser {
                id: EndUserId::parse("user-1").unwrap(),
                email: None,
                display_name: None,
                organization: None,
            },
            Ws {
                id: grant.workspace_id.clone(),
                name: Some(emu.workspace_name()),
                icon: None,
            },
            grant.bot_id.clone(),
            json!({"type": "user"}),
            sealed,
            timestamp::now(),
        );
        ctx.adapters.connections.create(&connection).await.unwrap();
        let worker = SyncWorker::new(ctx.clone(), config.options);
        let runner = QueueRunner::new(worker.clone(), ctx.adapters.queue.clone());
        Self {
            running,
            emu,
            ctx,
            dir,
            base,
            http: reqwest::Client::new(),
            api_key,
            connection_id,
            grant,
            worker,
            runner,
            server,
        }
    }

    /// Queues `job` and works the queue until it is empty.
    pub async fn sync(&self, job: SyncJob) -> DrainReport {
        let outgoing = job.to_outgoing(&uuid::Uuid::new_v4().to_string()).unwrap();
        self.ctx.adapters.queue.send(&outgoing).await.unwrap();
        self.runner.drain(Duration::from_millis(20)).await.unwrap()
    }

    pub async fn initial_sync(&self) -> DrainReport {
        self.sync(SyncJob::initial(self.connection_id)).await
    }

    pub async fn incremental_sync(&self) -> DrainReport {
        self.sync(SyncJob::scheduled(self.connection_id)).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Every change of `model` after `cursor` through the records API, page by page; returns the
    /// records in order and the cursor to continue from.
    pub async fn changes(&self, model: &str, cursor: &str) -> (Vec<Value>, String) {
        let mut cursor = cursor.to_owned();
        let mut all = Vec::new();
        loop {
            let (status, body) = self
                .get(&format!(
                    "/connections/{}/records?model={model}&cursor={cursor}&limit=500",
                    self.connection_id
                ))
                .await;
            assert_eq!(status, 200, "{body}");
            all.extend(body["records"].as_array().unwrap().iter().cloned());
            cursor = body["next_cursor"].as_str().unwrap().to_owned();
            if !body["has_more"].as_bool().unwrap() {
                return (all, cursor);
            }
        }
    }

    /// The live records of `model` by id (the latest state of every record).
    pub async fn live(&self, model: &str) -> BTreeMap<String, Value> {
        let (records, _) = self.changes(model, "0").await;
        records
            .into_iter()
            .filter(|record| record["metadata"]["last_action"] != "deleted")
            .map(|record| (record["id"].as_str().unwrap().to_owned(), record))
            .collect()
    }

    pub async fn runs(&self) -> Vec<RunRecord> {
        self.ctx
            .adapters
            .sync_state
            .list_runs(&self.connection_id, 50)
            .await
            .unwrap()
    }

    /// The emulator's workspace as a plain copy (for expected values).
    pub fn snapshot(&self) -> Workspace {
        Workspace::from_json(&self.emu.workspace_json()).unwrap()
    }
}

/// The page body the emulator renders without a record limit.
pub fn full_markdown(ws: &Workspace, page_id: &str) -> String {
    notion_emulator::render_markdown::render(ws, page_id, usize::MAX).markdown
}

/// Ids of pages the connection sees that are not rows, and rows, both not in the trash.
pub fn expected_ids(emu: &Emulator) -> (Vec<String>, Vec<String>) {
    let mut pages = Vec::new();
    let mut rows = Vec::new();
    for id in emu.page_ids() {
        let page = emu.page_json(&id).unwrap();
        if page["in_trash"] == true {
            continue;
        }
        if page["parent"]["type"] == "data_source_id" {
            rows.push(id);
        } else {
            pages.push(id);
        }
    }
    (pages, rows)
}

pub fn plain_title(page: &Value) -> String {
    let props = page["properties"].as_object().unwrap();
    let title = props.values().find(|p| p["type"] == "title").unwrap();
    title["title"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["plain_text"].as_str().unwrap_or_default())
        .collect()
}
