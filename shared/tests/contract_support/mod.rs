//! The two adapter families under one harness. The AWS family talks to moto's server: the one at
//! `AWS_ENDPOINT_URL` when it is on loopback (the workspace test script starts it), otherwise one
//! this test binary starts itself on a free loopback port. Never real AWS.

pub mod moto;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use relay_shared::adapters::Adapters;
use relay_shared::adapters::aws::provision::{ProvisionOptions, provision};
use relay_shared::adapters::aws::{AwsClients, AwsResources};
use relay_shared::adapters::embedded::db::DB_FILE;
use relay_shared::adapters::embedded::secrets::SECRETS_FILE;
use relay_shared::domain::ConnectionId;
use relay_shared::ports::SecretName;
use tempfile::TempDir;

/// Receives before a job is dead-lettered, in both families.
pub const MAX_RECEIVES: u32 = 2;
/// Secrets stay cached this long in tests (longer than any test).
pub const SECRETS_TTL: Duration = Duration::from_secs(600);

pub enum Raw {
    Embedded {
        data_dir: PathBuf,
    },
    Aws {
        clients: Box<AwsClients>,
        resources: Box<AwsResources>,
    },
}

pub struct Harness {
    pub adapters: Adapters,
    pub raw: Raw,
    _dir: Option<TempDir>,
}

impl Harness {
    pub async fn embedded() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let adapters =
            Adapters::embedded(dir.path(), HashMap::new(), MAX_RECEIVES, SECRETS_TTL).unwrap();
        Self {
            adapters,
            raw: Raw::Embedded {
                data_dir: dir.path().to_owned(),
            },
            _dir: Some(dir),
        }
    }

    pub async fn aws() -> Self {
        let endpoint = moto::endpoint();
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .test_credentials()
            .load()
            .await;
        let clients = AwsClients::new(&sdk);
        let prefix = format!("t{:016x}-", rand::random::<u64>());
        let mut resources = AwsResources::with_prefix(&prefix);
        resources.secrets_cache_ttl = SECRETS_TTL;
        let options = ProvisionOptions {
            max_receive_count: MAX_RECEIVES,
            visibility_timeout: Duration::from_secs(30),
            secrets: Vec::new(),
        };
        provision(&clients, &resources, &options)
            .await
            .unwrap_or_else(|err| panic!("provisioning on moto at {endpoint} failed: {err}"));
        // Queue URLs stay unset: the factory resolves them by name, as it does in production
        // when RELAY_SYNC_QUEUE_URL is not given.
        let adapters = Adapters::aws(&clients, &resources).await.unwrap();
        Self {
            adapters,
            raw: Raw::Aws {
                clients: Box::new(clients),
                resources: Box::new(resources),
            },
            _dir: None,
        }
    }

    /// Everything stored about a connection, as raw as the backend keeps it: the whole redb file,
    /// or the DynamoDB item as the SDK returns it.
    pub async fn raw_connection_bytes(&self, id: &ConnectionId) -> Vec<u8> {
        match &self.raw {
            Raw::Embedded { data_dir } => std::fs::read(data_dir.join(DB_FILE)).unwrap(),
            Raw::Aws { clients, resources } => {
                let item = clients
                    .dynamodb
                    .get_item()
                    .table_name(&resources.connections_table)
                    .key(
                        "pk",
                        aws_sdk_dynamodb::types::AttributeValue::S(id.to_string()),
                    )
                    .consistent_read(true)
                    .send()
                    .await
                    .unwrap()
                    .item
                    .expect("the connection item exists");
                format!("{item:?}").into_bytes()
            }
        }
    }

    /// Changes a secret behind the provider's back, as a rotation would.
    pub async fn rotate_secret_externally(&self, name: &SecretName, value: &str) {
        match &self.raw {
            Raw::Embedded { data_dir } => {
                let path = data_dir.join(SECRETS_FILE);
                let mut secrets: HashMap<String, String> = std::fs::read(&path)
                    .ok()
                    .map(|bytes| serde_json::from_slice(&bytes).unwrap())
                    .unwrap_or_default();
                secrets.insert(name.as_str().to_owned(), value.to_owned());
                std::fs::write(&path, serde_json::to_vec(&secrets).unwrap()).unwrap();
            }
            Raw::Aws { clients, resources } => {
                clients
                    .secrets
                    .put_secret_value()
                    .secret_id(format!("{}{}", resources.secrets_prefix, name.as_str()))
                    .secret_string(value)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}
