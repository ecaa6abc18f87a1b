//! `add_comment`: a comment on a page or block, or a reply in an existing discussion.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Actions;
use super::error::ActionError;
use super::spec::{ActionSpec, Annotations, Render, notion_id};
use super::values::rich_text_plain;
use crate::domain::ConnectionId;
use crate::notion::client::CreateComment;
use crate::notion::model::Parent;

/// Characters a comment may hold at most.
const MAX_COMMENT_CHARS: usize = 10_000;

/// Add a comment to a page (or block), or reply in a discussion.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCommentInput {
    /// The page to comment on (id or URL). Give exactly one of page_id, block_id and
    /// discussion_id.
    #[serde(default)]
    pub page_id: Option<String>,
    /// A block to comment on (from get_page with include_block_ids).
    #[serde(default)]
    pub block_id: Option<String>,
    /// A discussion to reply in (a comment's discussion_id).
    #[serde(default)]
    pub discussion_id: Option<String>,
    /// The comment, in Markdown (inline formatting and links).
    pub markdown: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AddCommentOutput {
    /// The new comment's id.
    pub id: String,
    /// Reply here (as discussion_id) to continue the thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discussion_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// The comment's text as Notion stored it.
    pub text: String,
}

pub(super) fn spec() -> ActionSpec {
    ActionSpec::new::<AddCommentInput, AddCommentOutput>(
        "add_comment",
        "Comment on a Notion page",
        "Adds a comment (Markdown) to a page or block, or replies in an existing discussion. \
         Needs the integration's comment capability.",
        Annotations::additive(false),
    )
}

impl Render for AddCommentOutput {
    fn render(&self) -> String {
        format!(
            "Comment {} added{}.",
            self.id,
            self.discussion_id
                .as_deref()
                .map(|id| format!(" (discussion {id})"))
                .unwrap_or_default()
        )
    }
}

pub(super) async fn run(
    actions: &Actions,
    connection: &ConnectionId,
    input: AddCommentInput,
) -> Result<AddCommentOutput, ActionError> {
    let markdown = input.markdown.trim().to_owned();
    if markdown.is_empty() {
        return Err(ActionError::invalid("markdown", "must not be empty"));
    }
    if markdown.chars().count() > MAX_COMMENT_CHARS {
        return Err(ActionError::invalid(
            "markdown",
            format!("at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    let mut request = CreateComment {
        parent: None,
        discussion_id: None,
        rich_text: None,
        markdown: Some(markdown),
        display_name: None,
    };
    let target = match (&input.page_id, &input.block_id, &input.discussion_id) {
        (Some(page), None, None) => {
            let id = notion_id(page, "page_id")?;
            request.parent = Some(Parent::PageId(id.clone()));
            ("page", id)
        }
        (None, Some(block), None) => {
            let id = notion_id(block, "block_id")?;
            request.parent = Some(Parent::BlockId(id.clone()));
            ("block", id)
        }
        (None, None, Some(discussion)) => {
            let id = discussion.trim().to_owned();
            if id.is_empty() {
                return Err(ActionError::invalid("discussion_id", "must not be empty"));
            }
            request.discussion_id = Some(id.clone());
            ("discussion", id)
        }
        _ => {
            return Err(ActionError::invalid(
                "page_id",
                "give exactly one of page_id, block_id and discussion_id",
            ));
        }
    };
    let comment = actions
        .notion(connection, |client| {
            let request = request.clone();
            async move { client.create_comment(&request).await }
        })
        .await
        .map_err(|error| match error {
            ActionError::NotFound { .. } => ActionError::not_shared(target.0, &target.1),
            other => other,
        })?;
    let json = serde_json::to_value(&comment).unwrap_or_default();
    Ok(AddCommentOutput {
        id: comment.id.clone(),
        discussion_id: json["discussion_id"].as_str().map(str::to_owned),
        created_time: json["created_time"].as_str().map(str::to_owned),
        text: rich_text_plain(&json["rich_text"]),
    })
}
