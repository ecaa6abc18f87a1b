//! `get_page`: a page's properties and body as Markdown. The page object is always read from
//! Notion (one request: current properties, and proof the page is still shared); the body comes
//! from the synced copy when that copy is known to be current, from Notion otherwise.
//!
//! Freshness rule: the stored body is used when it is complete, the stored `last_edited_time`
//! equals the page's current one, and the copy was taken (record written, or a successful sync
//! finished) at least a minute after that time. Notion's timestamps are minute-granular, so an
//! edit later in the same minute would not change `last_edited_time`: the one-minute margin
//! makes sure such an edit was already in the copy. A page the sync still has to re-read for that
//! reason (its checkpoint's `recheck`) is never served from the copy.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use super::Actions;
use super::error::ActionError;
use super::spec::{ActionSpec, Annotations, Render, notion_id, truncate_chars};
use super::values::{ParentRef, parent_ref, plain_properties, render_properties};
use crate::domain::{ConnectionId, RecordId, RecordKey, RecordModel};
use crate::sync::body::read_body;
use crate::sync::notion_time;
use crate::sync::{BodyMode, SyncCheckpoint, SyncOptions};

const DEFAULT_MAX_CHARS: u32 = 20_000;
const MAX_MAX_CHARS: u32 = 100_000;
/// Blocks listed at most with `include_block_ids`.
const MAX_BLOCKS: usize = 500;
/// Block-children requests at most for `include_block_ids`.
const MAX_BLOCK_REQUESTS: usize = 60;

/// Read a page (or database row): its properties and its body as Markdown.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetPageInput {
    /// The page id (UUID, with or without dashes) or its Notion URL.
    pub page_id: String,
    /// Also list the body's blocks with their ids (to comment on a block or refer to it). Reads
    /// the block tree from Notion: slower and costs more requests.
    #[serde(default)]
    pub include_block_ids: bool,
    /// Characters of Markdown to return at most, 1 to 100000 (default 20000).
    #[serde(default)]
    pub max_chars: Option<u32>,
    /// Continue a cut body from this character offset (the previous answer's `next_offset`).
    #[serde(default)]
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GetPageOutput {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_edited_time: Option<String>,
    pub in_trash: bool,
    /// Property values in plain form by name (text as strings, options by name, relations as
    /// page ids).
    pub properties: Map<String, Value>,
    /// The body (or the part from `offset`) as Markdown.
    pub markdown: String,
    /// `synced` (Relay's copy, current) or `notion` (read now).
    pub body_source: String,
    /// False when Notion could not render part of the body; `unfetched_block_ids` lists it.
    pub body_complete: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfetched_block_ids: Vec<String>,
    /// Characters in the whole body.
    pub total_chars: u64,
    /// Pass as `offset` to read the rest of a cut body; absent when nothing is left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u64>,
    /// With `include_block_ids`: the body's blocks in document order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Vec<BlockSummary>>,
    /// With `include_block_ids`: true when the list stopped at its limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks_truncated: Option<bool>,
}

/// One block of the body.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BlockSummary {
    pub id: String,
    /// The block type (`paragraph`, `heading_2`, `to_do`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Nesting level, 0 for top-level blocks.
    pub depth: u32,
    /// The block's plain text (cut at 200 characters).
    pub text: String,
}

pub(super) fn spec() -> ActionSpec {
    ActionSpec::new::<GetPageInput, GetPageOutput>(
        "get_page",
        "Read a Notion page",
        "Reads a page or database row: its properties (plain values) and its body as Markdown, \
         served from Relay's synced copy when that copy is current and from Notion otherwise. \
         Long bodies are cut at max_chars; continue with offset = next_offset. Set \
         include_block_ids to list the body's blocks with their ids.",
        Annotations::READ,
    )
}

impl Render for GetPageOutput {
    fn render(&self) -> String {
        let mut text = format!(
            "# {}\nid: {}\n",
            if self.title.is_empty() {
                "(untitled)"
            } else {
                &self.title
            },
            self.id
        );
        if let Some(url) = &self.url {
            text.push_str(&format!("url: {url}\n"));
        }
        let properties = render_properties(&self.properties);
        if !properties.is_empty() {
            text.push_str("\n## Properties\n");
            text.push_str(&properties);
            text.push('\n');
        }
        text.push_str("\n## Body\n");
        text.push_str(&self.markdown);
        if let Some(offset) = self.next_offset {
            text.push_str(&format!(
                "\n\n[body cut at character {offset} of {}; call again with offset {offset}]",
                self.total_chars
            ));
        }
        if !self.body_complete {
            text.push_str(&format!(
                "\n\n[Notion could not render blocks {}]",
                self.unfetched_block_ids.join(", ")
            ));
        }
        if let Some(blocks) = &self.blocks {
            text.push_str("\n\n## Blocks\n");
            for block in blocks {
                text.push_str(&format!(
                    "{}- {} {}: {}\n",
                    "  ".repeat(block.depth as usize),
                    block.kind,
                    block.id,
                    block.text
                ));
            }
        }
        text
    }
}

