//! `/v1/comments`: list unresolved comments of a page or block, create comments.

use axum::Extension;
use axum::extract::{RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::{page_window, paging_from_query, parse_body, query_pairs, query_value, visible};
use crate::auth::Caller;
use crate::emulator::Emulator;
use crate::error::{ApiError, ApiResult, ok};
use crate::json_shapes::{list, parent_target};
use crate::ops::{self, Actor};

pub(super) async fn list_comments(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let pairs = query_pairs(query.as_deref());
    let Some(raw) = query_value(&pairs, "block_id") else {
        return Err(ApiError::validation(
            "query failed validation: query.block_id should be defined, instead was `undefined`.",
        ));
    };
    let id = crate::ids::normalize_id(raw)
        .ok_or_else(|| ApiError::validation(format!("query failed validation: query.block_id should be a valid uuid, instead was `\"{raw}\"`.")))?;
    let scope_key = format!("comments:{id}");
    let paging = paging_from_query(&emu, &pairs, &scope_key)?;
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    if !visible(&ws, &scope, &id) {
        return Err(emu.not_found("block", &id));
    }
    let found: Vec<Value> = ws
        .comments
        .iter()
        .filter(|c| {
            parent_target(&c["parent"]).as_deref() == Some(id.as_str()) && c["resolved"] != true
        })
        .cloned()
        .collect();
    let w = page_window(&emu, found.len(), &paging, &scope_key);
    ok(list(
        found[w.start..w.end].to_vec(),
        w.next_cursor,
        "comment",
    ))
}

pub(super) async fn create(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let rich_req = match (body.get("rich_text"), body["markdown"].as_str()) {
        (Some(r), _) => {
            crate::validate::rich_text(r, "body.rich_text")?;
            r.clone()
        }
        (None, Some(md)) => Value::Array(crate::markdown_input::inline(md)),
        (None, None) => {
            return Err(ApiError::validation(
                "body failed validation: body.rich_text should be defined, instead was `undefined`.",
            ));
        }
    };
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let name = emu.config().integration_name.clone();
    let (comment, events) = {
        let mut ws = emu.world_mut();
        let rich = crate::input::rich_text_from_request(&ws, &rich_req, "body.rich_text")?;
        let (parent, discussion) = if let Some(d) = body["discussion_id"].as_str() {
            let existing = ws
                .comments
                .iter()
                .find(|c| c["discussion_id"] == d)
                .map(|c| c["parent"].clone());
            match existing {
                Some(p) => (p, Some(d.to_string())),
                None => return Err(emu.not_found("discussion", d)),
            }
        } else if let Some(p) = body["parent"]["page_id"].as_str() {
            let id = crate::emulator::normalize(p);
            (json!({"type": "page_id", "page_id": id}), None)
        } else if let Some(b) = body["parent"]["block_id"].as_str() {
            let id = crate::emulator::normalize(b);
            (json!({"type": "block_id", "block_id": id}), None)
        } else {
            return Err(ApiError::validation(
                "body failed validation: body.parent or body.discussion_id should be defined.",
            ));
        };
        let target = parent_target(&parent).unwrap_or_default();
        if !visible(&ws, &scope, &target) {
            return Err(emu.not_found(
                if parent["type"] == "block_id" {
                    "block"
                } else {
                    "page"
                },
                &target,
            ));
        }
        let page_id = ws.owning_page(&target).unwrap_or_else(|| target.clone());
        let new = ops::NewComment {
            parent,
            page_id,
            discussion_id: discussion,
            rich_text: rich,
            display_name: name,
        };
        ops::create_comment(&mut ws, new, &now, &actor)
    };
    emu.emit(events);
    ok(comment)
}
