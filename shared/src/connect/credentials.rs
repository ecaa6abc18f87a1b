//! Relay's own credentials, all read through the secrets port: the app backend's API key and the
//! public integration's OAuth client (Secrets Manager in AWS, the environment locally).

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
/// the secret once (it may have been rotated since it was cached) before refusing.
pub async fn verify_api_key(
    secrets: &dyn SecretsProvider,
    presented: &str,
) -> Result<(), CredentialsError> {
    let name = SecretName::api_key();
    let expected = secrets.get(&name).await?;
    if !expected.is_empty() && expected.constant_time_eq(presented) {
        return Ok(());
    }
    secrets.invalidate(&name);
    let expected = secrets.get(&name).await?;
    if !expected.is_empty() && expected.constant_time_eq(presented) {
        Ok(())
    } else {
        Err(CredentialsError::InvalidApiKey)
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
