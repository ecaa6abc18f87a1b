//! Notion's error envelope and the per-request context (request id, method, path) that every
//! response carries.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// What the current request is; set by the API middleware for the request's task.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub method: String,
    pub path: String,
}

tokio::task_local! {
    pub static REQUEST: RequestContext;
}

/// The request id of the request being served (a fresh id outside a request).
pub fn current_request_id() -> String {
    REQUEST
        .try_with(|r| r.request_id.clone())
        .unwrap_or_else(|_| crate::ids::new_id())
}

/// Method and path of the request being served, if any.
pub fn current_method_path() -> Option<(String, String)> {
    REQUEST
        .try_with(|r| (r.method.clone(), r.path.clone()))
        .ok()
}

/// An API error in Notion's envelope: `{object:"error",status,code,message,additional_data?,request_id}`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub additional_data: Option<Box<Value>>,
    /// Seconds for a `Retry-After` header (429, 529).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            additional_data: None,
            retry_after: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "validation_error", message)
    }

    pub fn invalid_json() -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "Error parsing JSON body.",
        )
    }

    pub fn invalid_request_url() -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_url",
            "Invalid request URL.",
        )
    }

    pub fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn missing_version() -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "missing_version",
            "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.",
        )
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "API token is invalid.",
        )
    }

    pub fn invalid_grant(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_grant", message)
    }

    pub fn rate_limited(retry_after_secs: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "You have been rate limited. Please try again in a few minutes.",
        );
        e.retry_after = Some(u32::try_from(retry_after_secs.max(1)).unwrap_or(u32::MAX));
        e.additional_data = Some(Box::new(
            json!({"rate_limit_reason": "public_api_request_rate_limit"}),
        ));
        e
    }

    /// `object_not_found` for a missing or unshared object, worded like Notion.
    pub fn not_found(
        kind: &str,
        id: &str,
        integration_name: &str,
        integration_id: &str,
    ) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::NOT_FOUND,
            "object_not_found",
            format!(
                "Could not find {kind} with ID: {id}. Make sure the relevant pages and databases are shared with your integration \"{integration_name}\"."
            ),
        );
        e.additional_data = Some(Box::new(json!({"integration_id": integration_id})));
        e
    }

    /// A path id that is not a UUID.
    pub fn invalid_path_id(param: &str, raw: &str) -> ApiError {
        ApiError::validation(format!(
            "path failed validation: path.{param} should be a valid uuid, instead was `\"{raw}\"`."
        ))
    }

    /// An expired or foreign pagination cursor.
    pub fn invalid_cursor() -> ApiError {
        ApiError::validation(
            "The start_cursor provided is invalid or has expired. Restart the listing without a start_cursor.",
        )
    }

    /// The error an injected fault answers with.
    pub fn from_status(status: u16) -> ApiError {
        let (code, message) = match status {
            400 => ("validation_error", "Injected validation error."),
            401 => ("unauthorized", "API token is invalid."),
            403 => (
                "restricted_resource",
                "API token does not have access to this resource.",
            ),
            404 => ("object_not_found", "Could not find object."),
            409 => (
                "conflict_error",
                "Conflict occurred while saving. Please try again.",
            ),
            429 => (
                "rate_limited",
                "You have been rate limited. Please try again in a few minutes.",
            ),
            502 => (
                "bad_gateway",
                "Notion encountered an error connecting to an upstream service.",
            ),
            503 => (
                "service_unavailable",
                "Notion is unavailable. Please try again later.",
            ),
            504 => (
                "gateway_timeout",
                "Notion timed out while processing the request.",
            ),
            529 => (
                "service_overload",
                "Notion is overloaded. Please try again later.",
            ),
            _ => ("internal_server_error", "Unexpected error occurred."),
        };
        let status_code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut e = ApiError::new(status_code, code, message);
        if status == 429 || status == 529 {
            e.retry_after = Some(1);
        }
        e
    }

    pub fn body(&self, request_id: &str) -> Value {
        let mut body = json!({
            "object": "error",
            "status": self.status.as_u16(),
            "code": self.code,
            "message": self.message,
        });
        if let (Some(extra), Some(map)) = (&self.additional_data, body.as_object_mut()) {
            map.insert("additional_data".to_string(), (**extra).clone());
        }
        if let Some(map) = body.as_object_mut() {
            map.insert(
                "request_id".to_string(),
                Value::String(request_id.to_string()),
            );
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = current_request_id();
        let mut response = (self.status, axum::Json(self.body(&request_id))).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

pub type ApiResult = Result<Response, ApiError>;

/// A 200 answer: the object with `request_id` added at the top level, like Notion's bodies.
pub fn ok(mut value: Value) -> ApiResult {
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "request_id".to_string(),
            Value::String(current_request_id()),
        );
    }
    Ok((StatusCode::OK, axum::Json(value)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_keys_are_in_notion_order() {
        let e = ApiError::not_found("page", "abc", "App", "bot");
        let body = e.body("req");
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "object",
                "status",
                "code",
                "message",
                "additional_data",
                "request_id"
            ]
        );
        assert_eq!(body["status"], 404);
    }

    #[test]
    fn overload_statuses_carry_retry_after() {
        assert_eq!(ApiError::from_status(529).retry_after, Some(1));
        assert_eq!(ApiError::from_status(529).code, "service_overload");
        assert_eq!(ApiError::from_status(500).retry_after, None);
        assert_eq!(ApiError::from_status(504).code, "gateway_timeout");
    }
}
