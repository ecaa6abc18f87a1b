//! # Notion emulator
//!
//! Serves the Notion API (`Notion-Version: 2026-03-11` shapes) from memory, for tests, benchmarks
//! and the local stack. It is an independent implementation of Notion's behaviour, built from the
//! recorded responses in `shared/fixtures/notion`, so a client that works against it has a good
//! chance of working against Notion.
//!
//! ## Rust API
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use notion_emulator::{Emulator, EmulatorConfig, Fault, RateLimit};
//!
//! let running = Emulator::start(EmulatorConfig::default()).await?; // 127.0.0.1:<random port>
//! let emu = running.emulator.clone();
//! let token = emu.grant_all();                       // a connection that sees everything
//! // ... point a client at running.base_url with token.access_token ...
//! emu.fail_next(Fault::status(503, 2).on_path("/v1/blocks"));
//! emu.set_rate_limit(Some(RateLimit { requests_per_second: 3.0, burst: 3 }));
//! emu.advance_clock(5);                              // edits land in a later minute
//! emu.edit_page_title(&emu.top_level_ids()[0], "Renamed"); // emits a webhook event
//! println!("{:?}", emu.counters().by_endpoint);
//! # Ok(()) }
//! ```
//!
//! - [`EmulatorConfig`]: workspace source ([`WorkspaceSource::Generated`] from a
//!   [`GeneratedWorkspace`] seed, or [`WorkspaceSource::Json`] in the [`Workspace::from_json`]
//!   format), rate limit, OAuth app, auto-approve, `query_result_limit` (10,000), webhook target,
//!   markdown record limit, refresh grace, webhook retry policy.
//! - [`Emulator`]: cheap `Clone`, shared state. `new`, `router`, `start`, `serve`; grants
//!   (`grant_all`, `grant`, `authorization_code`, `share`, `unshare`, `revoke`); faults
//!   (`fail_next`, `clear_faults`, `expire_cursors`); `set_rate_limit`; `counters`,
//!   `reset_counters`; `advance_clock`; reads (`page_ids`, `data_source_ids`, `database_ids`,
//!   `top_level_ids`, `row_ids`, `find_page`, `page_json`, `block_json`, `block_children_json`,
//!   `workspace_json`); simulated user edits (`edit_page_title`, `trash_page`, `append_paragraph`,
//!   `update_properties`, `create_page`); webhooks (`set_webhook`, `send_webhook_verification`,
//!   `webhook_events`, `webhook_deliveries`).
//! - [`RunningEmulator`]: `base_url`, `emulator`; dropping it stops the server.
//!
//! ## HTTP API
//!
//! `/v1/...`: search, pages (retrieve, create, update, move, property items, markdown), blocks
//! (retrieve, update, delete, children list/append), databases, data sources (retrieve, create,
//! update, query, templates), users, comments, OAuth (`authorize` consent page, `token`,
//! `introspect`, `revoke`). Errors use Notion's envelope with a `request_id`; every response has an
//! `x-request-id` header.
//!
//! `/_emulator/...` (control, no auth, loopback only): see `routes/control.rs` for the list
//! (`grants`, `authorization_codes`, `share`, `unshare`, `revoke`, `pages/{id}/title|properties|
//! append|trash`, `pages`, `faults`, `rate_limit`, `counters`, `counters/reset`, `clock/advance`,
//! `cursors/expire`, `auto_approve`, `webhook`, `webhook/verify`, `webhook/events`, `workspace`,
//! `info`).
//!
//! ## Behaviour notes
//!
//! - Sharing: a grant sees its shared roots and their descendants (`grant_all` sees every
//!   workspace-level object, also ones created later); anything else answers 404
//!   `object_not_found`. Pages a connection creates at workspace level are shared with it.
//! - Rate limit: one token bucket per connection (grant), so a refreshed token keeps its budget.
//! - Counters: `by_endpoint` keys look like `GET /v1/blocks/{id}/children`; `by_token` is keyed by
//!   the grant id (`TokenGrant::grant_id`), never by the secret token.
//! - Timestamps are rounded down to the minute; the clock can be advanced.

pub mod auth;
pub mod clock;
pub mod config;
pub mod counters;
pub mod cursor;
pub mod emulator;
pub mod error;
pub mod faults;
pub mod generate;
pub mod ids;
pub mod input;
pub mod json_shapes;
pub mod markdown_input;
pub mod ops;
pub mod query;
pub mod rate_limit;
pub mod render_markdown;
mod routes;
pub mod validate;
pub mod webhooks;
pub mod workspace;

pub use auth::TokenGrant;
pub use config::{
    EmulatorConfig, GeneratedWorkspace, OAuthApp, RateLimit, WebhookTarget, WorkspaceSource,
};
pub use counters::Counters;
pub use emulator::{Emulator, RunningEmulator};
pub use error::ApiError;
pub use faults::{Fault, FaultKind};
pub use workspace::{Workspace, WorkspaceError};
