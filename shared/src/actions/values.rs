//! Compact, plain-JSON forms of Notion property values and schemas for results: a title is a
//! string, a select its option name, a relation its page ids. Ids and urls are kept; styling
//! (annotations, colors) is dropped.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Where an object lives: `{"type": "page_id", "id": "…"}`, `{"type": "workspace"}`, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ParentRef {
    /// `page_id`, `data_source_id`, `database_id`, `block_id` or `workspace`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The parent's id (absent for the workspace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The compact form of a Notion `parent` object.
pub fn parent_ref(parent: &Value) -> Option<ParentRef> {
    let kind = parent["type"].as_str()?;
    Some(ParentRef {
        kind: kind.to_owned(),
        id: parent[kind].as_str().map(str::to_owned),
    })
}

/// Every property of a page (`{"Name": {"type": "title", "title": [...]}, ...}`) in plain form.
pub fn plain_properties(properties: &Value) -> Map<String, Value> {
    properties
        .as_object()
        .map(|properties| {
            properties
                .iter()
                .map(|(name, value)| (name.clone(), plain_value(value)))
                .collect()
        })
        .unwrap_or_default()
}

/// One property value in plain form. Unknown types keep their payload as Notion sent it.
pub fn plain_value(property: &Value) -> Value {
    let kind = property["type"].as_str().unwrap_or_default();
    let payload = &property[kind];
    match kind {
        "title" | "rich_text" => json!(rich_text_plain(payload)),
        "number" | "checkbox" | "url" | "email" | "phone_number" | "created_time"
        | "last_edited_time" => payload.clone(),
        "select" | "status" => payload.get("name").cloned().unwrap_or(Value::Null),
        "multi_select" => json!(names(payload)),
        "date" => date(payload),
        "people" => json!(
            payload
                .as_array()
                .map(|people| people.iter().map(person).collect::<Vec<_>>())
                .unwrap_or_default()
        ),
        "created_by" | "last_edited_by" => person(payload),
        "relation" => {
            let ids: Vec<Value> = payload
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| item.get("id").cloned())
                        .collect()
                })
                .unwrap_or_default();
            if property["has_more"] == true {
                json!({"ids": ids, "has_more": true})
            } else {
                json!(ids)
            }
        }
        "files" => json!(
            payload
                .as_array()
                .map(|files| files
                    .iter()
                    .map(|file| {
                        let kind = file["type"].as_str().unwrap_or_default();
                        json!({"name": file["name"], "url": file[kind]["url"]})
                    })
                    .collect::<Vec<_>>())
                .unwrap_or_default()
        ),
        "formula" => {
            let inner = payload["type"].as_str().unwrap_or_default();
            match inner {
                "date" => date(&payload["date"]),
                _ => payload.get(inner).cloned().unwrap_or(Value::Null),
            }
        }
        "unique_id" => match (payload["prefix"].as_str(), payload["number"].as_i64()) {
            (Some(prefix), Some(number)) => json!(format!("{prefix}-{number}")),
            (None, Some(number)) => json!(number),
            _ => Value::Null,
        },
        "rollup" => {
            let inner = payload["type"].as_str().unwrap_or_default();
            match inner {
                "array" => json!(
                    payload["array"]
                        .as_array()
                        .map(|items| items.iter().map(plain_value).collect::<Vec<_>>())
                        .unwrap_or_default()
                ),
                "date" => date(&payload["date"]),
                _ => payload.get(inner).cloned().unwrap_or(Value::Null),
            }
        }
        _ => payload.clone(),
    }
}

/// The plain text of a rich-text array.
pub fn rich_text_plain(items: &Value) -> String {
    items
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    item["plain_text"]
                        .as_str()
                        .or_else(|| item["text"]["content"].as_str())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn names(options: &Value) -> Vec<Value> {
    options
        .as_array()
        .map(|options| {
            options
                .iter()
                .filter_map(|o| o.get("name").cloned())
                .collect()
        })
        .unwrap_or_default()
}

fn person(user: &Value) -> Value {
    match user.get("name").and_then(Value::as_str) {
        Some(name) => json!({"id": user["id"], "name": name}),
        None => json!({"id": user["id"]}),
    }
}

fn date(date: &Value) -> Value {
    if date.is_null() {
        return Value::Null;
    }
    match date["end"].as_str() {
        Some(end) => json!({"start": date["start"], "end": end}),
        None => date["start"].clone(),
    }
}

/// A data source schema (`{"Status": {"id", "name", "type": "status", "status": {...}}}`) in
/// compact form: type, and option names where the type has options.
pub fn plain_schema(properties: &Value) -> Map<String, Value> {
    let Some(properties) = properties.as_object() else {
        return Map::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let kind = property["type"].as_str().unwrap_or_default();
            let mut compact = Map::new();
            compact.insert("type".into(), json!(kind));
            match kind {
                "select" | "multi_select" | "status" => {
                    compact.insert("options".into(), json!(names(&property[kind]["options"])));
                }
                "relation" => {
                    compact.insert(
                        "data_source_id".into(),
                        property[kind]["data_source_id"].clone(),
                    );
                }
                _ => {}
            }
            (name.clone(), Value::Object(compact))
        })
        .collect()
}

