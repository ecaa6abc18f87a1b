//! The token lifecycle: one accessor gives callers a Notion client with the connection's current
//! access token, and refreshes happen once per rotation, across processes.
//!
//! Notion rotates refresh tokens: a used one answers `invalid_grant`. So a refresh is done by the
//! single holder of the connection's `TokenRefresh` lease (a conditional write in the sync-state
//! store), which re-reads the connection, refreshes with the stored refresh token, and persists
//! the new pair (versioned put) before anyone uses it. Everyone else waits and re-reads. Callers
//! say which access token was refused by its [`TokenFingerprint`]: if the stored token already
//! differs, someone refreshed and no request is sent. `invalid_grant`, or a 401 that a fresh token
//! does not cure, moves the connection to `needs_reauth`; a later connect restores it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thiserror::Error;
use tokio::time::Instant;

use super::credentials::{self, CredentialsError};
use crate::app::AppContext;
use crate::domain::{
    Connection, ConnectionId, ConnectionStatus, Lease, LeaseScope, SealedTokens, TokenPair,
    TokenVaultError, timestamp,
};
use crate::notion::{ConnectionClient, NotionError};
use crate::ports::StoreError;
use crate::secret::SecretString;

/// Why no usable client could be given.
#[derive(Debug, Error)]
pub enum TokenError {
    /// No such connection (or it was deleted).
    #[error("connection {0} does not exist")]
    NotFound(ConnectionId),
    /// Notion refused the connection's tokens: the end user must reconnect. Syncs skip it.
    #[error("connection {id} needs to be reconnected ({reason})")]
    NeedsReauth { id: ConnectionId, reason: String },
    /// Another process is refreshing and did not finish in time: retry later.
    #[error("the token refresh of connection {0} is still in progress elsewhere")]
    RefreshBusy(ConnectionId),
    /// The OAuth client is not configured or its secret could not be read.
    #[error("OAuth client credentials: {0}")]
    Credentials(#[from] CredentialsError),
    /// A Notion error (from the wrapped call, or a refresh that failed transiently).
    #[error(transparent)]
    Notion(#[from] NotionError),
    #[error("connection store: {0}")]
    Store(#[from] StoreError),
    #[error("token vault: {0}")]
    Vault(#[from] TokenVaultError),
}

impl TokenError {
    /// Whether the same call may succeed later without the end user doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::RefreshBusy(_) => true,
            Self::Notion(error) => error.is_retryable(),
            Self::Store(error) => error.is_transient(),
            Self::NotFound(_)
            | Self::NeedsReauth { .. }
            | Self::Credentials(_)
            | Self::Vault(_) => false,
        }
    }

    pub fn is_needs_reauth(&self) -> bool {
        matches!(self, Self::NeedsReauth { .. })
    }
}

/// Identifies an access token without holding it: SHA-256 of the token. Compared in constant
/// time; `Debug` shows only a short prefix of the hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenFingerprint([u8; 32]);

impl TokenFingerprint {
    pub fn of(access_token: &SecretString) -> Self {
        Self(Sha256::digest(access_token.expose().as_bytes()).into())
    }

    /// Constant-time equality (the fingerprint is derived from a secret).
    pub fn matches(&self, other: &TokenFingerprint) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for TokenFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenFingerprint({}…)", hex::encode(&self.0[..4]))
    }
}

/// A client for one connection and the fingerprint of the access token inside it (pass it to
/// [`TokenManager::refresh_after_unauthorized`] when Notion answers 401).
#[derive(Clone, Debug)]
pub struct AuthorizedClient {
    pub client: ConnectionClient,
    pub fingerprint: TokenFingerprint,
}

/// Timing of the refresh protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenOptions {
    /// How long a refresher holds the lease. Longer than a refresh request can take (Notion's
    /// request timeout), so a slow refresher is not overtaken mid-request.
    pub lease_ttl: Duration,
    /// How long a caller waits for another process's refresh before giving up (`RefreshBusy`).
    pub max_wait: Duration,
    /// First pause between re-reads while waiting; doubles up to `max_poll`.
    pub first_poll: Duration,
    pub max_poll: Duration,
    /// Conditional-write retries when persisting (someone else wrote the connection meanwhile).
    pub write_attempts: u32,
}

