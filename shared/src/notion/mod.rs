//! Notion: the typed models of every object the product reads and writes, and the one client
//! through which every outbound Notion call goes (budget, retries, typed errors).

pub mod client;
pub mod model;

pub use client::{
    ConnectionClient, NotionClient, NotionError, OAuthClient, RequestKind, RequestStatsSnapshot,
    RetryPolicy,
};
