//! Webhook routes.
//!
//! - [`webhooks_router`] (the webhooks function): `POST /webhooks/notion`, Notion's events and
//!   verification handshake (see [`crate::webhooks::incoming`]).
//! - [`dead_letters_router`] (the api function, API key): `GET /webhooks/app/dead-letters` and
//!   `POST /webhooks/app/dead-letters/{id}/retry`, the app webhooks that failed every attempt.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiKeyAuth;
use super::records::store_error;
use crate::app::AppContext;
use crate::http::ApiError;
use crate::webhooks::outgoing::{AppWebhookSender, DeliveryError, DeliveryOutcome};
use crate::webhooks::signature::NOTION_SIGNATURE_HEADER;
use crate::webhooks::{IncomingError, IncomingOptions, IncomingOutcome, IncomingWebhooks};

/// The webhooks function's routes with default options.
pub fn webhooks_router(ctx: AppContext) -> Router {
    webhooks_router_with(IncomingWebhooks::new(ctx, IncomingOptions::default()))
}

/// The same routes around a given service (tests, the bench).
pub fn webhooks_router_with(service: IncomingWebhooks) -> Router {
    let limit = service.options().max_body_bytes;
    Router::new()
        .route("/webhooks/notion", post(notion_event))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(service)
}

fn incoming_error(error: IncomingError) -> ApiError {
    match error {
        IncomingError::TooLarge { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("webhook bodies are limited to {limit} bytes"),
        ),
        IncomingError::Unauthorized => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            "missing or invalid X-Notion-Signature",
        ),
        IncomingError::Malformed(error) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_event", error.to_string())
        }
        IncomingError::HandshakeRefused => ApiError::new(
            StatusCode::CONFLICT,
            "verification_token_in_use",
            "a verification token that already verified events is stored; clear it to accept a new handshake",
        ),
        IncomingError::Unavailable(message) => {
            tracing::warn!(error = %message, "webhook event not processed: backend unavailable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "temporarily unavailable; Notion will redeliver",
            )
        }
    }
}

async fn notion_event(
    State(service): State<IncomingWebhooks>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            incoming_error(IncomingError::TooLarge {
                limit: service.options().max_body_bytes,
            })
        } else {
            ApiError::bad_request("the body could not be read")
        }
    })?;
    let signature = headers
        .get(NOTION_SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    match service.handle(signature, &body).await {
        Ok(IncomingOutcome::Handshake) => Ok(Json(json!({"ok": true, "verification": "stored"}))),
        Ok(IncomingOutcome::Duplicate) => Ok(Json(json!({"ok": true, "duplicate": true}))),
        Ok(IncomingOutcome::Processed { jobs, .. }) => Ok(Json(json!({"ok": true, "jobs": jobs}))),
        Err(error) => Err(incoming_error(error)),
    }
}

/// The dead-letter routes of the api function.
pub fn dead_letters_router(ctx: AppContext) -> Router {
    Router::new()
        .route("/webhooks/app/dead-letters", get(list_dead_letters))
        .route(
            "/webhooks/app/dead-letters/{id}/retry",
            post(retry_dead_letter),
        )
        .with_state(ctx)
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    after: Option<String>,
    limit: Option<usize>,
}

async fn list_dead_letters(
    _auth: ApiKeyAuth,
    State(ctx): State<AppContext>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    // Checked here: DynamoDB refuses an empty or oversized start key with a 500-class error.
    if let Some(after) = query.after.as_deref()
        && !valid_dead_letter_id(after)
    {
        return Err(ApiError::bad_request("after: not a dead letter id"));
    }
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let letters = ctx
        .adapters
        .dead_letters
        .list(query.after.as_deref(), limit)
        .await
        .map_err(store_error)?;
    let next = (letters.len() == limit)
        .then(|| letters.last().map(|letter| letter.id.clone()))
        .flatten();
    Ok(Json(json!({"dead_letters": letters, "next_after": next})))
}

fn valid_dead_letter_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

async fn retry_dead_letter(
    _auth: ApiKeyAuth,
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if !valid_dead_letter_id(&id) {
        return Err(ApiError::bad_request("id: not a dead letter id"));
    }
    // One attempt, inline: the caller is waiting (and API Gateway gives up after 30 s).
    let mut options = crate::webhooks::outgoing::config().delivery.clone();
    options.max_attempts = 1;
    options.timeout = options.timeout.min(std::time::Duration::from_secs(10));
    let sender = AppWebhookSender::new(ctx, options);
    match sender.retry_dead_letter(&id).await {
        Ok(None) => Err(ApiError::not_found(format!(
            "dead letter {id} does not exist"
        ))),
        Ok(Some(DeliveryOutcome::Delivered { attempts })) => {
            Ok(Json(json!({"delivered": true, "attempts": attempts})))
        }
        Ok(Some(DeliveryOutcome::DeadLettered { id, attempts })) => Ok(Json(
            json!({"delivered": false, "dead_letter_id": id, "attempts": attempts}),
        )),
        Err(DeliveryError::Malformed(message)) => {
            tracing::error!(error = %message, "a dead letter does not decode");
            Err(ApiError::internal())
        }
        Err(DeliveryError::Unavailable(message)) => {
            tracing::warn!(error = %message, "dead letter retry unavailable");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "temporarily unavailable; retry later",
            ))
        }
    }
}
