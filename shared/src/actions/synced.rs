//! Reading the synced copy (the record store) for the read actions.

use time::OffsetDateTime;

use super::Actions;
use super::error::ActionError;
use crate::domain::{ChangeCursor, ChangeQuery, ConnectionId, RecordModel, StoredRecord};

/// Records read per store call while scanning.
const SCAN_PAGE: usize = 500;

/// What a scan saw.
pub struct Scan {
    /// Live (not deleted) records seen, matching or not.
    pub live: usize,
}

impl Actions {
    /// Calls `visit` with every live record of `model`, reading at most `max_records` records.
    pub(super) async fn scan_live(
        &self,
        connection: &ConnectionId,
        model: &RecordModel,
        max_records: usize,
        mut visit: impl FnMut(&StoredRecord),
    ) -> Result<Scan, ActionError> {
        let store = &self.ctx.adapters.records;
        let mut after = ChangeCursor::START;
        let mut read = 0usize;
        let mut live = 0usize;
        loop {
            let page = store
                .list_changes(connection, model, &ChangeQuery::after(after, SCAN_PAGE))
                .await?;
            for record in &page.records {
                read += 1;
                if record.deleted_at.is_none() {
                    live += 1;
                    visit(record);
                }
            }
            if !page.has_more || page.records.is_empty() {
                return Ok(Scan { live });
            }
            if read >= max_records {
                tracing::info!(connection_id = %connection, model = %model, read, "synced-copy scan stopped at its limit");
                return Ok(Scan { live });
            }
            after = page.next_cursor;
        }
    }

    /// When the connection's last sync finished successfully, if it did.
    pub(super) async fn last_sync_finished(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<OffsetDateTime>, ActionError> {
        use crate::domain::RunStatus;
        let stored = self.ctx.adapters.connections.get(connection).await?;
        Ok(stored
            .and_then(|connection| connection.last_sync)
            .filter(|run| matches!(run.status, RunStatus::Succeeded | RunStatus::Partial))
            .and_then(|run| run.finished_at))
    }
}
