//! Connect: how an end user's Notion workspace becomes a connection, and how its tokens stay
//! usable.
//!
//! - [`ConnectService`] (built once from the [`crate::app::AppContext`]):
//!   [`create_session`](ConnectService::create_session) (`POST /connect/sessions`),
//!   [`start_authorization`](ConnectService::start_authorization) (`GET /connect/notion`),
//!   [`handle_callback`](ConnectService::handle_callback) (`GET /oauth/callback`),
//!   [`list_connections`](ConnectService::list_connections),
//!   [`get_connection`](ConnectService::get_connection),
//!   [`delete_connection`](ConnectService::delete_connection).
//! - [`TokenManager`]: the one accessor for a connection's Notion client, with rotation-safe
//!   refresh across processes and the move to `needs_reauth`. The sync engine and the write
//!   paths use it too.
//! - [`credentials`]: the API key check and the OAuth client, from the secrets port.
//! - [`return_url`]: the return-URL allow-list.

pub mod connections;
pub mod credentials;
pub mod error;
pub mod flow;
pub mod options;
pub mod random;
pub mod return_url;
pub mod service;
pub mod session;
pub mod tokens;

pub use connections::{ConnectionList, ConnectionView, DeleteReport, ListQuery};
pub use credentials::CredentialsError;
pub use error::ConnectError;
pub use flow::{CallbackOutcome, CallbackParams, CallbackRedirect};
pub use options::ConnectOptions;
pub use return_url::{ReturnUrlAllowList, ReturnUrlError};
pub use service::ConnectService;
pub use session::{CreatedSession, NewSession};
pub use tokens::{AuthorizedClient, TokenError, TokenFingerprint, TokenManager, TokenOptions};
