//! Credentials on the api routes: `Authorization: Bearer <API key>` ([`ApiKeyAuth`], checked
//! against the `api-key` secret in constant time), or, on the routes a browser needs, either the
//! API key or a connect session token ([`ConnectionAccess`]).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

use crate::app::AppContext;
use crate::connect::credentials::{self, CredentialsError};
use crate::connect::random::looks_like_token;
use crate::connect::session::SessionData;
use crate::domain::{Connection, ConnectionId, EndUserId};
use crate::http::ApiError;
use crate::ports::EphemeralNamespace;

/// Proof that the request carried the API key. Put it first among a handler's extractors; a
/// missing or wrong key answers 401 with the JSON error shape.
#[derive(Debug, Clone, Copy)]
pub struct ApiKeyAuth;

impl<S> FromRequestParts<S> for ApiKeyAuth
where
    AppContext: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = AppContext::from_ref(state);
        let presented = bearer_token(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        if is_api_key(&ctx, presented).await? {
            Ok(Self)
        } else {
            Err(ApiError::unauthorized())
        }
    }
}

/// Whether `presented` is the API key. A secrets backend that cannot answer is an error (503),
/// never a silent "no".
pub(crate) async fn is_api_key(ctx: &AppContext, presented: &str) -> Result<bool, ApiError> {
    match credentials::verify_api_key(ctx.adapters.secrets.as_ref(), presented).await {
        Ok(()) => Ok(true),
        Err(CredentialsError::InvalidApiKey) => Ok(false),
        Err(error) => {
            tracing::error!(error = %error, "cannot check the API key");
            Err(super::error_of_credentials(&error))
        }
    }
}

/// Who may read a connection: the app backend (API key, every connection) or an end user's
/// browser holding a connect session token (`Authorization: Bearer <session_token>` from
/// `POST /connect/sessions`), which sees only that end user's connections, until the session
/// expires. The session is looked up, not consumed, so the same token keeps working for the
/// demo page while it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionAccess {
    /// The app backend's API key.
    ApiKey,
    /// A live connect session of this end user.
    Session { end_user: EndUserId },
}

impl ConnectionAccess {
    /// The end user a session is limited to; `None` for the API key.
    pub fn end_user(&self) -> Option<&EndUserId> {
        match self {
            Self::ApiKey => None,
            Self::Session { end_user } => Some(end_user),
        }
    }

    /// Whether this caller may see `connection`.
    pub fn may_access(&self, connection: &Connection) -> bool {
        match self {
            Self::ApiKey => true,
            Self::Session { end_user } => connection.end_user.id == *end_user,
        }
    }

    /// The stored connection if this caller may see it. Another end user's connection answers
    /// the same 404 as a missing one, so a session cannot probe for other ids.
    pub async fn connection(
        &self,
        ctx: &AppContext,
        id: &ConnectionId,
    ) -> Result<Connection, ApiError> {
        match ctx.adapters.connections.get(id).await {
            Ok(Some(connection)) if self.may_access(&connection) => Ok(connection),
            Ok(_) => Err(ApiError::not_found(format!(
                "connection {id} does not exist"
            ))),
            Err(error) => Err(super::records::store_error(error)),
        }
    }

    /// Limits a connection listing to the session's end user: an absent `end_user_id` becomes
    /// the session's, another one answers 403.
    pub fn scope_end_user(
        &self,
        requested: Option<EndUserId>,
    ) -> Result<Option<EndUserId>, ApiError> {
        match (self, requested) {
            (Self::ApiKey, requested) => Ok(requested),
            (Self::Session { end_user }, None) => Ok(Some(end_user.clone())),
            (Self::Session { end_user }, Some(requested)) if requested == *end_user => {
                Ok(Some(requested))
            }
            (Self::Session { .. }, Some(_)) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "a session token only lists its own end user's connections",
            )),
        }
    }
}

impl<S> FromRequestParts<S> for ConnectionAccess
where
    AppContext: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = AppContext::from_ref(state);
        let presented = bearer_token(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        if is_api_key(&ctx, presented).await? {
            return Ok(Self::ApiKey);
        }
        match session_end_user(&ctx, presented).await? {
            Some(end_user) => Ok(Self::Session { end_user }),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// The end user of the live connect session `token` opens, if any.
async fn session_end_user(ctx: &AppContext, token: &str) -> Result<Option<EndUserId>, ApiError> {
    if !looks_like_token(token) {
        return Ok(None);
    }
    let item = ctx
        .adapters
        .ephemeral
        .get(EphemeralNamespace::CONNECT_SESSION, token)
        .await
        .map_err(super::records::store_error)?;
    let Some(item) = item else {
        return Ok(None);
    };
    match serde_json::from_value::<SessionData>(item.value) {
        Ok(session) => Ok(Some(session.end_user.id)),
        Err(error) => {
            tracing::error!(error = %error, "stored connect session is unreadable");
            Err(ApiError::internal())
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(header: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = header {
            headers.insert(AUTHORIZATION, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(bearer_token(&headers(Some("Bearer k1"))), Some("k1"));
        assert_eq!(bearer_token(&headers(Some("bearer  k1 "))), Some("k1"));
        assert_eq!(bearer_token(&headers(Some("Basic k1"))), None);
        assert_eq!(bearer_token(&headers(Some("Bearer "))), None);
        assert_eq!(bearer_token(&headers(Some("k1"))), None);
        assert_eq!(bearer_token(&headers(None)), None);
    }
}
