//! Connection management for the app backend: list, read (never tokens), delete (revoke at
//! Notion, drop tokens, purge synced records and sync state, remove the connection).

use serde::Serialize;
use time::OffsetDateTime;

use super::credentials;
use super::error::ConnectError;
use super::service::ConnectService;
use crate::domain::{
    Connection, ConnectionId, ConnectionStatus, EndUser, EndUserId, LastSync, TokenPair, Workspace,
    timestamp,
};
use crate::ports::StoreError;

/// Page size of an unfiltered listing.
pub const DEFAULT_LIST_LIMIT: usize = 100;
pub const MAX_LIST_LIMIT: usize = 500;

/// Conditional-write attempts when marking a connection deleted.
const DELETE_ATTEMPTS: u32 = 5;

/// A connection as the app backend sees it: status, workspace, end user, sync times. Tokens are
/// not part of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionView {
    pub id: ConnectionId,
    /// `active` or `needs_reauth`.
    pub status: ConnectionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    pub end_user: EndUser,
    pub workspace: Workspace,
    pub bot_id: String,
    /// Notion's `owner` object (the user who authorized).
    pub owner: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_sync_at: Option<OffsetDateTime>,
    pub last_sync: Option<LastSync>,
}

impl From<Connection> for ConnectionView {
    fn from(connection: Connection) -> Self {
        Self {
            id: connection.id,
            status: connection.status,
            status_reason: connection.status_reason,
            end_user: connection.end_user,
            workspace: connection.workspace,
            bot_id: connection.bot_id,
            owner: connection.owner,
            created_at: connection.created_at,
            updated_at: connection.updated_at,
            next_sync_at: connection.next_sync_at,
            last_sync: connection.last_sync,
        }
    }
}

/// `GET /connections` query: `end_user_id` filters (all of that end user's connections);
/// without it, every connection a page at a time (`limit`, `after` = the previous page's
/// `next_after`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub end_user_id: Option<EndUserId>,
    pub after: Option<ConnectionId>,
    pub limit: usize,
}

impl ListQuery {
    pub fn from_query(query: Option<&str>) -> Result<Self, ConnectError> {
        let mut list = Self {
            end_user_id: None,
            after: None,
            limit: DEFAULT_LIST_LIMIT,
        };
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match key.as_ref() {
                "end_user_id" => {
                    list.end_user_id =
                        Some(EndUserId::parse(value.into_owned()).map_err(|_| {
                            ConnectError::invalid(
                                "end_user_id",
                                "must be 1 to 256 bytes without control characters",
                            )
                        })?);
                }
                "after" => {
                    list.after =
                        Some(ConnectionId::parse(&value).map_err(|_| {
                            ConnectError::invalid("after", "must be a connection id")
                        })?);
                }
                "limit" => {
                    list.limit = value
                        .parse::<usize>()
                        .ok()
                        .filter(|limit| (1..=MAX_LIST_LIMIT).contains(limit))
                        .ok_or_else(|| {
                            ConnectError::invalid(
                                "limit",
                                format!("must be an integer from 1 to {MAX_LIST_LIMIT}"),
                            )
                        })?;
                }
                _ => {}
            }
        }
        Ok(list)
    }
}

/// A page of connections.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionList {
    pub connections: Vec<ConnectionView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<ConnectionId>,
}

/// What a delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteReport {
    /// Whether Notion confirmed the revocation (false: no tokens, or the call failed; logged).
    pub revoked: bool,
    pub records_purged: u64,
}

impl ConnectService {
    pub async fn list_connections(
        &self,
        query: &ListQuery,
    ) -> Result<ConnectionList, ConnectError> {
        let store = &self.ctx.adapters.connections;
        if let Some(end_user) = &query.end_user_id {
            let connections = store.list_by_end_user(end_user).await?;
            return Ok(ConnectionList {
                connections: visible(connections),
                next_after: None,
            });
        }
        let page = store.list(query.after.as_ref(), query.limit).await?;
        let next_after = (page.len() >= query.limit)
            .then(|| page.last().map(|connection| connection.id))
            .flatten();
        Ok(ConnectionList {
            connections: visible(page),
            next_after,
        })
    }

    pub async fn get_connection(&self, id: &ConnectionId) -> Result<ConnectionView, ConnectError> {
        match self.ctx.adapters.connections.get(id).await? {
            Some(connection) if connection.status != ConnectionStatus::Deleted => {
                Ok(connection.into())
            }
            _ => Err(ConnectError::ConnectionNotFound(*id)),
        }
    }

