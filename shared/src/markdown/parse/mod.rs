//! Markdown to request-form Notion blocks, driven by pulldown-cmark's event stream with an
//! explicit stack (no recursion, so no input can exhaust the stack). `containers` closes quotes,
//! list items and tables; `paragraph` turns inline content into blocks; `inline` collects it.
//!
//! Mapping:
//! - `#`..`####` → `heading_1`..`heading_4`; `#####` and `######` → `heading_4`.
//! - paragraphs → `paragraph`; an image or a `$$…$$` display equation inside a paragraph becomes
//!   its own `image` / `equation` block between the text before and after it.
//! - `-`/`*`/`+` lists → `bulleted_list_item`, `1.` lists → `numbered_list_item` (a start other
//!   than 1 sets `list_start_index` on the first item), `- [ ]`/`- [x]` → `to_do`. An item's
//!   first paragraph is its text; everything after it (more paragraphs, nested lists, code, ...)
//!   becomes its children.
//! - `>` quotes → `quote` the same way (first paragraph as text, the rest as children).
//! - fenced and indented code → `code` with the language mapped by [`notion_language`].
//! - `---` → `divider`; GitHub tables → `table` (`has_column_header`) with `table_row` children,
//!   short rows padded to the header's width (GFM itself ignores cells beyond it).
//! - `**`, `*`, `~~`, `` ` ``, links and `$…$` → annotations, links and inline equations.
//! - HTML (blocks and inline) is kept as plain text; soft and hard line breaks become `"\n"`.
//! - Text over 100 rich-text items (or [`MAX_RICH_TEXT_BYTES`] of JSON) continues in more
//!   blocks of the same type; inside list items and quotes those are their first children.
//!
//! [`MAX_RICH_TEXT_BYTES`]: super::limits::MAX_RICH_TEXT_BYTES
//! - Kept as text with a warning: links that are not absolute http(s)/mailto URLs or are over
//!   2,000 characters; images whose URL is not http(s) (and images in headings or table cells,
//!   as their alt text linked to the image); equations over 1,000 characters (as `latex` code).

mod containers;
mod inline;
mod paragraph;
#[cfg(test)]
mod tests;

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

use crate::notion::model::{Block, RichText};

use super::languages::notion_language;
use super::limits::{MAX_EQUATION_UTF16, MAX_MARKDOWN_BYTES};
use super::rich_text::{Inline, group_items, to_items, utf16_len};
use super::{Document, MarkdownError, Warning, WarningKind};
use containers::{split_first_paragraph, table_block};
use inline::{ImageBuf, InlineBuf, InlineKind, Piece, checked_link, excerpt};
use paragraph::paragraphs;

/// Warnings kept per document (a pathological input could otherwise produce millions).
const MAX_WARNINGS: usize = 1_000;

/// Converts Markdown to Notion blocks. Never panics; fails only when text cannot be kept within
/// Notion's limits at all (see [`MarkdownError`]).
pub fn to_blocks(markdown: &str) -> Result<Document, MarkdownError> {
    if markdown.len() > MAX_MARKDOWN_BYTES {
        return Err(MarkdownError::TooLarge {
            bytes: markdown.len(),
            max: MAX_MARKDOWN_BYTES,
        });
    }
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH;
    let mut builder = Builder::new(markdown);
    for (event, range) in Parser::new_ext(markdown, options).into_offset_iter() {
        builder.offset = range.start;
        builder.event(event)?;
    }
    builder.finish()
}

/// A block container being filled.
enum Container {
    Root(Vec<Block>),
    Quote(Vec<Block>),
    List {
        start: Option<u64>,
        items: Vec<Block>,
    },
    Item {
        blocks: Vec<Block>,
        task: Option<bool>,
    },
    Table {
        width: usize,
        rows: Vec<Vec<Vec<RichText>>>,
        row: Vec<Vec<RichText>>,
        line: usize,
    },
    /// A quote or list item nested deeper than [`MAX_DOCUMENT_DEPTH`]: it makes no block of its
    /// own and its content goes to the enclosing container.
    Flattened,
}

