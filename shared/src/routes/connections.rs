//! Connection management for the app backend (API key): `GET /connections`,
//! `GET /connections/{id}`, `DELETE /connections/{id}`. The two reads also accept a connect
//! session token, limited to that session's end user ([`ConnectionAccess`]).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use super::{ApiKeyAuth, ConnectionAccess, api_error};
use crate::connect::{ConnectService, ConnectionList, ConnectionView, ListQuery};
use crate::domain::ConnectionId;
use crate::http::ApiError;

pub fn router(connect: ConnectService) -> Router {
    Router::new()
        .route("/connections", get(list))
        .route("/connections/{id}", get(read).delete(remove))
        .with_state(connect)
}

async fn list(
    access: ConnectionAccess,
    State(connect): State<ConnectService>,
    RawQuery(query): RawQuery,
) -> Result<Json<ConnectionList>, ApiError> {
    let mut query = ListQuery::from_query(query.as_deref()).map_err(api_error)?;
    query.end_user_id = access.scope_end_user(query.end_user_id.take())?;
    let list = connect.list_connections(&query).await.map_err(api_error)?;
    Ok(Json(list))
}

async fn read(
    access: ConnectionAccess,
    State(connect): State<ConnectService>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    let id = parse_connection_id(&id)?;
    let view = connect.get_connection(&id).await.map_err(api_error)?;
    match access.end_user() {
        Some(end_user) if view.end_user.id != *end_user => Err(api_error(
            crate::connect::ConnectError::ConnectionNotFound(id),
        )),
        _ => Ok(Json(view)),
    }
}

async fn remove(
    _auth: ApiKeyAuth,
    State(connect): State<ConnectService>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_connection_id(&id)?;
    connect.delete_connection(&id).await.map_err(api_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A connection id from the path; 400 naming the field otherwise. Public so that other api
/// routes under `/connections/{id}/...` answer the same way.
pub fn parse_connection_id(raw: &str) -> Result<ConnectionId, ApiError> {
    ConnectionId::parse(raw)
        .map_err(|_| ApiError::bad_request("id: must be a connection id (a UUID)"))
}
