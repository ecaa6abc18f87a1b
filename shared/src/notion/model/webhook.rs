//! Notion webhook event envelopes. Events are signals: `data` is kept as JSON and the entity is
//! re-fetched.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

/// One delivered webhook event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    /// Event id: the dedupe key.
    pub id: String,
    /// When it happened: order events by this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    /// `page.created`, `page.content_updated`, `data_source.schema_updated`, ...
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authors: Option<Vec<WebhookActor>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accessible_by: Option<Vec<WebhookActor>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_number: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<WebhookEntity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"id","type":"person"|"bot"|"agent"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookActor {
    pub id: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub actor_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"id","type":"page"|"block"|"database"|"data_source"|"comment"|...}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookEntity {
    pub id: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
