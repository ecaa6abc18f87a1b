//! Synced records and their change cursor.
//!
//! Every write that changes a record gives it the next value of a per-(connection, model) counter,
//! its change cursor. The stores commit writes in cursor order, so a reader that lists changes after
//! the cursor it saved sees every change exactly once, in order, deletions included. A record that
//! changes again moves to a later cursor: readers see its latest state.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;
use time::OffsetDateTime;

use super::ids::{ConnectionId, RecordId, RecordModel};

/// A position in a (connection, model)'s change stream. `START` is before every change.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct ChangeCursor(u64);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a change cursor is a non-negative integer")]
pub struct CursorError;

impl ChangeCursor {
    pub const START: Self = Self(0);

    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    pub const fn value(self) -> u64 {
        self.0
    }

    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }

    /// Parses the decimal form produced by `Display`.
    pub fn parse(raw: &str) -> Result<Self, CursorError> {
        if raw.is_empty() || raw.len() > 20 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CursorError);
        }
        raw.parse().map(Self).map_err(|_| CursorError)
    }
}

impl fmt::Display for ChangeCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// SHA-256 (hex) of a record's payload: equal hashes mean nothing to write.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PayloadHash(String);

impl PayloadHash {
    /// The hash of `payload`'s JSON serialisation (object keys keep their order).
    pub fn of(payload: &serde_json::Value) -> Self {
        let bytes = serde_json::to_vec(payload).unwrap_or_default();
        Self(hex::encode(Sha256::digest(&bytes)))
    }

    /// A hash computed by the caller (e.g. over a payload without volatile fields such as signed
    /// file URLs that change on every fetch).
    pub fn from_hex(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordAction {
    /// First seen, or back after a deletion.
    Added,
    Updated,
    Deleted,
}

impl RecordAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "added" => Some(Self::Added),
            "updated" => Some(Self::Updated),
            "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordKey {
    pub connection_id: ConnectionId,
    pub model: RecordModel,
    pub record_id: RecordId,
}

/// A record as stored, with its change metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    pub record_id: RecordId,
    pub payload: serde_json::Value,
    pub payload_hash: PayloadHash,
    /// Notion's `last_edited_time` of the stored payload, if it has one.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub source_modified: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_modified_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
    pub last_action: RecordAction,
    pub cursor: ChangeCursor,
}

/// Insert or update one record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordUpsert {
    pub record_id: RecordId,
    pub payload: serde_json::Value,
    pub payload_hash: PayloadHash,
    pub source_modified: Option<OffsetDateTime>,
}

impl RecordUpsert {
    /// An upsert whose hash is computed over the whole payload.
    pub fn new(
        record_id: RecordId,
        payload: serde_json::Value,
        source_modified: Option<OffsetDateTime>,
    ) -> Self {
        let payload_hash = PayloadHash::of(&payload);
        Self {
            record_id,
            payload,
            payload_hash,
            source_modified,
        }
    }
}

/// Mark one record deleted (it keeps its last payload).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordTombstone {
    pub record_id: RecordId,
    /// When Notion says it was deleted, if known: an older value than the stored one is stale.
    pub source_modified: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordWrite {
    Upsert(RecordUpsert),
    Tombstone(RecordTombstone),
}

impl RecordWrite {
    pub fn record_id(&self) -> &RecordId {
        match self {
            Self::Upsert(upsert) => &upsert.record_id,
            Self::Tombstone(tombstone) => &tombstone.record_id,
        }
    }
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Stored at a new cursor.
    Written {
        action: RecordAction,
        cursor: ChangeCursor,
    },
    /// Same payload (or already deleted): nothing written, the cursor did not move.
    Unchanged,
    /// The stored record is newer (its `source_modified` is later): nothing written.
    Stale,
    /// A tombstone for a record that was never stored: nothing written.
    NotFound,
}

/// Which actions a change listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionFilter {
    pub added: bool,
    pub updated: bool,
    pub deleted: bool,
}

impl Default for ActionFilter {
    fn default() -> Self {
        Self::ALL
    }
}

impl ActionFilter {
    pub const ALL: Self = Self {
        added: true,
        updated: true,
        deleted: true,
    };

