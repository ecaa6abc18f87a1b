//! Notion webhooks in: the handshake, signature checks on the raw bytes, deduplication, routing
//! to every connection of a workspace, burst collapsing, and an edit in the emulator reaching the
//! records API through the webhook path alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync_support;

use std::time::Duration;

use notion_emulator::WebhookTarget;
use relay_shared::domain::{
    Connection, ConnectionId, EndUser, EndUserId, OutgoingJob, ReceiptHandle, ReceivedJob,
    RecordModel, SendFailure, SendReport, TokenPair, Workspace, timestamp,
};
use relay_shared::ports::{
    EphemeralItem, EphemeralNamespace, EphemeralStore, JobQueue, QueueError, SecretName, StoreError,
};
use relay_shared::routes::webhooks::webhooks_router_with;
use relay_shared::secret::SecretString;
use relay_shared::webhooks::signature::notion_signature;
use relay_shared::webhooks::{IncomingOptions, IncomingWebhooks};
use serde_json::{Value, json};
use sync_support::{Config, Harness, expected_ids};

const TOKEN: &str = "secret_webhook_verification_TOKEN_1";

/// The webhooks router on loopback, in front of the harness's Relay.
struct Hook {
    url: String,
    service: IncomingWebhooks,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Hook {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Hook {
    async fn start(relay: &Harness) -> Self {
        let service = IncomingWebhooks::new(relay.ctx.clone(), IncomingOptions::default());
        let router = webhooks_router_with(service.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/notion", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            url,
            service,
            http: reqwest::Client::new(),
            server,
        }
    }

    /// The emulator's own handshake against this hook.
    async fn verify_with(&self, relay: &Harness, token: &str) -> u16 {
        relay.emu.set_webhook(Some(WebhookTarget {
            url: self.url.clone(),
            verification_token: token.to_owned(),
        }));
        relay.emu.send_webhook_verification().await.unwrap()
    }

    async fn post(&self, body: &[u8], signature: Option<&str>) -> (u16, Value) {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("X-Notion-Signature", signature);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post_signed(&self, body: &[u8]) -> (u16, Value) {
        self.post(body, Some(&notion_signature(TOKEN, body))).await
    }
}

fn event(id: &str, workspace: &str, kind: &str, entity_type: &str, entity_id: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id,
        "timestamp": "2026-11-23T10:00:00.000Z",
        "workspace_id": workspace,
        "workspace_name": "Test",
        "subscription_id": "sub-1",
        "integration_id": "int-1",
        "type": kind,
        "authors": [{"id": "u1", "type": "person"}],
        "attempt_number": 1,
        "api_version": "2026-03-11",
        "entity": {"id": entity_id, "type": entity_type},
        "data": {"parent": {"id": "x", "type": "space"}},
    }))
    .unwrap()
}

fn event_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Starts a Relay and a hook that already did the handshake with [`TOKEN`].
async fn verified() -> (Harness, Hook) {
    let relay = Harness::start(Config::default()).await;
    let hook = Hook::start(&relay).await;
    assert_eq!(hook.verify_with(&relay, TOKEN).await, 200);
    // Tests post their own events: the emulator stops delivering.
    relay.emu.set_webhook(None);
    (relay, hook)
}

