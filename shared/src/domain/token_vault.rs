//! The token vault: OAuth tokens are sealed (envelope-encrypted, bound to their connection) before
//! they reach any store, and opened only in memory, into types that redact themselves.

use std::sync::Arc;

use secrecy::zeroize::Zeroizing;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

use super::crypto::{EncryptionContext, Envelope};
use super::ids::ConnectionId;
use super::timestamp;
use crate::ports::key_vault::{KeyVault, KeyVaultError};
use crate::secret::SecretString;

/// A connection's Notion tokens, in memory only. `Debug` redacts both.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access: SecretString,
    pub refresh: Option<SecretString>,
}

/// The stored form of a [`TokenPair`]: ciphertext only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedTokens {
    pub envelope: Envelope,
    #[serde(with = "time::serde::rfc3339")]
    pub sealed_at: OffsetDateTime,
}

#[derive(Debug, Error)]
pub enum TokenVaultError {
    #[error(transparent)]
    KeyVault(#[from] KeyVaultError),
    #[error("sealed tokens do not decode to a token pair")]
    Malformed,
}

#[derive(Serialize)]
struct PlainPair<'a> {
    access: &'a str,
    refresh: Option<&'a str>,
}

#[derive(Deserialize)]
struct OwnedPair {
    access: String,
    refresh: Option<String>,
}

#[derive(Clone)]
pub struct TokenVault {
    keys: Arc<dyn KeyVault>,
}

impl std::fmt::Debug for TokenVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVault").finish_non_exhaustive()
    }
}

impl TokenVault {
    pub fn new(keys: Arc<dyn KeyVault>) -> Self {
        Self { keys }
    }

    /// Encrypts `tokens` for `connection_id` (a fresh data key each time).
    pub async fn seal(
        &self,
        connection_id: &ConnectionId,
        tokens: &TokenPair,
    ) -> Result<SealedTokens, TokenVaultError> {
        let plain = Zeroizing::new(
            serde_json::to_vec(&PlainPair {
                access: tokens.access.expose(),
                refresh: tokens.refresh.as_ref().map(SecretString::expose),
            })
            .map_err(|_| TokenVaultError::Malformed)?,
        );
        let context = EncryptionContext::for_connection(connection_id);
        let envelope = self.keys.encrypt(&context, &plain).await?;
        Ok(SealedTokens {
            envelope,
            sealed_at: timestamp::now(),
        })
    }

    /// Decrypts tokens sealed for `connection_id`; tokens sealed for another connection fail.
    pub async fn open(
        &self,
        connection_id: &ConnectionId,
        sealed: &SealedTokens,
    ) -> Result<TokenPair, TokenVaultError> {
        let context = EncryptionContext::for_connection(connection_id);
        let plain = self.keys.decrypt(&context, &sealed.envelope).await?;
        let pair: OwnedPair =
            serde_json::from_slice(&plain).map_err(|_| TokenVaultError::Malformed)?;
        Ok(TokenPair {
            access: SecretString::new(pair.access),
            refresh: pair.refresh.map(SecretString::new),
        })
    }
}
