//! Notion's request limits (notion-api.md §5, §8) and a validator that checks a request's
//! `children` array against them the way Notion does, on the JSON that would be sent.

use serde_json::Value;
use thiserror::Error;

use crate::notion::model::Block;

use super::rich_text::utf16_len;

/// `text.content` of one rich-text item (Notion counts UTF-16 code units).
pub const MAX_TEXT_UTF16: usize = 2_000;
/// `text.link.url` of one rich-text item.
pub const MAX_LINK_URL_UTF16: usize = 2_000;
/// `equation.expression`, inline or block.
pub const MAX_EQUATION_UTF16: usize = 1_000;
/// Items in one rich-text array (`rich_text`, `caption`, one table cell).
pub const MAX_RICH_TEXT_ITEMS: usize = 100;
/// Blocks in one `children` array.
pub const MAX_CHILDREN_PER_ARRAY: usize = 100;
/// Levels of blocks in one request: a first-level block may carry one level of children.
pub const MAX_NESTING_PER_REQUEST: usize = 2;
/// Block elements in one request, all levels counted.
pub const MAX_BLOCKS_PER_REQUEST: usize = 1_000;
/// Notion's payload limit (500 KB). Requests are planned well below it.
pub const MAX_REQUEST_BYTES: usize = 500_000;

/// Our own budget for one block's rich-text array, so any single block fits in a request with
/// room to spare (100 items of 2,000 three-byte characters would be about 600 KB). 100 full
/// items of ASCII text, styled, still fit in one array.
pub const MAX_RICH_TEXT_BYTES: usize = 230_000;
/// Our own budget for one block without its children (a table row holds many cells).
pub const MAX_BLOCK_BYTES: usize = 250_000;
/// Nesting depth of a converted document: quotes and list items nested deeper make no block of
/// their own, their content joins the enclosing one (with a warning), so that no recursive step
/// (serialization, rendering, dropping) can exhaust the stack.
pub const MAX_DOCUMENT_DEPTH: usize = 32;
/// The largest Markdown body accepted.
pub const MAX_MARKDOWN_BYTES: usize = 8 * 1024 * 1024;

/// A request that Notion would reject, with the JSON path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {problem}")]
pub struct LimitViolation {
    pub path: String,
    pub problem: String,
}

fn violation(path: &str, problem: impl Into<String>) -> LimitViolation {
    LimitViolation {
        path: path.to_owned(),
        problem: problem.into(),
    }
}

/// Checks a request's `children` array (page creation or append) against Notion's limits:
/// at most 100 blocks per array, two levels, 1,000 blocks in all, rich-text items and arrays
/// within their limits, tables carrying rows that match their width, and a JSON size below
/// [`MAX_REQUEST_BYTES`].
pub fn validate_children(children: &[Block]) -> Result<(), LimitViolation> {
    let json = serde_json::to_vec(children)
        .map_err(|error| violation("children", format!("does not serialize: {error}")))?;
    if json.len() >= MAX_REQUEST_BYTES {
        return Err(violation(
            "children",
            format!("{} bytes of JSON, limit {MAX_REQUEST_BYTES}", json.len()),
        ));
    }
    let value: Value = serde_json::from_slice(&json)
        .map_err(|error| violation("children", format!("does not parse back: {error}")))?;
    let mut total = 0;
    block_array(&value, "children", 1, &mut total)?;
    if total > MAX_BLOCKS_PER_REQUEST {
        return Err(violation(
            "children",
            format!("{total} block elements, limit {MAX_BLOCKS_PER_REQUEST}"),
        ));
    }
    Ok(())
}

fn block_array(
    value: &Value,
    path: &str,
    level: usize,
    total: &mut usize,
) -> Result<(), LimitViolation> {
    let blocks = value
        .as_array()
        .ok_or_else(|| violation(path, "not an array"))?;
    if blocks.len() > MAX_CHILDREN_PER_ARRAY {
        return Err(violation(
            path,
            format!("{} blocks, limit {MAX_CHILDREN_PER_ARRAY}", blocks.len()),
        ));
    }
    for (index, block) in blocks.iter().enumerate() {
        *total += 1;
        let block_path = format!("{path}[{index}]");
        let kind = block["type"]
            .as_str()
            .ok_or_else(|| violation(&block_path, "no type"))?;
        let payload = &block[kind];
        let payload_path = format!("{block_path}.{kind}");
        payload_limits(kind, payload, &payload_path)?;
        let children = &payload["children"];
        if kind == "table" {
            table_rows(payload, &payload_path, level)?;
        }
        if children.is_null() {
            continue;
        }
        let children_path = format!("{payload_path}.children");
        if level >= MAX_NESTING_PER_REQUEST {
            return Err(violation(
                &children_path,
                format!("more than {MAX_NESTING_PER_REQUEST} levels of nesting"),
            ));
        }
        block_array(children, &children_path, level + 1, total)?;
    }
    Ok(())
}

