//! Markdown to Notion blocks and back, and the plan of requests that writes a block tree into
//! Notion within its limits. Pure code: no I/O except through the [`BlockAppender`] trait.
//!
//! - [`to_blocks`] parses CommonMark plus GitHub tables, task lists, strikethrough and `$…$` /
//!   `$$…$$` math into request-form blocks (children nested in the payloads), splitting text to
//!   Notion's limits. Nothing is dropped: what cannot be kept as is (a relative link, an image
//!   that is not an http(s) URL, an equation over 1,000 characters, ...) is kept as text and
//!   reported in [`Document::warnings`]. (As on GitHub, table cells beyond the header row's
//!   width are ignored: pulldown-cmark reports no text for them.)
//! - [`plan_requests`] splits a block tree into the children sent with the page creation and an
//!   ordered list of appends that each satisfy Notion's request limits; [`execute`] runs the
//!   appends through a [`BlockAppender`], resumably ([`PlanProgress`]).
//! - [`blocks_to_markdown`] and [`plain_text`] render a block tree ([`BlockNode`]) back.
//!
//! Mapping choices (see the module docs of `parse` for the full list): headings `#`..`####` map to
//! `heading_1`..`heading_4`, and `#####`/`######` degrade to `heading_4` so they stay headings.
//! Text beyond 100 rich-text items continues in following blocks of the same type (paragraphs,
//! headings, code); list items, to-dos and quotes carry it in extra paragraph children placed
//! before their own children.

mod execute;
mod languages;
pub mod limits;
mod memory;
mod parse;
mod plan;
mod render;
mod rich_text;
mod tree;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use execute::{BlockAppender, ExecuteError, ExecutionReport, PlanProgress, execute};
pub use languages::{PLAIN_TEXT, markdown_info_string, notion_language};
pub use memory::{MemoryAppender, MemoryAppenderError};
pub use parse::to_blocks;
pub use plan::{
    Append, BlockRef, CreationPlan, PlanError, PlanOptions, plan_requests, plan_requests_with,
};
pub use render::{blocks_to_markdown, plain_text};
pub use tree::BlockNode;

use crate::notion::model::Block;

/// The blocks made from a Markdown document, plus what had to be changed to fit Notion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Top-level blocks in request form (children nested inside their parents' payloads).
    pub blocks: Vec<Block>,
    pub warnings: Vec<Warning>,
}

/// Something kept in a different form than written (never silently dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    /// 1-based line of the Markdown source the warning is about.
    pub line: usize,
    /// What happened, for people (quotes at most 100 characters of the source).
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A link was kept as plain text (URL over 2,000 characters or not an absolute http(s) or
    /// mailto URL, which Notion rejects).
    LinkKeptAsText,
    /// An equation over 1,000 characters became a `latex` code block (or inline code).
    EquationKeptAsCode,
    /// An image inside a heading or table cell, or one whose URL Notion cannot load, was kept as
    /// (linked) text.
    ImageKeptAsText,
    /// Quotes or list items nested deeper than [`limits::MAX_DOCUMENT_DEPTH`] levels were kept as
    /// their content, without their own block.
    NestingFlattened,
    /// A table cell or caption over 100 rich-text items had part of its formatting merged.
    FormattingMerged,
}

/// Markdown that cannot become Notion blocks without losing text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MarkdownError {
    #[error("the Markdown body is {bytes} bytes; at most {max} are accepted")]
    TooLarge { bytes: usize, max: usize },
    #[error("the {context} on line {line} holds more text than one Notion rich-text value can")]
    TextTooLong { context: &'static str, line: usize },
    #[error("the table row on line {line} is larger than one Notion request allows")]
    TableRowTooLarge { line: usize },
}