pub(super) async fn run(
    actions: &Actions,
    connection: &ConnectionId,
    input: GetPageInput,
) -> Result<GetPageOutput, ActionError> {
    let page_id = notion_id(&input.page_id, "page_id")?;
    let max_chars = match input.max_chars {
        None => DEFAULT_MAX_CHARS,
        Some(n) if (1..=MAX_MAX_CHARS).contains(&n) => n,
        Some(_) => {
            return Err(ActionError::invalid(
                "max_chars",
                format!("must be between 1 and {MAX_MAX_CHARS}"),
            ));
        }
    } as usize;
    let offset = input.offset.unwrap_or(0) as usize;

    let page = actions
        .notion(connection, |client| {
            let page_id = page_id.clone();
            async move { client.retrieve_page(&page_id, &[]).await }
        })
        .await
        .map_err(|error| match error {
            ActionError::NotFound { .. } => ActionError::not_shared("page", &page_id),
            other => other,
        })?;
    let page_json = serde_json::to_value(&page).unwrap_or(Value::Null);

    let (markdown, body_source, complete, unfetched) = match synced_body(
        actions,
        connection,
        &page_id,
        page.last_edited_time.as_deref(),
    )
    .await?
    {
        Some(markdown) => (markdown, "synced", true, Vec::new()),
        None => {
            let options = SyncOptions::default();
            let read = actions
                .notion(connection, |client| {
                    let (page_id, options) = (page_id.clone(), options.clone());
                    async move { read_body(&client, &page_id, &options).await }
                })
                .await?;
            (
                read.body.markdown,
                "notion",
                read.body.complete,
                read.body.unfetched_block_ids,
            )
        }
    };

    let total_chars = markdown.chars().count();
    if offset > total_chars {
        return Err(ActionError::invalid(
            "offset",
            format!("is past the end of the body ({total_chars} characters)"),
        ));
    }
    let rest: String = markdown.chars().skip(offset).collect();
    let (kept, cut) = truncate_chars(&rest, max_chars);
    let kept_chars = kept.chars().count();

    let (blocks, blocks_truncated) = if input.include_block_ids {
        let (blocks, truncated) = block_list(actions, connection, &page_id).await?;
        (Some(blocks), Some(truncated))
    } else {
        (None, None)
    };

    Ok(GetPageOutput {
        id: page_id,
        url: page.url.clone(),
        title: page.title(),
        parent: parent_ref(&page_json["parent"]),
        last_edited_time: page.last_edited_time.clone(),
        in_trash: page.in_trash,
        properties: plain_properties(&page_json["properties"]),
        markdown: kept.to_owned(),
        body_source: body_source.to_owned(),
        body_complete: complete,
        unfetched_block_ids: unfetched,
        total_chars: total_chars as u64,
        next_offset: cut.then_some((offset + kept_chars) as u64),
        blocks,
        blocks_truncated,
    })
}

/// The stored body of the page when the synced copy is current (see the module doc).
async fn synced_body(
    actions: &Actions,
    connection: &ConnectionId,
    page_id: &str,
    live_edited: Option<&str>,
) -> Result<Option<String>, ActionError> {
    let Some(live_edited) = notion_time::parse(live_edited) else {
        return Ok(None);
    };
    let Ok(record_id) = RecordId::parse(page_id) else {
        return Ok(None);
    };
    for model in [RecordModel::Page, RecordModel::Row] {
        let key = RecordKey {
            connection_id: *connection,
            model,
            record_id: record_id.clone(),
        };
        let Some(record) = actions.ctx.adapters.records.get(&key).await? else {
            continue;
        };
        let body = &record.payload["body"];
        let (Some(markdown), true) = (body["markdown"].as_str(), body["complete"] == true) else {
            return Ok(None);
        };
        if record.deleted_at.is_some() || record.source_modified != Some(live_edited) {
            return Ok(None);
        }
        let copied_at = match actions.last_sync_finished(connection).await? {
            Some(finished) => finished.max(record.last_modified_at),
            None => record.last_modified_at,
        };
        if !is_fresh(live_edited, copied_at) || awaits_recheck(actions, connection, page_id).await?
        {
            return Ok(None);
        }
        return Ok(Some(markdown.to_owned()));
    }
    Ok(None)
}

