//! The HTTP routers of the oauth and api functions. Handlers only translate: they parse the
//! request, call [`crate::connect`], and map its typed errors to [`ApiError`] here, once.
//!
//! - [`oauth_router`]: `POST /connect/sessions` (API key), `GET /connect/notion`,
//!   `GET /oauth/callback` (the end user's browser).
//! - [`api_router`]: the app backend's API (`/connections`, ...), every route behind
//!   [`ApiKeyAuth`].
//!
//! The same routers run under `lambda_http::run` in Lambda and under `axum::serve` locally.

pub mod actions;
pub mod auth;
pub mod connections;
pub mod mcp;
pub mod oauth;
pub mod pages;
pub mod records;
pub mod sync;
pub mod webhooks;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::app::AppContext;
use crate::connect::{ConnectError, ConnectOptions, ConnectService, CredentialsError};
use crate::http::ApiError;

pub use auth::{ApiKeyAuth, ConnectionAccess};
pub use webhooks::{dead_letters_router, webhooks_router};

/// The oauth function's routes with the default [`ConnectOptions`].
pub fn oauth_router(ctx: AppContext) -> Router {
    oauth_router_with(ctx, ConnectOptions::default())
}

/// The oauth function's routes with explicit session and state lifetimes (tests, local stack).
pub fn oauth_router_with(ctx: AppContext, options: ConnectOptions) -> Router {
    let connect = ConnectService::new(ctx, options);
    connect.log_configuration_problems();
    oauth::router(connect)
}

/// The api function's routes for the app backend.
pub fn api_router(ctx: AppContext) -> Router {
    let connect = ConnectService::new(ctx.clone(), ConnectOptions::default());
    Router::new()
        .merge(connections::router(connect))
        .merge(records::router(ctx.clone()))
        .merge(sync::router(ctx.clone()))
        .merge(webhooks::dead_letters_router(ctx.clone()))
        .merge(actions::router(ctx))
}

/// The create-page function's route: `POST /connections/{id}/pages`.
pub fn pages_router(ctx: AppContext) -> Router {
    pages::router(ctx)
}

impl FromRef<ConnectService> for AppContext {
    fn from_ref(connect: &ConnectService) -> Self {
        connect.context().clone()
    }
}

/// The one mapping from the connect flow's errors to HTTP answers. Server-side failures are
/// logged here (ids and error kinds only) and answered without detail.
pub fn api_error(error: ConnectError) -> ApiError {
    match error {
        ConnectError::InvalidInput { field, message } => {
            ApiError::bad_request(format!("{field}: {message}"))
        }
        ConnectError::SessionNotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "session_not_found",
            "the connect session is unknown or has expired; ask the app for a new connect link",
        ),
        ConnectError::InvalidState => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_state",
            "this authorization link is unknown, was already used or has expired; start connecting again",
        ),
        ConnectError::ConnectionNotFound(id) => {
            ApiError::not_found(format!("connection {id} does not exist"))
        }
        ConnectError::Credentials(error) => {
            tracing::error!(error = %error, "credentials unavailable");
            error_of_credentials(&error)
        }
        ConnectError::Store(error) if error.is_transient() => {
            tracing::warn!(error = %error, "storage unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "storage is temporarily unavailable; retry later",
            )
        }
        ConnectError::Notion(error) => {
            tracing::warn!(error = %error, "Notion call failed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "notion_error",
                match error.request_id() {
                    Some(id) => format!("Notion answered with an error (request id {id})"),
                    None => "Notion could not be reached or answered with an error".to_owned(),
                },
            )
        }
        error @ (ConnectError::Store(_) | ConnectError::Vault(_) | ConnectError::Queue(_)) => {
            tracing::error!(error = %error, "internal error");
            ApiError::internal()
        }
    }
}

/// Credentials problems other than a wrong key: Relay is misconfigured or its secrets backend
/// is down (never the caller's fault, never a secret in the message).
pub(crate) fn error_of_credentials(error: &CredentialsError) -> ApiError {
    match error {
        CredentialsError::InvalidApiKey => ApiError::unauthorized(),
        CredentialsError::NotConfigured(name) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            format!("secret {name} is not configured"),
        ),
        CredentialsError::Secrets(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "secrets_unavailable",
            "the secrets backend could not be read",
        ),
    }
}

/// An error on a browser route: a small HTML page for browsers (`Accept: text/html`), the JSON
/// error shape for everything else. Same status either way.
pub(crate) struct BrowserError {
    error: ApiError,
    html: bool,
}

impl BrowserError {
    pub(crate) fn new(error: ApiError, headers: &HeaderMap) -> Self {
        let html = headers
            .get(header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
        Self { error, html }
    }
}

impl IntoResponse for BrowserError {
    fn into_response(self) -> Response {
        let mut response = if self.html {
            let page = format!(
                "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Notion connection failed</title></head>\n\
                 <body><h1>Notion connection failed</h1>\n<p>{}</p>\n<p><small>Error code: {}</small></p></body></html>\n",
                escape_html(&self.error.message),
                escape_html(self.error.code),
            );
            (self.error.status, Html(page)).into_response()
        } else {
            self.error.into_response()
        };
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        response
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_statuses_and_name_fields() {
        let error = api_error(ConnectError::invalid("end_user.id", "is required"));
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.message, "end_user.id: is required");
        assert_eq!(
            api_error(ConnectError::SessionNotFound).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(api_error(ConnectError::InvalidState).code, "invalid_state");
        let internal = api_error(ConnectError::Store(crate::ports::StoreError::Corrupt(
            "secret detail".into(),
        )));
        assert_eq!(internal.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!internal.message.contains("secret detail"));
    }

    #[test]
    fn browsers_get_an_escaped_page() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, "text/html,*/*".parse().unwrap());
        let error = ApiError::bad_request("<b>x</b>");
        let response = BrowserError::new(error, &headers).into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(
            escape_html("<b>\"x\"</b>"),
            "&lt;b&gt;&quot;x&quot;&lt;/b&gt;"
        );
    }
}
