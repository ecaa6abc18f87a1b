//! Notion blocks back to Markdown (for pages read as blocks instead of through the markdown
//! endpoint) and to plain text (for search text and tests).
//!
//! The Markdown is CommonMark plus GitHub tables, task lists, strikethrough and `$` math, the
//! dialect [`super::to_blocks`] reads. Blocks Markdown cannot express are kept readable:
//! toggles as `<details>`, callouts as quotes starting with their emoji, media and bookmarks as
//! links, child pages as links to Notion; blocks with no content (table of contents,
//! breadcrumb) and unknown types leave an HTML comment naming the type.

use crate::notion::model::{
    Annotations, Block, BlockContent, Icon, LinkToPage, Mention, RichText, RichTextContent,
};

use super::languages::markdown_info_string;
use super::tree::BlockNode;

/// Renders a block tree as Markdown (ends with a newline unless empty).
pub fn blocks_to_markdown(nodes: &[BlockNode]) -> String {
    let mut out = String::new();
    render_blocks(nodes, "", &mut out);
    let trimmed = out.trim_end_matches('\n').len();
    out.truncate(trimmed);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// The text of a block tree in document order, one line per block that has text (table cells
/// separated by tabs).
pub fn plain_text(nodes: &[BlockNode]) -> String {
    let mut out = String::new();
    plain_text_into(nodes, &mut out);
    out
}

fn plain_text_into(nodes: &[BlockNode], out: &mut String) {
    for node in nodes {
        let text = block_plain_text(&node.block);
        if !text.is_empty() {
            out.push_str(&text);
            out.push('\n');
        }
        plain_text_into(&node.children, out);
    }
}

fn block_plain_text(block: &Block) -> String {
    use BlockContent as C;
    if let Some(rich_text) = block.rich_text() {
        return RichText::concat_plain_text(rich_text);
    }
    match &block.content {
        C::TableRow(row) => row
            .cells
            .iter()
            .map(|cell| RichText::concat_plain_text(cell))
            .collect::<Vec<_>>()
            .join("\t"),
        C::Equation(equation) => equation.expression.clone(),
        C::Image(media) | C::Video(media) | C::Pdf(media) | C::Audio(media) | C::File(media) => {
            RichText::concat_plain_text(&media.caption)
        }
        C::Bookmark(link) | C::Embed(link) => RichText::concat_plain_text(&link.caption),
        C::ChildPage(child) | C::ChildDatabase(child) => child.title.clone(),
        _ => String::new(),
    }
}

/// Which list a block belongs to, so consecutive items stay one (tight) list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Bulleted,
    Numbered,
    ToDo,
}

fn list_kind(block: &Block) -> Option<ListKind> {
    match block.content {
        BlockContent::BulletedListItem(_) => Some(ListKind::Bulleted),
        BlockContent::NumberedListItem(_) => Some(ListKind::Numbered),
        BlockContent::ToDo(_) => Some(ListKind::ToDo),
        _ => None,
    }
}

fn render_blocks(nodes: &[BlockNode], indent: &str, out: &mut String) {
    let mut previous: Option<ListKind> = None;
    let mut number: u64 = 0;
    for (index, node) in nodes.iter().enumerate() {
        let kind = list_kind(&node.block);
        if index > 0 {
            // Items of one list stay tight; everything else is separated by a blank line.
            if kind.is_none() || kind != previous {
                out.push_str(indent.trim_end());
                out.push('\n');
            }
        }
        if kind == Some(ListKind::Numbered) {
            number = match (&node.block.content, previous == kind) {
                (BlockContent::NumberedListItem(item), false) => item
                    .list_start_index
                    .as_ref()
                    .and_then(serde_json::Number::as_u64)
                    .unwrap_or(1),
                (_, true) => number + 1,
                _ => 1,
            };
        }
        render_block(node, indent, number, out);
        previous = kind;
    }
}

