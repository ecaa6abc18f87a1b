//! Request bodies of the Notion endpoints (Notion-Version 2026-03-11). Fields left `None` are not
//! sent; `Nullable` fields (`Some(None)`) send `null`, which clears the value.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::notion::model::{Block, FileObject, Icon, Nullable, Parent, PropertyValue, RichText};

/// Sort direction of searches and queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortDirection {
    Ascending,
    Descending,
}

/// `POST /v1/search`. Title matching only; not an index of record (see notion-api.md §3).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SearchRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<SearchFilter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<SearchSort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
}

/// Which objects a search returns: `{"property":"object","value":"page"|"data_source"}`
/// and/or `{"in_trash": bool}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SearchFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<SearchObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
}

impl SearchFilter {
    pub fn object(value: SearchObject) -> Self {
        Self {
            property: Some("object".to_owned()),
            value: Some(value),
            in_trash: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchObject {
    Page,
    DataSource,
}

/// `{"timestamp":"last_edited_time","direction":…}` or `{"property":"relevance"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchSort {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<SortDirection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}

impl SearchSort {
    pub fn last_edited(direction: SortDirection) -> Self {
        Self {
            timestamp: Some("last_edited_time".to_owned()),
            direction: Some(direction),
            property: None,
        }
    }

    pub fn relevance() -> Self {
        Self {
            timestamp: None,
            direction: None,
            property: Some("relevance".to_owned()),
        }
    }
}

/// `POST /v1/data_sources/{id}/query`. `filter` is Notion's filter object as JSON (compound
/// `and`/`or` nest at most two levels). `filter_properties` go to the query string.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueryDataSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sorts: Vec<QuerySort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_type: Option<String>,
    #[serde(skip)]
    pub filter_properties: Vec<String>,
}

/// One sort of a data source query: by property name or by `created_time`/`last_edited_time`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuerySort {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    pub direction: SortDirection,
}

impl QuerySort {
    pub fn property(name: impl Into<String>, direction: SortDirection) -> Self {
        Self {
            property: Some(name.into()),
            timestamp: None,
            direction,
        }
    }

    pub fn created_time(direction: SortDirection) -> Self {
        Self {
            property: None,
            timestamp: Some("created_time".to_owned()),
            direction,
        }
    }

    pub fn last_edited_time(direction: SortDirection) -> Self {
        Self {
            property: None,
            timestamp: Some("last_edited_time".to_owned()),
            direction,
        }
    }
}

/// Where a new child page goes inside its parent page's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PagePosition {
    PageStart,
    PageEnd,
    AfterBlock(String),
}

impl Serialize for PagePosition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::PageStart => tagged(serializer, "page_start", None),
            Self::PageEnd => tagged(serializer, "page_end", None),
            Self::AfterBlock(id) => tagged(serializer, "after_block", Some(id)),
        }
    }
}

/// Where appended children go (2026-03-11 `position`; default: end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendPosition {
    Start,
    End,
    AfterBlock(String),
}

impl Serialize for AppendPosition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Start => tagged(serializer, "start", None),
            Self::End => tagged(serializer, "end", None),
            Self::AfterBlock(id) => tagged(serializer, "after_block", Some(id)),
        }
    }
}

/// `{"type": name}` or `{"type": name, name: {"id": id}}`.
fn tagged<S: Serializer>(
    serializer: S,
    name: &str,
    id: Option<&String>,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry("type", name)?;
    if let Some(id) = id {
        let mut inner = Map::new();
        inner.insert("id".to_owned(), Value::String(id.clone()));
        map.serialize_entry(name, &inner)?;
    }
    map.end()
}

/// `POST /v1/pages`. Give `children` or `markdown`, not both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatePageRequest {
    pub parent: Parent,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, PropertyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Block>>,
    /// Notion-flavored Markdown body (mutually exclusive with `children`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover: Option<FileObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<PagePosition>,
    /// `{"type":"none"|"default"|"template_id",…}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<Value>,
}

impl CreatePageRequest {
    pub fn new(parent: Parent) -> Self {
        Self {
            parent,
            properties: BTreeMap::new(),
            children: None,
            markdown: None,
            icon: None,
            cover: None,
            position: None,
            template: None,
        }
    }
}

/// `PATCH /v1/pages/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdatePage {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, PropertyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Nullable<Icon>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover: Nullable<FileObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_archived: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erase_content: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<Value>,
}

/// `POST /v1/pages/{id}/move`: the new parent (a page or a data source).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MovePage {
    pub parent: Parent,
}

