use super::*;
use serde_json::{Value, json};

use crate::markdown::{BlockNode, WarningKind, plain_text};

fn blocks(markdown: &str) -> Value {
    serde_json::to_value(to_blocks(markdown).unwrap().blocks).unwrap()
}

fn text(content: &str) -> Value {
    json!({"type":"text","text":{"content":content}})
}

fn styled(content: &str, bold: bool, italic: bool, strikethrough: bool, code: bool) -> Value {
    json!({"type":"text","text":{"content":content},"annotations":{"bold":bold,"italic":italic,
        "strikethrough":strikethrough,"underline":false,"code":code,"color":"default"}})
}

fn paragraph(items: Value) -> Value {
    json!({"type":"paragraph","paragraph":{"rich_text":items}})
}

fn warnings(markdown: &str) -> Vec<(WarningKind, usize)> {
    to_blocks(markdown)
        .unwrap()
        .warnings
        .into_iter()
        .map(|w| (w.kind, w.line))
        .collect()
}

#[test]
fn empty_input_gives_an_empty_document() {
    assert_eq!(to_blocks("").unwrap(), Document::default());
    assert_eq!(to_blocks("  \n\n\t\n").unwrap(), Document::default());
}

#[test]
fn headings_map_to_four_levels() {
    let md = "# One\n## Two\n### Three\n#### Four\n##### Five\n###### Six";
    let expected: Vec<Value> = [
        ("heading_1", "One"),
        ("heading_2", "Two"),
        ("heading_3", "Three"),
        ("heading_4", "Four"),
        ("heading_4", "Five"),
        ("heading_4", "Six"),
    ]
    .iter()
    .map(|(kind, content)| json!({"type":kind, *kind:{"rich_text":[text(content)]}}))
    .collect();
    assert_eq!(blocks(md), Value::Array(expected));
}

#[test]
fn inline_formatting_and_links() {
    let md = "Plain **bold** *it* ~~gone~~ `code` [link](https://e.x/a) ***both***";
    assert_eq!(
        blocks(md),
        json!([paragraph(json!([
            text("Plain "),
            styled("bold", true, false, false, false),
            text(" "),
            styled("it", false, true, false, false),
            text(" "),
            styled("gone", false, false, true, false),
            text(" "),
            styled("code", false, false, false, true),
            text(" "),
            {"type":"text","text":{"content":"link","link":{"url":"https://e.x/a"}}},
            text(" "),
            styled("both", true, true, false, false),
        ]))])
    );
}

#[test]
fn bold_link_and_autolinks() {
    assert_eq!(
        blocks("**[b](https://e.x)** <https://auto.x> <me@e.x>"),
        json!([paragraph(json!([
            {"type":"text","text":{"content":"b","link":{"url":"https://e.x"}},"annotations":
                {"bold":true,"italic":false,"strikethrough":false,"underline":false,"code":false,"color":"default"}},
            text(" "),
            {"type":"text","text":{"content":"https://auto.x","link":{"url":"https://auto.x"}}},
            text(" "),
            {"type":"text","text":{"content":"me@e.x","link":{"url":"mailto:me@e.x"}}},
        ]))])
    );
}

#[test]
fn line_breaks_become_newlines() {
    assert_eq!(
        blocks("one\ntwo  \nthree\\\nfour"),
        json!([paragraph(json!([text("one\ntwo\nthree\nfour")]))])
    );
}

#[test]
fn nested_lists_become_children() {
    let md = "- a\n  - b\n    1. c\n    2. d\n- e\n";
    assert_eq!(
        blocks(md),
        json!([
            {"type":"bulleted_list_item","bulleted_list_item":{"rich_text":[text("a")],"children":[
                {"type":"bulleted_list_item","bulleted_list_item":{"rich_text":[text("b")],"children":[
                    {"type":"numbered_list_item","numbered_list_item":{"rich_text":[text("c")]}},
                    {"type":"numbered_list_item","numbered_list_item":{"rich_text":[text("d")]}}
                ]}}
            ]}},
            {"type":"bulleted_list_item","bulleted_list_item":{"rich_text":[text("e")]}}
        ])
    );
}

