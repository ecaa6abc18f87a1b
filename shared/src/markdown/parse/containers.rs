//! Block containers (quotes, list items, tables) and where finished blocks go.

use serde_json::Number;

use crate::notion::model::{Block, BlockContent, NumberedListItemBlock, RichText};

use super::super::limits::{MAX_BLOCK_BYTES, MAX_DOCUMENT_DEPTH};
use super::super::{MarkdownError, WarningKind};
use super::{Builder, Container};

impl Builder<'_> {
    pub(super) fn pop_container(
        &mut self,
        wanted: impl Fn(&Container) -> bool,
    ) -> Option<Container> {
        if self.containers.len() > 1 && self.containers.last().is_some_and(wanted) {
            self.containers.pop()
        } else {
            None
        }
    }

    /// Appends blocks to the innermost container that holds blocks.
    pub(super) fn push_blocks(&mut self, new_blocks: Vec<Block>) {
        for container in self.containers.iter_mut().rev() {
            match container {
                Container::Root(blocks) | Container::Quote(blocks) => {
                    blocks.extend(new_blocks);
                    return;
                }
                Container::Item { blocks, .. } => {
                    blocks.extend(new_blocks);
                    return;
                }
                Container::List { items, .. } => {
                    items.extend(new_blocks);
                    return;
                }
                Container::Table { .. } => {}
            }
        }
    }

    /// Appends a block with its children, or, past [`MAX_DOCUMENT_DEPTH`], the block followed by
    /// its children as siblings.
    pub(super) fn push_nested(&mut self, block: Block, children: Vec<Block>) {
        if children.is_empty() {
            self.push_blocks(vec![block]);
            return;
        }
        let depth = self
            .containers
            .iter()
            .filter(|c| matches!(c, Container::Quote(_) | Container::Item { .. }))
            .count()
            + 1;
        if depth < MAX_DOCUMENT_DEPTH {
            self.push_blocks(vec![block.with_children(children)]);
            return;
        }
        if !self.flattened {
            self.flattened = true;
            let line = self.line();
            self.warn(
                WarningKind::NestingFlattened,
                line,
                format!("content nested deeper than {MAX_DOCUMENT_DEPTH} levels moved up"),
            );
        }
        let mut blocks = Vec::with_capacity(children.len() + 1);
        blocks.push(block);
        blocks.extend(children);
        self.push_blocks(blocks);
    }

    pub(super) fn item_block(&mut self, text: Vec<RichText>, task: Option<bool>) -> Block {
        let Some(Container::List { start, items }) = self.containers.last() else {
            return Block::bulleted_list_item(text);
        };
        match (task, start) {
            (Some(checked), _) => Block::to_do(text, checked),
            (None, None) => Block::bulleted_list_item(text),
            (None, Some(start)) => {
                let list_start_index =
                    (items.is_empty() && *start != 1).then(|| Number::from(*start));
                Block::new(BlockContent::NumberedListItem(NumberedListItemBlock {
                    rich_text: text,
                    list_start_index,
                    ..NumberedListItemBlock::default()
                }))
            }
        }
    }
}

/// Takes a leading plain paragraph as the container's own text; the rest are its children.
pub(super) fn split_first_paragraph(mut blocks: Vec<Block>) -> (Vec<RichText>, Vec<Block>) {
    let first_is_paragraph = blocks.first().is_some_and(
        |block| matches!(&block.content, BlockContent::Paragraph(p) if p.children.is_none()),
    );
    if !first_is_paragraph {
        return (Vec::new(), blocks);
    }
    let first = blocks.remove(0);
    match first.content {
        BlockContent::Paragraph(paragraph) => (paragraph.rich_text, blocks),
        _ => (Vec::new(), blocks),
    }
}

pub(super) fn table_block(
    width: usize,
    mut rows: Vec<Vec<Vec<RichText>>>,
    line: usize,
) -> Result<Block, MarkdownError> {
    let width = rows.iter().map(Vec::len).fold(width, usize::max).max(1);
    for row in &mut rows {
        row.resize_with(width, Vec::new);
    }
    let table = Block::table(u32::try_from(width).unwrap_or(u32::MAX), true, rows);
    if let Some(rows) = table.children() {
        for row in rows {
            let bytes = serde_json::to_vec(row).map_or(usize::MAX, |json| json.len());
            if bytes > MAX_BLOCK_BYTES {
                return Err(MarkdownError::TableRowTooLarge { line });
            }
        }
    }
    Ok(table)
}
