//! Splits a block tree into Notion requests: the children sent with the page creation and an
//! ordered list of appends, every one within Notion's limits (at most 100 blocks per array, two
//! levels, 1,000 blocks and well under 500 KB per request), order preserved, nothing dropped.
//!
//! Only the first-level blocks of an append come back with ids, so a block whose children do not
//! all fit in the same request (more than 100, grandchildren, or the budget is spent) is sent as
//! a first-level block and its remaining children are appended to it in a later step. A block
//! inlined at the second level is always complete. The page creation does not return block ids
//! at all, so it only carries blocks that are complete within it; everything from the first
//! block that is not goes through appends to the page.
//!
//! Tables are created with their first rows (up to 100) in the same request, as Notion requires;
//! further rows are appended to the table.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::notion::model::{Block, BlockContent, Color, RichText};

use super::limits::{MAX_BLOCKS_PER_REQUEST, MAX_CHILDREN_PER_ARRAY};
use super::rich_text::item_bytes;

/// Where an append goes: the page, or a block created by an earlier append (ids are only known
/// once Notion answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockRef {
    Page,
    /// The `index`-th first-level block returned by `appends[step]`.
    Created {
        step: usize,
        index: usize,
    },
}

/// One `PATCH /v1/blocks/{parent}/children` request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Append {
    pub parent: BlockRef,
    /// Request form: at most 100 blocks, each with at most one level of children.
    pub children: Vec<Block>,
}

/// The requests that write a block tree into a new page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreationPlan {
    /// Sent as `children` of `POST /v1/pages`.
    pub initial_children: Vec<Block>,
    /// Run in order after the page exists; `BlockRef::Created::step` indexes this list.
    pub appends: Vec<Append>,
}

impl CreationPlan {
    /// Blocks written by the whole plan (all levels).
    pub fn block_count(&self) -> usize {
        let count = |blocks: &[Block]| {
            blocks
                .iter()
                .map(|block| 1 + block.children().map_or(0, Vec::len))
                .sum::<usize>()
        };
        count(&self.initial_children)
            + self
                .appends
                .iter()
                .map(|append| count(&append.children))
                .sum::<usize>()
    }
}

/// JSON budgets for one request's `children` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// For the page creation, which also carries the title and properties.
    pub creation_bytes: usize,
    pub append_bytes: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            creation_bytes: 300_000,
            append_bytes: 400_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// One block (or a table with its first row) is larger than a request may be. Never the
    /// case for blocks from [`super::to_blocks`].
    #[error("a {block_type} block needs {bytes} bytes of JSON; one request allows {max}")]
    BlockTooLarge {
        block_type: String,
        bytes: usize,
        max: usize,
    },
    #[error("a block does not serialize: {0}")]
    Serialize(String),
}

/// [`plan_requests_with`] with the default budgets.
pub fn plan_requests(blocks: Vec<Block>) -> Result<CreationPlan, PlanError> {
    plan_requests_with(blocks, &PlanOptions::default())
}

/// Plans the page creation's children and the appends for a request-form block tree.
pub fn plan_requests_with(
    blocks: Vec<Block>,
    options: &PlanOptions,
) -> Result<CreationPlan, PlanError> {
    let mut plan = CreationPlan::default();
    let mut initial = Batch::new(options.creation_bytes);
    let mut rest = Vec::new();
    let mut blocks = blocks.into_iter();
    for block in blocks.by_ref() {
        let node = Node::new(block)?;
        match node.fit(initial.room(), true) {
            Some(fit) if !initial.is_full() => initial.push(node, fit),
            _ => {
                rest.push(node.into_block());
                break;
            }
        }
    }
    rest.extend(blocks);
    plan.initial_children = initial.blocks;

    // Breadth first: a block's remaining children are planned after the step that creates it.
    let mut jobs = VecDeque::new();
    if !rest.is_empty() {
        jobs.push_back((BlockRef::Page, rest));
    }
    while let Some((parent, children)) = jobs.pop_front() {
        plan_appends(parent, children, options.append_bytes, &mut plan, &mut jobs)?;
    }
    Ok(plan)
}

