//! Records in DynamoDB with an exactly-once change cursor.
//!
//! Table `RELAY_RECORDS_TABLE`, key (`pk` S = connection id, `sk` S). Items:
//! - a record: `sk` = `rec#<model>#<record id>`, with `model`, `record_id`, `payload` (S, JSON) or
//!   `payload_parts` (N), `payload_hash`, `source_modified`, `first_seen_at`, `last_modified_at`,
//!   `deleted_at` (N, ms), `last_action` (S), `record_cursor` (N), `change_key` (S,
//!   `<model>#<cursor, 20 digits>`);
//! - a payload part (payloads over 350 kB, to stay under DynamoDB's 400 KB item limit):
//!   `sk` = `part#<model>#<record id>#<index>`, `chunk` (S);
//! - a cursor counter: `sk` = `cursor#<model>`, `last_cursor` (N).
//!
//! LSI `by_change` (`pk`, `change_key`; INCLUDE `last_action`, `last_modified_at`,
//! `record_cursor`) lists a model's changes in cursor order with strongly consistent reads. It
//! carries what a listing filters on, never the payloads: an LSI caps one connection's item
//! collection at 10 GB, and copying payloads would double every record. A listing reads the
//! records a page names with a consistent BatchGetItem; a record whose `record_cursor` moved since
//! the index entry was read belongs to a later change and is skipped there.
//!
//! Each write is one TransactWriteItems that moves the counter from the value it read to the next
//! one and puts the records on the condition that they did not change since they were read; a
//! lost race re-reads and retries. A cursor is therefore only committed after every smaller one.
//! A listing first reads the counter (serializable with transactions), then queries the index up
//! to exactly that value with consistent reads: it sees a gap-free prefix of the stream, so a
//! reader that saves its cursor sees every change exactly once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, DeleteRequest, KeysAndAttributes, Put, TransactWriteItem, Update,
    WriteRequest,
};

use super::error::{backoff, build_error, store_error, transaction_conflict};
use super::item::{Item, get_n, get_s, n, opt_n, opt_s, s};
use crate::domain::record::{Decision, decide};
use crate::domain::timestamp::{self, from_millis, to_millis};
use crate::domain::{
    ChangeCursor, ChangePage, ChangeQuery, ConnectionId, IdPage, PayloadHash, RecordAction,
    RecordId, RecordKey, RecordModel, RecordWrite, StoredRecord, WriteOutcome,
};
use crate::ports::{RecordStore, StoreError};

pub const BY_CHANGE_INDEX: &str = "by_change";
/// The non-key attributes the `by_change` index carries: what listings filter and page on.
pub const BY_CHANGE_ATTRIBUTES: [&str; 3] = ["last_action", "last_modified_at", "record_cursor"];

/// Payloads longer than this (as JSON) are stored in parts.
const PART_BYTES: usize = 350_000;
/// DynamoDB's limits for one transaction are 100 items and 4 MB.
const MAX_TRANSACTION_ITEMS: usize = 100;
const MAX_TRANSACTION_BYTES: usize = 3_800_000;
/// Records per transaction (fewer when payloads are large).
const MAX_RECORDS_PER_TRANSACTION: usize = 50;
const MAX_ATTEMPTS: u32 = 12;
/// Items a change listing evaluates at most while filters skip them.
const MAX_SCANNED: usize = 10_000;

/// Writers of one (connection, model) in this process take turns, so they do not burn retries
/// racing each other; writers in other processes are kept in order by the conditions.
type WriterLocks = Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>;

#[derive(Debug, Clone)]
pub struct DynamoRecordStore {
    client: Client,
    table: String,
    writers: WriterLocks,
}

impl DynamoRecordStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            writers: WriterLocks::default(),
        }
    }

    fn writer_lock(&self, stream: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .writers
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        // Forget locks nobody holds or waits for, so the map stays small.
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        Arc::clone(locks.entry(stream.to_owned()).or_default())
    }
}

fn record_sk(model: &str, id: &str) -> String {
    format!("rec#{model}#{id}")
}

fn part_prefix(model: &str, id: &str) -> String {
    format!("part#{model}#{id}#")
}

