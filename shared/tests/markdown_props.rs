//! Property tests of the Markdown write path: for generated documents, every planned request
//! satisfies Notion's limits, executing the plan rebuilds exactly the converted tree, and the
//! tree's text is the text pulldown-cmark itself finds in the Markdown (nothing lost or
//! reordered).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use pulldown_cmark::{Event, Options, Parser};
use relay_shared::markdown::limits::validate_children;
use relay_shared::markdown::{
    BlockNode, CreationPlan, MemoryAppender, PlanProgress, execute, plain_text, plan_requests,
    to_blocks,
};

/// The text pulldown-cmark reports for a document (with the options `to_blocks` uses).
fn cmark_text(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH;
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t)
            | Event::Code(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t)
            | Event::Html(t)
            | Event::InlineHtml(t) => text.push_str(&t),
            _ => {}
        }
    }
    text
}

/// Block boundaries, line breaks and trimming only change whitespace.
fn without_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Converts, plans, checks every request, executes against memory and compares trees and text.
fn check_document(markdown: &str) -> Result<CreationPlan, TestCaseError> {
    let document = to_blocks(markdown).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let expected = BlockNode::from_requests(document.blocks.clone());
    let plan = plan_requests(document.blocks).map_err(|e| TestCaseError::fail(e.to_string()))?;

    validate_children(&plan.initial_children)
        .map_err(|e| TestCaseError::fail(format!("page creation: {e}")))?;
    for (step, append) in plan.appends.iter().enumerate() {
        validate_children(&append.children)
            .map_err(|e| TestCaseError::fail(format!("append {step}: {e}")))?;
    }

    let mut appender = MemoryAppender::new();
    let page = appender.create_page(&plan.initial_children).unwrap();
    let mut progress = PlanProgress::default();
    futures::executor::block_on(execute(&plan, &page, &mut appender, &mut progress))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let tree = appender.tree(&page);
    prop_assert!(
        tree == expected,
        "the rebuilt tree differs from the converted one"
    );

    let ours = without_whitespace(&plain_text(&tree));
    let theirs = without_whitespace(&cmark_text(markdown));
    if ours != theirs {
        let common = ours
            .chars()
            .zip(theirs.chars())
            .take_while(|(a, b)| a == b)
            .count();
        let tail = |s: &str| s.chars().skip(common).take(60).collect::<String>();
        return Err(TestCaseError::fail(format!(
            "text differs after {common} characters: ours {:?}, pulldown-cmark {:?}",
            tail(&ours),
            tail(&theirs)
        )));
    }
    Ok(plan)
}

// ---- generators -------------------------------------------------------------------------

/// A word: ASCII, accented and CJK letters, emoji (including a ZWJ family), and now and then
/// Markdown punctuation that the parser may or may not treat as syntax.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9]{1,12}",
        2 => "[éüßñ語文字]{1,6}",
        1 => prop::sample::select(vec!["😀", "👩‍👩‍👧", "🎉🎉", "\u{1F600}x", "a\u{301}"])
            .prop_map(str::to_owned),
        1 => prop::sample::select(vec![
            "*", "_", "[x]", "<b>", "&amp;", "\\", "|", "~", "#", "`", "$", "1.", "-", ">",
        ])
        .prop_map(str::to_owned),
    ]
}

fn words(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 1..max).prop_map(|w| w.join(" "))
}

/// Inline Markdown: formatted runs, links (absolute and relative), inline code and math, images.
fn inline_text() -> impl Strategy<Value = String> {
    let span = prop_oneof![
        8 => words(8),
        1 => words(4).prop_map(|t| format!("**{t}**")),
        1 => words(4).prop_map(|t| format!("*{t}*")),
        1 => words(4).prop_map(|t| format!("~~{t}~~")),
        1 => "[a-z ]{1,10}".prop_map(|t| format!("`{t}`")),
        1 => (words(3), prop::bool::ANY).prop_map(|(t, absolute)| if absolute {
            format!("[{t}](https://example.com/{})", t.len())
        } else {
            format!("[{t}](./page-{}.md)", t.len())
        }),
        1 => "[a-z+^]{1,12}".prop_map(|t| format!("${t}$")),
        1 => words(3).prop_map(|t| format!("![{t}](https://example.com/i.png)")),
    ];
    prop::collection::vec(span, 1..12).prop_map(|spans| spans.join(" "))
}

/// A long paragraph (up to 10,000 characters) with multibyte characters and emoji, drawn from a
/// seed (generating 10,000 characters one strategy value at a time is slow in debug builds).
fn long_paragraph() -> impl Strategy<Value = String> {
    const ALPHABET: [&str; 8] = ["a", "é", "語", "😀", " ", "b", "z", "👩‍👩‍👧"];
    (any::<u64>(), 0..10_000usize, prop::bool::ANY).prop_map(|(seed, len, bold)| {
        let mut state = seed | 1;
        let mut text = String::with_capacity(len * 2);
        for _ in 0..len {
            // xorshift: cheap, deterministic, good enough to mix the alphabet.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(ALPHABET[(state % ALPHABET.len() as u64) as usize]);
        }
        let text = text.trim();
        match (text.is_empty(), bold) {
            (true, _) => "x".to_owned(),
            (false, true) => format!("**{text}** tail"),
            (false, false) => text.to_owned(),
        }
    })
}

