//! Picks the adapter family from configuration and builds every port once.
//!
//! `RELAY_BACKEND=aws|embedded` decides explicitly. Unset, the AWS family is used when
//! `AWS_ENDPOINT_URL` is set (moto), when running in Lambda (`AWS_LAMBDA_FUNCTION_NAME`), or when
//! AWS credentials are configured (`AWS_ACCESS_KEY_ID` or `AWS_PROFILE`); otherwise the embedded
//! family under `RELAY_DATA_DIR` (default `./.relay`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use super::aws::{
    AwsClients, AwsResources, DynamoConnectionStore, DynamoDeadLetterStore, DynamoEphemeralStore,
    DynamoRecordStore, DynamoSyncStateStore, KmsKeyVault, SecretsManagerSecrets, SqsJobQueue,
};
use super::embedded::{
    EmbeddedConnectionStore, EmbeddedDb, EmbeddedDeadLetterStore, EmbeddedEphemeralStore,
    EmbeddedRecordStore, EmbeddedSyncStateStore, FileSecrets, InProcessJobQueue, LocalKeyVault,
};
use super::secret_cache::DEFAULT_SECRET_TTL;
use crate::domain::TokenVault;
use crate::ports::{
    ConnectionStore, DeadLetterStore, EphemeralStore, JobQueue, KeyVault, KeyVaultError,
    QueueError, RecordStore, SecretsProvider, StoreError, SyncStateStore,
};

pub const DEFAULT_DATA_DIR: &str = "./.relay";
/// Receives before a job goes to the dead-letter queue (in-process queue; SQS: the redrive policy).
pub const DEFAULT_MAX_RECEIVES: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Aws,
    Embedded,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::Embedded => "embedded",
        }
    }
}

#[derive(Debug, Error)]
pub enum FactoryError {
    #[error("RELAY_BACKEND must be aws or embedded, got {0:?}")]
    InvalidBackend(String),
    #[error("{name} must be {expected}, got {value:?}")]
    InvalidValue {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error("opening the embedded store: {0}")]
    Store(#[from] StoreError),
    #[error("opening the key vault: {0}")]
    KeyVault(#[from] KeyVaultError),
    #[error("resolving the queue: {0}")]
    Queue(#[from] QueueError),
}

/// Everything the factory needs, read from the environment in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterConfig {
    pub backend: Backend,
    pub data_dir: PathBuf,
    pub aws: AwsResources,
    pub max_receives: u32,
    pub secrets_cache_ttl: Duration,
}

fn non_empty<'a>(vars: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

impl AdapterConfig {
    pub fn from_env() -> Result<Self, FactoryError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads `RELAY_BACKEND`, `RELAY_DATA_DIR`, `RELAY_QUEUE_MAX_RECEIVES`,
    /// `RELAY_SECRETS_CACHE_SECONDS` and the AWS resource names (see [`AwsResources::from_vars`]).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, FactoryError> {
        let backend = match non_empty(vars, "RELAY_BACKEND") {
            Some("aws") => Backend::Aws,
            Some("embedded") => Backend::Embedded,
            Some(other) => return Err(FactoryError::InvalidBackend(other.to_owned())),
            None => {
                let aws_configured = [
                    "AWS_ENDPOINT_URL",
                    "AWS_LAMBDA_FUNCTION_NAME",
                    "AWS_ACCESS_KEY_ID",
                    "AWS_PROFILE",
                ]
                .iter()
                .any(|name| non_empty(vars, name).is_some());
                if aws_configured {
                    Backend::Aws
                } else {
                    Backend::Embedded
                }
            }
        };
        let max_receives =
            match non_empty(vars, "RELAY_QUEUE_MAX_RECEIVES") {
                None => DEFAULT_MAX_RECEIVES,
                Some(raw) => raw.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    FactoryError::InvalidValue {
                        name: "RELAY_QUEUE_MAX_RECEIVES",
                        expected: "a positive integer",
                        value: raw.to_owned(),
                    }
                })?,
            };
        let aws = AwsResources::from_vars(vars);
        Ok(Self {
            backend,
            data_dir: PathBuf::from(non_empty(vars, "RELAY_DATA_DIR").unwrap_or(DEFAULT_DATA_DIR)),
            secrets_cache_ttl: aws.secrets_cache_ttl,
            aws,
            max_receives,
        })
    }
}

/// Every port, ready to use. Cheap to clone.
#[derive(Clone)]
pub struct Adapters {
    pub backend: Backend,
    pub connections: Arc<dyn ConnectionStore>,
    pub records: Arc<dyn RecordStore>,
    pub sync_state: Arc<dyn SyncStateStore>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub queue: Arc<dyn JobQueue>,
    pub keys: Arc<dyn KeyVault>,
    pub secrets: Arc<dyn SecretsProvider>,
    /// App webhook deliveries that failed every attempt.
    pub dead_letters: Arc<dyn DeadLetterStore>,
    /// Seals and opens OAuth tokens with `keys`.
    pub tokens: TokenVault,
}

