//! Named secrets: the app's API key, the OAuth client, webhook secrets. Reads are cached; a caller
//! that sees a secret rejected calls `invalidate` to re-read after a rotation.

use std::fmt;

use async_trait::async_trait;
use thiserror::Error;

use crate::secret::SecretString;

/// A secret's name: lowercase letters, digits and `-`, at most 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretName(String);

impl SecretName {
    /// The app backend's API secret key.
    pub const API_KEY: &'static str = "api-key";
    pub const NOTION_CLIENT_ID: &'static str = "notion-client-id";
    pub const NOTION_CLIENT_SECRET: &'static str = "notion-client-secret";
    /// Notion's webhook verification token (stored by Relay during the handshake).
    pub const WEBHOOK_VERIFICATION_TOKEN: &'static str = "webhook-verification-token";
    /// Signs the webhooks Relay sends to the app.
    pub const WEBHOOK_SIGNING_SECRET: &'static str = "webhook-signing-secret";

    pub fn parse(raw: &str) -> Result<Self, SecretsError> {
        let valid = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(SecretsError::InvalidName(raw.chars().take(64).collect()))
        }
    }

    pub fn api_key() -> Self {
        Self(Self::API_KEY.to_owned())
    }
    pub fn notion_client_id() -> Self {
        Self(Self::NOTION_CLIENT_ID.to_owned())
    }
    pub fn notion_client_secret() -> Self {
        Self(Self::NOTION_CLIENT_SECRET.to_owned())
    }
    pub fn webhook_verification_token() -> Self {
        Self(Self::WEBHOOK_VERIFICATION_TOKEN.to_owned())
    }
    pub fn webhook_signing_secret() -> Self {
        Self(Self::WEBHOOK_SIGNING_SECRET.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The environment variable the embedded provider reads for this secret: the DESIGN.md names
    /// for the well-known ones (`RELAY_API_KEY`, `NOTION_CLIENT_ID`, `NOTION_CLIENT_SECRET`),
    /// `RELAY_SECRET_<NAME>` (upper case, `-` as `_`) for the others.
    pub fn env_var(&self) -> String {
        match self.0.as_str() {
            Self::API_KEY => "RELAY_API_KEY".to_owned(),
            Self::NOTION_CLIENT_ID => "NOTION_CLIENT_ID".to_owned(),
            Self::NOTION_CLIENT_SECRET => "NOTION_CLIENT_SECRET".to_owned(),
            other => format!(
                "RELAY_SECRET_{}",
                other.to_ascii_uppercase().replace('-', "_")
            ),
        }
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Error)]
pub enum SecretsError {
    #[error("secret {0} is not set")]
    NotFound(SecretName),
    #[error("invalid secret name {0:?}")]
    InvalidName(String),
    #[error("secrets backend error: {0}")]
    Backend(String),
}

#[async_trait]
pub trait SecretsProvider: Send + Sync {
    /// The secret's current value (cached for a while).
    async fn get(&self, name: &SecretName) -> Result<SecretString, SecretsError>;

    /// Stores a value Relay itself owns (e.g. the webhook verification token) and caches it.
    async fn put(&self, name: &SecretName, value: &SecretString) -> Result<(), SecretsError>;

    /// Drops the cached value so the next `get` re-reads it (after a rotation).
    fn invalidate(&self, name: &SecretName);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_env_vars() {
        assert_eq!(SecretName::api_key().env_var(), "RELAY_API_KEY");
        assert_eq!(
            SecretName::notion_client_secret().env_var(),
            "NOTION_CLIENT_SECRET"
        );
        assert_eq!(
            SecretName::webhook_verification_token().env_var(),
            "RELAY_SECRET_WEBHOOK_VERIFICATION_TOKEN"
        );
        assert!(SecretName::parse("Bad Name").is_err());
        assert!(SecretName::parse("").is_err());
        assert_eq!(SecretName::parse("api-key").unwrap(), SecretName::api_key());
    }
}
