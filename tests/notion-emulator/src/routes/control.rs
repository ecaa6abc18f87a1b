//! The control API under `/_emulator` (not part of Notion): simulate user edits, sharing, faults,
//! limits, clock, webhooks; read counters; dump the workspace. JSON in and out, no auth: bind it
//! to loopback only.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::config::{RateLimit, WebhookTarget};
use crate::emulator::Emulator;
use crate::faults::{Fault, FaultKind};

pub(super) fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/_emulator/health",
            get(|| async { Json(json!({"ok": true})) }),
        )
        .route("/_emulator/info", get(info))
        .route("/_emulator/workspace", get(workspace))
        .route("/_emulator/grants", post(grant))
        .route("/_emulator/authorization_codes", post(authorization_code))
        .route("/_emulator/share", post(share))
        .route("/_emulator/unshare", post(unshare))
        .route("/_emulator/revoke", post(revoke))
        .route("/_emulator/pages", post(create_page))
        .route("/_emulator/pages/{id}/title", post(edit_title))
        .route("/_emulator/pages/{id}/properties", post(edit_properties))
        .route("/_emulator/pages/{id}/append", post(append))
        .route("/_emulator/pages/{id}/trash", post(trash))
        .route("/_emulator/faults", post(add_fault))
        .route("/_emulator/faults", delete(clear_faults).get(list_faults))
        .route("/_emulator/rate_limit", post(rate_limit))
        .route("/_emulator/counters", get(counters))
        .route("/_emulator/counters/reset", post(reset_counters))
        .route("/_emulator/clock/advance", post(advance_clock))
        .route("/_emulator/cursors/expire", post(expire_cursors))
        .route("/_emulator/auto_approve", post(auto_approve))
        .route("/_emulator/webhook", post(set_webhook))
        .route("/_emulator/webhook/verify", post(verify_webhook))
        .route("/_emulator/webhook/events", get(webhook_events))
}

fn bad(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response()
}

fn body_json(body: &Bytes) -> Result<Value, Box<Response>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|_| Box::new(bad("body is not JSON")))
}

fn done() -> Response {
    Json(json!({"ok": true})).into_response()
}

async fn info(State(emu): State<Emulator>) -> Response {
    let (pages, blocks) = emu.sizes();
    Json(json!({
        "workspace_id": emu.workspace_id(),
        "workspace_name": emu.workspace_name(),
        "client_id": emu.oauth_app().client_id,
        "bot_id": emu.bot_id(),
        "top_level_ids": emu.top_level_ids(),
        "database_ids": emu.database_ids(),
        "data_source_ids": emu.data_source_ids(),
        "pages": pages,
        "blocks": blocks,
    }))
    .into_response()
}

async fn workspace(State(emu): State<Emulator>) -> Response {
    Json(emu.workspace_json()).into_response()
}