impl std::fmt::Debug for Adapters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adapters")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Adapters {
    /// Reads the configuration from the environment and builds the chosen family.
    pub async fn from_env() -> Result<Self, FactoryError> {
        let config = AdapterConfig::from_env()?;
        Self::build(&config, std::env::vars().collect()).await
    }

    /// Builds the family `config` names. `env` feeds the embedded secrets provider.
    pub async fn build(
        config: &AdapterConfig,
        env: HashMap<String, String>,
    ) -> Result<Self, FactoryError> {
        match config.backend {
            Backend::Embedded => Self::embedded(
                &config.data_dir,
                env,
                config.max_receives,
                config.secrets_cache_ttl,
            ),
            Backend::Aws => {
                let sdk = super::aws::load_sdk_config().await;
                Self::aws(&AwsClients::new(&sdk), &config.aws).await
            }
        }
    }

    /// The embedded family: `data_dir/relay.redb`, `data_dir/master.key`, `data_dir/secrets.json`
    /// (environment first), and an in-process queue.
    pub fn embedded(
        data_dir: &Path,
        env: HashMap<String, String>,
        max_receives: u32,
        secrets_cache_ttl: Duration,
    ) -> Result<Self, FactoryError> {
        let db = EmbeddedDb::open(data_dir)?;
        let keys: Arc<dyn KeyVault> = Arc::new(LocalKeyVault::open_or_create(data_dir)?);
        Ok(Self {
            backend: Backend::Embedded,
            connections: Arc::new(EmbeddedConnectionStore::new(db.clone())),
            records: Arc::new(EmbeddedRecordStore::new(db.clone())),
            sync_state: Arc::new(EmbeddedSyncStateStore::new(db.clone())),
            dead_letters: Arc::new(EmbeddedDeadLetterStore::new(db.clone())),
            ephemeral: Arc::new(EmbeddedEphemeralStore::new(db)),
            queue: Arc::new(InProcessJobQueue::new(max_receives)),
            tokens: TokenVault::new(Arc::clone(&keys)),
            keys,
            secrets: Arc::new(FileSecrets::new(data_dir, env, secrets_cache_ttl)),
        })
    }

    /// The embedded family with defaults (tests, the local stack).
    pub fn embedded_default(data_dir: &Path) -> Result<Self, FactoryError> {
        Self::embedded(
            data_dir,
            std::env::vars().collect(),
            DEFAULT_MAX_RECEIVES,
            DEFAULT_SECRET_TTL,
        )
    }

    /// The AWS family on `clients`. Queue URLs are resolved by name when not configured.
    pub async fn aws(clients: &AwsClients, resources: &AwsResources) -> Result<Self, FactoryError> {
        let queue_url = match &resources.sync_queue_url {
            Some(url) => url.clone(),
            None => SqsJobQueue::queue_url(&clients.sqs, &resources.sync_queue_name).await?,
        };
        let dlq_url = match &resources.sync_dlq_url {
            Some(url) => url.clone(),
            None => SqsJobQueue::queue_url(&clients.sqs, &resources.sync_dlq_name).await?,
        };
        let keys: Arc<dyn KeyVault> =
            Arc::new(KmsKeyVault::new(clients.kms.clone(), &resources.kms_key_id));
        let db = clients.dynamodb.clone();
        Ok(Self {
            backend: Backend::Aws,
            connections: Arc::new(DynamoConnectionStore::new(
                db.clone(),
                &resources.connections_table,
            )),
            records: Arc::new(DynamoRecordStore::new(db.clone(), &resources.records_table)),
            sync_state: Arc::new(DynamoSyncStateStore::new(
                db.clone(),
                &resources.sync_state_table,
            )),
            dead_letters: Arc::new(DynamoDeadLetterStore::new(
                db.clone(),
                &resources.sync_state_table,
            )),
            ephemeral: Arc::new(DynamoEphemeralStore::new(db, &resources.ephemeral_table)),
            queue: Arc::new(SqsJobQueue::new(clients.sqs.clone(), queue_url, dlq_url)),
            tokens: TokenVault::new(Arc::clone(&keys)),
            keys,
            secrets: Arc::new(SecretsManagerSecrets::new(
                clients.secrets.clone(),
                &resources.secrets_prefix,
                resources.secrets_cache_ttl,
            )),
        })
    }
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
    fn backend_choice() {
        let pick = |pairs: &[(&str, &str)]| AdapterConfig::from_vars(&vars(pairs)).unwrap().backend;
        assert_eq!(pick(&[]), Backend::Embedded);
        assert_eq!(
            pick(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")]),
            Backend::Aws
        );
        assert_eq!(
            pick(&[("AWS_LAMBDA_FUNCTION_NAME", "sync-worker")]),
            Backend::Aws
        );
        assert_eq!(
            pick(&[
                ("AWS_ENDPOINT_URL", "http://x"),
                ("RELAY_BACKEND", "embedded")
            ]),
            Backend::Embedded
        );
        assert_eq!(pick(&[("RELAY_BACKEND", "aws")]), Backend::Aws);
        assert!(AdapterConfig::from_vars(&vars(&[("RELAY_BACKEND", "s3")])).is_err());
    }

    #[test]
    fn data_dir_and_receives() {
        let config = AdapterConfig::from_vars(&vars(&[
            ("RELAY_DATA_DIR", "/tmp/relay"),
            ("RELAY_QUEUE_MAX_RECEIVES", "3"),
        ]))
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/tmp/relay"));
        assert_eq!(config.max_receives, 3);
        assert_eq!(
            AdapterConfig::from_vars(&HashMap::new()).unwrap().data_dir,
            PathBuf::from(DEFAULT_DATA_DIR)
        );
        assert!(AdapterConfig::from_vars(&vars(&[("RELAY_QUEUE_MAX_RECEIVES", "0")])).is_err());
    }
}
