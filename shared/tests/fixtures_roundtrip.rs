//! Every recorded Notion response in the fixtures folder parses into its typed model and
//! serializes back to exactly the same JSON. Fixtures recorded with Notion-Version 2026-03-11 are
//! also checked for accidental leniency: known types must land in typed members, not in
//! `Unknown` members or `extra` maps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use relay_shared::notion::model::{
    AsyncTask, Block, BlockContent, Comment, CustomEmoji, DataSource, Database, ErrorBody,
    ErrorCode, FileUpload, Introspection, List, Mention, OAuthErrorBody, OAuthTokenResponse, Page,
    PageMarkdown, PropertyConfig, PropertyData, PropertyItemResponse, PropertyValue, RichText,
    RichTextContent, RollupData, SearchResult, TemplatesList, User, View, ViewQuery, WebhookEvent,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Which model a fixture file is parsed with.
#[derive(Debug, Clone, Copy)]
enum Model {
    AsyncTask,
    Block,
    BlockList,
    CommentList,
    CustomEmojiList,
    DataSource,
    Database,
    Error,
    FileUpload,
    FileUploadList,
    OAuthError,
    OAuthToken,
    Introspection,
    Page,
    PageList,
    PageMarkdown,
    PropertyItem,
    SearchList,
    TemplatesList,
    User,
    UserList,
    View,
    ViewQuery,
    Webhook,
}

/// The explicit map of fixture file to model, and whether it was recorded with 2026-03-11
/// (the version whose shapes must parse without falling back to `Unknown`/`extra`).
const FIXTURES: &[(&str, Model, bool)] = &[
    ("async-task-queued.json", Model::AsyncTask, false),
    ("async-task-succeeded.json", Model::AsyncTask, false),
    (
        "block-children-append-file-blocks.json",
        Model::BlockList,
        true,
    ),
    ("block-children-append-many.json", Model::BlockList, true),
    (
        "block-children-append-mentions.json",
        Model::BlockList,
        true,
    ),
    ("block-children-columns.json", Model::BlockList, true),
    (
        "block-children-embed-bookmark-child-database.json",
        Model::BlockList,
        true,
    ),
    ("block-children-mixed.json", Model::BlockList, true),
    (
        "block-children-page1-has-more.json",
        Model::BlockList,
        false,
    ),
    ("block-children-page2-cursor.json", Model::BlockList, false),
    (
        "block-children-rich-text-annotations.json",
        Model::BlockList,
        true,
    ),
    ("block-children-tab.json", Model::BlockList, true),
    ("block-children-table-rows.json", Model::BlockList, true),
    ("block-delete-child-page.json", Model::Block, false),
    ("block-retrieve-code.json", Model::Block, true),
    ("block-update-table-row.json", Model::Block, true),
    ("comments-list.json", Model::CommentList, true),
    ("custom-emojis-list.json", Model::CustomEmojiList, false),
    ("data-source-all-props.json", Model::DataSource, true),
    ("data-source-create.json", Model::DataSource, true),
    ("data-source-query-all-props.json", Model::PageList, true),
    ("data-source-query-formulas.json", Model::PageList, true),
    (
        "data-source-query-rollups-has-more.json",
        Model::PageList,
        true,
    ),
    ("data-source-templates.json", Model::TemplatesList, false),
    ("data-source-update.json", Model::DataSource, true),
    ("database-2022-06-28.json", Model::Database, false),
    (
        "database-linked-inline-no-data-sources.json",
        Model::Database,
        true,
    ),
    ("database-two-data-sources.json", Model::Database, true),
    ("error-invalid-request-url.json", Model::Error, false),
    ("error-object-not-found.json", Model::Error, true),
    ("error-rate-limited.json", Model::Error, false),
    ("error-unauthorized.json", Model::Error, false),
    ("error-validation-error.json", Model::Error, true),
    ("file-upload-create-pending.json", Model::FileUpload, false),
    ("file-upload-send-uploaded.json", Model::FileUpload, false),
    (
        "file-uploads-list-has-more.json",
        Model::FileUploadList,
        false,
    ),
    ("oauth-error-invalid-client.json", Model::OAuthError, false),
    ("oauth-introspect.json", Model::Introspection, false),
    (
        "oauth-token-response-redacted.json",
        Model::OAuthToken,
        false,
    ),
    ("page-data-source-row-all-props.json", Model::Page, true),
    ("page-emoji-icon-external-cover.json", Model::Page, true),
    ("page-icon-native-icon.json", Model::Page, false),
    ("page-in-trash.json", Model::Page, true),
    ("page-markdown.json", Model::PageMarkdown, true),
    ("page-move.json", Model::Page, false),
    ("page-relation-has-more.json", Model::Page, true),
    ("property-item-number.json", Model::PropertyItem, true),
    (
        "property-item-relation-list.json",
        Model::PropertyItem,
        true,
    ),
    ("property-item-rollup-list.json", Model::PropertyItem, true),
    (
        "search-2022-06-28-page-or-database.json",
        Model::SearchList,
        false,
    ),
    ("search-data-sources.json", Model::SearchList, true),
    ("search-pages.json", Model::SearchList, true),
    ("user-me-bot.json", Model::User, false),
    ("users-list.json", Model::UserList, false),
    ("view-query-create.json", Model::ViewQuery, false),
    ("view.json", Model::View, false),
    (
        "webhook-comment-created-on-block.json",
        Model::Webhook,
        false,
    ),
    ("webhook-data-source-created.json", Model::Webhook, false),
    ("webhook-page-content-updated.json", Model::Webhook, false),
    (
        "webhook-page-properties-updated.json",
        Model::Webhook,
        false,
    ),
];

