//! The oauth function's routes: `POST /connect/sessions` (app backend, API key),
//! `GET /connect/notion` and `GET /oauth/callback` (the end user's browser).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::{ApiKeyAuth, BrowserError, api_error};
use crate::connect::{CallbackParams, ConnectService};
use crate::http::ApiError;

pub fn router(connect: ConnectService) -> Router {
    Router::new()
        .route("/connect/sessions", post(create_session))
        .route("/connect/notion", get(start))
        .route("/oauth/callback", get(callback))
        .with_state(connect)
}

async fn create_session(
    _auth: ApiKeyAuth,
    State(connect): State<ConnectService>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let session = connect.create_session(&body).await.map_err(api_error)?;
    let expires_at = session
        .expires_at
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|_| ApiError::internal())?;
    let body = json!({
        "session_token": session.session_token.expose(),
        "expires_at": expires_at,
        "connect_url": session.connect_url.expose(),
    });
    Ok(no_store(
        (StatusCode::CREATED, axum::Json(body)).into_response(),
    ))
}

async fn start(
    State(connect): State<ConnectService>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let token = first_param(query.as_deref(), "session_token");
    match connect.start_authorization(token.as_deref()).await {
        Ok(location) => redirect(location.expose()),
        Err(error) => BrowserError::new(api_error(error), &headers).into_response(),
    }
}

async fn callback(
    State(connect): State<ConnectService>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = CallbackParams::from_query(query.as_deref());
    match connect.handle_callback(params).await {
        Ok(redirect_to) => redirect(redirect_to.location.as_str()),
        Err(error) => BrowserError::new(api_error(error), &headers).into_response(),
    }
}

/// `302 Found` to `location`, never cached, sending no referrer onwards.
fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => no_store(
            (
                StatusCode::FOUND,
                [
                    (header::LOCATION, value),
                    (
                        header::REFERRER_POLICY,
                        HeaderValue::from_static("no-referrer"),
                    ),
                ],
            )
                .into_response(),
        ),
        Err(_) => ApiError::internal().into_response(),
    }
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The first value of `key` in a raw query string.
fn first_param(query: Option<&str>, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_first_query_value() {
        assert_eq!(
            first_param(
                Some("a=1&session_token=t%2B1&session_token=t2"),
                "session_token"
            ),
            Some("t+1".into())
        );
        assert_eq!(first_param(None, "session_token"), None);
    }
}
