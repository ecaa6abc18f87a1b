//! Sync status and trigger for the app backend: `GET /connections/{id}/sync` (state, current run,
//! latest runs with counts and issues) and `POST /connections/{id}/sync` (`{"full": bool}`,
//! optional) which queues a run and answers 202.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::connections::parse_connection_id;
use super::records::store_error;
use super::{ApiKeyAuth, ConnectionAccess};
use crate::app::AppContext;
use crate::domain::{ConnectionStatus, SyncJob};
use crate::http::ApiError;
use crate::sync::{SyncStatus, sync_status};

/// Runs shown by the status route.
pub const RUNS_SHOWN: usize = 10;

pub fn router(ctx: AppContext) -> Router {
    Router::new()
        .route("/connections/{id}/sync", get(status).post(trigger))
        .with_state(ctx)
}

async fn status(
    access: ConnectionAccess,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
) -> Result<Json<SyncStatus>, ApiError> {
    let id = parse_connection_id(&id)?;
    access.connection(&ctx, &id).await?;
    match sync_status(&ctx.adapters, &id, RUNS_SHOWN)
        .await
        .map_err(store_error)?
    {
        Some(status) => Ok(Json(status)),
        None => Err(ApiError::not_found(format!(
            "connection {id} does not exist"
        ))),
    }
}

/// `{"full": bool}` or an empty body.
fn parse_full(body: &[u8]) -> Result<bool, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("body: must be a JSON object"))?;
    let Some(object) = value.as_object() else {
        return Err(ApiError::bad_request("body: must be a JSON object"));
    };
    match object.get("full") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(full)) => Ok(*full),
        Some(_) => Err(ApiError::bad_request("full: must be true or false")),
    }
}

async fn trigger(
    _auth: ApiKeyAuth,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = parse_connection_id(&id)?;
    let full = parse_full(&body)?;
    let connection = ctx
        .adapters
        .connections
        .get(&id)
        .await
        .map_err(store_error)?
        .filter(|connection| connection.status != ConnectionStatus::Deleted)
        .ok_or_else(|| ApiError::not_found(format!("connection {id} does not exist")))?;
    if connection.status == ConnectionStatus::NeedsReauth {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "needs_reauth",
            "the connection must be reconnected before it can sync",
        ));
    }
    let job = SyncJob::manual(id, full)
        .to_outgoing(&uuid::Uuid::new_v4().to_string())
        .map_err(|_| ApiError::internal())?;
    ctx.adapters.queue.send(&job).await.map_err(|error| {
        tracing::error!(connection_id = %id, error = %error, "could not queue a sync");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the sync queue is temporarily unavailable; retry later",
        )
    })?;
    tracing::info!(connection_id = %id, full, "sync requested");
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"connection_id": id, "status": "queued", "full": full})),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_body() {
        assert!(!parse_full(b"").unwrap());
        assert!(!parse_full(b" \n").unwrap());
        assert!(parse_full(br#"{"full": true}"#).unwrap());
        assert!(!parse_full(br#"{}"#).unwrap());
        assert!(
            parse_full(br#"{"full": "yes"}"#)
                .unwrap_err()
                .message
                .starts_with("full:")
        );
        assert!(parse_full(b"[1]").unwrap_err().message.starts_with("body:"));
        assert!(parse_full(b"{").unwrap_err().message.starts_with("body:"));
    }
}
