//! The sync engine: one connection's run, resumable at every checkpoint.
//!
//! A run goes through phases ([`Phase`]): retry what failed last time, discover (search by
//! `last_edited_time` descending, stopping at the high-water mark minus the overlap in incremental
//! runs), the trash (tombstones), databases, data-source rows (windowed queries), and, in full
//! runs, reconciliation. Each unit of work (a search page, a batch of rows, a database) writes
//! its records first and then the checkpoint, so a worker that dies loses at most one unit.
//! The engine stops on its own before the deadline, on a long `Retry-After`, on a 401 (the
//! worker refreshes the token) and on transient Notion failures; it fails a run only for errors
//! that retrying cannot fix, and then says why.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use thiserror::Error;
use time::OffsetDateTime;

use super::checkpoint::{ActiveRun, Phase, RunKind, RunTotals, SeenIds, SyncCheckpoint};
use super::notion_time;
use super::options::SyncOptions;
use crate::domain::{ConnectionId, Lease, RecordModel, RunId, timestamp};
use crate::notion::{ConnectionClient, NotionError, RequestStatsSnapshot};
use crate::ports::{RecordStore, StoreError, SyncStateStore};

/// When the current invocation must stop starting new work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<tokio::time::Instant>);

impl Deadline {
    /// No deadline (local runs, tests).
    pub fn none() -> Self {
        Self(None)
    }

    pub fn at(instant: tokio::time::Instant) -> Self {
        Self(Some(instant))
    }

    pub fn after(duration: Duration) -> Self {
        Self(Some(tokio::time::Instant::now() + duration))
    }

    pub fn expired(&self) -> bool {
        self.0.is_some_and(|at| tokio::time::Instant::now() >= at)
    }

    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .map(|at| at.saturating_duration_since(tokio::time::Instant::now()))
    }
}

/// Why an invocation stopped before the run finished. The checkpoint is saved in every case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pause {
    /// The deadline came: continue in another invocation.
    OutOfTime,
    /// Notion asked to wait longer than a worker should sleep.
    RateLimited { retry_after: Duration },
    /// Notion refused the access token: refresh it and continue.
    Unauthorized,
    /// Notion or the store failed transiently (after the client's retries): continue later.
    Transient { message: String },
}

/// A finished (or failed) run, for the run record.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    pub run_id: RunId,
    pub kind: RunKind,
    pub started_at: OffsetDateTime,
    pub totals: RunTotals,
    pub invocations: u32,
    /// Why the run failed, if it did.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// There was no run to work on.
    Idle,
    Finished(FinishedRun),
    Paused(Pause),
}

#[derive(Debug, Error)]
pub enum SyncError {
    #[error("record or sync-state store: {0}")]
    Store(#[from] StoreError),
    /// Another worker wrote the checkpoint: this one must stop.
    #[error("the checkpoint of connection {0} was written by another worker")]
    Superseded(ConnectionId),
}

/// The `processed` key that marks a page whose body was read in this invocation.
fn body_marker() -> RecordModel {
    RecordModel::Other("body_read".to_owned())
}

/// How a unit of work ended early.
#[derive(Debug)]
pub(crate) enum StepError {
    Pause(Pause),
    /// The run cannot go on (a request Notion will never accept).
    Fail(String),
    Store(StoreError),
    /// The checkpoint could not be saved (another worker, or the store).
    Sync(SyncError),
}

impl From<SyncError> for StepError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Store(error) => Self::Store(error),
            other => Self::Sync(other),
        }
    }
}

impl From<StoreError> for StepError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl StepError {
    /// Run-level handling of a Notion error that no item-level rule absorbed.
    pub(crate) fn from_notion(error: NotionError) -> Self {
        match error {
            NotionError::RateLimited { retry_after, .. } => {
                Self::Pause(Pause::RateLimited { retry_after })
            }
            NotionError::Unauthorized { .. } | NotionError::InvalidGrant { .. } => {
                Self::Pause(Pause::Unauthorized)
            }
            error if error.is_retryable() => Self::Pause(Pause::Transient {
                message: error.to_string(),
            }),
            error => Self::Fail(error.to_string()),
        }
    }
}

/// Whether Notion refused a listing's `start_cursor` as expired or invalid (restart the listing).
pub(crate) fn is_expired_cursor(error: &NotionError) -> bool {
    matches!(error, NotionError::Validation { message, .. } if message.contains("start_cursor"))
}

/// Listing restarts allowed per phase before the run fails.
pub(crate) const MAX_LISTING_RESTARTS: u32 = 5;

/// What the engine works with: fixed for an invocation.
pub(crate) struct Ctx {
    pub client: ConnectionClient,
    pub connection_id: ConnectionId,
    pub records: Arc<dyn RecordStore>,
    pub options: SyncOptions,
    pub deadline: Deadline,
}

