//! `GET /v1/pages/{id}/markdown`: a page body as Notion-flavoured Markdown.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A page as Markdown. When `truncated`, fetch each id of `unknown_block_ids` (as a page id)
/// to get the missing subtrees.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageMarkdown {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: String,
    #[serde(default)]
    pub markdown: String,
    #[serde(default)]
    pub truncated: bool,
    #[serde(default)]
    pub unknown_block_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PageMarkdown {
    /// True when the markdown is the whole page (nothing truncated, no unknown subtrees).
    pub fn is_complete(&self) -> bool {
        !self.truncated && self.unknown_block_ids.is_empty()
    }
}
