//! Connections in DynamoDB.
//!
//! Table `RELAY_CONNECTIONS_TABLE`, key `pk` (S). Two kinds of item:
//! - a connection: `pk` = connection id, `version` (N), `status` (S), `end_user_id` (S),
//!   `workspace_id` (S), `created_at` (N, ms), `next_sync_at` (N, ms; absent = not scheduled),
//!   `due_shard` (N; present only while active), `doc` (S: the connection as JSON);
//! - an owner claim: `pk` = `owner#<sha256(end user, workspace)>`, `connection_id` (S), written
//!   in the same transaction as the connection so one end user has one connection per workspace.
//!
//! GSI `by_end_user` (`end_user_id`, `created_at`; ALL) lists an end user's connections. GSI
//! `due_for_sync` (`due_shard`, `next_sync_at`; KEYS_ONLY) is sparse: only active, scheduled
//! connections are in it, so the scheduler queries due work per shard without a scan. GSI
//! `by_workspace` (`workspace_id`; KEYS_ONLY) routes Notion webhook events to a workspace's
//! connections (each then read consistently from the table).

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Delete, Put, ReturnValue, TransactWriteItem};
use time::OffsetDateTime;

use super::error::{
    backoff, build_error, is_conditional_failure, store_error, transaction_conflict,
};
use super::item::{Item, get_n, get_s, n, opt_n, s};
use crate::domain::connection::owner_claim_key;
use crate::domain::timestamp::{from_millis, to_millis};
use crate::domain::{Connection, ConnectionId, DueConnection, EndUserId};
use crate::ports::{ConnectionStore, DuePage, StoreError};

pub const BY_END_USER_INDEX: &str = "by_end_user";
pub const DUE_FOR_SYNC_INDEX: &str = "due_for_sync";
pub const BY_WORKSPACE_INDEX: &str = "by_workspace";

const MAX_ATTEMPTS: u32 = 8;

#[derive(Debug, Clone)]
pub struct DynamoConnectionStore {
    client: Client,
    table: String,
}

impl DynamoConnectionStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn claim_pk(connection: &Connection) -> String {
    format!(
        "owner#{}",
        owner_claim_key(&connection.end_user.id, &connection.workspace.id)
    )
}

fn to_item(connection: &Connection) -> Result<Item, StoreError> {
    let doc = serde_json::to_string(connection).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut item = Item::from([
        ("pk".to_owned(), s(connection.id.to_string())),
        ("version".to_owned(), n(connection.version)),
        ("status".to_owned(), s(connection.status.as_str())),
        ("end_user_id".to_owned(), s(connection.end_user.id.as_str())),
        ("workspace_id".to_owned(), s(&connection.workspace.id)),
        ("created_at".to_owned(), n(to_millis(connection.created_at))),
        ("doc".to_owned(), s(doc)),
    ]);
    if let Some(at) = connection.next_sync_at {
        item.insert("next_sync_at".to_owned(), n(to_millis(at)));
    }
    if connection.status == crate::domain::ConnectionStatus::Active {
        item.insert("due_shard".to_owned(), n(connection.sync_shard()));
    }
    Ok(item)
}

fn from_item(item: &Item) -> Result<Connection, StoreError> {
    let mut connection: Connection =
        serde_json::from_str(get_s(item, "doc")?).map_err(StoreError::corrupt)?;
    // `version` and `next_sync_at` change without rewriting the document.
    connection.version = get_n(item, "version")?;
    connection.next_sync_at = opt_n::<i64>(item, "next_sync_at")?.map(from_millis);
    Ok(connection)
}

