//! `/v1/databases`: retrieve, create, update.

use axum::Extension;
use axum::extract::{Path, State};
use bytes::Bytes;

use super::{parse_body, path_id, visible};
use crate::auth::Caller;
use crate::emulator::Emulator;
use crate::error::{ApiError, ApiResult, ok};
use crate::ops::{self, Actor, ParentRef};

pub(super) async fn retrieve(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = path_id(&raw, "database_id")?;
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    if !ws.databases.contains_key(&id) || !scope.can_see(&ws, &id) {
        return Err(emu.not_found("database", &id));
    }
    ok(ws
        .render_database(&id)
        .ok_or_else(|| emu.not_found("database", &id))?)
}

pub(super) async fn create(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    if body.get("parent").is_none() {
        return Err(ApiError::validation(
            "body failed validation: body.parent should be defined, instead was `undefined`.",
        ));
    }
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (db, events) = {
        let mut ws = emu.world_mut();
        let parent = ops::resolve_parent(&ws, &body["parent"])?;
        if let Some(target) = parent.target()
            && !visible(&ws, &scope, target)
        {
            return Err(emu.not_found("page", target));
        }
        ops::create_database(&mut ws, &parent, &body, &now, &actor)?
    };
    if matches!(
        ops::resolve_parent(&emu.world(), &body["parent"]),
        Ok(ParentRef::Workspace)
    ) && let Some(id) = db["id"].as_str()
        && let Some(grant) = emu.auth().grant_mut(&caller.grant_id)
    {
        grant.scope.share(id);
    }
    emu.emit(events);
    ok(db)
}

pub(super) async fn update(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> ApiResult {
    let id = path_id(&raw, "database_id")?;
    let body = parse_body(&body)?;
    let scope = emu.scope_of(&caller);
    let now = emu.now_minute();
    let actor = Actor::bot(&caller.bot_id);
    let (db, events) = {
        let mut ws = emu.world_mut();
        if !ws.databases.contains_key(&id) || !scope.can_see(&ws, &id) {
            return Err(emu.not_found("database", &id));
        }
        ops::update_database(&mut ws, &id, &body, &now, &actor)?
    };
    emu.emit(events);
    ok(db)
}