/// The sort key of payload part `index` of a record. Parts are always read by these exact keys,
/// never by prefix: an id may contain `#` (`a#0000` would otherwise read as a part of `a`).
fn part_sk(model: &str, id: &str, index: u32) -> String {
    format!("{}{index:04}", part_prefix(model, id))
}

fn counter_sk(model: &str) -> String {
    format!("cursor#{model}")
}

fn change_key(model: &str, cursor: ChangeCursor) -> String {
    format!("{model}#{:020}", cursor.value())
}

/// The `change_key` range a listing after `after` queries, given the counter value `latest` read
/// before the query: changes up to `latest` are fully committed, later ones may not be, so the
/// listing never reads past it (it would otherwise skip a smaller cursor still being committed).
fn change_key_range(model: &str, after: ChangeCursor, latest: ChangeCursor) -> (String, String) {
    (change_key(model, after.next()), change_key(model, latest))
}

fn cursor_of_change_key(key: &str) -> Result<ChangeCursor, StoreError> {
    key.rsplit('#')
        .next()
        .and_then(|digits| ChangeCursor::parse(digits).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("bad change key {key:?}")))
}

/// A record as read: its payload is `Null` until its parts are loaded (`parts > 0`).
struct Loaded {
    record: StoredRecord,
    parts: u32,
}

fn decode(item: &Item) -> Result<Loaded, StoreError> {
    let parts: u32 = opt_n(item, "payload_parts")?.unwrap_or(0);
    let payload = match opt_s(item, "payload") {
        Some(json) => serde_json::from_str(json).map_err(StoreError::corrupt)?,
        None => serde_json::Value::Null,
    };
    let action = get_s(item, "last_action")?;
    let record = StoredRecord {
        record_id: RecordId::parse(get_s(item, "record_id")?).map_err(StoreError::corrupt)?,
        payload,
        payload_hash: PayloadHash::from_hex(get_s(item, "payload_hash")?),
        source_modified: opt_n::<i64>(item, "source_modified")?.map(from_millis),
        first_seen_at: from_millis(get_n(item, "first_seen_at")?),
        last_modified_at: from_millis(get_n(item, "last_modified_at")?),
        deleted_at: opt_n::<i64>(item, "deleted_at")?.map(from_millis),
        last_action: RecordAction::parse(action)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown action {action:?}")))?,
        cursor: ChangeCursor::new(get_n(item, "record_cursor")?),
    };
    Ok(Loaded { record, parts })
}

