//! The connect flow's errors. Routes map them to HTTP once (`crate::routes`); messages name
//! fields and ids, never secrets.

use thiserror::Error;

use super::credentials::CredentialsError;
use crate::domain::{ConnectionId, TokenVaultError};
use crate::notion::NotionError;
use crate::ports::{QueueError, StoreError};

#[derive(Debug, Error)]
pub enum ConnectError {
    /// Malformed input; `field` names it (`end_user.id`, `return_url`, `session_token`, ...).
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    /// The session token is unknown or expired.
    #[error("the connect session is unknown or has expired")]
    SessionNotFound,
    /// The OAuth state is unknown, already used or expired.
    #[error("the authorization state is unknown, already used or expired")]
    InvalidState,
    #[error("connection {0} does not exist")]
    ConnectionNotFound(ConnectionId),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("token vault: {0}")]
    Vault(#[from] TokenVaultError),
    #[error("job queue: {0}")]
    Queue(#[from] QueueError),
    #[error("Notion: {0}")]
    Notion(#[from] NotionError),
}

impl ConnectError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }
}
