//! Synced records with a per-(connection, model) change cursor.

use async_trait::async_trait;

use super::error::StoreError;
use crate::domain::{
    ChangeCursor, ChangePage, ChangeQuery, ConnectionId, IdPage, RecordId, RecordKey, RecordModel,
    RecordTombstone, RecordUpsert, RecordWrite, StoredRecord, WriteOutcome,
};

#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Applies `writes` in order and returns one outcome per write. Writes that change a record
    /// get consecutive new cursors, committed in cursor order; unchanged and stale writes store
    /// nothing and do not move the cursor. Prefer batches: one call per batch of fetched records.
    async fn write(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        writes: Vec<RecordWrite>,
    ) -> Result<Vec<WriteOutcome>, StoreError>;

    async fn upsert(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        upsert: RecordUpsert,
    ) -> Result<WriteOutcome, StoreError> {
        single(
            self.write(connection_id, model, vec![RecordWrite::Upsert(upsert)])
                .await?,
        )
    }

    async fn tombstone(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        tombstone: RecordTombstone,
    ) -> Result<WriteOutcome, StoreError> {
        single(
            self.write(
                connection_id,
                model,
                vec![RecordWrite::Tombstone(tombstone)],
            )
            .await?,
        )
    }

    /// One record (deleted ones included), read consistently.
    async fn get(&self, key: &RecordKey) -> Result<Option<StoredRecord>, StoreError>;

    /// Changes after `query.after`, in cursor order.
    async fn list_changes(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        query: &ChangeQuery,
    ) -> Result<ChangePage, StoreError>;

    /// The cursor of the latest change (`START` if none): where a reader starting now would begin.
    async fn latest_cursor(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
    ) -> Result<ChangeCursor, StoreError>;

    /// Record ids in id order, for reconciliation; deleted records only if `include_deleted`.
    async fn list_ids(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        after: Option<&RecordId>,
        limit: usize,
        include_deleted: bool,
    ) -> Result<IdPage, StoreError>;

    /// Removes every record of the connection and returns how many. Cursor counters stay, so a
    /// cursor never goes back even if the connection is synced again.
    async fn purge_connection(&self, connection_id: &ConnectionId) -> Result<u64, StoreError>;
}

fn single(outcomes: Vec<WriteOutcome>) -> Result<WriteOutcome, StoreError> {
    outcomes
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt("a write returned no outcome".into()))
}