/// Where one unit of work books its results.
pub(crate) struct Book<'a> {
    pub totals: &'a mut RunTotals,
    pub seen: Option<&'a mut SeenIds>,
    pub recheck: &'a mut BTreeMap<String, String>,
    pub retry: &'a mut BTreeMap<String, String>,
    /// Ids handled in this invocation (a listing that shifts or restarts repeats items).
    pub processed: &'a mut HashSet<(RecordModel, String)>,
    /// Pages whose body must be re-read because a child page changed (`None`: not tracked, as
    /// in initial runs where every body is read anyway).
    pub parents: Option<&'a mut BTreeSet<String>>,
    /// A lower bound of Notion's clock when bodies are read now: the latest `last_edited_time`
    /// seen in a response so far.
    pub clock_floor: Option<OffsetDateTime>,
}

impl Book<'_> {
    pub fn see(&mut self, model: &RecordModel, id: &str) {
        if let Some(seen) = self.seen.as_deref_mut() {
            seen.insert(model, id);
        }
    }

    /// Marks `(model, id)` handled; false when it already was in this invocation.
    pub fn first_time(&mut self, model: &RecordModel, id: &str) -> bool {
        self.processed.insert((model.clone(), id.to_owned()))
    }

    /// Notes that page `id`'s body was read in this invocation.
    pub fn body_read(&mut self, id: &str) {
        self.processed.insert((body_marker(), id.to_owned()));
    }

    pub fn was_body_read(&self, id: &str) -> bool {
        self.processed.contains(&(body_marker(), id.to_owned()))
    }

    /// Asks for page `parent`'s body to be re-read (a child page of it changed).
    pub fn refresh_parent(&mut self, parent: &str) {
        if let Some(parents) = self.parents.as_deref_mut() {
            parents.insert(parent.to_owned());
        }
    }
}

/// The lease the worker holds, renewed as checkpoints are saved.
pub struct LeaseKeeper {
    pub lease: Lease,
    pub ttl: Duration,
    renewed: tokio::time::Instant,
}

impl LeaseKeeper {
    pub fn new(lease: Lease, ttl: Duration) -> Self {
        Self {
            lease,
            ttl,
            renewed: tokio::time::Instant::now(),
        }
    }
}

/// A [`Book`] over the checkpoint's active run `$run` (a `&mut ActiveRun` borrowed from
/// `$checkpoint.active`): disjoint field borrows, so the run's cursor fields stay writable.
macro_rules! book {
    ($checkpoint:ident, $run:ident, $processed:expr) => {{
        let clock_floor =
            $crate::sync::notion_time::max($checkpoint.high_water_mark, $run.run_high_water_mark);
        $crate::sync::engine::Book {
            totals: &mut $run.totals,
            seen: $run.seen.as_mut(),
            recheck: &mut $checkpoint.recheck,
            retry: &mut $checkpoint.retry,
            processed: &mut *$processed,
            parents: match $run.kind {
                $crate::sync::checkpoint::RunKind::Initial => None,
                _ => Some(&mut $run.parents),
            },
            clock_floor,
        }
    }};
}
pub(crate) use book;

/// The active run of `$checkpoint` (a field borrow, so the checkpoint's other fields stay free);
/// returns a failure from the enclosing step when there is none.
macro_rules! active {
    ($checkpoint:ident) => {
        match $checkpoint.active.as_mut() {
            Some(run) => run,
            None => {
                return Err($crate::sync::engine::StepError::Fail(
                    "no active run".to_owned(),
                ))
            }
        }
    };
}
pub(crate) use active;

/// One connection's sync engine for one invocation.
pub struct SyncEngine {
    pub(crate) ctx: Ctx,
    pub(crate) checkpoint: SyncCheckpoint,
    pub(crate) processed: HashSet<(RecordModel, String)>,
    pub(crate) saver: Saver,
}

/// Saves checkpoints: its own part of the engine so that a phase can save while it holds the
/// run's fields.
pub(crate) struct Saver {
    state_store: Arc<dyn SyncStateStore>,
    version: Option<u64>,
    lease: Option<LeaseKeeper>,
    stats_base: RequestStatsSnapshot,
}

impl Saver {
    /// Adds the requests made since the last call to the active run's totals.
    pub(crate) fn absorb_stats(&mut self, ctx: &Ctx, checkpoint: &mut SyncCheckpoint) {
        let now = ctx.client.stats();
        if let Some(run) = checkpoint.active.as_mut() {
            run.totals.requests += now
                .requests_sent
                .saturating_sub(self.stats_base.requests_sent);
            run.totals.rate_limited += now
                .rate_limited
                .saturating_sub(self.stats_base.rate_limited);
        }
        self.stats_base = now;
    }

