//! The error every store port returns.

use thiserror::Error;

use crate::domain::ConnectionId;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Someone wrote the item since it was read: re-read, re-apply, retry.
    #[error("{entity} {id} was changed concurrently (expected version {expected})")]
    VersionConflict {
        entity: &'static str,
        id: String,
        expected: u64,
    },
    #[error("connection {id} does not exist")]
    ConnectionNotFound { id: ConnectionId },
    /// Creating a connection for an end user and workspace that already have one.
    #[error("end user already has connection {existing} for this workspace")]
    ConnectionExists { existing: ConnectionId },
    #[error("connection {id} already exists")]
    DuplicateId { id: ConnectionId },
    /// The lease expired and was taken over (or released): the holder must stop.
    #[error("lease {scope} of connection {connection_id} is no longer held")]
    LeaseLost {
        connection_id: ConnectionId,
        scope: String,
    },
    #[error("{what} exceeds the store's size limit ({bytes} bytes)")]
    TooLarge { what: String, bytes: usize },
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Stored data that does not decode: a bug or manual tampering, never silently skipped.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Too much contention: every retry lost a conditional write.
    #[error("gave up after {attempts} conflicting attempts")]
    Contended { attempts: u32 },
    #[error("storage backend error: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn backend(error: impl std::fmt::Display) -> Self {
        Self::Backend(error.to_string())
    }

    pub fn corrupt(error: impl std::fmt::Display) -> Self {
        Self::Corrupt(error.to_string())
    }

    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Backend(_) | Self::Contended { .. })
    }
}
