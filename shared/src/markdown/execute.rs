//! Runs a [`CreationPlan`]'s appends through a [`BlockAppender`], recording each finished step
//! in a serializable [`PlanProgress`] so that a failed run resumes where it stopped instead of
//! writing earlier blocks twice.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::notion::model::Block;

use super::plan::{BlockRef, CreationPlan};

/// Appends blocks to a page or block (Notion's `PATCH /v1/blocks/{id}/children`, at the end).
#[async_trait]
pub trait BlockAppender: Send {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Appends `children` (request form, at most two levels) to `parent_id` (a page id or a
    /// block id) and returns the ids of the created first-level blocks, in order.
    async fn append_children(
        &mut self,
        parent_id: &str,
        children: &[Block],
    ) -> Result<Vec<String>, Self::Error>;
}

/// Which appends of a plan are done, with the ids their blocks got. Store it after a failure
/// and pass it back to [`execute`] to resume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanProgress {
    /// For each finished step, in order: the created first-level block ids.
    pub completed: Vec<Vec<String>>,
}

impl PlanProgress {
    pub fn steps_done(&self) -> usize {
        self.completed.len()
    }

    pub fn is_complete(&self, plan: &CreationPlan) -> bool {
        self.completed.len() >= plan.appends.len()
    }

    /// Blocks (all levels) of the plan's appends not written yet: what a page is missing.
    pub fn blocks_remaining(&self, plan: &CreationPlan) -> usize {
        plan.appends
            .iter()
            .skip(self.completed.len())
            .flat_map(|append| &append.children)
            .map(|block| 1 + block.children().map_or(0, Vec::len))
            .sum()
    }
}

/// What a (possibly resumed) run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionReport {
    /// Appends sent by this run.
    pub steps_run: usize,
    pub steps_total: usize,
}

#[derive(Debug, Error)]
pub enum ExecuteError<E: std::error::Error + 'static> {
    /// The append failed; progress holds every earlier step, so a retry resumes at `step`.
    #[error("append {step} of {total} failed: {source}")]
    Append {
        step: usize,
        total: usize,
        #[source]
        source: E,
    },
    /// The appender returned a different number of ids than blocks were sent; the step is not
    /// recorded (its blocks may exist without ids to attach their children to).
    #[error("append {step} returned {returned} block ids for {sent} blocks")]
    UnexpectedIds {
        step: usize,
        sent: usize,
        returned: usize,
    },
    /// The progress does not belong to this plan.
    #[error("the saved progress does not match the plan: {0}")]
    ProgressMismatch(String),
}

/// Runs the plan's remaining appends against the page `page_id` (created with
/// `plan.initial_children`). Each finished step is recorded in `progress` before the next one
/// starts; on error, `progress` holds everything done so far.
pub async fn execute<A>(
    plan: &CreationPlan,
    page_id: &str,
    appender: &mut A,
    progress: &mut PlanProgress,
) -> Result<ExecutionReport, ExecuteError<A::Error>>
where
    A: BlockAppender + ?Sized,
{
    check_progress(plan, progress)?;
    let total = plan.appends.len();
    let first = progress.completed.len();
    for (step, append) in plan.appends.iter().enumerate().skip(first) {
        let parent_id = match append.parent {
            BlockRef::Page => page_id.to_owned(),
            BlockRef::Created {
                step: parent_step,
                index,
            } => progress
                .completed
                .get(parent_step)
                .filter(|_| parent_step < step)
                .and_then(|ids| ids.get(index))
                .cloned()
                .ok_or_else(|| {
                    ExecuteError::ProgressMismatch(format!(
                        "append {step} refers to block {index} of append {parent_step}, which is unknown"
                    ))
                })?,
        };
        let ids = appender
            .append_children(&parent_id, &append.children)
            .await
            .map_err(|source| ExecuteError::Append {
                step,
                total,
                source,
            })?;
        if ids.len() != append.children.len() {
            return Err(ExecuteError::UnexpectedIds {
                step,
                sent: append.children.len(),
                returned: ids.len(),
            });
        }
        progress.completed.push(ids);
    }
    Ok(ExecutionReport {
        steps_run: total - first.min(total),
        steps_total: total,
    })
}

