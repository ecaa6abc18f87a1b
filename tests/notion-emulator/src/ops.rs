//! Changes to the workspace, shared by the HTTP API and the control API. Each change stamps
//! `last_edited_*` and returns the webhook events it causes. Access checks happen in the routes.

use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::ids::new_id;
use crate::input::{self, NewBlock};
use crate::json_shapes::{self as shapes, page_title, parent_target, plain_text, text};
use crate::webhooks::PendingEvent;
use crate::workspace::{Workspace, stamp_edit};

/// Who makes a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    /// `person` or `bot`.
    pub kind: &'static str,
}

impl Actor {
    pub fn person(id: &str) -> Actor {
        Actor { id: id.to_string(), kind: "person" }
    }
    pub fn bot(id: &str) -> Actor {
        Actor { id: id.to_string(), kind: "bot" }
    }
}

/// Where appended blocks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    Start,
    End,
    After(String),
}

impl Position {
    /// Parses `{"type":"start"|"end"|"page_start"|"page_end"|"after_block","after_block":{"id"}}`.
    pub fn from_request(v: Option<&Value>, path: &str) -> Result<Position, ApiError> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(Position::End);
        };
        match v["type"].as_str() {
            Some("start") | Some("page_start") => Ok(Position::Start),
            Some("end") | Some("page_end") => Ok(Position::End),
            Some("after_block") => v["after_block"]["id"]
                .as_str()
                .map(|id| Position::After(crate::emulator::normalize(id)))
                .ok_or_else(|| ApiError::validation(format!("body failed validation: {path}.after_block.id should be defined, instead was `undefined`."))),
            _ => Err(ApiError::validation(format!(
                "body failed validation: {path}.type should be one of `\"start\"`, `\"end\"`, `\"after_block\"`, instead was `{}`.",
                v["type"]
            ))),
        }
    }
}

/// Where a new page goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentRef {
    Workspace,
    Page(String),
    Block(String),
    DataSource { data_source_id: String, database_id: String },
}

impl ParentRef {
    /// The id whose visibility decides access (`None` for the workspace).
    pub fn target(&self) -> Option<&str> {
        match self {
            ParentRef::Workspace => None,
            ParentRef::Page(id) | ParentRef::Block(id) => Some(id),
            ParentRef::DataSource { data_source_id, .. } => Some(data_source_id),
        }
    }

    pub fn json(&self) -> Value {
        match self {
            ParentRef::Workspace => shapes::parent_workspace(),
            ParentRef::Page(id) => shapes::parent_page(id),
            ParentRef::Block(id) => shapes::parent_block(id),
            ParentRef::DataSource { data_source_id, database_id } => shapes::parent_data_source(data_source_id, database_id),
        }
    }
}

/// Reads a request `parent` (`page_id` | `data_source_id` | `database_id` (single source only) |
/// `block_id` | `workspace`). Unknown ids answer `None` in the error slot for the route to 404.
pub fn resolve_parent(ws: &Workspace, parent: &Value) -> Result<ParentRef, ApiError> {
    let id_of = |key: &str| -> Result<Option<String>, ApiError> {
        match parent.get(key).and_then(Value::as_str) {
            None => Ok(None),
            Some(raw) => crate::ids::normalize_id(raw)
                .map(Some)
                .ok_or_else(|| ApiError::validation(format!("body failed validation: body.parent.{key} should be a valid uuid, instead was `\"{raw}\"`."))),
        }
    };
    if let Some(id) = id_of("page_id")? {
        return Ok(ParentRef::Page(id));
    }
    if let Some(id) = id_of("data_source_id")? {
        let database_id = ws.database_of(&id).unwrap_or_default();
        return Ok(ParentRef::DataSource { data_source_id: id, database_id });
    }
    if let Some(id) = id_of("database_id")? {
        let sources = ws.data_sources_of(&id);
        return match sources.len() {
            0 => Ok(ParentRef::DataSource { data_source_id: String::new(), database_id: id }),
            1 => Ok(ParentRef::DataSource { data_source_id: sources[0].clone(), database_id: id }),
            n => Err(ApiError::validation(format!(
                "Database {id} has {n} data sources. Use a `data_source_id` parent to choose one."
            ))),
        };
    }
    if let Some(id) = id_of("block_id")? {
        return Ok(ParentRef::Block(id));
    }
    if parent.get("workspace").is_some() || parent["type"] == "workspace" {
        return Ok(ParentRef::Workspace);
    }
    Err(ApiError::validation(
        "body failed validation: body.parent should define one of `page_id`, `data_source_id`, `database_id` or `workspace`.",
    ))
}

