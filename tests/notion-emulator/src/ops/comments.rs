//! New comments.

use serde_json::{Value, json};

use crate::ids::new_id;
use crate::json_shapes::{self as shapes, parent_target};
use crate::webhooks::PendingEvent;
use crate::workspace::Workspace;

use super::{Actor, event};

/// A comment to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewComment {
    /// `{type:"page_id",page_id}` or `{type:"block_id",block_id}`.
    pub parent: Value,
    /// The page the comment lands on.
    pub page_id: String,
    /// Reply to this discussion, or start a new one.
    pub discussion_id: Option<String>,
    pub rich_text: Value,
    /// `display_name.resolved_name`.
    pub display_name: String,
}

/// `POST /v1/comments` once the target is resolved and visible. `page_id` is the page the comment
/// lands on.
pub fn create_comment(
    ws: &mut Workspace,
    new: NewComment,
    now: &str,
    actor: &Actor,
) -> (Value, Vec<PendingEvent>) {
    let NewComment {
        parent,
        page_id,
        discussion_id,
        rich_text: rich,
        display_name,
    } = new;
    let page_id = page_id.as_str();
    let id = new_id();
    let discussion = discussion_id.unwrap_or_else(new_id);
    let comment = json!({
        "object": "comment",
        "id": id,
        "parent": parent,
        "discussion_id": discussion,
        "created_time": now,
        "last_edited_time": now,
        "created_by": shapes::user_ref(&actor.id),
        "rich_text": rich,
        "display_name": {"type": if actor.kind == "bot" { "integration" } else { "user" }, "resolved_name": display_name},
    });
    ws.comments.push(comment.clone());
    let target_type = if parent["type"] == "block_id" {
        "block"
    } else {
        "page"
    };
    let target = parent_target(&parent).unwrap_or_default();
    let events = vec![event(
        "comment.created",
        "comment",
        &id,
        json!({"page_id": page_id, "parent": {"id": target, "type": target_type}}),
        actor,
    )];
    (comment, events)
}
