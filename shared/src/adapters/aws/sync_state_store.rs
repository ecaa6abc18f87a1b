//! Checkpoints, leases and run history in DynamoDB.
//!
//! Table `RELAY_SYNC_STATE_TABLE`, key (`pk` S = connection id, `sk` S), TTL attribute
//! `expires_at` (N, epoch seconds). Items:
//! - `sk` = `checkpoint`: `checkpoint` (S, JSON), `version` (N), `updated_at` (N, ms);
//! - `sk` = `lease#<scope>`: `holder` (S), `fence` (N), `expires_at_ms` (N), `expires_at`;
//! - `sk` = `run#<started ms, 20 digits>#<run id>`: `run` (S, JSON), `expires_at` (kept 30 days).

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ReturnValue;

use super::error::{is_conditional_failure, store_error};
use super::item::{Item, get_n, get_s, n, s};
use crate::domain::sync_state::RUN_RETENTION;
use crate::domain::timestamp::{self, from_millis, to_millis};
use crate::domain::{Checkpoint, ConnectionId, Lease, LeaseScope, RunRecord};
use crate::ports::{StoreError, SyncStateStore};

/// How long a lease item outlives its expiry before DynamoDB's TTL may remove it.
const LEASE_GRACE_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Clone)]
pub struct DynamoSyncStateStore {
    client: Client,
    table: String,
}

impl DynamoSyncStateStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.item)
    }

    async fn delete_all(&self, pk: &str) -> Result<(), StoreError> {
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk))
                .projection_expression("pk, sk")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .key("pk", s(pk))
                    .key("sk", s(get_s(item, "sk")?))
                    .send()
                    .await
                    .map_err(store_error)?;
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(()),
            }
        }
    }
}

fn lease_sk(scope: &LeaseScope) -> String {
    format!("lease#{}", scope.as_str())
}

fn run_sk(run: &RunRecord) -> String {
    format!(
        "run#{:020}#{}",
        to_millis(run.started_at).max(0),
        run.run_id
    )
}

fn ttl_millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

fn lease_of(
    connection_id: ConnectionId,
    scope: &LeaseScope,
    item: &Item,
) -> Result<Lease, StoreError> {
    Ok(Lease {
        connection_id,
        scope: scope.clone(),
        holder: get_s(item, "holder")?.to_owned(),
        fence: get_n(item, "fence")?,
        expires_at: from_millis(get_n(item, "expires_at_ms")?),
    })
}