/// Splits `text` into pieces of at most `max` bytes on character boundaries.
fn split_utf8(text: &str, max: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(max);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (piece, tail) = rest.split_at(end);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// The transaction operations that store `record` over `existing`.
struct RecordOps {
    items: Vec<TransactWriteItem>,
    bytes: usize,
}

impl DynamoRecordStore {
    fn record_ops(
        &self,
        pk: &str,
        model: &str,
        record: &StoredRecord,
        existing: Option<&Loaded>,
    ) -> Result<RecordOps, StoreError> {
        let id = record.record_id.as_str();
        let mut ops = RecordOps {
            items: Vec::new(),
            bytes: 0,
        };
        let mut item = Item::from([
            ("pk".to_owned(), s(pk)),
            ("sk".to_owned(), s(record_sk(model, id))),
            ("model".to_owned(), s(model)),
            ("record_id".to_owned(), s(id)),
            ("payload_hash".to_owned(), s(record.payload_hash.as_str())),
            (
                "first_seen_at".to_owned(),
                n(to_millis(record.first_seen_at)),
            ),
            (
                "last_modified_at".to_owned(),
                n(to_millis(record.last_modified_at)),
            ),
            ("last_action".to_owned(), s(record.last_action.as_str())),
            ("record_cursor".to_owned(), n(record.cursor.value())),
            ("change_key".to_owned(), s(change_key(model, record.cursor))),
        ]);
        if let Some(at) = record.source_modified {
            item.insert("source_modified".to_owned(), n(to_millis(at)));
        }
        if let Some(at) = record.deleted_at {
            item.insert("deleted_at".to_owned(), n(to_millis(at)));
        }
        let old_parts = existing.map_or(0, |loaded| loaded.parts);
        let reuse_parts = existing.is_some_and(|loaded| {
            loaded.parts > 0 && loaded.record.payload_hash == record.payload_hash
        });
        let mut new_parts = 0;
        if reuse_parts {
            new_parts = old_parts;
            item.insert("payload_parts".to_owned(), n(old_parts));
        } else {
            let json = serde_json::to_string(&record.payload)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            if json.len() <= PART_BYTES {
                ops.bytes += json.len();
                item.insert("payload".to_owned(), s(json));
            } else {
                for (index, chunk) in (0u32..).zip(split_utf8(&json, PART_BYTES)) {
                    ops.bytes += chunk.len();
                    let part = Put::builder()
                        .table_name(&self.table)
                        .item("pk", s(pk))
                        .item("sk", s(part_sk(model, id, index)))
                        .item("chunk", s(chunk))
                        .build()
                        .map_err(build_error)?;
                    ops.items
                        .push(TransactWriteItem::builder().put(part).build());
                    new_parts += 1;
                }
                item.insert("payload_parts".to_owned(), n(new_parts));
            }
        }
        for index in new_parts..old_parts {
            let stale = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(pk))
                .key("sk", s(part_sk(model, id, index)))
                .build()
                .map_err(build_error)?;
            ops.items
                .push(TransactWriteItem::builder().delete(stale).build());
        }
        ops.bytes += 1_000;
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match existing {
            None => put.condition_expression("attribute_not_exists(sk)"),
            Some(loaded) => put
                .condition_expression("record_cursor = :seen")
                .expression_attribute_values(":seen", n(loaded.record.cursor.value())),
        };
        ops.items.push(
            TransactWriteItem::builder()
                .put(put.build().map_err(build_error)?)
                .build(),
        );
        Ok(ops)
    }

    /// Consistent reads of the given items (BatchGetItem, retrying unprocessed keys).
    async fn get_many(
        &self,
        pk: &str,
        sks: &[String],
    ) -> Result<HashMap<String, Item>, StoreError> {
        let mut found = HashMap::new();
        for chunk in sks.chunks(100) {
            let keys: Vec<Item> = chunk
                .iter()
                .map(|sk| Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))]))
                .collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
                    .build()
                    .map_err(build_error)?,
            );
            let mut attempt = 0;
            while let Some(keys) = request.take() {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(store_error)?;
                for item in output
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    found.insert(get_s(&item, "sk")?.to_owned(), item);
                }
                request = output
                    .unprocessed_keys
                    .and_then(|mut rest| rest.remove(&self.table))
                    .filter(|rest| !rest.keys().is_empty());
                if request.is_some() {
                    attempt += 1;
                    backoff(attempt).await;
                }
            }
        }
        Ok(found)
    }

    /// Fills in the payload of a record stored in parts: reads exactly its part keys.
    async fn load_parts(
        &self,
        pk: &str,
        model: &str,
        loaded: &mut Loaded,
    ) -> Result<(), StoreError> {
        if loaded.parts == 0 {
            return Ok(());
        }
        let id = loaded.record.record_id.as_str();
        let sks: Vec<String> = (0..loaded.parts)
            .map(|index| part_sk(model, id, index))
            .collect();
        let mut found = self.get_many(pk, &sks).await?;
        let mut json = String::new();
        for sk in &sks {
            let Some(item) = found.remove(sk) else {
                return Err(StoreError::Corrupt(format!(
                    "record {id} misses payload part {sk:?} of {}",
                    loaded.parts
                )));
            };
            json.push_str(get_s(&item, "chunk")?);
        }
        loaded.record.payload = serde_json::from_str(&json).map_err(StoreError::corrupt)?;
        Ok(())
    }

    /// Applies one chunk of writes (distinct record ids) in one transaction, retrying lost races.
    async fn write_chunk(
        &self,
        pk: &str,
        model: &str,
        writes: &[RecordWrite],
    ) -> Result<ChunkResult, StoreError> {
        let counter = counter_sk(model);
        let mut sks: Vec<String> = writes
            .iter()
            .map(|write| record_sk(model, write.record_id().as_str()))
            .collect();
        sks.push(counter.clone());
        for attempt in 1..=MAX_ATTEMPTS {
            let mut items = self.get_many(pk, &sks).await?;
            let last: u64 = match items.get(&counter) {
                Some(item) => get_n(item, "last_cursor")?,
                None => 0,
            };
            let now = timestamp::now();
            let mut cursor = ChangeCursor::new(last);
            let mut outcomes = Vec::with_capacity(writes.len());
            let mut operations = Vec::new();
            let mut bytes = 0;
            for (write, sk) in writes.iter().zip(&sks) {
                let existing = items.remove(sk).map(|item| decode(&item)).transpose()?;
                match decide(existing.as_ref().map(|loaded| &loaded.record), write, now) {
                    Decision::Skip(outcome) => outcomes.push(outcome),
                    Decision::Write(mut record) => {
                        cursor = cursor.next();
                        record.cursor = cursor;
                        let ops = self.record_ops(pk, model, &record, existing.as_ref())?;
                        bytes += ops.bytes;
                        operations.extend(ops.items);
                        outcomes.push(WriteOutcome::Written {
                            action: record.last_action,
                            cursor,
                        });
                    }
                }
            }
            if operations.is_empty() {
                return Ok(ChunkResult::Done(outcomes));
            }
            if operations.len() + 1 > MAX_TRANSACTION_ITEMS || bytes > MAX_TRANSACTION_BYTES {
                return Ok(ChunkResult::TooBig { bytes });
            }
            let condition = if last == 0 {
                "attribute_not_exists(last_cursor)"
            } else {
                "last_cursor = :last"
            };
            let bump = Update::builder()
                .table_name(&self.table)
                .key("pk", s(pk))
                .key("sk", s(&counter))
                .update_expression("SET last_cursor = :next")
                .condition_expression(condition)
                .set_expression_attribute_values(Some(counter_values(cursor, last)))
                .build()
                .map_err(build_error)?;
            // The counter goes last: DynamoDB applies a transaction atomically anyway, and an
            // emulator that applies operations one by one then never shows the new counter value
            // before the records it covers.
            let mut transaction = operations;
            transaction.push(TransactWriteItem::builder().update(bump).build());
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(transaction))
                .client_request_token(uuid::Uuid::new_v4().to_string())
                .send()
                .await;
            match result {
                Ok(_) => return Ok(ChunkResult::Done(outcomes)),
                Err(err) if transaction_conflict(&err).is_some() => backoff(attempt).await,
                Err(err) => return Err(store_error(err)),
            }
        }
        Err(StoreError::Contended {
            attempts: MAX_ATTEMPTS,
        })
    }
}

