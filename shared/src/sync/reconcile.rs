//! Reconciliation (full runs): stored records that a complete enumeration did not see are
//! re-fetched one by one, and tombstoned only when Notion confirms they are gone (404, trash).
//! Search is not an index of record, so an id it skipped is never deleted on its word alone.

use std::collections::BTreeSet;

use futures::StreamExt;

use super::checkpoint::{Phase, RunKind, SeenIds};
use super::engine::active;
use super::engine::{
    Ctx, MAX_LISTING_RESTARTS, Pause, StepError, SyncEngine, book, is_expired_cursor,
};
use super::notion_time::normalize_id;
use super::payload::model_of;
use crate::domain::RecordModel;
use crate::notion::NotionError;
use crate::notion::client::{SearchRequest, SearchSort, SortDirection};
use crate::notion::model::SearchResult;

/// Attempts at re-enumerating ids (when the seen set outgrew the checkpoint) before the
/// reconciliation of this run is skipped (and reported).
const MAX_RESCANS: u32 = 3;
const ID_PAGE: usize = 1_000;
/// Verifications between checkpoints.
const VERIFY_BATCH: usize = 25;

const MODELS: [RecordModel; 4] = [
    RecordModel::Page,
    RecordModel::Row,
    RecordModel::DataSource,
    RecordModel::Database,
];

