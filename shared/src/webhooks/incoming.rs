//! `POST /webhooks/notion`: the verification handshake, then for every event: size check,
//! signature check on the raw bytes, parse, dedupe by event id, route by workspace to every active
//! connection, and queue targeted jobs. Nothing calls Notion here and nothing unverified is
//! stored or queued.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::events::{EventAction, EventError, NotionEvent};
use super::pending;
use super::signature::verify_notion_signature;
use crate::app::AppContext;
use crate::domain::{
    ConnectionId, ConnectionStatus, OutgoingJob, RecordId, RecordKey, RecordModel, SyncJob,
    timestamp,
};
use crate::ports::{EphemeralNamespace, SecretName, SecretsError, StoreError};
use crate::secret::SecretString;
use crate::sync::Target;

/// Marks verification tokens that have verified at least one event (keyed by the token, which
/// the ephemeral store hashes).
pub const TOKEN_IN_USE: EphemeralNamespace =
    match EphemeralNamespace::custom("webhook_token_in_use") {
        Some(namespace) => namespace,
        None => EphemeralNamespace::WEBHOOK_EVENT,
    };

#[derive(Debug, Clone)]
pub struct IncomingOptions {
    /// Larger bodies answer 413 (Notion's events are a few KiB).
    pub max_body_bytes: usize,
    /// How long a processed event id is remembered (Notion retries for about a day).
    pub event_ttl: Duration,
    /// How long a re-fetch marker collapses events when no worker clears it.
    pub pending_ttl: Duration,
    /// A mismatching signature re-reads the token at most this often.
    pub token_reread_interval: Duration,
    /// Window of the incremental sync queued for database events whose data sources are unknown.
    pub sync_bucket: Duration,
}

impl Default for IncomingOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: 256 * 1024,
            event_ttl: Duration::from_secs(7 * 24 * 3600),
            pending_ttl: pending::DEFAULT_PENDING_TTL,
            token_reread_interval: Duration::from_secs(10),
            sync_bucket: Duration::from_secs(60),
        }
    }
}

/// What a request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingOutcome {
    /// The verification token was stored (or was already the stored one).
    Handshake,
    /// A delivery of an event already processed: nothing done.
    Duplicate,
    Processed {
        action: &'static str,
        /// Active connections of the workspace.
        connections: usize,
        /// Jobs queued.
        jobs: usize,
        /// Jobs not queued because the same work is already pending.
        collapsed: usize,
    },
}

#[derive(Debug, Error)]
pub enum IncomingError {
    #[error("the body exceeds {limit} bytes")]
    TooLarge { limit: usize },
    /// Missing or wrong signature (or no verification token stored yet).
    #[error("missing or invalid signature")]
    Unauthorized,
    #[error("malformed event: {0}")]
    Malformed(#[from] EventError),
    /// A handshake when the stored token already verified events: replacing it would let anyone
    /// who can reach the URL swap the signing key.
    #[error("a verification token is already in use")]
    HandshakeRefused,
    /// Storage, queue or secrets unavailable: answered 503 so Notion redelivers.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
}

impl From<StoreError> for IncomingError {
    fn from(error: StoreError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

/// Running totals of this process (logged with every event; the bench reads them).
#[derive(Debug, Default)]
pub struct IncomingStats {
    pub events: AtomicU64,
    pub duplicates: AtomicU64,
    pub refused: AtomicU64,
    pub unknown_types: AtomicU64,
    pub ignored_types: AtomicU64,
    pub jobs: AtomicU64,
    pub collapsed: AtomicU64,
}

/// The incoming webhook service. Cheap to clone; build once per process.
#[derive(Clone)]
pub struct IncomingWebhooks {
    ctx: AppContext,
    options: IncomingOptions,
    stats: Arc<IncomingStats>,
    last_reread: Arc<Mutex<Option<Instant>>>,
    /// SHA-256 of the token already recorded as in use by this process.
    marked_token: Arc<Mutex<Option<[u8; 32]>>>,
}

impl std::fmt::Debug for IncomingWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingWebhooks")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// `{"verification_token": "..."}` (and no event type): Notion's one-time handshake.
fn handshake_token(body: &[u8]) -> Option<SecretString> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    if object.contains_key("type") {
        return None;
    }
    let token = object.get("verification_token")?.as_str()?.trim();
    (!token.is_empty()).then(|| SecretString::new(token))
}

impl IncomingWebhooks {
    pub fn new(ctx: AppContext, options: IncomingOptions) -> Self {
        Self {
            ctx,
            options,
            stats: Arc::new(IncomingStats::default()),
            last_reread: Arc::new(Mutex::new(None)),
            marked_token: Arc::new(Mutex::new(None)),
        }
    }