fn fixtures_dir() -> PathBuf {
    match std::env::var_os("NOTION_FIXTURES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/notion"
        )),
    }
}

fn fixture_files(dir: &Path) -> Vec<String> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("fixtures folder {} unreadable: {e}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no .json fixtures in {}", dir.display());
    names
}

fn load(dir: &Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"))
}

/// The first path where two JSON values differ, with both sides, or `None` when equal.
fn first_difference(path: &str, expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, e_value) in e {
                let child = format!("{path}.{key}");
                match a.get(key) {
                    None => return Some(format!("{child}: missing after round trip")),
                    Some(a_value) => {
                        if let Some(diff) = first_difference(&child, e_value, a_value) {
                            return Some(diff);
                        }
                    }
                }
            }
            a.keys()
                .find(|key| !e.contains_key(*key))
                .map(|key| format!("{path}.{key}: added by round trip: {}", a[key]))
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Some(format!("{path}: length {} became {}", e.len(), a.len()));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (e, a))| first_difference(&format!("{path}[{i}]"), e, a))
        }
        _ if expected == actual => None,
        _ => Some(format!("{path}: expected {expected}, got {actual}")),
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(name: &str, value: &Value) -> T {
    let parsed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| {
        panic!(
            "{name}: does not parse as {}: {e}",
            std::any::type_name::<T>()
        )
    });
    let back = serde_json::to_value(&parsed).unwrap();
    if let Some(diff) = first_difference("$", value, &back) {
        panic!("{name}: round trip differs at {diff}");
    }
    assert_eq!(&back, value, "{name}");
    parsed
}

/// Fields that fixtures at 2026-03-11 may still carry without a named field.
const TOLERATED_EXTRA: &[&str] = &["archived"];

