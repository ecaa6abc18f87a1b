//! `GET /connections/{id}/records`: synced records in change-cursor order, for the app backend
//! (API key) or the end user's browser (its connect session token, see [`ConnectionAccess`]).
//!
//! Query: `model` (page | database | data_source | row, required: each model has its own change
//! stream), `cursor` (a `next_cursor` from an earlier answer; omit to start from the beginning),
//! `limit` (1-1000, default 100), `modified_after` (RFC 3339), `filter` (comma-separated
//! `added`, `updated`, `deleted`). A client that stores `next_cursor` sees every change exactly
//! once, in order, deletions included.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::ConnectionAccess;
use super::connections::parse_connection_id;
use crate::app::AppContext;
use crate::domain::{
    ActionFilter, ChangeCursor, ChangeQuery, RecordAction, RecordModel, StoredRecord,
};
use crate::http::ApiError;
use crate::ports::StoreError;

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1_000;

pub fn router(ctx: AppContext) -> Router {
    Router::new()
        .route("/connections/{id}/records", get(list))
        .with_state(ctx)
}

/// A parsed records query.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordsQuery {
    pub model: RecordModel,
    pub query: ChangeQuery,
}

impl RecordsQuery {
    /// Parses the query string; errors name the field.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let mut model = None;
        let mut cursor = None;
        let mut limit = None;
        let mut modified_after = None;
        let mut filter = None;
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let slot = match key.as_ref() {
                "model" => &mut model,
                "cursor" => &mut cursor,
                "limit" => &mut limit,
                "modified_after" => &mut modified_after,
                "filter" => &mut filter,
                _ => continue,
            };
            if slot.is_some() {
                return Err(ApiError::bad_request(format!(
                    "{key}: given more than once"
                )));
            }
            *slot = Some(value.into_owned());
        }
        let model = match model.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(ApiError::bad_request(
                    "model: is required (page, database, data_source or row)",
                ));
            }
            Some(raw) => match RecordModel::parse(raw) {
                Ok(
                    model @ (RecordModel::Page
                    | RecordModel::Database
                    | RecordModel::DataSource
                    | RecordModel::Row),
                ) => model,
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "model: unknown model {raw:?}; use page, database, data_source or row"
                    )));
                }
            },
        };
        let after = match cursor.as_deref().map(str::trim) {
            None | Some("") => ChangeCursor::START,
            Some(raw) => ChangeCursor::parse(raw).map_err(|_| {
                ApiError::bad_request("cursor: not a cursor; pass a next_cursor value back as is")
            })?,
        };
        let limit = match limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_LIMIT,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=MAX_LIMIT).contains(limit))
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "limit: must be an integer from 1 to {MAX_LIMIT}"
                    ))
                })?,
        };
        let modified_after = match modified_after.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| {
                ApiError::bad_request(
                    "modified_after: must be an RFC 3339 timestamp, e.g. 2026-03-01T10:00:00Z",
                )
            })?),
        };
        let actions = match filter.as_deref() {
            None => ActionFilter::ALL,
            Some(raw) => {
                let mut actions = Vec::new();
                for part in raw.split(',').map(str::trim) {
                    let action = RecordAction::parse(part).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "filter: unknown action {part:?}; use added, updated and/or deleted"
                        ))
                    })?;
                    actions.push(action);
                }
                ActionFilter::only(&actions)
            }
        };
        Ok(Self {
            model,
            query: ChangeQuery {
                after,
                limit,
                actions,
                modified_after,
            },
        })
    }
}

#[derive(Debug, Serialize)]
pub struct RecordsPage {
    pub records: Vec<RecordView>,
    /// Where the next page starts; store it to resume later (even when `has_more` is false).
    pub next_cursor: String,
    pub has_more: bool,
}

#[derive(Debug, Serialize)]
pub struct RecordView {
    pub id: String,
    pub model: String,
    pub data: serde_json::Value,
    pub metadata: RecordMetadata,
}

#[derive(Debug, Serialize)]
pub struct RecordMetadata {
    pub last_action: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_modified_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
    pub cursor: String,
}

impl RecordView {
    pub fn new(model: &RecordModel, record: StoredRecord) -> Self {
        Self {
            id: record.record_id.as_str().to_owned(),
            model: model.as_str().to_owned(),
            data: record.payload,
            metadata: RecordMetadata {
                last_action: record.last_action.as_str(),
                first_seen_at: record.first_seen_at,
                last_modified_at: record.last_modified_at,
                deleted_at: record.deleted_at,
                cursor: record.cursor.to_string(),
            },
        }
    }
}

/// Store failures at the HTTP edge: transient ones say "retry", others say nothing more.
pub(crate) fn store_error(error: StoreError) -> ApiError {
    if error.is_transient() {
        tracing::warn!(error = %error, "storage unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "storage is temporarily unavailable; retry later",
        )
    } else {
        tracing::error!(error = %error, "storage error");
        ApiError::internal()
    }
}

async fn list(
    access: ConnectionAccess,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<RecordsPage>, ApiError> {
    let id = parse_connection_id(&id)?;
    let request = RecordsQuery::parse(query.as_deref())?;
    access.connection(&ctx, &id).await?;
    let page = ctx
        .adapters
        .records
        .list_changes(&id, &request.model, &request.query)
        .await
        .map_err(store_error)?;
    Ok(Json(RecordsPage {
        records: page
            .records
            .into_iter()
            .map(|record| RecordView::new(&request.model, record))
            .collect(),
        next_cursor: page.next_cursor.to_string(),
        has_more: page.has_more,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<RecordsQuery, ApiError> {
        RecordsQuery::parse(Some(raw))
    }

    #[test]
    fn parses_every_field() {
        let query = parse(
            "model=row&cursor=42&limit=7&modified_after=2026-03-01T10:00:00Z&filter=added,deleted",
        )
        .unwrap();
        assert_eq!(query.model, RecordModel::Row);
        assert_eq!(query.query.after, ChangeCursor::new(42));
        assert_eq!(query.query.limit, 7);
        assert!(query.query.modified_after.is_some());
        assert!(query.query.actions.added && query.query.actions.deleted);
        assert!(!query.query.actions.updated);
        let defaults = parse("model=page").unwrap();
        assert_eq!(defaults.query.after, ChangeCursor::START);
        assert_eq!(defaults.query.limit, DEFAULT_LIMIT);
        assert!(defaults.query.actions.is_all());
    }

    #[test]
    fn errors_name_the_field() {
        for (raw, field) in [
            ("", "model:"),
            ("model=comment", "model:"),
            ("model=Page", "model:"),
            ("model=page&cursor=abc", "cursor:"),
            ("model=page&cursor=-1", "cursor:"),
            ("model=page&limit=0", "limit:"),
            ("model=page&limit=1001", "limit:"),
            ("model=page&modified_after=yesterday", "modified_after:"),
            ("model=page&filter=added,moved", "filter:"),
            ("model=page&model=row", "model:"),
        ] {
            let error = parse(raw).unwrap_err();
            assert_eq!(error.status, StatusCode::BAD_REQUEST, "{raw}");
            assert!(error.message.starts_with(field), "{raw}: {}", error.message);
        }
    }
}
