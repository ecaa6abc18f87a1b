//! Connections in the embedded database.

use std::ops::Bound;

use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable, Table, WriteTransaction};
use time::OffsetDateTime;

use super::db::{
    CONNECTION_OWNERS, CONNECTIONS, CONNECTIONS_BY_END_USER, CONNECTIONS_BY_WORKSPACE,
    CONNECTIONS_DUE, EmbeddedDb, decode, encode, page_after,
};
use crate::domain::connection::owner_claim_key;
use crate::domain::timestamp::{from_millis, to_millis};
use crate::domain::{Connection, ConnectionId, DueConnection, EndUserId};
use crate::ports::{ConnectionStore, DuePage, StoreError};

#[derive(Debug, Clone)]
pub struct EmbeddedConnectionStore {
    db: EmbeddedDb,
}

impl EmbeddedConnectionStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

fn load(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    id: &str,
) -> Result<Option<Connection>, StoreError> {
    match table.get(id)? {
        Some(bytes) => decode(bytes.value()).map(Some),
        None => Ok(None),
    }
}

fn due_key(connection: &Connection) -> Option<(u16, i64)> {
    connection
        .due_at()
        .map(|at| (connection.sync_shard(), to_millis(at)))
}

/// Writes `new` over `old` (if any), keeping the due index in step.
fn store(
    txn: &WriteTransaction,
    old: Option<&Connection>,
    new: &Connection,
) -> Result<(), StoreError> {
    let id = new.id.to_string();
    let mut due: Table<(u16, i64, &str), ()> = txn.open_table(CONNECTIONS_DUE)?;
    if let Some((shard, at)) = old.and_then(due_key) {
        due.remove((shard, at, id.as_str()))?;
    }
    if let Some((shard, at)) = due_key(new) {
        due.insert((shard, at, id.as_str()), ())?;
    }
    let mut connections = txn.open_table(CONNECTIONS)?;
    connections.insert(id.as_str(), encode(new)?.as_slice())?;
    Ok(())
}

#[async_trait]
impl ConnectionStore for EmbeddedConnectionStore {
    async fn create(&self, connection: &Connection) -> Result<Connection, StoreError> {
        let mut created = connection.clone();
        created.version = 1;
        self.db
            .run(move |db| {
                let id = created.id.to_string();
                let claim = owner_claim_key(&created.end_user.id, &created.workspace.id);
                let txn = db.begin_write()?;
                {
                    let connections = txn.open_table(CONNECTIONS)?;
                    if connections.get(id.as_str())?.is_some() {
                        return Err(StoreError::DuplicateId { id: created.id });
                    }
                    let mut owners = txn.open_table(CONNECTION_OWNERS)?;
                    if let Some(existing) = owners.get(claim.as_str())? {
                        let existing =
                            ConnectionId::parse(existing.value()).map_err(StoreError::corrupt)?;
                        return Err(StoreError::ConnectionExists { existing });
                    }
                    owners.insert(claim.as_str(), id.as_str())?;
                    let mut by_user = txn.open_table(CONNECTIONS_BY_END_USER)?;
                    by_user.insert(
                        (
                            created.end_user.id.as_str(),
                            to_millis(created.created_at),
                            id.as_str(),
                        ),
                        (),
                    )?;
                    txn.open_table(CONNECTIONS_BY_WORKSPACE)?
                        .insert((created.workspace.id.as_str(), id.as_str()), ())?;
                }
                store(&txn, None, &created)?;
                txn.commit()?;
                Ok(created)
            })
            .await
    }

