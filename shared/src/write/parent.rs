//! Where a new page goes: a page, a data source, or the only data source of a database. An id
//! the connection cannot see is the caller's mistake (400 naming `parent`): Notion answers
//! `object_not_found` both for missing and for unshared objects.

use crate::connect::{TokenError, TokenManager};
use crate::domain::ConnectionId;
use crate::notion::NotionError;
use crate::notion::model::{DataSource, Parent};

use super::error::WriteError;
use super::input::{DataSourceChoice, ParentInput};

/// A resolved parent.
#[derive(Debug, Clone)]
pub(super) enum ResolvedParent {
    /// A sub-page of this page (existence is checked by the create call itself).
    Page { page_id: String },
    /// A row of this data source, whose schema the properties are checked against.
    DataSource(Box<DataSource>),
}

impl ResolvedParent {
    /// What the parent is, for messages.
    pub(super) fn noun(&self) -> &'static str {
        match self {
            Self::Page { .. } => "page",
            Self::DataSource(_) => "data source",
        }
    }

    pub(super) fn notion_parent(&self) -> Parent {
        match self {
            Self::Page { page_id } => Parent::PageId(page_id.clone()),
            Self::DataSource(source) => Parent::DataSourceId {
                data_source_id: source.id.clone(),
                database_id: None,
            },
        }
    }
}

/// A Notion id (UUID with or without dashes) in canonical dashed form; 400 naming `field`.
pub(super) fn notion_id(raw: &str, field: &str) -> Result<String, WriteError> {
    uuid::Uuid::parse_str(raw.trim())
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| WriteError::invalid(field, "must be a Notion id (a UUID)"))
}

pub(super) async fn resolve(
    tokens: &TokenManager,
    connection: &ConnectionId,
    parent: &ParentInput,
) -> Result<ResolvedParent, WriteError> {
    let field = format!("parent.{}", parent.kind());
    let id = notion_id(parent.id(), &field)?;
    match parent {
        ParentInput::PageId(_) => Ok(ResolvedParent::Page { page_id: id }),
        ParentInput::DataSourceId(_) => data_source(tokens, connection, &id, &field)
            .await
            .map(|source| ResolvedParent::DataSource(Box::new(source))),
        ParentInput::DatabaseId(_) => {
            let lookup = id.clone();
            let database = tokens
                .call(connection, |client| {
                    let id = lookup.clone();
                    async move { client.retrieve_database(&id).await }
                })
                .await
                .map_err(|error| not_found_is_invalid(error, &field, "database"))?;
            match database.data_sources.as_slice() {
                [] => Err(WriteError::invalid(
                    field,
                    "the database has no data source",
                )),
                [only] => {
                    let source_id = only.id.clone();
                    data_source(tokens, connection, &source_id, &field)
                        .await
                        .map(|source| ResolvedParent::DataSource(Box::new(source)))
                }
                several => Err(WriteError::MultiSourceDatabase {
                    database_id: id,
                    data_sources: several
                        .iter()
                        .map(|source| DataSourceChoice {
                            id: source.id.clone(),
                            name: source.name.clone().filter(|name| !name.is_empty()),
                        })
                        .collect(),
                }),
            }
        }
    }
}

async fn data_source(
    tokens: &TokenManager,
    connection: &ConnectionId,
    id: &str,
    field: &str,
) -> Result<DataSource, WriteError> {
    let lookup = id.to_owned();
    tokens
        .call(connection, |client| {
            let id = lookup.clone();
            async move { client.retrieve_data_source(&id).await }
        })
        .await
        .map_err(|error| not_found_is_invalid(error, field, "data source"))
}

/// `object_not_found` on a parent lookup: a 400 naming the parent field.
pub(super) fn not_found_is_invalid(error: TokenError, field: &str, what: &str) -> WriteError {
    match error {
        TokenError::Notion(NotionError::NotFound { .. }) => WriteError::invalid(
            field,
            format!("no {what} with this id is shared with the connection"),
        ),
        TokenError::Notion(NotionError::Validation { .. }) => {
            WriteError::invalid(field, format!("Notion does not accept this {what} id"))
        }
        other => other.into(),
    }
}
