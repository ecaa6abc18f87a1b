//! Tuning of the sync engine, the worker and the scheduler, read from the environment once.

use std::collections::HashMap;
use std::time::Duration;

use crate::config::ConfigError;

/// How a page body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyMode {
    /// `GET /v1/pages/{id}/markdown`, one request per page; truncated pages are completed from
    /// their `unknown_block_ids` subtrees.
    Markdown,
    /// The block tree (`GET /v1/blocks/{id}/children`, recursively, 100 children per request),
    /// stored as blocks and rendered to Markdown. Costs about one request per container block.
    Blocks,
}

/// Engine, worker and scheduler settings. `Default` is the production configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncOptions {
    /// Incremental discovery re-reads this far below the last high-water mark: Notion's
    /// `last_edited_time` is minute-granular, so edits in the high-water minute can come later.
    pub overlap: Duration,
    /// Bodies fetched at once (the connection's budget paces them; this only hides latency).
    pub body_concurrency: usize,
    /// Items processed, written and counted as one unit inside a search page. A worker killed
    /// mid-page re-fetches at most this many bodies (plus those in flight).
    pub write_batch: usize,
    /// Every Nth run is a full reconciliation (complete enumeration, tombstones for what is gone,
    /// old pages newly shared). 1 = every run.
    pub reconcile_every: u32,
    pub body_mode: BodyMode,
    /// Data-source rows get a body too (one more request per new or changed row).
    pub row_bodies: bool,
    /// Markdown subtrees (`unknown_block_ids`) fetched per page before the body is stored as
    /// incomplete (and reported).
    pub max_subtree_requests: usize,
    /// Block-children requests per page in [`BodyMode::Blocks`] before the tree is stored as
    /// incomplete (and reported).
    pub max_block_requests: usize,
    /// Stored ids missing from a full enumeration that are re-fetched (and tombstoned when gone)
    /// per run; the rest wait for the next reconciliation (reported).
    pub max_reconcile_refetches: usize,
    /// Ids a full run may keep in its checkpoint to reconcile across invocations; above it the
    /// reconciliation re-enumerates ids in one invocation.
    pub max_checkpoint_seen_ids: usize,
    /// Pages remembered for a later retry or re-verification (each list).
    pub max_pending_pages: usize,
    /// Time between the end of a run and the next scheduled one.
    pub sync_interval: Duration,
    /// How long a worker holds the connection's sync lease (renewed at every checkpoint), and how
    /// long the scheduler keeps an enqueued connection out of the due index.
    pub lease_ttl: Duration,
    /// A worker stops starting new work when less than this is left before its deadline.
    pub deadline_margin: Duration,
    /// Retries after a transient failure are scheduled this far ahead.
    pub retry_delay: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            overlap: Duration::from_secs(120),
            body_concurrency: 4,
            write_batch: 25,
            reconcile_every: 12,
            body_mode: BodyMode::Markdown,
            row_bodies: false,
            max_subtree_requests: 200,
            max_block_requests: 1_000,
            max_reconcile_refetches: 2_000,
            max_checkpoint_seen_ids: 4_000,
            max_pending_pages: 1_000,
            sync_interval: Duration::from_secs(300),
            lease_ttl: Duration::from_secs(20 * 60),
            deadline_margin: Duration::from_secs(45),
            retry_delay: Duration::from_secs(60),
        }
    }
}

impl SyncOptions {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads `RELAY_SYNC_INTERVAL_SECONDS`, `RELAY_SYNC_RECONCILE_EVERY`,
    /// `RELAY_SYNC_BODY_CONCURRENCY`, `RELAY_SYNC_BODY_MODE` (`markdown` | `blocks`) and
    /// `RELAY_SYNC_ROW_BODIES` (`true` | `false`).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut options = Self::default();
        if let Some(seconds) = positive(vars, "RELAY_SYNC_INTERVAL_SECONDS")? {
            options.sync_interval = Duration::from_secs(seconds);
        }
        if let Some(every) = positive(vars, "RELAY_SYNC_RECONCILE_EVERY")? {
            options.reconcile_every = u32::try_from(every).unwrap_or(u32::MAX);
        }
        if let Some(concurrency) = positive(vars, "RELAY_SYNC_BODY_CONCURRENCY")? {
            options.body_concurrency = usize::try_from(concurrency).unwrap_or(64).min(64);
        }
        match value(vars, "RELAY_SYNC_BODY_MODE") {
            None | Some("markdown") => {}
            Some("blocks") => options.body_mode = BodyMode::Blocks,
            Some(other) => {
                return Err(invalid("RELAY_SYNC_BODY_MODE", "markdown or blocks", other));
            }
        }
        match value(vars, "RELAY_SYNC_ROW_BODIES") {
            None | Some("false") => {}
            Some("true") => options.row_bodies = true,
            Some(other) => return Err(invalid("RELAY_SYNC_ROW_BODIES", "true or false", other)),
        }
        Ok(options)
    }
}

fn value<'a>(vars: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn positive(
    vars: &HashMap<String, String>,
    name: &'static str,
) -> Result<Option<u64>, ConfigError> {
    match value(vars, name) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| invalid(name, "a positive integer", raw)),
    }
}

fn invalid(name: &'static str, expected: &'static str, value: &str) -> ConfigError {
    ConfigError::InvalidValue {
        name,
        expected,
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(
            SyncOptions::from_vars(&vars(&[])).unwrap(),
            SyncOptions::default()
        );
        let options = SyncOptions::from_vars(&vars(&[
            ("RELAY_SYNC_INTERVAL_SECONDS", "60"),
            ("RELAY_SYNC_RECONCILE_EVERY", "3"),
            ("RELAY_SYNC_BODY_MODE", "blocks"),
            ("RELAY_SYNC_ROW_BODIES", "true"),
        ]))
        .unwrap();
        assert_eq!(options.sync_interval, Duration::from_secs(60));
        assert_eq!(options.reconcile_every, 3);
        assert_eq!(options.body_mode, BodyMode::Blocks);
        assert!(options.row_bodies);
        assert!(SyncOptions::from_vars(&vars(&[("RELAY_SYNC_RECONCILE_EVERY", "0")])).is_err());
        assert!(SyncOptions::from_vars(&vars(&[("RELAY_SYNC_BODY_MODE", "html")])).is_err());
    }
}
