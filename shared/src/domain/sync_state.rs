//! Sync state: checkpoints, leases and run history.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::ids::{ConnectionId, IdError};

/// The sync engine's resume point for a connection: opaque JSON, versioned like a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub data: serde_json::Value,
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// What a lease guards. One holder per (connection, scope) at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LeaseScope {
    /// Running the connection's sync.
    Sync,
    /// Refreshing the connection's token pair.
    TokenRefresh,
    /// Anything else (lowercase letters, digits, `_`, `-`; at most 64 bytes).
    Other(String),
}

impl LeaseScope {
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        const KIND: &str = "lease scope";
        if raw.is_empty() || raw.len() > 64 {
            return Err(IdError::Length {
                kind: KIND,
                max: 64,
            });
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err(IdError::Charset { kind: KIND });
        }
        Ok(match raw {
            "sync" => Self::Sync,
            "token_refresh" => Self::TokenRefresh,
            other => Self::Other(other.to_owned()),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Sync => "sync",
            Self::TokenRefresh => "token_refresh",
            Self::Other(name) => name,
        }
    }
}

/// A held lease. `fence` grows with every acquisition, so a holder whose lease expired and was
/// taken over can tell (its renew and release fail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub connection_id: ConnectionId,
    pub scope: LeaseScope,
    pub holder: String,
    pub fence: u64,
    pub expires_at: OffsetDateTime,
}

/// Identifies one sync run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(Uuid);

impl RunId {
    pub fn random() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn parse(raw: &str) -> Result<Self, IdError> {
        Uuid::parse_str(raw)
            .map(Self)
            .map_err(|_| IdError::NotUuid { kind: "run id" })
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

impl TryFrom<String> for RunId {
    type Error = IdError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<RunId> for String {
    fn from(id: RunId) -> Self {
        id.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    /// Ran out of time; a continuation was queued from the checkpoint.
    Continued,
    /// Finished, but some items failed (listed in the run's issues).
    Partial,
    Failed,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    pub added: u64,
    pub updated: u64,
    pub deleted: u64,
    #[serde(default)]
    pub unchanged: u64,
    #[serde(default)]
    pub failed: u64,
}

/// Something that went wrong in a run, secret-free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIssue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    pub code: String,
    pub message: String,
}

/// How long run history is kept (DynamoDB TTL; the embedded store prunes on write).
pub const RUN_RETENTION: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// One sync run, appended when it starts and updated as it progresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: RunId,
    pub connection_id: ConnectionId,
    /// e.g. `initial`, `incremental`, `full`, `targeted`, `continuation`.
    pub kind: String,
    pub status: RunStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    pub counts: RunCounts,
    /// Notion requests made.
    pub requests: u64,
    /// 429 answers met.
    pub rate_limited: u64,
    #[serde(default)]
    pub issues: Vec<RunIssue>,
    /// Anything else the engine reports (limits applied, phases), kept as given.
    #[serde(default)]
    pub details: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_scopes() {
        assert_eq!(LeaseScope::parse("sync").unwrap(), LeaseScope::Sync);
        assert_eq!(
            LeaseScope::parse("token_refresh").unwrap(),
            LeaseScope::TokenRefresh
        );
        assert_eq!(LeaseScope::parse("x-1").unwrap().as_str(), "x-1");
        assert!(LeaseScope::parse("a#b").is_err());
        assert!(LeaseScope::parse("").is_err());
    }
}
