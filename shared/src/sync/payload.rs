//! The JSON payloads of synced records, built from Notion objects, and their change hash.
//!
//! Payloads have one flat shape per model, with `title` always plain text. The hash ignores the
//! signature of Notion-hosted file URLs (they change on every read and expire within the hour):
//! a page whose only difference is a re-signed icon URL is unchanged and does not move the
//! change cursor.

use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::notion_time::normalize_id;
use crate::domain::{PayloadHash, RecordModel};
use crate::notion::model::{DataSource, Database, Page, RichText};

/// A page body as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageBody {
    /// The body as Notion-flavored Markdown.
    pub markdown: String,
    /// False when a limit stopped the read (reported in the run); `unfetched_block_ids` then
    /// names the subtrees left out.
    pub complete: bool,
    pub unfetched_block_ids: Vec<String>,
    /// The block tree (block objects with a `children` array), when read as blocks.
    pub blocks: Option<Value>,
}

impl PageBody {
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("format".into(), json!("markdown"));
        body.insert("markdown".into(), json!(self.markdown));
        body.insert("complete".into(), json!(self.complete));
        if !self.unfetched_block_ids.is_empty() {
            body.insert(
                "unfetched_block_ids".into(),
                json!(self.unfetched_block_ids),
            );
        }
        if let Some(blocks) = &self.blocks {
            body.insert("blocks".into(), blocks.clone());
        }
        Value::Object(body)
    }
}

/// Pages whose parent is a data source are rows; every other page is a page.
pub fn model_of(page: &Page) -> RecordModel {
    if page.data_source_id().is_some() {
        RecordModel::Row
    } else {
        RecordModel::Page
    }
}

fn value(x: &impl Serialize) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

fn opt(x: &Option<impl Serialize>) -> Value {
    x.as_ref().map_or(Value::Null, value)
}

fn user_id(user: &Option<crate::notion::model::User>) -> Value {
    user.as_ref().map_or(Value::Null, |user| json!(user.id))
}

/// A page or row. `body` is `None` when not read (rows by default) and `Some(stored)` when the
/// stored body is kept (e.g. a trashed page).
pub fn page_payload(page: &Page, body: Option<Value>) -> Value {
    let mut payload = Map::new();
    payload.insert("id".into(), json!(normalize_id(&page.id)));
    payload.insert("title".into(), json!(page.title()));
    payload.insert("parent".into(), opt(&page.parent));
    if let Some(data_source_id) = page.data_source_id() {
        payload.insert("data_source_id".into(), json!(normalize_id(data_source_id)));
        if let Some(crate::notion::model::Parent::DataSourceId {
            database_id: Some(database_id),
            ..
        }) = &page.parent
        {
            payload.insert("database_id".into(), json!(normalize_id(database_id)));
        }
    }
    payload.insert("url".into(), opt(&page.url));
    payload.insert("public_url".into(), opt(&page.public_url.clone().flatten()));
    payload.insert("icon".into(), opt(&page.icon.clone().flatten()));
    payload.insert("cover".into(), opt(&page.cover.clone().flatten()));
    payload.insert("created_time".into(), opt(&page.created_time));
    payload.insert("last_edited_time".into(), opt(&page.last_edited_time));
    payload.insert("created_by".into(), user_id(&page.created_by));
    payload.insert("last_edited_by".into(), user_id(&page.last_edited_by));
    payload.insert("in_trash".into(), json!(page.in_trash));
    if let Some(archived) = page.is_archived {
        payload.insert("is_archived".into(), json!(archived));
    }
    if let Some(locked) = page.is_locked {
        payload.insert("is_locked".into(), json!(locked));
    }
    payload.insert("properties".into(), value(&page.properties));
    payload.insert("body".into(), body.unwrap_or(Value::Null));
    Value::Object(payload)
}

fn plain(text: &Option<Vec<RichText>>) -> String {
    text.as_deref()
        .map(RichText::concat_plain_text)
        .unwrap_or_default()
}

pub fn data_source_payload(data_source: &DataSource) -> Value {
    json!({
        "id": normalize_id(&data_source.id),
        "title": data_source.title_text(),
        "title_rich_text": opt(&data_source.title),
        "description": plain(&data_source.description),
        "database_id": data_source.database_id().map(normalize_id),
        "parent": opt(&data_source.parent),
        "database_parent": opt(&data_source.database_parent),
        "is_inline": data_source.is_inline,
        "in_trash": data_source.in_trash.unwrap_or(false),
        "properties": value(&data_source.properties),
        "icon": opt(&data_source.icon.clone().flatten()),
        "cover": opt(&data_source.cover.clone().flatten()),
        "url": opt(&data_source.url),
        "created_time": opt(&data_source.created_time),
        "last_edited_time": opt(&data_source.last_edited_time),
    })
}

