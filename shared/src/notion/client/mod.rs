//! The one Notion client every outbound Notion call goes through.
//!
//! [`NotionClient`] is built once per process from [`NotionConfig`] (base URL, pinned
//! `Notion-Version`, timeout, budget). [`NotionClient::connection`] binds one connection's access
//! token and its request budget into a [`ConnectionClient`], which has a method per endpoint;
//! [`NotionClient::oauth`] gives the [`OAuthClient`] for token exchange, refresh and revocation.
//! Every call goes through the same transport: per-connection token bucket, retries that depend on
//! whether the endpoint is a read or a write, typed [`NotionError`]s, and tracing without secrets.

mod budget;
mod endpoints;
mod error;
mod oauth;
mod paginate;
pub mod requests;
mod retry;
mod transport;
mod windowed_query;

use std::sync::Arc;

pub use budget::{Budget, BudgetRegistry, PausedFor, RequestStats, RequestStatsSnapshot};
pub use error::NotionError;
pub use oauth::OAuthClient;
pub use requests::*;
pub use retry::{RequestKind, RetryPolicy, parse_retry_after};

use self::transport::{ApiRequest, Auth, CallContext, Transport};
use crate::config::NotionConfig;
use crate::secret::SecretString;

/// The process-wide Notion client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct NotionClient {
    inner: Arc<ClientInner>,
}

#[derive(Debug)]
struct ClientInner {
    config: NotionConfig,
    transport: Transport,
    budgets: BudgetRegistry,
}

impl NotionClient {
    /// A client with the default [`RetryPolicy`].
    pub fn new(config: &NotionConfig) -> Result<Self, NotionError> {
        Self::with_retry_policy(config, RetryPolicy::default())
    }

    pub fn with_retry_policy(
        config: &NotionConfig,
        retry: RetryPolicy,
    ) -> Result<Self, NotionError> {
        Ok(Self {
            inner: Arc::new(ClientInner {
                config: config.clone(),
                transport: Transport::new(config, retry)?,
                budgets: BudgetRegistry::new(config.budget),
            }),
        })
    }

    pub fn config(&self) -> &NotionConfig {
        &self.inner.config
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        self.inner.transport.retry_policy()
    }

    /// A handle for one connection: its token, and the budget every handle of that connection in
    /// this process shares.
    pub fn connection(&self, connection_id: &str, access_token: SecretString) -> ConnectionClient {
        ConnectionClient {
            inner: Arc::new(ConnectionInner {
                client: self.clone(),
                connection_id: connection_id.to_owned(),
                access_token,
                budget: self.inner.budgets.budget(connection_id),
                stats: RequestStats::default(),
            }),
        }
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The budgets of the connections in use in this process.
    pub fn budgets(&self) -> &BudgetRegistry {
        &self.inner.budgets
    }
}

/// Notion calls on behalf of one connection. Cheap to clone; clones share their counters.
#[derive(Clone, Debug)]
pub struct ConnectionClient {
    inner: Arc<ConnectionInner>,
}

#[derive(Debug)]
struct ConnectionInner {
    client: NotionClient,
    connection_id: String,
    access_token: SecretString,
    budget: Arc<Budget>,
    stats: RequestStats,
}

impl ConnectionClient {
    pub fn connection_id(&self) -> &str {
        &self.inner.connection_id
    }

    /// Calls made through this handle (and its clones).
    pub fn stats(&self) -> RequestStatsSnapshot {
        self.inner.stats.snapshot()
    }

    /// Calls made through every handle of this connection in this process.
    pub fn budget_stats(&self) -> RequestStatsSnapshot {
        self.inner.budget.stats().snapshot()
    }

    /// The connection's shared budget.
    pub fn budget(&self) -> &Budget {
        &self.inner.budget
    }

    pub(crate) async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<T, NotionError> {
        let ctx = CallContext {
            auth: Auth::Bearer(&self.inner.access_token),
            budget: Some(&self.inner.budget),
            stats: Some(&self.inner.stats),
            connection_id: Some(&self.inner.connection_id),
        };
        self.inner.client.transport().execute(&request, &ctx).await
    }
}
