//! The sync-scheduler Lambda: an EventBridge schedule finds due connections and enqueues one sync
//! job per connection.
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    relay_shared::telemetry::init();
    lambda_runtime::run(service_fn(handle)).await
}

async fn handle(event: LambdaEvent<EventBridgeEvent<serde_json::Value>>) -> Result<(), Error> {
    tracing::warn!(
        request_id = %event.context.request_id,
        "sync scheduling is not available in this build yet"
    );
    Ok(())
}