impl SyncEngine {
    pub(crate) async fn reconcile_step(&mut self) -> Result<(), StepError> {
        let SyncEngine {
            ctx,
            checkpoint,
            processed,
            saver,
        } = self;
        let run = active!(checkpoint);
        if run.kind != RunKind::Full {
            run.phase = Phase::Done;
            return Ok(());
        }
        if run.seen.is_none() {
            match rescan(ctx).await? {
                Some(seen) => run.seen = Some(seen),
                None => {
                    run.reconcile_attempts += 1;
                    if run.reconcile_attempts >= MAX_RESCANS {
                        run.totals.limit(
                            None,
                            "reconcile_skipped",
                            "the workspace could not be re-enumerated within one invocation; deletions are detected by the next full run",
                        );
                        run.phase = Phase::Done;
                        saver.save(ctx, checkpoint).await?;
                        return Ok(());
                    }
                    return Err(StepError::Pause(Pause::OutOfTime));
                }
            }
        }
        let seen = run.seen.clone().unwrap_or_default();
        let mut missing: Vec<(RecordModel, String)> = Vec::new();
        let mut missing_total = 0usize;
        for model in MODELS {
            let mut after = None;
            loop {
                let page = ctx
                    .records
                    .list_ids(&ctx.connection_id, &model, after.as_ref(), ID_PAGE, false)
                    .await?;
                for id in page.ids {
                    if !seen.contains(&model, id.as_str()) {
                        missing_total += 1;
                        if missing.len() < ctx.options.max_reconcile_refetches {
                            missing.push((model.clone(), id.as_str().to_owned()));
                        }
                    }
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        if missing_total > missing.len() {
            run.totals.limit(
                None,
                "reconcile_capped",
                format!(
                    "{missing_total} stored records were not seen; {} were verified in this run, the rest wait for the next full run",
                    missing.len()
                ),
            );
        }
        for (index, (model, id)) in missing.into_iter().enumerate() {
            if index > 0 && ctx.deadline.expired() {
                return Err(StepError::Pause(Pause::OutOfTime));
            }
            let run = active!(checkpoint);
            let mut book = book!(checkpoint, run, processed);
            verify(ctx, &model, &id, &mut book).await?;
            // Verified: not looked at again if this phase resumes.
            if let Some(seen) = run.seen.as_mut() {
                seen.insert(&model, &id);
            }
            if (index + 1) % VERIFY_BATCH == 0 {
                saver.save(ctx, checkpoint).await?;
            }
        }
        active!(checkpoint).phase = Phase::Done;
        saver.save(ctx, checkpoint).await?;
        Ok(())
    }
}

/// Re-fetches one stored record that the enumeration did not see.
async fn verify(
    ctx: &Ctx,
    model: &RecordModel,
    id: &str,
    book: &mut super::engine::Book<'_>,
) -> Result<(), StepError> {
    let missed = |book: &mut super::engine::Book<'_>| {
        book.totals.limit(
            Some(id),
            "search_missed",
            format!("search did not return this {model}; it still exists and was kept"),
        );
    };
    let result = match model {
        RecordModel::Page | RecordModel::Row => match ctx.client.retrieve_page(id, &[]).await {
            Ok(page) => {
                let now = model_of(&page);
                if &now != model {
                    // Moved between a page parent and a data source.
                    ctx.tombstone_gone(model, id, book).await?;
                } else if !page.in_trash {
                    missed(book);
                }
                ctx.process_pages(vec![page], book, false).await?;
                Ok(())
            }
            Err(error) => Err(error),
        },
        RecordModel::DataSource => match ctx.client.retrieve_data_source(id).await {
            Ok(source) => {
                if source.in_trash != Some(true) {
                    missed(book);
                }
                ctx.process_data_source(&source, book).await?;
                Ok(())
            }
            Err(error) => Err(error),
        },
        RecordModel::Database => match ctx.client.retrieve_database(id).await {
            Ok(database) => {
                ctx.process_database(&database, book).await?;
                Ok(())
            }
            Err(error) => Err(error),
        },
        RecordModel::Other(_) => Ok(()),
    };
    match result {
        Ok(()) => Ok(()),
        Err(NotionError::NotFound { .. }) => {
            ctx.tombstone_gone(model, id, book).await?;
            Ok(())
        }
        Err(error @ (NotionError::Restricted { .. } | NotionError::Validation { .. })) => {
            book.totals.counts.failed += 1;
            book.totals.issue(
                Some(id),
                "verify_failed",
                format!("could not check whether this {model} still exists: {error}"),
            );
            Ok(())
        }
        Err(error) => Err(StepError::from_notion(error)),
    }
}

/// Every id visible now (search, plus the rows of every data source), in memory. `None` when
/// the deadline came first.
async fn rescan(ctx: &Ctx) -> Result<Option<SeenIds>, StepError> {
    let mut seen = SeenIds::default();
    let mut sources = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut restarts = 0;
    loop {
        if ctx.deadline.expired() {
            return Ok(None);
        }
        let request = SearchRequest {
            sort: Some(SearchSort::last_edited(SortDirection::Descending)),
            start_cursor: cursor.clone(),
            page_size: Some(100),
            ..SearchRequest::default()
        };
        let list = match ctx.client.search_page(&request).await {
            Ok(list) => list,
            Err(error) if cursor.is_some() && is_expired_cursor(&error) => {
                restarts += 1;
                if restarts > MAX_LISTING_RESTARTS {
                    return Ok(None);
                }
                cursor = None;
                continue;
            }
            Err(error) => return Err(StepError::from_notion(error)),
        };
        for result in &list.results {
            match result {
                SearchResult::Page(page) => seen.insert(&model_of(page), &normalize_id(&page.id)),
                SearchResult::DataSource(source) => {
                    let id = normalize_id(&source.id);
                    seen.insert(&RecordModel::DataSource, &id);
                    if let Some(database) = source.database_id() {
                        seen.insert(&RecordModel::Database, &normalize_id(database));
                    }
                    sources.insert(id);
                }
                SearchResult::Database(database) => {
                    seen.insert(&RecordModel::Database, &normalize_id(&database.id));
                }
                SearchResult::Unknown(_) => {}
            }
        }
        match list.next_page_cursor() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    for source in sources {
        let rows = ctx.client.query_all_rows(&source, None);
        futures::pin_mut!(rows);
        while let Some(row) = rows.next().await {
            if ctx.deadline.expired() {
                return Ok(None);
            }
            match row {
                Ok(row) => seen.insert(&RecordModel::Row, &normalize_id(&row.id)),
                Err(NotionError::NotFound { .. }) => break,
                Err(error) => return Err(StepError::from_notion(error)),
            }
        }
    }
    Ok(Some(seen))
}