#[test]
fn loose_items_keep_later_paragraphs_as_children() {
    let md = "1. first\n\n   second\n\n   ```rust\n   fn x() {}\n   ```\n";
    assert_eq!(
        blocks(md),
        json!([{"type":"numbered_list_item","numbered_list_item":{"rich_text":[text("first")],"children":[
            paragraph(json!([text("second")])),
            {"type":"code","code":{"rich_text":[text("fn x() {}")],"caption":[],"language":"rust"}}
        ]}}])
    );
}

#[test]
fn numbered_lists_keep_their_start() {
    assert_eq!(
        blocks("3. c\n4. d"),
        json!([
            {"type":"numbered_list_item","numbered_list_item":{"rich_text":[text("c")],"list_start_index":3}},
            {"type":"numbered_list_item","numbered_list_item":{"rich_text":[text("d")]}}
        ])
    );
}

#[test]
fn task_lists_become_to_dos() {
    let md = "- [ ] open\n- [x] done\n  - [X] nested\n- plain";
    assert_eq!(
        blocks(md),
        json!([
            {"type":"to_do","to_do":{"rich_text":[text("open")],"checked":false}},
            {"type":"to_do","to_do":{"rich_text":[text("done")],"checked":true,"children":[
                {"type":"to_do","to_do":{"rich_text":[text("nested")],"checked":true}}
            ]}},
            {"type":"bulleted_list_item","bulleted_list_item":{"rich_text":[text("plain")]}}
        ])
    );
}

#[test]
fn quotes_take_their_first_paragraph_and_nest_the_rest() {
    let md = "> said\n> more\n>\n> - item\n>\n> > inner";
    assert_eq!(
        blocks(md),
        json!([{"type":"quote","quote":{"rich_text":[text("said\nmore")],"children":[
            {"type":"bulleted_list_item","bulleted_list_item":{"rich_text":[text("item")]}},
            {"type":"quote","quote":{"rich_text":[text("inner")]}}
        ]}}])
    );
    assert_eq!(
        blocks("> # Title"),
        json!([{"type":"quote","quote":{"rich_text":[],"children":[
            {"type":"heading_1","heading_1":{"rich_text":[text("Title")]}}
        ]}}])
    );
}

#[test]
fn code_blocks_map_languages() {
    let md = "```js\nlet a = 1;\n\n```\n\n```\nraw\n```\n\n    indented\n\n```Dockerfile\nFROM x\n```\n\n```klingon\nx\n```";
    let code = |content: &str, language: &str| json!({"type":"code","code":{"rich_text":[text(content)],"caption":[],"language":language}});
    assert_eq!(
        blocks(md),
        json!([
            code("let a = 1;\n", "javascript"),
            code("raw", "plain text"),
            code("indented", "plain text"),
            code("FROM x", "docker"),
            code("x", "plain text"),
        ])
    );
    assert_eq!(
        blocks("```\n```"),
        json!([{"type":"code","code":{"rich_text":[],"caption":[],"language":"plain text"}}])
    );
}

#[test]
fn dividers_and_tables() {
    let md = "a\n\n---\n\n| h1 | **h2** |\n|----|:--:|\n| c1 | c2 |\n| only |\n";
    assert_eq!(
        blocks(md),
        json!([
            paragraph(json!([text("a")])),
            {"type":"divider","divider":{}},
            {"type":"table","table":{"table_width":2,"has_column_header":true,"has_row_header":false,"children":[
                {"type":"table_row","table_row":{"cells":[[text("h1")],[styled("h2", true, false, false, false)]]}},
                {"type":"table_row","table_row":{"cells":[[text("c1")],[text("c2")]]}},
                {"type":"table_row","table_row":{"cells":[[text("only")],[]]}}
            ]}}
        ])
    );
}

#[test]
fn table_rows_follow_the_header_width_as_gfm_does() {
    // GFM ignores cells beyond the header's (pulldown-cmark emits no event for them); shorter
    // rows are padded with empty cells so every row matches `table_width`.
    let document = to_blocks("| a | b |\n|---|---|\n| c | d | e |\n| f |\n").unwrap();
    let nodes = BlockNode::from_requests(document.blocks);
    assert_eq!(plain_text(&nodes), "a\tb\nc\td\nf\t\n");
}

