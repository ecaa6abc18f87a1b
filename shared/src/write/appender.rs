//! [`NotionAppender`]: the markdown plan's [`BlockAppender`] on a connection's Notion client.
//!
//! Appends are writes: the client never repeats them on a timeout or a 5xx, since Notion may
//! have applied them. When a run resumes after such a failure, the appender first lists the
//! parent's children: if the parent already holds the step's blocks (exactly the expected
//! count more, with the same block types), their ids are taken instead of appending again.

use async_trait::async_trait;
use futures::TryStreamExt;
use thiserror::Error;

use super::idempotency::{IdempotencyKey, IdempotencyRecord, RecordState};
use super::input::WriteWarning;
use crate::connect::{TokenError, TokenManager};
use crate::domain::ConnectionId;
use crate::markdown::{BlockAppender, ExecuteError, PlanProgress};
use crate::notion::NotionError;
use crate::notion::client::AppendChildren;
use crate::notion::model::Block;

#[derive(Debug, Error)]
pub enum AppendError {
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The parent holds neither the blocks written so far nor those plus this step's: someone
    /// changed it meanwhile, so resuming could duplicate or misplace content.
    #[error(
        "block {parent_id} has {found} children; {expected} (before this append) or {expected_after} (after it) were expected"
    )]
    Diverged {
        parent_id: String,
        expected: usize,
        expected_after: usize,
        found: usize,
    },
}

impl AppendError {
    /// Whether the failed append may have been applied by Notion.
    pub fn maybe_applied(&self) -> bool {
        match self {
            Self::Token(error) => write_maybe_applied(error),
            Self::Diverged { .. } => false,
        }
    }
}

/// Whether a write that failed with `error` may have been applied by Notion (a timeout, a
/// server error, a lost connection or an unreadable answer).
pub fn write_maybe_applied(error: &TokenError) -> bool {
    matches!(
        error,
        TokenError::Notion(
            NotionError::Timeout
                | NotionError::Server { .. }
                | NotionError::Transport { .. }
                | NotionError::Decode { .. }
        )
    )
}

/// A failed run as logged: Notion's validation message is left out, since it may quote the
/// caller's content (`… instead was \`…\``); the code and request id identify it.
pub(super) fn log_summary(error: &ExecuteError<AppendError>) -> String {
    match error {
        ExecuteError::Append {
            step,
            total,
            source:
                AppendError::Token(TokenError::Notion(NotionError::Validation {
                    code, request_id, ..
                })),
        } => format!(
            "append {step} of {total} rejected by Notion ({code}){}",
            request_id
                .as_deref()
                .map(|id| format!(", request id {id}"))
                .unwrap_or_default()
        ),
        other => other.to_string(),
    }
}

/// Saves the progress of an idempotent create after every append, so that a process that
/// dies mid-run leaves a record the next request resumes from.
pub(super) struct Checkpoint {
    pub key: IdempotencyKey,
    pub body_hash: String,
    pub page_id: String,
    pub url: Option<String>,
    pub progress: PlanProgress,
    pub warnings: Vec<WriteWarning>,
}

/// Appends through the connection's [`TokenManager`] (401 refresh, the connection's budget).
pub struct NotionAppender {
    tokens: TokenManager,
    connection: ConnectionId,
    verify_next: Option<usize>,
    checkpoint: Option<Checkpoint>,
    calls: usize,
}

impl NotionAppender {
    pub fn new(tokens: TokenManager, connection: ConnectionId) -> Self {
        Self {
            tokens,
            connection,
            verify_next: None,
            checkpoint: None,
            calls: 0,
        }
    }

    /// Before the next append, check whether it was already applied: its parent should hold
    /// `children_before` children if not.
    pub fn verify_next(mut self, children_before: usize) -> Self {
        self.verify_next = Some(children_before);
        self
    }

    pub(super) fn with_checkpoint(mut self, checkpoint: Checkpoint) -> Self {
        self.checkpoint = Some(checkpoint);
        self
    }

    /// `PATCH /v1/blocks/{id}/children` calls sent.
    pub fn calls(&self) -> usize {
        self.calls
    }

