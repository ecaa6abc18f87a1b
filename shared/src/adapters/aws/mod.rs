//! AWS adapters: DynamoDB stores, SQS FIFO queue, KMS key vault, Secrets Manager. SDK clients are
//! built once from one `aws_config::SdkConfig` (which honours `AWS_ENDPOINT_URL`, so moto works
//! with no code change). Resource names come from [`AwsResources`]; infra/README.md describes
//! every table, index and queue, and `provision` creates them.

pub mod connection_store;
pub mod dead_letter_store;
pub mod ephemeral_store;
pub(crate) mod error;
pub(crate) mod item;
pub mod job_queue;
pub mod key_vault;
pub mod provision;
pub mod record_store;
pub mod resources;
pub mod secrets;
pub mod sync_state_store;

pub use connection_store::DynamoConnectionStore;
pub use dead_letter_store::DynamoDeadLetterStore;
pub use ephemeral_store::DynamoEphemeralStore;
pub use job_queue::SqsJobQueue;
pub use key_vault::KmsKeyVault;
pub use record_store::DynamoRecordStore;
pub use resources::AwsResources;
pub use secrets::SecretsManagerSecrets;
pub use sync_state_store::DynamoSyncStateStore;

/// The SDK clients, built once per process and shared (cheap to clone).
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub kms: aws_sdk_kms::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

impl AwsClients {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            secrets: aws_sdk_secretsmanager::Client::new(config),
        }
    }
}

/// Loads the default AWS configuration (environment, profile, Lambda role; `AWS_ENDPOINT_URL`).
pub async fn load_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}