    /// Deletes the connection. Steps, each safe to repeat: mark it deleted and drop its tokens
    /// (syncs stop), revoke the token at Notion (best effort, logged), purge records and sync
    /// state, remove the connection. A failure part way leaves a `deleted` connection that a
    /// repeated delete finishes.
    pub async fn delete_connection(&self, id: &ConnectionId) -> Result<DeleteReport, ConnectError> {
        let tokens = self.mark_deleted(id).await?;
        let revoked = match tokens {
            Some(pair) => self.revoke(id, &pair).await,
            None => false,
        };
        let records_purged = self.ctx.adapters.records.purge_connection(id).await?;
        self.ctx.adapters.sync_state.purge_connection(id).await?;
        self.ctx.adapters.connections.delete(id).await?;
        tracing::info!(connection_id = %id, revoked, records_purged, "connection deleted");
        Ok(DeleteReport {
            revoked,
            records_purged,
        })
    }

    /// Marks the connection deleted without tokens (versioned put) and returns the tokens it
    /// had, opened, for the revocation.
    async fn mark_deleted(&self, id: &ConnectionId) -> Result<Option<TokenPair>, ConnectError> {
        let store = &self.ctx.adapters.connections;
        for _ in 0..DELETE_ATTEMPTS {
            let Some(mut connection) = store.get(id).await? else {
                return Err(ConnectError::ConnectionNotFound(*id));
            };
            let pair = match &connection.tokens {
                Some(sealed) => match self.ctx.adapters.tokens.open(id, sealed).await {
                    Ok(pair) => Some(pair),
                    Err(error) => {
                        tracing::warn!(connection_id = %id, error = %error, "cannot open the tokens to revoke them");
                        None
                    }
                },
                None => None,
            };
            if connection.status == ConnectionStatus::Deleted && connection.tokens.is_none() {
                return Ok(None);
            }
            connection.status = ConnectionStatus::Deleted;
            connection.status_reason = Some("deleted".into());
            connection.tokens = None;
            connection.next_sync_at = None;
            connection.updated_at = timestamp::now();
            match store.put(&connection).await {
                Ok(_) => {
                    use crate::webhooks::outgoing::{AppEventKind, emit_connection_event};
                    emit_connection_event(&self.ctx, AppEventKind::ConnectionDeleted, &connection)
                        .await;
                    return Ok(pair);
                }
                Err(StoreError::VersionConflict { .. }) => continue,
                Err(StoreError::ConnectionNotFound { .. }) => {
                    return Err(ConnectError::ConnectionNotFound(*id));
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Contended {
            attempts: DELETE_ATTEMPTS,
        }
        .into())
    }

    /// Revokes the connection at Notion. Best effort: the connection is deleted either way.
    async fn revoke(&self, id: &ConnectionId, pair: &TokenPair) -> bool {
        let secrets = self.ctx.adapters.secrets.as_ref();
        let oauth = match credentials::oauth_client(&self.ctx.notion, secrets).await {
            Ok(oauth) => oauth,
            Err(error) => {
                tracing::warn!(connection_id = %id, error = %error, "cannot revoke at Notion: no OAuth client");
                return false;
            }
        };
        match oauth.revoke(&pair.access).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(connection_id = %id, error = %error, "revoking the token at Notion failed");
                false
            }
        }
    }
}

/// Connections the app may see (a half-deleted one is gone for it).
fn visible(connections: Vec<Connection>) -> Vec<ConnectionView> {
    connections
        .into_iter()
        .filter(|connection| connection.status != ConnectionStatus::Deleted)
        .map(ConnectionView::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(query: &str) -> String {
        match ListQuery::from_query(Some(query)) {
            Err(ConnectError::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn list_queries_parse_and_name_bad_fields() {
        let query = ListQuery::from_query(Some("end_user_id=u%201&limit=5")).unwrap();
        assert_eq!(query.end_user_id.unwrap().as_str(), "u 1");
        assert_eq!(query.limit, 5);
        assert_eq!(
            ListQuery::from_query(None).unwrap().limit,
            DEFAULT_LIST_LIMIT
        );
        assert_eq!(field_of("end_user_id="), "end_user_id");
        assert_eq!(field_of("limit=0"), "limit");
        assert_eq!(field_of("limit=x"), "limit");
        assert_eq!(field_of("after=nope"), "after");
    }
}