/// The `data.parent` of a webhook event about `id`.
pub fn event_parent(ws: &Workspace, id: &str) -> Value {
    let parent = ws
        .pages
        .get(id)
        .map(|p| p["parent"].clone())
        .or_else(|| ws.databases.get(id).map(|d| d["parent"].clone()))
        .or_else(|| ws.blocks.get(id).map(|b| b["parent"].clone()))
        .unwrap_or(Value::Null);
    match parent["type"].as_str() {
        Some("page_id") => json!({"id": parent["page_id"], "type": "page"}),
        Some("block_id") => json!({"id": parent["block_id"], "type": "block"}),
        Some("data_source_id") => json!({"id": parent["database_id"], "type": "database", "data_source_id": parent["data_source_id"]}),
        Some("database_id") => json!({"id": parent["database_id"], "type": "database"}),
        _ => json!({"id": ws.id(), "type": "space"}),
    }
}

fn event(kind: &str, entity_type: &str, id: &str, data: Value, actor: &Actor) -> PendingEvent {
    PendingEvent::new(kind, entity_type, id, data, &actor.id, actor.kind)
}

/// Stamps a page as edited and refreshes its computed properties.
pub fn touch_page(ws: &mut Workspace, page_id: &str, now: &str, actor: &Actor) {
    if let Some(page) = ws.pages.get_mut(page_id) {
        stamp_edit(page, now, &actor.id);
    }
    ws.refresh_computed(page_id);
}

/// The events for a content change under `page_id`.
fn content_events(ws: &Workspace, page_id: &str, blocks: &[String], actor: &Actor) -> Vec<PendingEvent> {
    let updated: Vec<Value> = blocks.iter().map(|b| json!({"id": b, "type": "block"})).collect();
    vec![event(
        "page.content_updated",
        "page",
        page_id,
        json!({"parent": event_parent(ws, page_id), "updated_blocks": updated}),
        actor,
    )]
}

fn row_events(ws: &Workspace, page_id: &str, actor: &Actor) -> Vec<PendingEvent> {
    let Some(page) = ws.pages.get(page_id) else { return vec![] };
    let Some(ds) = page["parent"]["data_source_id"].as_str() else { return vec![] };
    let db = page["parent"]["database_id"].as_str().unwrap_or_default();
    vec![event(
        "data_source.content_updated",
        "data_source",
        ds,
        json!({"parent": {"id": db, "type": "database"}, "updated_blocks": [{"id": page_id, "type": "page"}]}),
        actor,
    )]
}