fn counter_values(next: ChangeCursor, last: u64) -> HashMap<String, AttributeValue> {
    let mut values = HashMap::from([(":next".to_owned(), n(next.value()))]);
    if last != 0 {
        values.insert(":last".to_owned(), n(last));
    }
    values
}

enum ChunkResult {
    Done(Vec<WriteOutcome>),
    TooBig { bytes: usize },
}

#[async_trait]
impl RecordStore for DynamoRecordStore {
    async fn write(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        writes: Vec<RecordWrite>,
    ) -> Result<Vec<WriteOutcome>, StoreError> {
        let pk = connection_id.to_string();
        let model = model.as_str();
        let lock = self.writer_lock(&format!("{pk}#{model}"));
        let _turn = lock.lock().await;
        let mut outcomes = Vec::with_capacity(writes.len());
        let mut start = 0;
        let mut chunk_limit = MAX_RECORDS_PER_TRANSACTION;
        while start < writes.len() {
            // A chunk holds distinct ids: a repeated id starts the next chunk, so writes to one
            // record apply in order.
            let mut ids = HashSet::new();
            let mut end = start;
            while end < writes.len()
                && end - start < chunk_limit
                && ids.insert(writes[end].record_id().as_str())
            {
                end += 1;
            }
            match self.write_chunk(&pk, model, &writes[start..end]).await? {
                ChunkResult::Done(chunk) => {
                    outcomes.extend(chunk);
                    start = end;
                    chunk_limit = MAX_RECORDS_PER_TRANSACTION;
                }
                ChunkResult::TooBig { bytes } => {
                    if end - start == 1 {
                        return Err(StoreError::TooLarge {
                            what: format!("record {}", writes[start].record_id()),
                            bytes,
                        });
                    }
                    chunk_limit = ((end - start) / 2).max(1);
                }
            }
        }
        Ok(outcomes)
    }

