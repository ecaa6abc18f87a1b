//! The local stack: the whole of Notion Relay in one process on one machine.
//!
//! Every function's router behind one local gateway (the same routes API Gateway serves), the
//! adapters picked from the environment (embedded under `RELAY_DATA_DIR` by default; AWS when
//! `AWS_ENDPOINT_URL` or credentials are set), and the Notion emulator with a generated workspace,
//! unless `NOTION_CLIENT_ID` and `NOTION_CLIENT_SECRET` point it at real Notion.

pub mod demo;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use notion_emulator::{
    Emulator, EmulatorConfig, GeneratedWorkspace, RunningEmulator, WebhookTarget, WorkspaceSource,
};
use relay_shared::adapters::{AdapterConfig, Adapters, FactoryError};
use relay_shared::app::{AppContext, AppError, Settings};
use relay_shared::config::{ConfigError, NotionConfig};
use relay_shared::domain::timestamp;
use relay_shared::ports::{SecretName, SecretsError};
use relay_shared::secret::SecretString;
use relay_shared::sync::{QueueRunner, Scheduler, SyncOptions, SyncWorker};
use thiserror::Error;
use tokio::sync::{oneshot, watch};
use url::Url;

pub const DEFAULT_PORT: u16 = 8080;
pub const DEFAULT_EMULATOR_PORT: u16 = 8081;
const EMULATOR_STATE_FILE: &str = "notion-emulator.json";
/// The emulator's grants and tokens: without them a restarted emulator would not know the
/// tokens the stored connections hold. Secrets: written owner-readable only.
const EMULATOR_AUTH_FILE: &str = "notion-emulator-auth.json";

