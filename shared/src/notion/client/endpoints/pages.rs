//! Pages: retrieve, create, update, move, exact property values, and the Markdown body.

use futures::Stream;

use super::super::paginate::paginate;
use super::super::requests::{CreatePageRequest, MovePage, UpdatePage, UpdatePageMarkdown};
use super::super::retry::RequestKind;
use super::super::transport::{ApiRequest, path_segment};
use super::super::{ConnectionClient, NotionError};
use super::STREAM_PAGE_SIZE;
use crate::notion::model::{Page, PageMarkdown, PropertyItem, PropertyItemResponse};

impl ConnectionClient {
    /// A page; `filter_properties` (property ids) limits the properties returned (empty: all).
    pub async fn retrieve_page(
        &self,
        page_id: &str,
        filter_properties: &[&str],
    ) -> Result<Page, NotionError> {
        let path = format!("/v1/pages/{}", path_segment(page_id));
        let request = filter_properties
            .iter()
            .fold(ApiRequest::get("/v1/pages/{id}", path), |request, id| {
                request.query("filter_properties", *id)
            });
        self.send(request).await
    }

    /// Creates a page or a data-source row. Never retried on 5xx or timeouts: the page may have
    /// been created (callers own idempotency).
    pub async fn create_page(&self, request: &CreatePageRequest) -> Result<Page, NotionError> {
        if request.children.is_some() && request.markdown.is_some() {
            return Err(NotionError::InvalidRequest {
                message: "a page is created from children or from markdown, not both".to_owned(),
            });
        }
        let request = ApiRequest::post("/v1/pages", "/v1/pages".to_owned(), RequestKind::Write)
            .json(request)?;
        self.send(request).await
    }

    /// Updates properties, icon, cover, trash/lock state.
    pub async fn update_page(
        &self,
        page_id: &str,
        update: &UpdatePage,
    ) -> Result<Page, NotionError> {
        let path = format!("/v1/pages/{}", path_segment(page_id));
        self.send(ApiRequest::patch("/v1/pages/{id}", path).json(update)?)
            .await
    }

    /// Moves a page under another page or into a data source.
    pub async fn move_page(&self, page_id: &str, request: &MovePage) -> Result<Page, NotionError> {
        let path = format!("/v1/pages/{}/move", path_segment(page_id));
        let request =
            ApiRequest::post("/v1/pages/{id}/move", path, RequestKind::Write).json(request)?;
        self.send(request).await
    }

    /// One page of a property's exact value (relations, people and rich text beyond the 25
    /// references a page object carries). `property_id` is passed as Notion returned it.
    pub async fn page_property_page(
        &self,
        page_id: &str,
        property_id: &str,
        start_cursor: Option<&str>,
        page_size: Option<u32>,
    ) -> Result<PropertyItemResponse, NotionError> {
        let path = format!(
            "/v1/pages/{}/properties/{}",
            path_segment(page_id),
            path_segment(property_id)
        );
        let request = ApiRequest::get("/v1/pages/{id}/properties/{property_id}", path)
            .query_opt("start_cursor", start_cursor)
            .query_opt("page_size", page_size.map(|size| size.to_string()));
        self.send(request).await
    }

    /// Every item of a property's value (a single item for non-paginated types).
    pub fn page_property_items(
        &self,
        page_id: &str,
        property_id: &str,
    ) -> impl Stream<Item = Result<PropertyItem, NotionError>> + Send + 'static {
        let client = self.clone();
        let (page_id, property_id) = (page_id.to_owned(), property_id.to_owned());
        paginate(None, move |cursor: Option<String>| {
            let client = client.clone();
            let (page_id, property_id) = (page_id.clone(), property_id.clone());
            async move {
                client
                    .page_property_page(
                        &page_id,
                        &property_id,
                        cursor.as_deref(),
                        Some(STREAM_PAGE_SIZE),
                    )
                    .await
            }
        })
    }

    /// The page body as Notion-flavored Markdown (check `truncated` / `unknown_block_ids`).
    pub async fn page_markdown(
        &self,
        page_id: &str,
        include_transcript: bool,
    ) -> Result<PageMarkdown, NotionError> {
        let path = format!("/v1/pages/{}/markdown", path_segment(page_id));
        let request = ApiRequest::get("/v1/pages/{id}/markdown", path)
            .query("include_transcript", include_transcript.to_string());
        self.send(request).await
    }

    /// Edits the page body through Markdown.
    pub async fn update_page_markdown(
        &self,
        page_id: &str,
        edit: &UpdatePageMarkdown,
    ) -> Result<PageMarkdown, NotionError> {
        let path = format!("/v1/pages/{}/markdown", path_segment(page_id));
        self.send(ApiRequest::patch("/v1/pages/{id}/markdown", path).json(edit)?)
            .await
    }
}
