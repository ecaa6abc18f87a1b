//! The mcp Lambda: a stateless streamable-HTTP MCP server for agents (`POST /mcp`).
//!
//! Thin entry point: the context (adapters, Notion client, settings) is built once per cold
//! start; the tools, the header checks and the allowed hosts live in `relay-shared`.

use relay_shared::app::AppContext;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relay_shared::telemetry::init();
    let ctx = AppContext::from_env().await?;
    lambda_http::run(relay_shared::routes::mcp::router(ctx)).await
}