/// Creates blocks under `container` from `index` (end when `None`); answers the first-level ids.
pub fn insert_new_blocks(ws: &mut Workspace, container: &str, blocks: Vec<NewBlock>, index: Option<usize>, now: &str, actor: &Actor) -> Vec<String> {
    let parent = if ws.pages.contains_key(container) { shapes::parent_page(container) } else { shapes::parent_block(container) };
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
pub fn append_blocks(ws: &mut Workspace, container: &str, blocks: Vec<NewBlock>, position: Position, now: &str, actor: &Actor) -> Result<(Vec<String>, Vec<PendingEvent>), ApiError> {
    if !ws.pages.contains_key(container) && !ws.blocks.contains_key(container) {
        return Err(ApiError::validation(format!("Block {container} cannot have children.")));
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

/// Page icon/cover values: `null` clears; objects are kept as given.
fn icon_or_cover(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            if let Some(url) = m.get("external").and_then(|e| e["url"].as_str()) {
                json!({"type": "external", "external": {"url": url}})
            } else if let Some(e) = m.get("emoji").and_then(Value::as_str) {
                json!({"type": "emoji", "emoji": e})
            } else {
                v.clone()
            }
        }
        _ => Value::Null,
    }
}

/// `POST /v1/pages` once the parent is resolved and visible.
pub fn create_page(ws: &mut Workspace, parent: &ParentRef, body: &Value, now: &str, actor: &Actor) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    let props_req = body["properties"].as_object().cloned().unwrap_or_default();
    let has_children = body.get("children").is_some_and(|c| !c.is_null());
    let markdown = body["markdown"].as_str();
    if has_children && markdown.is_some() {
        return Err(ApiError::validation("body failed validation: `children` and `markdown` are mutually exclusive."));
    }
    let mut md_title = None;
    let mut blocks = match (body.get("children").and_then(Value::as_array), markdown) {
        (Some(children), _) => input::blocks_from_request(ws, children, "children")?,
        (None, Some(md)) => {
            let converted = crate::markdown_input::to_blocks(md);
            md_title = converted.title;
            input::blocks_from_request(ws, &converted.blocks, "markdown")?
        }
        _ => Vec::new(),
    };
    let id = new_id();
    let (properties, title) = match parent {
        ParentRef::DataSource { data_source_id, .. } => {
            if !ws.data_sources.contains_key(data_source_id) {
                return Err(ApiError::validation("The database has no data source to create a page in."));
            }
            let mut converted = input::row_properties_from_request(ws, data_source_id, &props_req)?;
            let schema = ws.data_sources[data_source_id]["properties"].as_object().cloned().unwrap_or_default();
            // Every schema property appears on the row, empty when not given.
            let mut props = Map::new();
            for (name, def) in &schema {
                let value = converted.remove(name).unwrap_or_else(|| empty_property(def));
                props.insert(name.clone(), value);
            }
            if let Some(title_name) = schema.iter().find(|(_, d)| d["type"] == "title").map(|(n, _)| n.clone())
                && let Some(md) = md_title.take()
                && props[&title_name]["title"].as_array().is_some_and(Vec::is_empty)
            {
                props[&title_name]["title"] = json!([text(&md)]);
            }
            let unique = schema.iter().find(|(_, d)| d["type"] == "unique_id").map(|(n, d)| (n.clone(), d["unique_id"]["prefix"].clone()));
            if let Some((name, prefix)) = unique {
                let next = ws.rows_of(data_source_id).len() + 1;
                props[&name]["unique_id"] = json!({"prefix": prefix, "number": next});
            }
            let p = Value::Object(props);
            let t = shapes::page_title(&json!({"properties": p.clone()}));
            (p, t)
        }
        _ => {
            let rich = match input::page_title_from_request(ws, &props_req)? {
                Some(r) => r,
                None => json!(md_title.as_deref().map(|t| vec![text(t)]).unwrap_or_default()),
            };
            let t = plain_text(&rich);
            (input::title_property(rich), t)
        }
    };
    let mut page = shapes::page(&id, parent.json(), now, &actor.id, properties, &title);
    if let Some(icon) = body.get("icon") {
        page["icon"] = icon_or_cover(icon);
    }
    if let Some(cover) = body.get("cover") {
        page["cover"] = icon_or_cover(cover);
    }
    let index = match (&parent, Position::from_request(body.get("position"), "body.position")?) {
        (ParentRef::Page(p) | ParentRef::Block(p), Position::After(after)) => {
            let pos = ws.raw_children(p).iter().position(|c| *c == after).ok_or_else(|| {
                ApiError::validation(format!("body failed validation: body.position.after_block.id should be a child of {p}."))
            })?;
            Some(pos + 1)
        }
        (_, Position::Start) => Some(0),
        _ => None,
    };
    ws.insert_page(page, index);
    ws.refresh_computed(&id);
    let children = std::mem::take(&mut blocks);
    insert_new_blocks(ws, &id, children, None, now, actor);
    let mut events = vec![event("page.created", "page", &id, json!({"parent": event_parent(ws, &id)}), actor)];
    match parent {
        ParentRef::Page(p) | ParentRef::Block(p) => {
            if let Some(owner) = ws.owning_page(p) {
                touch_page(ws, &owner, now, actor);
                events.extend(content_events(ws, &owner, std::slice::from_ref(&id), actor));
            }
        }
        ParentRef::DataSource { .. } => events.extend(row_events(ws, &id, actor)),
        ParentRef::Workspace => {}
    }
    let rendered = ws.render_page(&id).unwrap_or(Value::Null);
    Ok((rendered, events))
}

