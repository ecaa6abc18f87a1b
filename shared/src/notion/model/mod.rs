//! Typed Notion models for Notion-Version 2026-03-11, parsed leniently and losslessly: unknown
//! fields land in `extra` maps, unknown tagged types (blocks, properties, mentions, icons,
//! parents, ...) are kept verbatim, and every model serializes back to the JSON it was parsed
//! from. Ids and timestamps are plain strings (ids may come with or without dashes).
//!
//! Request bodies use the same types: response-only fields are `Option` and skipped when
//! `None`, and constructors (`Block::paragraph`, `RichText::text`, `PropertyValue::select`,
//! ...) build Notion's request shapes.

mod block;
mod comment;
mod common;
mod data_source;
mod database;
mod error;
mod file;
mod list;
mod markdown;
mod misc;
mod oauth;
mod page;
mod property_item;
mod property_schema;
mod property_value;
#[cfg(test)]
mod proptests;
mod rich_text;
mod string_enum;
pub mod tagged;
mod user;
mod webhook;

pub use block::*;
pub use comment::*;
pub use common::*;
pub use data_source::*;
pub use database::*;
pub use error::*;
pub use file::*;
pub use list::*;
pub use markdown::*;
pub use misc::*;
pub use oauth::*;
pub use page::*;
pub use property_item::*;
pub use property_schema::*;
pub use property_value::*;
pub use rich_text::*;
pub use tagged::{Nullable, TaggedUnion, UnknownTagged};
pub use user::*;
pub use webhook::*;
