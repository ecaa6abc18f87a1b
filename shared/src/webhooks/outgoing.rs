//! Signed webhooks to the app: `sync.finished`, `connection.created`, `connection.needs_reauth`,
//! `connection.deleted`.
//!
//! Emitting an event only queues one delivery job per configured URL (`RELAY_APP_WEBHOOK_URLS`)
//! on the sync queue, so the emitting flow (an OAuth callback, an API call, a sync run) never
//! waits on the app. The sync worker delivers it: up to `max_attempts` POSTs with exponential
//! backoff, each signed `Relay-Signature: t=<unix>,v1=<hex HMAC-SHA256("<t>.<raw body>")>` with
//! the `webhook-signing-secret`; after the last failure a dead letter is stored
//! ([`crate::ports::DeadLetterStore`]), listed and retried through the API. Deliveries use their
//! own FIFO group per connection (never the connection's sync group), so a slow app delays no
//! sync, and a connection's events still arrive in order.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;
use time::OffsetDateTime;

use super::signature::{RELAY_EVENT_ID_HEADER, RELAY_SIGNATURE_HEADER, relay_signature};
use crate::app::AppContext;
use crate::domain::{
    Connection, ConnectionId, OutgoingJob, RecordModel, RunCounts, RunId, timestamp,
};
use crate::ports::{DeadLetter, SecretName, SecretsError, StoreError};

/// The `kind` of a delivery job on the sync queue.
pub const DELIVERY_JOB_KIND: &str = "deliver_app_event";

/// The app event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEventKind {
    SyncFinished,
    ConnectionCreated,
    ConnectionNeedsReauth,
    ConnectionDeleted,
}

impl AppEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SyncFinished => "sync.finished",
            Self::ConnectionCreated => "connection.created",
            Self::ConnectionNeedsReauth => "connection.needs_reauth",
            Self::ConnectionDeleted => "connection.deleted",
        }
    }
}

/// The JSON body Relay POSTs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppEvent {
    /// `evt_<32 hex>`; also in the `Relay-Event-Id` header. Receivers dedupe on it.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub data: Value,
}

impl AppEvent {
    pub fn new(kind: AppEventKind, data: Value) -> Self {
        Self {
            id: format!("evt_{}", uuid::Uuid::new_v4().simple()),
            kind: kind.as_str().to_owned(),
            created_at: timestamp::now(),
            data,
        }
    }
}

/// Retry policy of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOptions {
    /// POSTs before the event is dead-lettered.
    pub max_attempts: u32,
    /// Wait after the first failure; doubled after each next one.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Per request: an answer slower than this counts as a failure.
    pub timeout: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        // Worst case 5 x 10 s + 1 + 2 + 4 + 8 s: well inside the worker's invocation.
        Self {
            max_attempts: 5,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The longest one delivery may take: it runs inside one sync-worker invocation (15 minutes at
/// most), which must still have time to store the dead letter. A longer policy would be killed
/// mid-way on every try: never dead-lettered, redelivered by the queue again and again.
pub const MAX_DELIVERY_TIME: Duration = Duration::from_secs(10 * 60);

impl DeliveryOptions {
    /// Every attempt timing out, plus every backoff in between.
    pub fn worst_case(&self) -> Duration {
        let attempts = self.max_attempts.max(1);
        let waits = (1..attempts).fold(Duration::ZERO, |total, attempt| {
            total.saturating_add(self.backoff(attempt))
        });
        self.timeout.saturating_mul(attempts).saturating_add(waits)
    }

    /// The wait after failed attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Where app events go and how they are retried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppWebhookConfig {
    /// Empty: no app webhooks (emitting does nothing).
    pub urls: Vec<String>,
    pub delivery: DeliveryOptions,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("{name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

impl AppWebhookConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// `RELAY_APP_WEBHOOK_URLS` (comma-separated http(s) URLs), `RELAY_APP_WEBHOOK_ATTEMPTS`
    /// (default 5), `RELAY_APP_WEBHOOK_TIMEOUT_SECONDS` (default 10).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut urls = Vec::new();
        for raw in vars
            .get("RELAY_APP_WEBHOOK_URLS")
            .map(String::as_str)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
        {
            let url = url::Url::parse(raw).map_err(|error| ConfigError {
                name: "RELAY_APP_WEBHOOK_URLS",
                message: format!("not a URL ({error})"),
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(ConfigError {
                    name: "RELAY_APP_WEBHOOK_URLS",
                    message: "only http and https URLs".into(),
                });
            }
            urls.push(raw.to_owned());
        }
        let mut delivery = DeliveryOptions::default();
        let number = |name: &'static str| -> Result<Option<u64>, ConfigError> {
            match vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(raw) => raw
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Some)
                    .ok_or_else(|| ConfigError {
                        name,
                        message: "must be a positive integer".into(),
                    }),
            }
        };
        if let Some(attempts) = number("RELAY_APP_WEBHOOK_ATTEMPTS")? {
            delivery.max_attempts = u32::try_from(attempts.min(20)).unwrap_or(20);
        }
        if let Some(seconds) = number("RELAY_APP_WEBHOOK_TIMEOUT_SECONDS")? {
            delivery.timeout = Duration::from_secs(seconds.min(60));
        }
        while delivery.max_attempts > 1 && delivery.worst_case() > MAX_DELIVERY_TIME {
            delivery.max_attempts -= 1;
        }
        Ok(Self { urls, delivery })
    }
}

