//! Blocks: retrieve, list children, append, update, delete (move to trash).

use futures::Stream;

use super::super::paginate::paginate;
use super::super::requests::AppendChildren;
use super::super::transport::{ApiRequest, path_segment};
use super::super::{ConnectionClient, NotionError};
use super::STREAM_PAGE_SIZE;
use crate::notion::model::{Block, List};

impl ConnectionClient {
    pub async fn retrieve_block(&self, block_id: &str) -> Result<Block, NotionError> {
        let path = format!("/v1/blocks/{}", path_segment(block_id));
        self.send(ApiRequest::get("/v1/blocks/{id}", path)).await
    }

    /// One page of a block's (or page's) direct children.
    pub async fn block_children_page(
        &self,
        block_id: &str,
        start_cursor: Option<&str>,
        page_size: Option<u32>,
    ) -> Result<List<Block>, NotionError> {
        let path = format!("/v1/blocks/{}/children", path_segment(block_id));
        let request = ApiRequest::get("/v1/blocks/{id}/children", path)
            .query_opt("start_cursor", start_cursor)
            .query_opt("page_size", page_size.map(|size| size.to_string()));
        self.send(request).await
    }

    /// Every direct child, page after page (not recursive: children of children are the
    /// caller's walk).
    pub fn block_children(
        &self,
        block_id: &str,
    ) -> impl Stream<Item = Result<Block, NotionError>> + Send + 'static {
        let client = self.clone();
        let block_id = block_id.to_owned();
        paginate(None, move |cursor: Option<String>| {
            let client = client.clone();
            let block_id = block_id.clone();
            async move {
                client
                    .block_children_page(&block_id, cursor.as_deref(), Some(STREAM_PAGE_SIZE))
                    .await
            }
        })
    }

    /// Appends up to 100 children (two nesting levels) at `position`. Returns the new
    /// first-level blocks. Never retried on 5xx or timeouts: it may have been applied.
    pub async fn append_children(
        &self,
        block_id: &str,
        request: &AppendChildren,
    ) -> Result<List<Block>, NotionError> {
        let path = format!("/v1/blocks/{}/children", path_segment(block_id));
        self.send(ApiRequest::patch("/v1/blocks/{id}/children", path).json(request)?)
            .await
    }

    /// Updates a block's content (the request form of `block`: type and payload).
    pub async fn update_block(&self, block_id: &str, block: &Block) -> Result<Block, NotionError> {
        let path = format!("/v1/blocks/{}", path_segment(block_id));
        self.send(ApiRequest::patch("/v1/blocks/{id}", path).json(block)?)
            .await
    }

    /// Moves a block to the trash; returns it.
    pub async fn delete_block(&self, block_id: &str) -> Result<Block, NotionError> {
        let path = format!("/v1/blocks/{}", path_segment(block_id));
        self.send(ApiRequest::delete("/v1/blocks/{id}", path)).await
    }
}
