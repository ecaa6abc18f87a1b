//! The engine's resume point, stored as the connection's checkpoint (JSON, versioned).
//!
//! It is written only after the records it covers, so a worker killed at any point resumes from
//! work that is stored. It stays small (well under DynamoDB's item limit): cursors, a few id sets
//! bounded by [`super::SyncOptions`], never the workspace's content.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::{RecordModel, RunCounts, RunId, RunIssue};

/// Bumped when the shape changes incompatibly; an unknown format starts over with a full run.
pub const FORMAT: u32 = 1;

/// Issues kept per run (the count of dropped ones is kept too).
pub const MAX_ISSUES: usize = 200;

/// Everything the engine remembers about a connection between invocations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncCheckpoint {
    pub format: u32,
    /// The latest `last_edited_time` a completed discovery saw: incremental runs stop below it
    /// (minus the overlap).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub high_water_mark: Option<OffsetDateTime>,
    #[serde(default)]
    pub completed_runs: u64,
    /// Runs since the last full reconciliation.
    #[serde(default)]
    pub runs_since_full: u32,
    /// A full run was asked for while another run was going on: the next run is full.
    #[serde(default)]
    pub full_requested: bool,
    /// Pages whose body was read during the minute of their `last_edited_time`: an edit later in
    /// that minute keeps the timestamp, so they are read once more after Notion's clock has
    /// visibly moved on (id -> last_edited_time).
    #[serde(default)]
    pub recheck: BTreeMap<String, String>,
    /// Pages that failed (id -> model): read again at the start of the next run.
    #[serde(default)]
    pub retry: BTreeMap<String, String>,
    /// The run in progress, if any.
    #[serde(default)]
    pub active: Option<ActiveRun>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// The first run of a connection: everything, no reconciliation needed.
    Initial,
    /// Changes since the high-water mark.
    Incremental,
    /// A complete enumeration plus reconciliation.
    Full,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::Incremental => "incremental",
            Self::Full => "full",
        }
    }

    /// Whether discovery enumerates everything (no stop at the high-water mark).
    pub fn is_complete(self) -> bool {
        matches!(self, Self::Initial | Self::Full)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Retry pages that failed in the previous run.
    Retry,
    /// Search, newest edits first: pages, rows and data sources.
    Discover,
    /// Search the trash, newest first: tombstones.
    Trash,
    /// Re-read the bodies of pages whose child pages were added, renamed, moved or trashed
    /// (a parent's Markdown lists its child pages by title; its `last_edited_time` does not move).
    Parents,
    /// Retrieve the databases of new or changed data sources.
    Databases,
    /// Read the rows of data sources with windowed queries.
    Rows,
    /// Tombstone what a complete enumeration no longer saw (after re-fetching it).
    Reconcile,
    Done,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Discover => "discover",
            Self::Trash => "trash",
            Self::Parents => "parents",
            Self::Databases => "databases",
            Self::Rows => "rows",
            Self::Reconcile => "reconcile",
            Self::Done => "done",
        }
    }
}

/// A run in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveRun {
    pub run_id: RunId,
    pub kind: RunKind,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub phase: Phase,
    /// Incremental discovery stops at items edited before this (high-water mark - overlap).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub stop_before: Option<OffsetDateTime>,
    /// The latest `last_edited_time` this run's discovery has seen.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub run_high_water_mark: Option<OffsetDateTime>,
    /// Search cursor of the next page to read (discover or trash phase).
    #[serde(default)]
    pub search_cursor: Option<String>,
    /// Times the listing restarted because its cursor expired.
    #[serde(default)]
    pub search_restarts: u32,
    /// Pages whose body must be re-read because a child page changed.
    #[serde(default)]
    pub parents: BTreeSet<String>,
    /// Databases to retrieve.
    #[serde(default)]
    pub databases: BTreeSet<String>,
    /// Data sources whose rows are still to read.
    #[serde(default)]
    pub data_sources: BTreeSet<String>,
    /// Where the row query of the current data source stands.
    #[serde(default)]
    pub rows: Option<RowWindow>,
    /// Full runs: every id the enumeration saw, for reconciliation (`None` once it outgrew the
    /// checkpoint; reconciliation then re-enumerates ids).
    #[serde(default)]
    pub seen: Option<SeenIds>,
    /// Reconciliation attempts that ran out of time re-enumerating.
    #[serde(default)]
    pub reconcile_attempts: u32,
    #[serde(default)]
    pub totals: RunTotals,
    /// Invocations (worker runs) this run took so far.
    #[serde(default)]
    pub invocations: u32,
}

/// A data source's row query, resumable: rows come sorted by `created_time` ascending, so the
/// query restarts at the last `created_time` read and skips the ids already read at that time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowWindow {
    pub data_source_id: String,
    #[serde(default)]
    pub last_created_time: Option<String>,
    #[serde(default)]
    pub ids_at_last: Vec<String>,
    #[serde(default)]
    pub rows_read: u64,
}

impl RowWindow {
    pub fn new(data_source_id: &str) -> Self {
        Self {
            data_source_id: data_source_id.to_owned(),
            last_created_time: None,
            ids_at_last: Vec::new(),
            rows_read: 0,
        }
    }
}

