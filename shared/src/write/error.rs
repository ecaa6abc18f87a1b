//! The write path's errors and their one mapping to HTTP answers (the route and the MCP tools
//! both read [`WriteError::to_api_error`]). Messages name fields, properties and ids, never
//! tokens or payloads.

use axum::http::StatusCode;
use thiserror::Error;

use super::input::DataSourceChoice;
use crate::connect::TokenError;
use crate::domain::ConnectionId;
use crate::http::ApiError;
use crate::notion::NotionError;
use crate::ports::StoreError;

#[derive(Debug, Error)]
pub enum WriteError {
    /// The input is wrong; `field` names it (`title`, `parent`, `properties.Due`, ...).
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    /// The page to append to does not exist or is not shared with the connection.
    #[error("{0}")]
    NotFound(String),
    /// A database with several data sources was given as parent: pick one of them.
    #[error(
        "parent: database {database_id} has {} data sources; use parent.data_source_id with one of them",
        data_sources.len()
    )]
    MultiSourceDatabase {
        database_id: String,
        data_sources: Vec<DataSourceChoice>,
    },
    /// The Idempotency-Key was used with a different request body.
    #[error("the Idempotency-Key was already used with a different request body")]
    IdempotencyConflict,
    /// A request with the same Idempotency-Key is still being processed.
    #[error("a request with this Idempotency-Key is still in progress")]
    InProgress,
    /// The page exists but part of its body could not be written; a retry with the same
    /// Idempotency-Key writes the rest.
    #[error(
        "page {page_id} was created but {blocks_missing} of its blocks could not be written yet"
    )]
    Incomplete {
        page_id: String,
        url: Option<String>,
        blocks_written: usize,
        blocks_missing: usize,
        /// Whether a retry with the same Idempotency-Key can resume (a key was given).
        resumable: bool,
    },
    #[error("connection {0} does not exist")]
    ConnectionNotFound(ConnectionId),
    #[error("connection {id} needs to be reconnected ({reason})")]
    NeedsReauth { id: ConnectionId, reason: String },
    /// Notion refused or failed the call.
    #[error("Notion: {0}")]
    Notion(NotionError),
    /// Something Relay depends on is temporarily unavailable.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// A bug or broken stored data.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WriteError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The HTTP answer: status, stable code, and a message that names what is wrong.
    /// Server-side failures are logged here (error kinds and ids only) and answered plainly.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            Self::InvalidInput { .. } | Self::MultiSourceDatabase { .. } => {
                let code = if matches!(self, Self::MultiSourceDatabase { .. }) {
                    "multi_source_database"
                } else {
                    "invalid_request"
                };
                let mut message = self.to_string();
                if let Self::MultiSourceDatabase { data_sources, .. } = self {
                    let listed: Vec<String> = data_sources
                        .iter()
                        .map(|source| match &source.name {
                            Some(name) => format!("{} ({name})", source.id),
                            None => source.id.clone(),
                        })
                        .collect();
                    message = format!("{message}: {}", listed.join(", "));
                }
                ApiError::new(StatusCode::BAD_REQUEST, code, message)
            }
            Self::NotFound(message) => ApiError::not_found(message.clone()),
            Self::IdempotencyConflict => ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                "Idempotency-Key: already used with a different request body; use a new key",
            ),
            Self::InProgress => ApiError::new(
                StatusCode::CONFLICT,
                "in_progress",
                "Idempotency-Key: a request with this key is still in progress; retry later",
            ),
            Self::Incomplete {
                page_id,
                url,
                blocks_written,
                blocks_missing,
                resumable,
            } => {
                let mut message = format!(
                    "page {page_id} was created{} with {blocks_written} blocks, but {blocks_missing} blocks could not be written",
                    url.as_deref()
                        .map(|url| format!(" ({url})"))
                        .unwrap_or_default()
                );
                message.push_str(if *resumable {
                    "; retry with the same Idempotency-Key and body to write the rest"
                } else {
                    "; this request cannot be resumed (requests with an Idempotency-Key can)"
                });
                ApiError::new(StatusCode::BAD_GATEWAY, "incomplete", message)
            }
            Self::ConnectionNotFound(id) => {
                ApiError::not_found(format!("connection {id} does not exist"))
            }
            Self::NeedsReauth { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "needs_reauth",
                "the connection must be reconnected before it can write",
            ),
            Self::Notion(error) => notion_api_error(error),
            Self::Unavailable(what) => {
                tracing::warn!(error = %what, "write dependency unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "a service Relay depends on is temporarily unavailable; retry later",
                )
            }
            Self::Internal(what) => {
                tracing::error!(error = %what, "write failed");
                ApiError::internal()
            }
        }
    }
}

