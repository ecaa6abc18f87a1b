//! What travels on the sync queue. The OAuth callback enqueues the initial sync, the scheduler the
//! periodic ones, a worker its own continuation, and the webhook handler targeted work. Every job of
//! a connection shares its FIFO group, so one connection is worked on by one worker at a time.

use serde::{Deserialize, Serialize};

use super::ids::ConnectionId;
use super::job::OutgoingJob;

/// Why a sync run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncReason {
    /// Right after the connection was created or restored.
    Initial,
    /// The schedule found the connection due.
    Scheduled,
    /// The app backend asked for it (`POST /connections/{id}/sync`).
    Manual,
    /// A worker ran out of time and continues its run from the checkpoint.
    Continuation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SyncJob {
    /// Run (or continue) the connection's sync. `full` asks for a full reconciliation.
    Sync {
        connection_id: ConnectionId,
        reason: SyncReason,
        #[serde(default)]
        full: bool,
        /// The run a continuation belongs to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run_id: Option<String>,
        /// The checkpoint version a continuation resumes from. A continuation whose checkpoint
        /// has moved on (another worker continued the run) is stale and does nothing, so a run
        /// never has two continuation chains.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        checkpoint_version: Option<u64>,
    },
    /// Re-read one page (created, edited, moved or restored in Notion).
    RefetchPage {
        connection_id: ConnectionId,
        page_id: String,
    },
    /// Mark one page deleted (trashed in Notion).
    TombstonePage {
        connection_id: ConnectionId,
        page_id: String,
    },
    /// Re-read one data source's schema and rows.
    RefreshDataSource {
        connection_id: ConnectionId,
        data_source_id: String,
    },
}

impl SyncJob {
    pub fn initial(connection_id: ConnectionId) -> Self {
        Self::Sync {
            connection_id,
            reason: SyncReason::Initial,
            full: true,
            run_id: None,
            checkpoint_version: None,
        }
    }

    /// The periodic sync the scheduler sends for a due connection.
    pub fn scheduled(connection_id: ConnectionId) -> Self {
        Self::Sync {
            connection_id,
            reason: SyncReason::Scheduled,
            full: false,
            run_id: None,
            checkpoint_version: None,
        }
    }

    /// A sync the app asked for (`POST /connections/{id}/sync`).
    pub fn manual(connection_id: ConnectionId, full: bool) -> Self {
        Self::Sync {
            connection_id,
            reason: SyncReason::Manual,
            full,
            run_id: None,
            checkpoint_version: None,
        }
    }

    /// The rest of run `run_id`, from the checkpoint stored with `checkpoint_version`.
    pub fn continuation(
        connection_id: ConnectionId,
        run_id: &str,
        checkpoint_version: u64,
    ) -> Self {
        Self::Sync {
            connection_id,
            reason: SyncReason::Continuation,
            full: false,
            run_id: Some(run_id.to_owned()),
            checkpoint_version: Some(checkpoint_version),
        }
    }

    pub fn connection_id(&self) -> &ConnectionId {
        match self {
            Self::Sync { connection_id, .. }
            | Self::RefetchPage { connection_id, .. }
            | Self::TombstonePage { connection_id, .. }
            | Self::RefreshDataSource { connection_id, .. } => connection_id,
        }
    }

    /// The queue message. `deduplication_scope` makes the id unique where a repeat must not be
    /// collapsed (e.g. the time bucket of a schedule tick, or a run id), and equal where it must.
    pub fn to_outgoing(&self, deduplication_scope: &str) -> Result<OutgoingJob, serde_json::Error> {
        let body = serde_json::to_value(self)?;
        let what = match self {
            Self::Sync { reason, full, .. } => format!("sync:{reason:?}:{full}"),
            Self::RefetchPage { page_id, .. } => format!("refetch:{page_id}"),
            Self::TombstonePage { page_id, .. } => format!("tombstone:{page_id}"),
            Self::RefreshDataSource { data_source_id, .. } => {
                format!("data_source:{data_source_id}")
            }
        };
        Ok(OutgoingJob::new(
            *self.connection_id(),
            format!("{}:{what}:{deduplication_scope}", self.connection_id()),
            body,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_through_json_and_group_by_connection() {
        let id = ConnectionId::random();
        let job = SyncJob::initial(id);
        let outgoing = job.to_outgoing("first").unwrap();
        assert_eq!(outgoing.group, id);
        assert_eq!(outgoing.body["kind"], "sync");
        assert_eq!(outgoing.body["reason"], "initial");
        let back: SyncJob = serde_json::from_value(outgoing.body).unwrap();
        assert_eq!(back, job);
    }

    #[test]
    fn continuations_carry_their_run_and_checkpoint_version() {
        let id = ConnectionId::random();
        let job = SyncJob::continuation(id, "run-1", 7);
        let outgoing = job.to_outgoing("run-1-7").unwrap();
        assert_eq!(outgoing.body["reason"], "continuation");
        assert_eq!(outgoing.body["checkpoint_version"], 7);
        assert_eq!(
            serde_json::from_value::<SyncJob>(outgoing.body).unwrap(),
            job
        );
        // Jobs written before the field existed still decode.
        let old = serde_json::json!({"kind": "sync", "connection_id": id.to_string(), "reason": "scheduled"});
        assert_eq!(
            serde_json::from_value::<SyncJob>(old).unwrap(),
            SyncJob::scheduled(id)
        );
    }

    #[test]
    fn deduplication_ids_differ_by_scope_and_target() {
        let id = ConnectionId::random();
        let a = SyncJob::RefetchPage {
            connection_id: id,
            page_id: "p1".into(),
        };
        let b = SyncJob::RefetchPage {
            connection_id: id,
            page_id: "p2".into(),
        };
        assert_ne!(
            a.to_outgoing("s").unwrap().deduplication_id,
            b.to_outgoing("s").unwrap().deduplication_id
        );
        assert_ne!(
            a.to_outgoing("s1").unwrap().deduplication_id,
            a.to_outgoing("s2").unwrap().deduplication_id
        );
        assert_eq!(
            a.to_outgoing("s").unwrap().deduplication_id,
            a.to_outgoing("s").unwrap().deduplication_id
        );
    }
}