#[test]
fn images_become_image_blocks_with_captions() {
    assert_eq!(
        blocks("![A *cat*](https://e.x/cat.png)"),
        json!([{"type":"image","image":{"type":"external","external":{"url":"https://e.x/cat.png"},
            "caption":[text("A "), styled("cat", false, true, false, false)]}}])
    );
    assert_eq!(
        blocks("before\n![i](https://e.x/i.png)\nafter"),
        json!([
            paragraph(json!([text("before")])),
            {"type":"image","image":{"type":"external","external":{"url":"https://e.x/i.png"},"caption":[text("i")]}},
            paragraph(json!([text("after")]))
        ])
    );
}

#[test]
fn urls_with_spaces_or_non_ascii_are_percent_encoded() {
    assert_eq!(
        blocks("[a](<https://e.x/a b>) [ü](https://e.x/ü) ![i](<https://e.x/i 1.png>)"),
        json!([
            paragraph(json!([
                {"type":"text","text":{"content":"a","link":{"url":"https://e.x/a%20b"}}},
                text(" "),
                {"type":"text","text":{"content":"ü","link":{"url":"https://e.x/%C3%BC"}}},
            ])),
            {"type":"image","image":{"type":"external","external":{"url":"https://e.x/i%201.png"},
                "caption":[text("i")]}}
        ])
    );
}

#[test]
fn images_notion_cannot_load_are_kept_as_text() {
    let md = "text ![logo](./logo.png)";
    assert_eq!(blocks(md), json!([paragraph(json!([text("text logo")]))]));
    assert_eq!(warnings(md), vec![(WarningKind::ImageKeptAsText, 1)]);
    let md = "# Title ![i](https://e.x/i.png)";
    assert_eq!(
        blocks(md),
        json!([{"type":"heading_1","heading_1":{"rich_text":[text("Title "),
            {"type":"text","text":{"content":"i","link":{"url":"https://e.x/i.png"}}}]}}])
    );
    assert_eq!(warnings(md), vec![(WarningKind::ImageKeptAsText, 1)]);
}

#[test]
fn html_is_kept_as_text() {
    assert_eq!(
        blocks("<div>\nhi\n</div>\n\na <b>b</b>"),
        json!([
            paragraph(json!([text("<div>\nhi\n</div>")])),
            paragraph(json!([text("a <b>b</b>")]))
        ])
    );
}

#[test]
fn math_becomes_equations() {
    assert_eq!(
        blocks("Euler: $e^{i\\pi}+1=0$\n\n$$\n\\int x\\,dx\n$$"),
        json!([
            paragraph(json!([text("Euler: "),
                {"type":"equation","equation":{"expression":"e^{i\\pi}+1=0"}}])),
            {"type":"equation","equation":{"expression":"\\int x\\,dx"}}
        ])
    );
}

#[test]
fn long_equations_fall_back_to_code_with_a_warning() {
    let long = "x+".repeat(600);
    let md = format!("intro\n\n$${long}$$\n\ninline ${long}$");
    let document = to_blocks(&md).unwrap();
    let json = serde_json::to_value(&document.blocks).unwrap();
    assert_eq!(json[1]["type"], "code");
    assert_eq!(json[1]["code"]["language"], "latex");
    assert_eq!(json[1]["code"]["rich_text"][0]["text"]["content"], long);
    assert_eq!(
        json[2]["paragraph"]["rich_text"][1]["annotations"]["code"],
        true
    );
    assert_eq!(
        warnings(&md),
        vec![
            (WarningKind::EquationKeptAsCode, 3),
            (WarningKind::EquationKeptAsCode, 5)
        ]
    );
}

#[test]
fn links_notion_rejects_keep_their_text() {
    let long_url = format!("https://e.x/{}", "a".repeat(2_000));
    let md = format!("see [docs](./docs.md)\n\nand [long]({long_url}) [js](javascript:alert(1))");
    assert_eq!(
        blocks(&md),
        json!([
            paragraph(json!([text("see docs")])),
            paragraph(json!([text("and long js")]))
        ])
    );
    let found = to_blocks(&md).unwrap().warnings;
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|w| w.kind == WarningKind::LinkKeptAsText));
    assert_eq!(found[0].line, 1);
    assert!(found[0].message.contains("./docs.md"));
    assert_eq!(found[1].line, 3);
    assert!(
        found[1].message.chars().count() < 200,
        "messages quote at most 100 characters"
    );
}

