use super::*;
use crate::markdown::limits::validate_children;
use crate::markdown::{BlockNode, MemoryAppender, PlanProgress, execute, to_blocks};
use crate::notion::model::RichText;

fn paragraph(text: &str) -> Block {
    Block::paragraph(vec![RichText::text(text)])
}

fn item(text: &str, children: Vec<Block>) -> Block {
    Block::bulleted_list_item(vec![RichText::text(text)]).with_children(children)
}

fn paragraphs(count: usize) -> Vec<Block> {
    (0..count).map(|i| paragraph(&i.to_string())).collect()
}

fn child_counts(blocks: &[Block]) -> Vec<usize> {
    blocks
        .iter()
        .map(|block| block.children().map_or(0, Vec::len))
        .collect()
}

fn assert_valid(plan: &CreationPlan) {
    validate_children(&plan.initial_children).unwrap();
    for (step, append) in plan.appends.iter().enumerate() {
        validate_children(&append.children).unwrap_or_else(|e| panic!("step {step}: {e}"));
        if let BlockRef::Created { step: parent, .. } = append.parent {
            assert!(
                parent < step,
                "step {step} appends to a later step {parent}"
            );
        }
    }
}

/// Runs the plan against memory and returns the page's tree.
fn run(plan: &CreationPlan) -> Vec<BlockNode> {
    let mut appender = MemoryAppender::new();
    let page = appender.create_page(&plan.initial_children).unwrap();
    let mut progress = PlanProgress::default();
    futures::executor::block_on(execute(plan, &page, &mut appender, &mut progress)).unwrap();
    appender.tree(&page)
}

fn plan_and_check(blocks: Vec<Block>) -> CreationPlan {
    let plan = plan_requests(blocks.clone()).unwrap();
    assert_valid(&plan);
    assert_eq!(run(&plan), BlockNode::from_requests(blocks));
    plan
}

#[test]
fn a_small_document_goes_whole_into_the_page_creation() {
    let blocks = vec![paragraph("a"), item("b", paragraphs(3)), Block::divider()];
    let plan = plan_and_check(blocks.clone());
    assert_eq!(plan.initial_children, blocks);
    assert!(plan.appends.is_empty());
    assert_eq!(plan.block_count(), 6);
    assert_eq!(plan_requests(Vec::new()).unwrap(), CreationPlan::default());
}

#[test]
fn top_level_blocks_beyond_100_are_appended_to_the_page_in_order() {
    let plan = plan_and_check(paragraphs(250));
    assert_eq!(plan.initial_children.len(), 100);
    assert_eq!(plan.appends.len(), 2);
    assert!(plan.appends.iter().all(|a| a.parent == BlockRef::Page));
    assert_eq!(
        plan.appends
            .iter()
            .map(|a| a.children.len())
            .collect::<Vec<_>>(),
        vec![100, 50]
    );
    assert_eq!(plan.appends[0].children[0], paragraph("100"));
}

#[test]
fn children_beyond_100_are_appended_to_their_parent() {
    let blocks = vec![
        paragraph("first"),
        item("big", paragraphs(150)),
        paragraph("last"),
    ];
    let plan = plan_and_check(blocks);
    // The page creation only carries complete blocks: it stops before the big item.
    assert_eq!(plan.initial_children, vec![paragraph("first")]);
    assert_eq!(plan.appends[0].parent, BlockRef::Page);
    assert_eq!(child_counts(&plan.appends[0].children), vec![100, 0]);
    assert_eq!(
        plan.appends[1].parent,
        BlockRef::Created { step: 0, index: 0 }
    );
    assert_eq!(plan.appends[1].children.len(), 50);
}

#[test]
fn grandchildren_are_appended_to_blocks_created_earlier() {
    let deep = item(
        "a",
        vec![
            paragraph("a1"),
            item("b", vec![item("c", vec![paragraph("d")])]),
            paragraph("a2"),
        ],
    );
    let plan = plan_and_check(vec![deep]);
    assert!(plan.initial_children.is_empty());
    // a with its leading leaf a1; then b and a2 appended to a; then c (with d) appended to b.
    assert_eq!(child_counts(&plan.appends[0].children), vec![1]);
    assert_eq!(
        plan.appends[1].parent,
        BlockRef::Created { step: 0, index: 0 }
    );
    assert_eq!(child_counts(&plan.appends[1].children), vec![0, 0]);
    assert_eq!(
        plan.appends[2].parent,
        BlockRef::Created { step: 1, index: 0 }
    );
    assert_eq!(child_counts(&plan.appends[2].children), vec![1]);
    assert_eq!(plan.appends.len(), 3);
}

