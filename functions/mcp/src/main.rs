//! The mcp Lambda: a stateless streamable-HTTP MCP server for agents.
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relay_shared::telemetry::init();
    let router = relay_shared::http::not_ready_router("the MCP server");
    lambda_http::run(router).await
}
