//! Idempotency-Key records in the ephemeral store (namespace `idempotency_key`, keyed by
//! connection and key; the store hashes keys).
//!
//! A record holds the SHA-256 of the request body and a state: `in_progress` (the page is not
//! known to exist; a creation that may have been applied is looked for before creating again), `incomplete` (the page exists; `progress` says which appends are done, `unsure`
//! that the last append failed in a way that may have been applied) or `done` (the answer to
//! replay). Records live 24 hours.
//!
//! A separate short-lived lock item (taken with `put_if_absent`) makes one request at a time
//! work on a key; a concurrent duplicate gets `in_progress`. A holder that dies leaves its lock
//! to expire, and the record tells the next holder where to resume.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::error::WriteError;
use super::input::{CreatePageInput, CreatedPage, WriteWarning};
use crate::domain::ConnectionId;
use crate::markdown::PlanProgress;
use crate::ports::{EphemeralNamespace, EphemeralStore};

/// How long a key's result is remembered.
pub const RECORD_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a key stays locked after the holder's last sign of progress. Every saved step
/// extends it, so a long run keeps its key, while one that died (a Lambda killed at its timeout)
/// blocks retries for at most this long, not for a whole Lambda lifetime. Longer than one step
/// can take (a Notion request with its retries).
pub const LOCK_TTL: Duration = Duration::from_secs(2 * 60);
/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 255;

/// Checks an Idempotency-Key: 1 to 255 visible ASCII characters.
pub fn validate_key(key: &str) -> Result<(), WriteError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(WriteError::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
        ));
    }
    Ok(())
}

