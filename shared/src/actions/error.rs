//! The actions' one error type and its mapping to HTTP answers and MCP tool errors. Messages say
//! what to do next (share the page, retry after N seconds, fix field X); they never carry tokens
//! or request bodies.

use axum::http::StatusCode;
use thiserror::Error;

use crate::connect::TokenError;
use crate::domain::ConnectionId;
use crate::http::ApiError;
use crate::notion::NotionError;
use crate::ports::StoreError;
use crate::write::WriteError;

#[derive(Debug, Error)]
pub enum ActionError {
    /// No action has this name; `known` lists the ones that exist.
    #[error("unknown action `{name}`; the actions are: {}", known.join(", "))]
    UnknownAction {
        name: String,
        known: Vec<&'static str>,
    },
    /// The input is wrong; `field` names it (`limit`, `filter[0].operator`, ...).
    #[error("{field}: {message}")]
    InvalidInput { field: String, message: String },
    /// The object does not exist or is not shared with the connection (Notion cannot tell).
    #[error("{message}")]
    NotFound { message: String },
    /// Notion is rate limiting the connection: retry after that many seconds.
    #[error("Notion is rate limiting this connection; retry after {retry_after_seconds} seconds")]
    RateLimited { retry_after_seconds: u64 },
    /// Notion refused the request as invalid; its message names the problem.
    #[error("Notion refused the request: {message}")]
    NotionValidation { message: String },
    /// The connection lacks a capability (e.g. comments) or permission.
    #[error("the connection lacks the capability or permission for this: {message}")]
    Restricted { message: String },
    /// A concurrent edit conflicted: re-read, then retry.
    #[error("Notion reported a conflicting edit; re-read the page and retry: {message}")]
    Conflict { message: String },
    #[error("connection {0} does not exist")]
    ConnectionNotFound(ConnectionId),
    /// Notion refused the connection's tokens: the end user must reconnect.
    #[error("connection {0} needs to be reconnected by its end user before it can be used")]
    NeedsReauth(ConnectionId),
    /// Notion or a store is temporarily unavailable: retry later.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// A write-path error without a more specific action error (idempotency, incomplete body).
    #[error(transparent)]
    Write(WriteError),
    /// A bug or broken stored data (details are logged, not answered).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ActionError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound {
            message: message.into(),
        }
    }

    /// The object `kind` with `id` is not visible to the connection.
    pub fn not_shared(kind: &str, id: &str) -> Self {
        Self::not_found(format!(
            "{kind} {id} was not found or is not shared with this connection; \
             check the id, or share it with the integration in Notion"
        ))
    }

    /// Seconds to wait before retrying, when Notion said so.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Self::RateLimited {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            _ => None,
        }
    }

    /// The HTTP answer: status, stable code and an actionable message. Server-side failures are
    /// logged here (kinds and ids only) and answered without detail.
    pub fn to_api_error(&self) -> ApiError {
        let message = self.to_string();
        match self {
            Self::UnknownAction { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "unknown_action", message)
            }
            Self::InvalidInput { .. } => ApiError::bad_request(message),
            Self::NotFound { .. } | Self::ConnectionNotFound(_) => ApiError::not_found(message),
            Self::RateLimited { .. } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            }
            Self::NotionValidation { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "notion_validation_error", message)
            }
            Self::Restricted { .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "restricted_resource", message)
            }
            Self::Conflict { .. } => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            Self::NeedsReauth(_) => ApiError::new(StatusCode::CONFLICT, "needs_reauth", message),
            Self::Unavailable(what) => {
                tracing::warn!(error = %what, "action dependency unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Notion or Relay's storage is temporarily unavailable; retry later",
                )
            }
            Self::Write(error) => error.to_api_error(),
            Self::Internal(what) => {
                tracing::error!(error = %what, "action failed");
                ApiError::internal()
            }
        }
    }
}

impl From<NotionError> for ActionError {
    fn from(error: NotionError) -> Self {
        let request_id = error
            .request_id()
            .map(|id| format!(" (Notion request id {id})"))
            .unwrap_or_default();
        match error {
            NotionError::NotFound { .. } => Self::not_found(format!(
                "not found or not shared with this connection; check the id, or share the page \
                 with the integration in Notion{request_id}"
            )),
            NotionError::RateLimited { retry_after, .. } => Self::RateLimited {
                retry_after_seconds: retry_after.as_secs().max(1),
            },
            NotionError::Validation { message, .. } => Self::NotionValidation {
                message: format!("{message}{request_id}"),
            },
            NotionError::Restricted { message, .. } => Self::Restricted { message },
            NotionError::Conflict { message, .. } => Self::Conflict { message },
            error @ (NotionError::Unauthorized { .. } | NotionError::InvalidGrant { .. }) => {
                // The token manager turns these into NeedsReauth; reaching here means a race.
                Self::Unavailable(error.to_string())
            }
            error if error.is_retryable() => Self::Unavailable(error.to_string()),
            error => Self::Internal(error.to_string()),
        }
    }
}

impl From<TokenError> for ActionError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::NotFound(id) => Self::ConnectionNotFound(id),
            TokenError::NeedsReauth { id, .. } => Self::NeedsReauth(id),
            TokenError::Notion(error) => error.into(),
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

impl From<StoreError> for ActionError {
    fn from(error: StoreError) -> Self {
        if error.is_transient() {
            Self::Unavailable(error.to_string())
        } else {
            Self::Internal(error.to_string())
        }
    }
}

impl From<WriteError> for ActionError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::InvalidInput { field, message } => Self::InvalidInput { field, message },
            WriteError::NotFound(message) => Self::NotFound { message },
            WriteError::ConnectionNotFound(id) => Self::ConnectionNotFound(id),
            WriteError::NeedsReauth { id, .. } => Self::NeedsReauth(id),
            WriteError::Notion(error) => error.into(),
            other => Self::Write(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn notion_errors_become_actionable_answers() {
        let limited: ActionError = NotionError::RateLimited {
            retry_after: Duration::from_secs(7),
            request_id: None,
        }
        .into();
        assert_eq!(limited.retry_after_seconds(), Some(7));
        let api = limited.to_api_error();
        assert_eq!(api.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(api.message.contains("7 seconds"), "{}", api.message);

        let missing: ActionError = NotionError::NotFound {
            message: "Could not find page".into(),
            request_id: Some("r1".into()),
        }
        .into();
        let api = missing.to_api_error();
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert!(api.message.contains("share"), "{}", api.message);
        assert!(api.message.contains("r1"));

        let invalid = ActionError::invalid("limit", "must be between 1 and 100");
        assert_eq!(
            invalid.to_api_error().message,
            "limit: must be between 1 and 100"
        );
    }

    #[test]
    fn internal_details_stay_inside() {
        let api = ActionError::Internal("secret detail".into()).to_api_error();
        assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!api.message.contains("secret detail"));
        let api = ActionError::Unavailable("db host x".into()).to_api_error();
        assert!(!api.message.contains("db host"));
    }
}