/// Writes `text` (which may hold line breaks) with `first` before its first line and `rest`
/// before the others.
fn push_lines(out: &mut String, first: &str, rest: &str, text: &str) {
    for (index, line) in text.split('\n').enumerate() {
        out.push_str(if index == 0 { first } else { rest });
        out.push_str(line);
        out.push('\n');
    }
}

fn render_block(node: &BlockNode, indent: &str, number: u64, out: &mut String) {
    use BlockContent as C;
    let block = &node.block;
    let children_indent;
    match &block.content {
        C::Paragraph(p) => {
            push_lines(out, indent, indent, &inline_markdown(&p.rich_text));
            children_indent = format!("{indent}    ");
        }
        C::Heading1(h) | C::Heading2(h) | C::Heading3(h) | C::Heading4(h) => {
            let level = match block.content {
                C::Heading1(_) => 1,
                C::Heading2(_) => 2,
                C::Heading3(_) => 3,
                _ => 4,
            };
            let text = inline_markdown(&h.rich_text).replace('\n', " ");
            out.push_str(&format!("{indent}{} {text}\n", "#".repeat(level)));
            children_indent = indent.to_owned();
        }
        C::BulletedListItem(item) => {
            list_item(out, indent, "- ", &item.rich_text);
            children_indent = format!("{indent}  ");
        }
        C::NumberedListItem(item) => {
            let marker = format!("{number}. ");
            list_item(out, indent, &marker, &item.rich_text);
            children_indent = format!("{indent}{}", " ".repeat(marker.len()));
        }
        C::ToDo(item) => {
            let marker = if item.checked { "- [x] " } else { "- [ ] " };
            list_item(out, indent, marker, &item.rich_text);
            children_indent = format!("{indent}  ");
        }
        C::Quote(quote) => {
            quote_block(
                out,
                indent,
                &inline_markdown(&quote.rich_text),
                &node.children,
            );
            return;
        }
        C::Callout(callout) => {
            let icon = match &callout.icon {
                Some(Some(Icon::Emoji(emoji))) => format!("{emoji} "),
                _ => String::new(),
            };
            let text = format!("{icon}{}", inline_markdown(&callout.rich_text));
            quote_block(out, indent, &text, &node.children);
            return;
        }
        C::Toggle(toggle) => {
            let summary = inline_markdown(&toggle.rich_text).replace('\n', " ");
            out.push_str(&format!(
                "{indent}<details>\n{indent}<summary>{summary}</summary>\n"
            ));
            if !node.children.is_empty() {
                out.push_str(indent.trim_end());
                out.push('\n');
                render_blocks(&node.children, indent, out);
                out.push_str(indent.trim_end());
                out.push('\n');
            }
            out.push_str(&format!("{indent}</details>\n"));
            return;
        }
        C::Code(code) => {
            let text = RichText::concat_plain_text(&code.rich_text);
            let fence = "`".repeat(longest_run(&text, '`').max(2) + 1);
            let info = markdown_info_string(code.language.as_deref().unwrap_or_default());
            out.push_str(&format!("{indent}{fence}{info}\n"));
            push_lines(out, indent, indent, &text);
            out.push_str(&format!("{indent}{fence}\n"));
            children_indent = indent.to_owned();
        }
        C::Equation(equation) => {
            out.push_str(&format!("{indent}$$\n"));
            push_lines(out, indent, indent, &equation.expression);
            out.push_str(&format!("{indent}$$\n"));
            children_indent = indent.to_owned();
        }
        C::Divider(_) => {
            out.push_str(&format!("{indent}---\n"));
            children_indent = indent.to_owned();
        }
        C::Table(table) => {
            table_markdown(out, indent, table.has_column_header, &node.children);
            return;
        }
        C::Image(media) => {
            let alt = inline_markdown(&media.caption).replace('\n', " ");
            let url = media.file.url().unwrap_or_default();
            out.push_str(&format!("{indent}![{alt}]({})\n", link_target(url)));
            children_indent = indent.to_owned();
        }
        C::Video(media) | C::Pdf(media) | C::Audio(media) | C::File(media) => {
            let mut label = RichText::concat_plain_text(&media.caption);
            if label.is_empty() {
                label = media.name.clone().unwrap_or_default();
            }
            let url = media.file.url().unwrap_or_default();
            if label.is_empty() {
                label = url.to_owned();
            }
            media_link(out, indent, &label, url);
            children_indent = indent.to_owned();
        }
        C::Bookmark(link) | C::Embed(link) => {
            let mut label = RichText::concat_plain_text(&link.caption);
            if label.is_empty() {
                label.clone_from(&link.url);
            }
            media_link(out, indent, &label, &link.url);
            children_indent = indent.to_owned();
        }
        C::LinkPreview(preview) => {
            media_link(out, indent, &preview.url, &preview.url);
            children_indent = indent.to_owned();
        }
        C::ChildPage(child) | C::ChildDatabase(child) => {
            let id = block.id.as_deref().unwrap_or_default();
            media_link(out, indent, &child.title, &notion_url(id));
            children_indent = indent.to_owned();
        }
        C::LinkToPage(link) => {
            let id = match link {
                LinkToPage::PageId(id) | LinkToPage::DatabaseId(id) => id.as_str(),
                _ => "",
            };
            media_link(out, indent, &notion_url(id), &notion_url(id));
            children_indent = indent.to_owned();
        }
        C::ColumnList(_) | C::Column(_) | C::Tab(_) | C::SyncedBlock(_) | C::Template(_) => {
            // Containers: their content is their children.
            render_blocks(&node.children, indent, out);
            return;
        }
        _ => {
            out.push_str(&format!("{indent}<!-- {} -->\n", block.type_name()));
            children_indent = indent.to_owned();
        }
    }
    if !node.children.is_empty() {
        out.push_str(children_indent.trim_end());
        out.push('\n');
        render_blocks(&node.children, &children_indent, out);
    }
}