/// The name of the title property of a schema (every data source has exactly one).
pub fn title_property(schema: &Value) -> Option<String> {
    schema.as_object().and_then(|properties| {
        properties
            .iter()
            .find(|(_, property)| property["type"] == "title")
            .map(|(name, _)| name.clone())
    })
}

/// The title of a page object's properties.
pub fn page_title(properties: &Value) -> String {
    properties
        .as_object()
        .and_then(|properties| properties.values().find(|p| p["type"] == "title"))
        .map(|title| rich_text_plain(&title["title"]))
        .unwrap_or_default()
}

/// One line per value: `name: value`.
pub fn render_properties(properties: &Map<String, Value>) -> String {
    properties
        .iter()
        .filter(|(_, value)| !is_empty(value))
        .map(|(name, value)| format!("{name}: {}", render_value(value)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Characters of one rendered value at most (the structured result keeps everything).
const MAX_RENDERED_VALUE: usize = 200;

/// A plain value as short text for models: strings as is, people by name, long relation lists
/// by count, everything cut at [`MAX_RENDERED_VALUE`] characters.
pub fn render_value(value: &Value) -> String {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item.get("name").and_then(Value::as_str) {
                Some(name) => name.to_owned(),
                None => render_value(item),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(object) if object.contains_key("ids") => {
            let count = object["ids"].as_array().map_or(0, Vec::len);
            format!("{count}+ linked pages")
        }
        Value::Object(object) if object.contains_key("name") => {
            object["name"].as_str().unwrap_or_default().to_owned()
        }
        other => other.to_string(),
    };
    match text.char_indices().nth(MAX_RENDERED_VALUE) {
        Some((byte, _)) => format!("{}…", &text[..byte]),
        None => text,
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_plain() {
        let properties = json!({
            "Name": {"id": "title", "type": "title", "title": [{"type": "text", "text": {"content": "Ro"}, "plain_text": "Ro"}, {"type": "text", "text": {"content": "w"}}]},
            "Status": {"type": "status", "status": {"id": "s", "name": "Done", "color": "green"}},
            "Tags": {"type": "multi_select", "multi_select": [{"name": "a"}, {"name": "b"}]},
            "Due": {"type": "date", "date": {"start": "2026-01-01", "end": null}},
            "Span": {"type": "date", "date": {"start": "2026-01-01", "end": "2026-01-02"}},
            "Owner": {"type": "people", "people": [{"object": "user", "id": "u1", "name": "Ada"}]},
            "Rel": {"type": "relation", "relation": [{"id": "p1"}], "has_more": true},
            "Score": {"type": "formula", "formula": {"type": "number", "number": 4}},
            "ID": {"type": "unique_id", "unique_id": {"prefix": "TASK", "number": 3}},
            "Files": {"type": "files", "files": [{"name": "x.pdf", "type": "external", "external": {"url": "https://e/x.pdf"}}]},
            "Odd": {"type": "future_type", "future_type": {"x": 1}}
        });
        let plain = plain_properties(&properties);
        assert_eq!(plain["Name"], "Row");
        assert_eq!(plain["Status"], "Done");
        assert_eq!(plain["Tags"], json!(["a", "b"]));
        assert_eq!(plain["Due"], "2026-01-01");
        assert_eq!(
            plain["Span"],
            json!({"start": "2026-01-01", "end": "2026-01-02"})
        );
        assert_eq!(plain["Owner"], json!([{"id": "u1", "name": "Ada"}]));
        assert_eq!(plain["Rel"], json!({"ids": ["p1"], "has_more": true}));
        assert_eq!(plain["Score"], 4);
        assert_eq!(plain["ID"], "TASK-3");
        assert_eq!(
            plain["Files"],
            json!([{"name": "x.pdf", "url": "https://e/x.pdf"}])
        );
        assert_eq!(plain["Odd"], json!({"x": 1}));
        assert_eq!(page_title(&properties), "Row");
        let text = render_properties(&plain);
        assert!(text.contains("Status: Done"), "{text}");
        assert!(text.contains("Owner: Ada"), "{text}");
        assert!(text.contains("Rel: 1+ linked pages"), "{text}");
        assert!(text.contains("Tags: a, b"), "{text}");
        assert_eq!(render_value(&json!("x".repeat(500))).chars().count(), 201);
    }

    #[test]
    fn schemas_become_compact() {
        let schema = json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Status": {"id": "s", "type": "status", "status": {"options": [{"name": "Done"}], "groups": []}}
        });
        let compact = plain_schema(&schema);
        assert_eq!(
            compact["Status"],
            json!({"type": "status", "options": ["Done"]})
        );
        assert_eq!(title_property(&schema).as_deref(), Some("Name"));
    }
}
