//! The write path's request and answer shapes. Their doc comments become the JSON schema
//! descriptions the MCP tools publish, so they speak to the caller.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A page or data-source row to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePageInput {
    /// Where the page goes: `{"page_id": "…"}` (a sub-page), `{"data_source_id": "…"}` (a row)
    /// or `{"database_id": "…"}` (a row of a database that has exactly one data source).
    pub parent: ParentInput,
    /// The page title (required, not empty). For rows it fills the data source's title
    /// property, whatever that property is called.
    pub title: String,
    /// The page body in Markdown (CommonMark plus GitHub tables, task lists and
    /// strikethrough, `$…$` math). Any length: the body is written in as many requests as
    /// Notion's limits require.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    /// An emoji (`"📝"`) or the https URL of an image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// The https URL of a cover image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<String>,
    /// Rows only: property values in plain JSON by property name, checked against the data
    /// source's schema. Text: string; number: number; checkbox: boolean; select/status: option
    /// name; multi_select: array of option names; date: `"2026-05-01"`,
    /// `"2026-05-01T09:30:00Z"` or `{"start": …, "end": …}`; url/email/phone_number: string;
    /// people: array of user ids; relation: array of page ids; files: array of URLs or
    /// `{"name", "url"}`. `null` leaves a property empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
}

/// The parent of a new page: exactly one of the three keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ParentInput {
    /// A page id: the new page becomes its sub-page (no properties besides the title).
    PageId(String),
    /// A data source id: the new page becomes a row.
    DataSourceId(String),
    /// A database id: the new page becomes a row of its only data source (a database with
    /// several data sources is refused with the list of their ids).
    DatabaseId(String),
}

impl ParentInput {
    /// The id as given.
    pub fn id(&self) -> &str {
        match self {
            Self::PageId(id) | Self::DataSourceId(id) | Self::DatabaseId(id) => id,
        }
    }

    /// The key name (`page_id`, `data_source_id`, `database_id`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PageId(_) => "page_id",
            Self::DataSourceId(_) => "data_source_id",
            Self::DatabaseId(_) => "database_id",
        }
    }
}

/// Something in the Markdown kept in a different form than written (never dropped silently).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WriteWarning {
    /// `link_kept_as_text`, `equation_kept_as_code`, `image_kept_as_text`,
    /// `nesting_flattened` or `formatting_merged`.
    pub kind: String,
    /// 1-based line of the Markdown the warning is about.
    pub line: usize,
    pub message: String,
}

/// A created page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CreatedPage {
    /// The new page's id.
    pub id: String,
    /// The new page's Notion URL.
    pub url: Option<String>,
    /// Blocks written into the body (all nesting levels).
    pub blocks_written: usize,
    /// What in the Markdown was kept in a different form than written.
    pub warnings: Vec<WriteWarning>,
}

/// The result of appending Markdown to an existing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AppendOutcome {
    /// The page the blocks were appended to.
    pub page_id: String,
    /// Blocks appended (all nesting levels).
    pub blocks_written: usize,
    /// What in the Markdown was kept in a different form than written.
    pub warnings: Vec<WriteWarning>,
}

/// One data source of a database, named in the multi-source error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DataSourceChoice {
    pub id: String,
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_documented_shapes() {
        let input: CreatePageInput = serde_json::from_value(json!({
            "parent": {"data_source_id": "ds1"},
            "title": "Row",
            "properties": {"Count": 3}
        }))
        .unwrap();
        assert_eq!(input.parent, ParentInput::DataSourceId("ds1".into()));
        assert_eq!(input.properties.unwrap()["Count"], json!(3));
        let input: CreatePageInput =
            serde_json::from_value(json!({"parent": {"page_id": "p"}, "title": "T"})).unwrap();
        assert_eq!(input.parent.kind(), "page_id");
    }

    #[test]
    fn refuses_unknown_fields_and_ambiguous_parents() {
        assert!(
            serde_json::from_value::<CreatePageInput>(
                json!({"parent": {"page_id": "p"}, "title": "T", "body": "x"})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<CreatePageInput>(
                json!({"parent": {"page_id": "p", "database_id": "d"}, "title": "T"})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<CreatePageInput>(
                json!({"parent": {"block_id": "b"}, "title": "T"})
            )
            .is_err()
        );
    }

    #[test]
    fn has_a_json_schema() {
        let schema = schemars::schema_for!(CreatePageInput);
        let text = serde_json::to_string(&schema).unwrap();
        assert!(text.contains("data_source_id"));
        assert!(text.contains("The page title"));
    }
}
