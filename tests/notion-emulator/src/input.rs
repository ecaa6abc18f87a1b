//! Request bodies to stored documents: blocks, rich text and property values, filled in the way
//! Notion's responses show them (annotations, plain_text, defaults).

use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::json_shapes::{self as shapes, default_annotations, page_title, plain_text};
use crate::workspace::Workspace;

/// A block to create, with its nested children.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBlock {
    pub kind: String,
    pub payload: Value,
    pub children: Vec<NewBlock>,
}

/// Block types that can be created through the API.
pub const WRITABLE_BLOCK_TYPES: &[&str] = &[
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "heading_4",
    "bulleted_list_item",
    "numbered_list_item",
    "to_do",
    "toggle",
    "quote",
    "callout",
    "code",
    "equation",
    "divider",
    "breadcrumb",
    "table_of_contents",
    "column_list",
    "column",
    "table",
    "table_row",
    "image",
    "video",
    "pdf",
    "audio",
    "file",
    "bookmark",
    "embed",
    "link_to_page",
    "synced_block",
    "tab",
];

/// Block types Notion returns but does not create.
const READ_ONLY_BLOCK_TYPES: &[&str] = &[
    "child_page",
    "child_database",
    "link_preview",
    "template",
    "meeting_notes",
    "transcription",
    "unsupported",
];

fn invalid(path: &str, message: &str) -> ApiError {
    ApiError::validation(format!("body failed validation: {path} {message}"))
}

/// Converts a request `children` array.
pub fn blocks_from_request(
    ws: &Workspace,
    blocks: &[Value],
    path: &str,
) -> Result<Vec<NewBlock>, ApiError> {
    blocks
        .iter()
        .enumerate()
        .map(|(i, b)| block_from_request(ws, b, &format!("body.{path}[{i}]")))
        .collect()
}

fn block_kind(block: &Map<String, Value>) -> Option<String> {
    if let Some(kind) = block.get("type").and_then(Value::as_str) {
        return Some(kind.to_string());
    }
    block
        .keys()
        .find(|k| {
            WRITABLE_BLOCK_TYPES.contains(&k.as_str())
                || READ_ONLY_BLOCK_TYPES.contains(&k.as_str())
        })
        .cloned()
}

