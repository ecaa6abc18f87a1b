//! The create-page Lambda: creates pages and data-source rows from Markdown and typed properties
//! (`POST /connections/{id}/pages`).
//!
//! Thin entry point: the context (adapters, Notion client, settings) is built once per cold
//! start; the route and its logic live in `relay-shared`.

use relay_shared::app::AppContext;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relay_shared::telemetry::init();
    let ctx = AppContext::from_env().await?;
    lambda_http::run(relay_shared::routes::pages_router(ctx)).await
}
