//! A connection: one end user's link to one Notion workspace.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::ids::{ConnectionId, EndUserId};
use super::sync_state::{RunCounts, RunId, RunStatus};
use super::token_vault::SealedTokens;

/// Connections are spread over this many shards of the due-for-sync index, so the scheduler reads
/// due connections shard by shard (in parallel if it wants) instead of scanning the table.
pub const SYNC_SHARDS: u16 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Tokens work; syncs run.
    Active,
    /// Notion refused the tokens (`invalid_grant`, revoked): syncs stop until the end user reconnects.
    NeedsReauth,
    /// Deleted by the app: tokens dropped, syncs stopped.
    Deleted,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NeedsReauth => "needs_reauth",
            Self::Deleted => "deleted",
        }
    }
}

/// The app's end user who made the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndUser {
    pub id: EndUserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
}

/// The Notion workspace, as the OAuth token response describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A URL or an emoji.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

/// The outcome of the most recent finished sync run, kept on the connection for quick status reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSync {
    pub run_id: RunId,
    pub status: RunStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    pub counts: RunCounts,
    /// A short, secret-free description of what failed, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A stored connection. `version` is the optimistic-concurrency token: a write carries the version
/// it read, and the store rejects it if someone wrote in between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: ConnectionId,
    pub end_user: EndUser,
    pub workspace: Workspace,
    pub bot_id: String,
    /// Notion's `owner` object from the token response, kept as received.
    pub owner: serde_json::Value,
    pub status: ConnectionStatus,
    /// Why the connection is not active (e.g. `invalid_grant`); secret-free.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The encrypted token pair; `None` once the connection is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<SealedTokens>,
    /// Set by the store: 1 on create, +1 on every write.
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When the scheduler should next sync this connection; `None` = not scheduled. Only active
    /// connections with a value are in the due index.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_sync_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<LastSync>,
}

impl Connection {
    /// A new active connection (version 0 until the store creates it), due for sync now.
    pub fn new(
        id: ConnectionId,
        end_user: EndUser,
        workspace: Workspace,
        bot_id: String,
        owner: serde_json::Value,
        tokens: SealedTokens,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            end_user,
            workspace,
            bot_id,
            owner,
            status: ConnectionStatus::Active,
            status_reason: None,
            tokens: Some(tokens),
            version: 0,
            created_at: now,
            updated_at: now,
            next_sync_at: Some(now),
            last_sync: None,
        }
    }

    /// The shard of the due-for-sync index this connection lives in (stable: derived from the id).
    pub fn sync_shard(&self) -> u16 {
        sync_shard_of(&self.id)
    }

    /// The due index entry, if the connection is schedulable (active with a next sync time).
    pub fn due_at(&self) -> Option<OffsetDateTime> {
        match self.status {
            ConnectionStatus::Active => self.next_sync_at,
            ConnectionStatus::NeedsReauth | ConnectionStatus::Deleted => None,
        }
    }
}

/// The shard of `id` in the due index.
pub fn sync_shard_of(id: &ConnectionId) -> u16 {
    let bytes = id.as_uuid().as_bytes();
    u16::from_be_bytes([bytes[14], bytes[15]]) % SYNC_SHARDS
}

/// The key that makes (end user, workspace) unique: SHA-256 (hex) of both, unambiguously joined.
pub fn owner_claim_key(end_user: &EndUserId, workspace_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update((end_user.as_str().len() as u64).to_be_bytes());
    hasher.update(end_user.as_str().as_bytes());
    hasher.update(workspace_id.as_bytes());
    hex::encode(hasher.finalize())
}

/// An entry of the due-for-sync index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueConnection {
    pub id: ConnectionId,
    pub next_sync_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_stable_and_in_range() {
        for _ in 0..200 {
            let id = ConnectionId::random();
            let shard = sync_shard_of(&id);
            assert!(shard < SYNC_SHARDS);
            assert_eq!(
                shard,
                sync_shard_of(&ConnectionId::parse(&id.to_string()).unwrap())
            );
        }
    }

    #[test]
    fn owner_claims_are_unambiguous() {
        let ab = EndUserId::parse("ab").unwrap();
        let a = EndUserId::parse("a").unwrap();
        assert_ne!(owner_claim_key(&ab, "c"), owner_claim_key(&a, "bc"));
        assert_eq!(owner_claim_key(&a, "w"), owner_claim_key(&a, "w"));
    }
}