/// The empty value of a schema property on a new row.
pub fn empty_property(def: &Value) -> Value {
    let kind = def["type"].as_str().unwrap_or_default();
    let value = match kind {
        "title" | "rich_text" | "multi_select" | "people" | "files" | "relation" => json!([]),
        "checkbox" => json!(false),
        "formula" => json!({"type": "number", "number": null}),
        "created_by" | "last_edited_by" => json!({}),
        "button" => json!({}),
        "rollup" => json!({"type": "number", "number": 0, "function": "count"}),
        "unique_id" => json!({"prefix": def["unique_id"]["prefix"], "number": null}),
        _ => Value::Null,
    };
    let mut m = Map::new();
    m.insert("id".into(), def["id"].clone());
    m.insert("type".into(), json!(kind));
    m.insert(kind.to_string(), value);
    if kind == "relation" {
        m.insert("has_more".into(), json!(false));
    }
    Value::Object(m)
}

/// Sets properties of a page (row or ordinary page).
pub fn update_page_properties(ws: &mut Workspace, id: &str, props: &Value, now: &str, actor: &Actor) -> Result<Vec<PendingEvent>, ApiError> {
    let Some(req) = props.as_object() else {
        return Err(ApiError::validation("body failed validation: body.properties should be an object."));
    };
    let parent = ws.pages.get(id).map(|p| p["parent"].clone()).unwrap_or(Value::Null);
    let converted = if let Some(ds) = parent["data_source_id"].as_str() {
        input::row_properties_from_request(ws, ds, req)?
    } else {
        match input::page_title_from_request(ws, req)? {
            Some(rich) => input::title_property(rich).as_object().cloned().unwrap_or_default(),
            None => Map::new(),
        }
    };
    let mut changed = Vec::new();
    if let Some(page) = ws.pages.get_mut(id) {
        for (name, value) in converted {
            changed.push(value["id"].as_str().unwrap_or_default().to_string());
            page["properties"][&name] = value;
        }
        let title = page_title(page);
        page["url"] = json!(shapes::object_url(&title, id));
    }
    touch_page(ws, id, now, actor);
    let mut events = vec![event(
        "page.properties_updated",
        "page",
        id,
        json!({"parent": event_parent(ws, id), "updated_properties": changed}),
        actor,
    )];
    events.extend(row_events(ws, id, actor));
    Ok(events)
}

/// Renames a page.
pub fn set_title(ws: &mut Workspace, id: &str, title: &str, now: &str, actor: &Actor) -> Vec<PendingEvent> {
    let Some(page) = ws.pages.get(id) else { return vec![] };
    let name = page["properties"]
        .as_object()
        .and_then(|p| p.iter().find(|(_, v)| v["type"] == "title").map(|(k, _)| k.clone()))
        .unwrap_or_else(|| "title".to_string());
    let req = json!({name: {"title": [{"text": {"content": title}}]}});
    update_page_properties(ws, id, &req, now, actor).unwrap_or_default()
}

/// Trashes or restores a page.
pub fn set_page_trash(ws: &mut Workspace, id: &str, in_trash: bool, now: &str, actor: &Actor) -> Vec<PendingEvent> {
    let Some(page) = ws.pages.get_mut(id) else { return vec![] };
    if page["in_trash"] == in_trash {
        return vec![];
    }
    page["in_trash"] = json!(in_trash);
    touch_page(ws, id, now, actor);
    let kind = if in_trash { "page.deleted" } else { "page.undeleted" };
    let mut events = vec![event(kind, "page", id, json!({"parent": event_parent(ws, id)}), actor)];
    events.extend(row_events(ws, id, actor));
    events
}