    pub fn only(actions: &[RecordAction]) -> Self {
        Self {
            added: actions.contains(&RecordAction::Added),
            updated: actions.contains(&RecordAction::Updated),
            deleted: actions.contains(&RecordAction::Deleted),
        }
    }

    pub fn is_all(&self) -> bool {
        *self == Self::ALL
    }

    pub fn allows(&self, action: RecordAction) -> bool {
        match action {
            RecordAction::Added => self.added,
            RecordAction::Updated => self.updated,
            RecordAction::Deleted => self.deleted,
        }
    }

    pub fn actions(&self) -> Vec<RecordAction> {
        [
            RecordAction::Added,
            RecordAction::Updated,
            RecordAction::Deleted,
        ]
        .into_iter()
        .filter(|action| self.allows(*action))
        .collect()
    }
}

/// A page request of the change stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeQuery {
    /// Return changes strictly after this cursor.
    pub after: ChangeCursor,
    /// At most this many records (at least 1 is used).
    pub limit: usize,
    pub actions: ActionFilter,
    /// Only records whose `last_modified_at` is strictly later.
    pub modified_after: Option<OffsetDateTime>,
}

impl ChangeQuery {
    pub fn after(after: ChangeCursor, limit: usize) -> Self {
        Self {
            after,
            limit,
            actions: ActionFilter::ALL,
            modified_after: None,
        }
    }

    /// Whether `record` passes the filters (the cursor bound is the store's job).
    pub fn matches(&self, record: &StoredRecord) -> bool {
        self.actions.allows(record.last_action)
            && self
                .modified_after
                .is_none_or(|after| record.last_modified_at > after)
    }
}

/// One page of changes, in cursor order. `next_cursor` is where the next page starts (it moves past
/// records the filters skipped, so paging always advances); save it to resume later.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangePage {
    pub records: Vec<StoredRecord>,
    pub next_cursor: ChangeCursor,
    pub has_more: bool,
}

/// One page of record ids in id order, for reconciliation.
#[derive(Debug, Clone, PartialEq)]
pub struct IdPage {
    pub ids: Vec<RecordId>,
    /// Pass as `after` to get the next page; `None` at the end.
    pub next: Option<RecordId>,
}

/// What a store must do for one write, decided from the record it holds (the same rules for
/// every adapter).
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Skip(WriteOutcome),
    /// Store `record` at the next cursor (its `cursor` field is filled in by the store).
    Write(Box<StoredRecord>),
}

/// Applies the write rules: same hash is unchanged, an older `source_modified` is stale, a
/// tombstone of an unknown record is not found, an upsert of a deleted record brings it back.
pub fn decide(
    existing: Option<&StoredRecord>,
    write: &RecordWrite,
    now: OffsetDateTime,
) -> Decision {
    match (write, existing) {
        (RecordWrite::Upsert(upsert), None) => Decision::Write(Box::new(StoredRecord {
            record_id: upsert.record_id.clone(),
            payload: upsert.payload.clone(),
            payload_hash: upsert.payload_hash.clone(),
            source_modified: upsert.source_modified,
            first_seen_at: now,
            last_modified_at: now,
            deleted_at: None,
            last_action: RecordAction::Added,
            cursor: ChangeCursor::START,
        })),
        (RecordWrite::Upsert(upsert), Some(stored)) => {
            if is_older(upsert.source_modified, stored.source_modified) {
                return Decision::Skip(WriteOutcome::Stale);
            }
            let action = if stored.deleted_at.is_some() {
                RecordAction::Added
            } else if stored.payload_hash == upsert.payload_hash {
                return Decision::Skip(WriteOutcome::Unchanged);
            } else {
                RecordAction::Updated
            };
            Decision::Write(Box::new(StoredRecord {
                record_id: upsert.record_id.clone(),
                payload: upsert.payload.clone(),
                payload_hash: upsert.payload_hash.clone(),
                source_modified: upsert.source_modified.or(stored.source_modified),
                first_seen_at: stored.first_seen_at,
                last_modified_at: now,
                deleted_at: None,
                last_action: action,
                cursor: stored.cursor,
            }))
        }
        (RecordWrite::Tombstone(_), None) => Decision::Skip(WriteOutcome::NotFound),
        (RecordWrite::Tombstone(tombstone), Some(stored)) => {
            if is_older(tombstone.source_modified, stored.source_modified) {
                return Decision::Skip(WriteOutcome::Stale);
            }
            if stored.deleted_at.is_some() {
                return Decision::Skip(WriteOutcome::Unchanged);
            }
            Decision::Write(Box::new(StoredRecord {
                source_modified: tombstone.source_modified.or(stored.source_modified),
                last_modified_at: now,
                deleted_at: Some(now),
                last_action: RecordAction::Deleted,
                ..stored.clone()
            }))
        }
    }
}