#[derive(Debug, Clone)]
enum Node {
    Paragraph(String),
    Heading(usize, String),
    List {
        marker: ListMarker,
        items: Vec<(String, Vec<Node>)>,
    },
    Quote(Vec<Node>),
    Code(String, String),
    Table(Vec<Vec<String>>),
    Divider,
    Math(String),
}

#[derive(Debug, Clone, Copy)]
enum ListMarker {
    Bullet,
    Ordered,
    Task,
}

fn leaf_node() -> impl Strategy<Value = Node> {
    prop_oneof![
        6 => inline_text().prop_map(Node::Paragraph),
        1 => long_paragraph().prop_map(Node::Paragraph),
        2 => (1..=6usize, inline_text()).prop_map(|(level, text)| Node::Heading(level, text)),
        2 => (
            prop::sample::select(vec!["rust", "js", "", "bash", "weird", "c++", "yml"]),
            prop::collection::vec("[ -~é語😀]{0,120}", 0..20),
        )
            .prop_map(|(lang, lines)| Node::Code(lang.to_owned(), lines.join("\n"))),
        1 => (1..4usize, 0..250usize, words(4)).prop_map(|(width, rows, cell)| {
            Node::Table(
                (0..=rows)
                    .map(|r| (0..width).map(|c| format!("{cell} {r}.{c}")).collect())
                    .collect(),
            )
        }),
        1 => Just(Node::Divider),
        1 => "[a-z+^{}]{1,30}".prop_map(Node::Math),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    leaf_node().prop_recursive(5, 120, 8, |inner| {
        prop_oneof![
            3 => (
                prop::sample::select(vec![ListMarker::Bullet, ListMarker::Ordered, ListMarker::Task]),
                prop::collection::vec((inline_text(), prop::collection::vec(inner.clone(), 0..4)), 1..8),
            )
                .prop_map(|(marker, items)| Node::List { marker, items }),
            1 => prop::collection::vec(inner, 1..5).prop_map(Node::Quote),
        ]
    })
}

/// Writes nodes as Markdown, each line prefixed by `indent` (spaces for list content, `> `
/// for quotes), blocks separated by blank lines.
fn render(nodes: &[Node], indent: &str, out: &mut String) {
    for node in nodes {
        render_node(node, indent, out);
        out.push_str(indent.trim_end());
        out.push('\n');
    }
}

fn push_line(out: &mut String, indent: &str, line: &str) {
    out.push_str(indent);
    out.push_str(line);
    out.push('\n');
}

fn render_node(node: &Node, indent: &str, out: &mut String) {
    match node {
        Node::Paragraph(text) => push_line(out, indent, text),
        Node::Heading(level, text) => {
            push_line(out, indent, &format!("{} {text}", "#".repeat(*level)));
        }
        Node::Code(lang, text) => {
            push_line(out, indent, &format!("````{lang}"));
            for line in text.split('\n') {
                push_line(out, indent, line);
            }
            push_line(out, indent, "````");
        }
        Node::Table(rows) => {
            for (index, row) in rows.iter().enumerate() {
                push_line(out, indent, &format!("| {} |", row.join(" | ")));
                if index == 0 {
                    push_line(out, indent, &format!("|{}", "---|".repeat(row.len())));
                }
            }
        }
        Node::Divider => push_line(out, indent, "---"),
        Node::Math(expression) => {
            push_line(out, indent, "$$");
            push_line(out, indent, expression);
            push_line(out, indent, "$$");
        }
        Node::Quote(children) => {
            render(children, &format!("{indent}> "), out);
        }
        Node::List { marker, items } => {
            for (index, (text, children)) in items.iter().enumerate() {
                let bullet = match marker {
                    ListMarker::Bullet => "- ".to_owned(),
                    ListMarker::Ordered => format!("{}. ", index + 1),
                    ListMarker::Task => format!("- [{}] ", if index % 2 == 0 { " " } else { "x" }),
                };
                let child_indent = format!(
                    "{indent}{}",
                    " ".repeat(if matches!(marker, ListMarker::Task) {
                        2
                    } else {
                        bullet.len()
                    })
                );
                push_line(out, indent, &format!("{bullet}{text}"));
                if !children.is_empty() {
                    out.push_str(child_indent.trim_end());
                    out.push('\n');
                    render(children, &child_indent, out);
                }
            }
        }
    }
}

fn markdown(nodes: &[Node]) -> String {
    let mut out = String::new();
    render(nodes, "", &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn generated_documents_plan_within_limits_and_keep_their_text(
        nodes in prop::collection::vec(node(), 0..20)
    ) {
        check_document(&markdown(&nodes))?;
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_keeps_its_text(input in "[ -~é語😀\n\t>*_`|#$\\-\\[\\]]{0,400}") {
        check_document(&input)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, ..ProptestConfig::default() })]

    #[test]
    fn many_top_level_blocks_are_appended_in_order(
        nodes in prop::collection::vec(
            prop_oneof![
                4 => words(6).prop_map(Node::Paragraph),
                1 => words(3).prop_map(|t| Node::Heading(2, t)),
                1 => Just(Node::Divider),
                1 => words(3).prop_map(|t| Node::List {
                    marker: ListMarker::Bullet,
                    items: vec![(t.clone(), vec![Node::Paragraph(t)])],
                }),
            ],
            1_000..2_500,
        )
    ) {
        let plan = check_document(&markdown(&nodes))?;
        prop_assert!(!plan.initial_children.is_empty());
        prop_assert!(plan.appends.len() >= 9);
    }
}
