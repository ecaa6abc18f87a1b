//! Turning Notion objects into record writes: the rules every phase shares.
//!
//! - A page's body is read only when the page is new, was deleted, or its `last_edited_time`
//!   differs from the stored record's (or a re-verification asks for it).
//! - A page read while its `last_edited_time` minute may still be current is remembered for one
//!   re-read once Notion's clock has visibly moved on (an edit later in the same minute keeps the
//!   timestamp).
//! - A body that fails is reported, counted as failed, and retried at the start of the next run;
//!   an object that answers `object_not_found` is tombstoned (gone or no longer shared).

use std::collections::BTreeMap;

use futures::StreamExt;
use time::OffsetDateTime;

use super::body::{BodyRead, read_body};
use super::engine::{Book, Ctx, StepError};
use super::notion_time::{self, normalize_id};
use super::payload::{self, model_of};
use crate::domain::{
    RecordAction, RecordId, RecordKey, RecordModel, RecordTombstone, RecordUpsert, RecordWrite,
    StoredRecord, WriteOutcome,
};
use crate::notion::NotionError;
use crate::notion::model::{DataSource, Database, Page};
use crate::ports::StoreError;

/// A write and whether its outcome counts in the run's added/updated/deleted figures (the
/// in-trash upsert before a tombstone does not).
pub(crate) type CountedWrite = (RecordWrite, bool);

/// How a data source changed in this write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    New,
    Changed,
    Unchanged,
    Gone,
}

struct Planned {
    page: Page,
    id: String,
    model: RecordModel,
    stored: Option<StoredRecord>,
    edited: Option<OffsetDateTime>,
    read_body: bool,
}

pub(crate) fn upsert(
    id: RecordId,
    payload: serde_json::Value,
    edited: Option<OffsetDateTime>,
) -> RecordWrite {
    let payload_hash = payload::stable_hash(&payload);
    RecordWrite::Upsert(RecordUpsert {
        record_id: id,
        payload,
        payload_hash,
        source_modified: edited,
    })
}

pub(crate) fn tombstone(id: RecordId, edited: Option<OffsetDateTime>) -> RecordWrite {
    RecordWrite::Tombstone(RecordTombstone {
        record_id: id,
        source_modified: edited,
    })
}

fn is_live(stored: &Option<StoredRecord>) -> bool {
    stored
        .as_ref()
        .is_some_and(|record| record.deleted_at.is_none())
}

fn tally(outcome: &WriteOutcome, totals: &mut super::checkpoint::RunTotals) {
    match outcome {
        WriteOutcome::Written { action, .. } => match action {
            RecordAction::Added => totals.counts.added += 1,
            RecordAction::Updated => totals.counts.updated += 1,
            RecordAction::Deleted => totals.counts.deleted += 1,
        },
        WriteOutcome::Unchanged | WriteOutcome::Stale => totals.counts.unchanged += 1,
        WriteOutcome::NotFound => {}
    }
}

/// The page id of a page's parent, when the parent is a page.
fn parent_page(parent: &serde_json::Value) -> Option<String> {
    parent
        .get("page_id")
        .and_then(serde_json::Value::as_str)
        .map(normalize_id)
}

/// A parent page's Markdown lists its child pages by title, and its `last_edited_time` does not
/// move when a child is added, renamed, moved, trashed or restored: such a child asks for its
/// parent's body to be re-read (old and new parent on a move).
fn note_parent_effects(page: &Page, stored: Option<&StoredRecord>, book: &mut Book<'_>) {
    let now_parent = match &page.parent {
        Some(crate::notion::model::Parent::PageId(id)) => Some(normalize_id(id)),
        _ => None,
    };
    let stored_live = stored.filter(|record| record.deleted_at.is_none());
    let before_parent = stored.and_then(|record| parent_page(&record.payload["parent"]));
    let changed = match stored_live {
        None => true,
        Some(record) => {
            page.in_trash
                || record.payload["title"].as_str() != Some(page.title().as_str())
                || before_parent != now_parent
        }
    };
    if !changed {
        return;
    }
    for parent in [now_parent, before_parent].into_iter().flatten() {
        book.refresh_parent(&parent);
    }
}