fn list_item(out: &mut String, indent: &str, marker: &str, rich_text: &[RichText]) {
    let text = inline_markdown(rich_text);
    let rest = format!("{indent}{}", " ".repeat(marker.len()));
    push_lines(out, &format!("{indent}{marker}"), &rest, &text);
}

fn quote_block(out: &mut String, indent: &str, text: &str, children: &[BlockNode]) {
    let prefix = format!("{indent}> ");
    push_lines(out, &prefix, &prefix, text);
    if !children.is_empty() {
        let mut inner = String::new();
        render_blocks(children, "", &mut inner);
        out.push_str(prefix.trim_end());
        out.push('\n');
        for line in inner.lines() {
            out.push_str(if line.is_empty() {
                prefix.trim_end()
            } else {
                &prefix
            });
            if !line.is_empty() {
                out.push_str(line);
            }
            out.push('\n');
        }
    }
}

fn media_link(out: &mut String, indent: &str, label: &str, url: &str) {
    out.push_str(&format!(
        "{indent}[{}]({})\n",
        escape_text(&label.replace('\n', " "), false),
        link_target(url)
    ));
}

fn notion_url(id: &str) -> String {
    format!("https://www.notion.so/{}", id.replace('-', ""))
}

fn table_markdown(out: &mut String, indent: &str, has_header: bool, rows: &[BlockNode]) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .filter_map(|row| match &row.block.content {
            BlockContent::TableRow(row) => Some(
                row.cells
                    .iter()
                    .map(|cell| {
                        inline_markdown(cell)
                            .replace('|', "\\|")
                            .replace('\n', "<br>")
                    })
                    .collect(),
            ),
            _ => None,
        })
        .collect();
    let width = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let line = |out: &mut String, row: &[String]| {
        out.push_str(indent);
        out.push('|');
        for column in 0..width {
            out.push(' ');
            out.push_str(row.get(column).map_or("", String::as_str));
            out.push_str(" |");
        }
        out.push('\n');
    };
    let mut body = cells.as_slice();
    match (has_header, body.split_first()) {
        (true, Some((header, rest))) => {
            line(out, header);
            body = rest;
        }
        _ => line(out, &[]),
    }
    out.push_str(indent);
    out.push('|');
    out.push_str(&" --- |".repeat(width));
    out.push('\n');
    for row in body {
        line(out, row);
    }
}