/// Ids seen by a complete enumeration, by model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenIds {
    #[serde(default)]
    pub page: BTreeSet<String>,
    #[serde(default)]
    pub row: BTreeSet<String>,
    #[serde(default)]
    pub data_source: BTreeSet<String>,
    #[serde(default)]
    pub database: BTreeSet<String>,
}

impl SeenIds {
    pub fn insert(&mut self, model: &RecordModel, id: &str) {
        if let Some(set) = self.set_mut(model)
            && !set.contains(id)
        {
            set.insert(id.to_owned());
        }
    }

    pub fn contains(&self, model: &RecordModel, id: &str) -> bool {
        self.set(model).is_some_and(|set| set.contains(id))
    }

    pub fn len(&self) -> usize {
        self.page.len() + self.row.len() + self.data_source.len() + self.database.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn set(&self, model: &RecordModel) -> Option<&BTreeSet<String>> {
        match model {
            RecordModel::Page => Some(&self.page),
            RecordModel::Row => Some(&self.row),
            RecordModel::DataSource => Some(&self.data_source),
            RecordModel::Database => Some(&self.database),
            RecordModel::Other(_) => None,
        }
    }

    fn set_mut(&mut self, model: &RecordModel) -> Option<&mut BTreeSet<String>> {
        match model {
            RecordModel::Page => Some(&mut self.page),
            RecordModel::Row => Some(&mut self.row),
            RecordModel::DataSource => Some(&mut self.data_source),
            RecordModel::Database => Some(&mut self.database),
            RecordModel::Other(_) => None,
        }
    }
}

/// What a run did so far, summed over its invocations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunTotals {
    pub counts: RunCounts,
    /// Notion requests made (every attempt).
    pub requests: u64,
    /// 429/529 answers met.
    pub rate_limited: u64,
    /// Page bodies read (markdown or block tree).
    #[serde(default)]
    pub bodies_fetched: u64,
    /// Pages whose body was not read because their `last_edited_time` had not changed.
    #[serde(default)]
    pub bodies_skipped: u64,
    #[serde(default)]
    pub issues: Vec<RunIssue>,
    /// Issues beyond [`MAX_ISSUES`], counted but not kept.
    #[serde(default)]
    pub issues_dropped: u64,
    /// Limits applied (truncated bodies, capped reconciliation, ...), by code.
    #[serde(default)]
    pub limits: BTreeMap<String, u64>,
}

impl RunTotals {
    pub fn issue(&mut self, record_id: Option<&str>, code: &str, message: impl Into<String>) {
        if self.issues.len() < MAX_ISSUES {
            self.issues.push(RunIssue {
                record_id: record_id.map(str::to_owned),
                code: code.to_owned(),
                message: message.into(),
            });
        } else {
            self.issues_dropped += 1;
        }
    }

    /// Records a limit the engine applied: counted by code, and reported as an issue.
    pub fn limit(&mut self, record_id: Option<&str>, code: &str, message: impl Into<String>) {
        *self.limits.entry(code.to_owned()).or_insert(0) += 1;
        self.issue(record_id, code, message);
    }
}

impl SyncCheckpoint {
    pub fn new() -> Self {
        Self {
            format: FORMAT,
            ..Self::default()
        }
    }

    /// Decodes a stored checkpoint; an unreadable or foreign-format one starts over (the next
    /// run is then a full one, so nothing is lost, only re-read).
    pub fn decode(data: &serde_json::Value) -> Self {
        match serde_json::from_value::<Self>(data.clone()) {
            Ok(checkpoint) if checkpoint.format == FORMAT => checkpoint,
            _ => Self {
                full_requested: true,
                ..Self::new()
            },
        }
    }

    pub fn encode(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_starts_over_on_foreign_data() {
        let mut checkpoint = SyncCheckpoint::new();
        checkpoint.high_water_mark = Some(time::macros::datetime!(2026-03-01 10:00 UTC));
        checkpoint
            .recheck
            .insert("p".into(), "2026-03-01T10:00:00.000Z".into());
        assert_eq!(SyncCheckpoint::decode(&checkpoint.encode()), checkpoint);
        let foreign = SyncCheckpoint::decode(&serde_json::json!({"cursor": 3}));
        assert!(foreign.full_requested);
        assert!(foreign.active.is_none());
    }

    #[test]
    fn issues_are_capped_and_limits_counted() {
        let mut totals = RunTotals::default();
        for _ in 0..MAX_ISSUES + 5 {
            totals.limit(Some("p"), "body_truncated", "cut");
        }
        assert_eq!(totals.issues.len(), MAX_ISSUES);
        assert_eq!(totals.issues_dropped, 5);
        assert_eq!(totals.limits["body_truncated"], (MAX_ISSUES + 5) as u64);
    }

    #[test]
    fn seen_ids_by_model() {
        let mut seen = SeenIds::default();
        seen.insert(&RecordModel::Page, "a");
        seen.insert(&RecordModel::Row, "b");
        seen.insert(&RecordModel::Other("x".into()), "c");
        assert!(seen.contains(&RecordModel::Page, "a"));
        assert!(!seen.contains(&RecordModel::Row, "a"));
        assert_eq!(seen.len(), 2);
    }
}
