//! The application context: everything a handler, the scheduler or a worker needs, built once per
//! process (cold start) and borrowed by every invocation. Functions and the local stack build it the
//! same way; tests build it around embedded adapters and the Notion emulator.

use std::sync::Arc;

use thiserror::Error;
use url::Url;

use crate::adapters::{Adapters, FactoryError};
use crate::config::{ConfigError, NotionConfig};
use crate::notion::{NotionClient, NotionError};

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Adapters(#[from] FactoryError),
    #[error("building the Notion client: {0}")]
    Notion(#[from] NotionError),
}

/// Settings of the HTTP-facing flows, read from the environment in one place.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Where Relay is reachable (`RELAY_PUBLIC_URL`); the OAuth redirect URI is this plus
    /// `/oauth/callback`.
    pub public_url: Url,
    /// Return URLs a connect session may send the browser back to (`RELAY_RETURN_URL_ALLOWLIST`,
    /// comma-separated).
    pub return_url_allowlist: Vec<String>,
    pub notion: NotionConfig,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let public_url = std::env::var("RELAY_PUBLIC_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
        let public_url = Url::parse(public_url.trim()).map_err(|err| ConfigError::InvalidUrl {
            name: "RELAY_PUBLIC_URL",
            reason: err.to_string(),
        })?;
        let return_url_allowlist = std::env::var("RELAY_RETURN_URL_ALLOWLIST")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Self {
            public_url,
            return_url_allowlist,
            notion: NotionConfig::from_env()?,
        })
    }

    /// The OAuth redirect URI registered with Notion.
    pub fn oauth_redirect_uri(&self) -> String {
        format!(
            "{}/oauth/callback",
            self.public_url.as_str().trim_end_matches('/')
        )
    }
}

/// Adapters, the Notion client and settings. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppContext {
    pub adapters: Adapters,
    pub notion: NotionClient,
    pub settings: Arc<Settings>,
}

impl AppContext {
    pub fn new(adapters: Adapters, settings: Settings) -> Result<Self, AppError> {
        let notion = NotionClient::new(&settings.notion)?;
        Ok(Self {
            adapters,
            notion,
            settings: Arc::new(settings),
        })
    }

    /// The production wiring: adapters picked from the environment (AWS in Lambda).
    pub async fn from_env() -> Result<Self, AppError> {
        let settings = Settings::from_env()?;
        let adapters = Adapters::from_env().await?;
        Self::new(adapters, settings)
    }
}
