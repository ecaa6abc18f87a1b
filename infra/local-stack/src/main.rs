//! `cargo run -p relay-local`: the whole of Notion Relay on this machine. Ctrl-C stops it; the
//! data folder keeps connections, records, keys and the emulator's workspace for the next run.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    relay_shared::telemetry::init();
    let config = match relay_local::LocalConfig::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("notion relay: {err}");
            return ExitCode::FAILURE;
        }
    };
    let stack = match relay_local::start(config).await {
        Ok(stack) => stack,
        Err(err) => {
            eprintln!("notion relay: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("Notion Relay is running at {}", stack.url);
    println!("  demo page:        {}", stack.demo_url());
    println!("  API key:          {}", stack.api_key.expose());
    match &stack.emulator {
        Some(emulator) => println!("  Notion emulator:  {}", emulator.base_url),
        None => println!("  Notion:           real Notion (NOTION_CLIENT_ID is set)"),
    }
    println!(
        "Next: open the demo page, press \"Connect Notion\", pick the pages to share, watch the"
    );
    println!(
        "first sync fill the page list, read a page and create one. Ctrl-C stops; data is kept."
    );

    if let Err(err) = tokio::signal::ctrl_c().await {
        eprintln!("notion relay: waiting for Ctrl-C failed: {err}");
    }
    println!("stopping…");
    stack.shutdown().await;
    ExitCode::SUCCESS
}
