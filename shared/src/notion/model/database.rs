//! Databases: containers of one or more data sources (2025-09-03+). Before 2025-09-03 a database
//! carried its schema itself (`properties`); that shape still parses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::Parent;
use super::file::{Cover, Icon};
use super::property_schema::PropertySchema;
use super::rich_text::RichText;
use super::tagged::{Nullable, nullable, shadowed_struct};
use super::user::User;

shadowed_struct! {
    /// A database.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Database with serde via DatabaseFields = "Database" {
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
        /// The data sources (tables) in this database; empty for linked views.
        #[serde(default)]
        pub data_sources: Vec<DataSourceRef>,
        /// True when the response had no `data_sources` key (the pre-2025-09-03 shape); kept so
        /// that re-serialization is exact.
        #[serde(skip)]
        pub legacy_without_data_sources: bool,
        /// The inline schema of the pre-2025-09-03 shape.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub properties: Option<BTreeMap<String, PropertySchema>>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "nullable"
        )]
        pub icon: Nullable<Icon>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "nullable"
        )]
        pub cover: Nullable<Cover>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "nullable"
        )]
        pub public_url: Nullable<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub request_id: Option<String>,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}

impl Serialize for Database {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let value = DatabaseFields::serialize(self, serde_json::value::Serializer)
            .map_err(S::Error::custom)?;
        let Value::Object(mut obj) = value else {
            return Err(S::Error::custom("expected the database to form an object"));
        };
        if self.legacy_without_data_sources && self.data_sources.is_empty() {
            obj.remove("data_sources");
        }
        obj.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Database {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let obj = Map::<String, Value>::deserialize(deserializer)?;
        let legacy = !obj.contains_key("data_sources");
        let mut database =
            DatabaseFields::deserialize(Value::Object(obj)).map_err(D::Error::custom)?;
        database.legacy_without_data_sources = legacy;
        Ok(database)
    }
}

impl Database {
    /// The title as plain text.
    pub fn title_text(&self) -> String {
        self.title
            .as_deref()
            .map(RichText::concat_plain_text)
            .unwrap_or_default()
    }
}

/// `{"id","name"}`: one data source of a database.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataSourceRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legacy_shape_round_trips_without_inventing_data_sources() {
        let value = json!({"object":"database","id":"d","properties":{}});
        let database: Database = serde_json::from_value(value.clone()).unwrap();
        assert!(database.legacy_without_data_sources);
        assert_eq!(serde_json::to_value(&database).unwrap(), value);
        let value = json!({"object":"database","id":"d","data_sources":[]});
        let database: Database = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&database).unwrap(), value);
    }
}
