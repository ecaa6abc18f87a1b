//! The sync-worker Lambda: SQS messages, one connection's sync job each, written to the record
//! store. Failed (or deferred) messages are reported as batch item failures so SQS keeps them.
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use relay_shared::app::AppContext;
use relay_shared::sync::{Deadline, QueueMessage, SyncOptions, SyncWorker};

#[tokio::main]
async fn main() -> Result<(), Error> {
    relay_shared::telemetry::init();
    let ctx = AppContext::from_env().await?;
    let worker = SyncWorker::new(ctx, SyncOptions::from_env()?);
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event| handle(worker, event))).await
}

async fn handle(
    worker: &SyncWorker,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    // Stop starting work a margin before Lambda's own deadline (milliseconds since the epoch).
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis());
    let remaining = Duration::from_millis(
        u64::try_from(u128::from(event.context.deadline).saturating_sub(now_ms)).unwrap_or(0),
    );
    let usable = remaining
        .saturating_sub(worker.options().deadline_margin)
        .max(Duration::from_secs(1));
    let messages = event
        .payload
        .records
        .into_iter()
        .filter_map(|record| {
            Some(QueueMessage {
                message_id: record.message_id?,
                receipt_handle: record.receipt_handle,
                body: record.body.unwrap_or_default(),
            })
        })
        .collect();
    let keep = worker.handle_batch(messages, Deadline::after(usable)).await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = keep
        .into_iter()
        .map(|item_identifier| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = item_identifier;
            failure
        })
        .collect();
    Ok(response)
}
