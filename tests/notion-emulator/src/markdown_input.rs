//! Markdown (the `markdown` field of `POST /v1/pages`) to request-shaped blocks: headings, lists
//! with nesting, to-dos, quotes, code fences, dividers, equations, tables and inline styles.

use serde_json::{Value, json};

/// Result of a conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// The first `# ` heading, removed from the blocks (Notion uses it as the title).
    pub title: Option<String>,
    pub blocks: Vec<Value>,
}

const MAX_CONTENT: usize = 2_000;

fn item(
    content: &str,
    bold: bool,
    italic: bool,
    strike: bool,
    code: bool,
    link: Option<&str>,
) -> Vec<Value> {
    // Pieces of at most MAX_CONTENT UTF-16 units (how Notion measures text), whole characters.
    let mut pieces: Vec<String> = Vec::new();
    let mut units = 0;
    for ch in content.chars() {
        if pieces.is_empty() || units + ch.len_utf16() > MAX_CONTENT {
            pieces.push(String::new());
            units = 0;
        }
        units += ch.len_utf16();
        if let Some(last) = pieces.last_mut() {
            last.push(ch);
        }
    }
    pieces
        .into_iter()
        .map(|c| {
            json!({
                "type": "text",
                "text": {"content": c, "link": link.map(|u| json!({"url": u}))},
                "annotations": {"bold": bold, "italic": italic, "strikethrough": strike, "underline": false, "code": code, "color": "default"},
            })
        })
        .collect()
}

/// Inline Markdown to a rich-text array (`**bold**`, `*italic*`, `~~strike~~`, `` `code` ``,
/// `[text](url)`, `$equation$`).
pub fn inline(s: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = s;
    let flush = |plain: &mut String, out: &mut Vec<Value>| {
        if !plain.is_empty() {
            out.extend(item(plain, false, false, false, false, None));
            plain.clear();
        }
    };
    while let Some(c) = rest.chars().next() {
        let delimited = |open: &str, close: &str| -> Option<(String, usize)> {
            let body = rest.strip_prefix(open)?;
            let end = body.find(close)?;
            (end > 0).then(|| (body[..end].to_string(), open.len() + end + close.len()))
        };
        let styled = if let Some((t, n)) = delimited("**", "**") {
            Some((item(&t, true, false, false, false, None), n))
        } else if let Some((t, n)) = delimited("~~", "~~") {
            Some((item(&t, false, false, true, false, None), n))
        } else if let Some((t, n)) = delimited("`", "`") {
            Some((item(&t, false, false, false, true, None), n))
        } else if let Some((t, n)) = delimited("*", "*").or_else(|| delimited("_", "_")) {
            Some((item(&t, false, true, false, false, None), n))
        } else if let Some((t, n)) = delimited("$", "$") {
            Some((
                vec![json!({"type": "equation", "equation": {"expression": t}})],
                n,
            ))
        } else if c == '[' {
            rest.find("](").and_then(|mid| {
                let close = rest[mid + 2..].find(')')? + mid + 2;
                let label = &rest[1..mid];
                let url = &rest[mid + 2..close];
                Some((
                    item(label, false, false, false, false, Some(url)),
                    close + 1,
                ))
            })
        } else {
            None
        };
        match styled {
            Some((items, consumed)) => {
                flush(&mut plain, &mut out);
                out.extend(items);
                rest = &rest[consumed..];
            }
            None => {
                plain.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    flush(&mut plain, &mut out);
    out
}

struct Node {
    block: Value,
    children: Vec<usize>,
}

fn text_block(kind: &str, content: &str) -> Value {
    json!({"type": kind, kind: {"rich_text": inline(content)}})
}

fn indent_of(line: &str) -> usize {
    let mut n = 0;
    for c in line.chars() {
        match c {
            ' ' => n += 1,
            '\t' => n += 4,
            _ => break,
        }
    }
    n
}

fn table_cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

/// Converts a Markdown document.
pub fn to_blocks(md: &str) -> Converted {
    let mut title = None;
    let mut nodes: Vec<Node> = Vec::new();
    let mut roots: Vec<usize> = Vec::new();
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let raw = lines[i];
        let indent = indent_of(raw);
        let line = raw.trim();
        i += 1;
        if line.is_empty() {
            stack.clear();
            continue;
        }
        let block = if let Some(fence) = line.strip_prefix("```") {
            let language = if fence.trim().is_empty() {
                "plain text"
            } else {
                fence.trim()
            };
            let mut code = Vec::new();
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                code.push(lines[i]);
                i += 1;
            }
            i += 1;
            let content = code.join("\n");
            json!({"type": "code", "code": {"rich_text": item(&content, false, false, false, false, None), "language": language}})
        } else if line == "$$" {
            let mut expr = Vec::new();
            while i < lines.len() && lines[i].trim() != "$$" {
                expr.push(lines[i]);
                i += 1;
            }
            i += 1;
            json!({"type": "equation", "equation": {"expression": expr.join("\n")}})
        } else if line.starts_with('|') {
            let mut rows = vec![table_cells(line)];
            let mut header = false;
            while i < lines.len() && lines[i].trim().starts_with('|') {
                let cells = table_cells(lines[i]);
                if cells
                    .iter()
                    .all(|c| !c.is_empty() && c.chars().all(|ch| ch == '-' || ch == ':'))
                {
                    header = true;
                } else {
                    rows.push(cells);
                }
                i += 1;
            }
            let width = rows.iter().map(Vec::len).max().unwrap_or(1);
            let children: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let cells: Vec<Value> = (0..width)
                        .map(|c| Value::Array(inline(r.get(c).map(String::as_str).unwrap_or(""))))
                        .collect();
                    json!({"type": "table_row", "table_row": {"cells": cells}})
                })
                .collect();
            json!({"type": "table", "table": {"table_width": width, "has_column_header": header, "has_row_header": false}, "children": children})
        } else if line == "---" || line == "***" {
            json!({"type": "divider", "divider": {}})
        } else if let Some(h) = line.strip_prefix("#### ") {
            text_block("heading_4", h)
        } else if let Some(h) = line.strip_prefix("### ") {
            text_block("heading_3", h)
        } else if let Some(h) = line.strip_prefix("## ") {
            text_block("heading_2", h)
        } else if let Some(h) = line.strip_prefix("# ") {
            if title.is_none() && nodes.is_empty() {
                title = Some(h.trim().to_string());
                continue;
            }
            text_block("heading_1", h)
        } else if let Some(t) = line
            .strip_prefix("- [ ] ")
            .or_else(|| line.strip_prefix("* [ ] "))
        {
            json!({"type": "to_do", "to_do": {"rich_text": inline(t), "checked": false}})
        } else if let Some(t) = line
            .strip_prefix("- [x] ")
            .or_else(|| line.strip_prefix("- [X] "))
            .or_else(|| line.strip_prefix("* [x] "))
        {
            json!({"type": "to_do", "to_do": {"rich_text": inline(t), "checked": true}})
        } else if let Some(t) = line
            .strip_prefix("- ")
            .or_else(|| line.strip_prefix("* "))
            .or_else(|| line.strip_prefix("+ "))
        {
            text_block("bulleted_list_item", t)
        } else if let Some(t) = numbered(line) {
            text_block("numbered_list_item", t)
        } else if let Some(q) = line.strip_prefix("> ").or_else(|| line.strip_prefix(">")) {
            text_block("quote", q)
        } else {
            text_block("paragraph", line)
        };
        let idx = nodes.len();
        nodes.push(Node {
            block,
            children: Vec::new(),
        });
        while stack.last().is_some_and(|(level, _)| *level >= indent) {
            stack.pop();
        }
        match stack.last() {
            Some((_, parent)) if indent > 0 => nodes[*parent].children.push(idx),
            _ => roots.push(idx),
        }
        stack.push((indent, idx));
    }
    fn build(nodes: &[Node], idx: usize) -> Value {
        let mut b = nodes[idx].block.clone();
        if !nodes[idx].children.is_empty() {
            b["children"] = Value::Array(
                nodes[idx]
                    .children
                    .iter()
                    .map(|c| build(nodes, *c))
                    .collect(),
            );
        }
        b
    }
    Converted {
        title,
        blocks: roots.iter().map(|r| build(&nodes, *r)).collect(),
    }
}

