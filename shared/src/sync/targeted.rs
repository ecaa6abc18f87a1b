//! Targeted work from webhooks: re-fetch one page, tombstone one page, refresh one data source.
//! Events are signals, not facts (they arrive late, out of order, aggregated), so every target is
//! re-read from Notion before anything is written.

use std::collections::BTreeSet;

use futures::StreamExt;

use super::checkpoint::RunTotals;
use super::engine::{Book, Pause, StepError, SyncEngine, SyncError};
use super::notion_time::normalize_id;
use crate::domain::RecordModel;
use crate::notion::NotionError;

/// What a targeted job did.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetedOutcome {
    pub totals: RunTotals,
    /// Set when the work stopped early (the job should be retried later).
    pub pause: Option<Pause>,
    /// Set when the work failed for good.
    pub error: Option<String>,
}

/// A targeted job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Re-read a page (created, edited, moved, restored).
    RefetchPage(String),
    /// A page was reported deleted: confirmed by a re-read before the tombstone.
    TombstonePage(String),
    /// Re-read a data source's schema, its database and all its rows.
    RefreshDataSource(String),
}

impl SyncEngine {
    /// Runs one targeted job. It updates the records and the retry lists, never the active run.
    pub async fn run_targeted(&mut self, target: &Target) -> Result<TargetedOutcome, SyncError> {
        // Requests before this point belong to the active run, if any.
        self.saver.absorb_stats(&self.ctx, &mut self.checkpoint);
        let before = self.ctx.client.stats();
        let SyncEngine {
            ctx,
            checkpoint,
            processed,
            saver,
        } = self;
        let mut totals = RunTotals::default();
        let mut parents = BTreeSet::new();
        let result = {
            let mut book = Book {
                totals: &mut totals,
                seen: None,
                recheck: &mut checkpoint.recheck,
                retry: &mut checkpoint.retry,
                processed: &mut *processed,
                parents: Some(&mut parents),
                clock_floor: checkpoint.high_water_mark,
            };
            let done = match target {
                Target::RefetchPage(id) | Target::TombstonePage(id) => {
                    refetch_page(ctx, &normalize_id(id), &mut book).await
                }
                Target::RefreshDataSource(id) => {
                    refresh_data_source(ctx, &normalize_id(id), &mut book).await
                }
            };
            let pending: Vec<String> = book
                .parents
                .take()
                .map(|set| set.iter().cloned().collect())
                .unwrap_or_default();
            match done {
                Ok(()) => {
                    let mut result = Ok(());
                    for parent in pending {
                        if let Err(error) = ctx.refresh_body(&parent, &mut book).await {
                            result = Err(error);
                            break;
                        }
                    }
                    result
                }
                error => error,
            }
        };
        let after = ctx.client.stats();
        totals.requests = after.requests_sent.saturating_sub(before.requests_sent);
        totals.rate_limited = after.rate_limited.saturating_sub(before.rate_limited);
        saver.skip_stats(ctx);
        saver.persist(ctx, checkpoint).await?;
        let (pause, error) = match result {
            Ok(()) => (None, None),
            Err(StepError::Pause(pause)) => (Some(pause), None),
            Err(StepError::Fail(message)) => (None, Some(message)),
            Err(StepError::Store(error)) if error.is_transient() => (
                Some(Pause::Transient {
                    message: error.to_string(),
                }),
                None,
            ),
            Err(StepError::Store(error)) => return Err(error.into()),
            Err(StepError::Sync(error)) => return Err(error),
        };
        Ok(TargetedOutcome {
            totals,
            pause,
            error,
        })
    }
}

async fn refetch_page(
    ctx: &super::engine::Ctx,
    id: &str,
    book: &mut Book<'_>,
) -> Result<(), StepError> {
    match ctx.client.retrieve_page(id, &[]).await {
        Ok(page) => {
            let model = super::payload::model_of(&page);
            // A page that moved between a page parent and a data source leaves its old model.
            let other = if model == RecordModel::Page {
                RecordModel::Row
            } else {
                RecordModel::Page
            };
            ctx.tombstone_gone(&other, id, book).await?;
            ctx.process_pages(vec![page], book, false).await
        }
        Err(NotionError::NotFound { .. }) => {
            for model in [RecordModel::Page, RecordModel::Row] {
                ctx.tombstone_gone(&model, id, book).await?;
            }
            Ok(())
        }
        Err(error) => Err(StepError::from_notion(error)),
    }
}

async fn refresh_data_source(
    ctx: &super::engine::Ctx,
    id: &str,
    book: &mut Book<'_>,
) -> Result<(), StepError> {
    let source = match ctx.client.retrieve_data_source(id).await {
        Ok(source) => source,
        Err(NotionError::NotFound { .. }) => {
            ctx.tombstone_gone(&RecordModel::DataSource, id, book)
                .await?;
            return Ok(());
        }
        Err(error) => return Err(StepError::from_notion(error)),
    };
    let change = ctx.process_data_source(&source, book).await?;
    if change == super::process::Change::Gone {
        return Ok(());
    }
    if let Some(database_id) = source.database_id() {
        match ctx.client.retrieve_database(database_id).await {
            Ok(database) => {
                ctx.process_database(&database, book).await?;
            }
            Err(NotionError::NotFound { .. }) => {}
            Err(error) => return Err(StepError::from_notion(error)),
        }
    }
    let rows = ctx.client.query_all_rows(id, None);
    futures::pin_mut!(rows);
    let mut batch = Vec::new();
    loop {
        let next = rows.next().await;
        let end = match next {
            Some(Ok(row)) => {
                batch.push(row);
                if batch.len() < 100 {
                    continue;
                }
                None
            }
            Some(Err(error)) => Some(Err(error)),
            None => Some(Ok(())),
        };
        ctx.process_pages(std::mem::take(&mut batch), book, false)
            .await?;
        match end {
            None => {
                if ctx.deadline.expired() {
                    return Err(StepError::Pause(Pause::OutOfTime));
                }
            }
            Some(Ok(())) => return Ok(()),
            Some(Err(error)) => return Err(StepError::from_notion(error)),
        }
    }
}
