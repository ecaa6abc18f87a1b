//! Timing of the connect flow.

use std::time::Duration;

/// How long connect sessions and OAuth states live, and when a new connection's first scheduled
/// sync is due (its initial sync is enqueued at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    /// A session token from `POST /connect/sessions` works this long (30 minutes).
    pub session_ttl: Duration,
    /// The OAuth `state` must come back within this (10 minutes): the consent screen's lifetime.
    pub state_ttl: Duration,
    /// After a connect, the scheduler's first sync is due this much later (15 minutes); the
    /// initial sync job is queued immediately.
    pub first_scheduled_sync_after: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(30 * 60),
            state_ttl: Duration::from_secs(10 * 60),
            first_scheduled_sync_after: Duration::from_secs(15 * 60),
        }
    }
}
