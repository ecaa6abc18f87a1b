//! The phases of a run, one unit of work per call: each writes its records, then saves the
//! checkpoint that covers them.

use std::collections::HashSet;

use futures::StreamExt;
use serde_json::json;

use super::checkpoint::{ActiveRun, Phase, RowWindow, RunKind, SyncCheckpoint};
use super::engine::{
    Ctx, MAX_LISTING_RESTARTS, Pause, StepError, SyncEngine, active, book, is_expired_cursor,
};
use super::notion_time::{self, normalize_id};
use super::process::Change;
use crate::domain::RecordModel;
use crate::notion::NotionError;
use crate::notion::client::{SearchFilter, SearchRequest, SearchSort, SortDirection};
use crate::notion::model::{Page, SearchResult};

/// Rows read per checkpoint (one query page).
const ROW_BATCH: usize = 100;

/// The phase after discovery: the trash only when something was stored before this run.
fn after_discover(checkpoint: &SyncCheckpoint) -> Phase {
    if checkpoint.high_water_mark.is_some() {
        Phase::Trash
    } else {
        Phase::Databases
    }
}

fn after_rows(kind: RunKind) -> Phase {
    match kind {
        RunKind::Full => Phase::Reconcile,
        RunKind::Initial | RunKind::Incremental => Phase::Done,
    }
}

/// A listing's cursor expired: start it again from the top (dedup by id and the stored
/// `last_edited_time` keep the repeat cheap).
fn restart_listing(run: &mut ActiveRun, what: &str) -> Result<(), StepError> {
    run.search_restarts += 1;
    if run.search_restarts > MAX_LISTING_RESTARTS {
        return Err(StepError::Fail(format!(
            "the {what} cursor expired {} times in a row",
            run.search_restarts
        )));
    }
    tracing::info!(
        what,
        restarts = run.search_restarts,
        "listing cursor expired; restarting"
    );
    run.search_cursor = None;
    run.totals.limit(
        None,
        "cursor_expired",
        format!("the {what} cursor expired; the listing restarted from the top"),
    );
    Ok(())
}

/// One page of search results, newest first, cut at `stop` (the previous high-water mark minus
/// the overlap), shared by discovery and the trash phase.
struct SearchWindow {
    results: Vec<SearchResult>,
    next: Option<String>,
    /// The listing is exhausted or went past `stop`.
    reached_end: bool,
}

/// Reads the page at the run's search cursor. `None` when the cursor had expired and the listing
/// was restarted (the caller saves the checkpoint and is called again).
async fn search_window(
    ctx: &Ctx,
    run: &mut ActiveRun,
    in_trash: bool,
    stop: Option<time::OffsetDateTime>,
    what: &str,
) -> Result<Option<SearchWindow>, StepError> {
    let cursor = run.search_cursor.clone();
    let list = match ctx
        .client
        .search_page(&search_request(cursor.clone(), in_trash))
        .await
    {
        Ok(list) => list,
        Err(error) if cursor.is_some() && is_expired_cursor(&error) => {
            restart_listing(run, what)?;
            return Ok(None);
        }
        Err(error) => return Err(StepError::from_notion(error)),
    };
    let next = list.next_page_cursor().map(str::to_owned);
    let mut reached_end = next.is_none();
    let mut results = Vec::with_capacity(list.results.len());
    for result in list.results {
        let edited = notion_time::parse(result.last_edited_time());
        if let (Some(stop), Some(edited)) = (stop, edited)
            && edited < stop
        {
            reached_end = true;
            break;
        }
        results.push(result);
    }
    Ok(Some(SearchWindow {
        results,
        next,
        reached_end,
    }))
}

fn search_request(cursor: Option<String>, in_trash: bool) -> SearchRequest {
    SearchRequest {
        filter: in_trash.then(|| SearchFilter {
            in_trash: Some(true),
            ..SearchFilter::default()
        }),
        sort: Some(SearchSort::last_edited(SortDirection::Descending)),
        start_cursor: cursor,
        page_size: Some(100),
        ..SearchRequest::default()
    }
}

