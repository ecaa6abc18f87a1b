//! Names of the AWS resources Relay uses, read from the environment with documented defaults.

use std::collections::HashMap;
use std::time::Duration;

use crate::adapters::secret_cache::DEFAULT_SECRET_TTL;

pub const DEFAULT_CONNECTIONS_TABLE: &str = "notion-relay-connections";
pub const DEFAULT_RECORDS_TABLE: &str = "notion-relay-records";
pub const DEFAULT_SYNC_STATE_TABLE: &str = "notion-relay-sync-state";
pub const DEFAULT_EPHEMERAL_TABLE: &str = "notion-relay-ephemeral";
pub const DEFAULT_SYNC_QUEUE_NAME: &str = "notion-relay-sync.fifo";
pub const DEFAULT_SYNC_DLQ_NAME: &str = "notion-relay-sync-dlq.fifo";
pub const DEFAULT_KMS_KEY_ID: &str = "alias/notion-relay";
pub const DEFAULT_SECRETS_PREFIX: &str = "notion-relay/";

/// Where each piece lives. `sync_queue_url`/`sync_dlq_url` win over the names when set (the SAM
/// template passes URLs); otherwise the names are resolved with GetQueueUrl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    pub connections_table: String,
    pub records_table: String,
    pub sync_state_table: String,
    pub ephemeral_table: String,
    pub sync_queue_name: String,
    pub sync_queue_url: Option<String>,
    pub sync_dlq_name: String,
    pub sync_dlq_url: Option<String>,
    pub kms_key_id: String,
    /// Secret `x` is stored as `<prefix>x` in Secrets Manager.
    pub secrets_prefix: String,
    pub secrets_cache_ttl: Duration,
}

impl Default for AwsResources {
    fn default() -> Self {
        Self {
            connections_table: DEFAULT_CONNECTIONS_TABLE.to_owned(),
            records_table: DEFAULT_RECORDS_TABLE.to_owned(),
            sync_state_table: DEFAULT_SYNC_STATE_TABLE.to_owned(),
            ephemeral_table: DEFAULT_EPHEMERAL_TABLE.to_owned(),
            sync_queue_name: DEFAULT_SYNC_QUEUE_NAME.to_owned(),
            sync_queue_url: None,
            sync_dlq_name: DEFAULT_SYNC_DLQ_NAME.to_owned(),
            sync_dlq_url: None,
            kms_key_id: DEFAULT_KMS_KEY_ID.to_owned(),
            secrets_prefix: DEFAULT_SECRETS_PREFIX.to_owned(),
            secrets_cache_ttl: DEFAULT_SECRET_TTL,
        }
    }
}

impl AwsResources {
    /// Reads `RELAY_CONNECTIONS_TABLE`, `RELAY_RECORDS_TABLE`, `RELAY_SYNC_STATE_TABLE`,
    /// `RELAY_EPHEMERAL_TABLE`, `RELAY_SYNC_QUEUE_NAME`, `RELAY_SYNC_QUEUE_URL`,
    /// `RELAY_SYNC_DLQ_NAME`, `RELAY_SYNC_DLQ_URL`, `RELAY_KMS_KEY_ID`, `RELAY_SECRETS_PREFIX`,
    /// `RELAY_SECRETS_CACHE_SECONDS`; unset or empty means the default.
    pub fn from_vars(vars: &HashMap<String, String>) -> Self {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let defaults = Self::default();
        Self {
            connections_table: get("RELAY_CONNECTIONS_TABLE").unwrap_or(defaults.connections_table),
            records_table: get("RELAY_RECORDS_TABLE").unwrap_or(defaults.records_table),
            sync_state_table: get("RELAY_SYNC_STATE_TABLE").unwrap_or(defaults.sync_state_table),
            ephemeral_table: get("RELAY_EPHEMERAL_TABLE").unwrap_or(defaults.ephemeral_table),
            sync_queue_name: get("RELAY_SYNC_QUEUE_NAME").unwrap_or(defaults.sync_queue_name),
            sync_queue_url: get("RELAY_SYNC_QUEUE_URL"),
            sync_dlq_name: get("RELAY_SYNC_DLQ_NAME").unwrap_or(defaults.sync_dlq_name),
            sync_dlq_url: get("RELAY_SYNC_DLQ_URL"),
            kms_key_id: get("RELAY_KMS_KEY_ID").unwrap_or(defaults.kms_key_id),
            secrets_prefix: get("RELAY_SECRETS_PREFIX").unwrap_or(defaults.secrets_prefix),
            secrets_cache_ttl: get("RELAY_SECRETS_CACHE_SECONDS")
                .and_then(|s| s.parse::<u64>().ok())
                .map_or(defaults.secrets_cache_ttl, Duration::from_secs),
        }
    }

    /// Every name prefixed with `prefix` (tests: isolated resources per test on one moto).
    pub fn with_prefix(prefix: &str) -> Self {
        let defaults = Self::default();
        Self {
            connections_table: format!("{prefix}{}", defaults.connections_table),
            records_table: format!("{prefix}{}", defaults.records_table),
            sync_state_table: format!("{prefix}{}", defaults.sync_state_table),
            ephemeral_table: format!("{prefix}{}", defaults.ephemeral_table),
            sync_queue_name: format!("{prefix}{}", defaults.sync_queue_name),
            sync_queue_url: None,
            sync_dlq_name: format!("{prefix}{}", defaults.sync_dlq_name),
            sync_dlq_url: None,
            kms_key_id: format!("alias/{prefix}notion-relay"),
            secrets_prefix: format!("{prefix}{}", defaults.secrets_prefix),
            secrets_cache_ttl: defaults.secrets_cache_ttl,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let defaults = AwsResources::from_vars(&HashMap::new());
        assert_eq!(defaults, AwsResources::default());
        let vars = HashMap::from([
            ("RELAY_RECORDS_TABLE".to_owned(), "r".to_owned()),
            ("RELAY_SYNC_QUEUE_URL".to_owned(), "http://q".to_owned()),
            ("RELAY_SECRETS_CACHE_SECONDS".to_owned(), "7".to_owned()),
            ("RELAY_KMS_KEY_ID".to_owned(), " ".to_owned()),
        ]);
        let custom = AwsResources::from_vars(&vars);
        assert_eq!(custom.records_table, "r");
        assert_eq!(custom.sync_queue_url.as_deref(), Some("http://q"));
        assert_eq!(custom.secrets_cache_ttl, Duration::from_secs(7));
        assert_eq!(custom.kms_key_id, DEFAULT_KMS_KEY_ID);
    }
}
