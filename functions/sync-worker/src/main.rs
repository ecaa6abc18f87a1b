//! The sync-worker Lambda: SQS messages, one connection's sync each, written to the record store.
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    relay_shared::telemetry::init();
    lambda_runtime::run(service_fn(handle)).await
}

/// Until the sync engine exists, every message is reported as failed so SQS keeps it (and moves it
/// to the DLQ after its limit) instead of deleting work that was never done.
async fn handle(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    tracing::warn!(
        request_id = %event.context.request_id,
        messages = event.payload.records.len(),
        "sync work is not available in this build yet"
    );
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = event
        .payload
        .records
        .into_iter()
        .filter_map(|record| record.message_id)
        .map(|item_identifier| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = item_identifier;
            failure
        })
        .collect();
    Ok(response)
}
