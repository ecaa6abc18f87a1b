//! Block changes: appends with positions, updates, deletes.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::ids::new_id;
use crate::input::{self, NewBlock};
use crate::json_shapes::{self as shapes};
use crate::webhooks::PendingEvent;
use crate::workspace::{Workspace, stamp_edit};

use super::pages::set_page_trash;
use super::{Actor, Position, content_events, event, event_parent, touch_page};

/// Creates blocks under `container` from `index` (end when `None`); answers the first-level ids.
pub fn insert_new_blocks(
    ws: &mut Workspace,
    container: &str,
    blocks: Vec<NewBlock>,
    index: Option<usize>,
    now: &str,
    actor: &Actor,
) -> Vec<String> {
    let parent = if ws.pages.contains_key(container) {
        shapes::parent_page(container)
    } else {
        shapes::parent_block(container)
    };
    let mut ids = Vec::with_capacity(blocks.len());
    for (offset, b) in blocks.into_iter().enumerate() {
        let id = new_id();
        let doc = shapes::block(&id, parent.clone(), now, &actor.id, &b.kind, b.payload);
        ws.insert_block(container, doc, index.map(|i| i + offset));
        insert_new_blocks(ws, &id, b.children, None, now, actor);
        ids.push(id);
    }
    ids
}

/// `PATCH /v1/blocks/{id}/children`.
pub fn append_blocks(
    ws: &mut Workspace,
    container: &str,
    blocks: Vec<NewBlock>,
    position: Position,
    now: &str,
    actor: &Actor,
) -> Result<(Vec<String>, Vec<PendingEvent>), ApiError> {
    if !ws.pages.contains_key(container) && !ws.blocks.contains_key(container) {
        return Err(ApiError::validation(format!(
            "Block {container} cannot have children."
        )));
    }
    let index = match position {
        Position::End => None,
        Position::Start => Some(0),
        Position::After(after) => {
            let pos = ws.raw_children(container).iter().position(|c| *c == after).ok_or_else(|| {
                ApiError::validation(format!("body failed validation: body.position.after_block.id should be a child of {container}, instead was `\"{after}\"`."))
            })?;
            Some(pos + 1)
        }
    };
    let ids = insert_new_blocks(ws, container, blocks, index, now, actor);
    if let Some(block) = ws.blocks.get_mut(container) {
        stamp_edit(block, now, &actor.id);
    }
    let mut events = Vec::new();
    if let Some(page) = ws.owning_page(container) {
        touch_page(ws, &page, now, actor);
        events = content_events(ws, &page, &ids, actor);
    }
    Ok((ids, events))
}

/// `PATCH /v1/blocks/{id}`.
pub fn update_block(
    ws: &mut Workspace,
    id: &str,
    body: &Value,
    now: &str,
    actor: &Actor,
) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if ws.pages.contains_key(id) || ws.databases.contains_key(id) {
        return Err(ApiError::validation(
            "Use the page or database endpoints to update child pages and databases.",
        ));
    }
    let Some(block) = ws.blocks.get(id).cloned() else {
        return Err(ApiError::validation(format!("Block {id} does not exist.")));
    };
    let kind = block["type"].as_str().unwrap_or_default().to_string();
    let Some(map) = body.as_object() else {
        return Err(ApiError::validation(
            "body failed validation: body should be an object.",
        ));
    };
    for key in map.keys() {
        if input::WRITABLE_BLOCK_TYPES.contains(&key.as_str()) && *key != kind {
            return Err(ApiError::validation(format!(
                "body failed validation: body.{key} should be not present: the block is a `{kind}` block."
            )));
        }
    }
    let mut updated = block.clone();
    if let Some(changes) = map.get(&kind).and_then(Value::as_object) {
        for (key, value) in changes {
            let path = format!("body.{kind}.{key}");
            let converted = match key.as_str() {
                "rich_text" | "caption" => {
                    crate::validate::rich_text(value, &path)?;
                    input::rich_text_from_request(ws, value, &path)?
                }
                "cells" => {
                    let cells = value.as_array().cloned().unwrap_or_default();
                    Value::Array(
                        cells
                            .iter()
                            .enumerate()
                            .map(|(i, c)| {
                                input::rich_text_from_request(ws, c, &format!("{path}[{i}]"))
                            })
                            .collect::<Result<Vec<_>, _>>()?,
                    )
                }
                "children" => continue,
                _ => value.clone(),
            };
            if let Some(payload) = updated.get_mut(&kind).and_then(Value::as_object_mut) {
                payload.insert(key.clone(), converted);
            }
        }
    }
    if let Some(t) = map.get("in_trash").and_then(Value::as_bool) {
        updated["in_trash"] = json!(t);
    }
    stamp_edit(&mut updated, now, &actor.id);
    ws.blocks.insert(id.to_string(), updated);
    let mut events = Vec::new();
    if let Some(page) = ws.owning_page(id) {
        touch_page(ws, &page, now, actor);
        events = content_events(ws, &page, &[id.to_string()], actor);
    }
    Ok((ws.render_block(id).unwrap_or(Value::Null), events))
}

/// `DELETE /v1/blocks/{id}`: moves to the trash (child pages and databases too).
pub fn delete_block(
    ws: &mut Workspace,
    id: &str,
    now: &str,
    actor: &Actor,
) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if ws.pages.contains_key(id) {
        let events = set_page_trash(ws, id, true, now, actor);
        return Ok((ws.render_block(id).unwrap_or(Value::Null), events));
    }
    if let Some(db) = ws.databases.get_mut(id) {
        db["in_trash"] = json!(true);
        stamp_edit(db, now, &actor.id);
        let events = vec![event(
            "database.deleted",
            "database",
            id,
            json!({"parent": event_parent(ws, id)}),
            actor,
        )];
        return Ok((ws.render_block(id).unwrap_or(Value::Null), events));
    }
    let Some(block) = ws.blocks.get_mut(id) else {
        return Err(ApiError::validation(format!("Block {id} does not exist.")));
    };
    block["in_trash"] = json!(true);
    stamp_edit(block, now, &actor.id);
    let mut events = Vec::new();
    if let Some(page) = ws.owning_page(id) {
        touch_page(ws, &page, now, actor);
        events = content_events(ws, &page, &[id.to_string()], actor);
    }
    Ok((ws.render_block(id).unwrap_or(Value::Null), events))
}