fn assert_no_extra(context: &str, extra: &serde_json::Map<String, Value>) {
    let unexpected: Vec<&String> = extra
        .keys()
        .filter(|key| !TOLERATED_EXTRA.contains(&key.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{context}: unexpected extra fields {unexpected:?}"
    );
}

fn check_user(context: &str, user: &User) {
    assert_no_extra(context, &user.extra);
    if let Some(kind) = &user.kind {
        assert!(
            !kind.is_unknown(),
            "{context}: user kind {} untyped",
            kind.type_name()
        );
    }
}

fn check_rich_text(context: &str, items: &[RichText]) {
    for item in items {
        assert!(
            !item.content.is_unknown(),
            "{context}: rich text {:?}",
            item.content
        );
        assert_no_extra(context, &item.extra);
        if let Some(annotations) = &item.annotations {
            assert_no_extra(context, &annotations.extra);
        }
        match &item.content {
            RichTextContent::Text(text) => assert_no_extra(context, &text.extra),
            RichTextContent::Mention(mention) => {
                assert!(!mention.is_unknown(), "{context}: mention {mention:?}");
                if let Mention::User(user) = mention {
                    check_user(context, user);
                }
            }
            RichTextContent::Equation(_) | RichTextContent::Unknown(_) => {}
        }
    }
}

fn check_block(block: &Block) {
    let context = format!("block {:?} ({})", block.id, block.type_name());
    assert!(!block.content.is_unknown(), "{context}: untyped");
    assert_no_extra(&context, &block.extra);
    for user in block.created_by.iter().chain(&block.last_edited_by) {
        check_user(&context, user);
    }
    if let Some(rich_text) = block.rich_text() {
        check_rich_text(&context, rich_text);
    }
    match &block.content {
        BlockContent::Image(media)
        | BlockContent::Video(media)
        | BlockContent::Pdf(media)
        | BlockContent::Audio(media)
        | BlockContent::File(media) => {
            assert!(!media.file.is_unknown(), "{context}: file untyped");
            assert_no_extra(&context, &media.extra);
            check_rich_text(&context, &media.caption);
        }
        BlockContent::Code(code) => check_rich_text(&context, &code.caption),
        BlockContent::Bookmark(link) | BlockContent::Embed(link) => {
            check_rich_text(&context, &link.caption)
        }
        BlockContent::TableRow(row) => row.cells.iter().for_each(|c| check_rich_text(&context, c)),
        BlockContent::Paragraph(text) => {
            assert_no_extra(&context, &text.extra);
            if let Some(Some(icon)) = &text.icon {
                assert!(!icon.is_unknown(), "{context}: icon untyped");
            }
        }
        BlockContent::Callout(callout) => {
            assert_no_extra(&context, &callout.extra);
            if let Some(Some(icon)) = &callout.icon {
                assert!(!icon.is_unknown(), "{context}: icon untyped");
            }
        }
        BlockContent::LinkToPage(link) => assert!(!link.is_unknown(), "{context}"),
        BlockContent::SyncedBlock(synced) => {
            if let Some(from) = &synced.synced_from {
                assert!(!from.is_unknown(), "{context}");
            }
        }
        _ => {}
    }
}

fn check_property_value(context: &str, value: &PropertyValue) {
    assert!(
        !value.value.is_unknown(),
        "{context}: property {} untyped",
        value.type_name()
    );
    assert_no_extra(context, &value.extra);
    match &value.value {
        PropertyData::Title(items) | PropertyData::RichText(items) => {
            check_rich_text(context, items)
        }
        PropertyData::People(users) => users.iter().for_each(|u| check_user(context, u)),
        PropertyData::CreatedBy(user) | PropertyData::LastEditedBy(user) => {
            check_user(context, user)
        }
        PropertyData::Formula(formula) => assert!(!formula.is_unknown(), "{context}: formula"),
        PropertyData::Rollup(rollup) => {
            assert!(!rollup.value.is_unknown(), "{context}: rollup");
            assert_no_extra(context, &rollup.extra);
            if let RollupData::Array(items) = &rollup.value {
                items
                    .iter()
                    .for_each(|item| check_property_value(context, item));
            }
        }
        PropertyData::Files(files) => {
            for file in files {
                assert!(!file.file.is_unknown(), "{context}: file untyped");
                assert_no_extra(context, &file.extra);
            }
        }
        _ => {}
    }
}

fn check_page(page: &Page) {
    let context = format!("page {}", page.id);
    assert_no_extra(&context, &page.extra);
    assert!(
        page.parent
            .as_ref()
            .is_some_and(|p| !matches!(p, relay_shared::notion::model::Parent::Unknown(_)))
    );
    if let Some(Some(icon)) = &page.icon {
        assert!(!icon.is_unknown(), "{context}: icon untyped");
    }
    if let Some(Some(cover)) = &page.cover {
        assert!(!cover.is_unknown(), "{context}: cover untyped");
    }
    for (name, value) in &page.properties {
        check_property_value(&format!("{context} property {name}"), value);
    }
}

fn check_data_source(data_source: &DataSource) {
    let context = format!("data source {}", data_source.id);
    assert_no_extra(&context, &data_source.extra);
    for (name, schema) in &data_source.properties {
        assert!(
            !schema.config.is_unknown(),
            "{context}: property {name} untyped"
        );
        assert_no_extra(&context, &schema.extra);
        if let PropertyConfig::Relation(relation) = &schema.config {
            assert!(
                relation.kind.as_ref().is_some_and(|k| !k.is_unknown()),
                "{context}"
            );
            assert!(
                relation.data_source_id.is_some(),
                "{context}: relation without data source"
            );
        }
    }
    check_rich_text(&context, data_source.title.as_deref().unwrap_or_default());
}

fn check_database(database: &Database) {
    let context = format!("database {}", database.id);
    assert_no_extra(&context, &database.extra);
    assert!(!database.legacy_without_data_sources, "{context}");
    database
        .data_sources
        .iter()
        .for_each(|d| assert_no_extra(&context, &d.extra));
}

fn check_search_result(result: &SearchResult) {
    match result {
        SearchResult::Page(page) => check_page(page),
        SearchResult::DataSource(data_source) => check_data_source(data_source),
        SearchResult::Database(database) => check_database(database),
        SearchResult::Unknown(value) => panic!("untyped search result {value}"),
    }
}

/// Parses one fixture with its model, asserts the exact round trip and, for 2026-03-11
/// fixtures, that nothing known fell back to `Unknown` or `extra`.
fn check_fixture(name: &str, model: Model, strict: bool, value: &Value) {
    match model {
        Model::AsyncTask => drop(round_trip::<AsyncTask>(name, value)),
        Model::Block => {
            let block = round_trip::<Block>(name, value);
            if strict {
                check_block(&block);
            }
        }
        Model::BlockList => {
            let list = round_trip::<List<Block>>(name, value);
            if strict {
                list.results.iter().for_each(check_block);
            }
            assert!(
                list.results.iter().all(|b| !b.content.is_unknown()),
                "{name}"
            );
        }
        Model::CommentList => {
            let list = round_trip::<List<Comment>>(name, value);
            for comment in &list.results {
                assert_no_extra(name, &comment.extra);
                check_rich_text(name, &comment.rich_text);
            }
        }
        Model::CustomEmojiList => drop(round_trip::<List<CustomEmoji>>(name, value)),
        Model::DataSource => {
            let data_source = round_trip::<DataSource>(name, value);
            if strict {
                check_data_source(&data_source);
            }
        }
        Model::Database => {
            let database = round_trip::<Database>(name, value);
            if strict {
                check_database(&database);
            }
        }
        Model::Error => {
            let error = round_trip::<ErrorBody>(name, value);
            assert!(!matches!(error.code, ErrorCode::Unknown(_)), "{name}");
            assert_no_extra(name, &error.extra);
        }
        Model::FileUpload => drop(round_trip::<FileUpload>(name, value)),
        Model::FileUploadList => drop(round_trip::<List<FileUpload>>(name, value)),
        Model::OAuthError => {
            let error = round_trip::<OAuthErrorBody>(name, value);
            assert_no_extra(name, &error.extra);
        }
        Model::OAuthToken => {
            // Holds secrets: parse only (no Serialize), and every key must be recognised.
            let response: OAuthTokenResponse =
                serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                response.extra.is_empty(),
                "{name}: unrecognised {:?}",
                response.extra.keys()
            );
            assert!(!response.access_token.is_empty());
        }
        Model::Introspection => {
            let introspection = round_trip::<Introspection>(name, value);
            assert_no_extra(name, &introspection.extra);
        }
        Model::Page => {
            let page = round_trip::<Page>(name, value);
            if strict {
                check_page(&page);
            }
        }
        Model::PageList => {
            let list = round_trip::<List<Page>>(name, value);
            if strict {
                list.results.iter().for_each(check_page);
            }
        }
        Model::PageMarkdown => {
            let markdown = round_trip::<PageMarkdown>(name, value);
            assert_no_extra(name, &markdown.extra);
        }
        Model::PropertyItem => drop(round_trip::<PropertyItemResponse>(name, value)),
        Model::SearchList => {
            let list = round_trip::<List<SearchResult>>(name, value);
            if strict {
                list.results.iter().for_each(check_search_result);
            }
            assert!(
                list.results
                    .iter()
                    .all(|r| !matches!(r, SearchResult::Unknown(_))),
                "{name}: untyped results"
            );
        }
        Model::TemplatesList => drop(round_trip::<TemplatesList>(name, value)),
        Model::User => {
            let user = round_trip::<User>(name, value);
            check_user(name, &user);
        }
        Model::UserList => {
            let list = round_trip::<List<User>>(name, value);
            list.results.iter().for_each(|u| check_user(name, u));
        }
        Model::View => drop(round_trip::<View>(name, value)),
        Model::ViewQuery => drop(round_trip::<ViewQuery>(name, value)),
        Model::Webhook => {
            let event = round_trip::<WebhookEvent>(name, value);
            assert_no_extra(name, &event.extra);
        }
    }
}

