//! Databases: the containers of data sources.

use super::super::requests::{CreateDatabase, UpdateDatabase};
use super::super::retry::RequestKind;
use super::super::transport::{ApiRequest, path_segment};
use super::super::{ConnectionClient, NotionError};
use crate::notion::model::Database;

impl ConnectionClient {
    /// A database and the ids of its data sources (no schema: that lives on data sources).
    pub async fn retrieve_database(&self, database_id: &str) -> Result<Database, NotionError> {
        let path = format!("/v1/databases/{}", path_segment(database_id));
        self.send(ApiRequest::get("/v1/databases/{id}", path)).await
    }

    pub async fn create_database(&self, request: &CreateDatabase) -> Result<Database, NotionError> {
        let request = ApiRequest::post(
            "/v1/databases",
            "/v1/databases".to_owned(),
            RequestKind::Write,
        )
        .json(request)?;
        self.send(request).await
    }

    pub async fn update_database(
        &self,
        database_id: &str,
        request: &UpdateDatabase,
    ) -> Result<Database, NotionError> {
        let path = format!("/v1/databases/{}", path_segment(database_id));
        let request = ApiRequest::patch("/v1/databases/{id}", path).json(request)?;
        self.send(request).await
    }
}
