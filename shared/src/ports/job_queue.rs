//! The sync job queue: FIFO per connection, at-least-once with visibility timeouts, a dead-letter
//! queue after too many receives.

use std::time::Duration;

use async_trait::async_trait;
use thiserror::Error;

use crate::domain::{OutgoingJob, ReceiptHandle, ReceivedJob, SendReport};

#[derive(Debug, Error)]
pub enum QueueError {
    #[error("the receipt handle is unknown or expired")]
    InvalidReceipt,
    #[error("the job does not encode: {0}")]
    Encode(String),
    #[error("a received message is malformed: {0}")]
    Malformed(String),
    #[error("queue backend error: {0}")]
    Backend(String),
}

impl QueueError {
    pub fn backend(error: impl std::fmt::Display) -> Self {
        Self::Backend(error.to_string())
    }
}

#[async_trait]
pub trait JobQueue: Send + Sync {
    async fn send(&self, job: &OutgoingJob) -> Result<(), QueueError>;

    /// Sends in batches of 10 (SQS's limit). Per-job failures are reported, not raised; transient
    /// ones are retried first.
    async fn send_batch(&self, jobs: &[OutgoingJob]) -> Result<SendReport, QueueError>;

    /// Up to `max` jobs, hidden from other receivers for `visibility`; waits up to `wait` for the
    /// first. At most one job per connection is in flight at a time.
    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<ReceivedJob>, QueueError>;

    /// Done: deletes the job.
    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), QueueError>;

    /// Makes the job visible again after `visibility` (zero: now; longer: extend while working).
    async fn set_visibility(
        &self,
        receipt: &ReceiptHandle,
        visibility: Duration,
    ) -> Result<(), QueueError>;

    /// Jobs in the dead-letter queue, for inspection (they stay there).
    async fn dead_letters(&self, max: usize) -> Result<Vec<ReceivedJob>, QueueError>;
}