fn longest_run(text: &str, ch: char) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for c in text.chars() {
        if c == ch {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    longest
}

/// A link destination; angle brackets when it holds spaces or parentheses.
fn link_target(url: &str) -> String {
    if url.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", url.replace('<', "%3C").replace('>', "%3E"))
    } else {
        url.to_owned()
    }
}

/// Escapes Markdown syntax in text; `line_start` also guards characters that would start a
/// block (headings, quotes, list markers).
fn escape_text(text: &str, line_start: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut at_line_start = line_start;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '$' | '~' | '&' | '|' => {
                out.push('\\');
                out.push(ch);
            }
            '#' | '>' | '-' | '+' | '=' if at_line_start => {
                out.push('\\');
                out.push(ch);
            }
            '0'..='9' if at_line_start => {
                // `1.` or `1)` at a line start would begin an ordered list.
                out.push(ch);
                while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                    out.push(digit);
                }
                if let Some(mark) = chars.next_if(|c| matches!(c, '.' | ')')) {
                    out.push('\\');
                    out.push(mark);
                }
            }
            _ => out.push(ch),
        }
        at_line_start = ch == '\n' || (at_line_start && ch == ' ');
    }
    out
}

/// Rich text as inline Markdown. Neighbouring items with the same look are merged first, so
/// text that was split for Notion's limits renders as one run.
fn inline_markdown(items: &[RichText]) -> String {
    let mut runs: Vec<(String, Annotations, Option<String>, bool)> = Vec::new();
    for item in items {
        let annotations = item.annotations.clone().unwrap_or_default();
        let link = item.link_url().map(str::to_owned);
        let (text, is_equation) = match &item.content {
            RichTextContent::Equation(equation) => (equation.expression.clone(), true),
            RichTextContent::Text(text) => (text.content.clone(), false),
            RichTextContent::Mention(Mention::Date(date)) if item.plain_text.is_none() => {
                (date.start.clone(), false)
            }
            _ => (item.plain_text().to_owned(), false),
        };
        match runs.last_mut() {
            Some((last, last_annotations, last_link, false))
                if !is_equation && *last_annotations == annotations && *last_link == link =>
            {
                last.push_str(&text);
            }
            _ => runs.push((text, annotations, link, is_equation)),
        }
    }
    let mut out = String::new();
    for (text, annotations, link, is_equation) in runs {
        let at_line_start = out.is_empty() || out.ends_with('\n');
        let rendered = if is_equation {
            format!("${text}$")
        } else {
            styled(&text, &annotations, at_line_start)
        };
        match link {
            Some(url) if !rendered.is_empty() => {
                out.push_str(&format!("[{rendered}]({})", link_target(&url)));
            }
            _ => out.push_str(&rendered),
        }
    }
    out
}

/// One run with its annotations, whitespace kept outside the delimiters (CommonMark does not
/// treat `** a**` as bold).
fn styled(text: &str, annotations: &Annotations, at_line_start: bool) -> String {
    let core = text.trim();
    if core.is_empty() {
        return text.to_owned();
    }
    let leading = &text[..text.len() - text.trim_start().len()];
    let trailing = &text[text.trim_end().len()..];
    let mut body = if annotations.code {
        let ticks = "`".repeat(longest_run(core, '`') + 1);
        let pad = if core.starts_with('`') || core.ends_with('`') {
            " "
        } else {
            ""
        };
        format!("{ticks}{pad}{core}{pad}{ticks}")
    } else {
        escape_text(core, at_line_start && leading.is_empty())
    };
    if annotations.strikethrough {
        body = format!("~~{body}~~");
    }
    if annotations.italic {
        body = format!("*{body}*");
    }
    if annotations.bold {
        body = format!("**{body}**");
    }
    format!("{leading}{body}{trailing}")
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