/// A table must be created with its rows (so it can only be a first-level block), and every row
/// has `table_width` cells.
fn table_rows(payload: &Value, path: &str, level: usize) -> Result<(), LimitViolation> {
    let rows = payload["children"].as_array();
    if level >= MAX_NESTING_PER_REQUEST || rows.is_none_or(Vec::is_empty) {
        return Err(violation(path, "a table must be created with its rows"));
    }
    let width = payload["table_width"].as_u64().unwrap_or_default();
    for (index, row) in rows.into_iter().flatten().enumerate() {
        let row_path = format!("{path}.children[{index}]");
        if row["type"] != "table_row" {
            return Err(violation(&row_path, "a table holds only table_row blocks"));
        }
        let cells = row["table_row"]["cells"].as_array().map_or(0, Vec::len);
        if u64::try_from(cells).ok() != Some(width) {
            return Err(violation(
                &row_path,
                format!("{cells} cells in a table of width {width}"),
            ));
        }
    }
    Ok(())
}

fn payload_limits(kind: &str, payload: &Value, path: &str) -> Result<(), LimitViolation> {
    for key in ["rich_text", "caption", "title"] {
        if payload[key].is_array() {
            rich_text(&payload[key], &format!("{path}.{key}"))?;
        }
    }
    if let Some(cells) = payload["cells"].as_array() {
        for (index, cell) in cells.iter().enumerate() {
            rich_text(cell, &format!("{path}.cells[{index}]"))?;
        }
    }
    if kind == "equation" {
        let expression = payload["expression"].as_str().unwrap_or_default();
        if utf16_len(expression) > MAX_EQUATION_UTF16 {
            return Err(violation(
                &format!("{path}.expression"),
                format!("longer than {MAX_EQUATION_UTF16}"),
            ));
        }
    }
    Ok(())
}

/// One rich-text array: at most 100 items; text, link and equation lengths within their limits.
pub fn rich_text(value: &Value, path: &str) -> Result<(), LimitViolation> {
    let items = value
        .as_array()
        .ok_or_else(|| violation(path, "not an array"))?;
    if items.len() > MAX_RICH_TEXT_ITEMS {
        return Err(violation(
            path,
            format!("{} items, limit {MAX_RICH_TEXT_ITEMS}", items.len()),
        ));
    }
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{index}]");
        let checks = [
            (&item["text"]["content"], "text.content", MAX_TEXT_UTF16),
            (
                &item["text"]["link"]["url"],
                "text.link.url",
                MAX_LINK_URL_UTF16,
            ),
            (
                &item["equation"]["expression"],
                "equation.expression",
                MAX_EQUATION_UTF16,
            ),
        ];
        for (field, name, max) in checks {
            if let Some(text) = field.as_str()
                && utf16_len(text) > max
            {
                return Err(violation(
                    &format!("{item_path}.{name}"),
                    format!("{} UTF-16 units, limit {max}", utf16_len(text)),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notion::model::RichText;

    fn paragraph(text: &str) -> Block {
        Block::paragraph(vec![RichText::text(text)])
    }

    #[test]
    fn accepts_a_valid_request() {
        let item = Block::bulleted_list_item(vec![RichText::text("a")])
            .with_children(vec![paragraph("b"); 100]);
        let table = Block::table(1, true, vec![vec![vec![RichText::text("c")]]]);
        assert_eq!(validate_children(&[item, table, paragraph("d")]), Ok(()));
    }

    #[test]
    fn rejects_each_kind_of_excess() {
        let too_many = vec![paragraph("x"); 101];
        assert!(validate_children(&too_many).is_err());

        let deep = Block::toggle(vec![]).with_children(vec![
            Block::toggle(vec![]).with_children(vec![paragraph("x")]),
        ]);
        let error = validate_children(&[deep]).unwrap_err();
        assert!(error.problem.contains("levels"), "{error}");

        let wide: Vec<Block> = (0..10)
            .map(|_| Block::toggle(vec![]).with_children(vec![paragraph("x"); 100]))
            .collect();
        let error = validate_children(&wide).unwrap_err();
        assert!(error.problem.contains("block elements"), "{error}");

        let long_text = paragraph(&"😀".repeat(1_001));
        assert!(validate_children(&[long_text]).is_err());
        assert!(validate_children(&[paragraph(&"😀".repeat(1_000))]).is_ok());

        let items = Block::paragraph(vec![RichText::text("x"); 101]);
        assert!(validate_children(&[items]).is_err());

        let link = Block::paragraph(vec![RichText::text_with_link("x", "h".repeat(2_001))]);
        assert!(validate_children(&[link]).is_err());

        assert!(validate_children(&[Block::equation("x".repeat(1_001))]).is_err());
        let inline = Block::paragraph(vec![RichText::equation("x".repeat(1_001))]);
        assert!(validate_children(&[inline]).is_err());

        let rowless = Block::table(2, true, vec![]);
        assert!(validate_children(&[rowless]).is_err());
        let ragged = Block::table(2, true, vec![vec![vec![]]]);
        assert!(validate_children(&[ragged]).is_err());
        let nested_table =
            Block::toggle(vec![]).with_children(vec![Block::table(1, false, vec![vec![vec![]]])]);
        assert!(validate_children(&[nested_table]).is_err());

        let heavy: Vec<Block> = (0..3).map(|_| paragraph(&"x".repeat(200_000))).collect();
        let error = validate_children(&heavy).unwrap_err();
        assert!(error.problem.contains("bytes"), "{error}");
    }
}
