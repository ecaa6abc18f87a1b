//! The create-page Lambda: creates pages and data-source rows from Markdown and typed properties.
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relay_shared::telemetry::init();
    let router = relay_shared::http::not_ready_router("page creation");
    lambda_http::run(router).await
}