impl TokenOptions {
    /// Defaults derived from the Notion request timeout: the lease outlives one refresh request.
    pub fn for_request_timeout(request_timeout: Duration) -> Self {
        let lease_ttl = request_timeout + Duration::from_secs(15);
        Self {
            lease_ttl,
            max_wait: lease_ttl + Duration::from_secs(5),
            first_poll: Duration::from_millis(25),
            max_poll: Duration::from_millis(500),
            write_attempts: 8,
        }
    }
}

/// Gives callers a valid client for a connection and refreshes its tokens safely. Cheap to clone
/// (clones share the cache of opened tokens).
#[derive(Clone, Debug)]
pub struct TokenManager {
    ctx: AppContext,
    options: TokenOptions,
    opened: Arc<Mutex<OpenedClients>>,
}

/// Clients whose tokens were opened, keyed by connection and reused while the stored sealed
/// pair is unchanged: the connection is still read on every call (status, rotation), but the
/// key vault (a KMS call in AWS) is asked once per token pair, not once per Notion request.
#[derive(Default)]
struct OpenedClients {
    by_connection: HashMap<ConnectionId, (SealedTokens, AuthorizedClient)>,
}

impl std::fmt::Debug for OpenedClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedClients")
            .field("connections", &self.by_connection.len())
            .finish()
    }
}

/// Opened clients kept per manager before the cache starts over.
const MAX_OPENED: usize = 1024;

impl TokenManager {
    pub fn new(ctx: AppContext) -> Self {
        let options = TokenOptions::for_request_timeout(ctx.notion.config().request_timeout);
        Self::with_options(ctx, options)
    }

    pub fn with_options(ctx: AppContext, options: TokenOptions) -> Self {
        Self {
            ctx,
            options,
            opened: Arc::default(),
        }
    }

    pub fn options(&self) -> &TokenOptions {
        &self.options
    }

    /// A client with the connection's current access token. `NeedsReauth` when Notion refused
    /// the connection's tokens earlier.
    pub async fn client_for(&self, id: &ConnectionId) -> Result<ConnectionClient, TokenError> {
        Ok(self.authorized(id).await?.client)
    }

    /// Like [`TokenManager::client_for`], with the fingerprint of the token inside.
    pub async fn authorized(&self, id: &ConnectionId) -> Result<AuthorizedClient, TokenError> {
        let connection = self.read_usable(id).await?;
        let Some(sealed) = connection.tokens.clone() else {
            return Err(TokenError::NeedsReauth {
                id: *id,
                reason: "no_tokens".to_owned(),
            });
        };
        if let Some(client) = self.cached(id, &sealed) {
            return Ok(client);
        }
        let pair = self.open(&connection).await?;
        let client = self.client(id, &pair.access);
        self.remember(id, sealed, &client);
        Ok(client)
    }

    fn cached(&self, id: &ConnectionId, sealed: &SealedTokens) -> Option<AuthorizedClient> {
        let opened = self.opened.lock().ok()?;
        match opened.by_connection.get(id) {
            Some((cached_sealed, client)) if cached_sealed == sealed => Some(client.clone()),
            _ => None,
        }
    }

    fn remember(&self, id: &ConnectionId, sealed: SealedTokens, client: &AuthorizedClient) {
        if let Ok(mut opened) = self.opened.lock() {
            if opened.by_connection.len() >= MAX_OPENED {
                opened.by_connection.clear();
            }
            opened.by_connection.insert(*id, (sealed, client.clone()));
        }
    }

