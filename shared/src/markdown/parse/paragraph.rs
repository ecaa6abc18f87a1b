//! Paragraphs, headings and table cells turned into blocks and rich text: images and display
//! equations become their own blocks where they can, text where they cannot.

use crate::notion::model::{Block, BlockContent, FileObject, MediaBlock, RichText};

use super::super::limits::{MAX_EQUATION_UTF16, MAX_RICH_TEXT_ITEMS};
use super::super::rich_text::{Inline, Style, fit_single, group_items, to_items, utf16_len};
use super::super::{MarkdownError, WarningKind};
use super::Builder;
use super::inline::{InlineBuf, InlineKind, Piece, checked_image, checked_link, excerpt};

impl Builder<'_> {
    pub(super) fn flush_paragraph_infallible(&mut self) {
        // Only implicit paragraphs (tight list items) are open when a block starts; they cannot
        // fail (failures come from table cells, which never reach here).
        if let Err(error) = self.flush_paragraph() {
            tracing::debug!(%error, "unexpected failure flushing an implicit paragraph");
        }
    }

    /// Ends the open paragraph or heading, turning it into blocks in the current container.
    pub(super) fn flush_paragraph(&mut self) -> Result<(), MarkdownError> {
        let Some(buf) = self.inline.take() else {
            return Ok(());
        };
        let blocks = match buf.kind {
            InlineKind::Paragraph => self.paragraph_blocks(buf)?,
            InlineKind::Heading(level) => {
                let inlines = self.inline_only(buf.pieces);
                group_items(to_items(inlines))
                    .into_iter()
                    .map(|group| Block::heading(level, group))
                    .collect()
            }
            InlineKind::Cell => {
                // A cell outside a table row cannot happen; keep its text as a paragraph.
                let inlines = self.inline_only(buf.pieces);
                paragraphs(inlines)
            }
        };
        self.push_blocks(blocks);
        Ok(())
    }

    /// A paragraph, with images and display equations split out into their own blocks.
    pub(super) fn paragraph_blocks(&mut self, buf: InlineBuf) -> Result<Vec<Block>, MarkdownError> {
        let mut blocks = Vec::new();
        let mut run: Vec<Inline> = Vec::new();
        for piece in buf.pieces {
            match piece {
                Piece::Inline(inline) => run.push(inline),
                Piece::Image { url, alt, line } => {
                    let url = match checked_image(&url) {
                        Ok(url) => url,
                        Err(problem) => {
                            self.warn(
                                WarningKind::ImageKeptAsText,
                                line,
                                format!(
                                    "image `{}` kept as its description: {problem}",
                                    excerpt(&url)
                                ),
                            );
                            run.extend(alt);
                            continue;
                        }
                    };
                    push_run(&mut blocks, std::mem::take(&mut run));
                    let caption =
                        fit_single(to_items(trim_run(alt))).ok_or(MarkdownError::TextTooLong {
                            context: "image description",
                            line,
                        })?;
                    let mut media = MediaBlock::new(FileObject::external(url));
                    media.caption = caption;
                    blocks.push(Block::new(BlockContent::Image(media)));
                }
                Piece::Display { expression, line } => {
                    push_run(&mut blocks, std::mem::take(&mut run));
                    blocks.extend(self.display_math(expression, line));
                }
            }
        }
        if blocks.is_empty() {
            blocks.extend(paragraphs(run));
        } else {
            push_run(&mut blocks, run);
        }
        Ok(blocks)
    }

    pub(super) fn display_math(&mut self, expression: String, line: usize) -> Vec<Block> {
        let expression = expression.trim().to_owned();
        if expression.is_empty() {
            return Vec::new();
        }
        if utf16_len(&expression) <= MAX_EQUATION_UTF16 {
            return vec![Block::equation(expression)];
        }
        self.warn(
            WarningKind::EquationKeptAsCode,
            line,
            format!("equation over {MAX_EQUATION_UTF16} characters kept as a latex code block"),
        );
        group_items(to_items(vec![Inline::plain(expression)]))
            .into_iter()
            .map(|group| Block::code(group, "latex"))
            .collect()
    }

    /// Inline content for a heading or cell, where images and display equations cannot be
    /// blocks: images become their description linked to the image, display equations inline.
    pub(super) fn inline_only(&mut self, pieces: Vec<Piece>) -> Vec<Inline> {
        let mut inlines = Vec::with_capacity(pieces.len());
        for piece in pieces {
            match piece {
                Piece::Inline(inline) => inlines.push(inline),
                Piece::Image { url, alt, line } => {
                    self.warn(
                        WarningKind::ImageKeptAsText,
                        line,
                        format!(
                            "image `{}` in a heading or table cell kept as its description",
                            excerpt(&url)
                        ),
                    );
                    let target = checked_link(&url).ok();
                    inlines.extend(alt.into_iter().map(|inline| match inline {
                        Inline::Text {
                            text,
                            style,
                            link: None,
                        } => Inline::Text {
                            text,
                            style,
                            link: target.clone(),
                        },
                        other => other,
                    }));
                }
                Piece::Display { expression, line } => {
                    if utf16_len(&expression) <= MAX_EQUATION_UTF16 {
                        inlines.push(Inline::Equation(expression));
                    } else {
                        self.warn(
                            WarningKind::EquationKeptAsCode,
                            line,
                            format!(
                                "equation over {MAX_EQUATION_UTF16} characters kept as inline code"
                            ),
                        );
                        inlines.push(Inline::Text {
                            text: expression,
                            style: Style {
                                code: true,
                                ..Style::default()
                            },
                            link: None,
                        });
                    }
                }
            }
        }
        inlines
    }

    pub(super) fn cell(&mut self, buf: InlineBuf) -> Result<Vec<RichText>, MarkdownError> {
        let line = buf.line;
        let inlines = self.inline_only(buf.pieces);
        let items = to_items(inlines);
        if items.len() > MAX_RICH_TEXT_ITEMS {
            self.warn(
                WarningKind::FormattingMerged,
                line,
                "a table cell over 100 rich-text items had the formatting of its end merged"
                    .to_owned(),
            );
        }
        fit_single(items).ok_or(MarkdownError::TextTooLong {
            context: "table cell",
            line,
        })
    }
}

/// Paragraph blocks for a run of inline content (more than one when it exceeds the limits of
/// one rich-text array).
pub(super) fn paragraphs(run: Vec<Inline>) -> Vec<Block> {
    group_items(to_items(run))
        .into_iter()
        .map(Block::paragraph)
        .collect()
}

/// Adds the paragraphs for a run cut off by an image or equation, unless only whitespace is left.
pub(super) fn push_run(blocks: &mut Vec<Block>, run: Vec<Inline>) {
    let run = trim_run(run);
    if run.iter().any(|inline| !inline.text().is_empty()) {
        blocks.extend(paragraphs(run));
    }
}

/// Drops the line breaks and spaces left at the edges of a run by splitting a paragraph around
/// an image or equation.
pub(super) fn trim_run(mut run: Vec<Inline>) -> Vec<Inline> {
    if let Some(Inline::Text { text, .. }) = run.first_mut() {
        *text = text.trim_start().to_owned();
    }
    if let Some(Inline::Text { text, .. }) = run.last_mut() {
        text.truncate(text.trim_end().len());
    }
    run
}
