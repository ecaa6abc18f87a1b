//! `/v1/users`: members plus the integration's bot.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use serde_json::Value;

use super::{page_window, paging_from_query, path_id, query_pairs};
use crate::auth::Caller;
use crate::emulator::Emulator;
use crate::error::{ApiResult, ok};
use crate::json_shapes::list;

pub(super) async fn list_users(emu: &Emulator, caller: &Caller, query: Option<&str>) -> ApiResult {
    let pairs = query_pairs(query);
    let paging = paging_from_query(emu, &pairs, "users")?;
    let ws = emu.world();
    // The members list shows whether each email is verified; mentions do not.
    let mut users: Vec<Value> = ws
        .users
        .iter()
        .cloned()
        .map(|mut u| {
            if u["person"].is_object() {
                u["person"]["email_verified"] = Value::Bool(true);
            }
            u
        })
        .collect();
    if let Some(bot) = ws.user(&caller.bot_id) {
        users.push(bot);
    }
    let w = page_window(emu, users.len(), &paging, "users");
    ok(list(users[w.start..w.end].to_vec(), w.next_cursor, "user"))
}

pub(super) async fn list_all(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    list_users(&emu, &caller, query.as_deref()).await
}

pub(super) async fn me(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
) -> ApiResult {
    let ws = emu.world();
    ok(ws
        .user(&caller.bot_id)
        .ok_or_else(|| emu.not_found("user", &caller.bot_id))?)
}

pub(super) async fn retrieve(
    State(emu): State<Emulator>,
    Extension(_caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = path_id(&raw, "user_id")?;
    let ws = emu.world();
    ok(ws.user(&id).ok_or_else(|| emu.not_found("user", &id))?)
}