impl Ctx {
    /// Re-reads the body of stored page `id` (a child page of it changed). Its other fields
    /// are kept: they did not change.
    pub(crate) async fn refresh_body(
        &self,
        id: &str,
        book: &mut Book<'_>,
    ) -> Result<(), StepError> {
        if book.was_body_read(id) {
            return Ok(());
        }
        let Ok(record_id) = RecordId::parse(id) else {
            return Ok(());
        };
        let Some(stored) = self
            .get(&RecordModel::Page, &record_id)
            .await?
            .filter(|record| record.deleted_at.is_none())
        else {
            return Ok(());
        };
        match read_body(&self.client, id, &self.options).await {
            Ok(read) => {
                book.totals.bodies_fetched += 1;
                book.body_read(id);
                for limit in &read.limits {
                    book.totals
                        .limit(Some(id), limit.code, limit.message.clone());
                }
                let mut payload = stored.payload.clone();
                if let Some(object) = payload.as_object_mut() {
                    object.insert("body".into(), read.body.to_json());
                }
                self.write(
                    &RecordModel::Page,
                    vec![(upsert(record_id, payload, stored.source_modified), true)],
                    book,
                )
                .await?;
                Ok(())
            }
            Err(NotionError::NotFound { .. }) => {
                self.tombstone_gone(&RecordModel::Page, id, book).await?;
                Ok(())
            }
            Err(error)
                if error.is_retryable() && !matches!(error, NotionError::RateLimited { .. }) =>
            {
                book.totals.counts.failed += 1;
                book.totals.issue(
                    Some(id),
                    "body_failed",
                    format!("re-reading the body failed: {error}"),
                );
                if book.retry.len() < self.options.max_pending_pages {
                    book.retry.insert(id.to_owned(), "page".to_owned());
                }
                Ok(())
            }
            Err(error) => Err(StepError::from_notion(error)),
        }
    }

    /// A record id from a Notion id; a malformed one is reported and skipped.
    pub(crate) fn record_id(&self, id: &str, book: &mut Book<'_>) -> Option<RecordId> {
        match RecordId::parse(id) {
            Ok(id) => Some(id),
            Err(error) => {
                book.totals.counts.failed += 1;
                book.totals.issue(
                    None,
                    "invalid_id",
                    format!("Notion returned an unusable id: {error}"),
                );
                None
            }
        }
    }

    pub(crate) async fn get(
        &self,
        model: &RecordModel,
        id: &RecordId,
    ) -> Result<Option<StoredRecord>, StoreError> {
        self.records
            .get(&RecordKey {
                connection_id: self.connection_id,
                model: model.clone(),
                record_id: id.clone(),
            })
            .await
    }

