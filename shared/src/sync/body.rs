//! Reading a page body: the Markdown endpoint (one request for most pages), completed from its
//! `unknown_block_ids` subtrees when Notion truncates, or the block tree when blocks are wanted.
//! Every limit applied is returned for the run report, never dropped silently.

use std::collections::{HashSet, VecDeque};

use futures::future::BoxFuture;
use serde_json::{Value, json};

use super::options::{BodyMode, SyncOptions};
use super::payload::PageBody;
use crate::markdown::{BlockNode, blocks_to_markdown};
use crate::notion::model::{Block, BlockContent};
use crate::notion::{ConnectionClient, NotionError};

/// A limit applied while reading one body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitApplied {
    pub code: &'static str,
    pub message: String,
}

/// A body and what reading it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyRead {
    pub body: PageBody,
    pub requests: u64,
    pub limits: Vec<LimitApplied>,
}

/// Reads the body of page `page_id` the way `options` says. A `NotFound` for the page itself is
/// returned as an error (the page is gone or unshared); missing subtrees are reported instead.
pub async fn read_body(
    client: &ConnectionClient,
    page_id: &str,
    options: &SyncOptions,
) -> Result<BodyRead, NotionError> {
    match options.body_mode {
        BodyMode::Blocks => read_blocks(client, page_id, options.max_block_requests).await,
        BodyMode::Markdown => {
            match read_markdown(client, page_id, options).await {
                // The endpoint refused this page's shape (not a markdown-able page): use the tree.
                Err(NotionError::Validation { .. }) => {
                    let mut read = read_blocks(client, page_id, options.max_block_requests).await?;
                    read.requests += 1;
                    read.limits.push(LimitApplied {
                    code: "markdown_unavailable",
                    message: "the markdown endpoint refused the page; its block tree was read instead".into(),
                });
                    Ok(read)
                }
                other => other,
            }
        }
    }
}

/// Whether `markdown` already holds a placeholder for block `id` (`<unknown url=".../<id>" .../>`):
/// Notion lists blocks it cannot render in `unknown_block_ids` too, and reading them again only
/// repeats the placeholder.
fn has_placeholder(markdown: &str, id: &str) -> bool {
    let compact = id.replace('-', "");
    markdown
        .lines()
        .any(|line| line.contains("<unknown") && (line.contains(&compact) || line.contains(id)))
}

async fn read_markdown(
    client: &ConnectionClient,
    page_id: &str,
    options: &SyncOptions,
) -> Result<BodyRead, NotionError> {
    let first = client.page_markdown(page_id, false).await?;
    let mut requests = 1u64;
    let mut limits = Vec::new();
    let mut complete = true;
    if first.truncated && first.unknown_block_ids.is_empty() {
        complete = false;
        limits.push(LimitApplied {
            code: "body_truncated",
            message: "Notion truncated the markdown without naming the missing blocks".into(),
        });
    }
    let mut parts = vec![first.markdown];
    // Subtrees in document order: a subtree's own unknown blocks come before the next queued one.
    let mut queue: VecDeque<String> = first.unknown_block_ids.into();
    let mut requested: HashSet<String> = HashSet::new();
    let mut unfetched = Vec::new();
    let mut fetched = 0usize;
    while let Some(block_id) = queue.pop_front() {
        let shown = parts.iter().any(|part| has_placeholder(part, &block_id));
        if shown || !requested.insert(block_id.clone()) {
            limits.push(LimitApplied {
                code: "block_unsupported",
                message: format!(
                    "block {block_id} cannot be read through the API; kept as a placeholder"
                ),
            });
            continue;
        }
        if fetched >= options.max_subtree_requests {
            unfetched.push(block_id);
            unfetched.extend(queue.drain(..));
            complete = false;
            limits.push(LimitApplied {
                code: "body_subtree_limit",
                message: format!(
                    "stopped after {} markdown subtrees; {} blocks left out",
                    options.max_subtree_requests,
                    unfetched.len()
                ),
            });
            break;
        }
        fetched += 1;
        requests += 1;
        match client.page_markdown(&block_id, false).await {
            Ok(sub) => {
                if sub.truncated && sub.unknown_block_ids.is_empty() {
                    complete = false;
                    limits.push(LimitApplied {
                        code: "body_truncated",
                        message: format!("subtree {block_id} was truncated without unknown ids"),
                    });
                }
                for id in sub.unknown_block_ids.into_iter().rev() {
                    queue.push_front(id);
                }
                parts.push(sub.markdown);
            }
            Err(error @ (NotionError::NotFound { .. } | NotionError::Restricted { .. })) => {
                complete = false;
                limits.push(LimitApplied {
                    code: "block_unavailable",
                    message: format!("subtree {block_id} could not be read: {error}"),
                });
                unfetched.push(block_id);
            }
            Err(error) => return Err(error),
        }
    }
    let markdown = parts
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Ok(BodyRead {
        body: PageBody {
            markdown,
            complete,
            unfetched_block_ids: unfetched,
            blocks: None,
        },
        requests,
        limits,
    })
}