/// The SHA-256 (hex) of a request body, as parsed: neither formatting nor the order of object
/// keys matters (serde_json keeps insertion order in this workspace, and clients serialize maps
/// in any order).
pub fn body_hash(input: &CreatePageInput) -> Result<String, WriteError> {
    let value =
        serde_json::to_value(input).map_err(|error| WriteError::Internal(error.to_string()))?;
    let bytes = serde_json::to_vec(&canonical(value))
        .map_err(|error| WriteError::Internal(error.to_string()))?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

/// `value` with the keys of every object sorted.
fn canonical(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, canonical(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub body_hash: String,
    #[serde(flatten)]
    pub state: RecordState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RecordState {
    /// The page may not exist yet. `create_since`: a creation was (or is about to be) sent
    /// at or after this time, so a page created by it may exist even without an answer.
    InProgress {
        #[serde(default)]
        create_since: Option<String>,
    },
    Incomplete {
        page_id: String,
        url: Option<String>,
        progress: PlanProgress,
        /// The append after `progress` may have been applied (it failed with a timeout or a
        /// server error, or the run that saved this record may have died while sending it):
        /// check the page before sending it again.
        unsure: bool,
        /// The warnings of the final answer (new options are no longer new on a resume).
        #[serde(default)]
        warnings: Vec<WriteWarning>,
    },
    Done {
        result: CreatedPage,
    },
}

/// One key of one connection.
#[derive(Clone)]
pub struct IdempotencyKey {
    store: Arc<dyn EphemeralStore>,
    record_key: String,
    lock_key: String,
    holder: String,
}

impl std::fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is the caller's; keep it out of logs.
        f.debug_struct("IdempotencyKey").finish_non_exhaustive()
    }
}

impl IdempotencyKey {
    pub fn new(store: Arc<dyn EphemeralStore>, connection: &ConnectionId, key: &str) -> Self {
        // A newline cannot occur in a key, so record and lock keys never collide.
        Self {
            store,
            record_key: format!("record\n{connection}\n{key}"),
            lock_key: format!("lock\n{connection}\n{key}"),
            holder: uuid::Uuid::new_v4().to_string(),
        }
    }

    pub async fn read(&self) -> Result<Option<IdempotencyRecord>, WriteError> {
        let Some(item) = self
            .store
            .get(EphemeralNamespace::IDEMPOTENCY_KEY, &self.record_key)
            .await?
        else {
            return Ok(None);
        };
        serde_json::from_value(item.value)
            .map(Some)
            .map_err(|error| WriteError::Internal(format!("idempotency record: {error}")))
    }

    pub async fn save(&self, record: &IdempotencyRecord) -> Result<(), WriteError> {
        let value = serde_json::to_value(record)
            .map_err(|error| WriteError::Internal(error.to_string()))?;
        self.store
            .put(
                EphemeralNamespace::IDEMPOTENCY_KEY,
                &self.record_key,
                &value,
                RECORD_TTL,
            )
            .await?;
        self.extend_lock().await;
        Ok(())
    }

    /// After progress: keeps this request's lock for another [`LOCK_TTL`]. A lock that expired
    /// and was taken over is left to its new holder (which resumes from the record just saved).
    async fn extend_lock(&self) {
        let namespace = EphemeralNamespace::IDEMPOTENCY_KEY;
        match self.store.get(namespace, &self.lock_key).await {
            Ok(Some(item)) if item.value["holder"] == self.holder.as_str() => {
                if let Err(error) = self
                    .store
                    .put(namespace, &self.lock_key, &item.value, LOCK_TTL)
                    .await
                {
                    tracing::warn!(error = %error, "could not extend an idempotency lock");
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "could not read an idempotency lock"),
        }
    }

    pub async fn forget(&self) -> Result<(), WriteError> {
        self.store
            .delete(EphemeralNamespace::IDEMPOTENCY_KEY, &self.record_key)
            .await?;
        Ok(())
    }

    /// Takes the key's lock; `false` when another request holds it.
    pub async fn lock(&self) -> Result<bool, WriteError> {
        Ok(self
            .store
            .put_if_absent(
                EphemeralNamespace::IDEMPOTENCY_KEY,
                &self.lock_key,
                &json!({"holder": self.holder}),
                LOCK_TTL,
            )
            .await?)
    }

    /// Releases the lock if this key still holds it. Failures only delay the next request
    /// until the lock expires, so they are logged, not returned.
    pub async fn unlock(&self) {
        let namespace = EphemeralNamespace::IDEMPOTENCY_KEY;
        match self.store.get(namespace, &self.lock_key).await {
            Ok(Some(item)) if item.value["holder"] == self.holder.as_str() => {
                if let Err(error) = self.store.delete(namespace, &self.lock_key).await {
                    tracing::warn!(error = %error, "could not release an idempotency lock");
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "could not read an idempotency lock"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::input::ParentInput;

    #[test]
    fn keys_are_visible_ascii() {
        assert!(validate_key("order-123_ABC:x").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("has space").is_err());
        assert!(validate_key("é").is_err());
        assert!(validate_key(&"k".repeat(255)).is_ok());
        assert!(validate_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn body_hashes_follow_the_content() {
        let input = |title: &str| CreatePageInput {
            parent: ParentInput::PageId("p".into()),
            title: title.into(),
            markdown: None,
            icon: None,
            cover: None,
            properties: None,
        };
        assert_eq!(
            body_hash(&input("a")).unwrap(),
            body_hash(&input("a")).unwrap()
        );
        assert_ne!(
            body_hash(&input("a")).unwrap(),
            body_hash(&input("b")).unwrap()
        );
    }

    #[test]
    fn body_hashes_ignore_the_order_of_keys() {
        let input = |json: &str| serde_json::from_str::<CreatePageInput>(json).unwrap();
        let first = input(
            r#"{"parent":{"data_source_id":"d"},"title":"T","properties":{"A":1,"Due":{"start":"2026-05-01","end":"2026-05-02"},"B":["x","y"]}}"#,
        );
        let reordered = input(
            r#"{"properties":{"B":["x","y"],"Due":{"end":"2026-05-02","start":"2026-05-01"},"A":1},"title":"T","parent":{"data_source_id":"d"}}"#,
        );
        assert_eq!(body_hash(&first).unwrap(), body_hash(&reordered).unwrap());
        // Array order is content.
        let swapped = input(
            r#"{"parent":{"data_source_id":"d"},"title":"T","properties":{"A":1,"Due":{"start":"2026-05-01","end":"2026-05-02"},"B":["y","x"]}}"#,
        );
        assert_ne!(body_hash(&first).unwrap(), body_hash(&swapped).unwrap());
    }

    #[tokio::test]
    async fn progress_extends_the_holders_lock_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::adapters::embedded::EmbeddedDb::open(dir.path()).unwrap();
        let store: Arc<dyn EphemeralStore> =
            Arc::new(crate::adapters::embedded::EmbeddedEphemeralStore::new(db));
        let connection = ConnectionId::random();
        let holder = IdempotencyKey::new(store.clone(), &connection, "k");
        let other = IdempotencyKey::new(store.clone(), &connection, "k");
        let namespace = EphemeralNamespace::IDEMPOTENCY_KEY;
        assert!(holder.lock().await.unwrap());
        assert!(!other.lock().await.unwrap());

        // Pretend the lock is about to expire, then save progress: the lock lives on.
        let value = json!({"holder": holder.holder});
        store
            .put(namespace, &holder.lock_key, &value, Duration::from_secs(1))
            .await
            .unwrap();
        let record = IdempotencyRecord {
            body_hash: "h".into(),
            state: RecordState::Done {
                result: CreatedPage {
                    id: "p".into(),
                    url: None,
                    blocks_written: 0,
                    warnings: Vec::new(),
                },
            },
        };
        holder.save(&record).await.unwrap();
        let lock = store
            .get(namespace, &holder.lock_key)
            .await
            .unwrap()
            .unwrap();
        let left = lock.expires_at - time::OffsetDateTime::now_utc();
        assert!(left > time::Duration::seconds(60), "extended: {left}");

        // Another request's save never touches a lock it does not hold.
        store
            .put(namespace, &holder.lock_key, &value, Duration::from_secs(5))
            .await
            .unwrap();
        other.save(&record).await.unwrap();
        let lock = store
            .get(namespace, &holder.lock_key)
            .await
            .unwrap()
            .unwrap();
        assert!(lock.expires_at - time::OffsetDateTime::now_utc() <= time::Duration::seconds(5));
        assert_eq!(lock.value, value);
    }

    #[test]
    fn records_round_trip() {
        let record = IdempotencyRecord {
            body_hash: "h".into(),
            state: RecordState::Incomplete {
                page_id: "p".into(),
                url: None,
                progress: PlanProgress {
                    completed: vec![vec!["b1".into()]],
                },
                unsure: true,
                warnings: Vec::new(),
            },
        };
        let value = serde_json::to_value(&record).unwrap();
        assert_eq!(value["state"], "incomplete");
        assert_eq!(
            serde_json::from_value::<IdempotencyRecord>(value).unwrap(),
            record
        );
    }
}
