use super::*;
use crate::markdown::to_blocks;
use crate::notion::model::{FileObject, MediaBlock};

fn nodes(markdown: &str) -> Vec<BlockNode> {
    BlockNode::from_requests(to_blocks(markdown).unwrap().blocks)
}

/// Markdown → blocks → Markdown → blocks gives the same blocks.
fn assert_round_trip(markdown: &str) {
    let first = nodes(markdown);
    let rendered = blocks_to_markdown(&first);
    let second = nodes(&rendered);
    assert_eq!(first, second, "rendered:\n{rendered}");
}

#[test]
fn renders_every_construct() {
    let markdown = "# Title\n\nSome **bold** and *it* and ~~x~~ and `c` and [l](https://e.x).\n\n\
        - a\n  - b\n- c\n\n3. three\n4. four\n\n- [ ] todo\n- [x] done\n\n> quote\n>\n> - in\n\n\
        ```rust\nfn main() {}\n```\n\n---\n\n| h | i |\n| --- | --- |\n| 1 | 2 |\n\n\
        ![cap](https://e.x/i.png)\n\n$$\nx^2\n$$\n\ninline $y$ math\n";
    let rendered = blocks_to_markdown(&nodes(markdown));
    assert_eq!(
        rendered,
        "# Title\n\nSome **bold** and *it* and ~~x~~ and `c` and [l](https://e.x).\n\n\
        - a\n\n  - b\n- c\n\n3. three\n4. four\n\n- [ ] todo\n- [x] done\n\n> quote\n>\n> - in\n\n\
        ```rust\nfn main() {}\n```\n\n---\n\n| h | i |\n| --- | --- |\n| 1 | 2 |\n\n\
        ![cap](https://e.x/i.png)\n\n$$\nx^2\n$$\n\ninline $y$ math\n"
    );
}

#[test]
fn round_trips_through_markdown() {
    for markdown in [
        "# One\n## Two\n### Three\n#### Four",
        "para *one*\nline two\n\npara **two** with `code` and ~~strike~~",
        "- a\n  - b\n    - c\n- d\n\n1. x\n2. y",
        "- [ ] open\n  - [x] nested done",
        "> q1\n> q2\n>\n> > inner\n>\n> ```\n> code\n> ```",
        "```python\nprint('x')\n```\n\n~~~\n```\nfence\n```\n~~~",
        "| a | b |\n|---|---|\n| 1 | **2** |\n| 3 | |",
        "text with * star _ under [brackets] <tag> $ dollar ~ tilde & amp \\ backslash",
        "# not a heading\n\n\\# escaped\n\n1\\. not a list\n\n\\- not a bullet",
        "[link **bold**](https://e.x/a_b) and <https://auto.x>",
        "$$\n\\frac{a}{b}\n$$\n\nand $x_1$ inline",
        "![alt *text*](https://e.x/a.png)",
        "---\n\n***\n\nafter",
        "`` a`b ``",
    ] {
        assert_round_trip(markdown);
    }
}

#[test]
fn plain_text_concatenates_in_document_order() {
    let tree =
        nodes("# T\n\n- a **b**\n  - c\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```");
    assert_eq!(plain_text(&tree), "T\na b\nc\nx\ty\n1\t2\ncode\n");
    assert_eq!(plain_text(&[]), "");
}

#[test]
fn blocks_markdown_cannot_express_stay_readable() {
    let toggle = BlockNode {
        block: Block::toggle(vec![RichText::text("more")]),
        children: vec![BlockNode::leaf(Block::paragraph(vec![RichText::text(
            "hidden",
        )]))],
    };
    let video = BlockNode::leaf(Block::new(BlockContent::Video(MediaBlock::new(
        FileObject::external("https://e.x/v.mp4"),
    ))));
    let unknown: Block = serde_json::from_value(serde_json::json!(
        {"type":"ai_block","ai_block":{}}
    ))
    .unwrap();
    let rendered = blocks_to_markdown(&[toggle, video, BlockNode::leaf(unknown)]);
    assert_eq!(
        rendered,
        "<details>\n<summary>more</summary>\n\nhidden\n\n</details>\n\n\
         [https://e.x/v.mp4](https://e.x/v.mp4)\n\n<!-- ai_block -->\n"
    );
    assert_eq!(blocks_to_markdown(&[]), "");
}
