//! Changes to the workspace, shared by the HTTP API and the control API. Each change stamps
//! `last_edited_*` and returns the webhook events it causes. Access checks happen in the routes.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::json_shapes::{self as shapes};
use crate::webhooks::PendingEvent;
use crate::workspace::{Workspace, stamp_edit};

mod blocks;
mod comments;
mod databases;
mod pages;

pub use blocks::{append_blocks, delete_block, insert_new_blocks, update_block};
pub use comments::{NewComment, create_comment};
pub use databases::{
    create_data_source, create_database, schema_from_request, update_data_source, update_database,
};
pub use pages::{
    create_page, empty_property, move_page, set_page_trash, set_title, update_page,
    update_page_properties,
};

/// Who makes a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    /// `person` or `bot`.
    pub kind: &'static str,
}

impl Actor {
    pub fn person(id: &str) -> Actor {
        Actor {
            id: id.to_string(),
            kind: "person",
        }
    }
    pub fn bot(id: &str) -> Actor {
        Actor {
            id: id.to_string(),
            kind: "bot",
        }
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
    DataSource {
        data_source_id: String,
        database_id: String,
    },
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
            ParentRef::DataSource {
                data_source_id,
                database_id,
            } => shapes::parent_data_source(data_source_id, database_id),
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
        return Ok(ParentRef::DataSource {
            data_source_id: id,
            database_id,
        });
    }
    if let Some(id) = id_of("database_id")? {
        let sources = ws.data_sources_of(&id);
        return match sources.len() {
            0 => Ok(ParentRef::DataSource {
                data_source_id: String::new(),
                database_id: id,
            }),
            1 => Ok(ParentRef::DataSource {
                data_source_id: sources[0].clone(),
                database_id: id,
            }),
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
        Some("data_source_id") => {
            json!({"id": parent["database_id"], "type": "database", "data_source_id": parent["data_source_id"]})
        }
        Some("database_id") => json!({"id": parent["database_id"], "type": "database"}),
        _ => json!({"id": ws.id(), "type": "space"}),
    }
}

pub(crate) fn event(
    kind: &str,
    entity_type: &str,
    id: &str,
    data: Value,
    actor: &Actor,
) -> PendingEvent {
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
pub(crate) fn content_events(
    ws: &Workspace,
    page_id: &str,
    blocks: &[String],
    actor: &Actor,
) -> Vec<PendingEvent> {
    let updated: Vec<Value> = blocks
        .iter()
        .map(|b| json!({"id": b, "type": "block"}))
        .collect();
    vec![event(
        "page.content_updated",
        "page",
        page_id,
        json!({"parent": event_parent(ws, page_id), "updated_blocks": updated}),
        actor,
    )]
}

pub(crate) fn row_events(ws: &Workspace, page_id: &str, actor: &Actor) -> Vec<PendingEvent> {
    let Some(page) = ws.pages.get(page_id) else {
        return vec![];
    };
    let Some(ds) = page["parent"]["data_source_id"].as_str() else {
        return vec![];
    };
    let db = page["parent"]["database_id"].as_str().unwrap_or_default();
    vec![event(
        "data_source.content_updated",
        "data_source",
        ds,
        json!({"parent": {"id": db, "type": "database"}, "updated_blocks": [{"id": page_id, "type": "page"}]}),
        actor,
    )]
}

/// Page icon/cover values: `null` clears; objects are kept as given.
pub(crate) fn icon_or_cover(v: &Value) -> Value {
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