/// Walk state shared by the recursion.
struct Walk<'a> {
    client: &'a ConnectionClient,
    max_requests: usize,
    requests: usize,
    unfetched: Vec<String>,
}

async fn read_blocks(
    client: &ConnectionClient,
    page_id: &str,
    max_requests: usize,
) -> Result<BodyRead, NotionError> {
    let mut walk = Walk {
        client,
        max_requests: max_requests.max(1),
        requests: 0,
        unfetched: Vec::new(),
    };
    let nodes = walk_children(&mut walk, page_id.to_owned()).await?;
    let mut limits = Vec::new();
    let complete = walk.unfetched.is_empty();
    if !complete {
        limits.push(LimitApplied {
            code: "body_block_limit",
            message: format!(
                "stopped after {} block requests; {} containers left out",
                walk.max_requests,
                walk.unfetched.len()
            ),
        });
    }
    let blocks = Value::Array(nodes.iter().map(node_json).collect());
    Ok(BodyRead {
        body: PageBody {
            markdown: blocks_to_markdown(&nodes).trim_end_matches('\n').to_owned(),
            complete,
            unfetched_block_ids: walk.unfetched,
            blocks: Some(blocks),
        },
        requests: walk.requests as u64,
        limits,
    })
}

/// Child pages and databases are records of their own: their content is not part of this body.
fn walks_into(block: &Block) -> bool {
    block.has_children == Some(true)
        && !matches!(
            block.content,
            BlockContent::ChildPage(_) | BlockContent::ChildDatabase(_)
        )
}

fn walk_children<'a>(
    walk: &'a mut Walk<'_>,
    container: String,
) -> BoxFuture<'a, Result<Vec<BlockNode>, NotionError>> {
    Box::pin(async move {
        let mut blocks = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            if walk.requests >= walk.max_requests {
                walk.unfetched.push(container.clone());
                break;
            }
            walk.requests += 1;
            let page = walk
                .client
                .block_children_page(&container, cursor.as_deref(), Some(100))
                .await?;
            let next = page.next_page_cursor().map(str::to_owned);
            blocks.extend(page.results);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let mut nodes = Vec::with_capacity(blocks.len());
        for block in blocks {
            let children = match (&block.id, walks_into(&block)) {
                (Some(id), true) => walk_children(walk, id.clone()).await?,
                _ => Vec::new(),
            };
            nodes.push(BlockNode { block, children });
        }
        Ok(nodes)
    })
}

fn node_json(node: &BlockNode) -> Value {
    let mut block = serde_json::to_value(&node.block).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut block {
        map.remove("request_id");
        map.insert(
            "children".into(),
            json!(node.children.iter().map(node_json).collect::<Vec<_>>()),
        );
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised_in_either_id_form() {
        let markdown = "Text\n<unknown url=\"https://www.notion.so/3b39cdffee1e4844a23a6acfe530283f\" alt=\"button\"/>";
        assert!(has_placeholder(
            markdown,
            "3b39cdff-ee1e-4844-a23a-6acfe530283f"
        ));
        assert!(!has_placeholder(
            markdown,
            "00000000-ee1e-4844-a23a-6acfe530283f"
        ));
        assert!(!has_placeholder(
            "3b39cdffee1e4844a23a6acfe530283f",
            "3b39cdff-ee1e-4844-a23a-6acfe530283f"
        ));
    }
}