/// Whether the sync read the page's body during its edit minute and has not re-read it since
/// (the checkpoint's `recheck`): the copy may miss a later edit of that minute, and the re-read
/// is only due once Notion's clock visibly moves on, so finished runs do not vouch for it.
async fn awaits_recheck(
    actions: &Actions,
    connection: &ConnectionId,
    page_id: &str,
) -> Result<bool, ActionError> {
    let stored = actions
        .ctx
        .adapters
        .sync_state
        .get_checkpoint(connection)
        .await?;
    Ok(stored.is_some_and(|stored| {
        SyncCheckpoint::decode(&stored.data)
            .recheck
            .contains_key(page_id)
    }))
}

/// A copy taken at `copied_at` holds every edit of a page last edited in minute `edited`.
fn is_fresh(edited: OffsetDateTime, copied_at: OffsetDateTime) -> bool {
    copied_at >= edited + Duration::minutes(1)
}

/// The body's blocks, depth first, from the block tree.
async fn block_list(
    actions: &Actions,
    connection: &ConnectionId,
    page_id: &str,
) -> Result<(Vec<BlockSummary>, bool), ActionError> {
    let options = SyncOptions {
        body_mode: BodyMode::Blocks,
        max_block_requests: MAX_BLOCK_REQUESTS,
        ..SyncOptions::default()
    };
    let read = actions
        .notion(connection, |client| {
            let (page_id, options) = (page_id.to_owned(), options.clone());
            async move { read_body(&client, &page_id, &options).await }
        })
        .await?;
    let mut blocks = Vec::new();
    let mut truncated = !read.body.complete;
    if let Some(Value::Array(tree)) = &read.body.blocks {
        truncated |= flatten(tree, 0, &mut blocks);
    }
    Ok((blocks, truncated))
}

/// Appends `tree` to `out` depth first; answers true when [`MAX_BLOCKS`] stopped it.
fn flatten(tree: &[Value], depth: u32, out: &mut Vec<BlockSummary>) -> bool {
    for block in tree {
        if out.len() >= MAX_BLOCKS {
            return true;
        }
        let kind = block["type"].as_str().unwrap_or_default();
        let text = match block[kind].get("title") {
            // child_page / child_database blocks carry a plain title, not rich text.
            Some(Value::String(title)) => title.clone(),
            _ => super::values::rich_text_plain(&block[kind]["rich_text"]),
        };
        let (text, _) = truncate_chars(&text, 200);
        out.push(BlockSummary {
            id: block["id"].as_str().unwrap_or_default().to_owned(),
            kind: kind.to_owned(),
            depth,
            text: text.to_owned(),
        });
        if let Some(children) = block["children"].as_array()
            && flatten(children, depth + 1, out)
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn freshness_needs_a_copy_taken_after_the_edit_minute() {
        let edited = datetime!(2026-03-01 10:05 UTC);
        assert!(!is_fresh(edited, datetime!(2026-03-01 10:05:40 UTC)));
        assert!(is_fresh(edited, datetime!(2026-03-01 10:06 UTC)));
        assert!(is_fresh(edited, datetime!(2026-03-02 00:00 UTC)));
    }

    #[test]
    fn block_lists_are_depth_first_and_bounded() {
        let tree = vec![
            json!({"id": "a", "type": "paragraph", "paragraph": {"rich_text": [{"plain_text": "A"}]},
                   "children": [{"id": "b", "type": "to_do", "to_do": {"rich_text": [{"plain_text": "B"}]}}]}),
            json!({"id": "c", "type": "divider", "divider": {}}),
        ];
        let mut out = Vec::new();
        assert!(!flatten(&tree, 0, &mut out));
        let ids: Vec<(&str, u32, &str)> = out
            .iter()
            .map(|b| (b.id.as_str(), b.depth, b.text.as_str()))
            .collect();
        assert_eq!(ids, vec![("a", 0, "A"), ("b", 1, "B"), ("c", 0, "")]);
    }
}
