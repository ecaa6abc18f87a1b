//! "Re-fetch pending" markers: collapse a burst of events for one page (or data source) into one
//! queued job. The webhook handler queues a job only when it stores the marker; the worker
//! clears the marker right before it reads Notion, so an event that arrives after that read
//! started queues a new job (nothing is lost), and one that arrives before it is covered by the
//! read of the current state. A marker also expires on its own (its TTL) in case a job is lost.

use std::time::Duration;

use crate::domain::ConnectionId;
use crate::ports::{EphemeralNamespace, EphemeralStore, StoreError};
use crate::sync::Target;
use crate::sync::notion_time::normalize_id;

/// Markers of queued, not yet started targeted jobs.
pub const PENDING: EphemeralNamespace = match EphemeralNamespace::custom("webhook_pending") {
    Some(namespace) => namespace,
    None => EphemeralNamespace::WEBHOOK_EVENT,
};

/// How long a marker lives when no worker clears it (a job lost or stuck in the queue).
pub const DEFAULT_PENDING_TTL: Duration = Duration::from_secs(10 * 60);

/// The marker's key for a target, or `None` for targets that are never collapsed (tombstones:
/// rare and cheap).
pub fn pending_key(connection_id: &ConnectionId, target: &Target) -> Option<String> {
    match target {
        Target::RefetchPage(id) => Some(format!("{connection_id}:page:{}", normalize_id(id))),
        Target::RefreshDataSource(id) => {
            Some(format!("{connection_id}:data_source:{}", normalize_id(id)))
        }
        Target::TombstonePage(_) => None,
    }
}

/// Claims the marker: `true` when the caller must queue the job.
pub async fn claim(
    store: &dyn EphemeralStore,
    connection_id: &ConnectionId,
    target: &Target,
    ttl: Duration,
) -> Result<bool, StoreError> {
    match pending_key(connection_id, target) {
        Some(key) => {
            store
                .put_if_absent(PENDING, &key, &serde_json::json!({}), ttl)
                .await
        }
        None => Ok(true),
    }
}

/// Drops the marker (the handler after a failed send, the worker before it reads Notion).
pub async fn release(
    store: &dyn EphemeralStore,
    connection_id: &ConnectionId,
    target: &Target,
) -> Result<(), StoreError> {
    match pending_key(connection_id, target) {
        Some(key) => store.delete(PENDING, &key).await,
        None => Ok(()),
    }
}

/// The worker's call before a targeted job reads Notion. Best effort: a marker left behind only
/// delays the next collapse window until its TTL.
pub async fn release_before_work(
    store: &dyn EphemeralStore,
    connection_id: &ConnectionId,
    target: &Target,
) {
    if let Err(error) = release(store, connection_id, target).await {
        tracing::warn!(connection_id = %connection_id, error = %error, "clearing a pending re-fetch marker failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalize_ids_and_skip_tombstones() {
        let id = ConnectionId::random();
        let dashed = pending_key(
            &id,
            &Target::RefetchPage("59833787-2cf9-4fdf-8782-e53db20768a5".into()),
        );
        let plain = pending_key(
            &id,
            &Target::RefetchPage("598337872cf94fdf8782e53db20768a5".into()),
        );
        assert_eq!(dashed, plain);
        assert!(pending_key(&id, &Target::TombstonePage("x".into())).is_none());
        assert_ne!(PENDING, EphemeralNamespace::WEBHOOK_EVENT);
    }
}