static CONFIG: OnceLock<RwLock<Arc<AppWebhookConfig>>> = OnceLock::new();

fn config_cell() -> &'static RwLock<Arc<AppWebhookConfig>> {
    CONFIG.get_or_init(|| {
        let config = AppWebhookConfig::from_env().unwrap_or_else(|error| {
            tracing::error!(error = %error, "app webhooks disabled: invalid configuration");
            AppWebhookConfig::default()
        });
        RwLock::new(Arc::new(config))
    })
}

/// This process's app webhook configuration (read from the environment on first use).
pub fn config() -> Arc<AppWebhookConfig> {
    config_cell().read().map_or_else(
        |poison| poison.into_inner().clone(),
        |config| config.clone(),
    )
}

/// Replaces this process's configuration (the local stack, tests).
pub fn set_config(config: AppWebhookConfig) {
    let mut cell = config_cell()
        .write()
        .unwrap_or_else(|poison| poison.into_inner());
    *cell = Arc::new(config);
}

/// The FIFO group of a connection's deliveries: derived from, but never equal to, the
/// connection id, so deliveries and syncs of one connection do not wait on each other.
pub fn delivery_group(connection_id: &ConnectionId) -> ConnectionId {
    let digest = Sha256::digest(format!("app-webhooks:{connection_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    ConnectionId::parse(&uuid.to_string()).unwrap_or(*connection_id)
}

/// Whether a queue message body is a delivery job (the worker's dispatch).
pub fn is_delivery_job(body: &Value) -> bool {
    body.get("kind").and_then(Value::as_str) == Some(DELIVERY_JOB_KIND)
}

fn short_hash(text: &str) -> String {
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

/// Queues `event` for every configured URL. Never fails the caller: an event that cannot be
/// queued is logged (the app still sees the state through the API).
pub async fn emit(ctx: &AppContext, connection_id: ConnectionId, event: AppEvent) {
    let config = config();
    if config.urls.is_empty() {
        return;
    }
    let group = delivery_group(&connection_id);
    let jobs: Vec<OutgoingJob> = config
        .urls
        .iter()
        .map(|url| {
            OutgoingJob::new(
                group,
                format!("app:{}:{}", event.id, short_hash(url)),
                json!({"kind": DELIVERY_JOB_KIND, "connection_id": connection_id, "url": url, "event": event}),
            )
        })
        .collect();
    match ctx.adapters.queue.send_batch(&jobs).await {
        Ok(report) if report.failed.is_empty() => {
            tracing::info!(connection_id = %connection_id, event_id = %event.id, event_type = %event.kind, urls = jobs.len(), "app webhook queued");
        }
        Ok(report) => {
            tracing::error!(connection_id = %connection_id, event_id = %event.id, failed = report.failed.len(), "some app webhook deliveries could not be queued");
        }
        Err(error) => {
            tracing::error!(connection_id = %connection_id, event_id = %event.id, error = %error, "app webhook could not be queued");
        }
    }
}

/// `connection.created` / `connection.needs_reauth` / `connection.deleted` for `connection`.
pub async fn emit_connection_event(ctx: &AppContext, kind: AppEventKind, connection: &Connection) {
    if config().urls.is_empty() {
        return;
    }
    let mut data = json!({
        "connection_id": connection.id,
        "end_user_id": connection.end_user.id.as_str(),
        "workspace_id": connection.workspace.id,
        "workspace_name": connection.workspace.name,
        "status": connection.status.as_str(),
    });
    if kind == AppEventKind::ConnectionNeedsReauth {
        data["reason"] = json!(connection.status_reason);
    }
    emit(ctx, connection.id, AppEvent::new(kind, data)).await;
}

/// `sync.finished` with the run's counts and, per record model, the latest records cursor (a
/// reader that is behind reads `GET /connections/{id}/records?model=..&cursor=<its own>` up to
/// at least this one).
pub async fn emit_sync_finished(
    ctx: &AppContext,
    connection_id: ConnectionId,
    run_id: RunId,
    counts: &RunCounts,
) {
    if config().urls.is_empty() {
        return;
    }
    let mut cursors = serde_json::Map::new();
    for model in [
        RecordModel::Page,
        RecordModel::Row,
        RecordModel::DataSource,
        RecordModel::Database,
    ] {
        match ctx
            .adapters
            .records
            .latest_cursor(&connection_id, &model)
            .await
        {
            Ok(cursor) => {
                cursors.insert(model.as_str().to_owned(), json!(cursor.to_string()));
            }
            Err(error) => {
                tracing::warn!(connection_id = %connection_id, error = %error, "reading the latest cursor for sync.finished failed");
            }
        }
    }
    let data = json!({
        "connection_id": connection_id,
        "run_id": run_id.to_string(),
        "added": counts.added,
        "updated": counts.updated,
        "deleted": counts.deleted,
        "cursors": cursors,
    });
    emit(
        ctx,
        connection_id,
        AppEvent::new(AppEventKind::SyncFinished, data),
    )
    .await;
}

/// What one delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered { attempts: u32 },
    DeadLettered { id: String, attempts: u32 },
}

#[derive(Debug, Error)]
pub enum DeliveryError {
    #[error("malformed delivery job: {0}")]
    Malformed(String),
    /// Secrets or the dead-letter store unavailable: retry the job later.
    #[error("{0}")]
    Unavailable(String),
}

impl From<StoreError> for DeliveryError {
    fn from(error: StoreError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

fn http_client() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .user_agent("notion-relay-webhooks")
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default()
        })
        .clone()
}

/// Delivers app events. Cheap to clone.
#[derive(Clone)]
pub struct AppWebhookSender {
    ctx: AppContext,
    options: DeliveryOptions,
}

impl std::fmt::Debug for AppWebhookSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppWebhookSender")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A failed delivery (every attempt).
struct Failed {
    attempts: u32,
    last_error: String,
}

impl AppWebhookSender {
    pub fn new(ctx: AppContext, options: DeliveryOptions) -> Self {
        Self { ctx, options }
    }

    /// With this process's configured retry policy.
    pub fn from_config(ctx: AppContext) -> Self {
        Self::new(ctx, config().delivery.clone())
    }

    /// Handles a delivery job from the queue.
    pub async fn handle_job(&self, body: &Value) -> Result<DeliveryOutcome, DeliveryError> {
        let url = body
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| DeliveryError::Malformed("no url".into()))?;
        let event: AppEvent =
            serde_json::from_value(body.get("event").cloned().unwrap_or_default())
                .map_err(|error| DeliveryError::Malformed(error.to_string()))?;
        self.deliver(url, &event).await
    }

    /// POSTs `event` to `url` until it is accepted or the attempts run out; then dead-letters it.
    pub async fn deliver(
        &self,
        url: &str,
        event: &AppEvent,
    ) -> Result<DeliveryOutcome, DeliveryError> {
        match self.attempt_all(url, event).await? {
            Ok(attempts) => Ok(DeliveryOutcome::Delivered { attempts }),
            Err(failed) => {
                let id = format!(
                    "{:013}-{}",
                    timestamp::to_millis(timestamp::now()).max(0),
                    short_hash(&format!("{}\n{url}", event.id))
                );
                self.store_dead_letter(id, url, event, failed).await
            }
        }
    }

    /// Delivers a dead letter again (same event id, fresh signature). Delivered: the dead letter
    /// is removed. Failed again: it is kept with the new attempt count and error. `None` when no
    /// dead letter has that id.
    pub async fn retry_dead_letter(
        &self,
        id: &str,
    ) -> Result<Option<DeliveryOutcome>, DeliveryError> {
        let store = &self.ctx.adapters.dead_letters;
        let Some(letter) = store.get(id).await? else {
            return Ok(None);
        };
        let event: AppEvent = serde_json::from_value(letter.event.clone())
            .map_err(|error| DeliveryError::Malformed(error.to_string()))?;
        match self.attempt_all(&letter.url, &event).await? {
            Ok(attempts) => {
                store.delete(id).await?;
                tracing::info!(dead_letter_id = id, event_id = %event.id, "dead-lettered app webhook delivered on retry");
                Ok(Some(DeliveryOutcome::Delivered { attempts }))
            }
            Err(failed) => {
                let failed = Failed {
                    attempts: letter.attempts.saturating_add(failed.attempts),
                    last_error: failed.last_error,
                };
                self.store_dead_letter(id.to_owned(), &letter.url, &event, failed)
                    .await
                    .map(Some)
            }
        }
    }

    async fn store_dead_letter(
        &self,
        id: String,
        url: &str,
        event: &AppEvent,
        failed: Failed,
    ) -> Result<DeliveryOutcome, DeliveryError> {
        let letter = DeadLetter {
            id: id.clone(),
            url: url.to_owned(),
            event: serde_json::to_value(event)
                .map_err(|error| DeliveryError::Malformed(error.to_string()))?,
            attempts: failed.attempts,
            last_error: failed.last_error,
            created_at: timestamp::now(),
        };
        self.ctx.adapters.dead_letters.put(&letter).await?;
        tracing::warn!(dead_letter_id = %id, event_id = %event.id, event_type = %event.kind, attempts = failed.attempts, "app webhook dead-lettered");
        Ok(DeliveryOutcome::DeadLettered {
            id,
            attempts: failed.attempts,
        })
    }

    /// `Ok(Ok(attempts))` delivered, `Ok(Err(..))` every attempt failed, `Err` Relay itself could
    /// not try (secrets backend down).
    async fn attempt_all(
        &self,
        url: &str,
        event: &AppEvent,
    ) -> Result<Result<u32, Failed>, DeliveryError> {
        let body = serde_json::to_vec(event)
            .map_err(|error| DeliveryError::Malformed(error.to_string()))?;
        let secret = match self
            .ctx
            .adapters
            .secrets
            .get(&SecretName::webhook_signing_secret())
            .await
        {
            Ok(secret) if !secret.is_empty() => secret,
            Ok(_) | Err(SecretsError::NotFound(_)) => {
                return Ok(Err(Failed {
                    attempts: 0,
                    last_error: "the webhook-signing-secret is not configured".into(),
                }));
            }
            Err(error) => return Err(DeliveryError::Unavailable(error.to_string())),
        };
        let max = self.options.max_attempts.max(1);
        let mut last_error = String::new();
        for attempt in 1..=max {
            let now = timestamp::now().unix_timestamp();
            let result = http_client()
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(RELAY_SIGNATURE_HEADER, relay_signature(&secret, now, &body))
                .header(RELAY_EVENT_ID_HEADER, &event.id)
                .timeout(self.options.timeout)
                .body(body.clone())
                .send()
                .await;
            match result {
                Ok(response) if response.status().is_success() => return Ok(Ok(attempt)),
                Ok(response) => last_error = format!("HTTP {}", response.status().as_u16()),
                Err(error) if error.is_timeout() => last_error = "timed out".into(),
                Err(error) if error.is_connect() => last_error = "connection failed".into(),
                Err(_) => last_error = "request failed".into(),
            }
            tracing::info!(event_id = %event.id, attempt, error = %last_error, "app webhook attempt failed");
            if attempt < max {
                tokio::time::sleep(self.options.backoff(attempt)).await;
            }
        }
        Ok(Err(Failed {
            attempts: max,
            last_error,
        }))
    }
}

