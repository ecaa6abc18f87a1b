//! OAuth for the public integration: consent page, token exchange with rotating refresh tokens,
//! introspection and revocation.

use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};

use super::query_pairs;
use crate::auth::GrantScope;
use crate::emulator::Emulator;
use crate::error::{ApiError, current_request_id};
use crate::ids::secret_eq;
use crate::json_shapes::{page_title, plain_text};

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "request_id": current_request_id()})),
    )
        .into_response()
}

/// `302 Found` with a `Location`, as Notion's authorize step answers.
fn found(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

fn html_error(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><title>Error</title><p>{}</p>",
            escape(message)
        )),
    )
        .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> Option<String> {
    let mut url = url::Url::parse(base).ok()?;
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    Some(url.to_string())
}

fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn truthy(v: Option<&str>) -> bool {
    matches!(v, Some("1" | "true" | "yes"))
}

pub(super) async fn authorize_page(
    State(emu): State<Emulator>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = query_pairs(query.as_deref());
    let app = emu.oauth_app();
    if pair(&pairs, "client_id") != Some(app.client_id.as_str()) {
        return html_error("Unknown client_id.");
    }
    if pair(&pairs, "response_type") != Some("code") {
        return html_error("response_type must be `code`.");
    }
    let Some(redirect_uri) = pair(&pairs, "redirect_uri").filter(|u| url::Url::parse(u).is_ok())
    else {
        return html_error("redirect_uri is missing or not a URL.");
    };
    let state = pair(&pairs, "state").unwrap_or_default();
    if emu.auto_approve() || truthy(pair(&pairs, "auto_approve")) {
        let code = emu
            .auth()
            .new_code(GrantScope::everything(), Some(redirect_uri));
        return match with_query(redirect_uri, &[("code", &code), ("state", state)]) {
            Some(to) => found(&to),
            None => html_error("redirect_uri is not a URL."),
        };
    }
    let ws = emu.world();
    let mut items = String::new();
    for id in ws.top_level_ids() {
        let title = ws
            .pages
            .get(&id)
            .map(page_title)
            .or_else(|| ws.databases.get(&id).map(|d| plain_text(&d["title"])))
            .unwrap_or_default();
        let kind = if ws.databases.contains_key(&id) {
            "database"
        } else {
            "page"
        };
        items.push_str(&format!(
            "<li><label><input type=\"checkbox\" name=\"share\" value=\"{id}\" checked> {} <small>({kind})</small></label></li>\n",
            escape(&title)
        ));
    }
    let page = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Connect to {name}</title></head>\n<body>\n\
         <h1>{integration} wants to access {name}</h1>\n\
         <form method=\"post\" action=\"/v1/oauth/authorize\">\n\
         <input type=\"hidden\" name=\"client_id\" value=\"{client}\">\n\
         <input type=\"hidden\" name=\"redirect_uri\" value=\"{redirect}\">\n\
         <input type=\"hidden\" name=\"state\" value=\"{state}\">\n\
         <p>Select pages to share:</p>\n<ul>\n{items}</ul>\n\
         <button type=\"submit\" name=\"decision\" value=\"approve\">Allow access</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button>\n\
         </form>\n</body></html>\n",
        name = escape(ws.name()),
        integration = escape(&emu.config().integration_name),
        client = escape(&app.client_id),
        redirect = escape(redirect_uri),
        state = escape(state),
    );
    Html(page).into_response()
}