    /// Writes in order and counts the outcomes marked as counted.
    pub(crate) async fn write(
        &self,
        model: &RecordModel,
        writes: Vec<CountedWrite>,
        book: &mut Book<'_>,
    ) -> Result<Vec<WriteOutcome>, StoreError> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let (writes, counted): (Vec<RecordWrite>, Vec<bool>) = writes.into_iter().unzip();
        let outcomes = self
            .records
            .write(&self.connection_id, model, writes)
            .await?;
        for (outcome, counted) in outcomes.iter().zip(counted) {
            if counted {
                tally(outcome, book.totals);
            }
        }
        Ok(outcomes)
    }

    async fn write_grouped(
        &self,
        grouped: BTreeMap<RecordModel, Vec<CountedWrite>>,
        book: &mut Book<'_>,
    ) -> Result<(), StoreError> {
        for (model, writes) in grouped {
            self.write(&model, writes, book).await?;
        }
        Ok(())
    }

    /// Pages and rows from a listing or a retrieve. `force_body` re-reads bodies even when the
    /// stored `last_edited_time` matches (retries, re-verification).
    pub(crate) async fn process_pages(
        &self,
        pages: Vec<Page>,
        book: &mut Book<'_>,
        force_body: bool,
    ) -> Result<(), StepError> {
        let mut grouped: BTreeMap<RecordModel, Vec<CountedWrite>> = BTreeMap::new();
        let mut planned = Vec::new();
        let mut trashed = Vec::new();
        for page in pages {
            let id = normalize_id(&page.id);
            let model = model_of(&page);
            if !book.first_time(&model, &id) {
                continue;
            }
            if page.is_partial() {
                book.totals.limit(
                    Some(&id),
                    "partial_page",
                    "Notion returned only the page id (the connection lacks read-content capability); not stored",
                );
                continue;
            }
            if page.in_trash {
                trashed.push(page);
                continue;
            }
            book.see(&model, &id);
            let Some(record_id) = self.record_id(&id, book) else {
                continue;
            };
            let edited = notion_time::parse(page.last_edited_time.as_deref());
            let wants_body = model == RecordModel::Page || self.options.row_bodies;
            if !wants_body {
                // No body to save a request on: the payload hash alone decides.
                let payload = payload::page_payload(&page, None);
                grouped
                    .entry(model)
                    .or_default()
                    .push((upsert(record_id, payload, edited), true));
                continue;
            }
            let stored = self.get(&model, &record_id).await?;
            let unchanged = !force_body
                && edited.is_some()
                && stored.as_ref().is_some_and(|record| {
                    record.deleted_at.is_none() && record.source_modified == edited
                });
            if unchanged {
                book.totals.bodies_skipped += 1;
                book.totals.counts.unchanged += 1;
                continue;
            }
            if stored.is_none() {
                // A page moved between a page parent and a data source changes model.
                let other = if model == RecordModel::Page {
                    RecordModel::Row
                } else {
                    RecordModel::Page
                };
                if is_live(&self.get(&other, &record_id).await?) {
                    grouped
                        .entry(other)
                        .or_default()
                        .push((tombstone(record_id.clone(), edited), true));
                }
            }
            planned.push(Planned {
                page,
                id,
                model,
                stored,
                edited,
                read_body: true,
            });
        }
        self.trash_pages(trashed, book).await?;

        // Owned futures: the stream borrows nothing (keeps the whole job future `Send`).
        let reads_wanted: Vec<(String, bool)> = planned
            .iter()
            .map(|item| (item.id.clone(), item.read_body))
            .collect();
        let client = self.client.clone();
        let options = self.options.clone();
        let reads: Vec<Option<Result<BodyRead, NotionError>>> =
            futures::stream::iter(reads_wanted.into_iter().map(move |(id, wanted)| {
                let client = client.clone();
                let options = options.clone();
                async move {
                    if wanted {
                        Some(read_body(&client, &id, &options).await)
                    } else {
                        None
                    }
                }
            }))
            .buffered(self.options.body_concurrency.max(1))
            .collect()
            .await;

        let mut fatal: Option<NotionError> = None;
        let mut transient = 0usize;
        let mut attempted = 0usize;
        for (item, read) in planned.into_iter().zip(reads) {
            let Ok(record_id) = RecordId::parse(item.id.as_str()) else {
                continue;
            };
            let writes = grouped.entry(item.model.clone()).or_default();
            match read {
                None => {
                    let payload = payload::page_payload(&item.page, None);
                    writes.push((upsert(record_id, payload, item.edited), true));
                }
                Some(Ok(read)) => {
                    attempted += 1;
                    book.totals.bodies_fetched += 1;
                    book.body_read(&item.id);
                    note_parent_effects(&item.page, item.stored.as_ref(), book);
                    for limit in &read.limits {
                        book.totals
                            .limit(Some(&item.id), limit.code, limit.message.clone());
                    }
                    let payload = payload::page_payload(&item.page, Some(read.body.to_json()));
                    writes.push((upsert(record_id, payload, item.edited), true));
                    book.retry.remove(&item.id);
                    let maybe_current = match (item.edited, book.clock_floor) {
                        (Some(edited), Some(floor)) => edited >= floor,
                        _ => true,
                    };
                    if maybe_current && book.recheck.len() < self.options.max_pending_pages {
                        if let Some(raw) = &item.page.last_edited_time {
                            book.recheck.insert(item.id.clone(), raw.clone());
                        }
                    } else {
                        book.recheck.remove(&item.id);
                    }
                }
                Some(Err(NotionError::NotFound { .. })) => {
                    attempted += 1;
                    // Gone (or unshared) between the listing and the body read.
                    if is_live(&item.stored) {
                        writes.push((tombstone(record_id, None), true));
                    }
                    book.retry.remove(&item.id);
                    book.recheck.remove(&item.id);
                }
                Some(Err(
                    error @ (NotionError::RateLimited { .. }
                    | NotionError::Unauthorized { .. }
                    | NotionError::InvalidGrant { .. }),
                )) => {
                    // Not this page's fault: the run pauses after writing what succeeded.
                    fatal.get_or_insert(error);
                    book.retry
                        .insert(item.id.clone(), item.model.as_str().to_owned());
                }
                Some(Err(error)) => {
                    attempted += 1;
                    if error.is_retryable() {
                        transient += 1;
                    }
                    book.totals.counts.failed += 1;
                    book.totals.issue(
                        Some(&item.id),
                        "body_failed",
                        format!("the page body could not be read: {error}"),
                    );
                    if book.retry.len() < self.options.max_pending_pages {
                        book.retry
                            .insert(item.id.clone(), item.model.as_str().to_owned());
                    } else {
                        book.totals.limit(
                            Some(&item.id),
                            "retry_list_full",
                            "too many failed pages to remember; the next full run reads it again",
                        );
                    }
                }
            }
        }
        self.write_grouped(grouped, book).await?;
        if let Some(error) = fatal {
            return Err(StepError::from_notion(error));
        }
        if transient >= 3 && transient == attempted {
            return Err(StepError::Pause(super::engine::Pause::Transient {
                message: format!(
                    "{transient} page bodies failed in a row; Notion seems unavailable"
                ),
            }));
        }
        Ok(())
    }

    /// Pages and rows found in the trash: tombstoned if stored and live. The stored payload is
    /// updated to say `in_trash` (keeping its body) in the same write, so readers see one change.
    pub(crate) async fn trash_pages(
        &self,
        pages: Vec<Page>,
        book: &mut Book<'_>,
    ) -> Result<(), StepError> {
        let mut grouped: BTreeMap<RecordModel, Vec<CountedWrite>> = BTreeMap::new();
        for page in pages {
            let id = normalize_id(&page.id);
            let model = model_of(&page);
            book.processed.insert((model.clone(), id.clone()));
            let Some(record_id) = self.record_id(&id, book) else {
                continue;
            };
            book.retry.remove(&id);
            book.recheck.remove(&id);
            let stored = self.get(&model, &record_id).await?;
            let Some(stored) = stored.filter(|record| record.deleted_at.is_none()) else {
                continue;
            };
            note_parent_effects(&page, Some(&stored), book);
            let edited = notion_time::parse(page.last_edited_time.as_deref());
            let body = stored.payload.get("body").cloned();
            let payload = payload::page_payload(&page, body);
            let writes = grouped.entry(model).or_default();
            writes.push((upsert(record_id.clone(), payload, edited), false));
            writes.push((tombstone(record_id, edited), true));
        }
        self.write_grouped(grouped, book).await?;
        Ok(())
    }

    /// Tombstones `(model, id)` if it is stored and live (it answered `object_not_found`).
    pub(crate) async fn tombstone_gone(
        &self,
        model: &RecordModel,
        id: &str,
        book: &mut Book<'_>,
    ) -> Result<bool, StoreError> {
        let Ok(record_id) = RecordId::parse(id) else {
            return Ok(false);
        };
        book.retry.remove(id);
        book.recheck.remove(id);
        let outcomes = self
            .write(model, vec![(tombstone(record_id, None), true)], book)
            .await?;
        Ok(matches!(
            outcomes.first(),
            Some(WriteOutcome::Written { .. })
        ))
    }

    /// A data source (from search or retrieve). Trashed ones are tombstoned.
    pub(crate) async fn process_data_source(
        &self,
        data_source: &DataSource,
        book: &mut Book<'_>,
    ) -> Result<Change, StepError> {
        let id = normalize_id(&data_source.id);
        let model = RecordModel::DataSource;
        book.processed.insert((model.clone(), id.clone()));
        let Some(record_id) = self.record_id(&id, book) else {
            return Ok(Change::Unchanged);
        };
        let edited = notion_time::parse(data_source.last_edited_time.as_deref());
        if data_source.in_trash == Some(true) {
            let outcomes = self
                .write(&model, vec![(tombstone(record_id, edited), true)], book)
                .await?;
            return Ok(match outcomes.first() {
                Some(WriteOutcome::Written { .. }) => Change::Gone,
                _ => Change::Unchanged,
            });
        }
        book.see(&model, &id);
        let payload = payload::data_source_payload(data_source);
        let outcomes = self
            .write(
                &model,
                vec![(upsert(record_id, payload, edited), true)],
                book,
            )
            .await?;
        Ok(match outcomes.first() {
            Some(WriteOutcome::Written {
                action: RecordAction::Added,
                ..
            }) => Change::New,
            Some(WriteOutcome::Written { .. }) => Change::Changed,
            _ => Change::Unchanged,
        })
    }

    /// A retrieved database; returns its data source ids.
    pub(crate) async fn process_database(
        &self,
        database: &Database,
        book: &mut Book<'_>,
    ) -> Result<Vec<String>, StepError> {
        let id = normalize_id(&database.id);
        let model = RecordModel::Database;
        let Some(record_id) = self.record_id(&id, book) else {
            return Ok(Vec::new());
        };
        let edited = notion_time::parse(database.last_edited_time.as_deref());
        if database.in_trash == Some(true) {
            self.write(&model, vec![(tombstone(record_id, edited), true)], book)
                .await?;
            return Ok(Vec::new());
        }
        book.see(&model, &id);
        let payload = payload::database_payload(database);
        self.write(
            &model,
            vec![(upsert(record_id, payload, edited), true)],
            book,
        )
        .await?;
        Ok(database
            .data_sources
            .iter()
            .map(|source| normalize_id(&source.id))
            .collect())
    }
}