#[derive(Debug, Error)]
pub enum LocalError {
    #[error("{name} must be {expected}, got {value:?}")]
    InvalidSetting {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Adapters(#[from] FactoryError),
    #[error(transparent)]
    App(#[from] AppError),
    #[error("secrets: {0}")]
    Secrets(#[from] SecretsError),
    #[error("the saved emulator workspace {path} could not be read: {reason}")]
    EmulatorState { path: PathBuf, reason: String },
    #[error("sync settings: {0}")]
    Sync(ConfigError),
    #[error("binding {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Which Notion the stack talks to.
#[derive(Debug, Clone)]
pub enum NotionTarget {
    /// The Notion emulator, started in process on `port` with a generated workspace.
    Emulator { port: u16, seed: u64, pages: usize },
    /// A real Notion public integration (`NOTION_CLIENT_ID`, `NOTION_CLIENT_SECRET`).
    Real { base_url: Url },
}

#[derive(Debug, Clone)]
pub struct LocalConfig {
    pub port: u16,
    pub data_dir: PathBuf,
    pub notion: NotionTarget,
    /// Return URLs connect sessions may use, beyond the demo page.
    pub extra_return_urls: Vec<String>,
    /// Every variable the adapters and settings read (the process environment, or a test's map).
    pub env: HashMap<String, String>,
}

impl LocalConfig {
    /// Reads `RELAY_PORT`, `RELAY_DATA_DIR`, `NOTION_CLIENT_ID`/`NOTION_CLIENT_SECRET`,
    /// `NOTION_API_BASE_URL`, `NOTION_EMULATOR_PORT`, `NOTION_EMULATOR_SEED`,
    /// `NOTION_EMULATOR_PAGES` and `RELAY_RETURN_URL_ALLOWLIST`.
    pub fn from_env() -> Result<Self, LocalError> {
        Self::from_vars(std::env::vars().collect())
    }

    pub fn from_vars(env: HashMap<String, String>) -> Result<Self, LocalError> {
        let get = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let port = parse_or(
            get("RELAY_PORT"),
            DEFAULT_PORT,
            "RELAY_PORT",
            "a port number",
        )?;
        let data_dir = PathBuf::from(get("RELAY_DATA_DIR").unwrap_or("./.relay"));
        let real_notion =
            get("NOTION_CLIENT_ID").is_some() && get("NOTION_CLIENT_SECRET").is_some();
        let notion = if real_notion {
            NotionTarget::Real {
                base_url: NotionConfig::from_vars(&env)?.base_url,
            }
        } else {
            NotionTarget::Emulator {
                port: parse_or(
                    get("NOTION_EMULATOR_PORT"),
                    DEFAULT_EMULATOR_PORT,
                    "NOTION_EMULATOR_PORT",
                    "a port number",
                )?,
                seed: parse_or(
                    get("NOTION_EMULATOR_SEED"),
                    42,
                    "NOTION_EMULATOR_SEED",
                    "a number",
                )?,
                pages: parse_or(
                    get("NOTION_EMULATOR_PAGES"),
                    60,
                    "NOTION_EMULATOR_PAGES",
                    "a number",
                )?,
            }
        };
        let extra_return_urls = get("RELAY_RETURN_URL_ALLOWLIST")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Self {
            port,
            data_dir,
            notion,
            extra_return_urls,
            env,
        })
    }
}

fn parse_or<T: std::str::FromStr>(
    raw: Option<&str>,
    default: T,
    name: &'static str,
    expected: &'static str,
) -> Result<T, LocalError> {
    match raw {
        None => Ok(default),
        Some(value) => value.parse().map_err(|_| LocalError::InvalidSetting {
            name,
            expected,
            value: value.to_owned(),
        }),
    }
}

/// A running local stack. Dropping it (or [`RunningStack::shutdown`]) stops the gateway; the
/// emulator's workspace is saved under the data folder so a restart keeps it.
pub struct RunningStack {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    pub api_key: SecretString,
    pub emulator: Option<RunningEmulator>,
    pub context: AppContext,
    data_dir: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    stop_sync: watch::Sender<bool>,
    sync: Option<tokio::task::JoinHandle<()>>,
}

impl RunningStack {
    /// Where the demo page lives.
    pub fn demo_url(&self) -> String {
        format!("{}/demo/", self.url)
    }

    /// Stops the gateway, waits for in-flight requests and saves the emulator's workspace.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.stop_sync.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(sync) = self.sync.take() {
            let _ = sync.await;
        }
        self.save_emulator_state();
    }

    fn save_emulator_state(&self) {
        let Some(emulator) = &self.emulator else {
            return;
        };
        let path = self.data_dir.join(EMULATOR_STATE_FILE);
        let saved = serde_json::to_vec(&emulator.emulator.workspace_json())
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&path, bytes));
        if let Err(err) = saved {
            tracing::warn!(path = %path.display(), error = %err, "could not save the emulator workspace");
        }
        let path = self.data_dir.join(EMULATOR_AUTH_FILE);
        let saved = serde_json::to_vec(&emulator.emulator.auth_json())
            .map_err(std::io::Error::other)
            .and_then(|bytes| write_private(&path, &bytes));
        if let Err(err) = saved {
            tracing::warn!(path = %path.display(), error = %err, "could not save the emulator's tokens");
        }
    }
}

impl Drop for RunningStack {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = self.stop_sync.send(true);
    }
}

