//! Pages (including data-source rows).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::Parent;
use super::file::{Cover, Icon};
use super::property_value::{PropertyData, PropertyValue};
use super::rich_text::RichText;
use super::tagged::{Nullable, nullable};
use super::user::User;

/// A page. The partial form `{"object":"page","id":...}` (no read-content capability) parses too:
/// every field but `id` is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_edited_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_edited_by: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    /// In the trash (restorable). Absent in partial pages: reads as `false`.
    #[serde(default)]
    pub in_trash: bool,
    /// Archived, a state separate from trash (Aug 2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_archived: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub icon: Nullable<Icon>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub cover: Nullable<Cover>,
    /// Property values by property name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, PropertyValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Set when the page is published to the web.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub public_url: Nullable<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Fields this model does not name (e.g. `archived` from versions before 2026-03-11).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Page {
    /// The title property's value (every page has exactly one title property).
    pub fn title_property(&self) -> Option<(&str, &PropertyValue)> {
        self.properties
            .iter()
            .find(|(_, value)| matches!(value.value, PropertyData::Title(_)))
            .map(|(name, value)| (name.as_str(), value))
    }

    /// The page title as plain text (empty when untitled or partial).
    pub fn title(&self) -> String {
        match self.title_property().map(|(_, value)| &value.value) {
            Some(PropertyData::Title(items)) => RichText::concat_plain_text(items),
            _ => String::new(),
        }
    }

    /// The data source this page is a row of, if any.
    pub fn data_source_id(&self) -> Option<&str> {
        match &self.parent {
            Some(Parent::DataSourceId { data_source_id, .. }) => Some(data_source_id),
            _ => None,
        }
    }

    /// True for the partial form (only `object` and `id`).
    pub fn is_partial(&self) -> bool {
        self.created_time.is_none() && self.parent.is_none() && self.properties.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn title_concatenates_the_title_property() {
        let page: Page = serde_json::from_value(json!({"object":"page","id":"p","in_trash":false,
            "properties":{"Name":{"id":"title","type":"title","title":[
                {"type":"text","text":{"content":"Hello "},"plain_text":"Hello "},
                {"type":"text","text":{"content":"world"},"plain_text":"world"}]},
                "N":{"id":"n","type":"number","number":1}}}))
        .unwrap();
        assert_eq!(page.title(), "Hello world");
        assert_eq!(page.title_property().map(|(name, _)| name), Some("Name"));
    }

    #[test]
    fn partial_pages_parse() {
        let page: Page = serde_json::from_value(json!({"object":"page","id":"p"})).unwrap();
        assert!(page.is_partial());
        assert!(!page.in_trash);
        assert_eq!(page.title(), "");
    }

    #[test]
    fn unknown_parents_and_icons_round_trip_inside_pages() {
        let value = json!({"object":"page","id":"p","in_trash":false,
            "parent":{"type":"meeting_id","meeting_id":"m"},
            "icon":{"type":"sticker","sticker":{"id":1}},"cover":null,"public_url":null});
        let page: Page = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&page).unwrap(), value);
    }
}
