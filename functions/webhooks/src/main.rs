//! The webhooks Lambda: Notion webhook ingestion (verify, dedupe, enqueue).
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relay_shared::telemetry::init();
    let router = relay_shared::http::not_ready_router("webhook ingestion");
    lambda_http::run(router).await
}
