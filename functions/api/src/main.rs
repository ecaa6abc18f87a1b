//! The api Lambda: connections, sync status and trigger, records and actions for the app backend.
//!
//! Thin entry point: the context (adapters, Notion client, settings) is built once per cold
//! start; the routes and their logic live in `relay-shared`.

use relay_shared::app::AppContext;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relay_shared::telemetry::init();
    let ctx = AppContext::from_env().await?;
    lambda_http::run(relay_shared::routes::api_router(ctx)).await
}
