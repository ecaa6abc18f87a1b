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

    async fn receive_from(
        &self,
        url: &str,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<ReceivedJob>, QueueError> {
        let output = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(i32::try_from(max.clamp(1, BATCH_SIZE)).unwrap_or(1))
            .visibility_timeout(seconds(visibility, MAX_VISIBILITY_SECONDS))
            .wait_time_seconds(seconds(wait, MAX_WAIT_SECONDS))
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|err| QueueError::Backend(DisplayErrorContext(&err).to_string()))?;
        output.messages().iter().map(decode).collect()
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
        for (chunk_index, chunk) in jobs.chunks(BATCH_SIZE).enumerate() {
            let offset = chunk_index * BATCH_SIZE;
            let mut pending: Vec<usize> = (offset..offset + chunk.len()).collect();
            let mut attempt = 0;
            while !pending.is_empty() {
                let entries = pending
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
                let output = match result {
                    Ok(output) => output,
                    Err(err) if attempt < RETRIES => {
                        tracing::warn!(error = %DisplayErrorContext(&err), "sqs batch send failed; retrying");
                        attempt += 1;
                        continue;
                    }
                    Err(err) => {
                        let message = DisplayErrorContext(&err).to_string();
                        report
                            .failed
                            .extend(pending.iter().map(|&index| SendFailure {
                                index,
                                code: "RequestFailed".into(),
                                message: message.clone(),
                            }));
                        break;
                    }
                };
                report.sent += output.successful().len();
                let mut retry = Vec::new();
                for failure in output.failed() {
                    let Ok(index) = failure.id().parse::<usize>() else {
                        continue;
                    };
                    if !failure.sender_fault() && attempt < RETRIES {
                        retry.push(index);
                    } else {
                        report.failed.push(SendFailure {
                            index,
                            code: failure.code().to_owned(),
                            message: failure.message().unwrap_or_default().to_owned(),
                        });
                    }
                }
                pending = retry;
                attempt += 1;
            }
        }
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
        self.receive_from(&self.dlq_url, max, Duration::ZERO, Duration::ZERO)
            .await
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
