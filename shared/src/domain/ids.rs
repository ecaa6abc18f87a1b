//! Identifiers, each parsed once through a fallible constructor.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    #[error("{kind} must be a UUID")]
    NotUuid { kind: &'static str },
    #[error("{kind} must be 1 to {max} bytes long")]
    Length { kind: &'static str, max: usize },
    #[error("{kind} must not contain control characters")]
    ControlCharacter { kind: &'static str },
    #[error("{kind} may only contain lowercase letters, digits and '_'")]
    Charset { kind: &'static str },
}

/// A connection's id: a UUID, always written in its lowercase hyphenated form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionId(Uuid);

impl ConnectionId {
    /// A fresh random id (UUID v4).
    pub fn random() -> Self {
        Self(Uuid::new_v4())
    }

    /// Accepts any UUID spelling; the value is then kept in canonical form.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        Uuid::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| IdError::NotUuid {
                kind: "connection id",
            })
    }

    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

impl fmt::Debug for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectionId({self})")
    }
}

impl std::str::FromStr for ConnectionId {
    type Err = IdError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl TryFrom<String> for ConnectionId {
    type Error = IdError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<ConnectionId> for String {
    fn from(id: ConnectionId) -> Self {
        id.to_string()
    }
}

fn check_text(raw: &str, kind: &'static str, max: usize) -> Result<(), IdError> {
    if raw.is_empty() || raw.len() > max {
        return Err(IdError::Length { kind, max });
    }
    if raw.chars().any(char::is_control) {
        return Err(IdError::ControlCharacter { kind });
    }
    Ok(())
}

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: impl Into<String>) -> Result<Self, IdError> {
                let raw = raw.into();
                check_text(&raw, $kind, $max)?;
                Ok(Self(raw))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

text_id!(
    /// The app's own id for its end user (opaque to Relay; 1 to 256 bytes, no control characters).
    EndUserId,
    "end user id",
    256
);

text_id!(
    /// A synced record's id within its model (for Notion objects: the Notion id as received).
    RecordId,
    "record id",
    512
);

/// The kind of a synced record. Known models have variants; others stay representable so that a
/// new model needs no storage change.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum RecordModel {
    Page,
    Database,
    DataSource,
    /// A data-source row (a page whose parent is a data source).
    Row,
    Other(String),
}

impl RecordModel {
    const MAX_LEN: usize = 64;

    /// Lowercase letters, digits and `_`, 1 to 64 bytes.
    pub fn parse(raw: &str) -> Result<Self, IdError> {
        const KIND: &str = "record model";
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return Err(IdError::Length {
                kind: KIND,
                max: Self::MAX_LEN,
            });
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(IdError::Charset { kind: KIND });
        }
        Ok(match raw {
            "page" => Self::Page,
            "database" => Self::Database,
            "data_source" => Self::DataSource,
            "row" => Self::Row,
            other => Self::Other(other.to_owned()),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Page => "page",
            Self::Database => "database",
            Self::DataSource => "data_source",
            Self::Row => "row",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for RecordModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RecordModel {
    type Err = IdError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl TryFrom<String> for RecordModel {
    type Error = IdError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<RecordModel> for String {
    fn from(model: RecordModel) -> Self {
        model.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ids_are_canonical() {
        let id = ConnectionId::parse("6F9619FF8B86D011B42D00C04FC964FF").unwrap();
        assert_eq!(id.to_string(), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
        assert_eq!(ConnectionId::parse(&id.to_string()).unwrap(), id);
        assert!(ConnectionId::parse("not-a-uuid").is_err());
        assert!(ConnectionId::parse("").is_err());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"6f9619ff-8b86-d011-b42d-00c04fc964ff\"");
        assert!(serde_json::from_str::<ConnectionId>("\"nope\"").is_err());
    }

    #[test]
    fn text_ids_reject_empty_long_and_control() {
        assert!(EndUserId::parse("user-1").is_ok());
        assert!(EndUserId::parse("").is_err());
        assert!(EndUserId::parse("a".repeat(257)).is_err());
        assert!(RecordId::parse("a\nb").is_err());
        assert!(RecordId::parse("59833787-2cf9-4fdf-8782-e53db20768a5").is_ok());
    }

    #[test]
    fn models_parse_known_and_other() {
        assert_eq!(
            RecordModel::parse("data_source").unwrap(),
            RecordModel::DataSource
        );
        assert_eq!(
            RecordModel::parse("comment").unwrap(),
            RecordModel::Other("comment".into())
        );
        assert!(RecordModel::parse("Page").is_err());
        assert!(RecordModel::parse("a#b").is_err());
        assert!(RecordModel::parse("").is_err());
        for model in ["page", "database", "data_source", "row", "block"] {
            assert_eq!(RecordModel::parse(model).unwrap().as_str(), model);
        }
    }
}
