//! Embedded adapters: the local default. One redb file under the data folder holds connections,
//! records, sync state and ephemeral items with the same semantics as DynamoDB (conditional
//! writes, cursor order, idempotency, TTL visibility); the queue is in process; the key vault
//! and secrets live in files beside the database.

pub mod connection_store;
pub mod db;
pub mod dead_letter_store;
pub mod ephemeral_store;
pub mod job_queue;
pub mod key_vault;
pub mod record_store;
pub mod secrets;
pub mod sync_state_store;

pub use connection_store::EmbeddedConnectionStore;
pub use db::EmbeddedDb;
pub use dead_letter_store::EmbeddedDeadLetterStore;
pub use ephemeral_store::EmbeddedEphemeralStore;
pub use job_queue::InProcessJobQueue;
pub use key_vault::LocalKeyVault;
pub use record_store::EmbeddedRecordStore;
pub use secrets::FileSecrets;
pub use sync_state_store::EmbeddedSyncStateStore;
