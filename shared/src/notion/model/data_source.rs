//! Data sources: the tables inside a database, holding the schema and the rows (2025-09-03+).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::Parent;
use super::file::{Cover, Icon};
use super::property_schema::PropertySchema;
use super::rich_text::RichText;
use super::tagged::{Nullable, nullable};
use super::user::User;

/// A data source. `parent` is its database; `database_parent` is where that database lives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Vec<RichText>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Vec<RichText>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_parent: Option<Parent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_inline: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_edited_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_edited_by: Option<User>,
    /// The schema: property name to configuration.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, PropertySchema>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub icon: Nullable<Icon>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub cover: Nullable<Cover>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub public_url: Nullable<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DataSource {
    /// The title as plain text.
    pub fn title_text(&self) -> String {
        self.title
            .as_deref()
            .map(RichText::concat_plain_text)
            .unwrap_or_default()
    }

    /// The database this data source belongs to.
    pub fn database_id(&self) -> Option<&str> {
        match &self.parent {
            Some(Parent::DatabaseId(id)) => Some(id),
            _ => None,
        }
    }

    /// The schema entry of the title property.
    pub fn title_property(&self) -> Option<(&str, &PropertySchema)> {
        self.properties
            .iter()
            .find(|(_, schema)| schema.type_name() == "title")
            .map(|(name, schema)| (name.as_str(), schema))
    }
}