    pub fn options(&self) -> &IncomingOptions {
        &self.options
    }

    pub fn stats(&self) -> &IncomingStats {
        &self.stats
    }

    /// Handles one request: `signature` is the `X-Notion-Signature` header, `body` the raw bytes.
    pub async fn handle(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<IncomingOutcome, IncomingError> {
        if body.len() > self.options.max_body_bytes {
            return Err(IncomingError::TooLarge {
                limit: self.options.max_body_bytes,
            });
        }
        if let Some(token) = handshake_token(body) {
            return self.handshake(token).await;
        }
        let Some(signature) = signature else {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            return Err(IncomingError::Unauthorized);
        };
        let token = self.verify(signature, body).await.inspect_err(|_| {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
        })?;
        let event = NotionEvent::parse(body)?;
        self.stats.events.fetch_add(1, Ordering::Relaxed);
        self.mark_token_in_use(&token).await;
        let ephemeral = &self.ctx.adapters.ephemeral;
        if ephemeral
            .get(EphemeralNamespace::WEBHOOK_EVENT, &event.id)
            .await?
            .is_some()
        {
            self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
            tracing::info!(event_id = %event.id, event_type = %event.kind, "webhook event already processed");
            return Ok(IncomingOutcome::Duplicate);
        }
        let outcome = self.process(&event).await?;
        // Marked only now: a failure above leaves the event unmarked, so Notion's redelivery
        // does the work (pending markers and deduplication ids keep the repeat cheap).
        if let Err(error) = ephemeral
            .put(
                EphemeralNamespace::WEBHOOK_EVENT,
                &event.id,
                &json!({"at": timestamp::to_millis(timestamp::now())}),
                self.options.event_ttl,
            )
            .await
        {
            tracing::warn!(event_id = %event.id, error = %error, "could not mark the webhook event processed");
        }
        Ok(outcome)
    }

    async fn handshake(&self, token: SecretString) -> Result<IncomingOutcome, IncomingError> {
        let secrets = &self.ctx.adapters.secrets;
        let name = SecretName::webhook_verification_token();
        secrets.invalidate(&name);
        let stored = match secrets.get(&name).await {
            Ok(stored) if !stored.is_empty() => Some(stored),
            Ok(_) | Err(SecretsError::NotFound(_)) => None,
            Err(error) => return Err(IncomingError::Unavailable(error.to_string())),
        };
        if let Some(stored) = stored {
            if stored.constant_time_eq(token.expose()) {
                return Ok(IncomingOutcome::Handshake);
            }
            if self
                .ctx
                .adapters
                .ephemeral
                .get(TOKEN_IN_USE, stored.expose())
                .await?
                .is_some()
            {
                tracing::warn!(
                    "webhook handshake refused: the stored verification token already verified events"
                );
                return Err(IncomingError::HandshakeRefused);
            }
        }
        secrets
            .put(&name, &token)
            .await
            .map_err(|error| IncomingError::Unavailable(error.to_string()))?;
        tracing::info!("webhook verification token stored; paste it into Notion's Verify form");
        Ok(IncomingOutcome::Handshake)
    }

    /// The token that verifies `signature`, re-reading the secret (throttled) on a mismatch.
    async fn verify(&self, signature: &str, body: &[u8]) -> Result<SecretString, IncomingError> {
        let secrets = &self.ctx.adapters.secrets;
        let name = SecretName::webhook_verification_token();
        let read = |result: Result<SecretString, SecretsError>| match result {
            Ok(token) => Ok(Some(token)),
            Err(SecretsError::NotFound(_)) => Ok(None),
            Err(error) => Err(IncomingError::Unavailable(error.to_string())),
        };
        if let Some(token) = read(secrets.get(&name).await)?
            && verify_notion_signature(&token, body, signature)
        {
            return Ok(token);
        }
        if !self.try_reread() {
            return Err(IncomingError::Unauthorized);
        }
        secrets.invalidate(&name);
        match read(secrets.get(&name).await)? {
            Some(token) if verify_notion_signature(&token, body, signature) => Ok(token),
            Some(_) => Err(IncomingError::Unauthorized),
            None => {
                tracing::warn!("webhook event refused: no verification token is stored yet");
                Err(IncomingError::Unauthorized)
            }
        }
    }

    fn try_reread(&self) -> bool {
        let now = Instant::now();
        let mut last = lock(&self.last_reread);
        match *last {
            Some(at) if now.saturating_duration_since(at) < self.options.token_reread_interval => {
                false
            }
            _ => {
                *last = Some(now);
                true
            }
        }
    }

    /// Records (once per process and token) that the token verified an event, which locks it
    /// against replacement by a later handshake.
    async fn mark_token_in_use(&self, token: &SecretString) {
        let digest: [u8; 32] = Sha256::digest(token.expose().as_bytes()).into();
        if *lock(&self.marked_token) == Some(digest) {
            return;
        }
        let ten_years = Duration::from_secs(10 * 365 * 24 * 3600);
        match self
            .ctx
            .adapters
            .ephemeral
            .put(TOKEN_IN_USE, token.expose(), &json!({}), ten_years)
            .await
        {
            Ok(()) => *lock(&self.marked_token) = Some(digest),
            Err(error) => {
                tracing::warn!(error = %error, "could not record the verification token as in use");
            }
        }
    }

    async fn process(&self, event: &NotionEvent) -> Result<IncomingOutcome, IncomingError> {
        let action = event.action();
        let label = action.as_str();
        if matches!(action, EventAction::Unknown | EventAction::Ignored) {
            if action == EventAction::Unknown {
                self.stats.unknown_types.fetch_add(1, Ordering::Relaxed);
            } else {
                self.stats.ignored_types.fetch_add(1, Ordering::Relaxed);
            }
            // Running totals of this process, as metric-style fields of the log line.
            tracing::info!(
                event_id = %event.id,
                event_type = %event.kind,
                action = label,
                unknown_types_total = self.stats.unknown_types.load(Ordering::Relaxed),
                ignored_types_total = self.stats.ignored_types.load(Ordering::Relaxed),
                "webhook event accepted without work"
            );
            return Ok(IncomingOutcome::Processed {
                action: label,
                connections: 0,
                jobs: 0,
                collapsed: 0,
            });
        }
        let connections: Vec<ConnectionId> = self
            .ctx
            .adapters
            .connections
            .list_by_workspace(&event.workspace_id)
            .await?
            .into_iter()
            .filter(|connection| connection.status == ConnectionStatus::Active)
            .map(|connection| connection.id)
            .collect();
        // (index in `jobs`, connection, target) of every marker this event claimed.
        let mut claimed: Vec<(usize, ConnectionId, Target)> = Vec::new();
        let mut jobs: Vec<OutgoingJob> = Vec::new();
        let mut collapsed = 0;
        let planned: Result<(), IncomingError> = async {
            for id in &connections {
                for job in self.jobs_for(*id, &action, event).await? {
                    match job {
                        Planned::Targeted(target) => {
                            if !pending::claim(
                                self.ctx.adapters.ephemeral.as_ref(),
                                id,
                                &target,
                                self.options.pending_ttl,
                            )
                            .await?
                            {
                                collapsed += 1;
                                continue;
                            }
                            // A claimed marker stands for exactly one queued job, so its
                            // deduplication id is new for every claim: one derived from the event
                            // id alone is dropped by the queue when a redelivery re-claims a marker
                            // the worker already cleared, leaving a marker with no job behind it
                            // (later events would collapse into nothing until it expires).
                            let scope = match pending::pending_key(id, &target) {
                                Some(_) => {
                                    format!("{}-{}", event.id, uuid::Uuid::new_v4().simple())
                                }
                                None => event.id.clone(),
                            };
                            claimed.push((jobs.len(), *id, target.clone()));
                            jobs.push(encode(&targeted_job(*id, &target), &scope)?);
                        }
                        Planned::Sync => {
                            let bucket = timestamp::to_millis(timestamp::now())
                                / i64::try_from(self.options.sync_bucket.as_millis().max(1))
                                    .unwrap_or(i64::MAX);
                            jobs.push(encode(
                                &SyncJob::scheduled(*id),
                                &format!("webhook-{bucket}"),
                            )?);
                        }
                    }
                }
            }
            Ok(())
        }
        .await;
        if let Err(error) = planned {
            // Markers claimed before the failure have no job behind them: free them, or the
            // redelivery (and every later event) would collapse into nothing until they expire.
            for (_, id, target) in &claimed {
                pending::release_before_work(self.ctx.adapters.ephemeral.as_ref(), id, target)
                    .await;
            }
            return Err(error);
        }
        let queued = jobs.len();
        if !jobs.is_empty() {
            let report = self
                .ctx
                .adapters
                .queue
                .send_batch(&jobs)
                .await
                .map_err(|error| IncomingError::Unavailable(error.to_string()));
            let not_sent = |index: usize| match &report {
                Ok(report) => report.failed.iter().any(|failure| failure.index == index),
                Err(_) => true,
            };
            if (0..jobs.len()).any(not_sent) {
                // Free the markers of the jobs that did not go out, so the redelivery queues them
                // again; a job that went out keeps its marker (the redelivery collapses into it).
                for (index, id, target) in &claimed {
                    if not_sent(*index) {
                        pending::release_before_work(
                            self.ctx.adapters.ephemeral.as_ref(),
                            id,
                            target,
                        )
                        .await;
                    }
                }
                report?;
                return Err(IncomingError::Unavailable(
                    "some jobs could not be queued".into(),
                ));
            }
        }
        self.stats.jobs.fetch_add(queued as u64, Ordering::Relaxed);
        self.stats
            .collapsed
            .fetch_add(collapsed as u64, Ordering::Relaxed);
        tracing::info!(
            event_id = %event.id,
            event_type = %event.kind,
            action = label,
            connections = connections.len(),
            jobs = queued,
            collapsed,
            "webhook event accepted"
        );
        Ok(IncomingOutcome::Processed {
            action: label,
            connections: connections.len(),
            jobs: queued,
            collapsed,
        })
    }

    /// The work one event means for one connection.
    async fn jobs_for(
        &self,
        id: ConnectionId,
        action: &EventAction,
        _event: &NotionEvent,
    ) -> Result<Vec<Planned>, IncomingError> {
        Ok(match action {
            EventAction::RefetchPage(page) => {
                vec![Planned::Targeted(Target::RefetchPage(page.clone()))]
            }
            EventAction::TombstonePage(page) => {
                vec![Planned::Targeted(Target::TombstonePage(page.clone()))]
            }
            EventAction::RefreshDataSource(source) => {
                vec![Planned::Targeted(Target::RefreshDataSource(source.clone()))]
            }
            EventAction::RefreshDatabase(database) => {
                let sources = self.known_data_sources(id, database).await?;
                if sources.is_empty() {
                    vec![Planned::Sync]
                } else {
                    sources
                        .into_iter()
                        .map(|source| Planned::Targeted(Target::RefreshDataSource(source)))
                        .collect()
                }
            }
            EventAction::Ignored | EventAction::Unknown => Vec::new(),
        })
    }

    /// The data sources of a database as the synced copy knows them (no Notion call).
    async fn known_data_sources(
        &self,
        connection_id: ConnectionId,
        database_id: &str,
    ) -> Result<Vec<String>, IncomingError> {
        let Ok(record_id) = RecordId::parse(crate::sync::notion_time::normalize_id(database_id))
        else {
            return Ok(Vec::new());
        };
        let key = RecordKey {
            connection_id,
            model: RecordModel::Database,
            record_id,
        };
        let Some(record) = self.ctx.adapters.records.get(&key).await? else {
            return Ok(Vec::new());
        };
        Ok(record.payload["data_sources"]
            .as_array()
            .map(|sources| {
                sources
                    .iter()
                    .filter_map(|source| source["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }
}

enum Planned {
    Targeted(Target),
    /// An incremental sync (discovers what the copy does not know yet).
    Sync,
}

fn targeted_job(connection_id: ConnectionId, target: &Target) -> SyncJob {
    match target {
        Target::RefetchPage(page_id) => SyncJob::RefetchPage {
            connection_id,
            page_id: page_id.clone(),
        },
        Target::TombstonePage(page_id) => SyncJob::TombstonePage {
            connection_id,
            page_id: page_id.clone(),
        },
        Target::RefreshDataSource(data_source_id) => SyncJob::RefreshDataSource {
            connection_id,
            data_source_id: data_source_id.clone(),
        },
    }
}

fn encode(job: &SyncJob, scope: &str) -> Result<OutgoingJob, IncomingError> {
    job.to_outgoing(&format!("webhook-{scope}"))
        .map_err(|error| IncomingError::Unavailable(format!("encoding a job: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshakes_are_recognized_only_without_an_event_type() {
        assert!(handshake_token(br#"{"verification_token":"secret_abc"}"#).is_some());
        assert!(handshake_token(br#"{"verification_token":""}"#).is_none());
        assert!(handshake_token(br#"{"verification_token":"x","type":"page.created"}"#).is_none());
        assert!(handshake_token(b"not json").is_none());
    }

    #[test]
    fn deeply_nested_bodies_are_refused_without_overflowing_the_stack() {
        let mut deep = br#"{"verification_token":"x","data":"#.to_vec();
        deep.extend(std::iter::repeat_n(b'[', 200_000));
        assert!(handshake_token(&deep).is_none());
        assert!(NotionEvent::parse(&deep).is_err());
    }
}