/// Starts everything and returns once the gateway listens.
pub async fn start(config: LocalConfig) -> Result<RunningStack, LocalError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|err| LocalError::EmulatorState {
        path: config.data_dir.clone(),
        reason: err.to_string(),
    })?;
    let emulator = match &config.notion {
        NotionTarget::Emulator { port, seed, pages } => {
            Some(start_emulator(&config.data_dir, *port, *seed, *pages).await?)
        }
        NotionTarget::Real { .. } => None,
    };

    let listener_addr = SocketAddr::from(([127, 0, 0, 1], config.port));
    let listener = tokio::net::TcpListener::bind(listener_addr)
        .await
        .map_err(|source| LocalError::Bind {
            addr: listener_addr,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| LocalError::Bind {
        addr: listener_addr,
        source,
    })?;
    let url = format!("http://{addr}");

    let mut env = config.env.clone();
    env.entry("RELAY_DATA_DIR".to_owned())
        .or_insert_with(|| config.data_dir.display().to_string());
    if let Some(running) = &emulator {
        env.insert("NOTION_API_BASE_URL".to_owned(), running.base_url.clone());
    }
    let adapter_config = AdapterConfig::from_vars(&env)?;
    let adapters = Adapters::build(&adapter_config, env.clone()).await?;

    let api_key = ensure_api_key(&adapters).await?;
    if let Some(running) = &emulator {
        let app = running.emulator.oauth_app();
        adapters
            .secrets
            .put(
                &SecretName::notion_client_id(),
                &SecretString::new(app.client_id),
            )
            .await?;
        adapters
            .secrets
            .put(
                &SecretName::notion_client_secret(),
                &SecretString::new(app.client_secret),
            )
            .await?;
    }

    let demo_url = format!("{url}/demo/");
    let mut return_url_allowlist = vec![demo_url];
    return_url_allowlist.extend(config.extra_return_urls.iter().cloned());
    let settings = Settings {
        public_url: Url::parse(&url).map_err(|err| ConfigError::InvalidUrl {
            name: "RELAY_PUBLIC_URL",
            reason: err.to_string(),
        })?,
        return_url_allowlist,
        notion: NotionConfig::from_vars(&env)?,
    };
    let context = AppContext::new(adapters, settings)?;
    let router = gateway(context.clone()).merge(demo::router(context.clone(), url.clone()));

    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        if let Err(err) = served {
            tracing::error!(error = %err, "local gateway stopped");
        }
    });

    if let Some(running) = &emulator {
        subscribe_to_emulator_webhooks(&running.emulator, &context, &url).await;
    }

    let (stop_sync, stopped) = watch::channel(false);
    let sync_options = SyncOptions::from_env().map_err(LocalError::Sync)?;
    let sync = tokio::spawn(run_sync(context.clone(), sync_options, stopped));

    Ok(RunningStack {
        url,
        api_key,
        emulator,
        context,
        data_dir: config.data_dir,
        shutdown: Some(tx),
        server: Some(server),
        stop_sync,
        sync: Some(sync),
    })
}

/// How often the local scheduler looks for due connections (EventBridge's schedule in AWS).
const SCHEDULER_PERIOD: std::time::Duration = std::time::Duration::from_secs(30);
/// How long the local worker waits for a job before looking again.
const WORKER_POLL: std::time::Duration = std::time::Duration::from_secs(1);
/// Time each job gets, like the worker Lambda's timeout, so long imports continue across "invocations".
const JOB_TIME: std::time::Duration = std::time::Duration::from_secs(120);

/// The scheduler on a timer and the worker fed by the in-process queue, until `stopped` turns
/// true. Two loops, so a scheduler tick never interrupts a job in progress; only shutdown does
/// (like a killed worker: the job resumes from its checkpoint next time).
async fn run_sync(context: AppContext, options: SyncOptions, stopped: watch::Receiver<bool>) {
    let scheduler = Scheduler::new(
        context.adapters.connections.clone(),
        context.adapters.queue.clone(),
        options.lease_ttl,
    );
    let mut runner = QueueRunner::new(
        SyncWorker::new(context.clone(), options),
        context.adapters.queue.clone(),
    );
    runner.job_time = Some(JOB_TIME);

    let mut stop_scheduler = stopped.clone();
    let scheduler_loop = async move {
        let mut schedule = tokio::time::interval(SCHEDULER_PERIOD);
        loop {
            tokio::select! {
                _ = stop_scheduler.changed() => return,
                _ = schedule.tick() => {
                    if let Err(err) = scheduler.tick(timestamp::now()).await {
                        tracing::warn!(error = %err, "scheduler tick failed");
                    }
                }
            }
        }
    };
    let mut stop_worker = stopped;
    let worker_loop = async move {
        loop {
            tokio::select! {
                _ = stop_worker.changed() => return,
                drained = runner.drain(WORKER_POLL) => {
                    if let Err(err) = drained {
                        tracing::warn!(error = %err, "sync worker could not read the queue");
                        tokio::time::sleep(WORKER_POLL).await;
                    }
                }
            }
        }
    };
    tokio::join!(scheduler_loop, worker_loop);
}