    /// Notion answered 401 to the access token with fingerprint `rejected`. Returns a client with
    /// a newer token: the one someone else already stored, or one this call refreshed (once per
    /// rotation across every process). `NeedsReauth` when Notion refuses the refresh.
    pub async fn refresh_after_unauthorized(
        &self,
        id: &ConnectionId,
        rejected: &TokenFingerprint,
    ) -> Result<ConnectionClient, TokenError> {
        Ok(self.refreshed(id, rejected).await?.client)
    }

    /// Like [`TokenManager::refresh_after_unauthorized`], with the new token's fingerprint.
    pub async fn refreshed(
        &self,
        id: &ConnectionId,
        rejected: &TokenFingerprint,
    ) -> Result<AuthorizedClient, TokenError> {
        let deadline = Instant::now() + self.options.max_wait;
        let mut pause = self.options.first_poll;
        loop {
            if let Some(newer) = self.newer_than(id, rejected).await? {
                return Ok(newer);
            }
            let holder = uuid::Uuid::new_v4().to_string();
            let lease = self
                .ctx
                .adapters
                .sync_state
                .acquire_lease(
                    id,
                    &LeaseScope::TokenRefresh,
                    &holder,
                    self.options.lease_ttl,
                )
                .await?;
            if let Some(lease) = lease {
                let outcome = self.refresh_holding(id, rejected).await;
                self.release(&lease).await;
                return outcome;
            }
            if Instant::now() + pause > deadline {
                tracing::warn!(connection_id = %id, "gave up waiting for another token refresh");
                return Err(TokenError::RefreshBusy(*id));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(self.options.max_poll);
        }
    }

    /// Runs `call` with the connection's client; on a 401, refreshes (or picks up someone else's
    /// refresh) and runs it once more. A second 401 moves the connection to `needs_reauth`.
    /// Notion errors other than 401 come back as [`TokenError::Notion`].
    pub async fn call<T, F, Fut>(&self, id: &ConnectionId, call: F) -> Result<T, TokenError>
    where
        F: Fn(ConnectionClient) -> Fut,
        Fut: Future<Output = Result<T, NotionError>>,
    {
        let first = self.authorized(id).await?;
        match call(first.client).await {
            Err(NotionError::Unauthorized { .. }) => {}
            other => return other.map_err(TokenError::Notion),
        }
        tracing::info!(connection_id = %id, "access token refused; refreshing");
        let second = self.refreshed(id, &first.fingerprint).await?;
        match call(second.client).await {
            Err(NotionError::Unauthorized { .. }) => {
                tracing::warn!(connection_id = %id, "a fresh access token was refused too");
                self.give_up(id, &second.fingerprint, "unauthorized").await
            }
            other => other.map_err(TokenError::Notion),
        }
    }

    /// Moves the connection to `needs_reauth` if its stored access token is still the refused
    /// one (`rejected`). A newer stored token means someone refreshed or reconnected meanwhile:
    /// the connection is left alone. Answers whether this call changed the status.
    pub async fn mark_needs_reauth(
        &self,
        id: &ConnectionId,
        rejected: &TokenFingerprint,
        reason: &str,
    ) -> Result<bool, TokenError> {
        for _ in 0..self.options.write_attempts {
            let Some(mut connection) = self.ctx.adapters.connections.get(id).await? else {
                return Err(TokenError::NotFound(*id));
            };
            if connection.status != ConnectionStatus::Active
                || !self.still_holds(&connection, rejected).await?
            {
                return Ok(false);
            }
            connection.status = ConnectionStatus::NeedsReauth;
            connection.status_reason = Some(reason.to_owned());
            connection.updated_at = timestamp::now();
            match self.ctx.adapters.connections.put(&connection).await {
                Ok(_) => {
                    use crate::webhooks::outgoing::{AppEventKind, emit_connection_event};
                    emit_connection_event(
                        &self.ctx,
                        AppEventKind::ConnectionNeedsReauth,
                        &connection,
                    )
                    .await;
                    tracing::warn!(connection_id = %id, reason, "connection needs reauthorization");
                    return Ok(true);
                }
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(StoreError::ConnectionNotFound { .. }) => {
                    return Err(TokenError::NotFound(*id));
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(TokenError::Store(StoreError::Contended {
            attempts: self.options.write_attempts,
        }))
    }

    /// [`TokenManager::mark_needs_reauth`], then the `NeedsReauth` error for the caller.
    async fn give_up<T>(
        &self,
        id: &ConnectionId,
        rejected: &TokenFingerprint,
        reason: &str,
    ) -> Result<T, TokenError> {
        self.mark_needs_reauth(id, rejected, reason).await?;
        Err(TokenError::NeedsReauth {
            id: *id,
            reason: reason.to_owned(),
        })
    }

    /// Refreshes while holding the lease: re-read, refresh with the stored refresh token,
    /// persist the new pair, hand it out.
    async fn refresh_holding(
        &self,
        id: &ConnectionId,
        rejected: &TokenFingerprint,
    ) -> Result<AuthorizedClient, TokenError> {
        let connection = self.read_usable(id).await?;
        let pair = self.open(&connection).await?;
        if !TokenFingerprint::of(&pair.access).matches(rejected) {
            return Ok(self.client(id, &pair.access));
        }
        let Some(refresh_token) = pair.refresh else {
            return self.give_up(id, rejected, "no_refresh_token").await;
        };
        let oauth =
            credentials::oauth_client(&self.ctx.notion, self.ctx.adapters.secrets.as_ref()).await?;
        let response = match oauth.refresh(&refresh_token).await {
            Ok(response) => response,
            Err(NotionError::InvalidGrant { .. }) => {
                // A refresher whose lease ran out may have rotated the pair meanwhile.
                if let Some(newer) = self.newer_than(id, rejected).await? {
                    return Ok(newer);
                }
                tracing::warn!(connection_id = %id, "refresh token refused (invalid_grant)");
                return self.give_up(id, rejected, "invalid_grant").await;
            }
            Err(error @ NotionError::InvalidClient { .. }) => {
                credentials::forget_oauth_client(self.ctx.adapters.secrets.as_ref());
                tracing::error!(connection_id = %id, error = %error, "Notion refused the OAuth client");
                return Err(error.into());
            }
            Err(error) => {
                tracing::warn!(connection_id = %id, error = %error, "token refresh failed");
                return Err(error.into());
            }
        };
        let fresh = TokenPair {
            access: response.access_token,
            refresh: response.refresh_token,
        };
        self.persist(id, rejected, &fresh).await?;
        tracing::info!(connection_id = %id, "token pair refreshed");
        Ok(self.client(id, &fresh.access))
    }

    /// Stores `fresh` on the connection (versioned put, re-applied after concurrent writes of
    /// other fields). The old refresh token is dead by now, so this must not give up lightly.
    async fn persist(
        &self,
        id: &ConnectionId,
        rejected: &TokenFingerprint,
        fresh: &TokenPair,
    ) -> Result<(), TokenError> {
        let sealed = self.ctx.adapters.tokens.seal(id, fresh).await?;
        let mut pause = self.options.first_poll;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = async {
                let Some(mut connection) = self.ctx.adapters.connections.get(id).await? else {
                    return Err(StoreError::ConnectionNotFound { id: *id });
                };
                if !self
                    .still_holds(&connection, rejected)
                    .await
                    .unwrap_or(true)
                {
                    // Someone stored a newer authorization (a reconnect): it wins.
                    return Ok(());
                }
                connection.tokens = Some(sealed.clone());
                connection.updated_at = timestamp::now();
                self.ctx
                    .adapters
                    .connections
                    .put(&connection)
                    .await
                    .map(drop)
            }
            .await;
            match result {
                Ok(()) => return Ok(()),
                Err(StoreError::ConnectionNotFound { .. }) => {
                    return Err(TokenError::NotFound(*id));
                }
                Err(error)
                    if attempt < self.options.write_attempts
                        && (matches!(error, StoreError::VersionConflict { .. })
                            || error.is_transient()) =>
                {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(self.options.max_poll);
                }
                Err(error) => {
                    tracing::error!(connection_id = %id, error = %error, "could not store the refreshed token pair");
                    return Err(error.into());
                }
            }
        }
    }

    /// The stored token as a client if it differs from `rejected`.
    async fn newer_than(
        &self,
        id: &ConnectionId,
        rejected: &TokenFingerprint,
    ) -> Result<Option<AuthorizedClient>, TokenError> {
        let connection = self.read_usable(id).await?;
        let pair = self.open(&connection).await?;
        if TokenFingerprint::of(&pair.access).matches(rejected) {
            Ok(None)
        } else {
            Ok(Some(self.client(id, &pair.access)))
        }
    }

    /// Whether the stored access token is still the one with fingerprint `rejected`.
    async fn still_holds(
        &self,
        connection: &Connection,
        rejected: &TokenFingerprint,
    ) -> Result<bool, TokenError> {
        match &connection.tokens {
            None => Ok(false),
            Some(_) => {
                let pair = self.open(connection).await?;
                Ok(TokenFingerprint::of(&pair.access).matches(rejected))
            }
        }
    }

    /// The connection if it exists and is active with tokens.
    async fn read_usable(&self, id: &ConnectionId) -> Result<Connection, TokenError> {
        let Some(connection) = self.ctx.adapters.connections.get(id).await? else {
            return Err(TokenError::NotFound(*id));
        };
        match connection.status {
            ConnectionStatus::Active if connection.tokens.is_some() => Ok(connection),
            ConnectionStatus::Active => Err(TokenError::NeedsReauth {
                id: *id,
                reason: "no_tokens".to_owned(),
            }),
            ConnectionStatus::NeedsReauth => Err(TokenError::NeedsReauth {
                id: *id,
                reason: connection
                    .status_reason
                    .unwrap_or_else(|| "needs_reauth".to_owned()),
            }),
            ConnectionStatus::Deleted => Err(TokenError::NotFound(*id)),
        }
    }

    async fn open(&self, connection: &Connection) -> Result<TokenPair, TokenError> {
        let Some(sealed) = &connection.tokens else {
            return Err(TokenError::NeedsReauth {
                id: connection.id,
                reason: "no_tokens".to_owned(),
            });
        };
        Ok(self
            .ctx
            .adapters
            .tokens
            .open(&connection.id, sealed)
            .await?)
    }

    fn client(&self, id: &ConnectionId, access: &SecretString) -> AuthorizedClient {
        AuthorizedClient {
            client: self.ctx.notion.connection(&id.to_string(), access.clone()),
            fingerprint: TokenFingerprint::of(access),
        }
    }

    async fn release(&self, lease: &Lease) {
        if let Err(error) = self.ctx.adapters.sync_state.release_lease(lease).await {
            // The lease expires on its own; waiters then take it over.
            tracing::warn!(connection_id = %lease.connection_id, error = %error, "releasing the token refresh lease failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_compare_tokens_without_holding_them() {
        let a = TokenFingerprint::of(&SecretString::new("ntn_token_a"));
        let a2 = TokenFingerprint::of(&SecretString::new("ntn_token_a"));
        let b = TokenFingerprint::of(&SecretString::new("ntn_token_b"));
        assert!(a.matches(&a2));
        assert!(!a.matches(&b));
        let shown = format!("{a:?}");
        assert!(!shown.contains("ntn_token_a"));
        assert!(shown.len() < 32, "{shown}");
    }

    #[test]
    fn the_lease_outlives_a_refresh_request() {
        let options = TokenOptions::for_request_timeout(Duration::from_secs(65));
        assert!(options.lease_ttl > Duration::from_secs(65));
        assert!(options.max_wait >= options.lease_ttl);
        assert!(options.first_poll <= options.max_poll);
    }
}
