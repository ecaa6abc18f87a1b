//! The sync worker: one queued [`SyncJob`] at a time, under the connection's sync lease.
//!
//! A sync job starts a run or continues the one in progress. The engine works until the run is
//! done or the invocation's deadline is near; then the worker enqueues a continuation that names
//! the run and the checkpoint version it resumes from (a stale continuation does nothing, so a
//! run never has two chains). A long `Retry-After` parks the run until the scheduler's next look
//! (the connection's `next_sync_at` is set to when Notion allows requests again). A 401 gets one
//! token refresh. Each run is recorded (counts, requests, 429s, issues), and a finished run
//! updates the connection's last-sync summary and next sync time.

use std::time::Duration;

use serde_json::json;
use thiserror::Error;
use time::OffsetDateTime;

use super::checkpoint::RunTotals;
use super::engine::{Deadline, FinishedRun, LeaseKeeper, Pause, RunOutcome, SyncEngine, SyncError};
use super::options::SyncOptions;
use super::targeted::{Target, TargetedOutcome};
use crate::app::AppContext;
use crate::connect::{TokenError, TokenFingerprint, TokenManager};
use crate::domain::{
    ConnectionId, ConnectionStatus, LastSync, LeaseScope, RunId, RunRecord, RunStatus, SyncJob,
    SyncReason, timestamp,
};
use crate::ports::{QueueError, StoreError};

/// What to do with the queue message after handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Done (or nothing to do): delete the message.
    Done,
    /// Keep the message and let it come back after this long (someone else holds the lease, a
    /// targeted job paused).
    RetryLater(Duration),
}

#[derive(Debug, Error)]
pub enum WorkerError {
    #[error("the job is not a sync job: {0}")]
    Malformed(String),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("queue: {0}")]
    Queue(#[from] QueueError),
    #[error("tokens: {0}")]
    Tokens(#[from] TokenError),
}

/// Handles sync jobs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SyncWorker {
    ctx: AppContext,
    tokens: TokenManager,
    options: SyncOptions,
    holder: String,
}

impl SyncWorker {
    pub fn new(ctx: AppContext, options: SyncOptions) -> Self {
        Self {
            tokens: TokenManager::new(ctx.clone()),
            ctx,
            options,
            holder: format!("worker-{}", uuid::Uuid::new_v4()),
        }
    }

    pub fn options(&self) -> &SyncOptions {
        &self.options
    }

    pub(crate) fn queue(&self) -> &std::sync::Arc<dyn crate::ports::JobQueue> {
        &self.ctx.adapters.queue
    }

    /// Decodes a queue message body and handles it.
    pub async fn handle_message(
        &self,
        body: &serde_json::Value,
        deadline: Deadline,
    ) -> Result<JobOutcome, WorkerError> {
        if crate::webhooks::outgoing::is_delivery_job(body) {
            crate::webhooks::outgoing::handle_delivery_job(&self.ctx, body).await?;
            return Ok(JobOutcome::Done);
        }
        let job: SyncJob = serde_json::from_value(body.clone())
            .map_err(|error| WorkerError::Malformed(error.to_string()))?;
        self.handle(&job, deadline).await
    }

    pub async fn handle(
        &self,
        job: &SyncJob,
        deadline: Deadline,
    ) -> Result<JobOutcome, WorkerError> {
        let id = *job.connection_id();
        let adapters = &self.ctx.adapters;
        let Some(connection) = adapters.connections.get(&id).await? else {
            tracing::info!(connection_id = %id, "sync job for an unknown connection dropped");
            return Ok(JobOutcome::Done);
        };
        if connection.status != ConnectionStatus::Active {
            tracing::info!(connection_id = %id, status = connection.status.as_str(), "sync skipped: connection not active");
            return Ok(JobOutcome::Done);
        }
        let Some(lease) = adapters
            .sync_state
            .acquire_lease(&id, &LeaseScope::Sync, &self.holder, self.options.lease_ttl)
            .await?
        else {
            tracing::info!(connection_id = %id, "another worker holds the sync lease");
            return Ok(JobOutcome::RetryLater(Duration::from_secs(30)));
        };
        self.handle_leased(job, id, lease, deadline).await
    }

