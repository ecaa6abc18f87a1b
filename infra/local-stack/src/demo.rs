//! The demo page (`/demo/`), served by the local stack only. Its files live in
//! `infra/local-stack/demo/` and are compiled in, so the binary needs nothing beside it.
//!
//! `POST /demo/session` creates a connect session for the demo end user and hands its token and
//! the API base to the page: the page then calls Relay's API exactly as a browser of a real app
//! would (session token, never the API secret key). The local gateway listens on loopback only;
//! a deployed stack has no such route, there the app backend creates the session.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use relay_shared::app::AppContext;
use relay_shared::connect::{ConnectOptions, ConnectService};
use relay_shared::http::ApiError;
use relay_shared::routes::api_error;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

/// The end user the local demo connects workspaces for.
pub const DEMO_END_USER: &str = "demo-user";

const INDEX_HTML: &str = include_str!("../demo/index.html");
const DEMO_JS: &str = include_str!("../demo/demo.js");
const DEMO_CSS: &str = include_str!("../demo/demo.css");

/// Scripts and styles from the page's own origin only; API calls may go to a deployed stack.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' https: data:; connect-src 'self' https: http://127.0.0.1:* http://localhost:*; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

#[derive(Clone)]
struct DemoState {
    connect: ConnectService,
    /// The local gateway's URL, no trailing slash.
    api_base: String,
}

/// The demo routes. `api_base` is the local gateway's URL, which is also the demo page's
/// origin (`{api_base}/demo/` is on the return-URL allow-list).
pub fn router(context: AppContext, api_base: String) -> Router {
    let state = DemoState {
        connect: ConnectService::new(context, ConnectOptions::default()),
        api_base,
    };
    Router::new()
        .route("/demo", get(|| async { Redirect::permanent("/demo/") }))
        .route("/demo/", get(index))
        .route("/demo/demo.js", get(script))
        .route("/demo/demo.css", get(style))
        .route("/demo/session", post(session))
        .with_state(state)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn index() -> Response {
    let mut response = asset("text/html; charset=utf-8", INDEX_HTML);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", DEMO_JS)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", DEMO_CSS)
}

/// A fresh connect session for the demo end user, returning to the demo page. Only for pages
/// loaded from a loopback host name: a DNS-rebinding page cannot obtain a token.
async fn session(
    State(state): State<DemoState>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !is_loopback_host(host) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the demo session is only given to pages opened on 127.0.0.1 or localhost",
        ));
    }
    let body = json!({
        "end_user": {"id": DEMO_END_USER, "display_name": "Demo user"},
        "return_url": format!("{}/demo/", state.api_base),
    });
    let created = state
        .connect
        .create_session(body.to_string().as_bytes())
        .await
        .map_err(api_error)?;
    let expires_at = created
        .expires_at
        .format(&Rfc3339)
        .map_err(|_| ApiError::internal())?;
    let mut response = (
        StatusCode::OK,
        axum::Json(json!({
            "api_base": state.api_base,
            "session_token": created.session_token.expose(),
            "expires_at": expires_at,
            "end_user_id": DEMO_END_USER,
        })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `127.0.0.1`, `localhost` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    matches!(name, "127.0.0.1" | "localhost" | "::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_get_a_session() {
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "localhost",
            "[::1]:8080",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "evil.example",
            "evil.example:8080",
            "127.0.0.1.evil.example:8080",
            "localhost.evil:80",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