pub(super) async fn authorize_submit(State(emu): State<Emulator>, body: Bytes) -> Response {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if pair(&pairs, "client_id") != Some(emu.oauth_app().client_id.as_str()) {
        return html_error("Unknown client_id.");
    }
    let Some(redirect_uri) = pair(&pairs, "redirect_uri").filter(|u| url::Url::parse(u).is_ok())
    else {
        return html_error("redirect_uri is missing or not a URL.");
    };
    let state = pair(&pairs, "state").unwrap_or_default();
    let target = if pair(&pairs, "decision") == Some("approve") {
        let shared = pairs
            .iter()
            .filter(|(k, _)| k == "share")
            .filter_map(|(_, v)| crate::ids::normalize_id(v));
        let code = emu
            .auth()
            .new_code(GrantScope::roots(shared), Some(redirect_uri));
        with_query(redirect_uri, &[("code", &code), ("state", state)])
    } else {
        with_query(
            redirect_uri,
            &[("error", "access_denied"), ("state", state)],
        )
    };
    match target {
        Some(to) => found(&to),
        None => html_error("redirect_uri is not a URL."),
    }
}

/// Checks `Authorization: Basic base64(client_id:client_secret)`.
fn client_authenticated(emu: &Emulator, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return false;
    };
    let Some((id, secret)) = text.split_once(':') else {
        return false;
    };
    let app = emu.oauth_app();
    secret_eq(id, &app.client_id) & secret_eq(secret, &app.client_secret)
}

/// JSON body, or a form body as a fallback.
fn oauth_body(body: &Bytes) -> Result<Value, ApiError> {
    if let Ok(v) = serde_json::from_slice::<Value>(body)
        && v.is_object()
    {
        return Ok(v);
    }
    let pairs: serde_json::Map<String, Value> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    if pairs.is_empty() {
        return Err(ApiError::invalid_json());
    }
    Ok(Value::Object(pairs))
}

pub(super) async fn token(
    State(emu): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !client_authenticated(&emu, &headers) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let body = match oauth_body(&body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let ws_id = emu.workspace_id();
    let result = match body["grant_type"].as_str() {
        Some("authorization_code") => {
            let Some(code) = body["code"].as_str() else {
                return ApiError::validation(
                    "body failed validation: body.code should be defined, instead was `undefined`.",
                )
                .into_response();
            };
            emu.auth()
                .exchange_code(code, body["redirect_uri"].as_str(), emu.bot_id(), &ws_id)
        }
        Some("refresh_token") => {
            let Some(refresh) = body["refresh_token"].as_str() else {
                return ApiError::validation("body failed validation: body.refresh_token should be defined, instead was `undefined`.").into_response();
            };
            emu.auth()
                .refresh(refresh, emu.config().refresh_grace, Instant::now(), &ws_id)
        }
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!(
                "grant_type should be `authorization_code` or `refresh_token`, instead was `{}`.",
                other.unwrap_or("undefined")
            ),
        )),
    };
    let grant = match result {
        Ok(g) => g,
        Err(e) => return e.into_response(),
    };
    let ws = emu.world();
    let owner = ws.owner();
    let body = json!({
        "access_token": grant.access_token,
        "token_type": "bearer",
        "refresh_token": grant.refresh_token,
        "bot_id": grant.bot_id,
        "workspace_name": ws.name(),
        "workspace_icon": ws.icon(),
        "workspace_id": ws.id(),
        "owner": {"type": "user", "user": owner},
        "duplicated_template_id": null,
        "request_id": current_request_id(),
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

pub(super) async fn introspect(
    State(emu): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !client_authenticated(&emu, &headers) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let body = match oauth_body(&body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let token = body["token"].as_str().unwrap_or_default();
    let (active, iat) = emu.auth().introspect(token, Instant::now());
    let response = if active {
        json!({
            "active": true,
            "scope": "read_content insert_content update_content read_user_with_email read_user_without_email",
            "iat": iat,
            "request_id": current_request_id(),
        })
    } else {
        json!({"active": false, "request_id": current_request_id()})
    };
    (StatusCode::OK, axum::Json(response)).into_response()
}

pub(super) async fn revoke(
    State(emu): State<Emulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !client_authenticated(&emu, &headers) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let body = match oauth_body(&body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    if let Some(token) = body["token"].as_str() {
        emu.auth().revoke(token);
    }
    (
        StatusCode::OK,
        axum::Json(json!({"request_id": current_request_id()})),
    )
        .into_response()
}