    async fn handle_leased(
        &self,
        job: &SyncJob,
        id: ConnectionId,
        lease: crate::domain::Lease,
        deadline: Deadline,
    ) -> Result<JobOutcome, WorkerError> {
        let adapters = &self.ctx.adapters;
        let authorized = match self.tokens.authorized(&id).await {
            Ok(authorized) => authorized,
            Err(error) => {
                release(&self.ctx, &lease).await;
                return match error {
                    TokenError::NeedsReauth { .. } | TokenError::NotFound(_) => {
                        tracing::info!(connection_id = %id, error = %error, "sync skipped");
                        Ok(JobOutcome::Done)
                    }
                    error if error.is_transient() => {
                        Ok(JobOutcome::RetryLater(self.options.retry_delay))
                    }
                    error => Err(error.into()),
                };
            }
        };
        let mut engine = SyncEngine::load(
            authorized.client.clone(),
            id,
            adapters.records.clone(),
            adapters.sync_state.clone(),
            self.options.clone(),
            deadline,
        )
        .await?;
        engine.hold_lease(LeaseKeeper::new(lease, self.options.lease_ttl));
        let outcome = match job {
            SyncJob::Sync {
                reason,
                full,
                run_id,
                checkpoint_version,
                ..
            } => {
                self.sync(
                    &mut engine,
                    id,
                    *reason,
                    *full,
                    run_id.as_deref(),
                    *checkpoint_version,
                    authorized.fingerprint,
                )
                .await
            }
            SyncJob::RefetchPage { page_id, .. } => {
                self.targeted(&mut engine, id, Target::RefetchPage(page_id.clone()))
                    .await
            }
            SyncJob::TombstonePage { page_id, .. } => {
                self.targeted(&mut engine, id, Target::TombstonePage(page_id.clone()))
                    .await
            }
            SyncJob::RefreshDataSource { data_source_id, .. } => {
                self.targeted(
                    &mut engine,
                    id,
                    Target::RefreshDataSource(data_source_id.clone()),
                )
                .await
            }
        };
        if let Some(keeper) = engine.take_lease() {
            release(&self.ctx, &keeper.lease).await;
        }
        match outcome {
            Err(WorkerError::Sync(SyncError::Superseded(_))) => {
                tracing::warn!(connection_id = %id, "another worker continued this run; stopping");
                Ok(JobOutcome::Done)
            }
            Err(WorkerError::Sync(SyncError::Store(StoreError::LeaseLost { .. }))) => {
                tracing::warn!(connection_id = %id, "the sync lease was lost; stopping");
                Ok(JobOutcome::Done)
            }
            other => other,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn sync(
        &self,
        engine: &mut SyncEngine,
        id: ConnectionId,
        reason: SyncReason,
        full: bool,
        run_id: Option<&str>,
        checkpoint_version: Option<u64>,
        mut fingerprint: TokenFingerprint,
    ) -> Result<JobOutcome, WorkerError> {
        if reason == SyncReason::Continuation {
            let current = engine.active_run().map(|run| run.run_id.to_string());
            if current.as_deref() != run_id || engine.checkpoint_version() != checkpoint_version {
                tracing::info!(connection_id = %id, "stale continuation ignored");
                return Ok(JobOutcome::Done);
            }
        }
        engine.begin(full);
        // The run (its kind, e.g. a requested full run) is stored before any work.
        engine.save().await?;
        self.record_progress(engine, id).await;
        let mut refreshed = false;
        loop {
            let outcome = engine.run().await?;
            match outcome {
                RunOutcome::Idle => return Ok(JobOutcome::Done),
                RunOutcome::Finished(finished) => {
                    self.finish(engine, id, finished).await?;
                    return Ok(JobOutcome::Done);
                }
                RunOutcome::Paused(Pause::Unauthorized) if !refreshed => {
                    refreshed = true;
                    match self.tokens.refreshed(&id, &fingerprint).await {
                        Ok(authorized) => {
                            fingerprint = authorized.fingerprint;
                            engine.set_client(authorized.client);
                            continue;
                        }
                        Err(error) => {
                            return self.stop_for_tokens(engine, id, error).await;
                        }
                    }
                }
                RunOutcome::Paused(Pause::Unauthorized) => {
                    // A fresh token was refused too: the end user must reconnect.
                    let error = match self
                        .tokens
                        .mark_needs_reauth(&id, &fingerprint, "unauthorized")
                        .await
                    {
                        Ok(_) => TokenError::NeedsReauth {
                            id,
                            reason: "unauthorized".to_owned(),
                        },
                        Err(error) => error,
                    };
                    return self.stop_for_tokens(engine, id, error).await;
                }
                RunOutcome::Paused(pause) => return self.pause(engine, id, pause).await,
            }
        }
    }

    /// The run paused: continue now (deadline) or later (rate limit, transient failure).
    async fn pause(
        &self,
        engine: &mut SyncEngine,
        id: ConnectionId,
        pause: Pause,
    ) -> Result<JobOutcome, WorkerError> {
        let now = timestamp::now();
        let (next_sync, note) = match &pause {
            Pause::OutOfTime => {
                if let (Some(run), Some(version)) =
                    (engine.active_run(), engine.checkpoint_version())
                {
                    let run_id = run.run_id.to_string();
                    let job = SyncJob::continuation(id, &run_id, version)
                        .to_outgoing(&format!("{run_id}-{version}"))
                        .map_err(|error| QueueError::Encode(error.to_string()))?;
                    self.ctx.adapters.queue.send(&job).await?;
                }
                // Keep the scheduler away while the continuation chain is alive.
                (
                    timestamp::after(now, self.options.lease_ttl),
                    "continues in a new invocation".to_owned(),
                )
            }
            Pause::RateLimited { retry_after } => (
                timestamp::after(now, *retry_after),
                format!(
                    "Notion asked to wait {}s; continues then",
                    retry_after.as_secs()
                ),
            ),
            Pause::Transient { message } => (
                timestamp::after(now, self.options.retry_delay),
                format!("paused after a transient failure: {message}"),
            ),
            Pause::Unauthorized => (
                timestamp::after(now, self.options.retry_delay),
                "paused: the access token was refused".to_owned(),
            ),
        };
        tracing::info!(connection_id = %id, note = %note, "sync paused");
        self.record_paused(engine, id, &note).await;
        self.ctx
            .adapters
            .connections
            .set_next_sync(&id, Some(next_sync))
            .await
            .map(drop)
            .or_else(ignore_missing)?;
        Ok(JobOutcome::Done)
    }

    async fn stop_for_tokens(
        &self,
        engine: &mut SyncEngine,
        id: ConnectionId,
        error: TokenError,
    ) -> Result<JobOutcome, WorkerError> {
        if error.is_transient() {
            return self
                .pause(
                    engine,
                    id,
                    Pause::Transient {
                        message: error.to_string(),
                    },
                )
                .await;
        }
        // Needs reauth (or gone): the checkpoint keeps the run for after a reconnect.
        tracing::warn!(connection_id = %id, error = %error, "sync stopped: tokens refused");
        self.record_paused(
            engine,
            id,
            "stopped: the connection needs to be reconnected",
        )
        .await;
        Ok(JobOutcome::Done)
    }

    /// A finished run: its record, the connection's summary and next sync time.
    async fn finish(
        &self,
        engine: &SyncEngine,
        id: ConnectionId,
        finished: FinishedRun,
    ) -> Result<(), WorkerError> {
        let now = timestamp::now();
        let status = if finished.error.is_some() {
            RunStatus::Failed
        } else if finished.totals.counts.failed > 0 {
            RunStatus::Partial
        } else {
            RunStatus::Succeeded
        };
        let record = run_record(
            id,
            finished.run_id,
            finished.kind.as_str(),
            finished.started_at,
            status,
            Some(now),
            &finished.totals,
            json!({
                "invocations": finished.invocations,
                "bodies_fetched": finished.totals.bodies_fetched,
                "bodies_skipped": finished.totals.bodies_skipped,
                "limits": finished.totals.limits,
                "issues_dropped": finished.totals.issues_dropped,
            }),
        );
        self.put_run(&record).await;
        crate::webhooks::outgoing::emit_sync_finished(
            &self.ctx,
            id,
            finished.run_id,
            &finished.totals.counts,
        )
        .await;
        tracing::info!(
            connection_id = %id,
            run_id = %finished.run_id,
            kind = finished.kind.as_str(),
            added = finished.totals.counts.added,
            updated = finished.totals.counts.updated,
            deleted = finished.totals.counts.deleted,
            failed = finished.totals.counts.failed,
            requests = finished.totals.requests,
            "sync run finished"
        );
        let next = if engine.checkpoint().full_requested {
            now
        } else {
            timestamp::after(now, self.options.sync_interval)
        };
        let summary = LastSync {
            run_id: finished.run_id,
            status,
            started_at: finished.started_at,
            finished_at: Some(now),
            counts: finished.totals.counts,
            error: finished.error.clone(),
        };
        for _ in 0..8 {
            let Some(mut connection) = self.ctx.adapters.connections.get(&id).await? else {
                return Ok(());
            };
            connection.last_sync = Some(summary.clone());
            if connection.status == ConnectionStatus::Active {
                connection.next_sync_at = Some(next);
            }
            connection.updated_at = now;
            match self.ctx.adapters.connections.put(&connection).await {
                Ok(_) => return Ok(()),
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(StoreError::ConnectionNotFound { .. }) => return Ok(()),
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Contended { attempts: 8 }.into())
    }

    async fn targeted(
        &self,
        engine: &mut SyncEngine,
        id: ConnectionId,
        target: Target,
    ) -> Result<JobOutcome, WorkerError> {
        let started = timestamp::now();
        // Events arriving from now on queue a new job: this one may read too early for them.
        crate::webhooks::pending::release_before_work(
            self.ctx.adapters.ephemeral.as_ref(),
            &id,
            &target,
        )
        .await;
        let TargetedOutcome {
            totals,
            pause,
            error,
        } = engine.run_targeted(&target).await?;
        let status = match (&pause, &error) {
            (_, Some(_)) => RunStatus::Failed,
            (Some(_), None) => RunStatus::Continued,
            (None, None) if totals.counts.failed > 0 => RunStatus::Partial,
            (None, None) => RunStatus::Succeeded,
        };
        let mut totals = totals;
        if let Some(error) = &error {
            totals.issue(None, "targeted_failed", error.clone());
        }
        let record = run_record(
            id,
            RunId::random(),
            "targeted",
            started,
            status,
            Some(timestamp::now()),
            &totals,
            json!({ "target": format!("{target:?}") }),
        );
        self.put_run(&record).await;
        Ok(match pause {
            Some(Pause::RateLimited { retry_after }) => JobOutcome::RetryLater(retry_after),
            Some(Pause::OutOfTime) => JobOutcome::RetryLater(Duration::ZERO),
            Some(_) => JobOutcome::RetryLater(self.options.retry_delay),
            None => JobOutcome::Done,
        })
    }

    /// The active run as `Running` (visible in the status route while it works).
    async fn record_progress(&self, engine: &SyncEngine, id: ConnectionId) {
        if let Some(run) = engine.active_run() {
            let record = run_record(
                id,
                run.run_id,
                run.kind.as_str(),
                run.started_at,
                RunStatus::Running,
                None,
                &run.totals,
                json!({"phase": run.phase.as_str(), "invocations": run.invocations}),
            );
            self.put_run(&record).await;
        }
    }

    async fn record_paused(&self, engine: &SyncEngine, id: ConnectionId, note: &str) {
        if let Some(run) = engine.active_run() {
            let record = run_record(
                id,
                run.run_id,
                run.kind.as_str(),
                run.started_at,
                RunStatus::Continued,
                None,
                &run.totals,
                json!({
                    "phase": run.phase.as_str(),
                    "invocations": run.invocations,
                    "note": note,
                    "bodies_fetched": run.totals.bodies_fetched,
                    "bodies_skipped": run.totals.bodies_skipped,
                    "limits": run.totals.limits,
                }),
            );
            self.put_run(&record).await;
        }
    }

    /// Run records are reporting: a failure to write one is logged, not fatal.
    async fn put_run(&self, record: &RunRecord) {
        if let Err(error) = self.ctx.adapters.sync_state.put_run(record).await {
            tracing::warn!(connection_id = %record.connection_id, error = %error, "could not record the sync run");
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_record(
    connection_id: ConnectionId,
    run_id: RunId,
    kind: &str,
    started_at: OffsetDateTime,
    status: RunStatus,
    finished_at: Option<OffsetDateTime>,
    totals: &RunTotals,
    details: serde_json::Value,
) -> RunRecord {
    RunRecord {
        run_id,
        connection_id,
        kind: kind.to_owned(),
        status,
        started_at,
        finished_at,
        counts: totals.counts,
        requests: totals.requests,
        rate_limited: totals.rate_limited,
        issues: totals.issues.clone(),
        details,
    }
}

fn ignore_missing(error: StoreError) -> Result<(), StoreError> {
    match error {
        StoreError::ConnectionNotFound { .. } => Ok(()),
        other => Err(other),
    }
}

async fn release(ctx: &AppContext, lease: &crate::domain::Lease) {
    if let Err(error) = ctx.adapters.sync_state.release_lease(lease).await {
        tracing::warn!(connection_id = %lease.connection_id, error = %error, "releasing the sync lease failed");
    }
}

/// Lambda runtimes and `tokio::spawn` need the job future to be `Send`; this fails to compile
/// otherwise.
#[allow(dead_code)]
fn handle_future_is_send(worker: &SyncWorker, job: &SyncJob) {
    fn is_send<T: Send>(_: &T) {}
    let future = worker.handle(job, Deadline::none());
    is_send(&future);
}
