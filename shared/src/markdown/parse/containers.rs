//! Block containers (quotes, list items, tables) and where finished blocks go.

use serde_json::Number;

use crate::notion::model::{Block, BlockContent, NumberedListItemBlock, RichText};

use super::super::limits::{MAX_BLOCK_BYTES, MAX_DOCUMENT_DEPTH};
use super::super::rich_text::item_bytes;
use super::super::{MarkdownError, WarningKind};
use super::{Builder, Container};

impl Builder<'_> {
    /// Opens a quote or list item, or, past [`MAX_DOCUMENT_DEPTH`], a flattened one whose
    /// content joins the enclosing container (so its blocks are never nested deeper).
    pub(super) fn open_nested(&mut self, container: Container) {
        if self.depth + 1 < MAX_DOCUMENT_DEPTH {
            self.depth += 1;
            self.containers.push(container);
            return;
        }
        if !self.flattened {
            self.flattened = true;
            let line = self.line();
            self.warn(
                WarningKind::NestingFlattened,
                line,
                format!(
                    "quotes and list items nested deeper than {MAX_DOCUMENT_DEPTH} levels kept as \
                     their content"
                ),
            );
        }
        self.containers.push(Container::Flattened);
    }

    pub(super) fn pop_container(
        &mut self,
        wanted: impl Fn(&Container) -> bool,
    ) -> Option<Container> {
        if self.containers.len() > 1 && self.containers.last().is_some_and(wanted) {
            let container = self.containers.pop();
            if matches!(
                container,
                Some(Container::Quote(_) | Container::Item { .. })
            ) {
                self.depth = self.depth.saturating_sub(1);
            }
            container
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
                Container::Table { .. } | Container::Flattened => {}
            }
        }
    }

    /// Appends a block with its children nested in it.
    pub(super) fn push_nested(&mut self, block: Block, children: Vec<Block>) {
        let block = if children.is_empty() {
            block
        } else {
            block.with_children(children)
        };
        self.push_blocks(vec![block]);
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
        // `{"type":"table_row","table_row":{"cells":[...]}}`: a bound of the row's JSON.
        let bytes: usize = 60
            + row
                .iter()
                .map(|cell| 3 + cell.iter().map(|item| item_bytes(item) + 1).sum::<usize>())
                .sum::<usize>();
        if bytes > MAX_BLOCK_BYTES {
            return Err(MarkdownError::TableRowTooLarge { line });
        }
    }
    Ok(Block::table(
        u32::try_from(width).unwrap_or(u32::MAX),
        true,
        rows,
    ))
}
