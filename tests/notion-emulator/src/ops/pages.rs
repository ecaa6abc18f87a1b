//! Page changes: create (children or Markdown), properties, trash, move, erase.

use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::ids::new_id;
use crate::input::{self, NewBlock};
use crate::json_shapes::{self as shapes, page_title, plain_text, text};
use crate::webhooks::PendingEvent;
use crate::workspace::Workspace;

use super::blocks::insert_new_blocks;
use super::{
    Actor, ParentRef, Position, content_events, event, event_parent, icon_or_cover, row_events,
    touch_page,
};

/// `POST /v1/pages` once the parent is resolved and visible.
pub fn create_page(
    ws: &mut Workspace,
    parent: &ParentRef,
    body: &Value,
    now: &str,
    actor: &Actor,
) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    let props_req = body["properties"].as_object().cloned().unwrap_or_default();
    let has_children = body.get("children").is_some_and(|c| !c.is_null());
    let markdown = body["markdown"].as_str();
    if has_children && markdown.is_some() {
        return Err(ApiError::validation(
            "body failed validation: `children` and `markdown` are mutually exclusive.",
        ));
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
                return Err(ApiError::validation(
                    "The database has no data source to create a page in.",
                ));
            }
            let mut converted = input::row_properties_from_request(ws, data_source_id, &props_req)?;
            let schema = ws.data_sources[data_source_id]["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            // Every schema property appears on the row, empty when not given.
            let mut props = Map::new();
            for (name, def) in &schema {
                let value = converted
                    .remove(name)
                    .unwrap_or_else(|| empty_property(def));
                props.insert(name.clone(), value);
            }
            if let Some(title_name) = schema
                .iter()
                .find(|(_, d)| d["type"] == "title")
                .map(|(n, _)| n.clone())
                && let Some(md) = md_title.take()
                && props[&title_name]["title"]
                    .as_array()
                    .is_some_and(Vec::is_empty)
            {
                props[&title_name]["title"] = json!([text(&md)]);
            }
            let unique = schema
                .iter()
                .find(|(_, d)| d["type"] == "unique_id")
                .map(|(n, d)| (n.clone(), d["unique_id"]["prefix"].clone()));
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
                None => json!(md_title.take().map(|t| vec![text(&t)]).unwrap_or_default()),
            };
            let t = plain_text(&rich);
            (input::title_property(rich), t)
        }
    };
    // A Markdown h1 that did not become the title stays in the body.
    if let Some(h1) = md_title {
        let heading = json!({"rich_text": [text(&h1)], "is_toggleable": false, "color": "default"});
        blocks.insert(
            0,
            NewBlock {
                kind: "heading_1".to_string(),
                payload: heading,
                children: Vec::new(),
            },
        );
    }
    let mut page = shapes::page(&id, parent.json(), now, &actor.id, properties, &title);
    if let Some(icon) = body.get("icon") {
        page["icon"] = icon_or_cover(icon);
    }
    if let Some(cover) = body.get("cover") {
        page["cover"] = icon_or_cover(cover);
    }
    let index = match (
        &parent,
        Position::from_request(body.get("position"), "body.position")?,
    ) {
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
    let mut events = vec![event(
        "page.created",
        "page",
        &id,
        json!({"parent": event_parent(ws, &id)}),
        actor,
    )];
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
pub fn update_page_properties(
    ws: &mut Workspace,
    id: &str,
    props: &Value,
    now: &str,
    actor: &Actor,
) -> Result<Vec<PendingEvent>, ApiError> {
    let Some(req) = props.as_object() else {
        return Err(ApiError::validation(
            "body failed validation: body.properties should be an object.",
        ));
    };
    let parent = ws
        .pages
        .get(id)
        .map(|p| p["parent"].clone())
        .unwrap_or(Value::Null);
    let converted = if let Some(ds) = parent["data_source_id"].as_str() {
        input::row_properties_from_request(ws, ds, req)?
    } else {
        match input::page_title_from_request(ws, req)? {
            Some(rich) => input::title_property(rich)
                .as_object()
                .cloned()
                .unwrap_or_default(),
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
pub fn set_title(
    ws: &mut Workspace,
    id: &str,
    title: &str,
    now: &str,
    actor: &Actor,
) -> Vec<PendingEvent> {
    let Some(page) = ws.pages.get(id) else {
        return vec![];
    };
    let name = page["properties"]
        .as_object()
        .and_then(|p| {
            p.iter()
                .find(|(_, v)| v["type"] == "title")
                .map(|(k, _)| k.clone())
        })
        .unwrap_or_else(|| "title".to_string());
    let req = json!({name: {"title": [{"text": {"content": title}}]}});
    update_page_properties(ws, id, &req, now, actor).unwrap_or_default()
}

/// Trashes or restores a page.
pub fn set_page_trash(
    ws: &mut Workspace,
    id: &str,
    in_trash: bool,
    now: &str,
    actor: &Actor,
) -> Vec<PendingEvent> {
    let Some(page) = ws.pages.get_mut(id) else {
        return vec![];
    };
    if page["in_trash"] == in_trash {
        return vec![];
    }
    page["in_trash"] = json!(in_trash);
    touch_page(ws, id, now, actor);
    let kind = if in_trash {
        "page.deleted"
    } else {
        "page.undeleted"
    };
    let mut events = vec![event(
        kind,
        "page",
        id,
        json!({"parent": event_parent(ws, id)}),
        actor,
    )];
    events.extend(row_events(ws, id, actor));
    events
}

/// `PATCH /v1/pages/{id}`.
pub fn update_page(
    ws: &mut Workspace,
    id: &str,
    body: &Value,
    now: &str,
    actor: &Actor,
) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if body.get("archived").is_some() {
        return Err(ApiError::validation(
            "body failed validation: body.archived should be not present. Use `in_trash`.",
        ));
    }
    if let Some(props) = body.get("properties") {
        crate::validate::properties(props)?;
    }
    let mut events = Vec::new();
    if let Some(props) = body
        .get("properties")
        .filter(|p| p.as_object().is_some_and(|m| !m.is_empty()))
    {
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
            events.push(event(
                "page.properties_updated",
                "page",
                id,
                json!({"parent": event_parent(ws, id), "updated_properties": []}),
                actor,
            ));
        }
    }
    if body.get("erase_content").and_then(Value::as_bool) == Some(true) {
        let removed: Vec<String> = ws
            .raw_children(id)
            .iter()
            .filter(|c| !ws.pages.contains_key(*c) && !ws.databases.contains_key(*c))
            .cloned()
            .collect();
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
pub fn move_page(
    ws: &mut Workspace,
    id: &str,
    parent: &ParentRef,
    now: &str,
    actor: &Actor,
) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if parent.target() == Some(id) {
        return Err(ApiError::validation("A page cannot be moved into itself."));
    }
    if let Some(target) = parent.target() {
        let mut cur = Some(target.to_string());
        while let Some(c) = cur {
            if c == id {
                return Err(ApiError::validation(
                    "A page cannot be moved into its own descendant.",
                ));
            }
            cur = ws.parent_of(&c);
        }
    }
    let title = ws.pages.get(id).map(page_title).unwrap_or_default();
    ws.unlink_page(id);
    let new_props = match parent {
        ParentRef::DataSource { data_source_id, .. } => {
            let schema = ws
                .data_sources
                .get(data_source_id)
                .and_then(|d| d["properties"].as_object())
                .cloned()
                .unwrap_or_default();
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
    let events = vec![event(
        "page.moved",
        "page",
        id,
        json!({"parent": event_parent(ws, id)}),
        actor,
    )];
    Ok((ws.render_page(id).unwrap_or(Value::Null), events))
}