/// `PATCH /v1/pages/{id}/markdown`: one edit of the page's Markdown.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdatePageMarkdown {
    InsertContent {
        content: String,
        /// Insert after the text range `"start text...end text"`.
        after: Option<String>,
        /// `start` or `end` of the page.
        at_start: Option<bool>,
    },
    ReplaceContentRange {
        content: String,
        content_range: String,
        allow_deleting_content: Option<bool>,
    },
    UpdateContent {
        content_updates: Vec<ContentUpdate>,
        allow_deleting_content: Option<bool>,
    },
    ReplaceContent {
        new_str: String,
        allow_deleting_content: Option<bool>,
    },
}

/// One search-and-replace of [`UpdatePageMarkdown::UpdateContent`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentUpdate {
    pub old_str: String,
    pub new_str: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replace_all_matches: Option<bool>,
}

impl Serialize for UpdatePageMarkdown {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut payload = Map::new();
        let mut put = |key: &str, value: Value| {
            payload.insert(key.to_owned(), value);
        };
        let name = match self {
            Self::InsertContent {
                content,
                after,
                at_start,
            } => {
                put("content", Value::String(content.clone()));
                if let Some(after) = after {
                    put("after", Value::String(after.clone()));
                }
                if let Some(at_start) = at_start {
                    let kind = if *at_start { "start" } else { "end" };
                    put("position", serde_json::json!({ "type": kind }));
                }
                "insert_content"
            }
            Self::ReplaceContentRange {
                content,
                content_range,
                allow_deleting_content,
            } => {
                put("content", Value::String(content.clone()));
                put("content_range", Value::String(content_range.clone()));
                if let Some(allow) = allow_deleting_content {
                    put("allow_deleting_content", Value::Bool(*allow));
                }
                "replace_content_range"
            }
            Self::UpdateContent {
                content_updates,
                allow_deleting_content,
            } => {
                let updates =
                    serde_json::to_value(content_updates).map_err(serde::ser::Error::custom)?;
                put("content_updates", updates);
                if let Some(allow) = allow_deleting_content {
                    put("allow_deleting_content", Value::Bool(*allow));
                }
                "update_content"
            }
            Self::ReplaceContent {
                new_str,
                allow_deleting_content,
            } => {
                put("new_str", Value::String(new_str.clone()));
                if let Some(allow) = allow_deleting_content {
                    put("allow_deleting_content", Value::Bool(*allow));
                }
                "replace_content"
            }
        };
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", name)?;
        map.serialize_entry(name, &payload)?;
        map.end()
    }
}

/// `PATCH /v1/blocks/{id}/children`: at most 100 children, two nesting levels per request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppendChildren {
    pub children: Vec<Block>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<AppendPosition>,
}

/// `POST /v1/comments`: on a page or block (`parent`), or a reply in a discussion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateComment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discussion_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rich_text: Option<Vec<RichText>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    /// `{"type":"integration"|"user"}` or `{"type":"custom","custom":{"name":…}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Value>,
}

impl CreateComment {
    pub fn on_page(page_id: impl Into<String>, rich_text: Vec<RichText>) -> Self {
        Self {
            parent: Some(Parent::PageId(page_id.into())),
            discussion_id: None,
            rich_text: Some(rich_text),
            markdown: None,
            display_name: None,
        }
    }

    pub fn reply(discussion_id: impl Into<String>, rich_text: Vec<RichText>) -> Self {
        Self {
            parent: None,
            discussion_id: Some(discussion_id.into()),
            rich_text: Some(rich_text),
            markdown: None,
            display_name: None,
        }
    }
}

/// `POST /v1/databases`: a database with its first data source. Schemas are in Notion's request
/// form (`{"Name":{"title":{}}}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateDatabase {
    pub parent: Parent,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub title: Vec<RichText>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub description: Vec<RichText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_inline: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_data_source: Option<InitialDataSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<Icon>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover: Option<FileObject>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InitialDataSource {
    pub properties: Map<String, Value>,
}

/// `PATCH /v1/databases/{id}` (the container; schemas live on data sources).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateDatabase {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<Vec<RichText>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Vec<RichText>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_inline: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Nullable<Icon>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover: Nullable<FileObject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
}

