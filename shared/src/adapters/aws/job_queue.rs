//! The sync queue on SQS FIFO: `MessageGroupId` = connection id (one job per connection in
//! flight, in order), `MessageDeduplicationId` from the job, batches of 10, and a DLQ through the
//! queue's redrive policy (`maxReceiveCount`).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};

use crate::domain::{
    ConnectionId, OutgoingJob, ReceiptHandle, ReceivedJob, SendFailure, SendReport,
    first_of_each_group, next_send_batch,
};
use crate::ports::{JobQueue, QueueError};

const BATCH_SIZE: usize = 10;
/// Extra attempts for entries SQS failed on its side (not the sender's fault).
const RETRIES: u32 = 2;
/// SQS's longest visibility timeout (12 hours) and long-poll wait (20 s).
const MAX_VISIBILITY_SECONDS: u64 = 43_200;
const MAX_WAIT_SECONDS: u64 = 20;

#[derive(Debug, Clone)]
pub struct SqsJobQueue {
    client: Client,
    queue_url: String,
    dlq_url: String,
}

impl SqsJobQueue {
    pub fn new(client: Client, queue_url: impl Into<String>, dlq_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
            dlq_url: dlq_url.into(),
        }
    }

    /// Resolves a queue's URL from its name.
    pub async fn queue_url(client: &Client, name: &str) -> Result<String, QueueError> {
        client
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(|err| QueueError::Backend(DisplayErrorContext(&err).to_string()))?
            .queue_url
            .ok_or_else(|| QueueError::Backend(format!("no URL for queue {name}")))
    }

    /// Receives one message at a time, up to `max`: a FIFO receive of several messages may return
    /// several of one group, and releasing the extras would burn their receive counts (enough
    /// releases would move a job to the DLQ unprocessed). While a group's message is in flight a
    /// later receive never returns another of that group, so single receives give at most one
    /// job per connection. Only the first receive long-polls.
    async fn receive_from(
        &self,
        url: &str,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<ReceivedJob>, QueueError> {
        let mut messages = Vec::new();
        for round in 0..max.clamp(1, BATCH_SIZE) {
            let output = self
                .client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(1)
                .visibility_timeout(seconds(visibility, MAX_VISIBILITY_SECONDS))
                .wait_time_seconds(if round == 0 {
                    seconds(wait, MAX_WAIT_SECONDS)
                } else {
                    0
                })
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .map_err(|err| QueueError::Backend(DisplayErrorContext(&err).to_string()))?;
            let received = output.messages.unwrap_or_default();
            if received.is_empty() {
                break;
            }
            messages.extend(received);
        }
        // Defence in depth: should a backend still hand out a second message of a group, keep
        // the first and release the other at once (the group's order holds).
        let (kept, extra) = first_of_each_group(messages, |message| {
            message
                .attributes()
                .and_then(|attributes| attributes.get(&MessageSystemAttributeName::MessageGroupId))
                .cloned()
        });
        for message in &extra {
            if let Some(receipt) = message.receipt_handle()
                && let Err(err) = self
                    .client
                    .change_message_visibility()
                    .queue_url(url)
                    .receipt_handle(receipt)
                    .visibility_timeout(0)
                    .send()
                    .await
            {
                // It comes back after its visibility timeout instead, still behind the kept one.
                tracing::warn!(
                    message_id = message.message_id().unwrap_or("-"),
                    error = %DisplayErrorContext(&err),
                    "could not release a second message of a group"
                );
            }
        }
        let mut jobs = Vec::with_capacity(kept.len());
        for message in &kept {
            match decode(message) {
                Ok(job) => jobs.push(job),
                // One malformed message does not fail the receive: it stays hidden and reaches
                // the dead-letter queue through its receive count.
                Err(err) => tracing::error!(
                    message_id = message.message_id().unwrap_or("-"),
                    error = %err,
                    "skipping a malformed queue message"
                ),
            }
        }
        Ok(jobs)
    }
}

/// A duration in whole seconds, rounded up, capped at `max`.
fn seconds(duration: Duration, max: u64) -> i32 {
    let whole = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i32::try_from(whole.min(max)).unwrap_or(i32::MAX)
}

fn decode(message: &aws_sdk_sqs::types::Message) -> Result<ReceivedJob, QueueError> {
    let attribute = |name: MessageSystemAttributeName| {
        message
            .attributes()
            .and_then(|attributes| attributes.get(&name))
            .map(String::as_str)
    };
    let group = attribute(MessageSystemAttributeName::MessageGroupId)
        .ok_or_else(|| QueueError::Malformed("message without a group id".into()))?;
    Ok(ReceivedJob {
        receipt: ReceiptHandle(
            message
                .receipt_handle()
                .ok_or_else(|| QueueError::Malformed("message without a receipt handle".into()))?
                .to_owned(),
        ),
        message_id: message.message_id().unwrap_or_default().to_owned(),
        group: ConnectionId::parse(group).map_err(|e| QueueError::Malformed(e.to_string()))?,
        body: serde_json::from_str(message.body().unwrap_or_default())
            .map_err(|e| QueueError::Malformed(e.to_string()))?,
        receive_count: attribute(MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|count| count.parse().ok())
            .unwrap_or(1),
    })
}

fn body(job: &OutgoingJob) -> Result<String, QueueError> {
    serde_json::to_string(&job.body).map_err(|e| QueueError::Encode(e.to_string()))
}

