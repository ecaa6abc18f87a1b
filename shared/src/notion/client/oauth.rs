//! Notion's OAuth endpoints for the public integration: code exchange, refresh, introspection,
//! revocation. HTTP Basic client authentication, JSON bodies, the same transport (timeouts,
//! typed errors, logging) as every other call, but no per-connection budget: these are per-app.
//!
//! Neither the code exchange nor the refresh is ever retried automatically: a code is single
//! use and a refresh token rotates, so a retry after a lost answer would fail with
//! `invalid_grant` or, worse, hide which token pair is current.

use serde::Serialize;
use url::Url;

use super::NotionClient;
use super::error::NotionError;
use super::retry::RequestKind;
use super::transport::{ApiRequest, Auth, CallContext};
use crate::notion::model::{Introspection, OAuthTokenResponse};
use crate::secret::SecretString;

/// The OAuth client of the public integration.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    client: NotionClient,
    client_id: String,
    client_secret: SecretString,
}

/// Body of `POST /v1/oauth/token`. Holds a secret: built right before sending, never logged.
#[derive(Serialize)]
struct TokenRequest<'a> {
    grant_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
}

/// Body of introspect and revoke.
#[derive(Serialize)]
struct TokenBody<'a> {
    token: &'a str,
}

impl NotionClient {
    /// The OAuth client for this integration's credentials.
    pub fn oauth(&self, client_id: impl Into<String>, client_secret: SecretString) -> OAuthClient {
        OAuthClient {
            client: self.clone(),
            client_id: client_id.into(),
            client_secret,
        }
    }
}

impl OAuthClient {
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Where to send the user's browser: Notion's consent page (`owner=user`), which redirects
    /// to `redirect_uri` with `code` and `state`.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> Url {
        let mut url = self.client.config().base_url.clone();
        let base_path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base_path}/v1/oauth/authorize"));
        url.query_pairs_mut()
            .clear()
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("owner", "user")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state);
        url
    }

    /// Exchanges an authorization code for the connection's first token pair.
    pub async fn exchange_code(
        &self,
        code: &SecretString,
        redirect_uri: Option<&str>,
    ) -> Result<OAuthTokenResponse, NotionError> {
        let body = TokenRequest {
            grant_type: "authorization_code",
            code: Some(code.expose()),
            redirect_uri,
            refresh_token: None,
        };
        self.token(&body).await
    }

    /// Trades a refresh token for a new pair. The old refresh token is dead afterwards: persist
    /// the new pair before using it. A replayed token answers `NotionError::InvalidGrant`.
    pub async fn refresh(
        &self,
        refresh_token: &SecretString,
    ) -> Result<OAuthTokenResponse, NotionError> {
        let body = TokenRequest {
            grant_type: "refresh_token",
            code: None,
            redirect_uri: None,
            refresh_token: Some(refresh_token.expose()),
        };
        self.token(&body).await
    }

    /// Whether a token is still active.
    pub async fn introspect(&self, token: &SecretString) -> Result<Introspection, NotionError> {
        let request = ApiRequest::post(
            "/v1/oauth/introspect",
            "/v1/oauth/introspect".to_owned(),
            RequestKind::Read,
        )
        .json(&TokenBody {
            token: token.expose(),
        })?;
        self.send(request).await
    }

    /// Revokes a token (the connection is then gone on Notion's side).
    pub async fn revoke(&self, token: &SecretString) -> Result<(), NotionError> {
        let request = ApiRequest::post(
            "/v1/oauth/revoke",
            "/v1/oauth/revoke".to_owned(),
            RequestKind::Write,
        )
        .json(&TokenBody {
            token: token.expose(),
        })?;
        let _: serde_json::Value = self.send(request).await?;
        Ok(())
    }

    async fn token(&self, body: &TokenRequest<'_>) -> Result<OAuthTokenResponse, NotionError> {
        let mut request = ApiRequest::post(
            "/v1/oauth/token",
            "/v1/oauth/token".to_owned(),
            RequestKind::Write,
        )
        .json(body)?;
        request.secret_response = true;
        self.send(request).await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<T, NotionError> {
        let ctx = CallContext {
            auth: Auth::Basic {
                client_id: &self.client_id,
                client_secret: &self.client_secret,
            },
            budget: None,
            stats: None,
            connection_id: None,
        };
        self.client.transport().execute(&request, &ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NotionConfig;

    #[test]
    fn authorize_url_asks_for_a_user_token() {
        let config = NotionConfig {
            base_url: Url::parse("http://127.0.0.1:7070").unwrap(),
            ..NotionConfig::default()
        };
        let client = NotionClient::new(&config).unwrap();
        let oauth = client.oauth("cid", SecretString::new("secret"));
        let url = oauth.authorize_url("https://relay.example/oauth/callback", "st&ate");
        assert_eq!(url.path(), "/v1/oauth/authorize");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(pairs.contains(&("owner".into(), "user".into())));
        assert!(pairs.contains(&("response_type".into(), "code".into())));
        assert!(pairs.contains(&("state".into(), "st&ate".into())));
        assert!(pairs.contains(&(
            "redirect_uri".into(),
            "https://relay.example/oauth/callback".into()
        )));
        assert!(!format!("{oauth:?}").contains("secret\""));
    }

    #[test]
    fn token_bodies_have_the_documented_shape() {
        let body = serde_json::to_value(TokenRequest {
            grant_type: "authorization_code",
            code: Some("c"),
            redirect_uri: Some("r"),
            refresh_token: None,
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"grant_type": "authorization_code", "code": "c", "redirect_uri": "r"})
        );
    }
}
