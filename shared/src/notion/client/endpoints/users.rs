//! Users: list, retrieve, and the bot user of the token.

use futures::Stream;

use super::super::paginate::paginate;
use super::super::transport::{ApiRequest, path_segment};
use super::super::{ConnectionClient, NotionError};
use super::STREAM_PAGE_SIZE;
use crate::notion::model::{List, User};

impl ConnectionClient {
    /// One page of workspace members and bots (not guests).
    pub async fn list_users_page(
        &self,
        start_cursor: Option<&str>,
        page_size: Option<u32>,
    ) -> Result<List<User>, NotionError> {
        let request = ApiRequest::get("/v1/users", "/v1/users".to_owned())
            .query_opt("start_cursor", start_cursor)
            .query_opt("page_size", page_size.map(|size| size.to_string()));
        self.send(request).await
    }

    /// Every user, page after page.
    pub fn users(&self) -> impl Stream<Item = Result<User, NotionError>> + Send + 'static {
        let client = self.clone();
        paginate(None, move |cursor: Option<String>| {
            let client = client.clone();
            async move {
                client
                    .list_users_page(cursor.as_deref(), Some(STREAM_PAGE_SIZE))
                    .await
            }
        })
    }

    pub async fn retrieve_user(&self, user_id: &str) -> Result<User, NotionError> {
        let path = format!("/v1/users/{}", path_segment(user_id));
        self.send(ApiRequest::get("/v1/users/{id}", path)).await
    }

    /// The bot user of this token (its owner and workspace).
    pub async fn me(&self) -> Result<User, NotionError> {
        self.send(ApiRequest::get("/v1/users/me", "/v1/users/me".to_owned()))
            .await
    }
}
