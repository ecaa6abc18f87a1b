//! The api Lambda: connections, sync status and trigger, records and actions for the app backend.
//!
//! Thin entry point: wiring only; the logic lives in `relay-shared`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    relay_shared::telemetry::init();
    let router = relay_shared::http::not_ready_router("the app backend API");
    lambda_http::run(router).await
}
