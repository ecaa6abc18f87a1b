//! Records in the embedded database. A batch is one write transaction: redb serialises writers,
//! so cursors are handed out and committed in order.

use std::ops::Bound;

use async_trait::async_trait;
use redb::{ReadableDatabase, ReadableTable};

use super::db::{EmbeddedDb, RECORD_CHANGES, RECORD_CURSORS, RECORDS, decode, encode};
use crate::domain::record::{Decision, decide};
use crate::domain::timestamp;
use crate::domain::{
    ChangeCursor, ChangePage, ChangeQuery, ConnectionId, IdPage, RecordId, RecordKey, RecordModel,
    RecordWrite, StoredRecord, WriteOutcome,
};
use crate::ports::{RecordStore, StoreError};

/// How many change entries one listing reads at most while filters skip them.
const MAX_SCANNED: usize = 10_000;

#[derive(Debug, Clone)]
pub struct EmbeddedRecordStore {
    db: EmbeddedDb,
}

impl EmbeddedRecordStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

fn load(
    table: &impl ReadableTable<(&'static str, &'static str, &'static str), &'static [u8]>,
    connection: &str,
    model: &str,
    id: &str,
) -> Result<Option<StoredRecord>, StoreError> {
    match table.get((connection, model, id))? {
        Some(bytes) => decode(bytes.value()).map(Some),
        None => Ok(None),
    }
}

#[async_trait]
impl RecordStore for EmbeddedRecordStore {
    async fn write(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        writes: Vec<RecordWrite>,
    ) -> Result<Vec<WriteOutcome>, StoreError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let connection = connection_id.to_string();
        let model = model.as_str().to_owned();
        self.db
            .run(move |db| {
                let now = timestamp::now();
                let txn = db.begin_write()?;
                let mut outcomes = Vec::with_capacity(writes.len());
                {
                    let mut records = txn.open_table(RECORDS)?;
                    let mut changes = txn.open_table(RECORD_CHANGES)?;
                    let mut cursors = txn.open_table(RECORD_CURSORS)?;
                    let start = cursors
                        .get((connection.as_str(), model.as_str()))?
                        .map_or(ChangeCursor::START, |c| ChangeCursor::new(c.value()));
                    let mut cursor = start;
                    for write in &writes {
                        let id = write.record_id().as_str();
                        let existing = load(&records, &connection, &model, id)?;
                        match decide(existing.as_ref(), write, now) {
                            Decision::Skip(outcome) => outcomes.push(outcome),
                            Decision::Write(mut record) => {
                                cursor = cursor.next();
                                if let Some(old) = &existing {
                                    changes.remove((
                                        connection.as_str(),
                                        model.as_str(),
                                        old.cursor.value(),
                                    ))?;
                                }
                                record.cursor = cursor;
                                changes.insert(
                                    (connection.as_str(), model.as_str(), cursor.value()),
                                    id,
                                )?;
                                records.insert(
                                    (connection.as_str(), model.as_str(), id),
                                    encode(&record)?.as_slice(),
                                )?;
                                outcomes.push(WriteOutcome::Written {
                                    action: record.last_action,
                                    cursor,
                                });
                            }
                        }
                    }
                    if cursor != start {
                        cursors.insert((connection.as_str(), model.as_str()), cursor.value())?;
                    }
                }
                txn.commit()?;
                Ok(outcomes)
            })
            .await
    }

    async fn get(&self, key: &RecordKey) -> Result<Option<StoredRecord>, StoreError> {
        let connection = key.connection_id.to_string();
        let model = key.model.as_str().to_owned();
        let id = key.record_id.as_str().to_owned();
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                load(&txn.open_table(RECORDS)?, &connection, &model, &id)
            })
            .await
    }

    async fn list_changes(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        query: &ChangeQuery,
    ) -> Result<ChangePage, StoreError> {
        let connection = connection_id.to_string();
        let model = model.as_str().to_owned();
        let query = query.clone();
        let limit = query.limit.max(1);
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                let changes = txn.open_table(RECORD_CHANGES)?;
                let records = txn.open_table(RECORDS)?;
                let mut page = ChangePage {
                    records: Vec::new(),
                    next_cursor: query.after,
                    has_more: false,
                };
                let start = (connection.as_str(), model.as_str(), query.after.value());
                let end = (connection.as_str(), model.as_str(), u64::MAX);
                let range = changes
                    .range::<(&str, &str, u64)>((Bound::Excluded(start), Bound::Included(end)))?;
                for (scanned, entry) in range.enumerate() {
                    if page.records.len() >= limit || scanned >= MAX_SCANNED {
                        page.has_more = true;
                        break;
                    }
                    let (key, id) = entry?;
                    let (_, _, cursor) = key.value();
                    let record =
                        load(&records, &connection, &model, id.value())?.ok_or_else(|| {
                            StoreError::Corrupt(format!("change {cursor} points at no record"))
                        })?;
                    page.next_cursor = ChangeCursor::new(cursor);
                    if query.matches(&record) {
                        page.records.push(record);
                    }
                }
                Ok(page)
            })
            .await
    }

    async fn latest_cursor(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
    ) -> Result<ChangeCursor, StoreError> {
        let connection = connection_id.to_string();
        let model = model.as_str().to_owned();
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                let cursors = txn.open_table(RECORD_CURSORS)?;
                Ok(cursors
                    .get((connection.as_str(), model.as_str()))?
                    .map_or(ChangeCursor::START, |c| ChangeCursor::new(c.value())))
            })
            .await
    }

    async fn list_ids(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        after: Option<&RecordId>,
        limit: usize,
        include_deleted: bool,
    ) -> Result<IdPage, StoreError> {
        let connection = connection_id.to_string();
        let model = model.as_str().to_owned();
        let after = after.map(|id| id.as_str().to_owned());
        let limit = limit.max(1);
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                let records = txn.open_table(RECORDS)?;
                let start = match &after {
                    Some(id) => Bound::Excluded((connection.as_str(), model.as_str(), id.as_str())),
                    None => Bound::Included((connection.as_str(), model.as_str(), "")),
                };
                let mut page = IdPage {
                    ids: Vec::new(),
                    next: None,
                };
                let mut last = None;
                for entry in records.range::<(&str, &str, &str)>((start, Bound::Unbounded))? {
                    let (key, value) = entry?;
                    let (entry_connection, entry_model, id) = key.value();
                    if entry_connection != connection || entry_model != model {
                        break;
                    }
                    if page.ids.len() >= limit {
                        page.next = last;
                        break;
                    }
                    let record_id = RecordId::parse(id).map_err(StoreError::corrupt)?;
                    last = Some(record_id.clone());
                    if !include_deleted {
                        let record: StoredRecord = decode(value.value())?;
                        if record.deleted_at.is_some() {
                            continue;
                        }
                    }
                    page.ids.push(record_id);
                }
                Ok(page)
            })
            .await
    }

    /// Keeps the per-model cursor counters, so cursors never go back even if the connection is
    /// synced again later.
    async fn purge_connection(&self, connection_id: &ConnectionId) -> Result<u64, StoreError> {
        let connection = connection_id.to_string();
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                let removed;
                {
                    let mut records = txn.open_table(RECORDS)?;
                    let keys: Vec<(String, String)> = records
                        .range((connection.as_str(), "", "")..)?
                        .map(|entry| {
                            entry.map(|(key, _)| {
                                let (c, m, id) = key.value();
                                (c.to_owned(), m.to_owned(), id.to_owned())
                            })
                        })
                        .take_while(|entry| {
                            entry.as_ref().map_or(true, |(c, _, _)| *c == connection)
                        })
                        .map(|entry| entry.map(|(_, m, id)| (m, id)))
                        .collect::<Result<_, _>>()?;
                    removed = keys.len() as u64;
                    for (model, id) in &keys {
                        records.remove((connection.as_str(), model.as_str(), id.as_str()))?;
                    }
                    let mut changes = txn.open_table(RECORD_CHANGES)?;
                    let change_keys: Vec<(String, u64)> = changes
                        .range((connection.as_str(), "", 0u64)..)?
                        .map(|entry| {
                            entry.map(|(key, _)| {
                                let (c, m, cursor) = key.value();
                                (c.to_owned(), m.to_owned(), cursor)
                            })
                        })
                        .take_while(|entry| {
                            entry.as_ref().map_or(true, |(c, _, _)| *c == connection)
                        })
                        .map(|entry| entry.map(|(_, m, cursor)| (m, cursor)))
                        .collect::<Result<_, _>>()?;
                    for (model, cursor) in &change_keys {
                        changes.remove((connection.as_str(), model.as_str(), *cursor))?;
                    }
                }
                txn.commit()?;
                Ok(removed)
            })
            .await
    }
}