fn is_older(incoming: Option<OffsetDateTime>, stored: Option<OffsetDateTime>) -> bool {
    matches!((incoming, stored), (Some(incoming), Some(stored)) if incoming < stored)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    fn id() -> RecordId {
        RecordId::parse("page-1").unwrap()
    }

    fn upsert(payload: serde_json::Value, modified: Option<OffsetDateTime>) -> RecordWrite {
        RecordWrite::Upsert(RecordUpsert::new(id(), payload, modified))
    }

    fn stored(decision: Decision) -> StoredRecord {
        match decision {
            Decision::Write(record) => *record,
            Decision::Skip(outcome) => panic!("expected a write, got {outcome:?}"),
        }
    }

    #[test]
    fn upsert_rules() {
        let t0 = datetime!(2025-01-01 10:00 UTC);
        let t1 = datetime!(2025-01-01 10:01 UTC);
        let first = stored(decide(None, &upsert(json!({"a": 1}), Some(t1)), t0));
        assert_eq!(first.last_action, RecordAction::Added);

        let same = decide(Some(&first), &upsert(json!({"a": 1}), Some(t1)), t1);
        assert_eq!(same, Decision::Skip(WriteOutcome::Unchanged));

        let older = decide(Some(&first), &upsert(json!({"a": 2}), Some(t0)), t1);
        assert_eq!(older, Decision::Skip(WriteOutcome::Stale));

        // Minute-granular timestamps: the same minute with new content is an update.
        let updated = stored(decide(Some(&first), &upsert(json!({"a": 2}), Some(t1)), t1));
        assert_eq!(updated.last_action, RecordAction::Updated);
        assert_eq!(updated.first_seen_at, t0);
        assert_eq!(updated.last_modified_at, t1);
    }

    #[test]
    fn tombstone_and_undelete() {
        let t0 = datetime!(2025-01-01 10:00 UTC);
        let first = stored(decide(None, &upsert(json!({"a": 1}), None), t0));
        let gone = RecordWrite::Tombstone(RecordTombstone {
            record_id: id(),
            source_modified: None,
        });
        assert_eq!(
            decide(None, &gone, t0),
            Decision::Skip(WriteOutcome::NotFound)
        );
        let deleted = stored(decide(Some(&first), &gone, t0));
        assert_eq!(deleted.last_action, RecordAction::Deleted);
        assert_eq!(deleted.deleted_at, Some(t0));
        assert_eq!(deleted.payload, json!({"a": 1}));
        assert_eq!(
            decide(Some(&deleted), &gone, t0),
            Decision::Skip(WriteOutcome::Unchanged)
        );
        // The same payload coming back is a change: the record reappears.
        let back = stored(decide(Some(&deleted), &upsert(json!({"a": 1}), None), t0));
        assert_eq!(back.last_action, RecordAction::Added);
        assert_eq!(back.deleted_at, None);
    }

    #[test]
    fn filters() {
        let filter = ActionFilter::only(&[RecordAction::Deleted]);
        assert!(filter.allows(RecordAction::Deleted));
        assert!(!filter.allows(RecordAction::Added));
        assert_eq!(filter.actions(), vec![RecordAction::Deleted]);
        assert!(ActionFilter::default().is_all());
    }

    #[test]
    fn cursor_parsing() {
        assert_eq!(ChangeCursor::parse("42").unwrap().value(), 42);
        assert!(ChangeCursor::parse("-1").is_err());
        assert!(ChangeCursor::parse("").is_err());
        assert!(ChangeCursor::parse("1e3").is_err());
        assert!(ChangeCursor::parse("99999999999999999999999").is_err());
    }
}
