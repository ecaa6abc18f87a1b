//! `POST /v1/search`: discovery of pages and data sources (a read, though a POST).

use futures::Stream;

use super::super::paginate::paginate;
use super::super::requests::SearchRequest;
use super::super::retry::RequestKind;
use super::super::transport::ApiRequest;
use super::super::{ConnectionClient, NotionError};
use super::STREAM_PAGE_SIZE;
use crate::notion::model::{List, SearchResult};

impl ConnectionClient {
    /// One page of search results; pass `next_cursor` back as `start_cursor` to resume.
    pub async fn search_page(
        &self,
        request: &SearchRequest,
    ) -> Result<List<SearchResult>, NotionError> {
        let request = ApiRequest::post("/v1/search", "/v1/search".to_owned(), RequestKind::Read)
            .json(request)?;
        self.send(request).await
    }

    /// Every search result, page after page (from `request.start_cursor` if set).
    pub fn search(
        &self,
        mut request: SearchRequest,
    ) -> impl Stream<Item = Result<SearchResult, NotionError>> + Send + 'static {
        let client = self.clone();
        request.page_size = request.page_size.or(Some(STREAM_PAGE_SIZE));
        let start = request.start_cursor.take();
        paginate(start, move |cursor| {
            let client = client.clone();
            let mut request = request.clone();
            request.start_cursor = cursor;
            async move { client.search_page(&request).await }
        })
    }
}
