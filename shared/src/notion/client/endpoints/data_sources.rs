//! Data sources: schema, rows (query), templates.

use futures::Stream;
use serde_json::Value;

use super::super::paginate::paginate;
use super::super::requests::{QueryDataSource, UpdateDataSource};
use super::super::retry::RequestKind;
use super::super::transport::{ApiRequest, path_segment};
use super::super::windowed_query::{Window, created_time_sort};
use super::super::{ConnectionClient, NotionError};
use super::STREAM_PAGE_SIZE;
use crate::notion::model::{DataSource, List, Page, Template, TemplatesList};

impl ConnectionClient {
    /// A data source with its schema.
    pub async fn retrieve_data_source(
        &self,
        data_source_id: &str,
    ) -> Result<DataSource, NotionError> {
        let path = format!("/v1/data_sources/{}", path_segment(data_source_id));
        self.send(ApiRequest::get("/v1/data_sources/{id}", path))
            .await
    }

    pub async fn update_data_source(
        &self,
        data_source_id: &str,
        update: &UpdateDataSource,
    ) -> Result<DataSource, NotionError> {
        let path = format!("/v1/data_sources/{}", path_segment(data_source_id));
        self.send(ApiRequest::patch("/v1/data_sources/{id}", path).json(update)?)
            .await
    }

    /// One page of query results (rows; wikis may also return data sources, which parse as
    /// pages with `object: "data_source"`). Check `is_query_result_limit_reached()`: a single
    /// query stops at 10,000 results; [`ConnectionClient::query_all_rows`] windows past it.
    pub async fn query_data_source_page(
        &self,
        data_source_id: &str,
        query: &QueryDataSource,
    ) -> Result<List<Page>, NotionError> {
        let path = format!("/v1/data_sources/{}/query", path_segment(data_source_id));
        let request = query.filter_properties.iter().fold(
            ApiRequest::post("/v1/data_sources/{id}/query", path, RequestKind::Read),
            |request, id| request.query("filter_properties", id.clone()),
        );
        self.send(request.json(query)?).await
    }

    /// Every result of one query, page after page (from `query.start_cursor` if set). Stops at
    /// Notion's per-query cap; use [`ConnectionClient::query_all_rows`] to read everything.
    pub fn query_data_source(
        &self,
        data_source_id: &str,
        mut query: QueryDataSource,
    ) -> impl Stream<Item = Result<Page, NotionError>> + Send + 'static {
        let client = self.clone();
        let data_source_id = data_source_id.to_owned();
        query.page_size = query.page_size.or(Some(STREAM_PAGE_SIZE));
        let start = query.start_cursor.take();
        paginate(start, move |cursor| {
            let client = client.clone();
            let data_source_id = data_source_id.clone();
            let mut query = query.clone();
            query.start_cursor = cursor;
            async move { client.query_data_source_page(&data_source_id, &query).await }
        })
    }

    /// Every row matching `filter`, each exactly once, past the 10,000-results-per-query cap:
    /// rows come sorted by `created_time` ascending and the query restarts from the last row's
    /// `created_time` whenever Notion reports the limit (see `windowed_query`).
    pub fn query_all_rows(
        &self,
        data_source_id: &str,
        filter: Option<Value>,
    ) -> impl Stream<Item = Result<Page, NotionError>> + Send + 'static {
        let client = self.clone();
        let data_source_id = data_source_id.to_owned();
        async_stream::try_stream! {
            let mut window = Window::new(filter);
            let mut cursor: Option<String> = None;
            loop {
                let query = QueryDataSource {
                    filter: window.filter(),
                    sorts: vec![created_time_sort()],
                    page_size: Some(STREAM_PAGE_SIZE),
                    start_cursor: cursor.take(),
                    ..QueryDataSource::default()
                };
                let page = client.query_data_source_page(&data_source_id, &query).await?;
                let limit_reached = page.is_query_result_limit_reached();
                let next = page.next_page_cursor().map(str::to_owned);
                for row in page.results {
                    let created_time = row.created_time.clone().unwrap_or_default();
                    if window.admit(&row.id, &created_time) {
                        yield row;
                    }
                }
                if limit_reached {
                    window.restart()?;
                    tracing::debug!(
                        connection_id = client.connection_id(),
                        data_source_id = %data_source_id,
                        "query result limit reached; restarting at the last created_time"
                    );
                } else if next.is_some() {
                    cursor = next;
                } else {
                    break;
                }
            }
        }
    }

    /// One page of a data source's page templates (`name` filters by name).
    pub async fn data_source_templates_page(
        &self,
        data_source_id: &str,
        name: Option<&str>,
        start_cursor: Option<&str>,
        page_size: Option<u32>,
    ) -> Result<TemplatesList, NotionError> {
        let path = format!(
            "/v1/data_sources/{}/templates",
            path_segment(data_source_id)
        );
        let request = ApiRequest::get("/v1/data_sources/{id}/templates", path)
            .query_opt("name", name)
            .query_opt("start_cursor", start_cursor)
            .query_opt("page_size", page_size.map(|size| size.to_string()));
        self.send(request).await
    }

    /// Every page template of a data source.
    pub fn data_source_templates(
        &self,
        data_source_id: &str,
    ) -> impl Stream<Item = Result<Template, NotionError>> + Send + 'static {
        let client = self.clone();
        let data_source_id = data_source_id.to_owned();
        paginate(None, move |cursor: Option<String>| {
            let client = client.clone();
            let data_source_id = data_source_id.clone();
            async move {
                client
                    .data_source_templates_page(
                        &data_source_id,
                        None,
                        cursor.as_deref(),
                        Some(STREAM_PAGE_SIZE),
                    )
                    .await
            }
        })
    }
}