fn plan_appends(
    parent: BlockRef,
    children: Vec<Block>,
    budget: usize,
    plan: &mut CreationPlan,
    jobs: &mut VecDeque<(BlockRef, Vec<Block>)>,
) -> Result<(), PlanError> {
    let mut batch = Batch::new(budget);
    for block in children {
        let node = Node::new(block)?;
        // A block whose leading leaf children do not all fit starts a new request rather than
        // leaving them for an extra append.
        let fit = match node.fit(batch.room(), false) {
            Some(fit) if fit.inline == node.leaf_bytes.len() || batch.blocks.is_empty() => fit,
            _ if !batch.blocks.is_empty() => {
                batch.flush(parent, plan, jobs);
                node.fit(batch.room(), false)
                    .ok_or_else(|| node.too_large(budget))?
            }
            _ => return Err(node.too_large(budget)),
        };
        batch.push(node, fit);
        if batch.is_full() {
            batch.flush(parent, plan, jobs);
        }
    }
    if !batch.blocks.is_empty() {
        batch.flush(parent, plan, jobs);
    }
    Ok(())
}

fn json_len<T: Serialize + ?Sized>(value: &T) -> Result<usize, PlanError> {
    serde_json::to_vec(value)
        .map(|json| json.len())
        .map_err(|error| PlanError::Serialize(error.to_string()))
}

/// JSON size of a block without children, or a close upper bound for the text blocks that make
/// up most documents (serializing every block of a long document costs more than planning it).
fn block_bytes(block: &Block) -> Result<usize, PlanError> {
    use BlockContent as C;
    let request_form = block.object.is_none()
        && block.id.is_none()
        && block.parent.is_none()
        && block.created_time.is_none()
        && block.created_by.is_none()
        && block.last_edited_time.is_none()
        && block.last_edited_by.is_none()
        && block.has_children.is_none()
        && block.in_trash.is_none()
        && block.request_id.is_none()
        && block.extra.is_empty();
    let items = |items: &[RichText]| items.iter().map(|item| item_bytes(item) + 1).sum::<usize>();
    let color = |color: &Option<Color>| match color {
        None => Some(0),
        Some(Color::Unknown(_)) => None,
        Some(_) => Some(30),
    };
    // `{"type":"<t>","<t>":{"rich_text":[...]}}` and the small fields each type may add.
    let estimate = match &block.content {
        _ if !request_form => None,
        C::Paragraph(b) | C::BulletedListItem(b) | C::Toggle(b) | C::Quote(b)
            if b.icon.is_none() && b.extra.is_empty() =>
        {
            color(&b.color).map(|color| items(&b.rich_text) + color)
        }
        C::Heading1(b) | C::Heading2(b) | C::Heading3(b) | C::Heading4(b) if b.extra.is_empty() => {
            color(&b.color).map(|color| items(&b.rich_text) + color + 24)
        }
        C::NumberedListItem(b) if b.extra.is_empty() && b.list_format.is_none() => {
            color(&b.color).map(|color| items(&b.rich_text) + color + 48)
        }
        C::ToDo(b) if b.extra.is_empty() => {
            color(&b.color).map(|color| items(&b.rich_text) + color + 20)
        }
        C::Code(b) if b.extra.is_empty() => Some(
            items(&b.rich_text)
                + items(&b.caption)
                + 40
                + b.language
                    .as_deref()
                    .map_or(0, |language| 2 * language.len()),
        ),
        C::TableRow(row) if row.extra.is_empty() => {
            Some(row.cells.iter().map(|cell| items(cell) + 3).sum::<usize>())
        }
        _ => None,
    };
    match estimate {
        Some(bytes) => Ok(bytes + 48 + 2 * block.type_name().len()),
        None => json_len(block),
    }
}

fn take_children(block: &mut Block) -> Vec<Block> {
    block
        .children_mut()
        .and_then(Option::take)
        .unwrap_or_default()
}

/// JSON added by `,"children":[` and `]` inside a payload.
const CHILDREN_OVERHEAD: usize = 16;

/// A block with its children taken out, and the sizes of its leading leaf children.
struct Node {
    block: Block,
    bytes: usize,
    children: Vec<Block>,
    /// JSON sizes of the leading children that have no children of their own (at most 100).
    leaf_bytes: Vec<usize>,
}

/// How much of a node goes into a request: the block and its first `inline` children.
#[derive(Clone, Copy)]
struct Fit {
    inline: usize,
    bytes: usize,
    elements: usize,
}