    async fn get(&self, key: &RecordKey) -> Result<Option<StoredRecord>, StoreError> {
        let pk = key.connection_id.to_string();
        let model = key.model.as_str();
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s(record_sk(model, key.record_id.as_str())))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let mut loaded = decode(&item)?;
        self.load_parts(&pk, model, &mut loaded).await?;
        Ok(Some(loaded.record))
    }

    async fn list_changes(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
        query: &ChangeQuery,
    ) -> Result<ChangePage, StoreError> {
        let pk = connection_id.to_string();
        let model = model.as_str();
        let limit = query.limit.max(1);
        // The counter is read first (GetItem is serializable with transactions): every change up
        // to its value is fully committed, so the listing stops there and never skips a cursor
        // that is still being written. A listing that reaches it may also move past records the
        // filters skipped.
        let latest = self.counter(&pk, model).await?;
        if latest <= query.after {
            return Ok(ChangePage {
                records: Vec::new(),
                next_cursor: query.after,
                has_more: false,
            });
        }
        let mut page = ChangePage {
            records: Vec::new(),
            next_cursor: query.after,
            has_more: false,
        };
        let (from, to) = change_key_range(model, query.after, latest);
        let mut filters = Vec::new();
        let mut values = HashMap::from([
            (":pk".to_owned(), s(&pk)),
            (":from".to_owned(), s(from)),
            (":to".to_owned(), s(to)),
        ]);
        if !query.actions.is_all() {
            let names: Vec<String> = query
                .actions
                .actions()
                .iter()
                .enumerate()
                .map(|(index, action)| {
                    let name = format!(":action{index}");
                    values.insert(name.clone(), s(action.as_str()));
                    name
                })
                .collect();
            if names.is_empty() {
                filters.push("attribute_not_exists(pk)".to_owned());
            } else {
                filters.push(format!("last_action IN ({})", names.join(", ")));
            }
        }
        if let Some(after) = query.modified_after {
            values.insert(":modified_after".to_owned(), n(to_millis(after)));
            filters.push("last_modified_at > :modified_after".to_owned());
        }
        let mut scanned = 0;
        let mut start: Option<Item> = None;
        loop {
            let remaining = limit - page.records.len();
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_CHANGE_INDEX)
                .key_condition_expression("pk = :pk AND change_key BETWEEN :from AND :to")
                .set_filter_expression((!filters.is_empty()).then(|| filters.join(" AND ")))
                .set_expression_attribute_values(Some(values.clone()))
                .consistent_read(true)
                .limit(i32::try_from(remaining).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            scanned += usize::try_from(output.scanned_count).unwrap_or(0);
            let entries = output
                .items()
                .iter()
                .map(|entry| {
                    Ok((
                        get_s(entry, "sk")?.to_owned(),
                        ChangeCursor::new(get_n(entry, "record_cursor")?),
                    ))
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let sks: Vec<String> = entries.iter().map(|(sk, _)| sk.clone()).collect();
            let mut items = self.get_many(&pk, &sks).await?;
            for (sk, indexed) in entries {
                page.next_cursor = page.next_cursor.max(indexed);
                let Some(item) = items.remove(&sk) else {
                    // Purged since the index was read.
                    continue;
                };
                let mut loaded = decode(&item)?;
                if loaded.record.cursor != indexed {
                    // Changed since the index was read: listed at its new cursor, later.
                    continue;
                }
                self.load_parts(&pk, model, &mut loaded).await?;
                page.records.push(loaded.record);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => {
                    let evaluated = cursor_of_change_key(get_s(&key, "change_key")?)?;
                    page.next_cursor = page.next_cursor.max(evaluated);
                    if page.records.len() >= limit || scanned >= MAX_SCANNED {
                        page.has_more = page.next_cursor < latest;
                        return Ok(page);
                    }
                    start = Some(key);
                }
                _ => {
                    page.next_cursor = page.next_cursor.max(latest);
                    return Ok(page);
                }
            }
        }
    }

    async fn latest_cursor(
        &self,
        connection_id: &ConnectionId,
        model: &RecordModel,
    ) -> Result<ChangeCursor, StoreError> {
        self.counter(&connection_id.to_string(), model.as_str())
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
        let pk = connection_id.to_string();
        let model = model.as_str();
        let limit = limit.max(1);
        let mut page = IdPage {
            ids: Vec::new(),
            next: None,
        };
        let mut start = after.map(|id| {
            Item::from([
                ("pk".to_owned(), s(&pk)),
                ("sk".to_owned(), s(record_sk(model, id.as_str()))),
            ])
        });
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(&pk))
                .expression_attribute_values(":prefix", s(record_sk(model, "")))
                .set_filter_expression(
                    (!include_deleted).then(|| "attribute_not_exists(deleted_at)".to_owned()),
                )
                .projection_expression("record_id")
                .consistent_read(true)
                .limit(i32::try_from(limit - page.ids.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                page.ids
                    .push(RecordId::parse(get_s(item, "record_id")?).map_err(StoreError::corrupt)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => {
                    if page.ids.len() >= limit {
                        let sk = get_s(&key, "sk")?;
                        let id = sk.strip_prefix(&record_sk(model, "")).unwrap_or(sk);
                        page.next = Some(RecordId::parse(id).map_err(StoreError::corrupt)?);
                        return Ok(page);
                    }
                    start = Some(key);
                }
                _ => return Ok(page),
            }
        }
    }

    async fn purge_connection(&self, connection_id: &ConnectionId) -> Result<u64, StoreError> {
        let pk = connection_id.to_string();
        let mut removed = 0;
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(&pk))
                .projection_expression("pk, sk")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            let mut doomed = Vec::new();
            for item in output.items() {
                let sk = get_s(item, "sk")?;
                if sk.starts_with("cursor#") {
                    continue;
                }
                if sk.starts_with("rec#") {
                    removed += 1;
                }
                doomed.push(sk.to_owned());
            }
            self.delete_many(&pk, doomed).await?;
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(removed),
            }
        }
    }
}

