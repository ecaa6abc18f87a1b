//! Notion's webhook event envelope, read leniently, and what Relay does for each event type.
//! Events are signals: they only say what to re-read (see notion-api.md §10).

use serde_json::Value;
use thiserror::Error;

/// The fields of an event Relay uses. Everything else in the envelope is ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct NotionEvent {
    /// The event id: the deduplication key.
    pub id: String,
    pub workspace_id: String,
    /// `page.created`, `data_source.schema_updated`, ...
    pub kind: String,
    pub entity_id: Option<String>,
    pub entity_type: Option<String>,
    pub data: Value,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum EventError {
    #[error("the body is not JSON")]
    NotJson,
    #[error("the body is not a JSON object")]
    NotAnObject,
    #[error("the event has no {0}")]
    Missing(&'static str),
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

impl NotionEvent {
    pub fn parse(body: &[u8]) -> Result<Self, EventError> {
        let value: Value = serde_json::from_slice(body).map_err(|_| EventError::NotJson)?;
        Self::from_value(value)
    }

    pub fn from_value(mut value: Value) -> Result<Self, EventError> {
        if !value.is_object() {
            return Err(EventError::NotAnObject);
        }
        let id = text(&value, "id").ok_or(EventError::Missing("id"))?;
        let workspace_id =
            text(&value, "workspace_id").ok_or(EventError::Missing("workspace_id"))?;
        let kind = text(&value, "type").ok_or(EventError::Missing("type"))?;
        let entity = value.get("entity").cloned().unwrap_or(Value::Null);
        Ok(Self {
            id,
            workspace_id,
            kind,
            entity_id: text(&entity, "id"),
            entity_type: text(&entity, "type"),
            data: value
                .as_object_mut()
                .and_then(|object| object.remove("data"))
                .unwrap_or(Value::Null),
        })
    }

    /// What to do for this event.
    pub fn action(&self) -> EventAction {
        let entity = self.entity_id.clone();
        let kind = self.kind.as_str();
        let Some((family, change)) = kind.split_once('.') else {
            return EventAction::Unknown;
        };
        match (family, change) {
            (
                "page",
                "created" | "content_updated" | "properties_updated" | "moved" | "undeleted"
                | "locked" | "unlocked",
            ) => entity.map_or(EventAction::Unknown, EventAction::RefetchPage),
            ("page", "deleted") => entity.map_or(EventAction::Unknown, EventAction::TombstonePage),
            (
                "data_source",
                "created" | "content_updated" | "schema_updated" | "moved" | "deleted"
                | "undeleted",
            ) => entity.map_or(EventAction::Unknown, EventAction::RefreshDataSource),
            (
                "database",
                "created" | "content_updated" | "schema_updated" | "moved" | "deleted"
                | "undeleted",
            ) => entity.map_or(EventAction::Unknown, EventAction::RefreshDatabase),
            // The sync keeps no comments: a comment event re-reads the page it is on, which keeps
            // the page's record (and its last edit) current. Cheap: it collapses with the page's
            // other pending re-fetches.
            ("comment", "created" | "updated" | "deleted") => {
                text(&self.data, "page_id").map_or(EventAction::Unknown, EventAction::RefetchPage)
            }
            // Known families the sync does not mirror.
            ("view" | "file_upload", _) => EventAction::Ignored,
            _ => EventAction::Unknown,
        }
    }
}

/// The targeted work an event asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventAction {
    RefetchPage(String),
    /// Confirmed by a re-read before the tombstone.
    TombstonePage(String),
    RefreshDataSource(String),
    /// A database id: its data sources (known from the synced copy) are refreshed; unknown ones
    /// are found by an incremental sync.
    RefreshDatabase(String),
    /// A known event type Relay does not sync (views, file uploads).
    Ignored,
    /// An event type this version does not know: accepted and counted.
    Unknown,
}

impl EventAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RefetchPage(_) => "refetch_page",
            Self::TombstonePage(_) => "tombstone_page",
            Self::RefreshDataSource(_) => "refresh_data_source",
            Self::RefreshDatabase(_) => "refresh_database",
            Self::Ignored => "ignored",
            Self::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: &str, entity: Value, data: Value) -> NotionEvent {
        NotionEvent::from_value(json!({
            "id": "e1", "workspace_id": "w1", "type": kind, "entity": entity, "data": data
        }))
        .unwrap()
    }

    #[test]
    fn event_types_map_to_targeted_work() {
        let page = json!({"id": "p1", "type": "page"});
        for kind in [
            "page.created",
            "page.content_updated",
            "page.properties_updated",
            "page.moved",
            "page.undeleted",
            "page.locked",
            "page.unlocked",
        ] {
            assert_eq!(
                event(kind, page.clone(), json!({})).action(),
                EventAction::RefetchPage("p1".into()),
                "{kind}"
            );
        }
        assert_eq!(
            event("page.deleted", page.clone(), json!({})).action(),
            EventAction::TombstonePage("p1".into())
        );
        let source = json!({"id": "ds1", "type": "data_source"});
        assert_eq!(
            event("data_source.schema_updated", source, json!({})).action(),
            EventAction::RefreshDataSource("ds1".into())
        );
        let database = json!({"id": "db1", "type": "database"});
        assert_eq!(
            event("database.content_updated", database, json!({})).action(),
            EventAction::RefreshDatabase("db1".into())
        );
        let comment = json!({"id": "c1", "type": "comment"});
        assert_eq!(
            event("comment.created", comment, json!({"page_id": "p9"})).action(),
            EventAction::RefetchPage("p9".into())
        );
        assert_eq!(
            event("view.updated", json!({}), json!({})).action(),
            EventAction::Ignored
        );
        assert_eq!(
            event("page.brand_new_thing", page.clone(), json!({})).action(),
            EventAction::Unknown
        );
        assert_eq!(
            event("nonsense", page, json!({})).action(),
            EventAction::Unknown
        );
        assert_eq!(
            event("page.created", json!(null), json!({})).action(),
            EventAction::Unknown
        );
    }

    #[test]
    fn envelopes_need_id_workspace_and_type() {
        assert_eq!(NotionEvent::parse(b"{"), Err(EventError::NotJson));
        assert_eq!(NotionEvent::parse(b"[1]"), Err(EventError::NotAnObject));
        assert_eq!(
            NotionEvent::parse(br#"{"workspace_id":"w","type":"page.created"}"#),
            Err(EventError::Missing("id"))
        );
        assert_eq!(
            NotionEvent::parse(br#"{"id":"e","type":"page.created"}"#),
            Err(EventError::Missing("workspace_id"))
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            if let Ok(event) = NotionEvent::parse(&body) {
                let _ = event.action();
            }
        }
    }
}
