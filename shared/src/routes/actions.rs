//! The product's actions for the app backend (API key):
//!
//! - `GET /actions`: every action with its description, annotations and JSON schemas;
//! - `POST /connections/{id}/actions/{name}`: runs one action with its JSON input and answers
//!   the same structured result the MCP tool returns (the `structuredContent`).
//!
//! Unknown action: 404 listing the actions. Invalid input: 400 naming the field. Rate limited:
//! 429 with `Retry-After`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::ApiKeyAuth;
use super::connections::parse_connection_id;
use crate::actions::{ActionError, Actions};
use crate::app::AppContext;

#[derive(Clone)]
struct ActionsState {
    ctx: AppContext,
    actions: Actions,
}

impl axum::extract::FromRef<ActionsState> for AppContext {
    fn from_ref(state: &ActionsState) -> Self {
        state.ctx.clone()
    }
}

pub fn router(ctx: AppContext) -> Router {
    let state = ActionsState {
        actions: Actions::new(ctx.clone()),
        ctx,
    };
    Router::new()
        .route("/actions", get(catalog))
        .route("/connections/{id}/actions/{name}", post(run))
        .with_state(state)
}

async fn catalog(_auth: ApiKeyAuth) -> Json<Value> {
    let actions: Vec<Value> = Actions::catalog()
        .iter()
        .map(|spec| spec.to_json())
        .collect();
    Json(json!({ "actions": actions }))
}

async fn run(
    _auth: ApiKeyAuth,
    State(state): State<ActionsState>,
    Path((id, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let connection = match parse_connection_id(&id) {
        Ok(connection) => connection,
        Err(error) => return error.into_response(),
    };
    // Fail on the name before the body: an unknown action is a 404 whatever was sent.
    if let Err(error) = Actions::spec(&name) {
        return error_response(&error);
    }
    let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(input) => input,
            Err(error) => {
                return error_response(&ActionError::invalid(
                    "body",
                    format!("is not valid JSON ({error})"),
                ));
            }
        }
    };
    match state.actions.call(&connection, &name, input).await {
        Ok(output) => Json(output.structured).into_response(),
        Err(error) => error_response(&error),
    }
}

fn error_response(error: &ActionError) -> Response {
    let mut response = error.to_api_error().into_response();
    if let Some(seconds) = error.retry_after_seconds()
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
