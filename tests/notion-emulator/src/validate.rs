//! Request-size validation with Notion's `validation_error` messages that name the path.

use serde_json::Value;

use crate::error::ApiError;

pub const MAX_BODY_BYTES: usize = 500 * 1024;
pub const MAX_ARRAY_CHILDREN: usize = 100;
pub const MAX_BLOCKS_PER_REQUEST: usize = 1_000;
pub const MAX_TEXT_CONTENT: usize = 2_000;
pub const MAX_LINK_URL: usize = 2_000;
pub const MAX_EQUATION: usize = 1_000;
pub const MAX_RICH_TEXT_ITEMS: usize = 100;
pub const MAX_URL_PROPERTY: usize = 2_000;
pub const MAX_EMAIL: usize = 200;
pub const MAX_PHONE: usize = 200;
pub const MAX_MULTI_SELECT: usize = 100;
pub const MAX_RELATION: usize = 100;
pub const MAX_PEOPLE: usize = 100;

/// A string's length as Notion measures it: UTF-16 code units (JavaScript's `.length`), so an
/// emoji outside the Basic Multilingual Plane counts two.
pub fn text_length(text: &str) -> usize {
    text.encode_utf16().count()
}

fn too_long(path: &str, max: usize, actual: usize) -> ApiError {
    ApiError::validation(format!(
        "body failed validation: {path}.length should be ≤ `{max}`, instead was `{actual}`."
    ))
}

/// The raw body stays within 500 KB.
pub fn body_size(len: usize) -> Result<(), ApiError> {
    if len > MAX_BODY_BYTES {
        return Err(ApiError::validation(format!(
            "Request body too large: the payload should be ≤ {MAX_BODY_BYTES} bytes, instead was {len} bytes."
        )));
    }
    Ok(())
}

/// A block `children` array of a request at `path` (e.g. `body.children`): at most 100 per array,
/// two nesting levels, 1,000 blocks, and the rich-text limits inside every block.
pub fn children(children: &Value, path: &str) -> Result<(), ApiError> {
    let mut total = 0usize;
    block_array(children, path, 1, &mut total)?;
    if total > MAX_BLOCKS_PER_REQUEST {
        return Err(ApiError::validation(format!(
            "body failed validation: the request should contain ≤ `{MAX_BLOCKS_PER_REQUEST}` block elements, instead was `{total}`."
        )));
    }
    Ok(())
}

fn block_array(
    blocks: &Value,
    path: &str,
    level: usize,
    total: &mut usize,
) -> Result<(), ApiError> {
    let Some(items) = blocks.as_array() else {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} should be an array, instead was `{blocks}`."
        )));
    };
    if items.len() > MAX_ARRAY_CHILDREN {
        return Err(too_long(path, MAX_ARRAY_CHILDREN, items.len()));
    }
    for (i, block) in items.iter().enumerate() {
        *total += 1;
        let bpath = format!("{path}[{i}]");
        let Some(map) = block.as_object() else {
            continue;
        };
        let kind = map
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                map.keys()
                    .find(|k| k.as_str() != "object" && k.as_str() != "children")
                    .cloned()
            })
            .unwrap_or_default();
        let payload = map.get(&kind);
        if let Some(payload) = payload {
            payload_limits(payload, &format!("{bpath}.{kind}"))?;
        }
        let nested = map
            .get("children")
            .map(|c| (c, format!("{bpath}.children")))
            .or_else(|| {
                payload
                    .and_then(|p| p.get("children"))
                    .map(|c| (c, format!("{bpath}.{kind}.children")))
            });
        if let Some((nested, npath)) = nested {
            if level >= 2 {
                return Err(ApiError::validation(format!(
                    "body failed validation: {npath} should be not present, instead was `[...]`. At most two levels of nesting are allowed per request."
                )));
            }
            block_array(nested, &npath, level + 1, total)?;
        }
    }
    Ok(())
}