fn block_from_request(ws: &Workspace, block: &Value, path: &str) -> Result<NewBlock, ApiError> {
    let Some(map) = block.as_object() else {
        return Err(invalid(path, "should be an object."));
    };
    let Some(kind) = block_kind(map) else {
        return Err(invalid(
            path,
            "should contain a block type such as `paragraph`.",
        ));
    };
    if READ_ONLY_BLOCK_TYPES.contains(&kind.as_str()) {
        return Err(invalid(
            &format!("{path}.{kind}"),
            "should be not present: this block type cannot be created by appending children.",
        ));
    }
    if !WRITABLE_BLOCK_TYPES.contains(&kind.as_str()) {
        return Err(invalid(
            &format!("{path}.type"),
            &format!("is not a supported block type, instead was `\"{kind}\"`."),
        ));
    }
    let raw = map.get(&kind).cloned().unwrap_or_else(|| json!({}));
    let Some(raw_map) = raw.as_object() else {
        return Err(invalid(&format!("{path}.{kind}"), "should be an object."));
    };
    let ppath = format!("{path}.{kind}");
    let payload = block_payload(ws, &kind, raw_map, &ppath)?;
    let nested = map
        .get("children")
        .or_else(|| raw_map.get("children"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let children = nested
        .iter()
        .enumerate()
        .map(|(i, c)| block_from_request(ws, c, &format!("{ppath}.children[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    if kind == "table" && children.is_empty() {
        return Err(invalid(
            &format!("{ppath}.children"),
            "should be defined: a table needs its table_row children in the same request.",
        ));
    }
    if kind == "column_list" && children.iter().any(|c| c.kind != "column") {
        return Err(invalid(
            &format!("{ppath}.children"),
            "should contain only column blocks.",
        ));
    }
    Ok(NewBlock {
        kind,
        payload,
        children,
    })
}

fn get_rich(
    ws: &Workspace,
    raw: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Value, ApiError> {
    match raw.get(key) {
        None | Some(Value::Null) => Ok(json!([])),
        Some(v) => rich_text_from_request(ws, v, &format!("{path}.{key}")),
    }
}

fn color(raw: &Map<String, Value>) -> Value {
    raw.get("color")
        .cloned()
        .unwrap_or_else(|| json!("default"))
}

fn block_payload(
    ws: &Workspace,
    kind: &str,
    raw: &Map<String, Value>,
    path: &str,
) -> Result<Value, ApiError> {
    let payload = match kind {
        "paragraph" => {
            json!({"rich_text": get_rich(ws, raw, "rich_text", path)?, "icon": raw.get("icon").cloned().unwrap_or(Value::Null), "color": color(raw)})
        }
        "heading_1" | "heading_2" | "heading_3" | "heading_4" => json!({
            "rich_text": get_rich(ws, raw, "rich_text", path)?,
            "is_toggleable": raw.get("is_toggleable").and_then(Value::as_bool).unwrap_or(false),
            "color": color(raw),
        }),
        "bulleted_list_item" | "quote" | "toggle" => {
            json!({"rich_text": get_rich(ws, raw, "rich_text", path)?, "color": color(raw)})
        }
        "numbered_list_item" => {
            let mut p =
                json!({"rich_text": get_rich(ws, raw, "rich_text", path)?, "color": color(raw)});
            for key in ["list_start_index", "list_format"] {
                if let Some(v) = raw.get(key) {
                    p[key] = v.clone();
                }
            }
            p
        }
        "to_do" => json!({
            "rich_text": get_rich(ws, raw, "rich_text", path)?,
            "checked": raw.get("checked").and_then(Value::as_bool).unwrap_or(false),
            "color": color(raw),
        }),
        "callout" => json!({
            "rich_text": get_rich(ws, raw, "rich_text", path)?,
            "icon": raw.get("icon").cloned().unwrap_or_else(|| json!({"type": "emoji", "emoji": "💡"})),
            "color": color(raw),
        }),
        "code" => json!({
            "caption": get_rich(ws, raw, "caption", path)?,
            "rich_text": get_rich(ws, raw, "rich_text", path)?,
            "language": raw.get("language").cloned().unwrap_or_else(|| json!("plain text")),
        }),
        "equation" => {
            let Some(expr) = raw.get("expression").and_then(Value::as_str) else {
                return Err(invalid(
                    &format!("{path}.expression"),
                    "should be defined, instead was `undefined`.",
                ));
            };
            json!({"expression": expr})
        }
        "divider" | "breadcrumb" | "column_list" | "tab" => json!({}),
        "table_of_contents" => json!({"color": color(raw)}),
        "column" => match raw.get("width_ratio") {
            Some(w) => json!({"width_ratio": w}),
            None => json!({}),
        },
        "table" => {
            let Some(width) = raw.get("table_width").and_then(Value::as_u64) else {
                return Err(invalid(
                    &format!("{path}.table_width"),
                    "should be a number, instead was `undefined`.",
                ));
            };
            json!({
                "table_width": width,
                "has_column_header": raw.get("has_column_header").and_then(Value::as_bool).unwrap_or(false),
                "has_row_header": raw.get("has_row_header").and_then(Value::as_bool).unwrap_or(false),
            })
        }
        "table_row" => {
            let cells = raw
                .get("cells")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let cells = cells
                .iter()
                .enumerate()
                .map(|(i, c)| rich_text_from_request(ws, c, &format!("{path}.cells[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            json!({"cells": cells})
        }
        "image" | "video" | "pdf" | "audio" | "file" => media_payload(ws, kind, raw, path)?,
        "bookmark" | "embed" => {
            let Some(url) = raw.get("url").and_then(Value::as_str) else {
                return Err(invalid(
                    &format!("{path}.url"),
                    "should be defined, instead was `undefined`.",
                ));
            };
            json!({"caption": get_rich(ws, raw, "caption", path)?, "url": url})
        }
        "link_to_page" => {
            if let Some(id) = raw.get("page_id").and_then(Value::as_str) {
                json!({"type": "page_id", "page_id": crate::emulator::normalize(id)})
            } else if let Some(id) = raw.get("database_id").and_then(Value::as_str) {
                json!({"type": "database_id", "database_id": crate::emulator::normalize(id)})
            } else {
                return Err(invalid(path, "should define page_id or database_id."));
            }
        }
        "synced_block" => match raw.get("synced_from") {
            None | Some(Value::Null) => json!({"synced_from": null}),
            Some(from) => {
                let Some(id) = from["block_id"].as_str() else {
                    return Err(invalid(
                        &format!("{path}.synced_from.block_id"),
                        "should be defined.",
                    ));
                };
                json!({"synced_from": {"type": "block_id", "block_id": crate::emulator::normalize(id)}})
            }
        },
        _ => json!({}),
    };
    Ok(payload)
}

fn media_payload(
    ws: &Workspace,
    kind: &str,
    raw: &Map<String, Value>,
    path: &str,
) -> Result<Value, ApiError> {
    let caption = get_rich(ws, raw, "caption", path)?;
    let mut p = if let Some(url) = raw.get("external").and_then(|e| e["url"].as_str()) {
        json!({"caption": caption, "type": "external", "external": {"url": url}})
    } else if let Some(id) = raw.get("file_upload").and_then(|f| f["id"].as_str()) {
        json!({"caption": caption, "type": "file", "file": {
            "url": format!("https://prod-files-secure.s3.us-west-2.amazonaws.com/emulator/{id}"),
            "expiry_time": "2030-01-01T00:00:00.000Z",
        }})
    } else {
        return Err(invalid(
            &format!("{path}.external"),
            "should be defined, instead was `undefined`.",
        ));
    };
    if kind == "file" {
        let name = raw
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                p["external"]["url"]
                    .as_str()
                    .and_then(|u| u.rsplit('/').next())
                    .unwrap_or("file")
                    .to_string()
            });
        p["name"] = json!(name);
    }
    Ok(p)
}

/// Converts a request rich-text array (`plain_text`/`href` ignored, `annotations` optional).
pub fn rich_text_from_request(
    ws: &Workspace,
    value: &Value,
    path: &str,
) -> Result<Value, ApiError> {
    let Some(items) = value.as_array() else {
        return Err(invalid(
            path,
            &format!("should be an array, instead was `{}`.", short(value)),
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        out.push(rich_item(ws, item, &format!("{path}[{i}]"))?);
    }
    Ok(Value::Array(out))
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(60).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

fn annotations(item: &Value) -> Value {
    let mut a = default_annotations();
    if let Some(given) = item["annotations"].as_object() {
        for (k, v) in given {
            if a.get(k).is_some() {
                a[k] = v.clone();
            }
        }
    }
    a
}

fn rich_item(ws: &Workspace, item: &Value, path: &str) -> Result<Value, ApiError> {
    let kind = item["type"].as_str().map(str::to_string).or_else(|| {
        ["text", "mention", "equation"]
            .iter()
            .find(|k| item.get(**k).is_some())
            .map(|k| k.to_string())
    });
    match kind.as_deref() {
        Some("text") => {
            let Some(content) = item["text"]["content"].as_str() else {
                return Err(invalid(
                    &format!("{path}.text.content"),
                    "should be defined, instead was `undefined`.",
                ));
            };
            let url = item["text"]["link"]["url"].as_str();
            Ok(json!({
                "type": "text",
                "text": {"content": content, "link": url.map(|u| json!({"url": u}))},
                "annotations": annotations(item),
                "plain_text": content,
                "href": url,
            }))
        }
        Some("equation") => {
            let Some(expr) = item["equation"]["expression"].as_str() else {
                return Err(invalid(
                    &format!("{path}.equation.expression"),
                    "should be defined, instead was `undefined`.",
                ));
            };
            Ok(
                json!({"type": "equation", "equation": {"expression": expr}, "annotations": annotations(item), "plain_text": expr, "href": null}),
            )
        }
        Some("mention") => mention_item(ws, item, path),
        _ => Err(invalid(
            path,
            "should define one of `text`, `mention` or `equation`.",
        )),
    }
}

fn mention_item(ws: &Workspace, item: &Value, path: &str) -> Result<Value, ApiError> {
    let m = &item["mention"];
    let kind = m["type"].as_str().map(str::to_string).or_else(|| {
        [
            "user",
            "page",
            "database",
            "date",
            "link_preview",
            "template_mention",
        ]
        .iter()
        .find(|k| m.get(**k).is_some())
        .map(|k| k.to_string())
    });
    let (mention, plain, href) = match kind.as_deref() {
        Some("user") => {
            let id = crate::emulator::normalize(m["user"]["id"].as_str().unwrap_or_default());
            let user = ws.user_value(&id);
            let name = user["name"].as_str().unwrap_or("Unknown").to_string();
            (
                json!({"type": "user", "user": user}),
                format!("@{name}"),
                Value::Null,
            )
        }
        Some("page") => {
            let id = crate::emulator::normalize(m["page"]["id"].as_str().unwrap_or_default());
            let title = ws
                .pages
                .get(&id)
                .map(page_title)
                .unwrap_or_else(|| "Untitled".into());
            (
                json!({"type": "page", "page": {"id": id}}),
                title,
                json!(format!(
                    "https://www.notion.so/{}",
                    crate::ids::compact_id(&id)
                )),
            )
        }
        Some("database") => {
            let id = crate::emulator::normalize(m["database"]["id"].as_str().unwrap_or_default());
            let title = ws
                .databases
                .get(&id)
                .map(|d| plain_text(&d["title"]))
                .unwrap_or_else(|| "Untitled".into());
            (
                json!({"type": "database", "database": {"id": id}}),
                title,
                json!(format!(
                    "https://www.notion.so/{}",
                    crate::ids::compact_id(&id)
                )),
            )
        }
        Some("date") => {
            let start = m["date"]["start"].as_str().unwrap_or_default().to_string();
            (
                json!({"type": "date", "date": {"start": start, "end": m["date"]["end"], "time_zone": m["date"]["time_zone"]}}),
                start,
                Value::Null,
            )
        }
        Some("link_preview") => {
            let url = m["link_preview"]["url"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (
                json!({"type": "link_preview", "link_preview": {"url": url}}),
                url.clone(),
                json!(url),
            )
        }
        Some(other) => (m.clone(), other.to_string(), Value::Null),
        None => {
            return Err(invalid(
                &format!("{path}.mention"),
                "should define a mention type.",
            ));
        }
    };
    Ok(
        json!({"type": "mention", "mention": mention, "annotations": annotations(item), "plain_text": plain, "href": href}),
    )
}

/// Finds a schema property by name or id (ids compared URL-decoded).
pub fn find_schema_property<'a>(
    schema: &'a Map<String, Value>,
    key: &str,
) -> Option<(&'a String, &'a Value)> {
    if let Some(found) = schema.get_key_value(key) {
        return Some(found);
    }
    let wanted = decode(key);
    schema.iter().find(|(_, p)| {
        p["id"]
            .as_str()
            .is_some_and(|id| id == key || decode(id) == wanted)
    })
}

/// Percent-decodes a property id.
pub fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

const READ_ONLY_PROPERTY_TYPES: &[&str] = &[
    "formula",
    "rollup",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
    "unique_id",
    "button",
    "verification",
];

/// Converts request property values against a data source schema. New select and multi_select
/// option names are added to the schema, as Notion does.
pub fn row_properties_from_request(
    ws: &mut Workspace,
    data_source_id: &str,
    request: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let mut out = Map::new();
    for (key, value) in request {
        let schema = ws
            .data_sources
            .get(data_source_id)
            .and_then(|ds| ds["properties"].as_object())
            .cloned()
            .unwrap_or_default();
        let Some((name, def)) = find_schema_property(&schema, key) else {
            return Err(ApiError::validation(format!(
                "{key} is not a property that exists."
            )));
        };
        let kind = def["type"].as_str().unwrap_or_default().to_string();
        let path = format!("body.properties.{key}");
        if READ_ONLY_PROPERTY_TYPES.contains(&kind.as_str()) {
            return Err(ApiError::validation(format!(
                "{path} cannot be updated: `{kind}` properties are read-only."
            )));
        }
        let raw = value.get(&kind).cloned().unwrap_or_else(|| {
            if value.is_array() {
                value.clone()
            } else {
                Value::Null
            }
        });
        let converted = property_value(
            ws,
            data_source_id,
            name,
            &kind,
            &raw,
            &format!("{path}.{kind}"),
        )?;
        let mut prop = Map::new();
        prop.insert("id".into(), def["id"].clone());
        prop.insert("type".into(), json!(kind));
        prop.insert(kind.clone(), converted);
        if kind == "relation" {
            prop.insert("has_more".into(), json!(false));
        }
        out.insert(name.clone(), Value::Object(prop));
    }
    Ok(out)
}

fn option_for(
    ws: &mut Workspace,
    ds: &str,
    prop: &str,
    kind: &str,
    given: &Value,
    create: bool,
    path: &str,
) -> Result<Value, ApiError> {
    let options = ws
        .data_sources
        .get(ds)
        .map(|d| d["properties"][prop][kind]["options"].clone())
        .unwrap_or(Value::Null);
    let list = options.as_array().cloned().unwrap_or_default();
    let found = list.iter().find(|o| {
        (given["id"].is_string() && o["id"] == given["id"])
            || (given["name"].is_string() && o["name"] == given["name"])
    });
    if let Some(o) = found {
        return Ok(json!({"id": o["id"], "name": o["name"], "color": o["color"]}));
    }
    let Some(name) = given["name"].as_str().filter(|_| create) else {
        return Err(ApiError::validation(format!(
            "{path}: option {} does not exist.",
            short(given)
        )));
    };
    let option = json!({"id": crate::ids::new_id(), "name": name, "color": given["color"].as_str().unwrap_or("default"), "description": null});
    if let Some(arr) = ws
        .data_sources
        .get_mut(ds)
        .and_then(|d| d.get_mut("properties"))
        .and_then(|p| p.get_mut(prop))
        .and_then(|p| p.get_mut(kind))
        .and_then(|c| c.get_mut("options"))
        .and_then(Value::as_array_mut)
    {
        arr.push(option.clone());
    }
    Ok(json!({"id": option["id"], "name": option["name"], "color": option["color"]}))
}

fn property_value(
    ws: &mut Workspace,
    ds: &str,
    prop: &str,
    kind: &str,
    raw: &Value,
    path: &str,
) -> Result<Value, ApiError> {
    let expect = |ok: bool, what: &str| -> Result<(), ApiError> {
        if ok {
            Ok(())
        } else {
            Err(ApiError::validation(format!(
                "body failed validation: {path} should be {what}, instead was `{}`.",
                short(raw)
            )))
        }
    };
    match kind {
        "title" | "rich_text" => {
            let empty = Value::Array(vec![]);
            rich_text_from_request(ws, if raw.is_null() { &empty } else { raw }, path)
        }
        "number" => {
            expect(raw.is_null() || raw.is_number(), "a number or `null`")?;
            Ok(raw.clone())
        }
        "checkbox" => {
            expect(raw.is_boolean(), "a boolean")?;
            Ok(raw.clone())
        }
        "url" | "email" | "phone_number" => {
            expect(raw.is_null() || raw.is_string(), "a string or `null`")?;
            Ok(raw.clone())
        }
        "select" | "status" => {
            if raw.is_null() {
                return Ok(Value::Null);
            }
            expect(raw.is_object(), "an object or `null`")?;
            option_for(ws, ds, prop, kind, raw, kind == "select", path)
        }
        "multi_select" => {
            let items = raw.as_array().cloned().unwrap_or_default();
            expect(raw.is_array(), "an array")?;
            items
                .iter()
                .map(|i| option_for(ws, ds, prop, kind, i, true, path))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        "date" => {
            if raw.is_null() {
                return Ok(Value::Null);
            }
            expect(raw["start"].is_string(), "an object with a `start` date")?;
            Ok(
                json!({"start": raw["start"], "end": raw.get("end").cloned().unwrap_or(Value::Null), "time_zone": raw.get("time_zone").cloned().unwrap_or(Value::Null)}),
            )
        }
        "people" => {
            expect(raw.is_array(), "an array of users")?;
            Ok(Value::Array(
                raw.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|u| u["id"].as_str())
                            .map(|id| ws.user_value(&crate::emulator::normalize(id)))
                            .collect()
                    })
                    .unwrap_or_default(),
            ))
        }
        "relation" => {
            expect(raw.is_array(), "an array of page references")?;
            Ok(Value::Array(
                raw.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|r| r["id"].as_str())
                            .map(|id| json!({"id": crate::emulator::normalize(id)}))
                            .collect()
                    })
                    .unwrap_or_default(),
            ))
        }
        "files" => {
            expect(raw.is_array(), "an array of files")?;
            let files = raw.as_array().cloned().unwrap_or_default();
            Ok(Value::Array(
                files
                    .iter()
                    .map(|f| {
                        let url = f["external"]["url"].as_str().unwrap_or_default();
                        json!({"name": f["name"].as_str().unwrap_or(url), "type": "external", "external": {"url": url}})
                    })
                    .collect(),
            ))
        }
        _ => Ok(raw.clone()),
    }
}

/// The title rich text of an ordinary page's `properties` (`{"title":{"title":[..]}}`,
/// `{"title":[..]}` or keyed by any name with a `title` value).
pub fn page_title_from_request(
    ws: &Workspace,
    props: &Map<String, Value>,
) -> Result<Option<Value>, ApiError> {
    for (key, value) in props {
        let raw = if let Some(t) = value.get("title") {
            t
        } else if key == "title" && value.is_array() {
            value
        } else {
            continue;
        };
        return rich_text_from_request(ws, raw, &format!("body.properties.{key}.title")).map(Some);
    }
    if let Some((key, _)) = props.iter().next() {
        return Err(ApiError::validation(format!(
            "{key} is not a property that exists."
        )));
    }
    Ok(None)
}

/// `{"title": {"id":"title","type":"title","title": rich}}`.
pub fn title_property(rich: Value) -> Value {
    shapes::title_properties(rich)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> Workspace {
        Workspace::new("ws", "W", shapes::person("u1", "Ada", "a@example.com"))
    }

    #[test]
    fn request_rich_text_is_filled_in() {
        let r = rich_text_from_request(&ws(), &json!([{"text": {"content": "hi", "link": {"url": "https://x"}}, "annotations": {"bold": true}}]), "p").unwrap();
        assert_eq!(r[0]["plain_text"], "hi");
        assert_eq!(r[0]["href"], "https://x");
        assert_eq!(r[0]["annotations"]["bold"], true);
        assert_eq!(r[0]["annotations"]["italic"], false);
        assert_eq!(r[0]["type"], "text");
    }

    #[test]
    fn blocks_get_defaults_and_children() {
        let b = blocks_from_request(&ws(), &[json!({"toggle": {"rich_text": [{"text": {"content": "t"}}], "children": [{"paragraph": {"rich_text": []}}]}})], "children").unwrap();
        assert_eq!(b[0].kind, "toggle");
        assert_eq!(b[0].payload["color"], "default");
        assert_eq!(b[0].children[0].kind, "paragraph");
        assert_eq!(b[0].children[0].payload["icon"], Value::Null);
    }

    #[test]
    fn unknown_and_read_only_types_are_rejected() {
        let e = blocks_from_request(
            &ws(),
            &[json!({"type": "hologram", "hologram": {}})],
            "children",
        )
        .unwrap_err();
        assert_eq!(e.code, "validation_error");
        let e = blocks_from_request(&ws(), &[json!({"child_page": {"title": "x"}})], "children")
            .unwrap_err();
        assert!(e.message.contains("body.children[0].child_page"));
        let e = blocks_from_request(&ws(), &[json!({"table": {"table_width": 2}})], "children")
            .unwrap_err();
        assert!(e.message.contains("table_row"));
    }

    #[test]
    fn property_ids_compare_decoded() {
        assert_eq!(decode("XGe%40"), "XGe@");
        let schema: Map<String, Value> =
            serde_json::from_value(json!({"Tags": {"id": "a%3Bb", "type": "multi_select"}}))
                .unwrap();
        assert_eq!(find_schema_property(&schema, "a;b").unwrap().0, "Tags");
        assert_eq!(find_schema_property(&schema, "a%3Bb").unwrap().0, "Tags");
        assert!(find_schema_property(&schema, "zz").is_none());
    }
}
