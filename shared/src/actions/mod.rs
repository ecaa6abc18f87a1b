//! The product's operations on a connected Notion workspace, implemented once and served twice:
//! as MCP tools ([`crate::mcp`]) and as `POST /connections/{id}/actions/{name}`
//! ([`crate::routes::actions`]). Each action has one input type (its JSON schema, with the doc
//! comments as descriptions), one output type, annotations, and a text rendering for models.
//!
//! | action | reads | does |
//! |---|---|---|
//! | `search` | synced copy, then Notion | title search over pages, rows and data sources |
//! | `get_page` | synced copy when fresh, else Notion | properties + body as Markdown (block ids on request) |
//! | `query_data_source` | Notion | rows matching simple filters and sorts, paginated |
//! | `list_data_sources` | synced copy, else Notion | data sources with compact schemas |
//! | `create_page` / `create_row` / `append_to_page` | Notion | the write path ([`crate::write`]) |
//! | `add_comment` | Notion | a comment on a page or block, or a reply |
//!
//! Every Notion call goes through the connection's [`TokenManager`] and the one Notion client, so
//! actions share the connection's request budget with the sync. Results are bounded (item
//! limits, character limits) and carry continuation cursors or offsets.

mod comments;
mod data_sources;
mod error;
mod filter;
mod pages;
#[cfg(test)]
mod proptests;
mod search;
mod spec;
mod synced;
mod values;
mod write;

use std::future::Future;

use serde::Serialize;
use serde_json::Value;

pub use comments::{AddCommentInput, AddCommentOutput};
pub use data_sources::{
    DataSourceSummary, ListDataSourcesInput, ListDataSourcesOutput, QueryDataSourceInput,
    QueryDataSourceOutput, RowSummary,
};
pub use error::ActionError;
pub use filter::{Condition, Direction, Match, Operator, Sort};
pub use pages::{BlockSummary, GetPageInput, GetPageOutput};
pub use search::{SearchHit, SearchInput, SearchKind, SearchOutput};
pub use spec::{ActionSpec, Annotations, Render, parse_input};
pub use values::{ParentRef, plain_properties, plain_value};
pub use write::{
    AppendToPageInput, AppendToPageOutput, CreatePageActionInput, CreateRowInput, CreatedOutput,
};

use crate::app::AppContext;
use crate::connect::TokenManager;
use crate::domain::{ConnectionId, ConnectionStatus};
use crate::notion::{ConnectionClient, NotionError};
use crate::write::WriteService;

/// A structured result and its text rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionOutput {
    /// The structured result (matches the action's output schema).
    pub structured: Value,
    /// The same result as compact text, for models.
    pub text: String,
}

/// Every action, runnable against any connection. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Actions {
    ctx: AppContext,
    tokens: TokenManager,
    write: WriteService,
}

impl Actions {
    pub fn new(ctx: AppContext) -> Self {
        Self {
            tokens: TokenManager::new(ctx.clone()),
            write: WriteService::new(ctx.clone()),
            ctx,
        }
    }

    /// Every action's public description, in a stable order.
    pub fn catalog() -> Vec<ActionSpec> {
        vec![
            search::spec(),
            pages::spec(),
            data_sources::query_spec(),
            data_sources::list_spec(),
            write::create_page_spec(),
            write::create_row_spec(),
            write::append_spec(),
            comments::spec(),
        ]
    }

    /// The action called `name`.
    pub fn spec(name: &str) -> Result<ActionSpec, ActionError> {
        let catalog = Self::catalog();
        let known: Vec<&'static str> = catalog.iter().map(|spec| spec.name).collect();
        catalog
            .into_iter()
            .find(|spec| spec.name == name)
            .ok_or_else(|| ActionError::UnknownAction {
                name: name.chars().take(64).collect(),
                known,
            })
    }

    /// Runs action `name` for `connection` with its JSON `input`.
    pub async fn call(
        &self,
        connection: &ConnectionId,
        name: &str,
        input: Value,
    ) -> Result<ActionOutput, ActionError> {
        let spec = Self::spec(name)?;
        self.check_connection(connection).await?;
        tracing::info!(connection_id = %connection, action = spec.name, "running action");
        match spec.name {
            "search" => finish(search::run(self, connection, parse_input(input)?).await?),
            "get_page" => finish(pages::run(self, connection, parse_input(input)?).await?),
            "query_data_source" => {
                finish(data_sources::query(self, connection, parse_input(input)?).await?)
            }
            "list_data_sources" => {
                finish(data_sources::list(self, connection, parse_input(input)?).await?)
            }
            "create_page" => {
                finish(write::create_page(self, connection, parse_input(input)?).await?)
            }
            "create_row" => finish(write::create_row(self, connection, parse_input(input)?).await?),
            "append_to_page" => finish(write::append(self, connection, parse_input(input)?).await?),
            "add_comment" => finish(comments::run(self, connection, parse_input(input)?).await?),
            other => Err(ActionError::Internal(format!(
                "action {other} is listed but not wired"
            ))),
        }
    }

    /// The connection exists and may call Notion (not `needs_reauth`, not deleted).
    pub async fn check_connection(&self, id: &ConnectionId) -> Result<(), ActionError> {
        match self.ctx.adapters.connections.get(id).await? {
            None => Err(ActionError::ConnectionNotFound(*id)),
            Some(connection) => match connection.status {
                ConnectionStatus::Active => Ok(()),
                ConnectionStatus::NeedsReauth => Err(ActionError::NeedsReauth(*id)),
                ConnectionStatus::Deleted => Err(ActionError::ConnectionNotFound(*id)),
            },
        }
    }

    pub fn context(&self) -> &AppContext {
        &self.ctx
    }

    /// Runs `call` with the connection's Notion client (401 refresh and `needs_reauth` handled
    /// by the token manager).
    async fn notion<T, F, Fut>(&self, id: &ConnectionId, call: F) -> Result<T, ActionError>
    where
        F: Fn(ConnectionClient) -> Fut,
        Fut: Future<Output = Result<T, NotionError>>,
    {
        Ok(self.tokens.call(id, call).await?)
    }
}

fn finish<O: Serialize + Render>(output: O) -> Result<ActionOutput, ActionError> {
    let text = output.render();
    let structured = serde_json::to_value(&output)
        .map_err(|error| ActionError::Internal(format!("serialising a result: {error}")))?;
    Ok(ActionOutput { structured, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_names_are_unique_and_schemas_are_objects() {
        let catalog = Actions::catalog();
        let mut names: Vec<&str> = catalog.iter().map(|spec| spec.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 8);
        for spec in &catalog {
            assert_eq!(spec.input_schema()["type"], "object", "{}", spec.name);
            assert_eq!(spec.output_schema()["type"], "object", "{}", spec.name);
            assert!(!spec.description.is_empty());
        }
        let error = Actions::spec("nope").unwrap_err();
        assert!(error.to_string().contains("search, get_page"), "{error}");
    }
}
