//! Webhooks in both directions.
//!
//! - Incoming ([`incoming`]): Notion's events at `POST /webhooks/notion`. The one-time
//!   verification handshake stores the token through the secrets port; every event is checked
//!   against `X-Notion-Signature` on the raw bytes, deduplicated by event id, routed by workspace
//!   to every active connection, and turned into targeted jobs on the sync queue ([`events`] maps
//!   event types to work, [`pending`] collapses bursts). Notion is never called inline.
//! - Outgoing ([`outgoing`]): signed events to the app's URLs (sync finished, connection created,
//!   needs reauth, deleted), delivered by the sync worker from the queue with bounded retries and
//!   dead-lettered after the last attempt.

pub mod events;
pub mod incoming;
pub mod outgoing;
pub mod pending;
pub mod signature;

pub use events::{EventAction, EventError, NotionEvent};
pub use incoming::{IncomingError, IncomingOptions, IncomingOutcome, IncomingWebhooks};
pub use outgoing::{
    AppEvent, AppEventKind, AppWebhookConfig, AppWebhookSender, DeliveryOptions, DeliveryOutcome,
};
