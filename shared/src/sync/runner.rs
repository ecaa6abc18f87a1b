//! An in-process queue runner for tests and the local stack: receive, handle, acknowledge.
//! Jobs that fail are not acknowledged (they come back after their visibility timeout, then go
//! to the dead-letter queue), exactly as the Lambda event source treats failed messages.

use std::sync::Arc;
use std::time::Duration;

use super::engine::Deadline;
use super::worker::{JobOutcome, SyncWorker};
use crate::ports::{JobQueue, QueueError};

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub handled: usize,
    /// Jobs put back for later (lease busy, paused targeted work).
    pub deferred: usize,
    /// Jobs whose handling failed (not acknowledged).
    pub failed: usize,
}

#[derive(Clone)]
pub struct QueueRunner {
    worker: SyncWorker,
    queue: Arc<dyn JobQueue>,
    /// Time each job gets, like a Lambda invocation's timeout (`None`: unlimited).
    pub job_time: Option<Duration>,
    /// How long a received job stays hidden from other receivers.
    pub visibility: Duration,
}

impl std::fmt::Debug for QueueRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueRunner")
            .field("job_time", &self.job_time)
            .finish_non_exhaustive()
    }
}

impl QueueRunner {
    pub fn new(worker: SyncWorker, queue: Arc<dyn JobQueue>) -> Self {
        Self {
            worker,
            queue,
            job_time: None,
            visibility: Duration::from_secs(15 * 60),
        }
    }

    /// Handles jobs until none is visible (waiting up to `wait` for each receive).
    pub async fn drain(&self, wait: Duration) -> Result<DrainReport, QueueError> {
        let mut report = DrainReport::default();
        loop {
            let jobs = self.queue.receive(10, self.visibility, wait).await?;
            if jobs.is_empty() {
                return Ok(report);
            }
            for job in jobs {
                let deadline = self.job_time.map_or(Deadline::none(), Deadline::after);
                match self.worker.handle_message(&job.body, deadline).await {
                    Ok(JobOutcome::Done) => {
                        report.handled += 1;
                        self.queue.ack(&job.receipt).await?;
                    }
                    Ok(JobOutcome::RetryLater(after)) => {
                        report.deferred += 1;
                        self.queue.set_visibility(&job.receipt, after).await?;
                    }
                    Err(error) => {
                        report.failed += 1;
                        tracing::warn!(message_id = %job.message_id, error = %error, "sync job failed");
                    }
                }
            }
        }
    }
}
