//! What `GET /connections/{id}/sync` shows: the connection's sync state, the run in progress
//! (from the checkpoint), what waits for the next run, and the latest run records.

use serde::Serialize;
use time::OffsetDateTime;

use super::checkpoint::SyncCheckpoint;
use crate::adapters::Adapters;
use crate::domain::{ConnectionId, ConnectionStatus, LastSync, LeaseScope, RunCounts, RunRecord};
use crate::ports::StoreError;

#[derive(Debug, Clone, Serialize)]
pub struct SyncStatus {
    pub connection_id: ConnectionId,
    pub connection_status: &'static str,
    /// `idle`, `running` (a worker holds the run now), `waiting` (a run is in progress between
    /// invocations), or `stopped` (the connection is not active).
    pub state: &'static str,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_sync_at: Option<OffsetDateTime>,
    /// Incremental runs read changes from here on (minus the overlap).
    #[serde(with = "time::serde::rfc3339::option")]
    pub high_water_mark: Option<OffsetDateTime>,
    pub completed_runs: u64,
    pub current_run: Option<CurrentRun>,
    /// Pages waiting for a retry, and pages waiting for a re-read after their edit minute.
    pub pending_retries: usize,
    pub pending_rechecks: usize,
    pub full_sync_requested: bool,
    pub last_sync: Option<LastSync>,
    /// Latest runs first.
    pub runs: Vec<RunRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrentRun {
    pub run_id: String,
    pub kind: &'static str,
    pub phase: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub invocations: u32,
    pub counts: RunCounts,
    pub requests: u64,
    pub rate_limited: u64,
    pub bodies_fetched: u64,
    pub databases_pending: usize,
    pub data_sources_pending: usize,
    pub issues: usize,
}

/// The status of connection `id`, or `None` when it does not exist.
pub async fn sync_status(
    adapters: &Adapters,
    id: &ConnectionId,
    run_limit: usize,
) -> Result<Option<SyncStatus>, StoreError> {
    let Some(connection) = adapters.connections.get(id).await? else {
        return Ok(None);
    };
    let checkpoint = adapters
        .sync_state
        .get_checkpoint(id)
        .await?
        .map(|stored| SyncCheckpoint::decode(&stored.data))
        .unwrap_or_default();
    let leased = adapters
        .sync_state
        .current_lease(id, &LeaseScope::Sync)
        .await?
        .is_some();
    let runs = adapters.sync_state.list_runs(id, run_limit).await?;
    let state = match (&connection.status, &checkpoint.active, leased) {
        (ConnectionStatus::NeedsReauth | ConnectionStatus::Deleted, _, _) => "stopped",
        (_, _, true) => "running",
        (_, Some(_), false) => "waiting",
        (_, None, false) => "idle",
    };
    let current_run = checkpoint.active.as_ref().map(|run| CurrentRun {
        run_id: run.run_id.to_string(),
        kind: run.kind.as_str(),
        phase: run.phase.as_str(),
        started_at: run.started_at,
        invocations: run.invocations,
        counts: run.totals.counts,
        requests: run.totals.requests,
        rate_limited: run.totals.rate_limited,
        bodies_fetched: run.totals.bodies_fetched,
        databases_pending: run.databases.len(),
        data_sources_pending: run.data_sources.len() + usize::from(run.rows.is_some()),
        issues: run.totals.issues.len() + run.totals.issues_dropped as usize,
    });
    Ok(Some(SyncStatus {
        connection_id: connection.id,
        connection_status: connection.status.as_str(),
        state,
        next_sync_at: connection.due_at(),
        high_water_mark: checkpoint.high_water_mark,
        completed_runs: checkpoint.completed_runs,
        current_run,
        pending_retries: checkpoint.retry.len(),
        pending_rechecks: checkpoint.recheck.len(),
        full_sync_requested: checkpoint.full_requested,
        last_sync: connection.last_sync,
        runs,
    }))
}