fn notion_api_error(error: &NotionError) -> ApiError {
    let request_id = error
        .request_id()
        .map(|id| format!(" (Notion request id {id})"))
        .unwrap_or_default();
    match error {
        NotionError::RateLimited { retry_after, .. } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "Notion is rate limiting this connection; retry after {} seconds",
                retry_after.as_secs().max(1)
            ),
        ),
        // Notion's validation message names the offending field; it quotes no secrets.
        NotionError::Validation { message, .. } => ApiError::new(
            StatusCode::BAD_REQUEST,
            "notion_validation_error",
            format!("Notion refused the request: {message}{request_id}"),
        ),
        NotionError::Restricted { .. } => ApiError::new(
            StatusCode::FORBIDDEN,
            "restricted_resource",
            format!("the connection lacks the capability or permission for this{request_id}"),
        ),
        NotionError::NotFound { .. } => ApiError::not_found(format!(
            "not found or not shared with the connection{request_id}"
        )),
        other => {
            tracing::warn!(error = %other, "Notion call failed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "notion_error",
                format!("Notion could not be reached or answered with an error{request_id}"),
            )
        }
    }
}

impl From<TokenError> for WriteError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::NotFound(id) => Self::ConnectionNotFound(id),
            TokenError::NeedsReauth { id, reason } => Self::NeedsReauth { id, reason },
            TokenError::Notion(error) => Self::Notion(error),
            TokenError::RefreshBusy(id) => {
                Self::Unavailable(format!("token refresh of connection {id} in progress"))
            }
            TokenError::Store(error) => error.into(),
            error @ (TokenError::Credentials(_) | TokenError::Vault(_)) => {
                Self::Internal(error.to_string())
            }
        }
    }
}

impl From<StoreError> for WriteError {
    fn from(error: StoreError) -> Self {
        if error.is_transient() {
            Self::Unavailable(error.to_string())
        } else {
            Self::Internal(error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_name_the_problem() {
        let error = WriteError::invalid("properties.Due", "expected a date");
        let api = error.to_api_error();
        assert_eq!(api.status, StatusCode::BAD_REQUEST);
        assert_eq!(api.message, "properties.Due: expected a date");

        let api = WriteError::MultiSourceDatabase {
            database_id: "db".into(),
            data_sources: vec![
                DataSourceChoice {
                    id: "a".into(),
                    name: Some("Tasks".into()),
                },
                DataSourceChoice {
                    id: "b".into(),
                    name: None,
                },
            ],
        }
        .to_api_error();
        assert_eq!(api.status, StatusCode::BAD_REQUEST);
        assert!(api.message.contains("a (Tasks), b"), "{}", api.message);

        let api = WriteError::Incomplete {
            page_id: "p1".into(),
            url: Some("https://notion.so/p1".into()),
            blocks_written: 10,
            blocks_missing: 5,
            resumable: true,
        }
        .to_api_error();
        assert_eq!(api.code, "incomplete");
        assert!(api.message.contains("p1") && api.message.contains("5 blocks"));
        assert_eq!(WriteError::IdempotencyConflict.to_api_error().status, 409);
        assert_eq!(WriteError::InProgress.to_api_error().code, "in_progress");
    }

    #[test]
    fn internal_details_stay_inside() {
        let api = WriteError::Internal("secret detail".into()).to_api_error();
        assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!api.message.contains("secret detail"));
    }
}