fn first_page(relay: &Harness) -> String {
    expected_ids(&relay.emu).0[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handshake_stores_the_token_until_it_verified_an_event() {
    let relay = Harness::start(Config::default()).await;
    let hook = Hook::start(&relay).await;
    let name = SecretName::webhook_verification_token();
    assert_eq!(hook.verify_with(&relay, "secret_first").await, 200);
    assert_eq!(
        relay
            .ctx
            .adapters
            .secrets
            .get(&name)
            .await
            .unwrap()
            .expose(),
        "secret_first"
    );
    // Not yet used: a new subscription's handshake replaces it.
    assert_eq!(hook.verify_with(&relay, TOKEN).await, 200);
    assert_eq!(
        relay
            .ctx
            .adapters
            .secrets
            .get(&name)
            .await
            .unwrap()
            .expose(),
        TOKEN
    );
    relay.emu.set_webhook(None);
    let body = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.created",
        "page",
        &first_page(&relay),
    );
    assert_eq!(hook.post_signed(&body).await.0, 200);
    // The token verified an event: an (unsigned) handshake can no longer replace it.
    let (status, answer) = hook
        .post(br#"{"verification_token":"secret_attacker"}"#, None)
        .await;
    assert_eq!(status, 409, "{answer}");
    relay.ctx.adapters.secrets.invalidate(&name);
    assert_eq!(
        relay
            .ctx
            .adapters
            .secrets
            .get(&name)
            .await
            .unwrap()
            .expose(),
        TOKEN
    );
    // Repeating the current token's handshake is harmless.
    let repeat = serde_json::to_vec(&json!({"verification_token": TOKEN})).unwrap();
    assert_eq!(hook.post(&repeat, None).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_delivered_three_times_is_processed_once() {
    let (relay, hook) = verified().await;
    let page = first_page(&relay);
    let body = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.content_updated",
        "page",
        &page,
    );
    let (status, first) = hook.post_signed(&body).await;
    assert_eq!((status, first["jobs"].as_u64()), (200, Some(1)), "{first}");
    for _ in 0..2 {
        let (status, again) = hook.post_signed(&body).await;
        assert_eq!(status, 200);
        assert_eq!(again["duplicate"], true, "{again}");
    }
    relay.emu.reset_counters();
    let report = relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    assert_eq!(report.handled, 1);
    assert_eq!(relay.emu.counters().endpoint("GET /v1/pages/{id}"), 1);
    let stats = hook.service.stats();
    assert_eq!(
        stats.duplicates.load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unverified_requests_are_refused_and_queue_nothing() {
    let (relay, hook) = verified().await;
    let page = first_page(&relay);
    let body = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.deleted",
        "page",
        &page,
    );
    // Signed with another key.
    let (status, answer) = hook
        .post(&body, Some(&notion_signature("secret_other", &body)))
        .await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_signature");
    // A captured delivery replayed with one byte changed (the event id's last character).
    let signature = notion_signature(TOKEN, &body);
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b',').unwrap() - 2;
    tampered[at] = if tampered[at] == b'0' { b'1' } else { b'0' };
    assert_ne!(tampered, body);
    assert_eq!(hook.post(&tampered, Some(&signature)).await.0, 401);
    // No header at all, an empty one, one without the scheme.
    assert_eq!(hook.post(&body, None).await.0, 401);
    assert_eq!(hook.post(&body, Some("")).await.0, 401);
    let bare = signature.trim_start_matches("sha256=").to_owned();
    assert_eq!(hook.post(&body, Some(&bare)).await.0, 401);
    // Verified but malformed, and too large.
    let (status, answer) = hook.post_signed(b"{not json").await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(hook.post_signed(br#"{"id":"e1"}"#).await.0, 400);
    let huge = vec![b' '; 300 * 1024];
    assert_eq!(hook.post_signed(&huge).await.0, 413);

    let report = relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    assert_eq!(
        report.handled + report.deferred + report.failed,
        0,
        "{report:?}"
    );
    // Nothing was recorded either: the genuine delivery is still processed.
    let (status, answer) = hook.post(&body, Some(&signature)).await;
    assert_eq!(
        (status, answer["jobs"].as_u64()),
        (200, Some(1)),
        "{answer}"
    );
}

/// A second connection (another end user) to the harness's workspace.
async fn second_connection(relay: &Harness) -> ConnectionId {
    let grant = relay.emu.grant_all();
    let id = ConnectionId::random();
    let sealed = relay
        .ctx
        .adapters
        .tokens
        .seal(
            &id,
            &TokenPair {
                access: SecretString::new(grant.access_token.clone()),
                refresh: Some(SecretString::new(grant.refresh_token.clone())),
            },
        )
        .await
        .unwrap();
    let connection = Connection::new(
        id,
        EndUser {
            id: EndUserId::parse("user-2").unwrap(),
            email: None,
            display_name: None,
            organization: None,
        },
        Workspace {
            id: grant.workspace_id.clone(),
            name: None,
            icon: None,
        },
        grant.bot_id.clone(),
        json!({"type": "user"}),
        sealed,
        timestamp::now(),
    );
    relay
        .ctx
        .adapters
        .connections
        .create(&connection)
        .await
        .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_of_the_workspace_gets_the_work() {
    let (relay, hook) = verified().await;
    let second = second_connection(&relay).await;
    let routed = relay
        .ctx
        .adapters
        .connections
        .list_by_workspace(&relay.grant.workspace_id)
        .await
        .unwrap();
    assert_eq!(routed.len(), 2);
    let page = first_page(&relay);
    let body = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.properties_updated",
        "page",
        &page,
    );
    let (status, answer) = hook.post_signed(&body).await;
    assert_eq!(
        (status, answer["jobs"].as_u64()),
        (200, Some(2)),
        "{answer}"
    );
    // Events of other workspaces reach nobody.
    let other = event(
        &event_id(),
        "another-workspace",
        "page.created",
        "page",
        &page,
    );
    let (_, answer) = hook.post_signed(&other).await;
    assert_eq!(answer["jobs"].as_u64(), Some(0));

    relay.emu.reset_counters();
    let report = relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    assert_eq!(report.handled, 2);
    assert_eq!(relay.emu.counters().endpoint("GET /v1/pages/{id}"), 2);
    for connection in [relay.connection_id, second] {
        let key = relay_shared::domain::RecordKey {
            connection_id: connection,
            model: RecordModel::Page,
            record_id: relay_shared::domain::RecordId::parse(&page).unwrap(),
        };
        assert!(
            relay
                .ctx
                .adapters
                .records
                .get(&key)
                .await
                .unwrap()
                .is_some()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_fifty_events_for_one_page_makes_one_refetch() {
    let (relay, hook) = verified().await;
    let page = first_page(&relay);
    let mut jobs = 0;
    for _ in 0..50 {
        let body = event(
            &event_id(),
            &relay.grant.workspace_id,
            "page.content_updated",
            "page",
            &page,
        );
        let (status, answer) = hook.post_signed(&body).await;
        assert_eq!(status, 200);
        jobs += answer["jobs"].as_u64().unwrap();
    }
    assert_eq!(jobs, 1);
    relay.emu.reset_counters();
    let report = relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    assert_eq!(report.handled, 1);
    assert_eq!(relay.emu.counters().endpoint("GET /v1/pages/{id}"), 1);
    // Once the worker started, the next event queues a new re-fetch (nothing is lost).
    let body = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.content_updated",
        "page",
        &page,
    );
    assert_eq!(hook.post_signed(&body).await.1["jobs"].as_u64(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_database_events_are_accepted() {
    let (relay, hook) = verified().await;
    let workspace = relay.grant.workspace_id.clone();
    let unknown = event(&event_id(), &workspace, "page.teleported", "page", "p1");
    let (status, answer) = hook.post_signed(&unknown).await;
    assert_eq!((status, answer["jobs"].as_u64()), (200, Some(0)));
    let view = event(&event_id(), &workspace, "view.updated", "view", "v1");
    assert_eq!(hook.post_signed(&view).await.0, 200);
    let stats = hook.service.stats();
    assert_eq!(
        stats
            .unknown_types
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert_eq!(
        stats
            .ignored_types
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );

    // A database the copy does not know yet: an incremental sync finds it.
    let database = relay.emu.database_ids()[0].clone();
    let body = event(
        &event_id(),
        &workspace,
        "database.schema_updated",
        "database",
        &database,
    );
    assert_eq!(hook.post_signed(&body).await.1["jobs"].as_u64(), Some(1));
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    // Now known: its data sources are refreshed directly.
    let body = event(
        &event_id(),
        &workspace,
        "database.content_updated",
        "database",
        &database,
    );
    let (_, answer) = hook.post_signed(&body).await;
    assert!(answer["jobs"].as_u64().unwrap() >= 1, "{answer}");
    let source = relay.emu.data_source_ids()[0].clone();
    let body = event(
        &event_id(),
        &workspace,
        "data_source.content_updated",
        "data_source",
        &source,
    );
    assert_eq!(hook.post_signed(&body).await.0, 200);
    let report = relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_reaches_the_records_api_through_the_webhook_path_alone() {
    let relay = Harness::start(Config::default()).await;
    relay.initial_sync().await;
    let hook = Hook::start(&relay).await;
    assert_eq!(hook.verify_with(&relay, TOKEN).await, 200);
    let page = first_page(&relay);
    let runs_before = relay.runs().await.len();

    // The emulator signs and delivers the event itself.
    relay
        .emu
        .edit_page_title(&page, "Edited in Notion, delivered by webhook");
    let mut title = Value::Null;
    for _ in 0..100 {
        relay.runner.drain(Duration::from_millis(20)).await.unwrap();
        title = relay.live("page").await[&page]["data"]["title"].clone();
        if title == "Edited in Notion, delivered by webhook" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(title, "Edited in Notion, delivered by webhook");
    let stats = hook.service.stats();
    assert!(stats.events.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    // Only targeted work ran: no sync run was started.
    let runs = relay.runs().await;
    assert!(runs.len() > runs_before);
    assert!(
        runs[..runs.len() - runs_before]
            .iter()
            .all(|run| run.kind == "targeted"),
        "{:?}",
        runs.iter().map(|run| run.kind.clone()).collect::<Vec<_>>()
    );

    // A stale, reordered delivery for the page re-reads the current state: nothing goes back.
    relay.emu.set_webhook(None);
    let stale = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.created",
        "page",
        &page,
    );
    assert_eq!(hook.post_signed(&stale).await.0, 200);
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    assert_eq!(
        relay.live("page").await[&page]["data"]["title"],
        "Edited in Notion, delivered by webhook"
    );
}

/// The edit of `page` made after `edit` reaches the records API once the queue is drained.
async fn title_after_drain(relay: &Harness, page: &str) -> Value {
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    relay.live("page").await[page]["data"]["title"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_event_whose_mark_was_lost_does_not_swallow_later_events() {
    let (relay, hook) = verified().await;
    let page = first_page(&relay);
    let id = event_id();
    let body = event(
        &id,
        &relay.grant.workspace_id,
        "page.content_updated",
        "page",
        &page,
    );
    assert_eq!(hook.post_signed(&body).await.1["jobs"].as_u64(), Some(1));
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    // The "processed" mark was never written (its put failed, or the function timed out after
    // queueing): Notion redelivers the same event after the worker already ran its job.
    relay
        .ctx
        .adapters
        .ephemeral
        .delete(EphemeralNamespace::WEBHOOK_EVENT, &id)
        .await
        .unwrap();
    assert_eq!(hook.post_signed(&body).await.0, 200);
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    // A later edit and its event must still reach the records API.
    relay
        .emu
        .edit_page_title(&page, "Edited after a redelivery");
    let later = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.content_updated",
        "page",
        &page,
    );
    assert_eq!(hook.post_signed(&later).await.0, 200);
    assert_eq!(
        title_after_drain(&relay, &page).await,
        "Edited after a redelivery"
    );
}

/// A queue whose sends to one group fail (one connection's job in a batch does not go out).
struct FailingGroup {
    inner: std::sync::Arc<dyn JobQueue>,
    group: ConnectionId,
}

#[async_trait::async_trait]
impl JobQueue for FailingGroup {
    async fn send(&self, job: &OutgoingJob) -> Result<(), QueueError> {
        if job.group == self.group {
            return Err(QueueError::Backend("injected".into()));
        }
        self.inner.send(job).await
    }

    async fn send_batch(&self, jobs: &[OutgoingJob]) -> Result<SendReport, QueueError> {
        let mut report = SendReport::default();
        for (index, job) in jobs.iter().enumerate() {
            match self.send(job).await {
                Ok(()) => report.sent += 1,
                Err(error) => report.failed.push(SendFailure {
                    index,
                    code: "injected".into(),
                    message: error.to_string(),
                }),
            }
        }
        Ok(report)
    }

    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<ReceivedJob>, QueueError> {
        self.inner.receive(max, visibility, wait).await
    }

    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), QueueError> {
        self.inner.ack(receipt).await
    }

    async fn set_visibility(
        &self,
        receipt: &ReceiptHandle,
        visibility: Duration,
    ) -> Result<(), QueueError> {
        self.inner.set_visibility(receipt, visibility).await
    }

    async fn dead_letters(&self, max: usize) -> Result<Vec<ReceivedJob>, QueueError> {
        self.inner.dead_letters(max).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partly_queued_event_loses_no_later_update_for_either_connection() {
    let (relay, hook) = verified().await;
    let second = second_connection(&relay).await;
    let page = first_page(&relay);
    let mut failing = relay.ctx.clone();
    failing.adapters.queue = std::sync::Arc::new(FailingGroup {
        inner: relay.ctx.adapters.queue.clone(),
        group: second,
    });
    let flaky = IncomingWebhooks::new(failing, IncomingOptions::default());
    let id = event_id();
    let body = event(
        &id,
        &relay.grant.workspace_id,
        "page.content_updated",
        "page",
        &page,
    );
    let signature = notion_signature(TOKEN, &body);
    assert!(flaky.handle(Some(&signature), &body).await.is_err());
    // The first connection's job went out and runs; then Notion redelivers the event.
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    let (status, answer) = hook.post_signed(&body).await;
    assert_eq!(status, 200, "{answer}");
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    relay
        .emu
        .edit_page_title(&page, "Edited after a partial send");
    let later = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.content_updated",
        "page",
        &page,
    );
    assert_eq!(hook.post_signed(&later).await.0, 200);
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    for connection in [relay.connection_id, second] {
        let key = relay_shared::domain::RecordKey {
            connection_id: connection,
            model: RecordModel::Page,
            record_id: relay_shared::domain::RecordId::parse(&page).unwrap(),
        };
        let record = relay.ctx.adapters.records.get(&key).await.unwrap().unwrap();
        assert!(
            record
                .payload
                .to_string()
                .contains("Edited after a partial send"),
            "connection {connection}: the later edit is missing"
        );
    }
}

/// An ephemeral store whose `fail_at`-th `put_if_absent` (0-based) fails.
struct FlakyClaims {
    inner: std::sync::Arc<dyn EphemeralStore>,
    calls: std::sync::atomic::AtomicUsize,
    fail_at: usize,
}

#[async_trait::async_trait]
impl EphemeralStore for FlakyClaims {
    async fn put_if_absent(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
        value: &Value,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let call = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if call == self.fail_at {
            return Err(StoreError::Backend("injected".into()));
        }
        self.inner.put_if_absent(namespace, key, value, ttl).await
    }

    async fn put(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
        value: &Value,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.inner.put(namespace, key, value, ttl).await
    }

    async fn get(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
    ) -> Result<Option<EphemeralItem>, StoreError> {
        self.inner.get(namespace, key).await
    }

    async fn take(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
    ) -> Result<Option<EphemeralItem>, StoreError> {
        self.inner.take(namespace, key).await
    }

    async fn delete(&self, namespace: EphemeralNamespace, key: &str) -> Result<(), StoreError> {
        self.inner.delete(namespace, key).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_failure_between_two_claims_loses_no_later_update() {
    let (relay, hook) = verified().await;
    let second = second_connection(&relay).await;
    let page = first_page(&relay);
    let mut failing = relay.ctx.clone();
    // The first connection's marker is claimed, the second claim fails: nothing is queued.
    failing.adapters.ephemeral = std::sync::Arc::new(FlakyClaims {
        inner: relay.ctx.adapters.ephemeral.clone(),
        calls: std::sync::atomic::AtomicUsize::new(0),
        fail_at: 1,
    });
    let flaky = IncomingWebhooks::new(failing, IncomingOptions::default());
    let body = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.content_updated",
        "page",
        &page,
    );
    let signature = notion_signature(TOKEN, &body);
    assert!(flaky.handle(Some(&signature), &body).await.is_err());
    // Notion redelivers; later the page is edited again.
    assert_eq!(hook.post_signed(&body).await.0, 200);
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    relay
        .emu
        .edit_page_title(&page, "Edited after a failed claim");
    let later = event(
        &event_id(),
        &relay.grant.workspace_id,
        "page.content_updated",
        "page",
        &page,
    );
    assert_eq!(hook.post_signed(&later).await.0, 200);
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    for connection in [relay.connection_id, second] {
        let key = relay_shared::domain::RecordKey {
            connection_id: connection,
            model: RecordModel::Page,
            record_id: relay_shared::domain::RecordId::parse(&page).unwrap(),
        };
        let record = relay.ctx.adapters.records.get(&key).await.unwrap();
        let record = record.unwrap_or_else(|| panic!("connection {connection}: no record"));
        assert!(
            record
                .payload
                .to_string()
                .contains("Edited after a failed claim"),
            "connection {connection}: the later edit is missing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_signed_and_unsigned_bodies_never_panic_the_handler() {
    let (relay, hook) = verified().await;
    let service = &hook.service;
    let workspace = relay.grant.workspace_id.clone();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    for round in 0..300 {
        let len = usize::try_from(next() % 512).unwrap();
        let random: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
        bodies.push(random);
        // Envelopes with odd field types and values.
        let odd = [
            json!(null),
            json!(42),
            json!(""),
            json!([]),
            json!({}),
            json!("page.deleted"),
        ];
        let pick = |n: u64| odd[usize::try_from(n % 6).unwrap()].clone();
        let kinds = [
            "page.created",
            "page.deleted",
            "comment.created",
            "database.moved",
            "data_source.deleted",
            "x",
            "page.",
        ];
        bodies.push(
            serde_json::to_vec(&json!({
                "id": if round % 3 == 0 { pick(next()) } else { json!(format!("e-{round}")) },
                "workspace_id": if round % 4 == 0 { pick(next()) } else { json!(workspace) },
                "type": kinds[usize::try_from(next() % 7).unwrap()],
                "entity": if round % 5 == 0 { pick(next()) } else { json!({"id": pick(next()), "type": "page"}) },
                "data": pick(next()),
            }))
            .unwrap(),
        );
    }
    let mut deep = b"{\"id\":\"deep\",\"data\":".to_vec();
    deep.extend(std::iter::repeat_n(b'[', 100_000));
    bodies.push(deep);
    let mut wide = br#"{"id":"wide","workspace_id":"w","type":"page.created","data":["#.to_vec();
    while wide.len() < 250 * 1024 {
        wide.extend_from_slice(b"{\"a\":[1,2,3]},");
    }
    wide.extend_from_slice(b"0]}");
    bodies.push(wide);
    for body in &bodies {
        let _ = service.handle(None, body).await;
        let _ = service.handle(Some("sha256=zz"), body).await;
        let _ = service
            .handle(Some(&notion_signature(TOKEN, body)), body)
            .await;
    }
    // Still serving.
    let body = event(
        &event_id(),
        &workspace,
        "page.created",
        "page",
        &first_page(&relay),
    );
    assert_eq!(hook.post_signed(&body).await.0, 200);
}
