//! Structured JSON logs, set up once per process. Fields carry identifiers (connection id, sync run
//! id, Notion request id), never payloads or secrets.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber. `RUST_LOG` filters (default `info`). Safe to call twice: the second
/// call is a no-op, so tests and the local stack can both call it.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .try_init();
}