impl DynamoRecordStore {
    async fn counter(&self, pk: &str, model: &str) -> Result<ChangeCursor, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(counter_sk(model)))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        match output.item {
            Some(item) => Ok(ChangeCursor::new(get_n(&item, "last_cursor")?)),
            None => Ok(ChangeCursor::START),
        }
    }

    async fn delete_many(&self, pk: &str, sks: Vec<String>) -> Result<(), StoreError> {
        for chunk in sks.chunks(25) {
            let mut requests = chunk
                .iter()
                .map(|sk| {
                    DeleteRequest::builder()
                        .key("pk", s(pk))
                        .key("sk", s(sk))
                        .build()
                        .map(|delete| WriteRequest::builder().delete_request(delete).build())
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut attempt = 0;
            while !requests.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(store_error)?;
                requests = output
                    .unprocessed_items
                    .and_then(|mut rest| rest.remove(&self.table))
                    .unwrap_or_default();
                if !requests.is_empty() {
                    attempt += 1;
                    backoff(attempt).await;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_characters_whole() {
        let text = "aé€😀".repeat(10);
        for max in 4..12 {
            let pieces = split_utf8(&text, max);
            assert!(pieces.iter().all(|p| p.len() <= max && !p.is_empty()));
            assert_eq!(pieces.concat(), text);
        }
    }

    #[test]
    fn a_listing_never_reads_past_the_counter_it_read_first() {
        let latest = ChangeCursor::new(41);
        let (from, to) = change_key_range("page", ChangeCursor::new(7), latest);
        assert_eq!(from, change_key("page", ChangeCursor::new(8)));
        assert_eq!(to, change_key("page", latest));
        assert!(cursor_of_change_key(&to).unwrap() <= latest);
        // A change committed after the counter was read sorts above the range.
        assert!(change_key("page", latest.next()) > to);
        assert!(change_key("page", ChangeCursor::new(8)) >= from);
    }

    #[test]
    fn change_keys_sort_by_cursor() {
        let a = change_key("page", ChangeCursor::new(9));
        let b = change_key("page", ChangeCursor::new(10));
        assert!(a < b);
        assert_eq!(cursor_of_change_key(&b).unwrap(), ChangeCursor::new(10));
    }
}