#[test]
fn tables_are_created_with_their_first_100_rows() {
    let rows: Vec<_> = (0..250)
        .map(|i| vec![vec![RichText::text(i.to_string())], vec![]])
        .collect();
    let table = Block::table(2, true, rows);
    let plan = plan_and_check(vec![paragraph("x"), table]);
    assert_eq!(plan.initial_children.len(), 1);
    assert_eq!(child_counts(&plan.appends[0].children), vec![100]);
    assert_eq!(
        plan.appends[1].parent,
        BlockRef::Created { step: 0, index: 0 }
    );
    assert_eq!(plan.appends[1].children.len(), 100);
    assert_eq!(plan.appends[2].children.len(), 50);
}

#[test]
fn a_table_under_a_list_item_is_first_level_in_its_own_request() {
    let table = Block::table(1, false, vec![vec![vec![RichText::text("cell")]]]);
    let plan = plan_and_check(vec![item("holder", vec![paragraph("p"), table])]);
    // The item goes with its leading leaf; the table follows as a first-level block of the
    // next request to the item, carrying its row.
    assert_eq!(plan.appends.len(), 2);
    assert_eq!(child_counts(&plan.appends[0].children), vec![1]);
    assert_eq!(
        plan.appends[1].parent,
        BlockRef::Created { step: 0, index: 0 }
    );
    assert_eq!(child_counts(&plan.appends[1].children), vec![1]);
}

#[test]
fn requests_stay_within_1000_elements() {
    let blocks: Vec<_> = (0..30)
        .map(|i| item(&i.to_string(), paragraphs(60)))
        .collect();
    let plan = plan_and_check(blocks);
    for append in &plan.appends {
        let elements: usize = child_counts(&append.children).iter().map(|c| c + 1).sum();
        assert!(elements <= 1_000);
    }
}

#[test]
fn requests_stay_within_the_byte_budget() {
    let big = "x".repeat(1_999);
    let blocks: Vec<_> = (0..40)
        .map(|_| Block::paragraph(vec![RichText::text(big.clone()); 45]))
        .collect();
    let plan = plan_and_check(blocks);
    let options = PlanOptions::default();
    let size = |blocks: &[Block]| serde_json::to_vec(blocks).unwrap().len();
    assert!(size(&plan.initial_children) <= options.creation_bytes);
    for append in &plan.appends {
        assert!(size(&append.children) <= options.append_bytes);
    }
    assert!(plan.appends.len() >= 3);
}

#[test]
fn a_block_larger_than_a_request_is_an_error() {
    let huge = Block::paragraph(vec![RichText::text("x".repeat(1_999)); 300]);
    assert!(matches!(
        plan_requests(vec![huge]),
        Err(PlanError::BlockTooLarge { .. })
    ));
}

#[test]
fn empty_children_arrays_are_not_sent_as_a_third_level() {
    let blocks = vec![item("a", vec![item("b", Vec::new())])];
    let plan = plan_requests(blocks).unwrap();
    assert_valid(&plan);
    assert!(plan.appends.is_empty());
}

#[test]
fn plans_serialize_for_storage() {
    let document = to_blocks("- a\n  - b\n    - c").unwrap();
    let plan = plan_requests(document.blocks).unwrap();
    let json = serde_json::to_string(&plan).unwrap();
    assert!(
        json.contains(r#"{"type":"created","step":0,"index":0}"#),
        "{json}"
    );
    let back: CreationPlan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
}

#[test]
fn size_estimates_bound_the_json_closely() {
    let document = to_blocks(
        "# h *i*\n\npara **b** [l](https://e.x) $x$\n\n- a\n\n3. n\n\n- [x] t\n\n> q\n\n\
         ```rust\nfn \"x\"\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![c](https://e.x/i.png)\n\n---",
    )
    .unwrap();
    let mut blocks = document.blocks;
    blocks.push(Block::heading(2, vec![RichText::text("x")]));
    let rows = blocks
        .iter()
        .filter_map(|b| b.children())
        .flatten()
        .cloned()
        .collect::<Vec<_>>();
    for mut block in blocks.into_iter().chain(rows) {
        take_children(&mut block);
        let exact = serde_json::to_vec(&block).unwrap().len();
        let estimate = block_bytes(&block).unwrap();
        assert!(estimate >= exact, "{estimate} < {exact}: {block:?}");
        assert!(
            estimate <= exact + 150,
            "{estimate} far above {exact}: {block:?}"
        );
    }
}
