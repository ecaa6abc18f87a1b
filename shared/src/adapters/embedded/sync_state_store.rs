//! Checkpoints, leases and run history in the embedded database.

use std::ops::Bound;
use std::time::Duration;

use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};

use super::db::{CHECKPOINTS, EmbeddedDb, LEASES, RUNS, decode, encode};
use crate::domain::sync_state::RUN_RETENTION;
use crate::domain::timestamp::{self, from_millis, to_millis};
use crate::domain::{Checkpoint, ConnectionId, Lease, LeaseScope, RunRecord};
use crate::ports::{StoreError, SyncStateStore};

#[derive(Debug, Clone)]
pub struct EmbeddedSyncStateStore {
    db: EmbeddedDb,
}

impl EmbeddedSyncStateStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

/// A lease as stored. Released leases stay (expired) so the fence keeps growing.
#[derive(Debug, Serialize, Deserialize)]
struct StoredLease {
    holder: String,
    fence: u64,
    expires_at_ms: i64,
}

fn lease_of(connection_id: ConnectionId, scope: &LeaseScope, stored: &StoredLease) -> Lease {
    Lease {
        connection_id,
        scope: scope.clone(),
        holder: stored.holder.clone(),
        fence: stored.fence,
        expires_at: from_millis(stored.expires_at_ms),
    }
}