fn ids_of(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

async fn grant(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let g = match ids_of(&body["shared_ids"]) {
        Some(ids) => emu.grant(&ids.iter().map(String::as_str).collect::<Vec<_>>()),
        None => emu.grant_all(),
    };
    Json(json!({
        "access_token": g.access_token,
        "refresh_token": g.refresh_token,
        "bot_id": g.bot_id,
        "workspace_id": g.workspace_id,
        "grant_id": g.grant_id,
    }))
    .into_response()
}

async fn authorization_code(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let ids = ids_of(&body["shared_ids"]);
    let refs: Option<Vec<&str>> = ids.as_ref().map(|v| v.iter().map(String::as_str).collect());
    let code = emu.authorization_code(
        refs.as_deref(),
        body["redirect_uri"].as_str().unwrap_or_default(),
    );
    Json(json!({"code": code})).into_response()
}

fn grant_key(body: &Value) -> Option<String> {
    body["access_token"]
        .as_str()
        .or_else(|| body["grant_id"].as_str())
        .map(str::to_string)
}

async fn share(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match (grant_key(&body), body["id"].as_str()) {
        (Some(key), Some(id)) => {
            emu.share(&key, id);
            done()
        }
        _ => bad("need access_token (or grant_id) and id"),
    }
}

async fn unshare(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match (grant_key(&body), body["id"].as_str()) {
        (Some(key), Some(id)) => {
            emu.unshare(&key, id);
            done()
        }
        _ => bad("need access_token (or grant_id) and id"),
    }
}

async fn revoke(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match body["access_token"].as_str() {
        Some(t) => {
            emu.revoke(t);
            done()
        }
        None => bad("need access_token"),
    }
}

async fn create_page(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let title = body["title"].as_str().unwrap_or("Untitled");
    match emu.create_page(body["parent_page_id"].as_str(), title) {
        Ok(id) => Json(json!({"id": id})).into_response(),
        Err(e) => bad(&e.message),
    }
}

async fn edit_title(State(emu): State<Emulator>, Path(id): Path<String>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match body["title"].as_str() {
        Some(t) => {
            emu.edit_page_title(&id, t);
            done()
        }
        None => bad("need title"),
    }
}

async fn edit_properties(
    State(emu): State<Emulator>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match emu.update_properties(&id, &body["properties"]) {
        Ok(()) => done(),
        Err(e) => bad(&e.message),
    }
}

async fn append(State(emu): State<Emulator>, Path(id): Path<String>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    match body["text"].as_str() {
        Some(t) => {
            emu.append_paragraph(&id, t);
            done()
        }
        None => bad("need text"),
    }
}

async fn trash(State(emu): State<Emulator>, Path(id): Path<String>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    emu.trash_page(&id, body["in_trash"].as_bool().unwrap_or(true));
    done()
}

/// `{"count":1,"kind":"status","status":503}`, `{"kind":"hang","millis":2000}`,
/// `{"kind":"expire_cursor"}`, `{"kind":"status_after_apply","status":504}` (applied, then
/// answered with the status); optional `path_prefix`, `method`.
async fn add_fault(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let kind = match body["kind"].as_str() {
        Some("status") => match body["status"].as_u64().and_then(|s| u16::try_from(s).ok()) {
            Some(s) => FaultKind::Status(s),
            None => return bad("status fault needs `status`"),
        },
        Some("hang") => FaultKind::Hang(Duration::from_millis(
            body["millis"].as_u64().unwrap_or(1_000),
        )),
        Some("expire_cursor") => FaultKind::ExpireCursor,
        Some("status_after_apply") => {
            match body["status"].as_u64().and_then(|s| u16::try_from(s).ok()) {
                Some(s) => FaultKind::StatusAfterApply(s),
                None => return bad("status_after_apply fault needs `status`"),
            }
        }
        _ => return bad("kind must be status, hang, expire_cursor or status_after_apply"),
    };
    emu.fail_next(Fault {
        count: body["count"]
            .as_u64()
            .and_then(|c| u32::try_from(c).ok())
            .unwrap_or(1),
        kind,
        path_prefix: body["path_prefix"].as_str().map(str::to_string),
        method: body["method"].as_str().map(str::to_ascii_uppercase),
    });
    done()
}

async fn clear_faults(State(emu): State<Emulator>) -> Response {
    emu.clear_faults();
    done()
}

async fn list_faults(State(emu): State<Emulator>) -> Response {
    let faults: Vec<Value> = emu
        .faults()
        .pending()
        .into_iter()
        .map(|f| json!({"count": f.count, "kind": format!("{:?}", f.kind), "path_prefix": f.path_prefix, "method": f.method}))
        .collect();
    Json(json!({"faults": faults})).into_response()
}

/// `{"requests_per_second":3,"burst":10}`, or `{}`/`null` for unlimited.
async fn rate_limit(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let limit = body["requests_per_second"].as_f64().map(|rps| RateLimit {
        requests_per_second: rps,
        burst: body["burst"]
            .as_u64()
            .and_then(|b| u32::try_from(b).ok())
            .unwrap_or(1),
    });
    emu.set_rate_limit(limit);
    done()
}

async fn counters(State(emu): State<Emulator>) -> Response {
    Json(json!(emu.counters())).into_response()
}

async fn reset_counters(State(emu): State<Emulator>) -> Response {
    emu.reset_counters();
    done()
}

async fn advance_clock(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    emu.advance_clock(body["minutes"].as_i64().unwrap_or(1));
    done()
}

async fn expire_cursors(State(emu): State<Emulator>) -> Response {
    emu.expire_cursors();
    done()
}

async fn auto_approve(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    emu.set_auto_approve(body["enabled"].as_bool().unwrap_or(true));
    done()
}

/// `{"url":"http://...","verification_token":"secret_..."}`, or `{"url":null}` to stop.
async fn set_webhook(State(emu): State<Emulator>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let target = body["url"].as_str().map(|url| WebhookTarget {
        url: url.to_string(),
        verification_token: body["verification_token"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    });
    emu.set_webhook(target);
    done()
}

async fn verify_webhook(State(emu): State<Emulator>) -> Response {
    match emu.send_webhook_verification().await {
        Ok(status) => Json(json!({"status": status})).into_response(),
        Err(e) => bad(&e),
    }
}

async fn webhook_events(State(emu): State<Emulator>) -> Response {
    Json(json!({"events": emu.webhook_events(), "deliveries": emu.webhook_deliveries()}))
        .into_response()
}
