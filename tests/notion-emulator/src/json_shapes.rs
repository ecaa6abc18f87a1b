//! Builders for Notion's JSON objects, in the key order of the recorded responses.

use serde_json::{Map, Value, json};

use crate::ids::compact_id;

/// Text annotations; `Default` is plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub bold: bool,
    pub italic: bool,
    pub strikethrough: bool,
    pub underline: bool,
    pub code: bool,
    pub color: &'static str,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            bold: false,
            italic: false,
            strikethrough: false,
            underline: false,
            code: false,
            color: "default",
        }
    }
}

impl Style {
    pub fn bold() -> Style {
        Style {
            bold: true,
            ..Style::default()
        }
    }
    pub fn italic() -> Style {
        Style {
            italic: true,
            ..Style::default()
        }
    }
    pub fn code() -> Style {
        Style {
            code: true,
            ..Style::default()
        }
    }
    pub fn json(&self) -> Value {
        json!({
            "bold": self.bold,
            "italic": self.italic,
            "strikethrough": self.strikethrough,
            "underline": self.underline,
            "code": self.code,
            "color": self.color,
        })
    }
}

pub fn default_annotations() -> Value {
    Style::default().json()
}

/// A plain text rich-text item.
pub fn text(content: &str) -> Value {
    styled(content, Style::default())
}

pub fn styled(content: &str, style: Style) -> Value {
    json!({
        "type": "text",
        "text": {"content": content, "link": null},
        "annotations": style.json(),
        "plain_text": content,
        "href": null,
    })
}

pub fn link(content: &str, url: &str, style: Style) -> Value {
    json!({
        "type": "text",
        "text": {"content": content, "link": {"url": url}},
        "annotations": style.json(),
        "plain_text": content,
        "href": url,
    })
}

pub fn equation_item(expression: &str) -> Value {
    json!({
        "type": "equation",
        "equation": {"expression": expression},
        "annotations": default_annotations(),
        "plain_text": expression,
        "href": null,
    })
}

pub fn mention_user(user: &Value) -> Value {
    let name = user["name"].as_str().unwrap_or("Unknown");
    json!({
        "type": "mention",
        "mention": {"type": "user", "user": user},
        "annotations": default_annotations(),
        "plain_text": format!("@{name}"),
        "href": null,
    })
}

pub fn mention_page(id: &str, title: &str) -> Value {
    json!({
        "type": "mention",
        "mention": {"type": "page", "page": {"id": id}},
        "annotations": default_annotations(),
        "plain_text": title,
        "href": format!("https://www.notion.so/{}", compact_id(id)),
    })
}

pub fn mention_database(id: &str, title: &str) -> Value {
    json!({
        "type": "mention",
        "mention": {"type": "database", "database": {"id": id}},
        "annotations": default_annotations(),
        "plain_text": title,
        "href": format!("https://www.notion.so/{}", compact_id(id)),
    })
}

pub fn mention_date(start: &str) -> Value {
    json!({
        "type": "mention",
        "mention": {"type": "date", "date": {"start": start, "end": null, "time_zone": null}},
        "annotations": default_annotations(),
        "plain_text": start,
        "href": null,
    })
}

pub fn mention_link_preview(url: &str) -> Value {
    json!({
        "type": "mention",
        "mention": {"type": "link_preview", "link_preview": {"url": url}},
        "annotations": default_annotations(),
        "plain_text": url,
        "href": url,
    })
}

/// Concatenated `plain_text` of a rich-text array.
pub fn plain_text(rich: &Value) -> String {
    rich.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["plain_text"].as_str())
                .collect::<String>()
        })
        .unwrap_or_default()
}

/// `{object:"user",id}`.
pub fn user_ref(id: &str) -> Value {
    json!({"object": "user", "id": id})
}

/// A person user object.
pub fn person(id: &str, name: &str, email: &str) -> Value {
    json!({
        "object": "user",
        "id": id,
        "name": name,
        "avatar_url": "https://example.com/avatar.png",
        "type": "person",
        "person": {"email": email},
    })
}

/// A bot user object as `GET /v1/users/me` shows it.
pub fn bot(id: &str, name: &str, workspace_id: &str, workspace_name: &str) -> Value {
    json!({
        "object": "user",
        "id": id,
        "name": name,
        "avatar_url": null,
        "type": "bot",
        "bot": {
            "owner": {"type": "workspace", "workspace": true},
            "workspace_name": workspace_name,
            "workspace_id": workspace_id,
            "workspace_limits": {"max_file_upload_size_in_bytes": 5_242_880},
        },
    })
}

/// A Notion URL slug: `https://www.notion.so/Title-Words-<compact id>`.
pub fn object_url(title: &str, id: &str) -> String {
    let slug: String = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        format!("https://www.notion.so/{}", compact_id(id))
    } else {
        format!("https://www.notion.so/{slug}-{}", compact_id(id))
    }
}

/// Parent objects.
pub fn parent_workspace() -> Value {
    json!({"type": "workspace", "workspace": true})
}
pub fn parent_page(id: &str) -> Value {
    json!({"type": "page_id", "page_id": id})
}
pub fn parent_block(id: &str) -> Value {
    json!({"type": "block_id", "block_id": id})
}
pub fn parent_database(id: &str) -> Value {
    json!({"type": "database_id", "database_id": id})
}
pub fn parent_data_source(data_source_id: &str, database_id: &str) -> Value {
    json!({"type": "data_source_id", "data_source_id": data_source_id, "database_id": database_id})
}