#[test]
fn long_text_is_split_into_items_of_2000_units() {
    let long = "ab😀".repeat(1_000); // 4,000 UTF-16 units
    let json = blocks(&long);
    let items = json[0]["paragraph"]["rich_text"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let joined: String = items
        .iter()
        .map(|item| item["text"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(joined, long);
}

fn alternating(count: usize) -> String {
    (0..count)
        .map(|i| {
            if i % 2 == 0 {
                format!("**b{i}**")
            } else {
                format!(" p{i} ")
            }
        })
        .collect()
}

#[test]
fn over_100_items_continue_in_more_paragraphs() {
    let json = blocks(&alternating(250));
    let paragraphs = json.as_array().unwrap();
    assert_eq!(paragraphs.len(), 3);
    let counts: Vec<usize> = paragraphs
        .iter()
        .map(|p| p["paragraph"]["rich_text"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, vec![100, 100, 50]);
}

#[test]
fn over_100_items_in_a_list_item_continue_in_paragraph_children() {
    let md = format!("- {}\n  - child", alternating(150));
    let json = blocks(&md);
    let item = &json[0]["bulleted_list_item"];
    assert_eq!(item["rich_text"].as_array().unwrap().len(), 100);
    let children = item["children"].as_array().unwrap();
    assert_eq!(children[0]["type"], "paragraph");
    assert_eq!(
        children[0]["paragraph"]["rich_text"]
            .as_array()
            .unwrap()
            .len(),
        50
    );
    assert_eq!(children[1]["type"], "bulleted_list_item");
}

#[test]
fn headings_and_code_continue_as_the_same_type() {
    let json = blocks(&format!("## {}", alternating(120)));
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[1]["type"], "heading_2");
    let code = format!("```python\n{}\n```", "x".repeat(250_000));
    let json = blocks(&code);
    let counts: Vec<usize> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["code"]["rich_text"].as_array().unwrap().len())
        .collect();
    assert_eq!(counts, vec![100, 25]);
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .all(|b| b["code"]["language"] == "python")
    );
}

#[test]
fn table_cells_over_100_items_merge_formatting() {
    let md = format!("| h |\n|---|\n| {} |\n", alternating(150));
    let document = to_blocks(&md).unwrap();
    assert_eq!(
        document.warnings.iter().map(|w| w.kind).collect::<Vec<_>>(),
        vec![WarningKind::FormattingMerged]
    );
    let json = serde_json::to_value(&document.blocks).unwrap();
    let cell = &json[0]["table"]["children"][1]["table_row"]["cells"][0];
    assert!(cell.as_array().unwrap().len() <= 100);
}

#[test]
fn deep_nesting_is_flattened_with_one_warning() {
    let md = ">".repeat(200) + " deep";
    let document = to_blocks(&md).unwrap();
    assert_eq!(
        document.warnings.iter().map(|w| w.kind).collect::<Vec<_>>(),
        vec![WarningKind::NestingFlattened]
    );
    let mut depth = 0;
    let mut level = document.blocks;
    while let Some(block) = level.into_iter().find(|b| b.children().is_some()) {
        depth += 1;
        level = block.children().cloned().unwrap_or_default();
    }
    assert!(
        depth < crate::markdown::limits::MAX_DOCUMENT_DEPTH,
        "{depth}"
    );
}

#[test]
fn oversized_input_is_refused() {
    let md = "a".repeat(crate::markdown::limits::MAX_MARKDOWN_BYTES + 1);
    assert!(matches!(
        to_blocks(&md),
        Err(MarkdownError::TooLarge { .. })
    ));
}

#[test]
fn odd_inputs_do_not_panic() {
    let inputs = [
        "[",
        "![",
        "![](",
        "<",
        "`",
        "```",
        "$$",
        "$",
        "$$$$",
        "| |\n|-|",
        "- [ ]",
        "1.",
        "> ",
        "*a **b* c**",
        "[a](<>)",
        "![a ![b](https://e.x/b)](https://e.x/a)",
        "- - - a",
        "\u{0}\u{feff}\r\n\r",
        "<!--",
        "[^1]\n\n[^1]: note",
        "a\\",
        "~~~\ncode",
        "* * *",
        "| a |\n|---|\n| ![i](https://e.x/i) $$x$$ |",
    ];
    for input in inputs {
        let _ = to_blocks(input);
    }
    let nested_items = (0..100)
        .map(|depth| format!("{}- x", "  ".repeat(depth)))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(to_blocks(&nested_items).is_ok());
}
