//! Paginated list envelopes and search results.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::data_source::DataSource;
use super::database::Database;
use super::page::Page;

/// `{"object":"list","results":[...],"next_cursor","has_more","type":"<kind>","<kind>":{}}`.
/// The `<kind>` payload and other unnamed fields stay in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct List<T> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub results: Vec<T>,
    #[serde(default)]
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub has_more: bool,
    /// The list's `type` (`block`, `page_or_data_source`, `user`, `property_item`, ...).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub list_type: Option<String>,
    /// Set when the list is incomplete (e.g. a query hit the 10,000-result cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_status: Option<RequestStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<T> List<T> {
    /// The cursor of the next page, only when Notion says there is one.
    pub fn next_page_cursor(&self) -> Option<&str> {
        if self.has_more {
            self.next_cursor.as_deref()
        } else {
            None
        }
    }

    /// True when Notion stopped this listing at its per-query result cap: `has_more` is then
    /// false although rows remain.
    pub fn is_query_result_limit_reached(&self) -> bool {
        self.request_status
            .as_ref()
            .is_some_and(RequestStatus::is_query_result_limit_reached)
    }
}

/// `{"type":"incomplete","incomplete_reason":"query_result_limit_reached"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestStatus {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub status_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incomplete_reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RequestStatus {
    pub fn is_incomplete(&self) -> bool {
        self.status_type.as_deref() == Some("incomplete")
    }

    pub fn is_query_result_limit_reached(&self) -> bool {
        self.is_incomplete()
            && self.incomplete_reason.as_deref() == Some("query_result_limit_reached")
    }
}

/// One search (or data-source query) result. Objects that fail to parse as their type are kept
/// as `Unknown` rather than failing the whole page of results.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchResult {
    Page(Box<Page>),
    DataSource(Box<DataSource>),
    /// Databases appear in searches made with versions before 2025-09-03.
    Database(Box<Database>),
    Unknown(Value),
}

impl SearchResult {
    /// The object's id, whatever its kind.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Page(page) => Some(&page.id),
            Self::DataSource(data_source) => Some(&data_source.id),
            Self::Database(database) => Some(&database.id),
            Self::Unknown(value) => value.get("id").and_then(Value::as_str),
        }
    }

    /// `last_edited_time`, used to stop incremental discovery at the high-water mark.
    pub fn last_edited_time(&self) -> Option<&str> {
        match self {
            Self::Page(page) => page.last_edited_time.as_deref(),
            Self::DataSource(data_source) => data_source.last_edited_time.as_deref(),
            Self::Database(database) => database.last_edited_time.as_deref(),
            Self::Unknown(value) => value.get("last_edited_time").and_then(Value::as_str),
        }
    }
}

impl Serialize for SearchResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Page(page) => page.serialize(serializer),
            Self::DataSource(data_source) => data_source.serialize(serializer),
            Self::Database(database) => database.serialize(serializer),
            Self::Unknown(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for SearchResult {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let parsed = match value.get("object").and_then(Value::as_str) {
            Some("page") => Page::deserialize(&value)
                .ok()
                .map(|p| Self::Page(Box::new(p))),
            Some("data_source") => DataSource::deserialize(&value)
                .ok()
                .map(|d| Self::DataSource(Box::new(d))),
            Some("database") => Database::deserialize(&value)
                .ok()
                .map(|d| Self::Database(Box::new(d))),
            _ => None,
        };
        Ok(parsed.unwrap_or(Self::Unknown(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_result_limit_is_detected() {
        let list: List<Value> = serde_json::from_value(json!({"object":"list","results":[],
            "next_cursor":null,"has_more":false,"type":"page_or_data_source","page_or_data_source":{},
            "request_status":{"type":"incomplete","incomplete_reason":"query_result_limit_reached"}}))
        .unwrap();
        assert!(list.is_query_result_limit_reached());
        assert_eq!(list.next_page_cursor(), None);
        assert!(list.extra.contains_key("page_or_data_source"));
    }

    #[test]
    fn search_results_dispatch_on_object() {
        let results: Vec<SearchResult> = serde_json::from_value(json!([
            {"object":"page","id":"p"},
            {"object":"data_source","id":"d"},
            {"object":"database","id":"db","data_sources":[]},
            {"object":"view","id":"v"},
        ]))
        .unwrap();
        assert!(matches!(results[0], SearchResult::Page(_)));
        assert!(matches!(results[1], SearchResult::DataSource(_)));
        assert!(matches!(results[2], SearchResult::Database(_)));
        assert!(matches!(results[3], SearchResult::Unknown(_)));
        assert_eq!(results[3].id(), Some("v"));
    }
}
