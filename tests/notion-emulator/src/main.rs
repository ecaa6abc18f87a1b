//! `notion-emulator`: serves an emulated Notion workspace on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use notion_emulator::{
    Emulator, EmulatorConfig, GeneratedWorkspace, RateLimit, WebhookTarget, WorkspaceSource,
};

#[derive(Debug, Parser)]
#[command(name = "notion-emulator", about = "Serves the Notion API from memory")]
struct Args {
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 7070)]
    port: u16,
    /// Address to bind; loopback by default (the control API has no auth).
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Seed of the generated workspace.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Ordinary pages in the generated workspace.
    #[arg(long)]
    pages: Option<usize>,
    /// Rows per data source in the generated workspace.
    #[arg(long)]
    rows: Option<usize>,
    /// Serve this workspace JSON file instead of a generated workspace.
    #[arg(long)]
    workspace_json: Option<PathBuf>,
    /// Requests per second per connection (unlimited when absent).
    #[arg(long)]
    rate_limit: Option<f64>,
    /// Token bucket size for --rate-limit.
    #[arg(long, default_value_t = 10)]
    burst: u32,
    /// Show the consent page instead of approving OAuth requests at once.
    #[arg(long)]
    no_auto_approve: bool,
    /// Where to POST signed webhook events.
    #[arg(long)]
    webhook_url: Option<String>,
    /// Verification token (signing key) for webhook events.
    #[arg(
        long,
        env = "NOTION_EMULATOR_WEBHOOK_SECRET",
        default_value = "secret_emulator_webhook"
    )]
    webhook_secret: String,
    /// OAuth client id.
    #[arg(
        long,
        env = "NOTION_EMULATOR_CLIENT_ID",
        default_value = "emulator-client-id"
    )]
    client_id: String,
    /// OAuth client secret.
    #[arg(
        long,
        env = "NOTION_EMULATOR_CLIENT_SECRET",
        default_value = "emulator-client-secret"
    )]
    client_secret: String,
}

#[derive(Debug, thiserror::Error)]
enum MainError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Workspace(#[from] notion_emulator::WorkspaceError),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

fn config(args: &Args) -> Result<EmulatorConfig, MainError> {
    let workspace = match &args.workspace_json {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| MainError::Read {
                path: path.clone(),
                source,
            })?;
            let doc = serde_json::from_str(&text).map_err(|source| MainError::Json {
                path: path.clone(),
                source,
            })?;
            WorkspaceSource::Json(doc)
        }
        None => {
            let mut params = GeneratedWorkspace {
                seed: args.seed,
                ..GeneratedWorkspace::default()
            };
            if let Some(p) = args.pages {
                params.pages = p;
            }
            if let Some(r) = args.rows {
                params.rows_per_data_source = r;
            }
            WorkspaceSource::Generated(params)
        }
    };
    Ok(EmulatorConfig {
        workspace,
        rate_limit: args.rate_limit.map(|rps| RateLimit {
            requests_per_second: rps,
            burst: args.burst,
        }),
        oauth_app: notion_emulator::OAuthApp {
            client_id: args.client_id.clone(),
            client_secret: args.client_secret.clone(),
        },
        auto_approve: !args.no_auto_approve,
        webhook: args.webhook_url.as_ref().map(|url| WebhookTarget {
            url: url.clone(),
            verification_token: args.webhook_secret.clone(),
        }),
        ..EmulatorConfig::default()
    })
}

async fn run(args: Args) -> Result<(), MainError> {
    let config = config(&args)?;
    let emulator = Emulator::try_new(config)?;
    let grant = emulator.grant_all();
    let app = emulator.oauth_app();
    let (pages, blocks) = emulator.sizes();
    let running = emulator
        .serve(SocketAddr::new(args.host, args.port))
        .await?;
    tracing::info!(base_url = %running.base_url, pages, blocks, "notion emulator listening");
    // The operator asked for these: printing them is the point of the binary.
    println!("NOTION_API_BASE_URL={}", running.base_url);
    println!("NOTION_CLIENT_ID={}", app.client_id);
    println!("NOTION_CLIENT_SECRET={}", app.client_secret);
    println!("NOTION_ACCESS_TOKEN={}", grant.access_token);
    println!(
        "workspace: {pages} pages, {blocks} blocks; control API at {}/_emulator/info",
        running.base_url
    );
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down");
    drop(running);
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "notion emulator failed");
            std::process::ExitCode::FAILURE
        }
    }
}
