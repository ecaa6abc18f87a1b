//! Small shapes shared by many Notion objects: colours, parents, id references, dates, options.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::string_enum::string_enum;
use super::tagged::{Nullable, UnknownTagged, nullable};

string_enum! {
    /// Notion's `ApiColor` (blocks, annotations, select options).
    #[derive(Default)]
    pub enum Color {
        #[default]
        Default = "default",
        Gray = "gray",
        Brown = "brown",
        Orange = "orange",
        Yellow = "yellow",
        Green = "green",
        Blue = "blue",
        Purple = "purple",
        Pink = "pink",
        Red = "red",
        GrayBackground = "gray_background",
        BrownBackground = "brown_background",
        OrangeBackground = "orange_background",
        YellowBackground = "yellow_background",
        GreenBackground = "green_background",
        BlueBackground = "blue_background",
        PurpleBackground = "purple_background",
        PinkBackground = "pink_background",
        RedBackground = "red_background",
    }
}

/// An empty payload (`{}`) that still keeps any field Notion may add later.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmptyObject {
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"id": "..."}`: a reference to a page, database, block or data source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdRef {
    pub id: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IdRef {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            extra: Map::new(),
        }
    }
}

/// A date or date range (`start` is an ISO date or datetime; `time_zone` is IANA, for naive
/// datetimes only). Notion always sends `end` and `time_zone`, as `null` when unset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DateValue {
    pub start: String,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl DateValue {
    pub fn new(start: impl Into<String>) -> Self {
        Self {
            start: start.into(),
            ..Self::default()
        }
    }
}

/// A select, multi-select or status option (in values and in schemas). Requests may name an
/// option by `name` or `id` alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SelectOption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub description: Nullable<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SelectOption {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    pub fn with_id(id: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            ..Self::default()
        }
    }
}

/// Where an object lives. Requests may omit `type` (`{"page_id": "..."}`); it is inferred.
#[derive(Debug, Clone, PartialEq)]
pub enum Parent {
    PageId(String),
    /// A data-source row (2025-09-03+); `database_id` is the container database.
    DataSourceId {
        data_source_id: String,
        database_id: Option<String>,
    },
    /// A database row (before 2025-09-03), a data source's database, or a wiki database.
    DatabaseId(String),
    BlockId(String),
    Workspace,
    AgentId(String),
    /// A parent type this model does not know, kept verbatim.
    Unknown(UnknownTagged),
}

const PARENT_TYPES: &[&str] = &[
    "page_id",
    "data_source_id",
    "database_id",
    "block_id",
    "workspace",
    "agent_id",
];

impl Parent {
    /// The `type` name.
    pub fn type_name(&self) -> &str {
        match self {
            Self::PageId(_) => "page_id",
            Self::DataSourceId { .. } => "data_source_id",
            Self::DatabaseId(_) => "database_id",
            Self::BlockId(_) => "block_id",
            Self::Workspace => "workspace",
            Self::AgentId(_) => "agent_id",
            Self::Unknown(raw) => &raw.type_name,
        }
    }

    /// The parent's id (`None` for the workspace and unknown parents).
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::PageId(id)
            | Self::DatabaseId(id)
            | Self::BlockId(id)
            | Self::AgentId(id)
            | Self::DataSourceId {
                data_source_id: id, ..
            } => Some(id),
            Self::Workspace | Self::Unknown(_) => None,
        }
    }

    fn from_object(mut obj: Map<String, Value>) -> Result<Self, String> {
        let type_name = match obj.remove("type") {
            Some(Value::String(name)) => name,
            Some(other) => return Err(format!("parent `type` must be a string, got {other}")),
            // Request form without `type`: a data source parent may also carry database_id.
            None if obj.contains_key("data_source_id") => "data_source_id".to_owned(),
            None => {
                let mut present = PARENT_TYPES.iter().filter(|name| obj.contains_key(**name));
                match (present.next(), present.next()) {
                    (Some(name), None) => (*name).to_owned(),
                    _ => return Err("parent has no recognisable type".to_owned()),
                }
            }
        };
        let payload = obj.remove(&type_name);
        let database_id = if type_name == "data_source_id" {
            match obj.remove("database_id") {
                None => Some(None),
                Some(Value::String(id)) => Some(Some(id)),
                Some(other) => {
                    obj.insert("database_id".to_owned(), other);
                    None
                }
            }
        } else {
            Some(None)
        };
        let typed = match (type_name.as_str(), &payload, database_id) {
            _ if !obj.is_empty() => None,
            ("page_id", Some(Value::String(id)), _) => Some(Self::PageId(id.clone())),
            ("database_id", Some(Value::String(id)), _) => Some(Self::DatabaseId(id.clone())),
            ("block_id", Some(Value::String(id)), _) => Some(Self::BlockId(id.clone())),
            ("agent_id", Some(Value::String(id)), _) => Some(Self::AgentId(id.clone())),
            ("workspace", Some(Value::Bool(true)), _) => Some(Self::Workspace),
            ("data_source_id", Some(Value::String(id)), Some(database_id)) => {
                Some(Self::DataSourceId {
                    data_source_id: id.clone(),
                    database_id,
                })
            }
            _ => None,
        };
        Ok(typed.unwrap_or(Self::Unknown(UnknownTagged {
            type_name,
            payload,
            other: obj,
        })))
    }

    fn to_object(&self) -> Map<String, Value> {
        let mut obj = Map::new();
        obj.insert(
            "type".to_owned(),
            Value::String(self.type_name().to_owned()),
        );
        let text = |s: &String| Value::String(s.clone());
        match self {
            Self::PageId(id) | Self::DatabaseId(id) | Self::BlockId(id) | Self::AgentId(id) => {
                obj.insert(self.type_name().to_owned(), text(id));
            }
            Self::Workspace => {
                obj.insert("workspace".to_owned(), Value::Bool(true));
            }
            Self::DataSourceId {
                data_source_id,
                database_id,
            } => {
                obj.insert("data_source_id".to_owned(), text(data_source_id));
                if let Some(database_id) = database_id {
                    obj.insert("database_id".to_owned(), text(database_id));
                }
            }
            Self::Unknown(raw) => {
                if let Some(payload) = &raw.payload {
                    obj.insert(raw.type_name.clone(), payload.clone());
                }
                obj.extend(raw.other.clone());
            }
        }
        obj
    }
}

impl Serialize for Parent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_object().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Parent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let obj = Map::<String, Value>::deserialize(deserializer)?;
        Self::from_object(obj).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> Parent {
        let parent: Parent = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parent).unwrap(), value);
        parent
    }

    #[test]
    fn parents_parse_into_their_variants() {
        let row =
            round_trip(json!({"type":"data_source_id","data_source_id":"ds","database_id":"db"}));
        assert_eq!(
            row,
            Parent::DataSourceId {
                data_source_id: "ds".into(),
                database_id: Some("db".into())
            }
        );
        assert_eq!(
            round_trip(json!({"type":"page_id","page_id":"p"})),
            Parent::PageId("p".into())
        );
        assert_eq!(
            round_trip(json!({"type":"workspace","workspace":true})),
            Parent::Workspace
        );
        assert_eq!(
            round_trip(json!({"type":"agent_id","agent_id":"a"})),
            Parent::AgentId("a".into())
        );
        assert_eq!(
            round_trip(json!({"type":"block_id","block_id":"b"})).id(),
            Some("b")
        );
    }

    #[test]
    fn unknown_parents_survive_verbatim() {
        let parent = round_trip(json!({"type":"team_id","team_id":{"x":1},"note":"kept"}));
        assert_eq!(parent.type_name(), "team_id");
        assert!(matches!(parent, Parent::Unknown(_)));
        // A known type with an unexpected sibling is kept whole rather than trimmed.
        assert!(matches!(
            round_trip(json!({"type":"page_id","page_id":"p","surprise":true})),
            Parent::Unknown(_)
        ));
    }

    #[test]
    fn request_form_without_type_is_inferred() {
        let parent: Parent = serde_json::from_value(json!({"data_source_id":"ds"})).unwrap();
        assert_eq!(
            serde_json::to_value(&parent).unwrap(),
            json!({"type":"data_source_id","data_source_id":"ds"})
        );
        let parent: Parent = serde_json::from_value(json!({"page_id":"p"})).unwrap();
        assert_eq!(parent, Parent::PageId("p".into()));
    }

    #[test]
    fn colors_keep_unknown_values() {
        let color: Color = serde_json::from_value(json!("purple_background")).unwrap();
        assert_eq!(color, Color::PurpleBackground);
        let color: Color = serde_json::from_value(json!("teal")).unwrap();
        assert_eq!(color, Color::Unknown("teal".into()));
        assert_eq!(serde_json::to_value(&color).unwrap(), json!("teal"));
    }
}