fn numbered(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    line[digits..].strip_prefix(". ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_lists_and_title() {
        let c = to_blocks(
            "# Title\n\nIntro **bold** and [link](https://x.y).\n\n## Part\n- one\n  - nested\n- [x] done\n1. first\n---\n> quote",
        );
        assert_eq!(c.title.as_deref(), Some("Title"));
        let kinds: Vec<&str> = c
            .blocks
            .iter()
            .map(|b| b["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "paragraph",
                "heading_2",
                "bulleted_list_item",
                "to_do",
                "numbered_list_item",
                "divider",
                "quote"
            ]
        );
        assert_eq!(c.blocks[2]["children"][0]["type"], "bulleted_list_item");
        let rich = &c.blocks[0]["paragraph"]["rich_text"];
        assert_eq!(rich[1]["annotations"]["bold"], true);
        assert_eq!(rich[3]["text"]["link"]["url"], "https://x.y");
        assert_eq!(c.blocks[3]["to_do"]["checked"], true);
    }

    #[test]
    fn code_tables_and_long_text() {
        let long = "a".repeat(4_500);
        let c = to_blocks(&format!(
            "```rust\nfn x() {{}}\n```\n| a | b |\n|---|---|\n| 1 | 2 |\n{long}"
        ));
        assert_eq!(c.blocks[0]["code"]["language"], "rust");
        assert_eq!(c.blocks[1]["table"]["has_column_header"], true);
        assert_eq!(c.blocks[1]["children"].as_array().unwrap().len(), 2);
        assert_eq!(
            c.blocks[2]["paragraph"]["rich_text"]
                .as_array()
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn inline_styles() {
        let r = inline("a `c` ~~s~~ *i* $x^2$");
        assert_eq!(r[1]["annotations"]["code"], true);
        assert_eq!(r[3]["annotations"]["strikethrough"], true);
        assert_eq!(r[5]["annotations"]["italic"], true);
        assert_eq!(r[7]["type"], "equation");
    }

    proptest::proptest! {
        #[test]
        fn conversion_never_panics(md in "\\PC{0,300}") {
            let _ = to_blocks(&md);
            let _ = inline(&md);
        }

        #[test]
        fn plain_words_keep_their_text(words in "[a-zA-Z0-9 ,.]{0,5000}") {
            let items = inline(&words);
            let joined: String = items.iter().map(|i| i["text"]["content"].as_str().unwrap().to_string()).collect();
            proptest::prop_assert_eq!(joined, words);
            proptest::prop_assert!(items.iter().all(|i| i["text"]["content"].as_str().unwrap().encode_utf16().count() <= 2_000));
        }
    }
}
