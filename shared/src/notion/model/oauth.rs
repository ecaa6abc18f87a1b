//! OAuth bodies: token exchange/refresh response, introspection, and OAuth-style errors.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::secret::SecretString;

/// `POST /v1/oauth/token` response. Holds secrets, so it has no `Serialize` and its `Debug`
/// shows neither the tokens nor unnamed fields' values.
#[derive(Clone, Deserialize)]
pub struct OAuthTokenResponse {
    pub access_token: SecretString,
    #[serde(default)]
    pub token_type: Option<String>,
    /// The rotating refresh token (a used one answers `invalid_grant`).
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    #[serde(default)]
    pub bot_id: Option<String>,
    #[serde(default)]
    pub workspace_id: Option<String>,
    #[serde(default)]
    pub workspace_name: Option<String>,
    /// A URL or an emoji.
    #[serde(default)]
    pub workspace_icon: Option<String>,
    /// `{"type":"user","user":{...}}` or legacy `{"type":"workspace","workspace":true}`; kept
    /// as JSON because recorded samples vary.
    #[serde(default)]
    pub owner: Option<Value>,
    /// Set when the user duplicated the connection's template page.
    #[serde(default)]
    pub duplicated_template_id: Option<String>,
    #[serde(default)]
    pub request_id: Option<String>,
    /// Fields this model does not name (none expected; never logged by value).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for OAuthTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthTokenResponse")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("refresh_token", &self.refresh_token)
            .field("bot_id", &self.bot_id)
            .field("workspace_id", &self.workspace_id)
            .field("workspace_name", &self.workspace_name)
            .field("duplicated_template_id", &self.duplicated_template_id)
            .field("request_id", &self.request_id)
            .field("extra_keys", &self.extra.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl OAuthTokenResponse {
    /// The owner user's id when the token belongs to a user (`owner.type == "user"`).
    pub fn owner_user_id(&self) -> Option<&str> {
        let owner = self.owner.as_ref()?;
        if owner.get("type").and_then(Value::as_str) != Some("user") {
            return None;
        }
        owner.get("user")?.get("id")?.as_str()
    }
}

/// `POST /v1/oauth/introspect` response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Issued-at, in milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An OAuth-style error body (`{"error":"invalid_client"}`), sent by the OAuth endpoints
/// instead of Notion's usual error envelope in some cases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OAuthErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_response_parses_and_debug_redacts() {
        let response: OAuthTokenResponse = serde_json::from_value(json!({
            "access_token":"ntn_secret_access","token_type":"bearer","refresh_token":"nrt_secret_refresh",
            "bot_id":"b","workspace_id":"w","workspace_name":null,"workspace_icon":null,
            "owner":{"type":"user","user":{"object":"user","id":"u"}},
            "duplicated_template_id":null,"request_id":"r"}))
        .unwrap();
        assert_eq!(response.access_token.expose(), "ntn_secret_access");
        assert_eq!(
            response.refresh_token.as_ref().map(SecretString::expose),
            Some("nrt_secret_refresh")
        );
        assert_eq!(response.owner_user_id(), Some("u"));
        assert!(response.extra.is_empty());
        let debug = format!("{response:?}");
        assert!(
            !debug.contains("secret_access") && !debug.contains("secret_refresh"),
            "{debug}"
        );
    }
}
