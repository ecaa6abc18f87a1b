//! Short-lived items in the embedded database. Expired items are invisible at once and purged a
//! few at a time by later writes.

use std::ops::Bound;
use std::time::Duration;

use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::db::{EPHEMERAL, EPHEMERAL_EXPIRY, EmbeddedDb, decode, encode};
use crate::domain::timestamp::{self, from_millis, to_millis};
use crate::ports::{EphemeralItem, EphemeralNamespace, EphemeralStore, StoreError};

/// Expired items removed per write, so purging never makes one write slow.
const PURGE_PER_WRITE: usize = 64;

#[derive(Debug, Clone)]
pub struct EmbeddedEphemeralStore {
    db: EmbeddedDb,
}

impl EmbeddedEphemeralStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredItem {
    value: serde_json::Value,
    expires_at_ms: i64,
}

impl StoredItem {
    fn into_item(self) -> EphemeralItem {
        EphemeralItem {
            value: self.value,
            expires_at: from_millis(self.expires_at_ms),
        }
    }
}

fn read_live(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
    now: i64,
) -> Result<Option<StoredItem>, StoreError> {
    let item: Option<StoredItem> = table.get(key)?.map(|b| decode(b.value())).transpose()?;
    Ok(item.filter(|item| item.expires_at_ms > now))
}

fn remove(txn: &WriteTransaction, key: &str) -> Result<Option<StoredItem>, StoreError> {
    let mut items = txn.open_table(EPHEMERAL)?;
    let old: Option<StoredItem> = items.remove(key)?.map(|b| decode(b.value())).transpose()?;
    if let Some(old) = &old {
        txn.open_table(EPHEMERAL_EXPIRY)?
            .remove((old.expires_at_ms, key))?;
    }
    Ok(old)
}

fn insert(txn: &WriteTransaction, key: &str, item: &StoredItem) -> Result<(), StoreError> {
    remove(txn, key)?;
    txn.open_table(EPHEMERAL)?
        .insert(key, encode(item)?.as_slice())?;
    txn.open_table(EPHEMERAL_EXPIRY)?
        .insert((item.expires_at_ms, key), ())?;
    Ok(())
}

fn purge_expired(txn: &WriteTransaction, now: i64) -> Result<(), StoreError> {
    let mut expiry = txn.open_table(EPHEMERAL_EXPIRY)?;
    let expired: Vec<(i64, String)> = expiry
        .range::<(i64, &str)>((Bound::Unbounded, Bound::Included((now, "\u{10FFFF}"))))?
        .take(PURGE_PER_WRITE)
        .map(|entry| {
            entry.map(|(key, _)| {
                let (at, key) = key.value();
                (at, key.to_owned())
            })
        })
        .collect::<Result<_, _>>()?;
    let mut items = txn.open_table(EPHEMERAL)?;
    for (at, key) in &expired {
        expiry.remove((*at, key.as_str()))?;
        items.remove(key.as_str())?;
    }
    Ok(())
}

fn expires(ttl: Duration) -> i64 {
    to_millis(timestamp::after(timestamp::now(), ttl))
}

#[async_trait]
impl EphemeralStore for EmbeddedEphemeralStore {
    async fn put_if_absent(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
        value: &serde_json::Value,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let key = namespace.storage_key(key);
        let item = StoredItem {
            value: value.clone(),
            expires_at_ms: expires(ttl),
        };
        self.db
            .run(move |db| {
                let now = to_millis(timestamp::now());
                let txn = db.begin_write()?;
                if read_live(&txn.open_table(EPHEMERAL)?, &key, now)?.is_some() {
                    return Ok(false);
                }
                insert(&txn, &key, &item)?;
                purge_expired(&txn, now)?;
                txn.commit()?;
                Ok(true)
            })
            .await
    }

    async fn put(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
        value: &serde_json::Value,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let key = namespace.storage_key(key);
        let item = StoredItem {
            value: value.clone(),
            expires_at_ms: expires(ttl),
        };
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                insert(&txn, &key, &item)?;
                purge_expired(&txn, to_millis(timestamp::now()))?;
                txn.commit()?;
                Ok(())
            })
            .await
    }

    async fn get(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
    ) -> Result<Option<EphemeralItem>, StoreError> {
        let key = namespace.storage_key(key);
        self.db
            .run(move |db| {
                let now = to_millis(timestamp::now());
                let txn = db.begin_read()?;
                Ok(read_live(&txn.open_table(EPHEMERAL)?, &key, now)?.map(StoredItem::into_item))
            })
            .await
    }

    async fn take(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
    ) -> Result<Option<EphemeralItem>, StoreError> {
        let key = namespace.storage_key(key);
        self.db
            .run(move |db| {
                let now = to_millis(timestamp::now());
                let txn = db.begin_write()?;
                let taken = remove(&txn, &key)?.filter(|item| item.expires_at_ms > now);
                txn.commit()?;
                Ok(taken.map(StoredItem::into_item))
            })
            .await
    }

    async fn delete(&self, namespace: EphemeralNamespace, key: &str) -> Result<(), StoreError> {
        let key = namespace.storage_key(key);
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                remove(&txn, &key)?;
                txn.commit()?;
                Ok(())
            })
            .await
    }
}