    async fn children_ids_and_types(
        &self,
        parent_id: &str,
    ) -> Result<Vec<(String, String)>, TokenError> {
        let parent = parent_id.to_owned();
        self.tokens
            .call(&self.connection, |client| {
                let parent = parent.clone();
                async move {
                    client
                        .block_children(&parent)
                        .map_ok(|block| {
                            (
                                block.id.clone().unwrap_or_default(),
                                block.type_name().to_owned(),
                            )
                        })
                        .try_collect::<Vec<_>>()
                        .await
                }
            })
            .await
    }

    /// The ids of `children` if the parent already ends with them, `None` if it holds exactly
    /// `before` children (the append is still to do).
    async fn already_applied(
        &self,
        parent_id: &str,
        children: &[Block],
        before: usize,
    ) -> Result<Option<Vec<String>>, AppendError> {
        let existing = self.children_ids_and_types(parent_id).await?;
        if existing.len() == before {
            return Ok(None);
        }
        let after = before + children.len();
        if existing.len() == after {
            let tail = &existing[before..];
            let same_types = tail
                .iter()
                .zip(children)
                .all(|((id, kind), block)| !id.is_empty() && kind == block.type_name());
            if same_types {
                return Ok(Some(tail.iter().map(|(id, _)| id.clone()).collect()));
            }
        }
        Err(AppendError::Diverged {
            parent_id: parent_id.to_owned(),
            expected: before,
            expected_after: after,
            found: existing.len(),
        })
    }

    async fn save_checkpoint(&mut self, ids: &[String]) {
        let Some(checkpoint) = self.checkpoint.as_mut() else {
            return;
        };
        checkpoint.progress.completed.push(ids.to_vec());
        let record = IdempotencyRecord {
            body_hash: checkpoint.body_hash.clone(),
            state: RecordState::Incomplete {
                page_id: checkpoint.page_id.clone(),
                url: checkpoint.url.clone(),
                progress: checkpoint.progress.clone(),
                // Read only if the process dies, maybe while sending the next append: the
                // resume checks the page before sending it again.
                unsure: true,
                warnings: checkpoint.warnings.clone(),
            },
        };
        // The final record is written from the run's own progress; this one only matters if
        // the process dies, so a failure here does not fail the write.
        if let Err(error) = checkpoint.key.save(&record).await {
            tracing::warn!(error = %error, "could not checkpoint an idempotent page creation");
        }
    }
}

#[async_trait]
impl BlockAppender for NotionAppender {
    type Error = AppendError;

    async fn append_children(
        &mut self,
        parent_id: &str,
        children: &[Block],
    ) -> Result<Vec<String>, Self::Error> {
        if let Some(before) = self.verify_next.take()
            && let Some(ids) = self.already_applied(parent_id, children, before).await?
        {
            tracing::info!(
                connection_id = %self.connection,
                "an append that timed out had been applied; not sending it again"
            );
            self.save_checkpoint(&ids).await;
            return Ok(ids);
        }
        let request = AppendChildren {
            children: children.to_vec(),
            position: None,
        };
        let parent = parent_id.to_owned();
        self.calls += 1;
        let list = self
            .tokens
            .call(&self.connection, |client| {
                let parent = parent.clone();
                let request = request.clone();
                async move { client.append_children(&parent, &request).await }
            })
            .await?;
        let ids: Vec<String> = list
            .results
            .into_iter()
            .map(|block| block.id.unwrap_or_default())
            .collect();
        self.save_checkpoint(&ids).await;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_leave_out_what_notion_quotes_of_the_content() {
        let error = ExecuteError::Append {
            step: 2,
            total: 5,
            source: AppendError::Token(TokenError::Notion(NotionError::Validation {
                code: serde_json::from_value(serde_json::json!("validation_error")).unwrap(),
                message: "body.children[0].paragraph should be X, instead was `private text`."
                    .to_owned(),
                request_id: Some("req-1".to_owned()),
            })),
        };
        let logged = log_summary(&error);
        assert!(!logged.contains("private text"), "{logged}");
        assert!(
            logged.contains("append 2 of 5") && logged.contains("req-1"),
            "{logged}"
        );
    }
}
