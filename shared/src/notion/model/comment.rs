//! Comments on pages and blocks.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::Parent;
use super::rich_text::RichText;
use super::tagged::{Nullable, nullable};
use super::user::User;

/// A comment. `GET /v1/comments` returns unresolved comments only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Parent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discussion_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_edited_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<User>,
    #[serde(default)]
    pub rich_text: Vec<RichText>,
    /// The comment as Markdown (newer responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<CommentDisplayName>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub attachments: Nullable<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Comment {
    pub fn plain_text(&self) -> String {
        RichText::concat_plain_text(&self.rich_text)
    }
}

/// Who the comment shows as: `{"type":"integration"|"user"|"custom","resolved_name":...}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommentDisplayName {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
