//! Notion Relay's library crate. Function binaries in `functions/` only wire these pieces up.
//!
//! - [`notion`]: the typed Notion models and the one client every Notion call goes through.
//! - [`domain`]: connections, records and change cursors, sync state, the token vault.
//! - [`ports`]: the storage, queue, key and secrets traits the flows talk to.
//! - [`adapters`]: those ports on AWS and embedded (local), and the factory that picks one.
//! - [`app`]: the application context (adapters, Notion client, settings) built once per process.
//! - [`secret`]: types that hold secrets and redact themselves.
//! - [`config`]: configuration read from the environment, in one place.
//! - [`telemetry`]: structured JSON logs, set up once per process.
//! - [`http`]: the JSON error shape every HTTP handler answers with.
//! - [`markdown`]: Markdown to Notion blocks and back, and the request plan that writes them.
//! - [`connect`]: connect sessions, the OAuth flow, connection management and the token lifecycle.
//! - [`sync`]: the sync engine, worker and scheduler.
//! - [`webhooks`]: Notion webhook ingestion and signed webhooks to the app.
//! - [`routes`]: the HTTP routers of the oauth and api functions (thin translation to [`connect`]).

pub mod actions;
pub mod adapters;
pub mod app;
pub mod config;
pub mod connect;
pub mod domain;
pub mod http;
pub mod markdown;
pub mod mcp;
pub mod notion;
pub mod ports;
pub mod routes;
pub mod secret;
pub mod sync;
pub mod telemetry;
pub mod webhooks;
pub mod write;