/// A leaf block whose text is collected verbatim.
enum Leaf {
    Code {
        language: &'static str,
        text: String,
    },
    Html(String),
}

struct Builder<'a> {
    source: &'a str,
    offset: usize,
    containers: Vec<Container>,
    inline: Option<InlineBuf>,
    leaf: Option<Leaf>,
    warnings: Vec<Warning>,
    flattened: bool,
    /// Open quotes and list items that make blocks (each a level of nesting).
    depth: usize,
    /// A known (offset, line) pair, so line numbers are found by counting from it.
    line_at: (usize, usize),
}

impl<'a> Builder<'a> {
    fn new(source: &'a str) -> Self {
        Self {
            source,
            offset: 0,
            containers: vec![Container::Root(Vec::new())],
            inline: None,
            leaf: None,
            warnings: Vec::new(),
            flattened: false,
            depth: 0,
            line_at: (0, 1),
        }
    }

    /// The 1-based line of the current event (offsets mostly move forward, so this is cheap).
    fn line(&mut self) -> usize {
        let target = self.offset.min(self.source.len());
        let (known, line) = self.line_at;
        let bytes = self.source.as_bytes();
        let count = |range: std::ops::Range<usize>| {
            bytes.get(range).map_or(0, |slice| {
                slice.iter().filter(|byte| **byte == b'\n').count()
            })
        };
        let line = if target >= known {
            line + count(known..target)
        } else {
            line.saturating_sub(count(target..known)).max(1)
        };
        self.line_at = (target, line);
        line
    }