/// Rich-text and equation limits inside one block payload.
fn payload_limits(payload: &Value, path: &str) -> Result<(), ApiError> {
    let Some(map) = payload.as_object() else {
        return Ok(());
    };
    for (key, value) in map {
        match key.as_str() {
            "rich_text" | "caption" | "title" if value.is_array() => {
                rich_text(value, &format!("{path}.{key}"))?
            }
            "cells" => {
                if let Some(cells) = value.as_array() {
                    for (i, cell) in cells.iter().enumerate() {
                        rich_text(cell, &format!("{path}.cells[{i}]"))?;
                    }
                }
            }
            "expression" => {
                if let Some(expr) = value.as_str() {
                    let n = text_length(expr);
                    if n > MAX_EQUATION {
                        return Err(too_long(&format!("{path}.expression"), MAX_EQUATION, n));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A rich-text array: ≤ 100 items, text ≤ 2,000 chars, link URL ≤ 2,000, equation ≤ 1,000.
pub fn rich_text(value: &Value, path: &str) -> Result<(), ApiError> {
    let Some(items) = value.as_array() else {
        return Ok(());
    };
    if items.len() > MAX_RICH_TEXT_ITEMS {
        return Err(too_long(path, MAX_RICH_TEXT_ITEMS, items.len()));
    }
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("{path}[{i}]");
        if let Some(content) = item["text"]["content"].as_str() {
            let n = text_length(content);
            if n > MAX_TEXT_CONTENT {
                return Err(too_long(
                    &format!("{ipath}.text.content"),
                    MAX_TEXT_CONTENT,
                    n,
                ));
            }
        }
        if let Some(url) = item["text"]["link"]["url"].as_str() {
            let n = text_length(url);
            if n > MAX_LINK_URL {
                return Err(too_long(&format!("{ipath}.text.link.url"), MAX_LINK_URL, n));
            }
        }
        if let Some(expr) = item["equation"]["expression"].as_str() {
            let n = text_length(expr);
            if n > MAX_EQUATION {
                return Err(too_long(
                    &format!("{ipath}.equation.expression"),
                    MAX_EQUATION,
                    n,
                ));
            }
        }
    }
    Ok(())
}

/// Page property values of a request (`body.properties`).
pub fn properties(props: &Value) -> Result<(), ApiError> {
    let Some(map) = props.as_object() else {
        return Ok(());
    };
    for (name, value) in map {
        let path = format!("body.properties.{name}");
        if value.is_array() {
            rich_text(value, &path)?;
            continue;
        }
        let Some(obj) = value.as_object() else {
            continue;
        };
        for (kind, v) in obj {
            let vpath = format!("{path}.{kind}");
            let str_len = v.as_str().map(text_length);
            let arr_len = v.as_array().map(Vec::len);
            match kind.as_str() {
                "title" | "rich_text" => rich_text(v, &vpath)?,
                "url" => check_max(str_len, MAX_URL_PROPERTY, &vpath)?,
                "email" => check_max(str_len, MAX_EMAIL, &vpath)?,
                "phone_number" => check_max(str_len, MAX_PHONE, &vpath)?,
                "multi_select" => check_max(arr_len, MAX_MULTI_SELECT, &vpath)?,
                "relation" => check_max(arr_len, MAX_RELATION, &vpath)?,
                "people" => check_max(arr_len, MAX_PEOPLE, &vpath)?,
                _ => {}
            }
        }
    }
    Ok(())
}

fn check_max(len: Option<usize>, max: usize, path: &str) -> Result<(), ApiError> {
    match len {
        Some(n) if n > max => Err(too_long(path, max, n)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn para(text: &str) -> Value {
        json!({"paragraph": {"rich_text": [{"text": {"content": text}}]}})
    }

    #[test]
    fn more_than_100_children_names_the_array() {
        let blocks: Vec<Value> = (0..101).map(|_| para("x")).collect();
        let e = children(&Value::Array(blocks), "body.children").unwrap_err();
        assert_eq!(e.code, "validation_error");
        assert!(
            e.message
                .contains("body.children.length should be ≤ `100`, instead was `101`"),
            "{}",
            e.message
        );
        let ok: Vec<Value> = (0..100).map(|_| para("x")).collect();
        assert!(children(&Value::Array(ok), "body.children").is_ok());
    }

    #[test]
    fn three_levels_of_nesting_are_rejected() {
        let two = json!([{"toggle": {"rich_text": [], "children": [para("a")]}}]);
        assert!(children(&two, "body.children").is_ok());
        let three = json!([{"toggle": {"rich_text": [], "children": [{"toggle": {"rich_text": [], "children": [para("a")]}}]}}]);
        let e = children(&three, "body.children").unwrap_err();
        assert!(
            e.message.contains(
                "body.children[0].toggle.children[0].toggle.children should be not present"
            ),
            "{}",
            e.message
        );
    }

    #[test]
    fn text_length_counts_utf16_units_like_notion() {
        // An emoji outside the BMP is two UTF-16 units (JavaScript's `.length`).
        let at_limit = "😀".repeat(1_000);
        assert!(children(&json!([para(&at_limit)]), "body.children").is_ok());
        let over = "😀".repeat(1_001);
        let e = children(&json!([para(&over)]), "body.children").unwrap_err();
        assert!(e.message.contains("instead was `2002`"), "{}", e.message);
        // Characters inside the BMP count one each, however many bytes they take.
        assert!(children(&json!([para(&"é".repeat(2_000))]), "body.children").is_ok());
        let url = format!("https://x/{}", "😀".repeat(996));
        let link = json!([{"type": "text", "text": {"content": "x", "link": {"url": url}}}]);
        assert!(rich_text(&link, "rt").is_err());
    }

    #[test]
    fn text_limits_name_the_exact_path() {
        let long = "a".repeat(2_001);
        let e = children(&json!([para("ok"), para(&long)]), "body.children").unwrap_err();
        assert!(e.message.contains("body.children[1].paragraph.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`"), "{}", e.message);
        assert!(children(&json!([para(&"a".repeat(2_000))]), "body.children").is_ok());
        let url = format!("https://x/{}", "a".repeat(2_000));
        let e = rich_text(
            &json!([{"text": {"content": "l", "link": {"url": url}}}]),
            "body.rich_text",
        )
        .unwrap_err();
        assert!(e.message.contains("text.link.url.length"));
        let e = rich_text(
            &json!([{"type": "equation", "equation": {"expression": "x".repeat(1_001)}}]),
            "r",
        )
        .unwrap_err();
        assert!(
            e.message
                .contains("equation.expression.length should be ≤ `1000`")
        );
        let items: Vec<Value> = (0..101)
            .map(|_| json!({"text": {"content": "a"}}))
            .collect();
        let e = rich_text(&Value::Array(items), "body.rich_text").unwrap_err();
        assert!(
            e.message
                .contains("body.rich_text.length should be ≤ `100`")
        );
    }

    #[test]
    fn total_block_count_is_capped() {
        // 100 toggles with 10 children each = 1,100 blocks.
        let blocks: Vec<Value> = (0..100)
            .map(|_| json!({"toggle": {"rich_text": [], "children": (0..10).map(|_| para("x")).collect::<Vec<_>>()}}))
            .collect();
        let e = children(&Value::Array(blocks), "body.children").unwrap_err();
        assert!(e.message.contains("1000"), "{}", e.message);
    }

    #[test]
    fn body_size_and_property_limits() {
        assert!(body_size(MAX_BODY_BYTES).is_ok());
        assert!(body_size(MAX_BODY_BYTES + 1).is_err());
        let e = properties(&json!({"Mail": {"email": "a".repeat(201)}})).unwrap_err();
        assert!(
            e.message
                .contains("body.properties.Mail.email.length should be ≤ `200`")
        );
        let e = properties(&json!({"Name": {"title": [{"text": {"content": "a".repeat(2_001)}}]}}))
            .unwrap_err();
        assert!(
            e.message
                .contains("body.properties.Name.title[0].text.content.length")
        );
    }
}