/// The worker's handling of a delivery job: errors are transient (the job is retried).
pub async fn handle_delivery_job(ctx: &AppContext, body: &Value) -> Result<(), StoreError> {
    match AppWebhookSender::from_config(ctx.clone())
        .handle_job(body)
        .await
    {
        Ok(_) => Ok(()),
        Err(DeliveryError::Malformed(message)) => {
            tracing::error!(error = %message, "malformed app webhook job dropped");
            Ok(())
        }
        Err(DeliveryError::Unavailable(message)) => Err(StoreError::Backend(message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn configuration_reads_urls_and_limits() {
        let config = AppWebhookConfig::from_vars(&vars(&[
            (
                "RELAY_APP_WEBHOOK_URLS",
                " https://a.example/hook , http://b.example/x,",
            ),
            ("RELAY_APP_WEBHOOK_ATTEMPTS", "3"),
        ]))
        .unwrap();
        assert_eq!(
            config.urls,
            vec!["https://a.example/hook", "http://b.example/x"]
        );
        assert_eq!(config.delivery.max_attempts, 3);
        assert!(
            AppWebhookConfig::from_vars(&vars(&[]))
                .unwrap()
                .urls
                .is_empty()
        );
        assert!(
            AppWebhookConfig::from_vars(&vars(&[("RELAY_APP_WEBHOOK_URLS", "ftp://x")])).is_err()
        );
        assert!(
            AppWebhookConfig::from_vars(&vars(&[("RELAY_APP_WEBHOOK_ATTEMPTS", "0")])).is_err()
        );
    }

    #[test]
    fn configured_retries_fit_in_one_worker_invocation() {
        let config = AppWebhookConfig::from_vars(&vars(&[
            ("RELAY_APP_WEBHOOK_ATTEMPTS", "20"),
            ("RELAY_APP_WEBHOOK_TIMEOUT_SECONDS", "60"),
        ]))
        .unwrap();
        assert!(
            config.delivery.worst_case() <= MAX_DELIVERY_TIME,
            "{:?}",
            config.delivery
        );
        assert!(config.delivery.max_attempts >= 2, "{:?}", config.delivery);
        // The defaults are untouched: 5 x 10 s + 1 + 2 + 4 + 8 s.
        assert_eq!(
            DeliveryOptions::default().worst_case(),
            Duration::from_secs(65)
        );
        let default = AppWebhookConfig::from_vars(&vars(&[])).unwrap();
        assert_eq!(default.delivery, DeliveryOptions::default());
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let options = DeliveryOptions {
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
            ..DeliveryOptions::default()
        };
        let waits: Vec<u64> = (1..=5).map(|n| options.backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 5, 5]);
    }

    #[test]
    fn delivery_groups_are_stable_and_distinct_from_the_connection() {
        let id = ConnectionId::random();
        assert_eq!(delivery_group(&id), delivery_group(&id));
        assert_ne!(delivery_group(&id), id);
        assert!(is_delivery_job(&json!({"kind": DELIVERY_JOB_KIND})));
        assert!(!is_delivery_job(&json!({"kind": "sync"})));
    }
}
