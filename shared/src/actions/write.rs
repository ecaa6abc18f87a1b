//! `create_page`, `create_row` and `append_to_page`: thin adapters onto the write path
//! ([`crate::write::WriteService`]), which validates, chunks, and makes creates idempotent.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Actions;
use super::error::ActionError;
use super::spec::{ActionSpec, Annotations, Render, notion_id};
use crate::domain::ConnectionId;
use crate::write::{CreatePageInput, ParentInput, WriteWarning};

/// Create a page under a page (or a row under a data source) from Markdown.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePageActionInput {
    /// Where the page goes: `{"page_id": "…"}` (a sub-page; find the parent with search),
    /// `{"data_source_id": "…"}` or `{"database_id": "…"}` (a row; prefer create_row).
    pub parent: ParentInput,
    /// The page title (required, not empty).
    pub title: String,
    /// The body in Markdown (headings, lists, to-dos, quotes, code, tables, links). Any length.
    #[serde(default)]
    pub markdown: Option<String>,
    /// An emoji (`"📝"`) or the https URL of an image.
    #[serde(default)]
    pub icon: Option<String>,
    /// The https URL of a cover image.
    #[serde(default)]
    pub cover: Option<String>,
    /// Any unique string (e.g. a UUID) that makes retries safe: the same key and input return
    /// the first result instead of creating a second page.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// Create a row in a data source, with typed property values.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRowInput {
    /// The data source id (from list_data_sources or search).
    pub data_source_id: String,
    /// The row's title (fills the data source's title property).
    pub title: String,
    /// Property values in plain JSON by property name, checked against the schema. Text:
    /// string; number: number; checkbox: boolean; select/status: option name; multi_select:
    /// array of option names; date: `"2026-05-01"` or `{"start": …, "end": …}`;
    /// url/email/phone_number: string; people: user ids; relation: page ids.
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// The row's page body in Markdown.
    #[serde(default)]
    pub markdown: Option<String>,
    /// Any unique string that makes retries safe (same key and input: the first result).
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// Append Markdown at the end of an existing page.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppendToPageInput {
    /// The page id (UUID, with or without dashes) or its Notion URL.
    pub page_id: String,
    /// The Markdown to append (not empty).
    pub markdown: String,
}

/// A created page or row.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreatedOutput {
    /// The new page's id (read it back with get_page).
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub title: String,
    /// Blocks written into the body (all nesting levels).
    pub blocks_written: usize,
    /// What in the Markdown was kept in a different form than written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<WriteWarning>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AppendToPageOutput {
    pub page_id: String,
    /// Blocks appended (all nesting levels).
    pub blocks_written: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<WriteWarning>,
}

pub(super) fn create_page_spec() -> ActionSpec {
    ActionSpec::new::<CreatePageActionInput, CreatedOutput>(
        "create_page",
        "Create a Notion page",
        "Creates a page under a parent page (find the parent's id with search) with a title and \
         a Markdown body of any length. Pass an idempotency_key to make retries safe. Answers \
         the new page's id and url.",
        Annotations::additive(false),
    )
}

pub(super) fn create_row_spec() -> ActionSpec {
    ActionSpec::new::<CreateRowInput, CreatedOutput>(
        "create_row",
        "Create a Notion database row",
        "Creates a row in a data source with a title and property values in plain JSON, checked \
         against the data source's schema (see list_data_sources). Answers the row's id and url.",
        Annotations::additive(false),
    )
}

pub(super) fn append_spec() -> ActionSpec {
    ActionSpec::new::<AppendToPageInput, AppendToPageOutput>(
        "append_to_page",
        "Append to a Notion page",
        "Appends Markdown at the end of an existing page, in as many requests as Notion's limits \
         require. Each call appends again: do not repeat a call that succeeded.",
        Annotations::additive(false),
    )
}

impl Render for CreatedOutput {
    fn render(&self) -> String {
        let mut text = format!(
            "Created \"{}\" (id {}){} with {} blocks.",
            self.title,
            self.id,
            self.url
                .as_deref()
                .map(|url| format!(" {url}"))
                .unwrap_or_default(),
            self.blocks_written
        );
        for warning in &self.warnings {
            text.push_str(&format!(
                "\nWarning (line {}): {}",
                warning.line, warning.message
            ));
        }
        text
    }
}

impl Render for AppendToPageOutput {
    fn render(&self) -> String {
        let mut text = format!(
            "Appended {} blocks to page {}.",
            self.blocks_written, self.page_id
        );
        for warning in &self.warnings {
            text.push_str(&format!(
                "\nWarning (line {}): {}",
                warning.line, warning.message
            ));
        }
        text
    }
}

fn key(raw: Option<&str>) -> Result<Option<&str>, ActionError> {
    match raw.map(str::trim) {
        None => Ok(None),
        Some(key) if key.is_empty() || key.len() > 255 => Err(ActionError::invalid(
            "idempotency_key",
            "must be 1 to 255 characters",
        )),
        Some(key) => Ok(Some(key)),
    }
}

pub(super) async fn create_page(
    actions: &Actions,
    connection: &ConnectionId,
    input: CreatePageActionInput,
) -> Result<CreatedOutput, ActionError> {
    let parent = match input.parent {
        ParentInput::PageId(id) => ParentInput::PageId(notion_id(&id, "parent.page_id")?),
        ParentInput::DataSourceId(id) => {
            ParentInput::DataSourceId(notion_id(&id, "parent.data_source_id")?)
        }
        ParentInput::DatabaseId(id) => {
            ParentInput::DatabaseId(notion_id(&id, "parent.database_id")?)
        }
    };
    let title = input.title.clone();
    let page = CreatePageInput {
        parent,
        title: input.title,
        markdown: input.markdown,
        icon: input.icon,
        cover: input.cover,
        properties: None,
    };
    let created = actions
        .write
        .create_page(connection, page, key(input.idempotency_key.as_deref())?)
        .await?;
    Ok(CreatedOutput {
        id: created.id,
        url: created.url,
        title,
        blocks_written: created.blocks_written,
        warnings: created.warnings,
    })
}

pub(super) async fn create_row(
    actions: &Actions,
    connection: &ConnectionId,
    input: CreateRowInput,
) -> Result<CreatedOutput, ActionError> {
    let data_source_id = notion_id(&input.data_source_id, "data_source_id")?;
    let title = input.title.clone();
    let page = CreatePageInput {
        parent: ParentInput::DataSourceId(data_source_id),
        title: input.title,
        markdown: input.markdown,
        icon: None,
        cover: None,
        properties: Some(input.properties),
    };
    let created = actions
        .write
        .create_page(connection, page, key(input.idempotency_key.as_deref())?)
        .await?;
    Ok(CreatedOutput {
        id: created.id,
        url: created.url,
        title,
        blocks_written: created.blocks_written,
        warnings: created.warnings,
    })
}

pub(super) async fn append(
    actions: &Actions,
    connection: &ConnectionId,
    input: AppendToPageInput,
) -> Result<AppendToPageOutput, ActionError> {
    let page_id = notion_id(&input.page_id, "page_id")?;
    if input.markdown.trim().is_empty() {
        return Err(ActionError::invalid("markdown", "must not be empty"));
    }
    let outcome = actions
        .write
        .append_markdown(connection, &page_id, &input.markdown)
        .await?;
    Ok(AppendToPageOutput {
        page_id: outcome.page_id,
        blocks_written: outcome.blocks_written,
        warnings: outcome.warnings,
    })
}
