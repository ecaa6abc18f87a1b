//! `/v1/blocks`: retrieve, update, delete, list and append children.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::Value;

use super::{page_window, paging_from_query, parse_body, path_id, query_pairs, visible};
use crate::auth::Caller;
use crate::emulator::Emulator;
use crate::error::{ApiError, ApiResult, ok};
use crate::json_shapes::list;
use crate::ops::{self, Actor, Position};

pub(super) async fn retrieve(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = path_id(&raw, "block_id")?;
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    let is_block =
        ws.blocks.contains_key(&id) || ws.pages.contains_key(&id) || ws.databases.contains_key(&id);
    if !is_block || !scope.can_see(&ws, &id) {
        return Err(emu.not_found("block", &id));
    }
    ok(ws
        .render_block(&id)
        .ok_or_else(|| emu.not_found("block", &id))?)
}

pub(super) async fn update(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = path_id(&raw, "block_id")?;
    let body = parse_body(&body)?;
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (block, events) = {
        let mut ws = emu.world_mut();
        if !visible(&ws, &scope, &id) || ws.data_sources.contains_key(&id) {
            return Err(emu.not_found("block", &id));
        }
        if ws.blocks.get(&id).is_some_and(|b| b["in_trash"] == true)
            && body.get("in_trash").and_then(Value::as_bool) != Some(false)
        {
            return Err(ApiError::validation(
                "Can't edit block that is archived. You must unarchive the block before editing.",
            ));
        }
        ops::update_block(&mut ws, &id, &body, &now, &actor)?
    };
    emu.emit(events);
    ok(block)
}

pub(super) async fn delete(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = path_id(&raw, "block_id")?;
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (block, events) = {
        let mut ws = emu.world_mut();
        if !visible(&ws, &scope, &id) || ws.data_sources.contains_key(&id) {
            return Err(emu.not_found("block", &id));
        }
        ops::delete_block(&mut ws, &id, &now, &actor)?
    };
    emu.emit(events);
    ok(block)
}

pub(super) async fn children(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let id = path_id(&raw, "block_id")?;
    let scope = emu.scope_of(&caller);
    let pairs = query_pairs(query.as_deref());
    let scope_key = format!("children:{id}");
    let paging = paging_from_query(&emu, &pairs, &scope_key)?;
    let ws = emu.world();
    if !visible(&ws, &scope, &id) || ws.data_sources.contains_key(&id) {
        return Err(emu.not_found("block", &id));
    }
    let ids = ws.live_children(&id);
    let w = page_window(&emu, ids.len(), &paging, &scope_key);
    let results: Vec<Value> = ids[w.start..w.end]
        .iter()
        .filter_map(|c| ws.render_block(c))
        .collect();
    ok(list(results, w.next_cursor, "block"))
}

pub(super) async fn append(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = path_id(&raw, "block_id")?;
    let body = parse_body(&body)?;
    if body.get("after").is_some() {
        return Err(ApiError::validation(
            "body failed validation: body.after should be not present. Use `position` (Notion-Version 2026-03-11).",
        ));
    }
    let Some(children) = body.get("children") else {
        return Err(ApiError::validation(
            "body failed validation: body.children should be defined, instead was `undefined`.",
        ));
    };
    crate::validate::children(children, "body.children")?;
    let position = Position::from_request(body.get("position"), "body.position")?;
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (results, events) = {
        let mut ws = emu.world_mut();
        if !visible(&ws, &scope, &id)
            || ws.data_sources.contains_key(&id)
            || ws.databases.contains_key(&id)
        {
            return Err(emu.not_found("block", &id));
        }
        if ws
            .pages
            .get(&id)
            .or_else(|| ws.blocks.get(&id))
            .is_some_and(|b| b["in_trash"] == true)
        {
            return Err(ApiError::validation(
                "Can't edit block that is archived. You must unarchive the block before editing.",
            ));
        }
        let items = children.as_array().cloned().unwrap_or_default();
        let blocks = crate::input::blocks_from_request(&ws, &items, "children")?;
        let (ids, events) = ops::append_blocks(&mut ws, &id, blocks, position, &now, &actor)?;
        let rendered: Vec<Value> = ids.iter().filter_map(|c| ws.render_block(c)).collect();
        (rendered, events)
    };
    emu.emit(events);
    ok(list(results, None, "block"))
}