#[test]
fn every_fixture_round_trips_through_its_model() {
    let dir = fixtures_dir();
    let files = fixture_files(&dir);
    let unmapped: Vec<&String> = files
        .iter()
        .filter(|name| !FIXTURES.iter().any(|(known, _, _)| known == name))
        .collect();
    assert!(
        unmapped.is_empty(),
        "fixtures without a model in FIXTURES: {unmapped:?}"
    );
    let missing: BTreeSet<&str> = FIXTURES
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| !files.iter().any(|file| file == name))
        .collect();
    assert!(
        missing.is_empty(),
        "FIXTURES lists files that do not exist: {missing:?}"
    );
    for (name, model, strict) in FIXTURES {
        check_fixture(name, *model, *strict, &load(&dir, name));
    }
}

#[test]
fn mixed_block_listing_is_fully_typed() {
    let value = load(&fixtures_dir(), "block-children-mixed.json");
    let list: List<Block> = serde_json::from_value(value).unwrap();
    let total = list.results.len();
    let unknown = list
        .results
        .iter()
        .filter(|b| b.content.is_unknown())
        .count();
    let unsupported: Vec<Option<&str>> = list
        .results
        .iter()
        .filter_map(|b| match &b.content {
            BlockContent::Unsupported(u) => Some(u.block_type.as_deref()),
            _ => None,
        })
        .collect();
    let types: BTreeSet<&str> = list.results.iter().map(Block::type_name).collect();
    assert!(total >= 24, "expected at least 24 blocks, got {total}");
    assert_eq!(unknown, 0, "untyped blocks in a 2026-03-11 listing");
    assert_eq!(unsupported, [Some("button"), Some("ai_block")]);
    assert!(types.len() >= 24, "block types seen: {types:?}");
    let synced: Vec<bool> = list
        .results
        .iter()
        .filter_map(|b| match &b.content {
            BlockContent::SyncedBlock(s) => Some(s.synced_from.is_some()),
            _ => None,
        })
        .collect();
    assert_eq!(synced, [false, true], "one original and one copy");
}

