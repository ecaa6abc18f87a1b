//! Typed errors of every Notion call. Each carries Notion's `request_id` when the response had one
//! (the id support asks for) and never a token or a request body.

use std::time::Duration;

use thiserror::Error;

use crate::notion::model::{ErrorBody, ErrorCode, OAuthErrorBody};

/// Why a Notion call failed. Match on the variant; the `Display` text is for logs.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotionError {
    /// 404 `object_not_found`: missing, or not shared with the connection (Notion cannot tell).
    #[error("not found or not shared with the connection: {message}{}", rid(.request_id))]
    NotFound {
        message: String,
        request_id: Option<String>,
    },
    /// 401: the token is invalid or revoked.
    #[error("unauthorized: {message}{}", rid(.request_id))]
    Unauthorized {
        message: String,
        request_id: Option<String>,
    },
    /// `invalid_grant`: the code or refresh token is invalid, used, expired or revoked.
    #[error("invalid grant: {message}{}", rid(.request_id))]
    InvalidGrant {
        message: String,
        request_id: Option<String>,
    },
    /// The OAuth client id or secret was refused.
    #[error("invalid OAuth client: {message}{}", rid(.request_id))]
    InvalidClient {
        message: String,
        request_id: Option<String>,
    },
    /// 429 `rate_limited` or 529 `service_overload` that was not waited out inline.
    #[error("rate limited by Notion, retry after {retry_after:?}{}", rid(.request_id))]
    RateLimited {
        retry_after: Duration,
        request_id: Option<String>,
    },
    /// 400 family: the request itself is wrong (`validation_error`, `invalid_json`, ...).
    #[error("request rejected by Notion ({code}): {message}{}", rid(.request_id))]
    Validation {
        code: ErrorCode,
        message: String,
        request_id: Option<String>,
    },
    /// 403 `restricted_resource`: a capability or permission is missing.
    #[error("restricted: {message}{}", rid(.request_id))]
    Restricted {
        message: String,
        request_id: Option<String>,
    },
    /// 409 `conflict_error`: re-read the state, then try again.
    #[error("conflict: {message}{}", rid(.request_id))]
    Conflict {
        message: String,
        request_id: Option<String>,
    },
    /// 5xx from Notion (after any retries this request was allowed).
    #[error("Notion server error {status} ({code}): {message}{}", rid(.request_id))]
    Server {
        status: u16,
        code: ErrorCode,
        message: String,
        request_id: Option<String>,
    },
    /// Any other non-success answer (unexpected status or code).
    #[error("unexpected Notion answer {status} ({code}): {message}{}", rid(.request_id))]
    Unexpected {
        status: u16,
        code: ErrorCode,
        message: String,
        request_id: Option<String>,
    },
    /// The request did not complete within the client's timeout.
    #[error("Notion request timed out")]
    Timeout,
    /// Connecting or talking to Notion failed below HTTP.
    #[error("transport error talking to Notion: {message}")]
    Transport { message: String },
    /// A success answer whose body is not the expected shape.
    #[error("could not decode Notion's answer: {message}{}", rid(.request_id))]
    Decode {
        message: String,
        request_id: Option<String>,
    },
    /// A request that could not even be built (bad base URL, unserializable body).
    #[error("invalid request: {message}")]
    InvalidRequest { message: String },
    /// The windowed data source query could not make progress: more rows share one
    /// `created_time` minute than one query may return.
    #[error(
        "more than one query's worth of rows share created_time {created_time}; cannot window further"
    )]
    QueryWindowStuck { created_time: String },
}

fn rid(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request id {id})"),
        None => String::new(),
    }
}

impl NotionError {
    /// Notion's request id of the failed call, when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::NotFound { request_id, .. }
            | Self::Unauthorized { request_id, .. }
            | Self::InvalidGrant { request_id, .. }
            | Self::InvalidClient { request_id, .. }
            | Self::RateLimited { request_id, .. }
            | Self::Validation { request_id, .. }
            | Self::Restricted { request_id, .. }
            | Self::Conflict { request_id, .. }
            | Self::Server { request_id, .. }
            | Self::Unexpected { request_id, .. }
            | Self::Decode { request_id, .. } => request_id.as_deref(),
            Self::Timeout
            | Self::Transport { .. }
            | Self::InvalidRequest { .. }
            | Self::QueryWindowStuck { .. } => None,
        }
    }

    /// Whether trying the same call again later can succeed without changing anything first.
    /// Writes that failed with a server error or a timeout may have been applied: callers that
    /// retry them must make them idempotent themselves.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Timeout | Self::Transport { .. }
        )
    }

    /// The connection's tokens are no longer usable: refresh once, then ask the user to reconnect.
    pub fn needs_reauth(&self) -> bool {
        matches!(self, Self::Unauthorized { .. } | Self::InvalidGrant { .. })
    }

    /// The object is gone or was unshared (both look the same to the API).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// How long Notion asked us to wait, for rate-limit errors.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// Maps a non-success HTTP answer. `body` is Notion's error envelope, an OAuth-style
    /// `{error, error_description}` body, or anything else (an edge proxy's HTML page).
    /// `retry_after` is the parsed `Retry-After` header, used for 429 and 529.
    pub(crate) fn from_response(
        status: u16,
        body: &[u8],
        header_request_id: Option<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        let (code, message, body_request_id) = parse_error_body(body);
        classify(
            status,
            code,
            message,
            body_request_id.or(header_request_id),
            retry_after,
        )
    }
}

