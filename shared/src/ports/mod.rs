//! Ports: the traits the domain code talks to. Adapters in [`crate::adapters`] implement them for
//! AWS (DynamoDB, SQS, KMS, Secrets Manager) and for one machine (redb, in-process, files).

pub mod connection_store;
pub mod dead_letter_store;
pub mod ephemeral_store;
pub mod error;
pub mod job_queue;
pub mod key_vault;
pub mod record_store;
pub mod secrets;
pub mod sync_state_store;

pub use connection_store::{ConnectionStore, DuePage};
pub use dead_letter_store::{DeadLetter, DeadLetterStore};
pub use ephemeral_store::{EphemeralItem, EphemeralNamespace, EphemeralStore};
pub use error::StoreError;
pub use job_queue::{JobQueue, QueueError};
pub use key_vault::{KeyVault, KeyVaultError};
pub use record_store::RecordStore;
pub use secrets::{SecretName, SecretsError, SecretsProvider};
pub use sync_state_store::SyncStateStore;