#[derive(Clone, Copy)]
struct Room {
    bytes: usize,
    elements: usize,
}

impl Node {
    fn new(mut block: Block) -> Result<Self, PlanError> {
        let mut children = take_children(&mut block);
        let bytes = block_bytes(&block)?;
        let mut leaf_bytes = Vec::new();
        for child in children.iter_mut().take(MAX_CHILDREN_PER_ARRAY) {
            if child.children().is_some_and(|nested| !nested.is_empty()) {
                break;
            }
            // An empty `children` array is no content, but would count as a third level.
            take_children(child);
            leaf_bytes.push(block_bytes(child)?);
        }
        Ok(Self {
            block,
            bytes,
            children,
            leaf_bytes,
        })
    }

    fn is_table(&self) -> bool {
        matches!(self.block.content, BlockContent::Table(_))
    }

    /// The largest part of this node that fits in `room`; `whole` asks for all or nothing.
    fn fit(&self, room: Room, whole: bool) -> Option<Fit> {
        let mut fit = Fit {
            inline: 0,
            bytes: self.bytes + 1,
            elements: 1,
        };
        if fit.bytes > room.bytes || fit.elements > room.elements {
            return None;
        }
        let mut children_bytes = CHILDREN_OVERHEAD;
        for size in &self.leaf_bytes {
            let next_bytes = fit.bytes + children_bytes + size + 1;
            if next_bytes > room.bytes || fit.elements + 1 > room.elements {
                break;
            }
            children_bytes += size + 1;
            fit.inline += 1;
            fit.elements += 1;
        }
        if fit.inline > 0 {
            fit.bytes += children_bytes;
        }
        let complete = fit.inline == self.children.len();
        // Notion creates a table only together with its rows.
        let rowless_table = self.is_table() && fit.inline == 0 && !self.children.is_empty();
        if (whole && !complete) || rowless_table {
            return None;
        }
        Some(fit)
    }

    /// The block with its first `inline` children nested, and the children left for later.
    fn split(mut self, inline: usize) -> (Block, Vec<Block>) {
        let later = self.children.split_off(inline.min(self.children.len()));
        let block = if self.children.is_empty() {
            self.block
        } else {
            self.block.with_children(self.children)
        };
        (block, later)
    }

    fn into_block(self) -> Block {
        let count = self.children.len();
        self.split(count).0
    }

    fn too_large(&self, max: usize) -> PlanError {
        let row = if self.is_table() {
            self.leaf_bytes.first().copied().unwrap_or_default()
        } else {
            0
        };
        PlanError::BlockTooLarge {
            block_type: self.block.type_name().to_owned(),
            bytes: self.bytes + row,
            max,
        }
    }
}

/// The request being filled.
struct Batch {
    budget: usize,
    blocks: Vec<Block>,
    bytes: usize,
    elements: usize,
    /// (index in `blocks`, children to append to that block later)
    later: Vec<(usize, Vec<Block>)>,
}

impl Batch {
    fn new(budget: usize) -> Self {
        Self {
            budget,
            blocks: Vec::new(),
            bytes: 2,
            elements: 0,
            later: Vec::new(),
        }
    }

    fn is_full(&self) -> bool {
        self.blocks.len() >= MAX_CHILDREN_PER_ARRAY || self.elements >= MAX_BLOCKS_PER_REQUEST
    }

    fn room(&self) -> Room {
        Room {
            bytes: self.budget.saturating_sub(self.bytes),
            elements: MAX_BLOCKS_PER_REQUEST.saturating_sub(self.elements),
        }
    }

    fn push(&mut self, node: Node, fit: Fit) {
        let (block, later) = node.split(fit.inline);
        if !later.is_empty() {
            self.later.push((self.blocks.len(), later));
        }
        self.blocks.push(block);
        self.bytes += fit.bytes;
        self.elements += fit.elements;
    }

    fn flush(
        &mut self,
        parent: BlockRef,
        plan: &mut CreationPlan,
        jobs: &mut VecDeque<(BlockRef, Vec<Block>)>,
    ) {
        let step = plan.appends.len();
        plan.appends.push(Append {
            parent,
            children: std::mem::take(&mut self.blocks),
        });
        for (index, children) in self.later.drain(..) {
            jobs.push_back((BlockRef::Created { step, index }, children));
        }
        self.bytes = 2;
        self.elements = 0;
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