    fn warn(&mut self, kind: WarningKind, line: usize, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(Warning {
                kind,
                line,
                message,
            });
        }
    }

    fn event(&mut self, event: Event<'_>) -> Result<(), MarkdownError> {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => return self.end(tag),
            Event::Text(text) => self.text(&text, false),
            Event::Code(text) => self.text(&text, true),
            Event::Html(text) | Event::InlineHtml(text) => self.text(&text, false),
            Event::InlineMath(expression) => self.inline_math(&expression),
            Event::DisplayMath(expression) => {
                let line = self.line();
                self.inline_buf().push(Piece::Display {
                    expression: expression.to_string(),
                    line,
                });
            }
            Event::FootnoteReference(label) => self.text(&format!("[^{label}]"), false),
            Event::SoftBreak | Event::HardBreak => self.text("\n", false),
            Event::Rule => {
                self.flush_paragraph()?;
                self.push_blocks(vec![Block::divider()]);
            }
            Event::TaskListMarker(checked) => {
                if let Some(Container::Item { task, .. }) = self
                    .containers
                    .iter_mut()
                    .rev()
                    .find(|c| matches!(c, Container::Item { .. } | Container::Flattened))
                {
                    *task = Some(checked);
                }
            }
        }
        Ok(())
    }

    fn start(&mut self, tag: Tag<'_>) {
        let line = self.line();
        match tag {
            Tag::Paragraph => {
                self.flush_paragraph_infallible();
                self.inline = Some(InlineBuf::new(InlineKind::Paragraph, line));
            }
            Tag::Heading { level, .. } => {
                self.flush_paragraph_infallible();
                let level = u8::try_from(level as usize).unwrap_or(4).clamp(1, 4);
                self.inline = Some(InlineBuf::new(InlineKind::Heading(level), line));
            }
            Tag::TableCell => {
                self.inline = Some(InlineBuf::new(InlineKind::Cell, line));
            }
            Tag::BlockQuote(_) => {
                self.flush_paragraph_infallible();
                self.open_nested(Container::Quote(Vec::new()));
            }
            Tag::CodeBlock(kind) => {
                self.flush_paragraph_infallible();
                let language = match kind {
                    CodeBlockKind::Fenced(info) => notion_language(&info),
                    CodeBlockKind::Indented => super::languages::PLAIN_TEXT,
                };
                self.leaf = Some(Leaf::Code {
                    language,
                    text: String::new(),
                });
            }
            Tag::HtmlBlock => {
                self.flush_paragraph_infallible();
                self.leaf = Some(Leaf::Html(String::new()));
            }
            Tag::List(start) => {
                self.flush_paragraph_infallible();
                self.containers.push(Container::List {
                    start,
                    items: Vec::new(),
                });
            }
            Tag::Item => {
                self.flush_paragraph_infallible();
                self.open_nested(Container::Item {
                    blocks: Vec::new(),
                    task: None,
                });
            }
            Tag::Table(alignments) => {
                self.flush_paragraph_infallible();
                self.containers.push(Container::Table {
                    width: alignments.len(),
                    rows: Vec::new(),
                    row: Vec::new(),
                    line,
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(Container::Table { row, .. }) = self.containers.last_mut() {
                    row.clear();
                }
            }
            Tag::Emphasis => self.inline_buf().emphasis += 1,
            Tag::Strong => self.inline_buf().strong += 1,
            Tag::Strikethrough => self.inline_buf().strikethrough += 1,
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                let url = match link_type {
                    LinkType::Email => format!("mailto:{dest_url}"),
                    _ => dest_url.to_string(),
                };
                let kept = match checked_link(&url) {
                    Ok(url) => Some(url),
                    Err(problem) => {
                        self.warn(
                            WarningKind::LinkKeptAsText,
                            line,
                            format!("link to `{}` kept as text: {problem}", excerpt(&url)),
                        );
                        None
                    }
                };
                self.inline_buf().links.push(kept);
            }
            Tag::Image { dest_url, .. } => {
                let image = ImageBuf {
                    url: dest_url.to_string(),
                    alt: Vec::new(),
                    line,
                };
                self.inline_buf().images.push(image);
            }
            // Not enabled (footnotes, definition lists, metadata, super/subscript): their
            // content flows into the surrounding blocks as text.
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) -> Result<(), MarkdownError> {
        match tag {
            TagEnd::Paragraph | TagEnd::Heading(_) => self.flush_paragraph()?,
            TagEnd::TableCell => {
                let cell = match self.inline.take() {
                    Some(buf) => self.cell(buf)?,
                    None => Vec::new(),
                };
                if let Some(Container::Table { row, .. }) = self.containers.last_mut() {
                    row.push(cell);
                }
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if let Some(Container::Table { row, rows, .. }) = self.containers.last_mut() {
                    rows.push(std::mem::take(row));
                }
            }
            TagEnd::Table => {
                if let Some(Container::Table {
                    width, rows, line, ..
                }) = self.pop_container(|c| matches!(c, Container::Table { .. }))
                {
                    let table = table_block(width, rows, line)?;
                    self.push_blocks(vec![table]);
                }
            }
            TagEnd::BlockQuote(_) => {
                self.flush_paragraph()?;
                if let Some(Container::Quote(blocks)) =
                    self.pop_container(|c| matches!(c, Container::Quote(_) | Container::Flattened))
                {
                    let (text, children) = split_first_paragraph(blocks);
                    self.push_nested(Block::quote(text), children);
                }
            }
            TagEnd::Item => {
                self.flush_paragraph()?;
                if let Some(Container::Item { blocks, task }) = self
                    .pop_container(|c| matches!(c, Container::Item { .. } | Container::Flattened))
                {
                    let (text, children) = split_first_paragraph(blocks);
                    let item = self.item_block(text, task);
                    self.push_nested(item, children);
                }
            }
            TagEnd::List(_) => {
                self.flush_paragraph()?;
                if let Some(Container::List { items, .. }) =
                    self.pop_container(|c| matches!(c, Container::List { .. }))
                {
                    self.push_blocks(items);
                }
            }
            TagEnd::CodeBlock | TagEnd::HtmlBlock => {
                if let Some(leaf) = self.leaf.take() {
                    self.push_leaf(leaf);
                }
            }
            TagEnd::Emphasis => {
                let buf = self.inline_buf();
                buf.emphasis = buf.emphasis.saturating_sub(1);
            }
            TagEnd::Strong => {
                let buf = self.inline_buf();
                buf.strong = buf.strong.saturating_sub(1);
            }
            TagEnd::Strikethrough => {
                let buf = self.inline_buf();
                buf.strikethrough = buf.strikethrough.saturating_sub(1);
            }
            TagEnd::Link => {
                self.inline_buf().links.pop();
            }
            TagEnd::Image => {
                let buf = self.inline_buf();
                if let Some(image) = buf.images.pop() {
                    buf.push(Piece::Image {
                        url: image.url,
                        alt: image.alt,
                        line: image.line,
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Document, MarkdownError> {
        self.flush_paragraph()?;
        if let Some(leaf) = self.leaf.take() {
            self.push_leaf(leaf);
        }
        // Events are balanced; this only guards against a container left open.
        while self.containers.len() > 1 {
            let line = self.line();
            match self.containers.pop() {
                Some(Container::Quote(blocks)) => {
                    let (text, children) = split_first_paragraph(blocks);
                    self.push_nested(Block::quote(text), children);
                }
                Some(Container::Item { blocks, task }) => {
                    let (text, children) = split_first_paragraph(blocks);
                    let item = self.item_block(text, task);
                    self.push_nested(item, children);
                }
                Some(Container::List { items, .. }) => self.push_blocks(items),
                Some(Container::Table { width, rows, .. }) => {
                    let table = table_block(width, rows, line)?;
                    self.push_blocks(vec![table]);
                }
                Some(Container::Root(blocks)) => self.push_blocks(blocks),
                Some(Container::Flattened) => {}
                None => break,
            }
        }
        let blocks = match self.containers.pop() {
            Some(Container::Root(blocks)) => blocks,
            _ => Vec::new(),
        };
        Ok(Document {
            blocks,
            warnings: self.warnings,
        })
    }

    /// The open inline buffer; text outside any paragraph (tight list items) opens one.
    fn inline_buf(&mut self) -> &mut InlineBuf {
        let line = self.line();
        self.inline
            .get_or_insert_with(|| InlineBuf::new(InlineKind::Paragraph, line))
    }

    fn text(&mut self, text: &str, code: bool) {
        match &mut self.leaf {
            Some(Leaf::Code { text: buf, .. } | Leaf::Html(buf)) => buf.push_str(text),
            None => self.inline_buf().text(text, code),
        }
    }

    fn inline_math(&mut self, expression: &str) {
        if utf16_len(expression) <= MAX_EQUATION_UTF16 {
            self.inline_buf()
                .push(Piece::Inline(Inline::Equation(expression.to_owned())));
            return;
        }
        let line = self.line();
        self.warn(
            WarningKind::EquationKeptAsCode,
            line,
            format!("inline equation over {MAX_EQUATION_UTF16} characters kept as inline code"),
        );
        self.text(expression, true);
    }

    fn push_leaf(&mut self, leaf: Leaf) {
        let blocks = match leaf {
            Leaf::Code { language, text } => {
                let text = text.strip_suffix('\n').unwrap_or(&text);
                group_items(to_items(vec![Inline::plain(text)]))
                    .into_iter()
                    .map(|group| Block::code(group, language))
                    .collect()
            }
            Leaf::Html(text) => {
                let text = text.trim_end_matches('\n');
                if text.is_empty() {
                    Vec::new()
                } else {
                    paragraphs(vec![Inline::plain(text)])
                }
            }
        };
        self.push_blocks(blocks);
    }
}