fn invalid_receipt<E: ProvideErrorMetadata>(error: &aws_sdk_sqs::error::SdkError<E>) -> bool {
    matches!(
        error.code(),
        Some("ReceiptHandleIsInvalid" | "InvalidParameterValue" | "MessageNotInflight")
    )
}

#[async_trait]
impl JobQueue for SqsJobQueue {
    async fn send(&self, job: &OutgoingJob) -> Result<(), QueueError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body(job)?)
            .message_group_id(job.group.to_string())
            .message_deduplication_id(job.wire_deduplication_id())
            .send()
            .await
            .map_err(|err| QueueError::Backend(DisplayErrorContext(&err).to_string()))?;
        Ok(())
    }

    async fn send_batch(&self, jobs: &[OutgoingJob]) -> Result<SendReport, QueueError> {
        let mut report = SendReport::default();
        let mut pending: Vec<usize> = (0..jobs.len()).collect();
        let mut attempts = vec![0u32; jobs.len()];
        while !pending.is_empty() {
            // At most one job of a group per request: a later job of a group is held back until
            // every earlier one went out, so a retried entry never falls behind it.
            let batch = next_send_batch(&pending, |index| jobs[index].group, BATCH_SIZE);
            let entries = batch
                .iter()
                .map(|&index| {
                    let job = &jobs[index];
                    SendMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .message_body(body(job)?)
                        .message_group_id(job.group.to_string())
                        .message_deduplication_id(job.wire_deduplication_id())
                        .build()
                        .map_err(|e| QueueError::Encode(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            report.batches += 1;
            let result = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await;
            // Entries settled by this request (sent, or failed for good).
            let mut settled = Vec::new();
            let mut retried = Vec::new();
            match result {
                Ok(output) => {
                    for success in output.successful() {
                        if let Ok(index) = success.id().parse::<usize>() {
                            report.sent += 1;
                            settled.push(index);
                        }
                    }
                    for failure in output.failed() {
                        let Ok(index) = failure.id().parse::<usize>() else {
                            continue;
                        };
                        let Some(attempt) = attempts.get_mut(index) else {
                            continue;
                        };
                        if !failure.sender_fault() && *attempt < RETRIES {
                            *attempt += 1;
                            retried.push(index);
                        } else {
                            settled.push(index);
                            report.failed.push(SendFailure {
                                index,
                                code: failure.code().to_owned(),
                                message: failure.message().unwrap_or_default().to_owned(),
                            });
                        }
                    }
                }
                Err(err) => {
                    let message = DisplayErrorContext(&err).to_string();
                    tracing::warn!(error = %message, "sqs batch send failed");
                    for &index in &batch {
                        let Some(attempt) = attempts.get_mut(index) else {
                            continue;
                        };
                        if *attempt < RETRIES {
                            *attempt += 1;
                            retried.push(index);
                        } else {
                            settled.push(index);
                            report.failed.push(SendFailure {
                                index,
                                code: "RequestFailed".into(),
                                message: message.clone(),
                            });
                        }
                    }
                }
            }
            // An entry the answer did not mention stays pending: retried, bounded as well.
            for &index in &batch {
                if settled.contains(&index) || retried.contains(&index) {
                    continue;
                }
                let Some(attempt) = attempts.get_mut(index) else {
                    continue;
                };
                *attempt += 1;
                if *attempt > RETRIES {
                    settled.push(index);
                    report.failed.push(SendFailure {
                        index,
                        code: "NoAnswer".into(),
                        message: "SQS did not report this entry".into(),
                    });
                }
            }
            pending.retain(|index| !settled.contains(index));
        }
        report.failed.sort_by_key(|failure| failure.index);
        Ok(report)
    }

    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<ReceivedJob>, QueueError> {
        self.receive_from(&self.queue_url, max, visibility, wait)
            .await
    }

    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), QueueError> {
        match self
            .client
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(&receipt.0)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if invalid_receipt(&err) => Err(QueueError::InvalidReceipt),
            Err(err) => Err(QueueError::Backend(DisplayErrorContext(&err).to_string())),
        }
    }

    async fn set_visibility(
        &self,
        receipt: &ReceiptHandle,
        visibility: Duration,
    ) -> Result<(), QueueError> {
        match self
            .client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(&receipt.0)
            .visibility_timeout(seconds(visibility, MAX_VISIBILITY_SECONDS))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if invalid_receipt(&err) => Err(QueueError::InvalidReceipt),
            Err(err) => Err(QueueError::Backend(DisplayErrorContext(&err).to_string())),
        }
    }

    /// Peeks with a zero visibility timeout, so the jobs stay available in the DLQ.
    async fn dead_letters(&self, max: usize) -> Result<Vec<ReceivedJob>, QueueError> {
        // One plain receive: inspection, not work, so one job per group does not apply.
        let output = self
            .client
            .receive_message()
            .queue_url(&self.dlq_url)
            .max_number_of_messages(i32::try_from(max.clamp(1, BATCH_SIZE)).unwrap_or(1))
            .visibility_timeout(0)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|err| QueueError::Backend(DisplayErrorContext(&err).to_string()))?;
        output.messages().iter().map(decode).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_up_and_cap() {
        assert_eq!(seconds(Duration::ZERO, 20), 0);
        assert_eq!(seconds(Duration::from_millis(1), 20), 1);
        assert_eq!(seconds(Duration::from_millis(1500), 20), 2);
        assert_eq!(seconds(Duration::from_secs(60), 20), 20);
    }
}