impl DynamoConnectionStore {
    async fn get_item(&self, pk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.item)
    }

    async fn claimed_by(&self, claim: &str) -> Result<Option<ConnectionId>, StoreError> {
        match self.get_item(claim).await? {
            Some(item) => ConnectionId::parse(get_s(&item, "connection_id")?)
                .map(Some)
                .map_err(StoreError::corrupt),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl ConnectionStore for DynamoConnectionStore {
    async fn create(&self, connection: &Connection) -> Result<Connection, StoreError> {
        let mut created = connection.clone();
        created.version = 1;
        let claim = claim_pk(&created);
        let put_connection = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&created)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let put_claim = Put::builder()
            .table_name(&self.table)
            .item("pk", s(&claim))
            .item("connection_id", s(created.id.to_string()))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put_connection).build())
            .transact_items(TransactWriteItem::builder().put(put_claim).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(created),
            Err(err) => match transaction_conflict(&err) {
                Some(failed) if failed.contains(&0) => {
                    Err(StoreError::DuplicateId { id: created.id })
                }
                Some(failed) if failed.contains(&1) => match self.claimed_by(&claim).await? {
                    Some(existing) => Err(StoreError::ConnectionExists { existing }),
                    None => Err(StoreError::Contended { attempts: 1 }),
                },
                _ => Err(store_error(err)),
            },
        }
    }

    async fn get(&self, id: &ConnectionId) -> Result<Option<Connection>, StoreError> {
        self.get_item(&id.to_string())
            .await?
            .map(|item| from_item(&item))
            .transpose()
    }

    async fn put(&self, connection: &Connection) -> Result<Connection, StoreError> {
        let mut updated = connection.clone();
        updated.version = connection.version + 1;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&updated)?))
            .condition_expression(
                "version = :expected AND end_user_id = :user AND workspace_id = :workspace",
            )
            .expression_attribute_values(":expected", n(connection.version))
            .expression_attribute_values(":user", s(connection.end_user.id.as_str()))
            .expression_attribute_values(":workspace", s(&connection.workspace.id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(updated),
            Err(err) if is_conditional_failure(&err) => {
                let id = connection.id;
                let Some(current) = self.get(&id).await? else {
                    return Err(StoreError::ConnectionNotFound { id });
                };
                if current.end_user.id != connection.end_user.id
                    || current.workspace.id != connection.workspace.id
                {
                    return Err(StoreError::Invalid(
                        "a connection's end user and workspace cannot change".into(),
                    ));
                }
                Err(StoreError::VersionConflict {
                    entity: "connection",
                    id: id.to_string(),
                    expected: connection.version,
                })
            }
            Err(err) => Err(store_error(err)),
        }
    }

    async fn set_next_sync(
        &self,
        id: &ConnectionId,
        next_sync_at: Option<OffsetDateTime>,
    ) -> Result<u64, StoreError> {
        let request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(id.to_string()))
            .condition_expression("attribute_exists(version)")
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::UpdatedNew);
        let request = match next_sync_at {
            Some(at) => request
                .update_expression("SET next_sync_at = :at, version = version + :one")
                .expression_attribute_values(":at", n(to_millis(at))),
            None => request.update_expression("SET version = version + :one REMOVE next_sync_at"),
        };
        match request.send().await {
            Ok(output) => get_n(&output.attributes.unwrap_or_default(), "version"),
            Err(err) if is_conditional_failure(&err) => {
                Err(StoreError::ConnectionNotFound { id: *id })
            }
            Err(err) => Err(store_error(err)),
        }
    }

    async fn delete(&self, id: &ConnectionId) -> Result<(), StoreError> {
        for attempt in 1..=MAX_ATTEMPTS {
            let Some(item) = self.get_item(&id.to_string()).await? else {
                return Ok(());
            };
            let connection = from_item(&item)?;
            let delete_connection = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(id.to_string()))
                .condition_expression("version = :version")
                .expression_attribute_values(":version", n(connection.version))
                .build()
                .map_err(build_error)?;
            let delete_claim = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(claim_pk(&connection)))
                .condition_expression("attribute_not_exists(pk) OR connection_id = :id")
                .expression_attribute_values(":id", s(id.to_string()))
                .build()
                .map_err(build_error)?;
            let result = self
                .client
                .transact_write_items()
                .transact_items(
                    TransactWriteItem::builder()
                        .delete(delete_connection)
                        .build(),
                )
                .transact_items(TransactWriteItem::builder().delete(delete_claim).build())
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                Err(err) if transaction_conflict(&err).is_some() => backoff(attempt).await,
                Err(err) => return Err(store_error(err)),
            }
        }
        Err(StoreError::Contended {
            attempts: MAX_ATTEMPTS,
        })
    }

    async fn list_by_end_user(&self, end_user: &EndUserId) -> Result<Vec<Connection>, StoreError> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_END_USER_INDEX)
                .key_condition_expression("end_user_id = :user")
                .expression_attribute_values(":user", s(end_user.as_str()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                found.push(from_item(item)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(found),
            }
        }
    }

    async fn list_by_workspace(&self, workspace_id: &str) -> Result<Vec<Connection>, StoreError> {
        let mut ids = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_WORKSPACE_INDEX)
                .key_condition_expression("workspace_id = :workspace")
                .expression_attribute_values(":workspace", s(workspace_id))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                ids.push(ConnectionId::parse(get_s(item, "pk")?).map_err(StoreError::corrupt)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        // The index is keys only: read each connection (few per workspace) consistently.
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(connection) = self.get(&id).await? {
                found.push(connection);
            }
        }
        Ok(found)
    }

    async fn find_by_end_user_and_workspace(
        &self,
        end_user: &EndUserId,
        workspace_id: &str,
    ) -> Result<Option<Connection>, StoreError> {
        let claim = format!("owner#{}", owner_claim_key(end_user, workspace_id));
        match self.claimed_by(&claim).await? {
            Some(id) => self.get(&id).await,
            None => Ok(None),
        }
    }

    async fn list(
        &self,
        after: Option<&ConnectionId>,
        limit: usize,
    ) -> Result<Vec<Connection>, StoreError> {
        let limit = limit.max(1);
        let mut found = Vec::new();
        let mut start = after.map(|id| Item::from([("pk".to_owned(), s(id.to_string()))]));
        loop {
            let output = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("attribute_exists(version)")
                .limit(i32::try_from(limit - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .consistent_read(true)
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                found.push(from_item(item)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() && found.len() < limit => start = Some(key),
                _ => return Ok(found),
            }
        }
    }

    async fn list_due(
        &self,
        shard: u16,
        now: OffsetDateTime,
        after: Option<&DueConnection>,
        limit: usize,
    ) -> Result<DuePage, StoreError> {
        let limit = limit.max(1);
        let mut due = Vec::new();
        let mut start = after.map(|entry| {
            Item::from([
                ("pk".to_owned(), s(entry.id.to_string())),
                ("due_shard".to_owned(), n(shard)),
                ("next_sync_at".to_owned(), n(to_millis(entry.next_sync_at))),
            ])
        });
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(DUE_FOR_SYNC_INDEX)
                .key_condition_expression("due_shard = :shard AND next_sync_at <= :now")
                .expression_attribute_values(":shard", n(shard))
                .expression_attribute_values(":now", n(to_millis(now)))
                .limit(i32::try_from(limit - due.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                due.push(DueConnection {
                    id: ConnectionId::parse(get_s(item, "pk")?).map_err(StoreError::corrupt)?,
                    next_sync_at: from_millis(get_n(item, "next_sync_at")?),
                });
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => {
                    if due.len() >= limit {
                        let next = due.last().cloned();
                        return Ok(DuePage { due, next });
                    }
                    start = Some(key);
                }
                _ => return Ok(DuePage { due, next: None }),
            }
        }
    }
}
