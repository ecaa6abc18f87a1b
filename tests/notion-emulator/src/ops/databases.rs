//! Database and data source changes, schemas from request definitions.

use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::ids::new_id;
use crate::input::{self};
use crate::json_shapes::{self as shapes, plain_text};
use crate::webhooks::PendingEvent;
use crate::workspace::{Workspace, stamp_edit};

use super::{Actor, ParentRef, content_events, event, event_parent, icon_or_cover, touch_page};

fn prop_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789;:?@";
    let bytes = uuid::Uuid::new_v4();
    let raw: String = bytes.as_bytes()[..4]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

/// A schema from request property definitions (`{"Name": {"title": {}}, "Tags": {"multi_select": {"options": [...]}}}`).
pub fn schema_from_request(
    ws: &Workspace,
    props: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for (name, def) in props {
        if def.is_null() {
            continue;
        }
        let kind = def["type"].as_str().map(str::to_string).or_else(|| {
            def.as_object().and_then(|m| {
                m.keys()
                    .find(|k| !["name", "description", "id"].contains(&k.as_str()))
                    .cloned()
            })
        });
        let Some(kind) = kind else {
            return Err(ApiError::validation(format!(
                "body failed validation: body.properties.{name} should define a property type."
            )));
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
            let ds = config["data_source_id"]
                .as_str()
                .map(crate::emulator::normalize)
                .unwrap_or_default();
            let db = ws.database_of(&ds).unwrap_or_default();
            let rtype = config["type"]
                .as_str()
                .unwrap_or("single_property")
                .to_string();
            config = json!({"database_id": db, "data_source_id": ds, "type": rtype, rtype.clone(): config.get(&rtype).cloned().unwrap_or(json!({}))});
        }
        let id = if kind == "title" {
            "title".to_string()
        } else {
            prop_id()
        };
        let mut p = Map::new();
        p.insert("id".into(), json!(id));
        p.insert("name".into(), json!(name));
        p.insert(
            "description".into(),
            def.get("description").cloned().unwrap_or(Value::Null),
        );
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
pub fn create_database(
    ws: &mut Workspace,
    parent: &ParentRef,
    body: &Value,
    now: &str,
    actor: &Actor,
) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    if matches!(parent, ParentRef::DataSource { .. }) {
        return Err(ApiError::validation(
            "body failed validation: body.parent should be a page_id or workspace parent.",
        ));
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
    let mut ds = shapes::data_source(
        &ds_id,
        &id,
        now,
        &actor.id,
        &plain_text(&title),
        Value::Object(schema),
    );
    ds["title"] = title;
    ws.insert_data_source(ds);
    let mut events = vec![event(
        "database.created",
        "database",
        &id,
        json!({"parent": event_parent(ws, &id)}),
        actor,
    )];
    events.push(event(
        "data_source.created",
        "data_source",
        &ds_id,
        json!({"parent": {"id": id, "type": "database"}}),
        actor,
    ));
    if let Some(p) = parent.target()
        && let Some(owner) = ws.owning_page(p)
    {
        touch_page(ws, &owner, now, actor);
        events.extend(content_events(ws, &owner, std::slice::from_ref(&id), actor));
    }
    Ok((ws.render_database(&id).unwrap_or(Value::Null), events))
}

/// `PATCH /v1/databases/{id}`.
pub fn update_database(
    ws: &mut Workspace,
    id: &str,
    body: &Value,
    now: &str,
    actor: &Actor,
) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    let title = rich_or_title(ws, body.get("title"), "body.title")?;
    let description = rich_or_title(ws, body.get("description"), "body.description")?;
    let Some(db) = ws.databases.get_mut(id) else {
        return Err(ApiError::validation(format!(
            "Database {id} does not exist."
        )));
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
    let events = vec![event(
        kind,
        "database",
        id,
        json!({"parent": event_parent(ws, id)}),
        actor,
    )];
    Ok((ws.render_database(id).unwrap_or(Value::Null), events))
}

/// `POST /v1/data_sources` (parent `{database_id}`).
pub fn create_data_source(
    ws: &mut Workspace,
    database_id: &str,
    body: &Value,
    now: &str,
    actor: &Actor,
) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    let title = rich_or_title(ws, body.get("title"), "body.title")?.unwrap_or_else(|| json!([]));
    let props = body["properties"].as_object().cloned().unwrap_or_default();
    let schema = schema_from_request(ws, &props)?;
    let id = new_id();
    let mut ds = shapes::data_source(
        &id,
        database_id,
        now,
        &actor.id,
        &plain_text(&title),
        Value::Object(schema),
    );
    ds["title"] = title;
    if let Some(icon) = body.get("icon") {
        ds["icon"] = icon_or_cover(icon);
    }
    ws.insert_data_source(ds);
    let events = vec![event(
        "data_source.created",
        "data_source",
        &id,
        json!({"parent": {"id": database_id, "type": "database"}}),
        actor,
    )];
    Ok((ws.render_data_source(&id).unwrap_or(Value::Null), events))
}

/// `PATCH /v1/data_sources/{id}`: title, icon, in_trash, and properties to add, rename (`{name}`)
/// or remove (`null`).
pub fn update_data_source(
    ws: &mut Workspace,
    id: &str,
    body: &Value,
    now: &str,
    actor: &Actor,
) -> Result<(Value, Vec<PendingEvent>), ApiError> {
    let title = rich_or_title(ws, body.get("title"), "body.title")?;
    let mut additions = Map::new();
    let mut changes: Vec<Value> = Vec::new();
    let schema = ws
        .data_sources
        .get(id)
        .and_then(|d| d["properties"].as_object())
        .cloned()
        .unwrap_or_default();
    let mut new_schema = schema.clone();
    if let Some(props) = body["properties"].as_object() {
        for (key, def) in props {
            let existing =
                input::find_schema_property(&schema, key).map(|(n, p)| (n.clone(), p.clone()));
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
        return Err(ApiError::validation(format!(
            "Data source {id} does not exist."
        )));
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
    let events = vec![event(
        "data_source.schema_updated",
        "data_source",
        id,
        json!({"parent": {"id": db, "type": "database"}, "updated_properties": changes}),
        actor,
    )];
    Ok((ws.render_data_source(id).unwrap_or(Value::Null), events))
}
