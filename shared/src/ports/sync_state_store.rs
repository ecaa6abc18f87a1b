//! Sync state per connection: the checkpoint, leases and run history.

use std::time::Duration;

use async_trait::async_trait;

use super::error::StoreError;
use crate::domain::{Checkpoint, ConnectionId, Lease, LeaseScope, RunRecord};

#[async_trait]
pub trait SyncStateStore: Send + Sync {
    async fn get_checkpoint(
        &self,
        connection_id: &ConnectionId,
    ) -> Result<Option<Checkpoint>, StoreError>;

    /// Writes the checkpoint if its stored version is `expected_version` (`None`: none stored yet).
    /// Returns the stored checkpoint with its new version; otherwise `VersionConflict`.
    async fn put_checkpoint(
        &self,
        connection_id: &ConnectionId,
        data: &serde_json::Value,
        expected_version: Option<u64>,
    ) -> Result<Checkpoint, StoreError>;

    async fn delete_checkpoint(&self, connection_id: &ConnectionId) -> Result<(), StoreError>;

    /// Takes the lease if it is free, expired, or already `holder`'s. Returns `None` when someone
    /// else holds it. Among concurrent callers at most one gets it.
    async fn acquire_lease(
        &self,
        connection_id: &ConnectionId,
        scope: &LeaseScope,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError>;

    /// Extends a held lease; `LeaseLost` if it was taken over or released.
    async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<Lease, StoreError>;

    /// Gives the lease up; a lease already taken over is left alone (not an error).
    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError>;

    /// The current unexpired holder, if any.
    async fn current_lease(
        &self,
        connection_id: &ConnectionId,
        scope: &LeaseScope,
    ) -> Result<Option<Lease>, StoreError>;

    /// Appends the run, or replaces it (same run id and start time) as it progresses.
    async fn put_run(&self, run: &RunRecord) -> Result<(), StoreError>;

    /// The most recent runs first.
    async fn list_runs(
        &self,
        connection_id: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<RunRecord>, StoreError>;

    /// Removes the checkpoint, leases and runs of the connection.
    async fn purge_connection(&self, connection_id: &ConnectionId) -> Result<(), StoreError>;
}
