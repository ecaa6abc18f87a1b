//! Domain types shared by the ports, the adapters and the flows built on them.
//!
//! Values are parsed once at the edge ([`ConnectionId::parse`], [`RecordModel::parse`], ...) so that
//! past that point the types guarantee validity.

pub mod connection;
pub mod crypto;
pub mod ids;
pub mod job;
pub mod record;
pub mod sync_job;
pub mod sync_state;
pub mod timestamp;
pub mod token_vault;

pub use connection::{
    Connection, ConnectionStatus, DueConnection, EndUser, LastSync, SYNC_SHARDS, Workspace,
};
pub use crypto::{DataKey, EncryptionContext, Envelope};
pub use ids::{ConnectionId, EndUserId, IdError, RecordId, RecordModel};
pub use job::{
    OutgoingJob, ReceiptHandle, ReceivedJob, SendFailure, SendReport, failures_after_first_failure,
    first_of_each_group, next_send_batch,
};
pub use record::{
    ActionFilter, ChangeCursor, ChangePage, ChangeQuery, IdPage, PayloadHash, RecordAction,
    RecordKey, RecordTombstone, RecordUpsert, RecordWrite, StoredRecord, WriteOutcome,
};
pub use sync_job::{SyncJob, SyncReason};
pub use sync_state::{
    Checkpoint, Lease, LeaseScope, RunCounts, RunId, RunIssue, RunRecord, RunStatus,
};
pub use token_vault::{SealedTokens, TokenPair, TokenVault, TokenVaultError};
