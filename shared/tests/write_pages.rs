//! The write path end to end against the Notion emulator: `POST /connections/{id}/pages`
//! creates pages whose block trees equal the Markdown, rows with every writable property type,
//! and refuses invalid input by name without creating anything.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod connect_support;
mod write_support;

use relay_shared::markdown::{plan_requests, to_blocks};
use reqwest::StatusCode;
use serde_json::{Value, json};
use write_support::{Writer, count_blocks, expected_markdown, long_document};

#[tokio::test]
async fn a_long_document_becomes_the_expected_tree() {
    let writer = Writer::start().await;
    let markdown = long_document();
    let planned = plan_requests(to_blocks(&markdown).unwrap().blocks).unwrap();
    assert!(planned.block_count() > 1_000, "{}", planned.block_count());
    assert!(planned.appends.len() > 10);
    let pages_before = writer.page_count();

    let answer = writer
        .create(
            &json!({
                "parent": {"page_id": writer.top_page()},
                "title": "Release notes",
                "markdown": markdown,
                "icon": "📝",
                "cover": "https://images.example.com/cover.png",
            }),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let id = answer.body["id"].as_str().unwrap();
    assert_eq!(answer.body["blocks_written"], planned.block_count());
    assert!(answer.body["url"].as_str().unwrap().starts_with("http"));
    assert_eq!(writer.page_count(), pages_before + 1);

    let tree = writer.tree(id);
    assert_eq!(count_blocks(&tree), planned.block_count());
    assert_eq!(writer.body_markdown(id), expected_markdown(&markdown));

    let page = writer.relay.emu.page_json(id).unwrap();
    assert_eq!(page["icon"]["emoji"], "📝");
    assert_eq!(
        page["cover"]["external"]["url"],
        "https://images.example.com/cover.png"
    );
    let title: String = page["properties"]["title"]["title"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["plain_text"].as_str().unwrap())
        .collect();
    assert_eq!(title, "Release notes");
}

/// The first data source with the generated schema (every property type), and a user id.
fn rich_data_source(writer: &Writer) -> (String, String) {
    let ws = writer.relay.emu.workspace_json();
    let source = writer
        .relay
        .emu
        .data_source_ids()
        .into_iter()
        .find(|id| {
            ws["data_sources"]
                .as_array()
                .and_then(|sources| sources.iter().find(|s| s["id"] == id.as_str()))
                .is_some_and(|s| s["properties"].get("Status").is_some())
        })
        .or_else(|| writer.relay.emu.data_source_ids().into_iter().next())
        .unwrap();
    let user = ws["users"][0]["id"].as_str().unwrap().to_owned();
    (source, user)
}

fn data_source_json(writer: &Writer, id: &str) -> Value {
    let ws = writer.relay.emu.workspace_json();
    let found = ws["data_sources"]
        .as_array()
        .and_then(|sources| sources.iter().find(|s| s["id"] == id).cloned());
    found.unwrap_or_else(|| ws["data_sources"][id].clone())
}

#[tokio::test]
async fn a_row_gets_every_writable_property_type() {
    let writer = Writer::start().await;
    let (source, user) = rich_data_source(&writer);
    let schema = data_source_json(&writer, &source);
    assert!(
        schema["properties"].get("Status").is_some(),
        "generated schema: {schema}"
    );
    let related = writer.relay.emu.row_ids(&source)[0].clone();
    let answer = writer
        .create(
            &json!({
                "parent": {"data_source_id": source},
                "title": "Write the docs",
                "markdown": "Row body with a list:\n\n- one\n- two\n",
                "properties": {
                    "Notes": "plain notes",
                    "Estimate": 3.5,
                    "Priority": "High",
                    "Tags": ["docs", "brand-new-tag"],
                    "Status": "In progress",
                    "Due": {"start": "2026-05-01", "end": "2026-05-03"},
                    "Assignee": [user],
                    "Attachments": ["https://files.example.com/spec.pdf"],
                    "Done": true,
                    "Link": "https://example.com/issue/1",
                    "Contact": "ada@example.com",
                    "Phone": "+44 20 7946 0000",
                    "Related": [related],
                }
            }),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let warnings = answer.body["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w["kind"] == "option_created"
            && w["message"].as_str().unwrap().contains("brand-new-tag")),
        "{warnings:?}"
    );
    let id = answer.body["id"].as_str().unwrap();
    let page = writer.relay.emu.page_json(id).unwrap();
    let props = &page["properties"];
    let text = |value: &Value| -> String {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["plain_text"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(page["parent"]["data_source_id"], source.as_str());
    assert_eq!(text(&props["Name"]["title"]), "Write the docs");
    assert_eq!(text(&props["Notes"]["rich_text"]), "plain notes");
    assert_eq!(props["Estimate"]["number"], 3.5);
    assert_eq!(props["Priority"]["select"]["name"], "High");
    let tags: Vec<&str> = props["Tags"]["multi_select"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["docs", "brand-new-tag"]);
    assert_eq!(props["Status"]["status"]["name"], "In progress");
    assert_eq!(props["Due"]["date"]["start"], "2026-05-01");
    assert_eq!(props["Due"]["date"]["end"], "2026-05-03");
    assert_eq!(props["Assignee"]["people"][0]["id"], user.as_str());
    assert_eq!(
        props["Attachments"]["files"][0]["external"]["url"],
        "https://files.example.com/spec.pdf"
    );
    assert_eq!(props["Done"]["checkbox"], true);
    assert_eq!(props["Link"]["url"], "https://example.com/issue/1");
    assert_eq!(props["Contact"]["email"], "ada@example.com");
    assert_eq!(props["Phone"]["phone_number"], "+44 20 7946 0000");
    assert_eq!(props["Related"]["relation"][0]["id"], related.as_str());
    assert_eq!(
        writer.body_markdown(id),
        expected_markdown("Row body with a list:\n\n- one\n- two\n")
    );
}

#[tokio::test]
async fn a_single_source_database_takes_rows_and_a_multi_source_one_is_refused() {
    let writer = Writer::start().await;
    let ws = writer.relay.emu.workspace_json();
    let emu = &writer.relay.emu;
    let sources_of = |db: &str| -> Vec<String> {
        emu.data_source_ids()
            .into_iter()
            .filter(|ds| data_source_json(&writer, ds)["parent"]["database_id"] == db)
            .collect()
    };
    let databases = emu.database_ids();
    let single = databases
        .iter()
        .find(|db| sources_of(db).len() == 1)
        .expect("a single-source database");
    let multi = databases
        .iter()
        .find(|db| sources_of(db).len() == 2)
        .expect("a multi-source database");
    let _ = ws;

    let answer = writer
        .create(
            &json!({"parent": {"database_id": single}, "title": "Row via database"}),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let page = emu.page_json(answer.body["id"].as_str().unwrap()).unwrap();
    assert_eq!(
        page["parent"]["data_source_id"],
        sources_of(single)[0].as_str()
    );

    let before = writer.page_count();
    let answer = writer
        .create(
            &json!({"parent": {"database_id": multi}, "title": "Ambiguous"}),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{:?}", answer.body);
    assert_eq!(answer.code(), "multi_source_database");
    for source in sources_of(multi) {
        assert!(answer.message().contains(&source), "{}", answer.message());
    }
    assert_eq!(writer.page_count(), before);
}

#[tokio::test]
async fn invalid_input_is_named_and_creates_nothing() {
    let writer = Writer::start().await;
    let (source, _) = rich_data_source(&writer);
    let page = writer.top_page();
    let unknown = "0f0e0d0c-0b0a-4909-8807-060504030201";
    let row = |properties: Value| json!({"parent": {"data_source_id": source}, "title": "Row", "properties": properties});
    let cases = [
        (
            json!({"parent": {"page_id": unknown}, "title": "Lost"}),
            "parent.page_id:",
        ),
        (
            json!({"parent": {"data_source_id": unknown}, "title": "Lost"}),
            "parent.data_source_id:",
        ),
        (
            json!({"parent": {"database_id": unknown}, "title": "Lost"}),
            "parent.database_id:",
        ),
        (
            json!({"parent": {"page_id": "not-an-id"}, "title": "Lost"}),
            "parent.page_id: must be a Notion id",
        ),
        (
            row(json!({"Nope": 1})),
            "properties.Nope: the data source has no such property",
        ),
        (
            row(json!({"Estimate": "three"})),
            "properties.Estimate: expected a number for this number property, got a string",
        ),
        (
            row(json!({"Status": "Someday"})),
            "properties.Status: no status option named \"Someday\"",
        ),
        (
            row(json!({"Score": 2})),
            "properties.Score: formula properties are computed by Notion",
        ),
        (
            json!({"parent": {"data_source_id": source}, "title": "   "}),
            "title: is required",
        ),
        (
            json!({"parent": {"page_id": page}, "title": "Sub", "properties": {"A": 1}}),
            "properties: only rows",
        ),
        (
            json!({"parent": {"page_id": page}}),
            "body: missing field `title`",
        ),
        (
            json!({"parent": {"page_id": page}, "title": "T", "body": "x"}),
            "body: unknown field `body`",
        ),
    ];
    let before = writer.page_count();
    let blocks_before = writer.relay.emu.sizes().1;
    for (body, expected) in cases {
        let answer = writer.create(&body, None).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {:?}",
            answer.body
        );
        assert!(
            answer.message().starts_with(expected),
            "{body}: {}",
            answer.message()
        );
    }
    assert_eq!(writer.page_count(), before);
    assert_eq!(writer.relay.emu.sizes().1, blocks_before);

    let answer = writer.create_raw(vec![b' '; 1024 * 1024 + 10], None).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    let answer = writer
        .create(
            &json!({"parent": {"page_id": page}, "title": "T"}),
            Some("bad key"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.message().starts_with("Idempotency-Key:"));
    assert_eq!(writer.page_count(), before);
}

#[tokio::test]
async fn the_api_key_is_required() {
    let writer = Writer::start().await;
    let before = writer.page_count();
    let status = reqwest::Client::new()
        .post(writer.pages_url())
        .json(&json!({"parent": {"page_id": writer.top_page()}, "title": "T"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(writer.page_count(), before);
}

#[tokio::test]
async fn markdown_is_appended_to_an_existing_page() {
    use relay_shared::write::{WriteError, WriteService};
    let writer = Writer::start().await;
    let service = WriteService::new(writer.ctx.clone());
    let first = "# Start\n\nFirst part.\n";
    let answer = writer
        .create(
            &json!({"parent": {"page_id": writer.top_page()}, "title": "Log", "markdown": first}),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let id = answer.body["id"].as_str().unwrap();

    let more = long_document();
    let outcome = service
        .append_markdown(&writer.connection, id, &more)
        .await
        .unwrap();
    let planned = plan_requests(to_blocks(&more).unwrap().blocks).unwrap();
    assert_eq!(outcome.blocks_written, planned.block_count());
    let combined = format!("{first}\n{more}");
    assert_eq!(writer.body_markdown(id), expected_markdown(&combined));

    let error = service
        .append_markdown(
            &writer.connection,
            "0f0e0d0c-0b0a-4909-8807-060504030201",
            "text",
        )
        .await
        .unwrap_err();
    assert!(matches!(error, WriteError::NotFound(_)), "{error}");
    assert_eq!(error.to_api_error().status, StatusCode::NOT_FOUND);
}

/// A validation error Notion gives on the creation itself (about a property, the icon or the
/// body, not necessarily the parent) is relayed with Notion's message, not blamed on the parent.
#[tokio::test]
async fn a_notion_validation_error_on_create_is_not_blamed_on_the_parent() {
    use notion_emulator::Fault;
    let writer = Writer::start().await;
    let (source, _) = rich_data_source(&writer);
    for parent in [
        json!({"page_id": writer.top_page()}),
        json!({"data_source_id": source}),
    ] {
        writer
            .relay
            .emu
            .fail_next(Fault::status(400, 1).on_path("/v1/pages").on_method("POST"));
        let answer = writer
            .create(&json!({"parent": parent, "title": "Refused"}), None)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{:?}", answer.body);
        assert_eq!(
            answer.code(),
            "notion_validation_error",
            "{:?}",
            answer.body
        );
        assert!(
            !answer.message().starts_with("parent."),
            "{}",
            answer.message()
        );
        assert!(
            answer.message().contains("Injected validation error."),
            "{}",
            answer.message()
        );
    }
}

/// A row whose properties are large (a long rich-text value) and whose body is long still fits
/// Notion's 500 KB per request: the body sent with the creation leaves room for the properties.
#[tokio::test]
async fn large_properties_and_a_long_body_fit_the_request_limit() {
    let writer = Writer::start().await;
    let (source, _) = rich_data_source(&writer);
    let notes = "é".repeat(150_000);
    // Flat paragraphs first, so that the creation could carry up to its whole body budget.
    let paragraph = format!("{}\n\n", "ü".repeat(2_500));
    let markdown = format!("{}{}", paragraph.repeat(100), long_document());
    let planned = plan_requests(to_blocks(&markdown).unwrap().blocks).unwrap();
    let answer = writer
        .create(
            &json!({
                "parent": {"data_source_id": source},
                "title": "Big row",
                "markdown": markdown,
                "properties": {"Notes": notes},
            }),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let id = answer.body["id"].as_str().unwrap();
    assert_eq!(answer.body["blocks_written"], planned.block_count());
    assert_eq!(writer.body_markdown(id), expected_markdown(&markdown));
    let page = writer.relay.emu.page_json(id).unwrap();
    let written: String = page["properties"]["Notes"]["rich_text"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["plain_text"].as_str().unwrap())
        .collect();
    assert_eq!(written, notes);
}

/// Properties that alone exceed what one Notion request carries are refused by name before
/// anything is created.
#[tokio::test]
async fn properties_too_large_for_one_request_are_refused() {
    let writer = Writer::start().await;
    let (source, _) = rich_data_source(&writer);
    let before = writer.page_count();
    let answer = writer
        .create(
            &json!({
                "parent": {"data_source_id": source},
                "title": "字".repeat(150_000),
                "properties": {"Notes": "字".repeat(150_000)},
            }),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{:?}", answer.body);
    assert_eq!(answer.code(), "invalid_request", "{:?}", answer.body);
    assert!(
        answer.message().starts_with("properties:"),
        "{}",
        answer.message()
    );
    assert_eq!(writer.page_count(), before);
}
