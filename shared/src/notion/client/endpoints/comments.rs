//! Comments: list the unresolved comments of a page or block, add one.

use futures::Stream;

use super::super::paginate::paginate;
use super::super::requests::CreateComment;
use super::super::retry::RequestKind;
use super::super::transport::ApiRequest;
use super::super::{ConnectionClient, NotionError};
use super::STREAM_PAGE_SIZE;
use crate::notion::model::{Comment, List};

impl ConnectionClient {
    /// One page of the unresolved comments on a page or block.
    pub async fn list_comments_page(
        &self,
        block_id: &str,
        start_cursor: Option<&str>,
        page_size: Option<u32>,
    ) -> Result<List<Comment>, NotionError> {
        let request = ApiRequest::get("/v1/comments", "/v1/comments".to_owned())
            .query("block_id", block_id)
            .query_opt("start_cursor", start_cursor)
            .query_opt("page_size", page_size.map(|size| size.to_string()));
        self.send(request).await
    }

    /// Every unresolved comment on a page or block.
    pub fn comments(
        &self,
        block_id: &str,
    ) -> impl Stream<Item = Result<Comment, NotionError>> + Send + 'static {
        let client = self.clone();
        let block_id = block_id.to_owned();
        paginate(None, move |cursor: Option<String>| {
            let client = client.clone();
            let block_id = block_id.clone();
            async move {
                client
                    .list_comments_page(&block_id, cursor.as_deref(), Some(STREAM_PAGE_SIZE))
                    .await
            }
        })
    }

    /// Adds a comment (never retried automatically: a retry could post it twice).
    pub async fn create_comment(&self, comment: &CreateComment) -> Result<Comment, NotionError> {
        let request = ApiRequest::post(
            "/v1/comments",
            "/v1/comments".to_owned(),
            RequestKind::Write,
        )
        .json(comment)?;
        self.send(request).await
    }
}