/// Every function's routes on one router, as API Gateway routes them to the Lambdas.
pub fn gateway(context: AppContext) -> Router {
    Router::new()
        .merge(relay_shared::routes::oauth_router(context.clone()))
        .merge(relay_shared::routes::pages_router(context.clone()))
        .merge(relay_shared::routes::webhooks_router(context.clone()))
        .merge(relay_shared::routes::mcp::router(context.clone()))
        .merge(relay_shared::routes::api_router(context))
}

/// Points the emulator's webhooks at the local `POST /webhooks/notion`, as an operator does in
/// Notion's integration settings, so edits reach the synced copy through targeted jobs without
/// waiting for the schedule. The first run goes through the real verification handshake (the
/// handler stores the token); later runs reuse the stored token, which the handler no longer lets a
/// handshake replace once it has verified an event. Failures only cost freshness: logged, not fatal.
async fn subscribe_to_emulator_webhooks(emulator: &Emulator, context: &AppContext, url: &str) {
    let name = SecretName::webhook_verification_token();
    let stored = match context.adapters.secrets.get(&name).await {
        Ok(token) if !token.expose().is_empty() => Some(token),
        Ok(_) | Err(SecretsError::NotFound(_)) => None,
        Err(error) => {
            tracing::warn!(error = %error, "cannot read the webhook verification token; emulator webhooks stay off");
            return;
        }
    };
    let token = stored
        .clone()
        .unwrap_or_else(relay_shared::connect::random::random_token);
    emulator.set_webhook(Some(WebhookTarget {
        url: format!("{url}/webhooks/notion"),
        verification_token: token.expose().to_owned(),
    }));
    if stored.is_none() {
        match emulator.send_webhook_verification().await {
            Ok(200) => tracing::info!("emulator webhooks verified"),
            Ok(status) => tracing::warn!(status, "the webhook handshake was refused"),
            Err(error) => tracing::warn!(error = %error, "the webhook handshake failed"),
        }
    }
}

/// The app backend's API key: from the environment or the secrets store, else generated once and
/// stored, so a restart keeps it.
async fn ensure_api_key(adapters: &Adapters) -> Result<SecretString, LocalError> {
    let name = SecretName::api_key();
    match adapters.secrets.get(&name).await {
        Ok(key) if !key.is_empty() => Ok(key),
        _ => {
            let mut bytes = [0u8; 24];
            rand::fill(&mut bytes);
            let key = SecretString::new(format!("relay_local_{}", hex::encode(bytes)));
            adapters.secrets.put(&name, &key).await?;
            Ok(key)
        }
    }
}

/// Starts the emulator, from the workspace saved by the previous run when there is one.
async fn start_emulator(
    data_dir: &Path,
    port: u16,
    seed: u64,
    pages: usize,
) -> Result<RunningEmulator, LocalError> {
    let config = EmulatorConfig {
        workspace: WorkspaceSource::Generated(GeneratedWorkspace {
            seed,
            pages,
            ..GeneratedWorkspace::default()
        }),
        auto_approve: false,
        ..EmulatorConfig::default()
    };
    let saved = data_dir.join(EMULATOR_STATE_FILE);
    let emulator = if saved.exists() {
        let state_error = |reason: String| LocalError::EmulatorState {
            path: saved.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&saved).map_err(|err| state_error(err.to_string()))?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|err| state_error(err.to_string()))?;
        let workspace = notion_emulator::Workspace::from_json(&doc)
            .map_err(|err| state_error(err.to_string()))?;
        Emulator::with_workspace(workspace, config)
    } else {
        Emulator::new(config)
    };
    let saved_auth = data_dir.join(EMULATOR_AUTH_FILE);
    if saved_auth.exists() {
        let state_error = |reason: String| LocalError::EmulatorState {
            path: saved_auth.clone(),
            reason,
        };
        let text =
            std::fs::read_to_string(&saved_auth).map_err(|err| state_error(err.to_string()))?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|err| state_error(err.to_string()))?;
        emulator
            .restore_auth(&doc)
            .map_err(|err| state_error(err.to_string()))?;
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    emulator
        .serve(addr)
        .await
        .map_err(|source| LocalError::Bind { addr, source })
}

/// Writes a file only its owner can read (it holds tokens).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}