/// The id a parent object points at (`None` for the workspace).
pub fn parent_target(parent: &Value) -> Option<String> {
    match parent["type"].as_str()? {
        "page_id" => parent["page_id"].as_str().map(str::to_string),
        "block_id" => parent["block_id"].as_str().map(str::to_string),
        "data_source_id" => parent["data_source_id"].as_str().map(str::to_string),
        "database_id" => parent["database_id"].as_str().map(str::to_string),
        _ => None,
    }
}

/// `{object:"list",results,next_cursor,has_more,type,<type>:{}}`.
pub fn list(results: Vec<Value>, next_cursor: Option<String>, kind: &str) -> Value {
    let has_more = next_cursor.is_some();
    let mut map = Map::new();
    map.insert("object".into(), json!("list"));
    map.insert("results".into(), Value::Array(results));
    map.insert("next_cursor".into(), json!(next_cursor));
    map.insert("has_more".into(), json!(has_more));
    map.insert("type".into(), json!(kind));
    map.insert(kind.to_string(), json!({}));
    Value::Object(map)
}

/// Common block metadata with the type payload; `has_children` is filled when rendered.
pub fn block(
    id: &str,
    parent: Value,
    time: &str,
    author: &str,
    kind: &str,
    payload: Value,
) -> Value {
    let mut map = Map::new();
    map.insert("object".into(), json!("block"));
    map.insert("id".into(), json!(id));
    map.insert("parent".into(), parent);
    map.insert("created_time".into(), json!(time));
    map.insert("last_edited_time".into(), json!(time));
    map.insert("created_by".into(), user_ref(author));
    map.insert("last_edited_by".into(), user_ref(author));
    map.insert("has_children".into(), json!(false));
    map.insert("in_trash".into(), json!(false));
    map.insert("type".into(), json!(kind));
    map.insert(kind.to_string(), payload);
    Value::Object(map)
}

/// A page object (the `title` property lives in `properties`).
pub fn page(
    id: &str,
    parent: Value,
    time: &str,
    author: &str,
    properties: Value,
    title: &str,
) -> Value {
    json!({
        "object": "page",
        "id": id,
        "created_time": time,
        "last_edited_time": time,
        "created_by": user_ref(author),
        "last_edited_by": user_ref(author),
        "cover": null,
        "icon": null,
        "parent": parent,
        "in_trash": false,
        "is_archived": false,
        "is_locked": false,
        "properties": properties,
        "url": object_url(title, id),
        "public_url": null,
    })
}

/// `{"title": {id:"title",type:"title",title:[...]}}` for ordinary pages.
pub fn title_properties(rich: Value) -> Value {
    json!({"title": {"id": "title", "type": "title", "title": rich}})
}

/// Title text of a page (its `title`-typed property).
pub fn page_title(page: &Value) -> String {
    page["properties"]
        .as_object()
        .and_then(|props| props.values().find(|p| p["type"] == "title"))
        .map(|p| plain_text(&p["title"]))
        .unwrap_or_default()
}

pub fn database(id: &str, parent: Value, time: &str, title: &str, is_inline: bool) -> Value {
    json!({
        "object": "database",
        "id": id,
        "title": [text(title)],
        "description": [],
        "parent": parent,
        "is_inline": is_inline,
        "in_trash": false,
        "is_locked": false,
        "created_time": time,
        "last_edited_time": time,
        "data_sources": [],
        "icon": null,
        "cover": null,
        "url": object_url("", id),
        "public_url": null,
    })
}

pub fn data_source(
    id: &str,
    database_id: &str,
    time: &str,
    author: &str,
    title: &str,
    properties: Value,
) -> Value {
    json!({
        "object": "data_source",
        "id": id,
        "cover": null,
        "icon": null,
        "created_time": time,
        "created_by": user_ref(author),
        "last_edited_by": user_ref(author),
        "last_edited_time": time,
        "title": [text(title)],
        "description": [],
        "is_inline": false,
        "properties": properties,
        "parent": parent_database(database_id),
        "database_parent": parent_workspace(),
        "url": object_url("", database_id),
        "public_url": null,
        "in_trash": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_envelope_has_type_key() {
        let l = list(vec![json!(1)], Some("c".into()), "block");
        assert_eq!(l["has_more"], true);
        assert_eq!(l["block"], json!({}));
        let keys: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "object",
                "results",
                "next_cursor",
                "has_more",
                "type",
                "block"
            ]
        );
    }

    #[test]
    fn urls_use_title_slug_and_compact_id() {
        assert_eq!(
            object_url("Moving Page", "393abc1e-edcd-811c-9c6d-eac14ef25c6d"),
            "https://www.notion.so/Moving-Page-393abc1eedcd811c9c6deac14ef25c6d"
        );
    }

    #[test]
    fn page_title_reads_the_title_property() {
        let p = page(
            "a",
            parent_workspace(),
            "t",
            "u",
            title_properties(json!([text("Hi"), text(" there")])),
            "Hi",
        );
        assert_eq!(page_title(&p), "Hi there");
    }
}