impl SyncEngine {
    /// Pages that failed last time, and pages to re-verify once Notion's clock moved past their
    /// edit minute.
    pub(crate) async fn retry_step(&mut self) -> Result<(), StepError> {
        let SyncEngine {
            ctx,
            checkpoint,
            processed,
            saver,
        } = self;
        let marker = RecordModel::Other("retry".to_owned());
        let clock = checkpoint.high_water_mark;
        let mut due: Vec<(String, Option<String>)> = checkpoint
            .retry
            .iter()
            .map(|(id, model)| (id.clone(), Some(model.clone())))
            .collect();
        due.extend(
            checkpoint
                .recheck
                .iter()
                .filter(
                    |(_, edited)| match (notion_time::parse(Some(edited.as_str())), clock) {
                        (Some(edited), Some(clock)) => clock > edited,
                        _ => false,
                    },
                )
                .map(|(id, _)| (id.clone(), None)),
        );
        due.retain(|(id, _)| !processed.contains(&(marker.clone(), id.clone())));
        due.truncate(ctx.options.write_batch.max(1));
        let run = active!(checkpoint);
        if due.is_empty() {
            run.phase = Phase::Discover;
            return Ok(());
        }
        let mut pages: Vec<Page> = Vec::new();
        for (id, model) in &due {
            processed.insert((marker.clone(), id.clone()));
            match ctx.client.retrieve_page(id, &[]).await {
                Ok(page) => pages.push(page),
                Err(NotionError::NotFound { .. }) => {
                    let run = active!(checkpoint);
                    let mut book = book!(checkpoint, run, processed);
                    let models = match model.as_deref() {
                        Some("row") => vec![RecordModel::Row],
                        Some("page") => vec![RecordModel::Page],
                        _ => vec![RecordModel::Page, RecordModel::Row],
                    };
                    for model in models {
                        ctx.tombstone_gone(&model, id, &mut book).await?;
                    }
                }
                Err(error)
                    if error.is_retryable()
                        && !matches!(error, NotionError::RateLimited { .. }) =>
                {
                    let run = active!(checkpoint);
                    run.totals.counts.failed += 1;
                    run.totals.issue(
                        Some(id),
                        "retry_failed",
                        format!("re-reading the page failed again: {error}"),
                    );
                }
                Err(error) => return Err(StepError::from_notion(error)),
            }
        }
        let run = active!(checkpoint);
        let mut book = book!(checkpoint, run, processed);
        ctx.process_pages(pages, &mut book, true).await?;
        saver.save(ctx, checkpoint).await?;
        Ok(())
    }

    /// One search page, newest edits first. Incremental runs stop at the high-water mark minus
    /// the overlap.
    pub(crate) async fn discover_step(&mut self) -> Result<(), StepError> {
        let SyncEngine {
            ctx,
            checkpoint,
            processed,
            saver,
        } = self;
        let run = active!(checkpoint);
        let stop = run.stop_before;
        let Some(SearchWindow {
            results,
            next,
            reached_end,
        }) = search_window(ctx, run, false, stop, "search").await?
        else {
            return Ok(());
        };
        for result in &results {
            let edited = notion_time::parse(result.last_edited_time());
            run.run_high_water_mark = notion_time::max(run.run_high_water_mark, edited);
        }
        let complete = run.kind.is_complete();
        let mut results = results.into_iter().peekable();
        let mut first = true;
        while results.peek().is_some() {
            if !first && ctx.deadline.expired() {
                // The cursor stays at this page: it is read again, and what was written is skipped.
                return Err(StepError::Pause(Pause::OutOfTime));
            }
            first = false;
            let batch: Vec<SearchResult> = results
                .by_ref()
                .take(ctx.options.write_batch.max(1))
                .collect();
            let run = active!(checkpoint);
            let mut pages = Vec::new();
            let mut sources = Vec::new();
            for result in batch {
                match result {
                    SearchResult::Page(page) => pages.push(*page),
                    SearchResult::DataSource(source) => sources.push(*source),
                    SearchResult::Database(database) => {
                        run.databases.insert(normalize_id(&database.id));
                    }
                    SearchResult::Unknown(value) => {
                        let id = value.get("id").and_then(|id| id.as_str()).map(normalize_id);
                        let object = value
                            .get("object")
                            .and_then(|o| o.as_str())
                            .unwrap_or("?")
                            .to_owned();
                        run.totals.limit(
                            id.as_deref(),
                            "unsupported_object",
                            format!(
                                "search returned a `{object}` object this version does not sync"
                            ),
                        );
                    }
                }
            }
            let mut book = book!(checkpoint, run, processed);
            ctx.process_pages(pages, &mut book, false).await?;
            for source in sources {
                let change = ctx.process_data_source(&source, &mut book).await?;
                let id = normalize_id(&source.id);
                let database = source.database_id().map(normalize_id);
                let (read_rows, read_database) = match change {
                    Change::New => (true, true),
                    Change::Changed => (complete, true),
                    Change::Unchanged => (complete, complete),
                    Change::Gone => (false, false),
                };
                if read_rows {
                    run.data_sources.insert(id);
                }
                if let (true, Some(database)) = (read_database, database) {
                    run.databases.insert(database);
                }
            }
        }
        let run = active!(checkpoint);
        if reached_end {
            run.search_cursor = None;
            run.search_restarts = 0;
            let phase = after_discover(checkpoint);
            active!(checkpoint).phase = phase;
        } else {
            run.search_cursor = next;
        }
        saver.save(ctx, checkpoint).await?;
        Ok(())
    }

