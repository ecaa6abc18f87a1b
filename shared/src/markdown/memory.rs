//! An in-memory page store that accepts page creations and appends the way Notion does
//! (validating every request against the limits) and rebuilds the resulting tree: for tests and
//! dry runs of a [`CreationPlan`](super::CreationPlan).

use std::collections::HashMap;

use async_trait::async_trait;
use thiserror::Error;

use crate::notion::model::Block;

use super::execute::BlockAppender;
use super::limits::{LimitViolation, validate_children};
use super::tree::BlockNode;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MemoryAppenderError {
    #[error("no page or block with id {0}")]
    UnknownParent(String),
    #[error("request rejected: {0}")]
    Rejected(#[from] LimitViolation),
    #[error("injected failure on call {0}")]
    Injected(usize),
}

/// Pages and blocks held in memory. Ids are `page-N` and `block-N`.
#[derive(Debug, Default)]
pub struct MemoryAppender {
    blocks: HashMap<String, Block>,
    children: HashMap<String, Vec<String>>,
    next_id: usize,
    calls: usize,
    fail_on: Option<usize>,
    /// Every accepted append: parent id and the children sent.
    pub appends: Vec<(String, Vec<Block>)>,
}

impl MemoryAppender {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes the append call with this 0-based number (counted over the appender's life) fail,
    /// once, without writing anything.
    pub fn fail_on_call(&mut self, call: usize) {
        self.fail_on = Some(call);
    }

    /// Append calls received so far, failed ones included.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// Creates a page with `children` (validated like `POST /v1/pages`) and returns its id.
    pub fn create_page(&mut self, children: &[Block]) -> Result<String, MemoryAppenderError> {
        validate_children(children)?;
        let id = self.new_id("page");
        self.children.insert(id.clone(), Vec::new());
        self.store(&id, children);
        Ok(id)
    }

    /// The tree under a page or block.
    pub fn tree(&self, id: &str) -> Vec<BlockNode> {
        self.children
            .get(id)
            .map(|ids| {
                ids.iter()
                    .filter_map(|child| {
                        self.blocks.get(child).map(|block| BlockNode {
                            block: block.clone(),
                            children: self.tree(child),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }

    /// Stores blocks (and their nested children) under `parent`; returns the first-level ids.
    fn store(&mut self, parent: &str, blocks: &[Block]) -> Vec<String> {
        let mut ids = Vec::with_capacity(blocks.len());
        for block in blocks {
            let mut block = block.clone();
            let nested = block
                .children_mut()
                .and_then(Option::take)
                .unwrap_or_default();
            let id = self.new_id("block");
            self.blocks.insert(id.clone(), block);
            self.children.insert(id.clone(), Vec::new());
            self.children
                .entry(parent.to_owned())
                .or_default()
                .push(id.clone());
            self.store(&id, &nested);
            ids.push(id);
        }
        ids
    }
}

#[async_trait]
impl BlockAppender for MemoryAppender {
    type Error = MemoryAppenderError;

    async fn append_children(
        &mut self,
        parent_id: &str,
        children: &[Block],
    ) -> Result<Vec<String>, MemoryAppenderError> {
        let call = self.calls;
        self.calls += 1;
        if self.fail_on == Some(call) {
            self.fail_on = None;
            return Err(MemoryAppenderError::Injected(call));
        }
        if !self.children.contains_key(parent_id) {
            return Err(MemoryAppenderError::UnknownParent(parent_id.to_owned()));
        }
        validate_children(children)?;
        self.appends.push((parent_id.to_owned(), children.to_vec()));
        Ok(self.store(parent_id, children))
    }
}