/// `PATCH /v1/data_sources/{id}`. A property set to `null` is removed from the schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateDataSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<Vec<RichText>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Nullable<Icon>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn to_json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn positions_serialize_in_2026_03_11_form() {
        assert_eq!(to_json(&AppendPosition::Start), json!({"type": "start"}));
        assert_eq!(to_json(&AppendPosition::End), json!({"type": "end"}));
        assert_eq!(
            to_json(&AppendPosition::AfterBlock("b1".into())),
            json!({"type": "after_block", "after_block": {"id": "b1"}})
        );
        assert_eq!(
            to_json(&PagePosition::PageStart),
            json!({"type": "page_start"})
        );
        assert_eq!(
            to_json(&PagePosition::AfterBlock("b2".into())),
            json!({"type": "after_block", "after_block": {"id": "b2"}})
        );
    }

    #[test]
    fn search_body_omits_unset_fields() {
        assert_eq!(to_json(&SearchRequest::default()), json!({}));
        let request = SearchRequest {
            query: Some("plan".into()),
            filter: Some(SearchFilter::object(SearchObject::DataSource)),
            sort: Some(SearchSort::last_edited(SortDirection::Descending)),
            start_cursor: Some("c".into()),
            page_size: Some(10),
        };
        assert_eq!(
            to_json(&request),
            json!({
                "query": "plan",
                "filter": {"property": "object", "value": "data_source"},
                "sort": {"timestamp": "last_edited_time", "direction": "descending"},
                "start_cursor": "c",
                "page_size": 10
            })
        );
        assert_eq!(
            to_json(&SearchSort::relevance()),
            json!({"property": "relevance"})
        );
    }

    #[test]
    fn query_body_keeps_filter_properties_out_of_the_body() {
        let query = QueryDataSource {
            filter: Some(json!({"property": "Done", "checkbox": {"equals": true}})),
            sorts: vec![QuerySort::created_time(SortDirection::Ascending)],
            page_size: Some(100),
            filter_properties: vec!["title".into()],
            ..QueryDataSource::default()
        };
        assert_eq!(
            to_json(&query),
            json!({
                "filter": {"property": "Done", "checkbox": {"equals": true}},
                "sorts": [{"timestamp": "created_time", "direction": "ascending"}],
                "page_size": 100
            })
        );
    }

    #[test]
    fn update_page_tells_clearing_from_leaving_alone() {
        assert_eq!(to_json(&UpdatePage::default()), json!({}));
        let update = UpdatePage {
            cover: Some(None),
            in_trash: Some(true),
            ..UpdatePage::default()
        };
        assert_eq!(to_json(&update), json!({"cover": null, "in_trash": true}));
    }

    #[test]
    fn create_page_and_move_carry_typed_parents() {
        let mut request = CreatePageRequest::new(Parent::PageId("p1".into()));
        request.markdown = Some("# Title\nbody".into());
        request.position = Some(PagePosition::PageEnd);
        assert_eq!(
            to_json(&request),
            json!({
                "parent": {"type": "page_id", "page_id": "p1"},
                "markdown": "# Title\nbody",
                "position": {"type": "page_end"}
            })
        );
        let body = to_json(&MovePage {
            parent: Parent::DataSourceId {
                data_source_id: "ds".into(),
                database_id: None,
            },
        });
        assert_eq!(
            body,
            json!({"parent": {"type": "data_source_id", "data_source_id": "ds"}})
        );
    }

    #[test]
    fn markdown_edits_use_the_type_keyed_form() {
        let edit = UpdatePageMarkdown::InsertContent {
            content: "more".into(),
            after: None,
            at_start: Some(false),
        };
        assert_eq!(
            to_json(&edit),
            json!({"type": "insert_content", "insert_content": {"content": "more", "position": {"type": "end"}}})
        );
        let edit = UpdatePageMarkdown::UpdateContent {
            content_updates: vec![ContentUpdate {
                old_str: "a".into(),
                new_str: "b".into(),
                replace_all_matches: None,
            }],
            allow_deleting_content: Some(true),
        };
        assert_eq!(
            to_json(&edit),
            json!({"type": "update_content", "update_content": {
                "content_updates": [{"old_str": "a", "new_str": "b"}],
                "allow_deleting_content": true
            }})
        );
    }

    #[test]
    fn comments_target_a_page_or_a_discussion() {
        assert_eq!(
            to_json(&CreateComment::reply("d1", vec![])),
            json!({"discussion_id": "d1", "rich_text": []})
        );
        assert_eq!(
            to_json(&CreateComment::on_page("p1", vec![]))["parent"],
            json!({"type": "page_id", "page_id": "p1"})
        );
    }
}