/// Reads Notion's envelope, else an OAuth-style `{error, error_description}` body, else nothing
/// (an edge proxy's HTML page): the status alone then decides.
fn parse_error_body(body: &[u8]) -> (ErrorCode, String, Option<String>) {
    if let Ok(envelope) = serde_json::from_slice::<ErrorBody>(body) {
        return (envelope.code, envelope.message, envelope.request_id);
    }
    if let Ok(oauth) = serde_json::from_slice::<OAuthErrorBody>(body) {
        return (
            ErrorCode::parse(&oauth.error),
            oauth.error_description.unwrap_or_default(),
            oauth.request_id,
        );
    }
    (ErrorCode::Unknown(String::new()), String::new(), None)
}

/// Used when a 429/529 carries no usable `Retry-After`.
pub(crate) const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

fn classify(
    status: u16,
    code: ErrorCode,
    message: String,
    request_id: Option<String>,
    retry_after: Option<Duration>,
) -> NotionError {
    let message = if message.is_empty() {
        default_message(status, code.as_str())
    } else {
        message
    };
    match code {
        ErrorCode::ObjectNotFound => NotionError::NotFound {
            message,
            request_id,
        },
        ErrorCode::Unauthorized => NotionError::Unauthorized {
            message,
            request_id,
        },
        ErrorCode::InvalidGrant => NotionError::InvalidGrant {
            message,
            request_id,
        },
        ErrorCode::RestrictedResource => NotionError::Restricted {
            message,
            request_id,
        },
        ErrorCode::ConflictError => NotionError::Conflict {
            message,
            request_id,
        },
        ErrorCode::RateLimited | ErrorCode::ServiceOverload => NotionError::RateLimited {
            retry_after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
            request_id,
        },
        ErrorCode::ValidationError
        | ErrorCode::InvalidJson
        | ErrorCode::InvalidRequest
        | ErrorCode::InvalidRequestUrl
        | ErrorCode::MissingVersion
        | ErrorCode::InvalidBeta => NotionError::Validation {
            code,
            message,
            request_id,
        },
        ErrorCode::InternalServerError
        | ErrorCode::ServiceUnavailable
        | ErrorCode::DatabaseConnectionUnavailable
        | ErrorCode::GatewayTimeout => NotionError::Server {
            status,
            code,
            message,
            request_id,
        },
        ErrorCode::Unknown(ref other) => match other.as_str() {
            // OAuth-style codes (RFC 6749) that Notion's token endpoint may answer with.
            "invalid_client" | "unauthorized_client" => NotionError::InvalidClient {
                message,
                request_id,
            },
            "unsupported_grant_type" | "invalid_scope" => NotionError::Validation {
                code,
                message,
                request_id,
            },
            _ => classify_by_status(status, code, message, request_id, retry_after),
        },
    }
}

fn classify_by_status(
    status: u16,
    code: ErrorCode,
    message: String,
    request_id: Option<String>,
    retry_after: Option<Duration>,
) -> NotionError {
    match status {
        400 | 413 | 414 | 422 => NotionError::Validation {
            code,
            message,
            request_id,
        },
        401 => NotionError::Unauthorized {
            message,
            request_id,
        },
        403 => NotionError::Restricted {
            message,
            request_id,
        },
        404 => NotionError::NotFound {
            message,
            request_id,
        },
        409 => NotionError::Conflict {
            message,
            request_id,
        },
        429 | 529 => NotionError::RateLimited {
            retry_after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
            request_id,
        },
        500..=599 => NotionError::Server {
            status,
            code,
            message,
            request_id,
        },
        _ => NotionError::Unexpected {
            status,
            code,
            message,
            request_id,
        },
    }
}

