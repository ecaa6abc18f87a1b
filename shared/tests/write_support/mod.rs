//! A connected Relay (connect_support) with the pages route served beside it, and helpers to
//! read what the emulator holds.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use relay_shared::app::AppContext;
use relay_shared::domain::ConnectionId;
use relay_shared::markdown::{BlockNode, blocks_to_markdown, to_blocks};
use relay_shared::notion::model::Block;
use relay_shared::notion::{NotionClient, RetryPolicy};
use relay_shared::routes;
use reqwest::StatusCode;
use serde_json::Value;

use crate::connect_support::Relay;

pub struct Writer {
    pub relay: Relay,
    pub ctx: AppContext,
    pub connection: ConnectionId,
    base: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

impl Answer {
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

impl Writer {
    /// A Relay with one connection (end user `writer`) that sees the whole emulated workspace.
    /// Rate-limit answers are returned at once instead of waited out, so tests can inject them.
    pub async fn start() -> Self {
        let relay = Relay::start().await;
        let journey = relay.connect("writer").await;
        let connection = journey.connection_id();
        let mut ctx = relay.ctx.clone();
        let policy = RetryPolicy {
            max_rate_limit_retries: 0,
            max_inline_wait: Duration::from_millis(10),
            ..RetryPolicy::default()
        };
        ctx.notion = NotionClient::with_retry_policy(ctx.notion.config(), policy).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = routes::pages_router(ctx.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            relay,
            ctx,
            connection,
            base,
            server,
        }
    }

    /// The pages route of this connection.
    pub fn pages_url(&self) -> String {
        format!("{}/connections/{}/pages", self.base, self.connection)
    }

    /// `POST /connections/{id}/pages`.
    pub async fn create(&self, body: &Value, key: Option<&str>) -> Answer {
        self.create_raw(serde_json::to_vec(body).unwrap(), key)
            .await
    }

