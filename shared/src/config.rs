//! Configuration read from the environment in one place. The variable names are the same in the
//! local stack, the Lambda environment and the tests (see DESIGN.md, "Configuration").

use std::collections::HashMap;
use std::time::Duration;

use thiserror::Error;
use url::Url;

pub const DEFAULT_NOTION_API_BASE_URL: &str = "https://api.notion.com";
pub const DEFAULT_NOTION_VERSION: &str = "2026-03-11";
pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 3.0;
pub const DEFAULT_BURST: u32 = 5;

#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("{name} is not a valid URL: {reason}")]
    InvalidUrl { name: &'static str, reason: String },
    #[error("{name} must be {expected}, got {value:?}")]
    InvalidValue {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
}

/// Where and how to call Notion. Shared by every function that talks to Notion.
#[derive(Debug, Clone, PartialEq)]
pub struct NotionConfig {
    /// Base of every Notion call, OAuth authorize and token included (the emulator in tests).
    pub base_url: Url,
    /// The pinned `Notion-Version` header.
    pub version: String,
    /// The per-connection request budget.
    pub budget: BudgetConfig,
    /// Per-request timeout; Notion itself gives up after about 60 s.
    pub request_timeout: Duration,
}

/// A token bucket: `requests_per_second` on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetConfig {
    pub requests_per_second: f64,
    pub burst: u32,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
            burst: DEFAULT_BURST,
        }
    }
}

impl Default for NotionConfig {
    fn default() -> Self {
        Self {
            base_url: Url::parse(DEFAULT_NOTION_API_BASE_URL).unwrap_or_else(|_| unreachable!()),
            version: DEFAULT_NOTION_VERSION.to_owned(),
            budget: BudgetConfig::default(),
            request_timeout: Duration::from_secs(65),
        }
    }
}

impl NotionConfig {
    /// Reads `NOTION_API_BASE_URL`, `NOTION_VERSION`, `NOTION_REQUESTS_PER_SECOND`, `NOTION_BURST`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Same as [`NotionConfig::from_env`] over an explicit map (tests, the local stack).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(raw) = non_empty(vars, "NOTION_API_BASE_URL") {
            config.base_url = Url::parse(raw).map_err(|err| ConfigError::InvalidUrl {
                name: "NOTION_API_BASE_URL",
                reason: err.to_string(),
            })?;
        }
        if let Some(raw) = non_empty(vars, "NOTION_VERSION") {
            config.version = raw.to_owned();
        }
        if let Some(raw) = non_empty(vars, "NOTION_REQUESTS_PER_SECOND") {
            config.budget.requests_per_second = raw
                .parse::<f64>()
                .ok()
                .filter(|rps| rps.is_finite() && *rps > 0.0)
                .ok_or_else(|| ConfigError::InvalidValue {
                    name: "NOTION_REQUESTS_PER_SECOND",
                    expected: "a positive number",
                    value: raw.to_owned(),
                })?;
        }
        if let Some(raw) = non_empty(vars, "NOTION_BURST") {
            config.budget.burst = raw
                .parse::<u32>()
                .ok()
                .filter(|burst| *burst > 0)
                .ok_or_else(|| ConfigError::InvalidValue {
                    name: "NOTION_BURST",
                    expected: "a positive integer",
                    value: raw.to_owned(),
                })?;
        }
        Ok(config)
    }
}

fn non_empty<'a>(vars: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_pin_the_version_and_budget() {
        let config = NotionConfig::from_vars(&HashMap::new()).unwrap();
        assert_eq!(config.version, "2026-03-11");
        assert_eq!(config.base_url.as_str(), "https://api.notion.com/");
        assert_eq!(config.budget.requests_per_second, 3.0);
    }

    #[test]
    fn reads_overrides() {
        let config = NotionConfig::from_vars(&vars(&[
            ("NOTION_API_BASE_URL", "http://127.0.0.1:7070"),
            ("NOTION_VERSION", "2025-09-03"),
            ("NOTION_REQUESTS_PER_SECOND", "10"),
            ("NOTION_BURST", "20"),
        ]))
        .unwrap();
        assert_eq!(config.base_url.as_str(), "http://127.0.0.1:7070/");
        assert_eq!(config.version, "2025-09-03");
        assert_eq!(config.budget.requests_per_second, 10.0);
        assert_eq!(config.budget.burst, 20);
    }

    #[test]
    fn rejects_bad_values() {
        assert!(NotionConfig::from_vars(&vars(&[("NOTION_BURST", "0")])).is_err());
        assert!(NotionConfig::from_vars(&vars(&[("NOTION_REQUESTS_PER_SECOND", "-1")])).is_err());
        assert!(NotionConfig::from_vars(&vars(&[("NOTION_API_BASE_URL", "not a url")])).is_err());
    }
}