    /// Saves the checkpoint (after the records it covers) and renews the lease.
    pub(crate) async fn save(
        &mut self,
        ctx: &Ctx,
        checkpoint: &mut SyncCheckpoint,
    ) -> Result<(), SyncError> {
        self.absorb_stats(ctx, checkpoint);
        self.persist(ctx, checkpoint).await
    }

    /// Forgets the requests made since the last absorb (targeted work is not the run's).
    pub(crate) fn skip_stats(&mut self, ctx: &Ctx) {
        self.stats_base = ctx.client.stats();
    }

    pub(crate) async fn persist(
        &mut self,
        ctx: &Ctx,
        checkpoint: &SyncCheckpoint,
    ) -> Result<(), SyncError> {
        if let Some(keeper) = self.lease.as_mut()
            && keeper.renewed.elapsed() >= keeper.ttl / 4
        {
            keeper.lease = self
                .state_store
                .renew_lease(&keeper.lease, keeper.ttl)
                .await?;
            keeper.renewed = tokio::time::Instant::now();
        }
        let data = encode_checkpoint(checkpoint, ctx.options.max_checkpoint_seen_ids);
        match self
            .state_store
            .put_checkpoint(&ctx.connection_id, &data, self.version)
            .await
        {
            Ok(stored) => {
                self.version = Some(stored.version);
                Ok(())
            }
            Err(StoreError::VersionConflict { .. }) => {
                Err(SyncError::Superseded(ctx.connection_id))
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// The checkpoint as stored: the seen-id set only while it is small (reconciliation re-enumerates
/// otherwise).
fn encode_checkpoint(checkpoint: &SyncCheckpoint, max_seen: usize) -> Value {
    let mut data = checkpoint.encode();
    let too_big = checkpoint
        .active
        .as_ref()
        .and_then(|run| run.seen.as_ref())
        .is_some_and(|seen| seen.len() > max_seen);
    if too_big && let Some(active) = data.get_mut("active").and_then(Value::as_object_mut) {
        active.insert("seen".into(), Value::Null);
    }
    data
}

impl SyncEngine {
    /// Loads the connection's checkpoint.
    pub async fn load(
        client: ConnectionClient,
        connection_id: ConnectionId,
        records: Arc<dyn RecordStore>,
        state_store: Arc<dyn SyncStateStore>,
        options: SyncOptions,
        deadline: Deadline,
    ) -> Result<Self, SyncError> {
        let stored = state_store.get_checkpoint(&connection_id).await?;
        let (checkpoint, version) = match stored {
            Some(stored) => (SyncCheckpoint::decode(&stored.data), Some(stored.version)),
            None => (SyncCheckpoint::new(), None),
        };
        let stats_base = client.stats();
        Ok(Self {
            ctx: Ctx {
                client,
                connection_id,
                records,
                options,
                deadline,
            },
            checkpoint,
            processed: HashSet::new(),
            saver: Saver {
                state_store,
                version,
                lease: None,
                stats_base,
            },
        })
    }

    /// Renews `lease` whenever a checkpoint is saved (and stops if it was lost).
    pub fn hold_lease(&mut self, lease: LeaseKeeper) {
        self.saver.lease = Some(lease);
    }

    pub fn take_lease(&mut self) -> Option<LeaseKeeper> {
        self.saver.lease.take()
    }

    pub fn checkpoint(&self) -> &SyncCheckpoint {
        &self.checkpoint
    }

    /// The stored checkpoint's version (`None` before the first save).
    pub fn checkpoint_version(&self) -> Option<u64> {
        self.saver.version
    }

    pub fn active_run(&self) -> Option<&ActiveRun> {
        self.checkpoint.active.as_ref()
    }

    pub fn options(&self) -> &SyncOptions {
        &self.ctx.options
    }

    pub fn client(&self) -> &ConnectionClient {
        &self.ctx.client
    }

    /// Replaces the Notion client (after a token refresh); counters continue from the new one.
    pub fn set_client(&mut self, client: ConnectionClient) {
        self.saver.absorb_stats(&self.ctx, &mut self.checkpoint);
        self.saver.stats_base = client.stats();
        self.ctx.client = client;
    }

    /// Starts a run unless one is in progress (which is then continued). `full` asks for a full
    /// reconciliation; if a run is already going, the next run is full.
    pub fn begin(&mut self, full: bool) {
        let checkpoint = &mut self.checkpoint;
        if checkpoint.active.is_some() {
            if full
                && checkpoint
                    .active
                    .as_ref()
                    .is_some_and(|run| run.kind == RunKind::Incremental)
            {
                checkpoint.full_requested = true;
            }
        } else {
            let kind = if checkpoint.high_water_mark.is_none() && checkpoint.completed_runs == 0 {
                RunKind::Initial
            } else if full
                || checkpoint.full_requested
                || checkpoint.runs_since_full.saturating_add(1) >= self.ctx.options.reconcile_every
            {
                RunKind::Full
            } else {
                RunKind::Incremental
            };
            if kind.is_complete() {
                checkpoint.full_requested = false;
            }
            let stop_before = match kind {
                RunKind::Incremental => checkpoint
                    .high_water_mark
                    .map(|mark| notion_time::minus(mark, self.ctx.options.overlap)),
                RunKind::Initial | RunKind::Full => None,
            };
            let phase = if checkpoint.retry.is_empty() && checkpoint.recheck.is_empty() {
                Phase::Discover
            } else {
                Phase::Retry
            };
            checkpoint.active = Some(ActiveRun {
                run_id: RunId::random(),
                kind,
                started_at: timestamp::now(),
                phase,
                stop_before,
                run_high_water_mark: None,
                search_cursor: None,
                search_restarts: 0,
                parents: Default::default(),
                databases: Default::default(),
                data_sources: Default::default(),
                rows: None,
                seen: (kind == RunKind::Full).then(SeenIds::default),
                reconcile_attempts: 0,
                totals: RunTotals::default(),
                invocations: 0,
            });
        }
    }

    /// Works on the active run until it finishes or must pause. Records are written before the
    /// checkpoint that covers them.
    pub async fn run(&mut self) -> Result<RunOutcome, SyncError> {
        match self.checkpoint.active.as_mut() {
            None => return Ok(RunOutcome::Idle),
            Some(run) => run.invocations = run.invocations.saturating_add(1),
        }
        // Every invocation makes progress (at least one unit), however late it started: a slow
        // environment must not turn into continuations that never move.
        let mut steps = 0u32;
        loop {
            if steps > 0 && self.ctx.deadline.expired() {
                self.save().await?;
                return Ok(RunOutcome::Paused(Pause::OutOfTime));
            }
            steps = steps.saturating_add(1);
            let phase = match &self.checkpoint.active {
                Some(run) => run.phase,
                None => return Ok(RunOutcome::Idle),
            };
            let step = match phase {
                Phase::Retry => self.retry_step().await,
                Phase::Discover => self.discover_step().await,
                Phase::Trash => self.trash_step().await,
                Phase::Parents => self.parents_step().await,
                Phase::Databases => self.databases_step().await,
                Phase::Rows => self.rows_step().await,
                Phase::Reconcile => self.reconcile_step().await,
                Phase::Done => return self.finish(None).await,
            };
            match step {
                Ok(()) => {}
                Err(StepError::Pause(pause)) => {
                    self.save().await?;
                    return Ok(RunOutcome::Paused(pause));
                }
                Err(StepError::Fail(message)) => return self.finish(Some(message)).await,
                Err(StepError::Store(error)) if error.is_transient() => {
                    // The checkpoint may not save either; what is stored is consistent anyway.
                    let _ = self.save().await;
                    return Ok(RunOutcome::Paused(Pause::Transient {
                        message: error.to_string(),
                    }));
                }
                Err(StepError::Store(error)) => return Err(error.into()),
                Err(StepError::Sync(error)) => return Err(error),
            }
        }
    }

    /// Ends the active run (successfully or with `error`), keeping its high-water mark only when
    /// discovery completed.
    async fn finish(&mut self, error: Option<String>) -> Result<RunOutcome, SyncError> {
        self.saver.absorb_stats(&self.ctx, &mut self.checkpoint);
        let Some(mut run) = self.checkpoint.active.take() else {
            return Ok(RunOutcome::Idle);
        };
        let checkpoint = &mut self.checkpoint;
        if let Some(message) = &error {
            run.totals.issue(None, "run_failed", message.clone());
        } else {
            checkpoint.high_water_mark =
                notion_time::max(checkpoint.high_water_mark, run.run_high_water_mark);
            checkpoint.completed_runs = checkpoint.completed_runs.saturating_add(1);
            checkpoint.runs_since_full = if run.kind.is_complete() {
                0
            } else {
                checkpoint.runs_since_full.saturating_add(1)
            };
        }
        self.saver.persist(&self.ctx, &self.checkpoint).await?;
        Ok(RunOutcome::Finished(FinishedRun {
            run_id: run.run_id,
            kind: run.kind,
            started_at: run.started_at,
            totals: run.totals,
            invocations: run.invocations,
            error,
        }))
    }

    /// Saves the checkpoint now.
    pub async fn save(&mut self) -> Result<(), SyncError> {
        self.saver.save(&self.ctx, &mut self.checkpoint).await
    }
}
