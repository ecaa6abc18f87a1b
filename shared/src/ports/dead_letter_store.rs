//! App webhook deliveries that failed every attempt: kept for inspection and manual retry
//! (`GET /webhooks/app/dead-letters`, `POST /webhooks/app/dead-letters/{id}/retry`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::StoreError;

/// One undelivered app event for one URL. Holds no secret: the event body and the URL are what
/// Relay sends, the signature is recomputed on retry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Sortable by creation: `<created ms, 13 digits>-<event id>-<url hash>`.
    pub id: String,
    pub url: String,
    /// The app event as it was sent (`id`, `type`, `created_at`, `data`).
    pub event: serde_json::Value,
    pub attempts: u32,
    /// The last failure (an HTTP status or a transport error kind), never a response body.
    pub last_error: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[async_trait]
pub trait DeadLetterStore: Send + Sync {
    /// Stores (or replaces) a dead letter.
    async fn put(&self, letter: &DeadLetter) -> Result<(), StoreError>;

    async fn get(&self, id: &str) -> Result<Option<DeadLetter>, StoreError>;

    /// Oldest first, after `after` (an id from a previous page).
    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>, StoreError>;

    /// Missing is not an error.
    async fn delete(&self, id: &str) -> Result<(), StoreError>;
}