#[async_trait]
impl SyncStateStore for DynamoSyncStateStore {
    async fn get_checkpoint(
        &self,
        connection_id: &ConnectionId,
    ) -> Result<Option<Checkpoint>, StoreError> {
        let Some(item) = self
            .get_item(&connection_id.to_string(), "checkpoint")
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Checkpoint {
            data: serde_json::from_str(get_s(&item, "checkpoint")?).map_err(StoreError::corrupt)?,
            version: get_n(&item, "version")?,
            updated_at: from_millis(get_n(&item, "updated_at")?),
        }))
    }

    async fn put_checkpoint(
        &self,
        connection_id: &ConnectionId,
        data: &serde_json::Value,
        expected_version: Option<u64>,
    ) -> Result<Checkpoint, StoreError> {
        let checkpoint = Checkpoint {
            data: data.clone(),
            version: expected_version.unwrap_or(0) + 1,
            updated_at: timestamp::now(),
        };
        let json = serde_json::to_string(data).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(connection_id.to_string()))
            .item("sk", s("checkpoint"))
            .item("checkpoint", s(json))
            .item("version", n(checkpoint.version))
            .item("updated_at", n(to_millis(checkpoint.updated_at)));
        let request = match expected_version {
            None => request.condition_expression("attribute_not_exists(pk)"),
            Some(version) => request
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(version)),
        };
        match request.send().await {
            Ok(_) => Ok(checkpoint),
            Err(err) if is_conditional_failure(&err) => Err(StoreError::VersionConflict {
                entity: "checkpoint",
                id: connection_id.to_string(),
                expected: expected_version.unwrap_or(0),
            }),
            Err(err) => Err(store_error(err)),
        }
    }

    async fn delete_checkpoint(&self, connection_id: &ConnectionId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(connection_id.to_string()))
            .key("sk", s("checkpoint"))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn acquire_lease(
        &self,
        connection_id: &ConnectionId,
        scope: &LeaseScope,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let now = to_millis(timestamp::now());
        let expires = now.saturating_add(ttl_millis(ttl));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(connection_id.to_string()))
            .key("sk", s(lease_sk(scope)))
            .update_expression(
                "SET holder = :holder, expires_at_ms = :expires, expires_at = :purge, \
                 fence = if_not_exists(fence, :zero) + :one",
            )
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at_ms <= :now OR holder = :holder",
            )
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":expires", n(expires))
            .expression_attribute_values(":purge", n(expires / 1000 + LEASE_GRACE_SECONDS))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => lease_of(
                *connection_id,
                scope,
                &output.attributes.unwrap_or_default(),
            )
            .map(Some),
            Err(err) if is_conditional_failure(&err) => Ok(None),
            Err(err) => Err(store_error(err)),
        }
    }

    async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<Lease, StoreError> {
        let now = to_millis(timestamp::now());
        let expires = now.saturating_add(ttl_millis(ttl));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(lease.connection_id.to_string()))
            .key("sk", s(lease_sk(&lease.scope)))
            .update_expression("SET expires_at_ms = :expires, expires_at = :purge")
            .condition_expression("holder = :holder AND fence = :fence AND expires_at_ms > :zero")
            .expression_attribute_values(":holder", s(&lease.holder))
            .expression_attribute_values(":fence", n(lease.fence))
            .expression_attribute_values(":expires", n(expires))
            .expression_attribute_values(":purge", n(expires / 1000 + LEASE_GRACE_SECONDS))
            .expression_attribute_values(":zero", n(0))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => lease_of(
                lease.connection_id,
                &lease.scope,
                &output.attributes.unwrap_or_default(),
            ),
            Err(err) if is_conditional_failure(&err) => Err(StoreError::LeaseLost {
                connection_id: lease.connection_id,
                scope: lease.scope.as_str().to_owned(),
            }),
            Err(err) => Err(store_error(err)),
        }
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(lease.connection_id.to_string()))
            .key("sk", s(lease_sk(&lease.scope)))
            .update_expression("SET expires_at_ms = :zero")
            .condition_expression("holder = :holder AND fence = :fence")
            .expression_attribute_values(":holder", s(&lease.holder))
            .expression_attribute_values(":fence", n(lease.fence))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_conditional_failure(&err) => Ok(()),
            Err(err) => Err(store_error(err)),
        }
    }

    async fn current_lease(
        &self,
        connection_id: &ConnectionId,
        scope: &LeaseScope,
    ) -> Result<Option<Lease>, StoreError> {
        let now = to_millis(timestamp::now());
        let Some(item) = self
            .get_item(&connection_id.to_string(), &lease_sk(scope))
            .await?
        else {
            return Ok(None);
        };
        let lease = lease_of(*connection_id, scope, &item)?;
        Ok((to_millis(lease.expires_at) > now).then_some(lease))
    }

    async fn put_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let json = serde_json::to_string(run).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let purge = to_millis(timestamp::after(run.started_at, RUN_RETENTION)) / 1000;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(run.connection_id.to_string()))
            .item("sk", s(run_sk(run)))
            .item("run", s(json))
            .item("expires_at", n(purge))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn list_runs(
        &self,
        connection_id: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let limit = limit.max(1);
        let mut runs = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(connection_id.to_string()))
                .expression_attribute_values(":prefix", s("run#"))
                .scan_index_forward(false)
                .limit(i32::try_from(limit - runs.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                runs.push(serde_json::from_str(get_s(item, "run")?).map_err(StoreError::corrupt)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() && runs.len() < limit => start = Some(key),
                _ => return Ok(runs),
            }
        }
    }

    async fn purge_connection(&self, connection_id: &ConnectionId) -> Result<(), StoreError> {
        self.delete_all(&connection_id.to_string()).await
    }
}
