//! One file per API area, each adding methods to [`super::ConnectionClient`].

mod blocks;
mod comments;
mod data_sources;
mod databases;
mod pages;
mod search;
mod users;

/// Page size of the streaming listings (Notion's maximum).
pub(crate) const STREAM_PAGE_SIZE: u32 = 100;
