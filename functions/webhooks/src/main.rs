//! The webhooks Lambda: Notion webhook ingestion (handshake, verify, dedupe, route, enqueue).
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

use relay_shared::app::AppContext;
use relay_shared::routes::webhooks_router;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relay_shared::telemetry::init();
    let ctx = AppContext::from_env().await?;
    lambda_http::run(webhooks_router(ctx)).await
}