#[test]
fn annotated_rich_text_and_mentions_are_typed() {
    let dir = fixtures_dir();
    let list: List<Block> =
        serde_json::from_value(load(&dir, "block-children-rich-text-annotations.json")).unwrap();
    let items: Vec<&RichText> = list
        .results
        .iter()
        .filter_map(Block::rich_text)
        .flatten()
        .collect();
    assert!(
        items
            .iter()
            .any(|i| i.annotations.as_ref().is_some_and(|a| a.bold && a.italic))
    );
    assert!(
        items
            .iter()
            .any(|i| matches!(i.content, RichTextContent::Equation(_)))
    );
    assert!(items.iter().any(|i| i.link_url().is_some()));
    let list: List<Block> =
        serde_json::from_value(load(&dir, "block-children-append-mentions.json")).unwrap();
    let mentions: BTreeSet<&str> = list
        .results
        .iter()
        .filter_map(Block::rich_text)
        .flatten()
        .filter_map(|i| match &i.content {
            RichTextContent::Mention(m) => Some(m.type_name()),
            _ => None,
        })
        .collect();
    assert_eq!(
        mentions,
        BTreeSet::from(["database", "date", "page", "user"])
    );
}

#[test]
fn rows_with_every_property_type_are_typed() {
    let dir = fixtures_dir();
    let page: Page =
        serde_json::from_value(load(&dir, "page-data-source-row-all-props.json")).unwrap();
    assert!(page.data_source_id().is_some());
    assert!(!page.title().is_empty());
    let rows: List<Page> =
        serde_json::from_value(load(&dir, "data-source-query-all-props.json")).unwrap();
    let types: BTreeSet<&str> = std::iter::once(&page)
        .chain(&rows.results)
        .flat_map(|p| p.properties.values())
        .map(PropertyValue::type_name)
        .collect();
    for expected in [
        "title",
        "rich_text",
        "number",
        "select",
        "multi_select",
        "status",
        "date",
        "people",
        "files",
        "checkbox",
        "url",
        "email",
        "phone_number",
        "formula",
        "relation",
        "rollup",
        "created_time",
        "created_by",
        "last_edited_time",
        "last_edited_by",
        "unique_id",
        "button",
        "place",
    ] {
        assert!(types.contains(expected), "missing {expected} in {types:?}");
    }
}