fn ttl_millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl SyncStateStore for EmbeddedSyncStateStore {
    async fn get_checkpoint(
        &self,
        connection_id: &ConnectionId,
    ) -> Result<Option<Checkpoint>, StoreError> {
        let id = connection_id.to_string();
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                let table = txn.open_table(CHECKPOINTS)?;
                let value = table.get(id.as_str())?;
                value.map(|bytes| decode(bytes.value())).transpose()
            })
            .await
    }

    async fn put_checkpoint(
        &self,
        connection_id: &ConnectionId,
        data: &serde_json::Value,
        expected_version: Option<u64>,
    ) -> Result<Checkpoint, StoreError> {
        let id = connection_id.to_string();
        let data = data.clone();
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                let checkpoint = {
                    let mut table = txn.open_table(CHECKPOINTS)?;
                    let current: Option<Checkpoint> = table
                        .get(id.as_str())?
                        .map(|b| decode(b.value()))
                        .transpose()?;
                    let current_version = current.map(|c| c.version);
                    if current_version != expected_version {
                        return Err(StoreError::VersionConflict {
                            entity: "checkpoint",
                            id,
                            expected: expected_version.unwrap_or(0),
                        });
                    }
                    let checkpoint = Checkpoint {
                        data,
                        version: current_version.unwrap_or(0) + 1,
                        updated_at: timestamp::now(),
                    };
                    table.insert(id.as_str(), encode(&checkpoint)?.as_slice())?;
                    checkpoint
                };
                txn.commit()?;
                Ok(checkpoint)
            })
            .await
    }

    async fn delete_checkpoint(&self, connection_id: &ConnectionId) -> Result<(), StoreError> {
        let id = connection_id.to_string();
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                txn.open_table(CHECKPOINTS)?.remove(id.as_str())?;
                txn.commit()?;
                Ok(())
            })
            .await
    }

    async fn acquire_lease(
        &self,
        connection_id: &ConnectionId,
        scope: &LeaseScope,
        holder: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>, StoreError> {
        let connection_id = *connection_id;
        let scope = scope.clone();
        let holder = holder.to_owned();
        self.db
            .run(move |db| {
                let id = connection_id.to_string();
                let now = to_millis(timestamp::now());
                let txn = db.begin_write()?;
                let lease = {
                    let mut table = txn.open_table(LEASES)?;
                    let current: Option<StoredLease> = table
                        .get((id.as_str(), scope.as_str()))?
                        .map(|b| decode(b.value()))
                        .transpose()?;
                    let free = current
                        .as_ref()
                        .is_none_or(|lease| lease.expires_at_ms <= now || lease.holder == holder);
                    if !free {
                        return Ok(None);
                    }
                    let stored = StoredLease {
                        holder,
                        fence: current.map_or(0, |lease| lease.fence) + 1,
                        expires_at_ms: now.saturating_add(ttl_millis(ttl)),
                    };
                    table.insert((id.as_str(), scope.as_str()), encode(&stored)?.as_slice())?;
                    lease_of(connection_id, &scope, &stored)
                };
                txn.commit()?;
                Ok(Some(lease))
            })
            .await
    }

    async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<Lease, StoreError> {
        let lease = lease.clone();
        self.db
            .run(move |db| {
                let id = lease.connection_id.to_string();
                let now = to_millis(timestamp::now());
                let lost = || StoreError::LeaseLost {
                    connection_id: lease.connection_id,
                    scope: lease.scope.as_str().to_owned(),
                };
                let txn = db.begin_write()?;
                let renewed = {
                    let mut table = txn.open_table(LEASES)?;
                    let current: StoredLease = table
                        .get((id.as_str(), lease.scope.as_str()))?
                        .map(|b| decode(b.value()))
                        .transpose()?
                        .ok_or_else(lost)?;
                    if current.holder != lease.holder
                        || current.fence != lease.fence
                        || current.expires_at_ms == 0
                    {
                        return Err(lost());
                    }
                    let stored = StoredLease {
                        expires_at_ms: now.saturating_add(ttl_millis(ttl)),
                        ..current
                    };
                    table.insert(
                        (id.as_str(), lease.scope.as_str()),
                        encode(&stored)?.as_slice(),
                    )?;
                    lease_of(lease.connection_id, &lease.scope, &stored)
                };
                txn.commit()?;
                Ok(renewed)
            })
            .await
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        let lease = lease.clone();
        self.db
            .run(move |db| {
                let id = lease.connection_id.to_string();
                let txn = db.begin_write()?;
                {
                    let mut table = txn.open_table(LEASES)?;
                    let current: Option<StoredLease> = table
                        .get((id.as_str(), lease.scope.as_str()))?
                        .map(|b| decode(b.value()))
                        .transpose()?;
                    if let Some(current) =
                        current.filter(|c| c.holder == lease.holder && c.fence == lease.fence)
                    {
                        let released = StoredLease {
                            expires_at_ms: 0,
                            ..current
                        };
                        table.insert(
                            (id.as_str(), lease.scope.as_str()),
                            encode(&released)?.as_slice(),
                        )?;
                    }
                }
                txn.commit()?;
                Ok(())
            })
            .await
    }

    async fn current_lease(
        &self,
        connection_id: &ConnectionId,
        scope: &LeaseScope,
    ) -> Result<Option<Lease>, StoreError> {
        let connection_id = *connection_id;
        let scope = scope.clone();
        self.db
            .run(move |db| {
                let id = connection_id.to_string();
                let now = to_millis(timestamp::now());
                let txn = db.begin_read()?;
                let table = txn.open_table(LEASES)?;
                let current: Option<StoredLease> = table
                    .get((id.as_str(), scope.as_str()))?
                    .map(|b| decode(b.value()))
                    .transpose()?;
                Ok(current
                    .filter(|lease| lease.expires_at_ms > now)
                    .map(|lease| lease_of(connection_id, &scope, &lease)))
            })
            .await
    }

    /// Also prunes the connection's runs older than [`RUN_RETENTION`].
    async fn put_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let run = run.clone();
        self.db
            .run(move |db| {
                let id = run.connection_id.to_string();
                let run_id = run.run_id.to_string();
                let horizon = to_millis(timestamp::now()) - ttl_millis(RUN_RETENTION);
                let txn = db.begin_write()?;
                {
                    let mut runs = txn.open_table(RUNS)?;
                    let start = Bound::Included((id.as_str(), i64::MIN, ""));
                    let end = Bound::Excluded((id.as_str(), horizon, ""));
                    let old: Vec<(i64, String)> = runs
                        .range::<(&str, i64, &str)>((start, end))?
                        .map(|entry| {
                            entry.map(|(key, _)| {
                                let (_, at, old_id) = key.value();
                                (at, old_id.to_owned())
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    for (at, old_id) in &old {
                        runs.remove((id.as_str(), *at, old_id.as_str()))?;
                    }
                    runs.insert(
                        (id.as_str(), to_millis(run.started_at), run_id.as_str()),
                        encode(&run)?.as_slice(),
                    )?;
                }
                txn.commit()?;
                Ok(())
            })
            .await
    }

    async fn list_runs(
        &self,
        connection_id: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<RunRecord>, StoreError> {
        let id = connection_id.to_string();
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                let table = txn.open_table(RUNS)?;
                let start = Bound::Included((id.as_str(), i64::MIN, ""));
                let end = Bound::Included((id.as_str(), i64::MAX, "\u{10FFFF}"));
                let mut runs = Vec::new();
                for entry in table.range::<(&str, i64, &str)>((start, end))?.rev() {
                    if runs.len() >= limit {
                        break;
                    }
                    let (_, value) = entry?;
                    runs.push(decode(value.value())?);
                }
                Ok(runs)
            })
            .await
    }

    async fn purge_connection(&self, connection_id: &ConnectionId) -> Result<(), StoreError> {
        let id = connection_id.to_string();
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                {
                    txn.open_table(CHECKPOINTS)?.remove(id.as_str())?;
                    let mut leases = txn.open_table(LEASES)?;
                    let scopes: Vec<String> = leases
                        .range((id.as_str(), "")..)?
                        .map(|entry| {
                            entry.map(|(key, _)| {
                                let (c, scope) = key.value();
                                (c == id).then(|| scope.to_owned())
                            })
                        })
                        .take_while(|entry| !matches!(entry, Ok(None)))
                        .filter_map(Result::transpose)
                        .collect::<Result<_, _>>()?;
                    for scope in &scopes {
                        leases.remove((id.as_str(), scope.as_str()))?;
                    }
                    let mut runs = txn.open_table(RUNS)?;
                    let start = Bound::Included((id.as_str(), i64::MIN, ""));
                    let end = Bound::Included((id.as_str(), i64::MAX, "\u{10FFFF}"));
                    let keys: Vec<(i64, String)> = runs
                        .range::<(&str, i64, &str)>((start, end))?
                        .map(|entry| {
                            entry.map(|(key, _)| {
                                let (_, at, run) = key.value();
                                (at, run.to_owned())
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    for (at, run) in &keys {
                        runs.remove((id.as_str(), *at, run.as_str()))?;
                    }
                }
                txn.commit()?;
                Ok(())
            })
            .await
    }
}
