//! `POST /mcp`: the MCP endpoint for agents (stateless streamable HTTP, JSON responses).
//!
//! Before rmcp sees a request, the headers are checked and answered with the JSON error shape:
//! `Authorization: Bearer <API secret key>` (401), `connection-id` (400 when missing or not a
//! connection id, 404 when unknown, 409 `needs_reauth`), and `provider-config-key` (400 unless
//! `notion`; optional). The resolved connection travels to the tools in the request's
//! extensions ([`McpConnection`]).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::auth::{bearer_token, is_api_key};
use crate::actions::Actions;
use crate::app::AppContext;
use crate::domain::{ConnectionId, ConnectionStatus};
use crate::http::ApiError;
use crate::mcp::{McpConnection, McpSettings, RelayMcpServer};

type McpService = StreamableHttpService<RelayMcpServer, NeverSessionManager>;

#[derive(Clone)]
struct McpState {
    ctx: AppContext,
    service: Arc<McpService>,
}

/// The router of the mcp function, configured from the context's settings and the environment.
pub fn router(ctx: AppContext) -> Router {
    let settings = McpSettings::from_settings(&ctx.settings);
    router_with(ctx, settings)
}

/// The router with explicit settings (tests).
pub fn router_with(ctx: AppContext, settings: McpSettings) -> Router {
    let server = RelayMcpServer::new(Actions::new(ctx.clone()));
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_sse_retry(None)
        .with_allowed_hosts(settings.allowed_hosts);
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let state = McpState {
        ctx,
        service: Arc::new(service),
    };
    Router::new().route("/mcp", post(handle)).with_state(state)
}

async fn handle(State(state): State<McpState>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let connection = match admit(&state.ctx, &parts.headers).await {
        Ok(connection) => connection,
        Err(error) => return error.into_response(),
    };
    parts.extensions.insert(McpConnection(connection));
    let response = state.service.handle(Request::from_parts(parts, body)).await;
    response.map(Body::new)
}

/// Checks credentials and headers; answers the connection the request acts for.
async fn admit(ctx: &AppContext, headers: &HeaderMap) -> Result<ConnectionId, ApiError> {
    let presented = bearer_token(headers).ok_or_else(ApiError::unauthorized)?;
    if !is_api_key(ctx, presented).await? {
        return Err(ApiError::unauthorized());
    }
    if let Some(provider) = header(headers, "provider-config-key")
        && provider != "notion"
    {
        return Err(ApiError::bad_request(
            "provider-config-key: must be notion (the only provider)",
        ));
    }
    let raw = header(headers, "connection-id").ok_or_else(|| {
        ApiError::bad_request("connection-id: header is required (the connection to act for)")
    })?;
    let id = ConnectionId::parse(raw)
        .map_err(|_| ApiError::bad_request("connection-id: must be a connection id (a UUID)"))?;
    let connection = ctx
        .adapters
        .connections
        .get(&id)
        .await
        .map_err(super::records::store_error)?;
    match connection.map(|connection| connection.status) {
        Some(ConnectionStatus::Active) => Ok(id),
        Some(ConnectionStatus::NeedsReauth) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "needs_reauth",
            format!(
                "connection {id} needs to be reconnected by its end user before agents can use it"
            ),
        )),
        Some(ConnectionStatus::Deleted) | None => Err(ApiError::not_found(format!(
            "connection {id} does not exist"
        ))),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}
