//! `/v1/pages`: retrieve, create, update, move, property items, markdown.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::{page_window, paging_from_query, parse_body, path_id, query_pairs, visible};
use crate::auth::Caller;
use crate::emulator::Emulator;
use crate::error::{ApiError, ApiResult, ok};
use crate::input::find_schema_property;
use crate::ops::{self, Actor, ParentRef};
use crate::workspace::Workspace;

fn parent_kind(parent: &ParentRef, ws: &Workspace) -> &'static str {
    match parent {
        ParentRef::Page(_) => "page",
        ParentRef::Block(id) if ws.pages.contains_key(id) => "page",
        ParentRef::Block(_) => "block",
        ParentRef::DataSource { data_source_id, .. } if data_source_id.is_empty() => "database",
        ParentRef::DataSource { .. } => "data_source",
        ParentRef::Workspace => "workspace",
    }
}

pub(super) async fn retrieve(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let id = path_id(&raw, "page_id")?;
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    if !ws.pages.contains_key(&id) || !scope.can_see(&ws, &id) {
        return Err(emu.not_found("page", &id));
    }
    let mut page = ws
        .render_page(&id)
        .ok_or_else(|| emu.not_found("page", &id))?;
    let pairs = query_pairs(query.as_deref());
    let wanted: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "filter_properties" || k == "filter_properties[]")
        .map(|(_, v)| crate::input::decode(v))
        .collect();
    if !wanted.is_empty()
        && let Some(props) = page["properties"].as_object_mut()
    {
        props.retain(|_, p| {
            p["id"]
                .as_str()
                .is_some_and(|pid| wanted.contains(&crate::input::decode(pid)))
        });
    }
    ok(page)
}

pub(super) async fn create(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    if let Some(props) = body.get("properties") {
        crate::validate::properties(props)?;
    }
    if let Some(children) = body.get("children").filter(|c| !c.is_null()) {
        crate::validate::children(children, "body.children")?;
    }
    if body.get("parent").is_none() {
        return Err(ApiError::validation(
            "body failed validation: body.parent should be defined, instead was `undefined`.",
        ));
    }
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (page, events) = {
        let mut ws = emu.world_mut();
        let parent = ops::resolve_parent(&ws, &body["parent"])?;
        if let Some(target) = parent.target() {
            let target = if target.is_empty() {
                body["parent"]["database_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            } else {
                target.to_string()
            };
            if !visible(&ws, &scope, &target) {
                return Err(emu.not_found(parent_kind(&parent, &ws), &target));
            }
        }
        ops::create_page(&mut ws, &parent, &body, &now, &actor)?
    };
    if body["parent"].get("workspace").is_some()
        && let Some(id) = page["id"].as_str()
        && let Some(grant) = emu.auth().grant_mut(&caller.grant_id)
    {
        grant.scope.share(id);
    }
    emu.emit(events);
    ok(page)
}

pub(super) async fn update(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = path_id(&raw, "page_id")?;
    let body = parse_body(&body)?;
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (page, events) = {
        let mut ws = emu.world_mut();
        if !ws.pages.contains_key(&id) || !scope.can_see(&ws, &id) {
            return Err(emu.not_found("page", &id));
        }
        let trashed = ws.pages[&id]["in_trash"] == true;
        let restoring = body.get("in_trash").and_then(Value::as_bool) == Some(false);
        let edits_content = ["properties", "icon", "cover", "erase_content"]
            .iter()
            .any(|k| body.get(*k).is_some());
        if trashed && edits_content && !restoring {
            return Err(ApiError::validation(
                "Can't edit block that is archived. You must unarchive the block before editing.",
            ));
        }
        ops::update_page(&mut ws, &id, &body, &now, &actor)?
    };
    emu.emit(events);
    ok(page)
}

pub(super) async fn move_page(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = path_id(&raw, "page_id")?;
    let body = parse_body(&body)?;
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (page, events) = {
        let mut ws = emu.world_mut();
        if !ws.pages.contains_key(&id) || !scope.can_see(&ws, &id) {
            return Err(emu.not_found("page", &id));
        }
        let parent = ops::resolve_parent(&ws, &body["parent"])?;
        if matches!(parent, ParentRef::Workspace) {
            return Err(ApiError::validation(
                "body failed validation: body.parent should be a page_id or data_source_id parent.",
            ));
        }
        if let Some(target) = parent.target()
            && !visible(&ws, &scope, target)
        {
            return Err(emu.not_found(parent_kind(&parent, &ws), target));
        }
        ops::move_page(&mut ws, &id, &parent, &now, &actor)?
    };
    emu.emit(events);
    ok(page)
}

const LIST_PROPERTY_TYPES: &[&str] = &["title", "rich_text", "relation", "people"];

pub(super) async fn property_item(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path((raw, property_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let id = path_id(&raw, "page_id")?;
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    if !ws.pages.contains_key(&id) || !scope.can_see(&ws, &id) {
        return Err(emu.not_found("page", &id));
    }
    let props = ws.pages[&id]["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let Some((_, prop)) = find_schema_property(&props, &property_id) else {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "object_not_found",
            format!("Could not find property with ID: {property_id}."),
        ));
    };
    let kind = prop["type"].as_str().unwrap_or_default().to_string();
    let pid = prop["id"].clone();
    if LIST_PROPERTY_TYPES.contains(&kind.as_str()) {
        let items = prop[&kind].as_array().cloned().unwrap_or_default();
        let scope_key = format!("prop:{id}:{}", pid.as_str().unwrap_or_default());
        let pairs = query_pairs(query.as_deref());
        let paging = paging_from_query(&emu, &pairs, &scope_key)?;
        let w = page_window(&emu, items.len(), &paging, &scope_key);
        let results: Vec<Value> = items[w.start..w.end]
            .iter()
            .map(|v| json!({"object": "property_item", "type": kind, "id": pid, kind.clone(): v}))
            .collect();
        let mut list = crate::json_shapes::list(results, w.next_cursor, "property_item");
        list["property_item"] =
            json!({"id": pid, "next_url": null, "type": kind, kind.clone(): {}});
        return ok(list);
    }
    if kind == "rollup" {
        let mut list = crate::json_shapes::list(vec![], None, "property_item");
        list["property_item"] =
            json!({"id": pid, "next_url": null, "type": "rollup", "rollup": prop["rollup"]});
        return ok(list);
    }
    ok(json!({"object": "property_item", "type": kind, "id": pid, kind.clone(): prop[&kind]}))
}

pub(super) async fn markdown(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = path_id(&raw, "page_id")?;
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    let known = ws.pages.contains_key(&id) || ws.blocks.contains_key(&id);
    if !known || !scope.can_see(&ws, &id) {
        return Err(emu.not_found("page", &id));
    }
    let rendered = crate::render_markdown::render(&ws, &id, emu.config().markdown_record_limit);
    ok(json!({
        "object": "page_markdown",
        "id": id,
        "markdown": rendered.markdown,
        "truncated": rendered.truncated,
        "unknown_block_ids": rendered.unknown_block_ids,
    }))
}
