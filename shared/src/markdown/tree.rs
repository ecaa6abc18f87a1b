//! A block tree with children held beside each block (how blocks come back from Notion, one
//! level per request) rather than inside the payload (how requests carry them).

use crate::notion::model::Block;

/// One block and its children, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockNode {
    /// The block; its payload's `children` slot is left empty.
    pub block: Block,
    pub children: Vec<BlockNode>,
}

impl BlockNode {
    pub fn leaf(block: Block) -> Self {
        Self {
            block,
            children: Vec::new(),
        }
    }

    /// Moves a request-form block's nested children into nodes.
    pub fn from_request(mut block: Block) -> Self {
        let children = block
            .children_mut()
            .and_then(Option::take)
            .unwrap_or_default();
        Self {
            block,
            children: Self::from_requests(children),
        }
    }

    pub fn from_requests(blocks: Vec<Block>) -> Vec<Self> {
        blocks.into_iter().map(Self::from_request).collect()
    }

    /// The request form: children nested inside the payload (dropped for types that cannot hold
    /// children in a request, which never come from [`super::to_blocks`]).
    pub fn into_request(self) -> Block {
        let children: Vec<Block> = self.children.into_iter().map(Self::into_request).collect();
        if children.is_empty() {
            self.block
        } else {
            self.block.with_children(children)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notion::model::RichText;

    #[test]
    fn request_form_round_trip() {
        let block = Block::bulleted_list_item(vec![RichText::text("a")]).with_children(vec![
            Block::paragraph(vec![RichText::text("b")]).with_children(vec![Block::divider()]),
        ]);
        let node = BlockNode::from_request(block.clone());
        assert_eq!(node.children.len(), 1);
        assert_eq!(node.children[0].children.len(), 1);
        assert!(node.block.children().is_none());
        assert_eq!(node.into_request(), block);
    }
}