/// `PATCH /v1/pages/{id}`.
pub fn update_page(ws: &mut Workspace, id: &str, body: &Value, now: &str, actor: &Actor) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if body.get("archived").is_some() {
        return Err(ApiError::validation("body failed validation: body.archived should be not present. Use `in_trash`."));
    }
    if let Some(props) = body.get("properties") {
        crate::validate::properties(props)?;
    }
    let mut events = Vec::new();
    if let Some(props) = body.get("properties").filter(|p| p.as_object().is_some_and(|m| !m.is_empty())) {
        events.extend(update_page_properties(ws, id, props, now, actor)?);
    }
    let mut touched = false;
    if let Some(page) = ws.pages.get_mut(id) {
        if let Some(icon) = body.get("icon") {
            page["icon"] = icon_or_cover(icon);
            touched = true;
        }
        if let Some(cover) = body.get("cover") {
            page["cover"] = icon_or_cover(cover);
            touched = true;
        }
        for key in ["is_locked", "is_archived"] {
            if let Some(v) = body.get(key).and_then(Value::as_bool) {
                page[key] = json!(v);
                touched = true;
            }
        }
    }
    if touched {
        touch_page(ws, id, now, actor);
        if events.is_empty() {
            events.push(event("page.properties_updated", "page", id, json!({"parent": event_parent(ws, id), "updated_properties": []}), actor));
        }
    }
    if body.get("erase_content").and_then(Value::as_bool) == Some(true) {
        let removed: Vec<String> = ws.raw_children(id).iter().filter(|c| !ws.pages.contains_key(*c) && !ws.databases.contains_key(*c)).cloned().collect();
        for b in &removed {
            if let Some(block) = ws.blocks.get_mut(b) {
                block["in_trash"] = json!(true);
            }
        }
        if let Some(list) = ws.children.get_mut(id) {
            list.retain(|c| !removed.contains(c));
        }
        touch_page(ws, id, now, actor);
        events.extend(content_events(ws, id, &removed, actor));
    }
    if let Some(t) = body.get("in_trash").and_then(Value::as_bool) {
        events.extend(set_page_trash(ws, id, t, now, actor));
    }
    Ok((ws.render_page(id).unwrap_or(Value::Null), events))
}

/// `POST /v1/pages/{id}/move` once the new parent is resolved and visible.
pub fn move_page(ws: &mut Workspace, id: &str, parent: &ParentRef, now: &str, actor: &Actor) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if parent.target() == Some(id) {
        return Err(ApiError::validation("A page cannot be moved into itself."));
    }
    if let Some(target) = parent.target() {
        let mut cur = Some(target.to_string());
        while let Some(c) = cur {
            if c == id {
                return Err(ApiError::validation("A page cannot be moved into its own descendant."));
            }
            cur = ws.parent_of(&c);
        }
    }
    let title = ws.pages.get(id).map(page_title).unwrap_or_default();
    ws.unlink_page(id);
    let new_props = match parent {
        ParentRef::DataSource { data_source_id, .. } => {
            let schema = ws.data_sources.get(data_source_id).and_then(|d| d["properties"].as_object()).cloned().unwrap_or_default();
            let mut props = Map::new();
            for (name, def) in &schema {
                let mut v = empty_property(def);
                if def["type"] == "title" {
                    v["title"] = json!([text(&title)]);
                }
                props.insert(name.clone(), v);
            }
            Value::Object(props)
        }
        _ => shapes::title_properties(json!([text(&title)])),
    };
    if let Some(page) = ws.pages.get_mut(id) {
        page["parent"] = parent.json();
        page["properties"] = new_props;
    }
    ws.relink_page(id);
    touch_page(ws, id, now, actor);
    let events = vec![event("page.moved", "page", id, json!({"parent": event_parent(ws, id)}), actor)];
    Ok((ws.render_page(id).unwrap_or(Value::Null), events))
}

