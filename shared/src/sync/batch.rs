//! A batch of queue messages as the SQS event source delivers it to the worker Lambda: handled
//! in order, and the ids of the messages that must come back are returned (the Lambda answers
//! them as `batchItemFailures`, so SQS deletes only the rest). On a FIFO queue, once a message
//! fails, the rest of the batch is returned unprocessed to keep each connection's order.

use std::time::Duration;

use super::engine::Deadline;
use super::worker::{JobOutcome, SyncWorker};
use crate::domain::ReceiptHandle;

/// One message of the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    pub message_id: String,
    pub receipt_handle: Option<String>,
    pub body: String,
}

impl SyncWorker {
    /// Handles `messages` before `deadline`; returns the ids of the messages to keep.
    pub async fn handle_batch(
        &self,
        messages: Vec<QueueMessage>,
        deadline: Deadline,
    ) -> Vec<String> {
        let mut keep = Vec::new();
        let mut stopped = false;
        for message in messages {
            if stopped {
                keep.push(message.message_id);
                continue;
            }
            let outcome = match serde_json::from_str::<serde_json::Value>(&message.body) {
                Ok(body) => self.handle_message(&body, deadline).await,
                Err(error) => Err(super::worker::WorkerError::Malformed(error.to_string())),
            };
            match outcome {
                Ok(JobOutcome::Done) => {}
                Ok(JobOutcome::RetryLater(after)) => {
                    self.delay(&message, after).await;
                    keep.push(message.message_id);
                    stopped = true;
                }
                Err(error) => {
                    tracing::warn!(message_id = %message.message_id, error = %error, "sync job failed; it will be retried");
                    keep.push(message.message_id);
                    stopped = true;
                }
            }
        }
        keep
    }

    /// Makes a kept message come back after `after` instead of the queue's visibility timeout
    /// (best effort: the timeout applies if this fails).
    async fn delay(&self, message: &QueueMessage, after: Duration) {
        if let Some(receipt) = &message.receipt_handle {
            let receipt = ReceiptHandle(receipt.clone());
            if let Err(error) = self.queue().set_visibility(&receipt, after).await {
                tracing::warn!(message_id = %message.message_id, error = %error, "could not delay the message");
            }
        }
    }
}