    pub async fn create_raw(&self, body: Vec<u8>, key: Option<&str>) -> Answer {
        let mut request = self
            .relay
            .http
            .post(format!(
                "{}/connections/{}/pages",
                self.base, self.connection
            ))
            .bearer_auth(&self.relay.api_key)
            .header("content-type", "application/json")
            .body(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer { status, body }
    }

    /// Pages the emulator holds (rows included).
    pub fn page_count(&self) -> usize {
        self.relay.emu.sizes().0
    }

    /// A page at the top of the workspace (not a database).
    pub fn top_page(&self) -> String {
        self.relay
            .emu
            .top_level_ids()
            .into_iter()
            .find(|id| self.relay.emu.page_json(id).is_some())
            .expect("a top-level page")
    }

    /// The block tree under `id`, as Notion holds it.
    pub fn tree(&self, id: &str) -> Vec<BlockNode> {
        self.relay
            .emu
            .block_children_json(id)
            .into_iter()
            .map(|json| {
                let block_id = json["id"].as_str().unwrap().to_owned();
                let has_children = json["has_children"].as_bool().unwrap_or(false);
                let block: Block = serde_json::from_value(json).unwrap();
                BlockNode {
                    block,
                    children: if has_children {
                        self.tree(&block_id)
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect()
    }

    /// The page body rendered back to Markdown.
    pub fn body_markdown(&self, page_id: &str) -> String {
        blocks_to_markdown(&self.tree(page_id))
    }
}

/// What `markdown` should look like once written: its blocks rendered back.
pub fn expected_markdown(markdown: &str) -> String {
    blocks_to_markdown(&BlockNode::from_requests(
        to_blocks(markdown).unwrap().blocks,
    ))
}

/// Blocks (all levels) of a tree.
pub fn count_blocks(nodes: &[BlockNode]) -> usize {
    nodes
        .iter()
        .map(|node| 1 + count_blocks(&node.children))
        .sum()
}

/// A long document: more than 1,000 blocks with deep lists, paragraphs over 2,000
/// characters, tables over 100 rows, code, quotes, to-dos and dividers.
pub fn long_document() -> String {
    let mut md = String::from(
        "# Release notes\n\nIntro with **bold**, *italic*, `code` and a [link](https://example.com).\n\n",
    );
    for section in 0..8 {
        md.push_str(&format!("## Section {section}\n\n"));
        let long: String = (0..120)
            .map(|i| format!("sentence {section}-{i} of a long paragraph with ünïcödé 🙂. "))
            .collect();
        md.push_str(&long);
        md.push_str("\n\n");
        for item in 0..30 {
            md.push_str(&format!("- item {section}.{item}\n"));
            md.push_str(&format!("  - child {section}.{item}\n"));
            md.push_str(&format!("    - grandchild {section}.{item}\n"));
            md.push_str(&format!("      - great-grandchild {section}.{item}\n"));
        }
        md.push('\n');
        for item in 0..10 {
            md.push_str(&format!("{}. step {section}.{item}\n", item + 1));
        }
        md.push_str("\n- [ ] open task\n- [x] done task\n\n> a quote\n> on two lines\n\n---\n\n");
        md.push_str("```rust\n");
        for line in 0..80 {
            md.push_str(&format!(
                "let value_{line} = compute({line}); // line {line}\n"
            ));
        }
        md.push_str("```\n\n");
    }
    md.push_str("| id | name | note |\n|---|---|---|\n");
    for row in 0..130 {
        md.push_str(&format!("| {row} | name {row} | *note* {row} |\n"));
    }
    md.push_str("\nThe end.\n");
    md
}

/// An ephemeral store that never finishes the `stall_at`-th write of an `incomplete`
/// idempotency record: the process "dies" right after Notion applied an append, before the
/// checkpoint that would have recorded it.
pub struct StallingStore {
    inner: std::sync::Arc<dyn relay_shared::ports::EphemeralStore>,
    stall_at: usize,
    seen: std::sync::atomic::AtomicUsize,
}

impl StallingStore {
    pub fn wrap(
        inner: std::sync::Arc<dyn relay_shared::ports::EphemeralStore>,
        stall_at: usize,
    ) -> std::sync::Arc<dyn relay_shared::ports::EphemeralStore> {
        std::sync::Arc::new(Self {
            inner,
            stall_at,
            seen: std::sync::atomic::AtomicUsize::new(0),
        })
    }
}

#[async_trait::async_trait]
impl relay_shared::ports::EphemeralStore for StallingStore {
    async fn put_if_absent(
        &self,
        namespace: relay_shared::ports::EphemeralNamespace,
        key: &str,
        value: &Value,
        ttl: Duration,
    ) -> Result<bool, relay_shared::ports::StoreError> {
        self.inner.put_if_absent(namespace, key, value, ttl).await
    }

    async fn put(
        &self,
        namespace: relay_shared::ports::EphemeralNamespace,
        key: &str,
        value: &Value,
        ttl: Duration,
    ) -> Result<(), relay_shared::ports::StoreError> {
        if value["state"] == "incomplete" {
            let seen = self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            if seen == self.stall_at {
                std::future::pending::<()>().await;
            }
        }
        self.inner.put(namespace, key, value, ttl).await
    }

    async fn get(
        &self,
        namespace: relay_shared::ports::EphemeralNamespace,
        key: &str,
    ) -> Result<Option<relay_shared::ports::EphemeralItem>, relay_shared::ports::StoreError> {
        self.inner.get(namespace, key).await
    }

    async fn take(
        &self,
        namespace: relay_shared::ports::EphemeralNamespace,
        key: &str,
    ) -> Result<Option<relay_shared::ports::EphemeralItem>, relay_shared::ports::StoreError> {
        self.inner.take(namespace, key).await
    }

    async fn delete(
        &self,
        namespace: relay_shared::ports::EphemeralNamespace,
        key: &str,
    ) -> Result<(), relay_shared::ports::StoreError> {
        self.inner.delete(namespace, key).await
    }
}