    /// One page of the trash, newest first, down to the previous high-water mark minus the
    /// overlap: stored pages, rows and data sources found there are tombstoned.
    pub(crate) async fn trash_step(&mut self) -> Result<(), StepError> {
        let SyncEngine {
            ctx,
            checkpoint,
            processed,
            saver,
        } = self;
        let stop = checkpoint
            .high_water_mark
            .map(|mark| notion_time::minus(mark, ctx.options.overlap));
        let run = active!(checkpoint);
        let Some(SearchWindow {
            results,
            next,
            reached_end,
        }) = search_window(ctx, run, true, stop, "trash search").await?
        else {
            return Ok(());
        };
        let mut pages = Vec::new();
        let mut sources = Vec::new();
        for result in results {
            match result {
                SearchResult::Page(page) if page.in_trash => pages.push(*page),
                SearchResult::DataSource(source) if source.in_trash == Some(true) => {
                    sources.push(*source)
                }
                _ => {}
            }
        }
        let mut book = book!(checkpoint, run, processed);
        ctx.trash_pages(pages, &mut book).await?;
        for source in sources {
            ctx.process_data_source(&source, &mut book).await?;
        }
        if reached_end {
            run.search_cursor = None;
            run.search_restarts = 0;
            run.phase = Phase::Parents;
        } else {
            run.search_cursor = next;
        }
        saver.save(ctx, checkpoint).await?;
        Ok(())
    }

    /// A batch of parent pages whose child pages changed: their bodies are read again.
    pub(crate) async fn parents_step(&mut self) -> Result<(), StepError> {
        let SyncEngine {
            ctx,
            checkpoint,
            processed,
            saver,
        } = self;
        let run = active!(checkpoint);
        let batch: Vec<String> = run
            .parents
            .iter()
            .take(ctx.options.write_batch.max(1))
            .cloned()
            .collect();
        if batch.is_empty() {
            run.phase = Phase::Databases;
            return Ok(());
        }
        for (index, id) in batch.into_iter().enumerate() {
            if index > 0 && ctx.deadline.expired() {
                return Err(StepError::Pause(Pause::OutOfTime));
            }
            let mut book = book!(checkpoint, run, processed);
            ctx.refresh_body(&id, &mut book).await?;
            run.parents.remove(&id);
        }
        saver.save(ctx, checkpoint).await?;
        Ok(())
    }

    /// One database: its record, and data sources that discovery did not see.
    pub(crate) async fn databases_step(&mut self) -> Result<(), StepError> {
        let SyncEngine {
            ctx,
            checkpoint,
            processed,
            saver,
        } = self;
        let run = active!(checkpoint);
        let Some(database_id) = run.databases.pop_first() else {
            run.phase = Phase::Rows;
            return Ok(());
        };
        let database = match ctx.client.retrieve_database(&database_id).await {
            Ok(database) => Some(database),
            Err(NotionError::NotFound { .. }) => None,
            Err(error) => {
                run.databases.insert(database_id);
                return Err(StepError::from_notion(error));
            }
        };
        let Some(database) = database else {
            let mut book = book!(checkpoint, run, processed);
            ctx.tombstone_gone(&RecordModel::Database, &database_id, &mut book)
                .await?;
            saver.save(ctx, checkpoint).await?;
            return Ok(());
        };
        let mut book = book!(checkpoint, run, processed);
        let sources = ctx.process_database(&database, &mut book).await?;
        for source_id in sources {
            let known = match book.seen.as_deref() {
                Some(seen) => seen.contains(&RecordModel::DataSource, &source_id),
                None => {
                    book.processed
                        .contains(&(RecordModel::DataSource, source_id.clone()))
                        || match crate::domain::RecordId::parse(source_id.as_str()) {
                            Ok(record_id) => ctx
                                .get(&RecordModel::DataSource, &record_id)
                                .await?
                                .is_some_and(|record| record.deleted_at.is_none()),
                            Err(_) => true,
                        }
                }
            };
            if known {
                continue;
            }
            match ctx.client.retrieve_data_source(&source_id).await {
                Ok(source) => {
                    let change = ctx.process_data_source(&source, &mut book).await?;
                    if change != Change::Gone {
                        run.data_sources.insert(source_id);
                    }
                }
                Err(error @ (NotionError::NotFound { .. } | NotionError::Restricted { .. })) => {
                    book.totals.limit(
                        Some(&source_id),
                        "data_source_unavailable",
                        format!("a data source of database {database_id} cannot be read: {error}"),
                    );
                }
                Err(error) => {
                    run.databases.insert(database_id);
                    return Err(StepError::from_notion(error));
                }
            }
        }
        saver.save(ctx, checkpoint).await?;
        Ok(())
    }