/// `PATCH /v1/blocks/{id}`.
pub fn update_block(ws: &mut Workspace, id: &str, body: &Value, now: &str, actor: &Actor) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if ws.pages.contains_key(id) || ws.databases.contains_key(id) {
        return Err(ApiError::validation("Use the page or database endpoints to update child pages and databases."));
    }
    let Some(block) = ws.blocks.get(id).cloned() else {
        return Err(ApiError::validation(format!("Block {id} does not exist.")));
    };
    let kind = block["type"].as_str().unwrap_or_default().to_string();
    let Some(map) = body.as_object() else {
        return Err(ApiError::validation("body failed validation: body should be an object."));
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
                    Value::Array(cells.iter().enumerate().map(|(i, c)| input::rich_text_from_request(ws, c, &format!("{path}[{i}]"))).collect::<Result<Vec<_>, _>>()?)
                }
                "children" => continue,
                _ => value.clone(),
            };
            updated[&kind][key] = converted;
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
pub fn delete_block(ws: &mut Workspace, id: &str, now: &str, actor: &Actor) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if ws.pages.contains_key(id) {
        let events = set_page_trash(ws, id, true, now, actor);
        return Ok((ws.render_block(id).unwrap_or(Value::Null), events));
    }
    if let Some(db) = ws.databases.get_mut(id) {
        db["in_trash"] = json!(true);
        stamp_edit(db, now, &actor.id);
        let events = vec![event("database.deleted", "database", id, json!({"parent": event_parent(ws, id)}), actor)];
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

fn prop_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789;:?@";
    let bytes = uuid::Uuid::new_v4();
    let raw: String = bytes.as_bytes()[..4].iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

/// A schema from request property definitions (`{"Name": {"title": {}}, "Tags": {"multi_select": {"options": [...]}}}`).
pub fn schema_from_request(ws: &Workspace, props: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for (name, def) in props {
        if def.is_null() {
            continue;
        }
        let kind = def["type"].as_str().map(str::to_string).or_else(|| {
            def.as_object().and_then(|m| m.keys().find(|k| !["name", "description", "id"].contains(&k.as_str())).cloned())
        });
        let Some(kind) = kind else {
            return Err(ApiError::validation(format!("body failed validation: body.properties.{name} should define a property type.")));
        };
        let mut config = def.get(&kind).cloned().unwrap_or_else(|| json!({}));
        if let Some(options) = config.get_mut("options").and_then(Value::as_array_mut) {
            for o in options.iter_mut() {
                if o.get("id").is_none() {
                    o["id"] = json!(new_id());
                }
                if o.get("color").is_none() {
                    o["color"] = json!("default");
                }
                if o.get("description").is_none() {
                    o["description"] = Value::Null;
                }
            }
        }
        if kind == "relation" {
            let ds = config["data_source_id"].as_str().map(crate::emulator::normalize).unwrap_or_default();
            let db = ws.database_of(&ds).unwrap_or_default();
            let rtype = config["type"].as_str().unwrap_or("single_property").to_string();
            config = json!({"database_id": db, "data_source_id": ds, "type": rtype, rtype.clone(): config.get(&rtype).cloned().unwrap_or(json!({}))});
        }
        let id = if kind == "title" { "title".to_string() } else { prop_id() };
        let mut p = Map::new();
        p.insert("id".into(), json!(id));
        p.insert("name".into(), json!(name));
        p.insert("description".into(), def.get("description").cloned().unwrap_or(Value::Null));
        p.insert("type".into(), json!(kind));
        p.insert(kind.clone(), config);
        out.insert(name.clone(), Value::Object(p));
    }
    if !out.values().any(|p| p["type"] == "title") {
        out.insert("Name".into(), json!({"id": "title", "name": "Name", "description": null, "type": "title", "title": {}}));
    }
    Ok(out)
}

fn rich_or_title(ws: &Workspace, v: Option<&Value>, path: &str) -> Result<Option<Value>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            crate::validate::rich_text(v, path)?;
            input::rich_text_from_request(ws, v, path).map(Some)
        }
    }
}