    async fn get(&self, id: &ConnectionId) -> Result<Option<Connection>, StoreError> {
        let id = id.to_string();
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                load(&txn.open_table(CONNECTIONS)?, &id)
            })
            .await
    }

    async fn put(&self, connection: &Connection) -> Result<Connection, StoreError> {
        let mut updated = connection.clone();
        self.db
            .run(move |db| {
                let id = updated.id.to_string();
                let txn = db.begin_write()?;
                let old = load(&txn.open_table(CONNECTIONS)?, &id)?
                    .ok_or(StoreError::ConnectionNotFound { id: updated.id })?;
                if old.version != updated.version {
                    return Err(StoreError::VersionConflict {
                        entity: "connection",
                        id,
                        expected: updated.version,
                    });
                }
                if old.end_user.id != updated.end_user.id
                    || old.workspace.id != updated.workspace.id
                {
                    return Err(StoreError::Invalid(
                        "a connection's end user and workspace cannot change".into(),
                    ));
                }
                updated.version = old.version + 1;
                updated.created_at = old.created_at;
                store(&txn, Some(&old), &updated)?;
                txn.commit()?;
                Ok(updated)
            })
            .await
    }

    async fn set_next_sync(
        &self,
        id: &ConnectionId,
        next_sync_at: Option<OffsetDateTime>,
    ) -> Result<u64, StoreError> {
        let id = *id;
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                let old = load(&txn.open_table(CONNECTIONS)?, &id.to_string())?
                    .ok_or(StoreError::ConnectionNotFound { id })?;
                let mut updated = old.clone();
                updated.next_sync_at = next_sync_at;
                updated.version = old.version + 1;
                store(&txn, Some(&old), &updated)?;
                txn.commit()?;
                Ok(updated.version)
            })
            .await
    }

    async fn delete(&self, id: &ConnectionId) -> Result<(), StoreError> {
        let id = id.to_string();
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                {
                    let mut connections = txn.open_table(CONNECTIONS)?;
                    let Some(old) = load(&connections, &id)? else {
                        return Ok(());
                    };
                    connections.remove(id.as_str())?;
                    let claim = owner_claim_key(&old.end_user.id, &old.workspace.id);
                    txn.open_table(CONNECTION_OWNERS)?.remove(claim.as_str())?;
                    txn.open_table(CONNECTIONS_BY_END_USER)?.remove((
                        old.end_user.id.as_str(),
                        to_millis(old.created_at),
                        id.as_str(),
                    ))?;
                    txn.open_table(CONNECTIONS_BY_WORKSPACE)?
                        .remove((old.workspace.id.as_str(), id.as_str()))?;
                    if let Some((shard, at)) = due_key(&old) {
                        txn.open_table(CONNECTIONS_DUE)?
                            .remove((shard, at, id.as_str()))?;
                    }
                }
                txn.commit()?;
                Ok(())
            })
            .await
    }

    async fn list_by_end_user(&self, end_user: &EndUserId) -> Result<Vec<Connection>, StoreError> {
        let end_user = end_user.clone();
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                let index = txn.open_table(CONNECTIONS_BY_END_USER)?;
                let connections = txn.open_table(CONNECTIONS)?;
                let mut found = Vec::new();
                for entry in index.range((end_user.as_str(), i64::MIN, "")..)? {
                    let (key, _) = entry?;
                    let (user, _, id) = key.value();
                    if user != end_user.as_str() {
                        break;
                    }
                    if let Some(connection) = load(&connections, id)? {
                        found.push(connection);
                    }
                }
                Ok(found)
            })
            .await
    }

    async fn list_by_workspace(&self, workspace_id: &str) -> Result<Vec<Connection>, StoreError> {
        let workspace_id = workspace_id.to_owned();
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                let index = txn.open_table(CONNECTIONS_BY_WORKSPACE)?;
                let connections = txn.open_table(CONNECTIONS)?;
                let mut found = Vec::new();
                for entry in index.range((workspace_id.as_str(), "")..)? {
                    let (key, _) = entry?;
                    let (workspace, id) = key.value();
                    if workspace != workspace_id.as_str() {
                        break;
                    }
                    if let Some(connection) = load(&connections, id)? {
                        found.push(connection);
                    }
                }
                Ok(found)
            })
            .await
    }

    async fn find_by_end_user_and_workspace(
        &self,
        end_user: &EndUserId,
        workspace_id: &str,
    ) -> Result<Option<Connection>, StoreError> {
        let claim = owner_claim_key(end_user, workspace_id);
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                let owners = txn.open_table(CONNECTION_OWNERS)?;
                let Some(id) = owners.get(claim.as_str())? else {
                    return Ok(None);
                };
                load(&txn.open_table(CONNECTIONS)?, id.value())
            })
            .await
    }

    async fn list(
        &self,
        after: Option<&ConnectionId>,
        limit: usize,
    ) -> Result<Vec<Connection>, StoreError> {
        let after = after.map(ToString::to_string);
        self.db
            .run(move |db| page_after(db, CONNECTIONS, after.as_deref(), limit))
            .await
    }

    async fn list_due(
        &self,
        shard: u16,
        now: OffsetDateTime,
        after: Option<&DueConnection>,
        limit: usize,
    ) -> Result<DuePage, StoreError> {
        let after = after.map(|due| (to_millis(due.next_sync_at), due.id.to_string()));
        let now = to_millis(now);
        let limit = limit.max(1);
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                let index = txn.open_table(CONNECTIONS_DUE)?;
                let start = match &after {
                    Some((at, id)) => Bound::Excluded((shard, *at, id.as_str())),
                    None => Bound::Included((shard, i64::MIN, "")),
                };
                let mut due = Vec::new();
                let mut more = false;
                for entry in index.range::<(u16, i64, &str)>((start, Bound::Unbounded))? {
                    let (key, _) = entry?;
                    let (entry_shard, at, id) = key.value();
                    if entry_shard != shard || at > now {
                        break;
                    }
                    if due.len() >= limit {
                        more = true;
                        break;
                    }
                    due.push(DueConnection {
                        id: ConnectionId::parse(id).map_err(StoreError::corrupt)?,
                        next_sync_at: from_millis(at),
                    });
                }
                let next = if more { due.last().cloned() } else { None };
                Ok(DuePage { due, next })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;
    use crate::adapters::Adapters;
    use crate::domain::{EndUser, TokenPair, Workspace, timestamp};
    use crate::secret::SecretString;

    /// A file written before the workspace index existed gets the index on open.
    #[tokio::test]
    async fn opening_an_older_file_fills_the_workspace_index() {
        let dir = tempfile::tempdir().unwrap();
        let id = ConnectionId::random();
        {
            let adapters =
                Adapters::embedded(dir.path(), HashMap::new(), 5, Duration::from_secs(60)).unwrap();
            let pair = TokenPair {
                access: SecretString::new("access"),
                refresh: None,
            };
            let sealed = adapters.tokens.seal(&id, &pair).await.unwrap();
            let connection = Connection::new(
                id,
                EndUser {
                    id: EndUserId::parse("user-1").unwrap(),
                    email: None,
                    display_name: None,
                    organization: None,
                },
                Workspace {
                    id: "ws-old".into(),
                    name: None,
                    icon: None,
                },
                "bot".into(),
                serde_json::json!({}),
                sealed,
                timestamp::now(),
            );
            adapters.connections.create(&connection).await.unwrap();
        }
        {
            // Simulate the older file: no index entries.
            let db = redb::Database::create(dir.path().join(super::super::db::DB_FILE)).unwrap();
            let txn = db.begin_write().unwrap();
            txn.delete_table(CONNECTIONS_BY_WORKSPACE).unwrap();
            txn.commit().unwrap();
        }
        let store = EmbeddedConnectionStore::new(EmbeddedDb::open(dir.path()).unwrap());
        let listed = store.list_by_workspace("ws-old").await.unwrap();
        assert_eq!(
            listed.into_iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![id]
        );
    }
}
