//! The scheduler tick: due connections, shard by shard from the due index (never a table scan),
//! one sync job each, sent in batches of 10. A connection that was sent is moved out of the due
//! index for a lease length, so the next tick does not queue it again while it runs; the worker
//! sets the real next time when the run finishes. Memory stays at one page per shard in flight.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use thiserror::Error;
use time::OffsetDateTime;

use crate::domain::{DueConnection, SYNC_SHARDS, SyncJob, timestamp};
use crate::ports::{ConnectionStore, JobQueue, QueueError, StoreError};

/// Due connections read per index query (ten send batches).
pub const DUE_PAGE: usize = 100;
/// Shards read at once.
const SHARD_CONCURRENCY: usize = 4;
/// Index updates in flight per page.
const UPDATE_CONCURRENCY: usize = 16;

#[derive(Debug, Error)]
pub enum SchedulerError {
    #[error("connection store: {0}")]
    Store(#[from] StoreError),
    #[error("queue: {0}")]
    Queue(#[from] QueueError),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    pub due: u64,
    pub enqueued: u64,
    /// Jobs the queue refused (their connections stay due for the next tick).
    pub failed: u64,
    /// Send requests made (each at most 10 jobs).
    pub batches: u64,
}

impl TickReport {
    fn add(&mut self, other: TickReport) {
        self.due += other.due;
        self.enqueued += other.enqueued;
        self.failed += other.failed;
        self.batches += other.batches;
    }
}

#[derive(Clone)]
pub struct Scheduler {
    connections: Arc<dyn ConnectionStore>,
    queue: Arc<dyn JobQueue>,
    /// How long an enqueued connection stays out of the due index (the worker's lease length).
    pub hold_for: Duration,
    /// Due connections read per index query.
    pub page_size: usize,
}

impl Scheduler {
    pub fn new(
        connections: Arc<dyn ConnectionStore>,
        queue: Arc<dyn JobQueue>,
        hold_for: Duration,
    ) -> Self {
        Self {
            connections,
            queue,
            hold_for,
            page_size: DUE_PAGE,
        }
    }

    /// One tick at `now`. Deduplication ids are scoped to the tick's minute, so a repeated
    /// delivery of the same schedule event queues nothing twice.
    pub async fn tick(&self, now: OffsetDateTime) -> Result<TickReport, SchedulerError> {
        let scope = format!("tick-{}", now.unix_timestamp().div_euclid(60));
        let results: Vec<Result<TickReport, SchedulerError>> =
            futures::stream::iter(0..SYNC_SHARDS)
                .map(|shard| self.shard(shard, now, &scope))
                .buffer_unordered(SHARD_CONCURRENCY)
                .collect()
                .await;
        let mut report = TickReport::default();
        let mut first_error = None;
        for result in results {
            match result {
                Ok(shard) => report.add(shard),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        tracing::info!(
            due = report.due,
            enqueued = report.enqueued,
            failed = report.failed,
            batches = report.batches,
            "scheduler tick"
        );
        match first_error {
            Some(error) if report.enqueued == 0 => Err(error),
            Some(error) => {
                tracing::warn!(error = %error, "some shards failed this tick");
                Ok(report)
            }
            None => Ok(report),
        }
    }

    async fn shard(
        &self,
        shard: u16,
        now: OffsetDateTime,
        scope: &str,
    ) -> Result<TickReport, SchedulerError> {
        let mut report = TickReport::default();
        let mut after: Option<DueConnection> = None;
        let hold_until = timestamp::after(now, self.hold_for);
        loop {
            let page = self
                .connections
                .list_due(shard, now, after.as_ref(), self.page_size.max(1))
                .await?;
            report.due += page.due.len() as u64;
            let mut jobs = Vec::with_capacity(page.due.len());
            for due in &page.due {
                let job = SyncJob::scheduled(due.id)
                    .to_outgoing(scope)
                    .map_err(|error| QueueError::Encode(error.to_string()))?;
                jobs.push(job);
            }
            if !jobs.is_empty() {
                let sent = self.queue.send_batch(&jobs).await?;
                report.batches += sent.batches as u64;
                report.failed += sent.failed.len() as u64;
                let failed: std::collections::HashSet<usize> =
                    sent.failed.iter().map(|failure| failure.index).collect();
                let sent_ids: Vec<_> = page
                    .due
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| !failed.contains(index))
                    .map(|(_, due)| due.id)
                    .collect();
                report.enqueued += sent_ids.len() as u64;
                let updates: Vec<Result<u64, StoreError>> =
                    futures::stream::iter(sent_ids)
                        .map(|id| async move {
                            self.connections.set_next_sync(&id, Some(hold_until)).await
                        })
                        .buffer_unordered(UPDATE_CONCURRENCY)
                        .collect()
                        .await;
                for update in updates {
                    match update {
                        Ok(_) | Err(StoreError::ConnectionNotFound { .. }) => {}
                        // Queued but still due: the next tick queues it again, which the worker
                        // absorbs (lease, stale continuations). Not worth failing the tick.
                        Err(error) => {
                            tracing::warn!(error = %error, "could not hold a queued connection")
                        }
                    }
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(report),
            }
        }
    }
}