/// `POST /v1/databases` once the parent is resolved and visible.
pub fn create_database(ws: &mut Workspace, parent: &ParentRef, body: &Value, now: &str, actor: &Actor) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if matches!(parent, ParentRef::DataSource { .. }) {
        return Err(ApiError::validation("body failed validation: body.parent should be a page_id or workspace parent."));
    }
    let title = rich_or_title(ws, body.get("title"), "body.title")?.unwrap_or_else(|| json!([]));
    let id = new_id();
    let inline = body["is_inline"].as_bool().unwrap_or(false);
    let mut db = shapes::database(&id, parent.json(), now, &plain_text(&title), inline);
    db["title"] = title.clone();
    if let Some(d) = rich_or_title(ws, body.get("description"), "body.description")? {
        db["description"] = d;
    }
    for key in ["icon", "cover"] {
        if let Some(v) = body.get(key) {
            db[key] = icon_or_cover(v);
        }
    }
    let props = body["initial_data_source"]["properties"]
        .as_object()
        .or_else(|| body["properties"].as_object())
        .cloned()
        .unwrap_or_default();
    let schema = schema_from_request(ws, &props)?;
    ws.insert_database(db, None);
    let ds_id = new_id();
    let mut ds = shapes::data_source(&ds_id, &id, now, &actor.id, &plain_text(&title), Value::Object(schema));
    ds["title"] = title;
    ws.insert_data_source(ds);
    let mut events = vec![event("database.created", "database", &id, json!({"parent": event_parent(ws, &id)}), actor)];
    events.push(event("data_source.created", "data_source", &ds_id, json!({"parent": {"id": id, "type": "database"}}), actor));
    if let Some(p) = parent.target()
        && let Some(owner) = ws.owning_page(p)
    {
        touch_page(ws, &owner, now, actor);
        events.extend(content_events(ws, &owner, std::slice::from_ref(&id), actor));
    }
    Ok((ws.render_database(&id).unwrap_or(Value::Null), events))
}

/// `PATCH /v1/databases/{id}`.
pub fn update_database(ws: &mut Workspace, id: &str, body: &Value, now: &str, actor: &Actor) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    let title = rich_or_title(ws, body.get("title"), "body.title")?;
    let description = rich_or_title(ws, body.get("description"), "body.description")?;
    let Some(db) = ws.databases.get_mut(id) else {
        return Err(ApiError::validation(format!("Database {id} does not exist.")));
    };
    if let Some(t) = title {
        db["title"] = t;
    }
    if let Some(d) = description {
        db["description"] = d;
    }
    for key in ["icon", "cover"] {
        if let Some(v) = body.get(key) {
            db[key] = icon_or_cover(v);
        }
    }
    for key in ["is_inline", "in_trash", "is_locked"] {
        if let Some(v) = body.get(key).and_then(Value::as_bool) {
            db[key] = json!(v);
        }
    }
    db["last_edited_time"] = json!(now);
    let kind = match body.get("in_trash").and_then(Value::as_bool) {
        Some(true) => "database.deleted",
        Some(false) => "database.undeleted",
        None => "database.content_updated",
    };
    let events = vec![event(kind, "database", id, json!({"parent": event_parent(ws, id)}), actor)];
    Ok((ws.render_database(id).unwrap_or(Value::Null), events))
}

/// `POST /v1/data_sources` (parent `{database_id}`).
pub fn create_data_source(ws: &mut Workspace, database_id: &str, body: &Value, now: &str, actor: &Actor) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    let title = rich_or_title(ws, body.get("title"), "body.title")?.unwrap_or_else(|| json!([]));
    let props = body["properties"].as_object().cloned().unwrap_or_default();
    let schema = schema_from_request(ws, &props)?;
    let id = new_id();
    let mut ds = shapes::data_source(&id, database_id, now, &actor.id, &plain_text(&title), Value::Object(schema));
    ds["title"] = title;
    if let Some(icon) = body.get("icon") {
        ds["icon"] = icon_or_cover(icon);
    }
    ws.insert_data_source(ds);
    let events = vec![event("data_source.created", "data_source", &id, json!({"parent": {"id": database_id, "type": "database"}}), actor)];
    Ok((ws.render_data_source(&id).unwrap_or(Value::Null), events))
}