pub fn database_payload(database: &Database) -> Value {
    let data_sources: Vec<Value> = database
        .data_sources
        .iter()
        .map(|source| json!({"id": normalize_id(&source.id), "name": source.name}))
        .collect();
    json!({
        "id": normalize_id(&database.id),
        "title": plain(&database.title),
        "title_rich_text": opt(&database.title),
        "description": plain(&database.description),
        "parent": opt(&database.parent),
        "is_inline": database.is_inline,
        "in_trash": database.in_trash.unwrap_or(false),
        "is_locked": database.is_locked,
        "data_sources": data_sources,
        "icon": opt(&database.icon.clone().flatten()),
        "cover": opt(&database.cover.clone().flatten()),
        "url": opt(&database.url),
        "created_time": opt(&database.created_time),
        "last_edited_time": opt(&database.last_edited_time),
    })
}

/// The change hash: SHA-256 of the payload with Notion-hosted file URLs cut at their query
/// string (the expiring signature) and `expiry_time` left out.
pub fn stable_hash(payload: &Value) -> PayloadHash {
    let mut hasher = Sha256::new();
    feed(&mut hasher, payload);
    PayloadHash::from_hex(hex::encode(hasher.finalize()))
}

fn feed(hasher: &mut Sha256, value: &Value) {
    match value {
        Value::Object(map) => {
            let signed_file = map.contains_key("expiry_time");
            hasher.update(b"{");
            for (key, item) in map {
                if signed_file && key == "expiry_time" {
                    continue;
                }
                hasher.update((key.len() as u64).to_be_bytes());
                hasher.update(key.as_bytes());
                match item {
                    Value::String(url) if signed_file && key == "url" => {
                        let unsigned = url.split('?').next().unwrap_or_default();
                        feed(hasher, &Value::String(unsigned.to_owned()));
                    }
                    other => feed(hasher, other),
                }
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for item in items {
                feed(hasher, item);
                hasher.update(b",");
            }
            hasher.update(b"]");
        }
        Value::String(text) => {
            hasher.update(b"s");
            hasher.update((text.len() as u64).to_be_bytes());
            hasher.update(text.as_bytes());
        }
        other => {
            let bytes = serde_json::to_vec(other).unwrap_or_default();
            hasher.update(b"v");
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(&bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: Value) -> Page {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn rows_and_pages_get_their_model_and_ids() {
        let row = page(
            json!({"object":"page","id":"59833787-2CF9-4FDF-8782-E53DB20768A5",
            "parent":{"type":"data_source_id","data_source_id":"d1","database_id":"db1"},
            "in_trash":false,"properties":{"Name":{"id":"title","type":"title","title":[
            {"type":"text","text":{"content":"Row"},"plain_text":"Row"}]}}}),
        );
        assert_eq!(model_of(&row), RecordModel::Row);
        let payload = page_payload(&row, None);
        assert_eq!(payload["id"], "59833787-2cf9-4fdf-8782-e53db20768a5");
        assert_eq!(payload["title"], "Row");
        assert_eq!(payload["data_source_id"], "d1");
        assert_eq!(payload["database_id"], "db1");
        assert_eq!(payload["body"], Value::Null);
        let plain_page =
            page(json!({"object":"page","id":"p","parent":{"type":"workspace","workspace":true}}));
        assert_eq!(model_of(&plain_page), RecordModel::Page);
    }

    #[test]
    fn hash_ignores_file_url_signatures_only() {
        let a = json!({"icon": {"type": "file", "file": {"url": "https://s3/x.png?sig=1", "expiry_time": "2026-01-01T10:00:00Z"}}});
        let b = json!({"icon": {"type": "file", "file": {"url": "https://s3/x.png?sig=2", "expiry_time": "2026-01-01T11:00:00Z"}}});
        let c = json!({"icon": {"type": "file", "file": {"url": "https://s3/y.png?sig=2", "expiry_time": "2026-01-01T11:00:00Z"}}});
        assert_eq!(stable_hash(&a), stable_hash(&b));
        assert_ne!(stable_hash(&a), stable_hash(&c));
        // External URLs (no expiry) are content.
        let d = json!({"icon": {"type": "external", "external": {"url": "https://x/a.png?v=1"}}});
        let e = json!({"icon": {"type": "external", "external": {"url": "https://x/a.png?v=2"}}});
        assert_ne!(stable_hash(&d), stable_hash(&e));
        assert_ne!(stable_hash(&json!(["a", "b"])), stable_hash(&json!(["ab"])));
    }

    #[test]
    fn body_json_reports_incomplete_reads() {
        let body = PageBody {
            markdown: "# Hi".into(),
            complete: false,
            unfetched_block_ids: vec!["b1".into()],
            blocks: None,
        };
        let json = body.to_json();
        assert_eq!(json["complete"], false);
        assert_eq!(json["unfetched_block_ids"][0], "b1");
        assert!(json.get("blocks").is_none());
    }
}
