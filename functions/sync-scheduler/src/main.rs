//! The sync-scheduler Lambda: an EventBridge schedule finds due connections and enqueues one sync
//! job per connection (batches of 10, sharded due index, no table scan).
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use relay_shared::app::AppContext;
use relay_shared::domain::timestamp;
use relay_shared::sync::{Scheduler, SyncOptions};

#[tokio::main]
async fn main() -> Result<(), Error> {
    relay_shared::telemetry::init();
    let ctx = AppContext::from_env().await?;
    let options = SyncOptions::from_env()?;
    let scheduler = Scheduler::new(
        ctx.adapters.connections.clone(),
        ctx.adapters.queue.clone(),
        options.lease_ttl,
    );
    let scheduler = &scheduler;
    lambda_runtime::run(service_fn(move |event| handle(scheduler, event))).await
}

async fn handle(
    scheduler: &Scheduler,
    event: LambdaEvent<EventBridgeEvent<serde_json::Value>>,
) -> Result<(), Error> {
    let report = scheduler.tick(timestamp::now()).await?;
    tracing::info!(
        request_id = %event.context.request_id,
        due = report.due,
        enqueued = report.enqueued,
        failed = report.failed,
        "scheduled due connections"
    );
    Ok(())
}
