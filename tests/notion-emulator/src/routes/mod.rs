//! HTTP routes: the Notion API under `/v1`, the control API under `/_emulator`, and the middleware
//! that counts, injects faults, checks the version header, authenticates and rate-limits.

mod blocks;
mod comments;
mod control;
mod data_sources;
mod databases;
mod oauth;
mod pages;
mod search;
mod users;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::Value;
use tracing::Instrument;

use crate::auth::GrantScope;
use crate::cursor::{Cursor, PageWindow, parse_page_size, window};
use crate::emulator::Emulator;
use crate::error::{ApiError, REQUEST, RequestContext, current_method_path};
use crate::faults::FaultKind;
use crate::ids::{new_id, normalize_id};
use crate::workspace::Workspace;

pub(crate) fn router(emu: Emulator) -> Router {
    Router::new()
        .route("/v1/search", post(search::search))
        .route("/v1/pages", post(pages::create))
        .route("/v1/pages/{id}", get(pages::retrieve).patch(pages::update))
        .route("/v1/pages/{id}/move", post(pages::move_page))
        .route(
            "/v1/pages/{id}/properties/{property_id}",
            get(pages::property_item),
        )
        .route("/v1/pages/{id}/markdown", get(pages::markdown))
        .route(
            "/v1/blocks/{id}",
            get(blocks::retrieve)
                .patch(blocks::update)
                .delete(blocks::delete),
        )
        .route(
            "/v1/blocks/{id}/children",
            get(blocks::children).patch(blocks::append),
        )
        .route("/v1/databases", post(databases::create))
        .route(
            "/v1/databases/{id}",
            get(databases::retrieve).patch(databases::update),
        )
        .route("/v1/data_sources", post(data_sources::create))
        .route(
            "/v1/data_sources/{id}",
            get(data_sources::retrieve).patch(data_sources::update),
        )
        .route("/v1/data_sources/{id}/query", post(data_sources::query))
        .route(
            "/v1/data_sources/{id}/templates",
            get(data_sources::templates),
        )
        .route("/v1/users", get(users::list_all))
        .route("/v1/users/me", get(users::me))
        .route("/v1/users/{id}", get(users::retrieve))
        .route(
            "/v1/comments",
            get(comments::list_comments).post(comments::create),
        )
        .route(
            "/v1/oauth/authorize",
            get(oauth::authorize_page).post(oauth::authorize_submit),
        )
        .route("/v1/oauth/token", post(oauth::token))
        .route("/v1/oauth/introspect", post(oauth::introspect))
        .route("/v1/oauth/revoke", post(oauth::revoke))
        .merge(control::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(fallback)
        .layer(middleware::from_fn_with_state(emu.clone(), api_middleware))
        .layer(DefaultBodyLimit::max(8 * 1024 * 1024))
        .with_state(emu)
}

async fn fallback() -> Response {
    ApiError::invalid_request_url().into_response()
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

async fn api_middleware(State(emu): State<Emulator>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_emulator") {
        return next.run(req).await;
    }
    let method = req.method().as_str().to_string();
    let matched = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let ctx = RequestContext {
        request_id: new_id(),
        method: method.clone(),
        path: path.clone(),
    };
    let request_id = ctx.request_id.clone();
    let span = tracing::debug_span!("api", %request_id, %method, route = matched.as_deref().unwrap_or("unmatched"));
    let mut response = REQUEST
        .scope(
            ctx,
            gatekeeper(emu.clone(), method, path, matched, req, next),
        )
        .instrument(span.clone())
        .await;
    span.in_scope(|| tracing::debug!(status = response.status().as_u16(), "answered"));
    if response.status() == StatusCode::TOO_MANY_REQUESTS {
        emu.counters_mut().record_rate_limited();
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

async fn gatekeeper(
    emu: Emulator,
    method: String,
    path: String,
    matched: Option<String>,
    mut req: Request,
    next: Next,
) -> Response {
    let endpoint = format!("{method} {}", matched.as_deref().unwrap_or("<unmatched>"));
    let bearer = bearer_token(req.headers());
    let grant_id = bearer.as_deref().and_then(|t| emu.auth().grant_id_of(t));
    {
        let mut counters = emu.counters_mut();
        counters.record_request(&endpoint);
        if let Some(g) = &grant_id {
            counters.record_token(g);
        }
    }
    let fault = emu.faults().take_request_fault(&method, &path);
    let mut status_after_apply = None;
    match fault {
        Some(FaultKind::Status(status)) => return ApiError::from_status(status).into_response(),
        Some(FaultKind::Hang(duration)) => tokio::time::sleep(duration).await,
        Some(FaultKind::StatusAfterApply(status)) => status_after_apply = Some(status),
        _ => {}
    }
    if matched.is_none() || path.starts_with("/v1/oauth/") {
        return next.run(req).await;
    }
    if !req.headers().contains_key("notion-version") {
        return ApiError::missing_version().into_response();
    }
    let Some(caller) = bearer.as_deref().and_then(|t| emu.authenticate(t)) else {
        return ApiError::unauthorized().into_response();
    };
    if let Err(retry_after) = emu.limiter().check(&caller.grant_id, Instant::now()) {
        return ApiError::rate_limited(retry_after).into_response();
    }
    req.extensions_mut().insert(caller);
    let response = next.run(req).await;
    match status_after_apply {
        Some(status) => ApiError::from_status(status).into_response(),
        None => response,
    }
}

// ---------------------------------------------------------------------- helpers for handlers

/// A JSON object body (empty body = `{}`); 500 KB cap; `invalid_json` otherwise.
pub(crate) fn parse_body(bytes: &Bytes) -> Result<Value, ApiError> {
    crate::validate::body_size(bytes.len())?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ApiError::invalid_json())?;
    if !value.is_object() {
        return Err(ApiError::validation(
            "body failed validation: body should be an object.",
        ));
    }
    Ok(value)
}

/// A path id in dashed lowercase form, or the validation error naming `path.<param>`.
pub(crate) fn path_id(raw: &str, param: &str) -> Result<String, ApiError> {
    normalize_id(raw).ok_or_else(|| ApiError::invalid_path_id(param, raw))
}

/// Query string pairs (repeated keys kept).
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

pub(crate) fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Start position of a listing from `start_cursor`.
pub(crate) fn cursor_start(
    emu: &Emulator,
    raw: Option<&str>,
    scope: &str,
) -> Result<usize, ApiError> {
    let Some(raw) = raw.filter(|s| !s.is_empty()) else {
        return Ok(0);
    };
    if let Some((method, path)) = current_method_path()
        && emu.faults().take_cursor_expiry(&method, &path)
    {
        return Err(ApiError::invalid_cursor());
    }
    Cursor::decode(raw, scope, emu.cursor_epoch())
        .map(|c| c.position)
        .map_err(|_| ApiError::invalid_cursor())
}

/// Pagination parameters from a query string or a body.
pub(crate) struct Paging {
    pub start: usize,
    pub page_size: usize,
}

pub(crate) fn paging_from_query(
    emu: &Emulator,
    pairs: &[(String, String)],
    scope: &str,
) -> Result<Paging, ApiError> {
    let size = query_value(pairs, "page_size").map(|s| Value::String(s.to_string()));
    let page_size = parse_page_size(size.as_ref(), "query")?;
    let start = cursor_start(emu, query_value(pairs, "start_cursor"), scope)?;
    Ok(Paging { start, page_size })
}

pub(crate) fn paging_from_body(
    emu: &Emulator,
    body: &Value,
    scope: &str,
) -> Result<Paging, ApiError> {
    let page_size = parse_page_size(body.get("page_size"), "body")?;
    let start = cursor_start(emu, body["start_cursor"].as_str(), scope)?;
    Ok(Paging { start, page_size })
}

pub(crate) fn page_window(
    emu: &Emulator,
    total: usize,
    paging: &Paging,
    scope: &str,
) -> PageWindow {
    window(
        total,
        paging.start,
        paging.page_size,
        scope,
        emu.cursor_epoch(),
    )
}

/// Whether the caller's grant sees `id`.
pub(crate) fn visible(ws: &Workspace, scope: &GrantScope, id: &str) -> bool {
    ws.kind_of(id).is_some() && scope.can_see(ws, id)
}
