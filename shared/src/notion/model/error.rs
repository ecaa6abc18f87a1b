//! Notion's error envelope: `{"object":"error","status","code","message","request_id",
//! "additional_data"?}`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::string_enum::string_enum;

/// A Notion error response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub status: u16,
    pub code: ErrorCode,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// e.g. `integration_id` on `object_not_found`, `rate_limit_reason` on `rate_limited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_data: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

string_enum! {
    /// Every documented error `code` (stable across versions); others are kept as `Unknown`.
    pub enum ErrorCode {
        InvalidJson = "invalid_json",
        InvalidRequestUrl = "invalid_request_url",
        InvalidRequest = "invalid_request",
        InvalidGrant = "invalid_grant",
        ValidationError = "validation_error",
        MissingVersion = "missing_version",
        InvalidBeta = "invalid_beta",
        Unauthorized = "unauthorized",
        RestrictedResource = "restricted_resource",
        ObjectNotFound = "object_not_found",
        ConflictError = "conflict_error",
        RateLimited = "rate_limited",
        InternalServerError = "internal_server_error",
        ServiceUnavailable = "service_unavailable",
        DatabaseConnectionUnavailable = "database_connection_unavailable",
        GatewayTimeout = "gateway_timeout",
        ServiceOverload = "service_overload",
    }
}

impl ErrorBody {
    /// `additional_data.rate_limit_reason` (which rate limit a 429 hit), when present.
    pub fn rate_limit_reason(&self) -> Option<&str> {
        self.additional_data
            .as_ref()
            .and_then(|data| data.get("rate_limit_reason"))
            .and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_documented_code_parses_to_a_known_member() {
        let codes = [
            "invalid_json",
            "invalid_request_url",
            "invalid_request",
            "invalid_grant",
            "validation_error",
            "missing_version",
            "invalid_beta",
            "unauthorized",
            "restricted_resource",
            "object_not_found",
            "conflict_error",
            "rate_limited",
            "internal_server_error",
            "service_unavailable",
            "database_connection_unavailable",
            "gateway_timeout",
            "service_overload",
        ];
        assert_eq!(codes.len(), ErrorCode::KNOWN.len());
        for code in codes {
            let parsed: ErrorCode = serde_json::from_value(json!(code)).unwrap();
            assert!(!matches!(parsed, ErrorCode::Unknown(_)), "{code}");
            assert_eq!(parsed.as_str(), code);
            assert_eq!(serde_json::to_value(&parsed).unwrap(), json!(code));
        }
    }

    #[test]
    fn unknown_codes_are_kept() {
        let body: ErrorBody = serde_json::from_value(json!({"object":"error","status":418,
            "code":"teapot_error","message":"short and stout"}))
        .unwrap();
        assert_eq!(body.code, ErrorCode::Unknown("teapot_error".into()));
        assert_eq!(body.code.as_str(), "teapot_error");
    }

    #[test]
    fn rate_limit_reason_is_read() {
        let body: ErrorBody = serde_json::from_value(json!({"object":"error","status":429,
            "code":"rate_limited","message":"m","request_id":"r",
            "additional_data":{"rate_limit_reason":"public_api_request_rate_limit"}}))
        .unwrap();
        assert_eq!(body.code, ErrorCode::RateLimited);
        assert_eq!(
            body.rate_limit_reason(),
            Some("public_api_request_rate_limit")
        );
    }
}