/// `PATCH /v1/data_sources/{id}`: title, icon, in_trash, and properties to add, rename (`{name}`)
/// or remove (`null`).
pub fn update_data_source(ws: &mut Workspace, id: &str, body: &Value, now: &str, actor: &Actor) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    let title = rich_or_title(ws, body.get("title"), "body.title")?;
    let mut additions = Map::new();
    let mut changes: Vec<Value> = Vec::new();
    let schema = ws.data_sources.get(id).and_then(|d| d["properties"].as_object()).cloned().unwrap_or_default();
    let mut new_schema = schema.clone();
    if let Some(props) = body["properties"].as_object() {
        for (key, def) in props {
            let existing = input::find_schema_property(&schema, key).map(|(n, p)| (n.clone(), p.clone()));
            match (existing, def) {
                (Some((name, p)), Value::Null) => {
                    new_schema.remove(&name);
                    changes.push(json!({"id": p["id"], "name": name, "action": "deleted"}));
                }
                (Some((name, mut p)), Value::Object(m)) => {
                    if let Some(new_name) = m.get("name").and_then(Value::as_str) {
                        p["name"] = json!(new_name);
                        new_schema.remove(&name);
                        new_schema.insert(new_name.to_string(), p.clone());
                    } else {
                        new_schema.insert(name.clone(), p.clone());
                    }
                    changes.push(json!({"id": p["id"], "name": p["name"], "action": "updated"}));
                }
                (None, Value::Null) => {}
                (None, d) => {
                    additions.insert(key.clone(), d.clone());
                }
                _ => {}
            }
        }
    }
    for (name, p) in schema_from_request(ws, &additions)? {
        if additions.contains_key(&name) {
            changes.push(json!({"id": p["id"], "name": name, "action": "created"}));
            new_schema.insert(name, p);
        }
    }
    let Some(ds) = ws.data_sources.get_mut(id) else {
        return Err(ApiError::validation(format!("Data source {id} does not exist.")));
    };
    if let Some(t) = title {
        ds["title"] = t;
    }
    if let Some(icon) = body.get("icon") {
        ds["icon"] = icon_or_cover(icon);
    }
    if let Some(t) = body.get("in_trash").and_then(Value::as_bool) {
        ds["in_trash"] = json!(t);
    }
    ds["properties"] = Value::Object(new_schema);
    stamp_edit(ds, now, &actor.id);
    let db = ds["parent"]["database_id"].clone();
    let events = vec![event("data_source.schema_updated", "data_source", id, json!({"parent": {"id": db, "type": "database"}, "updated_properties": changes}), actor)];
    Ok((ws.render_data_source(id).unwrap_or(Value::Null), events))
}

/// `POST /v1/comments` once the target is resolved and visible. `page_id` is the page the comment
/// lands on.
pub fn create_comment(ws: &mut Workspace, parent: Value, page_id: &str, discussion_id: Option<String>, rich: Value, display_name: &str, now: &str, actor: &Actor) -> (Value, Vec<PendingEvent>) {
    let id = new_id();
    let discussion = discussion_id.unwrap_or_else(new_id);
    let comment = json!({
        "object": "comment",
        "id": id,
        "parent": parent,
        "discussion_id": discussion,
        "created_time": now,
        "last_edited_time": now,
        "created_by": shapes::user_ref(&actor.id),
        "rich_text": rich,
        "display_name": {"type": if actor.kind == "bot" { "integration" } else { "user" }, "resolved_name": display_name},
    });
    ws.comments.push(comment.clone());
    let target_type = if parent["type"] == "block_id" { "block" } else { "page" };
    let target = parent_target(&parent).unwrap_or_default();
    let events = vec![event("comment.created", "comment", &id, json!({"page_id": page_id, "parent": {"id": target, "type": target_type}}), actor)];
    (comment, events)
}
