//! Connections: optimistic concurrency on a version, one connection per (end user, workspace), and
//! an index of connections due for sync.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::error::StoreError;
use crate::domain::{Connection, ConnectionId, DueConnection, EndUserId};

/// One page of the due-for-sync index of one shard.
#[derive(Debug, Clone, PartialEq)]
pub struct DuePage {
    /// In `next_sync_at` order.
    pub due: Vec<DueConnection>,
    /// Pass back to continue the shard; `None` when the shard has no more due connections.
    pub next: Option<DueConnection>,
}

#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Stores a new connection with version 1 and returns it. Fails with `ConnectionExists` when
    /// the end user already has a connection to that workspace (reconnect updates that one), and
    /// with `DuplicateId` when the id is taken.
    async fn create(&self, connection: &Connection) -> Result<Connection, StoreError>;

    /// Strongly consistent read.
    async fn get(&self, id: &ConnectionId) -> Result<Option<Connection>, StoreError>;

    /// Replaces the connection if the stored version is still `connection.version`; returns it
    /// with the new version. A stale version fails with `VersionConflict`, a missing connection
    /// with `ConnectionNotFound`. The owner pair (end user, workspace) cannot change.
    async fn put(&self, connection: &Connection) -> Result<Connection, StoreError>;

    /// Moves the connection in the due index (`None` removes it) without a read; bumps the version
    /// so a concurrent `put` of an older read conflicts instead of undoing it. Returns the new
    /// version. Ignored for connections that are not active (they are never due).
    async fn set_next_sync(
        &self,
        id: &ConnectionId,
        next_sync_at: Option<OffsetDateTime>,
    ) -> Result<u64, StoreError>;

    /// Deletes the connection and its (end user, workspace) claim. Missing is not an error.
    async fn delete(&self, id: &ConnectionId) -> Result<(), StoreError>;

    /// The end user's connections, oldest first (may lag a just-finished write by a moment).
    async fn list_by_end_user(&self, end_user: &EndUserId) -> Result<Vec<Connection>, StoreError>;

    /// The end user's connection to `workspace_id`, read consistently.
    async fn find_by_end_user_and_workspace(
        &self,
        end_user: &EndUserId,
        workspace_id: &str,
    ) -> Result<Option<Connection>, StoreError>;

    /// Every connection to `workspace_id` (any end user, any status), for routing Notion
    /// webhook events. May lag a just-finished write by a moment.
    async fn list_by_workspace(&self, workspace_id: &str) -> Result<Vec<Connection>, StoreError>;

    /// Every connection, a page at a time (`after` = last id of the previous page).
    async fn list(
        &self,
        after: Option<&ConnectionId>,
        limit: usize,
    ) -> Result<Vec<Connection>, StoreError>;

    /// Active connections of `shard` (0..SYNC_SHARDS) whose `next_sync_at <= now`, oldest due
    /// first, from the due index (never a table scan).
    async fn list_due(
        &self,
        shard: u16,
        now: OffsetDateTime,
        after: Option<&DueConnection>,
        limit: usize,
    ) -> Result<DuePage, StoreError>;
}
