//! The write path: pages and data-source rows from Markdown and typed properties.
//!
//! [`WriteService`] (built once from the [`crate::app::AppContext`]) is the one implementation behind
//! `POST /connections/{id}/pages` and the MCP tools that create pages, rows and append content:
//!
//! 1. the parent is resolved (page, data source, or the single data source of a database) and,
//!    for rows, the plain-JSON properties are checked against the data source's schema
//!    ([`properties`]);
//! 2. the Markdown becomes blocks and a request plan ([`crate::markdown`]): the page is created
//!    with the first batch, the rest appended in order through [`NotionAppender`];
//! 3. with an `Idempotency-Key`, a record in the ephemeral store ([`idempotency`]) makes a
//!    repeated request return the first result, and a retry after a failed append resume the
//!    remaining appends instead of creating a second page; a creation that timed out is looked
//!    for (`recover`) before the page is created again.
//!
//! Every Notion call goes through the connection's [`crate::connect::TokenManager`] (401 refresh,
//! `needs_reauth`) and the one Notion client; creates and appends are writes, never retried
//! blindly: an append that may have been applied is checked against the page before it is sent
//! again.

mod appender;
mod error;
pub mod idempotency;
mod input;
mod parent;
pub mod properties;
mod recover;
mod service;

pub use appender::{AppendError, NotionAppender};
pub use error::WriteError;
pub use input::{
    AppendOutcome, CreatePageInput, CreatedPage, DataSourceChoice, ParentInput, WriteWarning,
};
pub use service::WriteService;
