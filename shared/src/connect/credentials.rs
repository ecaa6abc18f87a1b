//! Relay's own credentials, all read through the secrets port: the app backend's API key and the
//! public integration's OAuth client (Secrets Manager in AWS, the environment locally).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::notion::{NotionClient, OAuthClient};
use crate::ports::{SecretName, SecretsError, SecretsProvider};

#[derive(Debug, Error)]
pub enum CredentialsError {
    /// No `Authorization: Bearer` header, or a key that does not match.
    #[error("missing or invalid API key")]
    InvalidApiKey,
    /// A secret Relay needs is not configured (names the secret, never its value).
    #[error("secret {0} is not configured")]
    NotConfigured(SecretName),
    #[error("reading secrets: {0}")]
    Secrets(SecretsError),
}

impl From<SecretsError> for CredentialsError {
    fn from(error: SecretsError) -> Self {
        match error {
            SecretsError::NotFound(name) => Self::NotConfigured(name),
            other => Self::Secrets(other),
        }
    }
}

/// Checks a presented API key against the `api-key` secret in constant time. A mismatch re-reads
/// the secret (it may have been rotated since it was cached) before refusing, but at most once per
/// [`API_KEY_REREAD_INTERVAL`] per process: otherwise a flood of wrong keys would become a flood
/// of Secrets Manager reads.
pub async fn verify_api_key(
    secrets: &dyn SecretsProvider,
    presented: &str,
) -> Result<(), CredentialsError> {
    verify_api_key_throttled(secrets, presented, &API_KEY_REREADS).await
}

/// How often a mismatching key may force a re-read of the `api-key` secret.
pub const API_KEY_REREAD_INTERVAL: Duration = Duration::from_secs(10);

static API_KEY_REREADS: RereadThrottle = RereadThrottle::new(API_KEY_REREAD_INTERVAL);

async fn verify_api_key_throttled(
    secrets: &dyn SecretsProvider,
    presented: &str,
    rereads: &RereadThrottle,
) -> Result<(), CredentialsError> {
    let name = SecretName::api_key();
    let expected = secrets.get(&name).await?;
    if !expected.is_empty() && expected.constant_time_eq(presented) {
        return Ok(());
    }
    if !rereads.try_acquire(Instant::now()) {
        return Err(CredentialsError::InvalidApiKey);
    }
    secrets.invalidate(&name);
    let expected = secrets.get(&name).await?;
    if !expected.is_empty() && expected.constant_time_eq(presented) {
        Ok(())
    } else {
        Err(CredentialsError::InvalidApiKey)
    }
}

/// Allows one event per interval.
struct RereadThrottle {
    interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl RereadThrottle {
    const fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: Mutex::new(None),
        }
    }

    fn try_acquire(&self, now: Instant) -> bool {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        match *last {
            Some(at) if now.saturating_duration_since(at) < self.interval => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

/// The public integration's client id (not a secret, but kept beside its secret).
pub async fn oauth_client_id(secrets: &dyn SecretsProvider) -> Result<String, CredentialsError> {
    let id = secrets.get(&SecretName::notion_client_id()).await?;
    if id.is_empty() {
        return Err(CredentialsError::NotConfigured(
            SecretName::notion_client_id(),
        ));
    }
    Ok(id.expose().to_owned())
}

/// The OAuth client (id and secret) for token exchange, refresh and revocation.
pub async fn oauth_client(
    notion: &NotionClient,
    secrets: &dyn SecretsProvider,
) -> Result<OAuthClient, CredentialsError> {
    let client_id = oauth_client_id(secrets).await?;
    let client_secret = secrets.get(&SecretName::notion_client_secret()).await?;
    if client_secret.is_empty() {
        return Err(CredentialsError::NotConfigured(
            SecretName::notion_client_secret(),
        ));
    }
    Ok(notion.oauth(client_id, client_secret))
}

/// After Notion refused the OAuth client: drop the cached values so the next read sees a rotation.
pub fn forget_oauth_client(secrets: &dyn SecretsProvider) {
    secrets.invalidate(&SecretName::notion_client_id());
    secrets.invalidate(&SecretName::notion_client_secret());
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::secret::SecretString;

    /// A secrets provider that counts reads of the backing store (cache misses).
    struct CountingSecrets {
        value: Mutex<String>,
        cached: Mutex<bool>,
        backend_reads: AtomicUsize,
    }

    impl CountingSecrets {
        fn new(value: &str) -> Self {
            Self {
                value: Mutex::new(value.to_owned()),
                cached: Mutex::new(false),
                backend_reads: AtomicUsize::new(0),
            }
        }
    }

    #[async_trait]
    impl SecretsProvider for CountingSecrets {
        async fn get(&self, _name: &SecretName) -> Result<SecretString, SecretsError> {
            let mut cached = self.cached.lock().unwrap();
            if !*cached {
                self.backend_reads.fetch_add(1, Ordering::SeqCst);
                *cached = true;
            }
            Ok(SecretString::new(self.value.lock().unwrap().clone()))
        }

        async fn put(&self, _name: &SecretName, value: &SecretString) -> Result<(), SecretsError> {
            *self.value.lock().unwrap() = value.expose().to_owned();
            Ok(())
        }

        fn invalidate(&self, _name: &SecretName) {
            *self.cached.lock().unwrap() = false;
        }
    }

    #[tokio::test]
    async fn a_flood_of_wrong_keys_rereads_the_secret_once_per_interval() {
        let secrets = CountingSecrets::new("right-key");
        let throttle = RereadThrottle::new(Duration::from_secs(3600));
        for _ in 0..100 {
            let result = verify_api_key_throttled(&secrets, "wrong-key", &throttle).await;
            assert!(matches!(result, Err(CredentialsError::InvalidApiKey)));
        }
        // The first read fills the cache, the first mismatch forces one re-read, then no more.
        assert_eq!(secrets.backend_reads.load(Ordering::SeqCst), 2);
        assert!(
            verify_api_key_throttled(&secrets, "right-key", &throttle)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_rotated_key_is_accepted_after_a_reread() {
        let secrets = CountingSecrets::new("old-key");
        let throttle = RereadThrottle::new(Duration::from_secs(3600));
        assert!(
            verify_api_key_throttled(&secrets, "old-key", &throttle)
                .await
                .is_ok()
        );
        // Rotated behind the cache's back: the first request with the new key forces a re-read.
        *secrets.value.lock().unwrap() = "new-key".to_owned();
        assert!(
            verify_api_key_throttled(&secrets, "new-key", &throttle)
                .await
                .is_ok()
        );
    }

    #[test]
    fn the_throttle_allows_one_reread_per_interval() {
        let throttle = RereadThrottle::new(Duration::from_secs(10));
        let start = Instant::now();
        assert!(throttle.try_acquire(start));
        assert!(!throttle.try_acquire(start + Duration::from_secs(9)));
        assert!(throttle.try_acquire(start + Duration::from_secs(10)));
    }
}
