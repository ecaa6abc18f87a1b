//! A long document (over 1,000 blocks: deep lists, long paragraphs, big tables, code) written
//! through the plan into an in-memory Notion, compared block for block with the expected tree;
//! and runs that fail mid-way and resume without duplicating anything.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::executor::block_on;
use relay_shared::markdown::limits::validate_children;
use relay_shared::markdown::{
    BlockNode, CreationPlan, ExecuteError, MemoryAppender, PlanProgress, execute, plain_text,
    plan_requests, to_blocks,
};
use relay_shared::notion::model::{BlockContent, RichText};

const DEEP_LEVELS: usize = 12;
const TABLE_ROWS: usize = 230;
const WIDE_CHILDREN: usize = 150;
const SECTIONS: usize = 120;

/// The long document and the number of blocks it must produce.
fn long_document() -> (String, usize) {
    let mut md = String::new();
    let mut blocks = 0;
    for section in 0..SECTIONS {
        md.push_str(&format!(
            "## Section {section}\n\nIntro *{section}* with [a link](https://e.x/{section}).\n\n"
        ));
        md.push_str(&format!(
            "- item {section}.a\n  1. sub {section}\n- [x] done {section}\n\n"
        ));
        md.push_str(&format!("> quote {section}\n\n---\n\n"));
        // heading, paragraph, item + numbered child, to-do, quote, divider
        blocks += 7;
    }
    // A list nested DEEP_LEVELS deep, two items per level.
    for level in 0..DEEP_LEVELS {
        md.push_str(&format!("{}- level {level} first\n", "  ".repeat(level)));
    }
    for level in (0..DEEP_LEVELS).rev() {
        md.push_str(&format!("{}- level {level} second\n", "  ".repeat(level)));
    }
    md.push('\n');
    blocks += 2 * DEEP_LEVELS;
    // One item with more children than one request may carry.
    md.push_str("- wide parent\n");
    for child in 0..WIDE_CHILDREN {
        md.push_str(&format!("  - wide child {child}\n"));
    }
    md.push('\n');
    blocks += 1 + WIDE_CHILDREN;
    // Long paragraphs with multibyte text and emoji: 12,000 characters, 6 items each.
    for paragraph in 0..5 {
        md.push_str(&format!("{paragraph} {}\n\n", "語é😀ab ".repeat(2_000)));
        blocks += 1;
    }
    // A table with more rows than one request may carry, and one inside a list item.
    md.push_str("| row | value | note |\n|---|---|---|\n");
    for row in 0..TABLE_ROWS {
        md.push_str(&format!("| r{row} | **{row}** | n{row} |\n"));
    }
    md.push_str("\n- holder\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n\n");
    blocks += 1 + 1 + TABLE_ROWS; // table, header row, rows
    blocks += 4; // holder item, its table and two rows
    // Code longer than 100 items of 2,000 characters continues in more code blocks.
    let code: String = (0..12_000)
        .map(|line| format!("let value_{line} = {line};\n"))
        .collect();
    md.push_str(&format!("```rust\n{code}```\n"));
    let items = (code.len() - 1).div_ceil(2_000);
    assert!(items > 100);
    blocks += items.div_ceil(100);
    (md, blocks)
}

fn count(nodes: &[BlockNode]) -> usize {
    nodes.iter().map(|node| 1 + count(&node.children)).sum()
}

fn depth(nodes: &[BlockNode]) -> usize {
    nodes
        .iter()
        .map(|node| 1 + depth(&node.children))
        .max()
        .unwrap_or(0)
}

fn plan_for(md: &str) -> (CreationPlan, Vec<BlockNode>) {
    let document = to_blocks(md).unwrap();
    let expected = BlockNode::from_requests(document.blocks.clone());
    (plan_requests(document.blocks).unwrap(), expected)
}

#[test]
fn a_long_document_is_written_exactly() {
    let (md, expected_blocks) = long_document();
    let (plan, expected) = plan_for(&md);
    assert_eq!(count(&expected), expected_blocks);
    assert!(expected_blocks > 1_000);
    assert_eq!(plan.block_count(), expected_blocks);

    validate_children(&plan.initial_children).unwrap();
    for append in &plan.appends {
        validate_children(&append.children).unwrap();
    }

    let mut notion = MemoryAppender::new();
    let page = notion.create_page(&plan.initial_children).unwrap();
    let mut progress = PlanProgress::default();
    let report = block_on(execute(&plan, &page, &mut notion, &mut progress)).unwrap();
    assert_eq!(report.steps_run, plan.appends.len());
    let tree = notion.tree(&page);
    assert_eq!(tree, expected);

    // Spot checks independent of the converter's own output.
    assert_eq!(count(&tree), expected_blocks);
    assert_eq!(depth(&tree), DEEP_LEVELS);
    let table = tree
        .iter()
        .find(|node| matches!(node.block.content, BlockContent::Table(_)))
        .unwrap();
    assert_eq!(table.children.len(), TABLE_ROWS + 1);
    for (index, row) in table.children.iter().skip(1).enumerate() {
        let BlockContent::TableRow(row) = &row.block.content else {
            panic!("not a row");
        };
        assert_eq!(
            RichText::concat_plain_text(&row.cells[0]),
            format!("r{index}")
        );
    }
    let wide = tree
        .iter()
        .find(|node| node.children.len() == WIDE_CHILDREN)
        .unwrap();
    assert_eq!(
        plain_text(std::slice::from_ref(&wide.children[149])),
        "wide child 149\n"
    );
    let text = plain_text(&tree);
    let first = text.find("Section 0").unwrap();
    let last = text.find(&format!("Section {}", SECTIONS - 1)).unwrap();
    assert!(first < last);
    assert_eq!(text.matches("😀").count(), 5 * 2_000);
    assert!(text.contains("let value_11999 = 11999;"));
}

#[test]
fn failures_at_any_step_resume_to_the_same_tree_without_duplicates() {
    let (md, expected_blocks) = long_document();
    let (plan, expected) = plan_for(&md);
    let last = plan.appends.len() - 1;
    for fail_at in [0, 1, last / 2, last] {
        let mut notion = MemoryAppender::new();
        let page = notion.create_page(&plan.initial_children).unwrap();
        notion.fail_on_call(fail_at);
        let mut progress = PlanProgress::default();
        let error = block_on(execute(&plan, &page, &mut notion, &mut progress)).unwrap_err();
        assert!(
            matches!(error, ExecuteError::Append { step, .. } if step == fail_at),
            "{error}"
        );
        assert_eq!(progress.steps_done(), fail_at);
        assert_ne!(notion.tree(&page), expected);

        // The progress is stored (e.g. with the idempotency record) and read back later.
        let stored = serde_json::to_vec(&progress).unwrap();
        let mut resumed: PlanProgress = serde_json::from_slice(&stored).unwrap();
        let report = block_on(execute(&plan, &page, &mut notion, &mut resumed)).unwrap();
        assert_eq!(report.steps_run, plan.appends.len() - fail_at);
        assert_eq!(
            notion.appends.len(),
            plan.appends.len(),
            "no step ran twice"
        );
        let tree = notion.tree(&page);
        assert_eq!(count(&tree), expected_blocks);
        assert_eq!(tree, expected);
    }
}