    /// The rows of one data source (or the rest of them), checkpointed every query page.
    pub(crate) async fn rows_step(&mut self) -> Result<(), StepError> {
        let SyncEngine {
            ctx,
            checkpoint,
            processed,
            saver,
        } = self;
        let run = active!(checkpoint);
        let mut window = match run.rows.take() {
            Some(window) => window,
            None => match run.data_sources.pop_first() {
                Some(id) => RowWindow::new(&id),
                None => {
                    run.phase = after_rows(run.kind);
                    return Ok(());
                }
            },
        };
        run.rows = Some(window.clone());
        let filter = window
            .last_created_time
            .as_ref()
            .map(|at| json!({"timestamp": "created_time", "created_time": {"on_or_after": at}}));
        // Rows at the resume boundary that were already read.
        let boundary: HashSet<String> = window.ids_at_last.iter().cloned().collect();
        let boundary_time = window.last_created_time.clone();
        let rows = ctx.client.query_all_rows(&window.data_source_id, filter);
        futures::pin_mut!(rows);
        let mut batch: Vec<Page> = Vec::with_capacity(ROW_BATCH);
        let mut ended: Option<Result<(), NotionError>> = None;
        let mut flushed = false;
        loop {
            let late = flushed && ctx.deadline.expired();
            if batch.is_empty() && ended.is_none() && late {
                return Err(StepError::Pause(Pause::OutOfTime));
            }
            if batch.len() < ROW_BATCH && ended.is_none() && !late {
                match rows.next().await {
                    Some(Ok(row)) => {
                        let id = normalize_id(&row.id);
                        if row.created_time == boundary_time && boundary.contains(&id) {
                            continue;
                        }
                        batch.push(row);
                        continue;
                    }
                    Some(Err(error)) => ended = Some(Err(error)),
                    None => ended = Some(Ok(())),
                }
            }
            // Write the batch, then move the window past it.
            flushed = true;
            for row in &batch {
                let id = normalize_id(&row.id);
                if row.created_time.is_some() && row.created_time == window.last_created_time {
                    window.ids_at_last.push(id);
                } else {
                    window.last_created_time = row.created_time.clone();
                    window.ids_at_last = vec![id];
                }
                window.rows_read += 1;
            }
            let run = active!(checkpoint);
            let mut book = book!(checkpoint, run, processed);
            ctx.process_pages(std::mem::take(&mut batch), &mut book, false)
                .await?;
            run.rows = Some(window.clone());
            match ended.take() {
                None => {
                    saver.save(ctx, checkpoint).await?;
                }
                Some(Ok(())) => {
                    run.rows = None;
                    saver.save(ctx, checkpoint).await?;
                    return Ok(());
                }
                Some(Err(NotionError::NotFound { .. })) => {
                    run.rows = None;
                    let source_id = window.data_source_id.clone();
                    let mut book = book!(checkpoint, run, processed);
                    ctx.tombstone_gone(&RecordModel::DataSource, &source_id, &mut book)
                        .await?;
                    saver.save(ctx, checkpoint).await?;
                    return Ok(());
                }
                Some(Err(error @ NotionError::QueryWindowStuck { .. })) => {
                    run.rows = None;
                    run.totals.counts.failed += 1;
                    run.totals.limit(
                        Some(&window.data_source_id),
                        "rows_incomplete",
                        format!("rows could not all be read: {error}"),
                    );
                    saver.save(ctx, checkpoint).await?;
                    return Ok(());
                }
                Some(Err(error)) => {
                    saver.save(ctx, checkpoint).await?;
                    return Err(StepError::from_notion(error));
                }
            }
        }
    }
}
