//! `POST /connections/{id}/pages` (API key, or a connect session token for its end user's
//! connections): creates a page or a data-source row from a title,
//! Markdown and plain-JSON properties, optionally idempotent (`Idempotency-Key`). The logic is
//! [`crate::write::WriteService`]; this handler only parses and maps errors.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};

use super::ConnectionAccess;
use super::connections::parse_connection_id;
use crate::app::AppContext;
use crate::http::ApiError;
use crate::write::{CreatePageInput, CreatedPage, WriteService};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
struct PagesState {
    ctx: AppContext,
    write: WriteService,
}

impl axum::extract::FromRef<PagesState> for AppContext {
    fn from_ref(state: &PagesState) -> Self {
        state.ctx.clone()
    }
}

pub fn router(ctx: AppContext) -> Router {
    let write = WriteService::new(ctx.clone());
    Router::new()
        .route("/connections/{id}/pages", post(create))
        .with_state(PagesState { ctx, write })
}

async fn create(
    access: ConnectionAccess,
    State(state): State<PagesState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<CreatedPage>), ApiError> {
    let id = parse_connection_id(&id)?;
    // A session token (the demo page, an app's browser) writes only to its end user's connections.
    access.connection(&state.ctx, &id).await?;
    let key = idempotency_key(&headers)?;
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("body: at most {MAX_BODY_BYTES} bytes are accepted"),
            )
        })?;
    let input = parse_input(&bytes)?;
    let created = state
        .write
        .create_page(&id, input, key.as_deref())
        .await
        .map_err(|error| error.to_api_error())?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let invalid =
        || ApiError::bad_request("Idempotency-Key: must be 1 to 255 visible ASCII characters");
    let key = value.to_str().map_err(|_| invalid())?;
    crate::write::idempotency::validate_key(key).map_err(|_| invalid())?;
    Ok(Some(key.to_owned()))
}

/// The JSON body; a 400 naming the field serde stopped at.
fn parse_input(bytes: &[u8]) -> Result<CreatePageInput, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "body: a JSON object with parent and title is required",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let input: CreatePageInput = serde::Deserialize::deserialize(&mut deserializer)
        .map_err(|error| ApiError::bad_request(format!("body: {error}")))?;
    deserializer
        .end()
        .map_err(|error| ApiError::bad_request(format!("body: {error}")))?;
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_checked() {
        let mut headers = HeaderMap::new();
        assert_eq!(idempotency_key(&headers).unwrap(), None);
        headers.insert("idempotency-key", "abc-123".parse().unwrap());
        assert_eq!(
            idempotency_key(&headers).unwrap().as_deref(),
            Some("abc-123")
        );
        headers.insert("idempotency-key", "has space".parse().unwrap());
        assert!(
            idempotency_key(&headers)
                .unwrap_err()
                .message
                .starts_with("Idempotency-Key:")
        );
        headers.insert("idempotency-key", "".parse().unwrap());
        assert!(idempotency_key(&headers).is_err());
    }

    #[test]
    fn bodies_name_what_is_wrong() {
        assert!(parse_input(b"").unwrap_err().message.starts_with("body:"));
        let error = parse_input(br#"{"parent":{"page_id":"p"}}"#).unwrap_err();
        assert!(error.message.contains("title"), "{}", error.message);
        let error =
            parse_input(br#"{"parent":{"page_id":"p"},"title":"T","extra":1}"#).unwrap_err();
        assert!(error.message.contains("extra"), "{}", error.message);
        assert!(parse_input(br#"{"parent":{"page_id":"p"},"title":"T"}"#).is_ok());
    }
}