fn check_progress<E: std::error::Error + 'static>(
    plan: &CreationPlan,
    progress: &PlanProgress,
) -> Result<(), ExecuteError<E>> {
    if progress.completed.len() > plan.appends.len() {
        return Err(ExecuteError::ProgressMismatch(format!(
            "{} steps done, but the plan has {}",
            progress.completed.len(),
            plan.appends.len()
        )));
    }
    for (step, (ids, append)) in progress.completed.iter().zip(&plan.appends).enumerate() {
        if ids.len() != append.children.len() {
            return Err(ExecuteError::ProgressMismatch(format!(
                "step {step} recorded {} ids for {} blocks",
                ids.len(),
                append.children.len()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::{BlockNode, MemoryAppender, plan_requests, to_blocks};
    use futures::executor::block_on;

    fn long_plan() -> (CreationPlan, Vec<BlockNode>) {
        let markdown: String = (0..300)
            .map(|i| format!("- item {i}\n  - child {i}\n    - grandchild {i}\n"))
            .collect();
        let blocks = to_blocks(&markdown).unwrap().blocks;
        (
            plan_requests(blocks.clone()).unwrap(),
            BlockNode::from_requests(blocks),
        )
    }

    #[test]
    fn a_failed_run_resumes_without_duplicates() {
        let (plan, expected) = long_plan();
        assert!(plan.appends.len() > 4);
        // Every item has grandchildren, so nothing goes with the page creation.
        assert!(plan.initial_children.is_empty());
        let mut appender = MemoryAppender::new();
        let page = appender.create_page(&plan.initial_children).unwrap();
        appender.fail_on_call(3);
        let mut progress = PlanProgress::default();
        let error = block_on(execute(&plan, &page, &mut appender, &mut progress)).unwrap_err();
        assert!(
            matches!(error, ExecuteError::Append { step: 3, .. }),
            "{error}"
        );
        assert_eq!(progress.steps_done(), 3);
        let written: usize = appender
            .appends
            .iter()
            .flat_map(|(_, children)| children)
            .map(|block| 1 + block.children().map_or(0, Vec::len))
            .sum();
        assert!(written > 0);
        assert_eq!(
            progress.blocks_remaining(&plan),
            plan.block_count() - written
        );

        // The progress survives storage; the resumed run sends only the remaining steps.
        let stored = serde_json::to_string(&progress).unwrap();
        let mut progress: PlanProgress = serde_json::from_str(&stored).unwrap();
        let report = block_on(execute(&plan, &page, &mut appender, &mut progress)).unwrap();
        assert_eq!(report.steps_run, plan.appends.len() - 3);
        assert!(progress.is_complete(&plan));
        assert_eq!(appender.appends.len(), plan.appends.len());
        assert_eq!(appender.tree(&page), expected);

        // Running a finished plan again does nothing.
        let report = block_on(execute(&plan, &page, &mut appender, &mut progress)).unwrap();
        assert_eq!(report.steps_run, 0);
        assert_eq!(appender.appends.len(), plan.appends.len());
    }

    #[test]
    fn progress_from_another_plan_is_refused() {
        let (plan, _) = long_plan();
        let mut appender = MemoryAppender::new();
        let page = appender.create_page(&plan.initial_children).unwrap();
        let mut progress = PlanProgress {
            completed: vec![vec!["x".to_owned()]; plan.appends.len() + 1],
        };
        let error = block_on(execute(&plan, &page, &mut appender, &mut progress)).unwrap_err();
        assert!(matches!(error, ExecuteError::ProgressMismatch(_)));
        let mut progress = PlanProgress {
            completed: vec![Vec::new()],
        };
        let error = block_on(execute(&plan, &page, &mut appender, &mut progress)).unwrap_err();
        assert!(matches!(error, ExecuteError::ProgressMismatch(_)));
        assert_eq!(appender.calls(), 0);
    }

    struct ShortAnswers;

    #[async_trait]
    impl BlockAppender for ShortAnswers {
        type Error = std::io::Error;

        async fn append_children(
            &mut self,
            _parent_id: &str,
            _children: &[Block],
        ) -> Result<Vec<String>, Self::Error> {
            Ok(vec!["only-one".to_owned()])
        }
    }

    #[test]
    fn a_wrong_number_of_ids_stops_the_run() {
        let (plan, _) = long_plan();
        let mut progress = PlanProgress::default();
        let error = block_on(execute(&plan, "page", &mut ShortAnswers, &mut progress)).unwrap_err();
        assert!(matches!(error, ExecuteError::UnexpectedIds { step: 0, .. }));
        assert_eq!(progress.steps_done(), 0);
    }
}