#[test]
fn truncated_relation_reports_has_more() {
    let page: Page =
        serde_json::from_value(load(&fixtures_dir(), "page-relation-has-more.json")).unwrap();
    let relation = page
        .properties
        .values()
        .find(|v| matches!(v.value, PropertyData::Relation(_)))
        .unwrap();
    assert_eq!(relation.has_more, Some(true));
    let PropertyData::Relation(refs) = &relation.value else {
        unreachable!()
    };
    assert_eq!(refs.len(), 25);
}

#[test]
fn database_and_pagination_fields_are_read() {
    let dir = fixtures_dir();
    let database: Database =
        serde_json::from_value(load(&dir, "database-two-data-sources.json")).unwrap();
    assert_eq!(database.data_sources.len(), 2);
    let legacy: Database = serde_json::from_value(load(&dir, "database-2022-06-28.json")).unwrap();
    assert!(legacy.legacy_without_data_sources && legacy.properties.is_some());
    let page1: List<Block> =
        serde_json::from_value(load(&dir, "block-children-page1-has-more.json")).unwrap();
    assert!(page1.has_more && page1.next_page_cursor().is_some());
    let item: PropertyItemResponse =
        serde_json::from_value(load(&dir, "property-item-rollup-list.json")).unwrap();
    let PropertyItemResponse::List(list) = item else {
        panic!("expected the list form")
    };
    assert!(list.property_item.rollup().is_some());
    let task: AsyncTask = serde_json::from_value(load(&dir, "async-task-succeeded.json")).unwrap();
    assert!(task.result_page_markdown().is_some_and(|m| m.is_complete()));
}