fn default_message(status: u16, code: &str) -> String {
    if code.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {code}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../shared/fixtures/notion/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|err| panic!("read {path}: {err}"))
    }

    #[test]
    fn maps_object_not_found_fixture() {
        let err =
            NotionError::from_response(404, &fixture("error-object-not-found.json"), None, None);
        assert!(err.is_not_found());
        assert_eq!(
            err.request_id(),
            Some("5f427b2f-3cb0-4577-a0ea-2f04a374ab1d")
        );
        assert!(!err.is_retryable());
    }

    #[test]
    fn maps_unauthorized_fixture() {
        let err = NotionError::from_response(401, &fixture("error-unauthorized.json"), None, None);
        assert_eq!(
            err,
            NotionError::Unauthorized {
                message: "API token is invalid.".into(),
                request_id: Some("df3b87cf-ebaf-42d5-9903-7af8ea9fc5a3".into()),
            }
        );
        assert!(err.needs_reauth());
    }

    #[test]
    fn maps_validation_fixtures_with_notions_message() {
        let err =
            NotionError::from_response(400, &fixture("error-validation-error.json"), None, None);
        match err {
            NotionError::Validation {
                code,
                message,
                request_id,
            } => {
                assert_eq!(code, ErrorCode::ValidationError);
                assert!(message.starts_with("path failed validation"));
                assert_eq!(
                    request_id.as_deref(),
                    Some("65532419-3e45-46ac-b731-9fb48964aeed")
                );
            }
            other => panic!("expected Validation, got {other:?}"),
        }
        let err =
            NotionError::from_response(400, &fixture("error-invalid-request-url.json"), None, None);
        assert!(
            matches!(
                err,
                NotionError::Validation {
                    code: ErrorCode::InvalidRequestUrl,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn maps_rate_limited_fixture_with_and_without_retry_after() {
        let body = fixture("error-rate-limited.json");
        let err = NotionError::from_response(429, &body, None, Some(Duration::from_secs(7)));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(err.request_id(), None);
        assert!(err.is_retryable());
        let err = NotionError::from_response(429, &body, Some("hdr-1".into()), None);
        assert_eq!(err.retry_after(), Some(DEFAULT_RETRY_AFTER));
        assert_eq!(err.request_id(), Some("hdr-1"));
    }

    #[test]
    fn maps_oauth_style_invalid_client_fixture() {
        let err = NotionError::from_response(
            401,
            &fixture("oauth-error-invalid-client.json"),
            None,
            None,
        );
        assert!(matches!(err, NotionError::InvalidClient { .. }), "{err:?}");
        assert_eq!(
            err.request_id(),
            Some("141bd2e5-09c1-4697-b80b-5fd2fd4dc45b")
        );
    }

    #[test]
    fn maps_invalid_grant_in_both_shapes() {
        let envelope = br#"{"object":"error","status":400,"code":"invalid_grant","message":"Invalid refresh token.","request_id":"r1"}"#;
        let oauth =
            br#"{"error":"invalid_grant","error_description":"refresh token already used"}"#;
        for body in [&envelope[..], &oauth[..]] {
            let err = NotionError::from_response(400, body, None, None);
            assert!(matches!(err, NotionError::InvalidGrant { .. }), "{err:?}");
            assert!(err.needs_reauth());
        }
        let err = NotionError::from_response(400, oauth, None, None);
        assert!(err.to_string().contains("refresh token already used"));
    }

    #[test]
    fn maps_server_and_overload_codes() {
        let body =
            br#"{"object":"error","status":503,"code":"service_unavailable","message":"busy"}"#;
        let err = NotionError::from_response(503, body, None, None);
        assert!(matches!(err, NotionError::Server { status: 503, .. }));
        assert!(err.is_retryable());
        let body = br#"{"object":"error","status":529,"code":"service_overload","message":"x"}"#;
        let err = NotionError::from_response(529, body, None, Some(Duration::from_secs(3)));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn falls_back_to_status_for_unknown_or_non_json_bodies() {
        let html = b"<html>403 Forbidden (Cloudflare Ray ID: abc)</html>";
        assert!(matches!(
            NotionError::from_response(403, html, None, None),
            NotionError::Restricted { .. }
        ));
        assert!(matches!(
            NotionError::from_response(502, b"", None, None),
            NotionError::Server { status: 502, .. }
        ));
        let unknown = br#"{"object":"error","status":418,"code":"brand_new_code","message":"m"}"#;
        assert!(matches!(
            NotionError::from_response(418, unknown, None, None),
            NotionError::Unexpected { status: 418, ref code, .. } if code.as_str() == "brand_new_code"
        ));
        let unknown_400 =
            br#"{"object":"error","status":400,"code":"brand_new_code","message":"m"}"#;
        assert!(matches!(
            NotionError::from_response(400, unknown_400, None, None),
            NotionError::Validation { .. }
        ));
    }

    #[test]
    fn every_fixture_error_body_maps_to_a_specific_variant() {
        let dir = format!(
            "{}/../../shared/fixtures/notion",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.starts_with("error-") || name.starts_with("oauth-error-")) {
                continue;
            }
            let body = std::fs::read(&path).unwrap();
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let status = value["status"].as_u64().map_or(400, |s| s as u16);
            let err = NotionError::from_response(status, &body, None, None);
            assert!(
                !matches!(
                    err,
                    NotionError::Unexpected { .. } | NotionError::Decode { .. }
                ),
                "{name} mapped to {err:?}"
            );
            assert!(!err.to_string().is_empty());
            seen += 1;
        }
        assert!(seen >= 6, "fixtures not found in {dir}");
    }
}
