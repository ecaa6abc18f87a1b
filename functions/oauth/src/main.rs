//! The oauth Lambda: connect sessions, OAuth start and callback (API Gateway HTTP API).
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relay_shared::telemetry::init();
    let router = relay_shared::http::not_ready_router("the connect flow");
    lambda_http::run(router).await
}
