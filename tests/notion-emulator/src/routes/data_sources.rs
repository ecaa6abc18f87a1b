//! `/v1/data_sources`: retrieve, create, update, query, templates.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::response::IntoResponse;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{page_window, paging_from_body, paging_from_query, parse_body, path_id, query_pairs};
use crate::auth::Caller;
use crate::emulator::Emulator;
use crate::error::{ApiError, ApiResult, ok};
use crate::json_shapes::list;
use crate::ops::{self, Actor};

pub(super) async fn retrieve(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = path_id(&raw, "data_source_id")?;
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    if !ws.data_sources.contains_key(&id) || !scope.can_see(&ws, &id) {
        return Err(emu.not_found("data_source", &id));
    }
    ok(ws
        .render_data_source(&id)
        .ok_or_else(|| emu.not_found("data_source", &id))?)
}

pub(super) async fn create(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let Some(raw_db) = body["parent"]["database_id"].as_str() else {
        return Err(ApiError::validation(
            "body failed validation: body.parent.database_id should be defined, instead was `undefined`.",
        ));
    };
    let db = crate::ids::normalize_id(raw_db)
        .ok_or_else(|| ApiError::validation(format!("body failed validation: body.parent.database_id should be a valid uuid, instead was `\"{raw_db}\"`.")))?;
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (ds, events) = {
        let mut ws = emu.world_mut();
        if !ws.databases.contains_key(&db) || !scope.can_see(&ws, &db) {
            return Err(emu.not_found("database", &db));
        }
        ops::create_data_source(&mut ws, &db, &body, &now, &actor)?
    };
    emu.emit(events);
    ok(ds)
}

pub(super) async fn update(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = path_id(&raw, "data_source_id")?;
    let body = parse_body(&body)?;
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (ds, events) = {
        let mut ws = emu.world_mut();
        if !ws.data_sources.contains_key(&id) || !scope.can_see(&ws, &id) {
            return Err(emu.not_found("data_source", &id));
        }
        ops::update_data_source(&mut ws, &id, &body, &now, &actor)?
    };
    emu.emit(events);
    ok(ds)
}

pub(super) async fn query(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> ApiResult {
    let id = path_id(&raw, "data_source_id")?;
    let body = parse_body(&body)?;
    let scope_key = format!("query:{id}");
    let paging = paging_from_body(&emu, &body, &scope_key)?;
    let in_trash = body["in_trash"].as_bool().unwrap_or(false);
    let pairs = query_pairs(query.as_deref());
    let wanted: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "filter_properties" || k == "filter_properties[]")
        .map(|(_, v)| crate::input::decode(v))
        .collect();
    let now = crate::clock::parse_timestamp(&emu.now_minute())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    if !ws.data_sources.contains_key(&id) || !scope.can_see(&ws, &id) {
        return Err(emu.not_found("data_source", &id));
    }
    let mut rows = Vec::new();
    for row_id in ws.rows_of(&id) {
        let Some(page) = ws.pages.get(row_id) else {
            continue;
        };
        if (page["in_trash"] == true) != in_trash || !scope.can_see(&ws, row_id) {
            continue;
        }
        if crate::query::matches(&body["filter"], page, now)? {
            rows.push(page);
        }
    }
    crate::query::sort_rows(&mut rows, &body["sorts"])?;
    let limit = emu.config().query_result_limit;
    let reachable = rows.len().min(limit);
    let w = page_window(&emu, reachable, &paging, &scope_key);
    let results: Vec<Value> = rows[w.start..w.end]
        .iter()
        .filter_map(|r| r["id"].as_str().and_then(|rid| ws.render_page(rid)))
        .map(|mut p| {
            if !wanted.is_empty()
                && let Some(props) = p["properties"].as_object_mut()
            {
                props.retain(|_, v| {
                    v["id"]
                        .as_str()
                        .is_some_and(|pid| wanted.contains(&crate::input::decode(pid)))
                });
            }
            p
        })
        .collect();
    let mut response = list(results, w.next_cursor.clone(), "page_or_data_source");
    if w.next_cursor.is_none() && rows.len() > limit {
        response["request_status"] =
            json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"});
    }
    ok(response)
}

pub(super) async fn templates(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let id = path_id(&raw, "data_source_id")?;
    let pairs = query_pairs(query.as_deref());
    let scope_key = format!("templates:{id}");
    let paging = paging_from_query(&emu, &pairs, &scope_key)?;
    let name = super::query_value(&pairs, "name").map(str::to_lowercase);
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    if !ws.data_sources.contains_key(&id) || !scope.can_see(&ws, &id) {
        return Err(emu.not_found("data_source", &id));
    }
    let all: Vec<Value> = ws
        .templates
        .get(&id)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| {
            name.as_deref().is_none_or(|n| {
                t["name"]
                    .as_str()
                    .is_some_and(|tn| tn.to_lowercase().contains(n))
            })
        })
        .collect();
    let w = page_window(&emu, all.len(), &paging, &scope_key);
    // Recorded responses of this endpoint carry no `object` and no `request_id`.
    Ok(axum::Json(json!({
        "templates": all[w.start..w.end].to_vec(),
        "has_more": w.next_cursor.is_some(),
        "next_cursor": w.next_cursor,
    }))
    .into_response())
}
