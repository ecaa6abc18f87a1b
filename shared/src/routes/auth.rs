//! The app backend's credentials on the api routes: `Authorization: Bearer <API key>`, checked
//! against the `api-key` secret in constant time.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::app::AppContext;
use crate::connect::credentials::{self, CredentialsError};
use crate::http::ApiError;

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
        let presented = bearer_token(parts).ok_or_else(ApiError::unauthorized)?;
        match credentials::verify_api_key(ctx.adapters.secrets.as_ref(), presented).await {
            Ok(()) => Ok(Self),
            Err(CredentialsError::InvalidApiKey) => Err(ApiError::unauthorized()),
            Err(error) => {
                tracing::error!(error = %error, "cannot check the API key");
                Err(super::error_of_credentials(&error))
            }
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(header: Option<&str>) -> Parts {
        let mut builder = axum::http::Request::builder();
        if let Some(value) = header {
            builder = builder.header(AUTHORIZATION, value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(bearer_token(&parts(Some("Bearer k1"))), Some("k1"));
        assert_eq!(bearer_token(&parts(Some("bearer  k1 "))), Some("k1"));
        assert_eq!(bearer_token(&parts(Some("Basic k1"))), None);
        assert_eq!(bearer_token(&parts(Some("Bearer "))), None);
        assert_eq!(bearer_token(&parts(Some("k1"))), None);
        assert_eq!(bearer_token(&parts(None)), None);
    }
}
