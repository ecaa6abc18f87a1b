//! Short-lived items with a time to live: connect sessions, OAuth states, idempotency keys,
//! webhook event ids. Expired items are invisible even before the backend purges them. Keys are
//! stored hashed (SHA-256), so a key that is itself a secret (a session token, a state) is never
//! stored in plain.

use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::error::StoreError;

/// A family of ephemeral items (lowercase letters, digits, `_`; at most 64 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EphemeralNamespace(&'static str);

impl EphemeralNamespace {
    pub const CONNECT_SESSION: Self = Self("connect_session");
    pub const OAUTH_STATE: Self = Self("oauth_state");
    pub const IDEMPOTENCY_KEY: Self = Self("idempotency_key");
    pub const WEBHOOK_EVENT: Self = Self("webhook_event");

    /// Another namespace. Returns `None` unless it is lowercase letters, digits and `_`.
    pub const fn custom(name: &'static str) -> Option<Self> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() > 64 {
            return None;
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return None;
            }
            i += 1;
        }
        Some(Self(name))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The stored key of `key` in this namespace: `namespace#sha256hex(key)`.
    pub fn storage_key(&self, key: &str) -> String {
        format!("{}#{}", self.0, hex::encode(Sha256::digest(key.as_bytes())))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EphemeralItem {
    pub value: serde_json::Value,
    pub expires_at: OffsetDateTime,
}

#[async_trait]
pub trait EphemeralStore: Send + Sync {
    /// Stores the item unless a live one exists. Returns whether it was stored.
    async fn put_if_absent(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
        value: &serde_json::Value,
        ttl: Duration,
    ) -> Result<bool, StoreError>;

    /// Stores or replaces the item.
    async fn put(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
        value: &serde_json::Value,
        ttl: Duration,
    ) -> Result<(), StoreError>;

    /// The live item, if any.
    async fn get(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
    ) -> Result<Option<EphemeralItem>, StoreError>;

    /// Removes and returns the live item atomically: of concurrent callers, one gets it.
    async fn take(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
    ) -> Result<Option<EphemeralItem>, StoreError>;

    async fn delete(&self, namespace: EphemeralNamespace, key: &str) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_validate_and_hash_keys() {
        assert!(EphemeralNamespace::custom("outgoing_webhook").is_some());
        assert!(EphemeralNamespace::custom("Bad").is_none());
        assert!(EphemeralNamespace::custom("").is_none());
        let key = EphemeralNamespace::OAUTH_STATE.storage_key("secret-state");
        assert!(key.starts_with("oauth_state#"));
        assert!(!key.contains("secret-state"));
    }
}
