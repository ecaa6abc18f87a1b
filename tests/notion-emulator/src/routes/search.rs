//! `POST /v1/search`: title match over pages and data sources the caller sees.

use axum::Extension;
use axum::extract::State;
use bytes::Bytes;
use serde_json::Value;

use super::{page_window, paging_from_body, parse_body};
use crate::auth::Caller;
use crate::emulator::Emulator;
use crate::error::{ApiError, ApiResult, ok};
use crate::json_shapes::{list, page_title, plain_text};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Only {
    Any,
    Pages,
    DataSources,
}

pub(super) async fn search(
    State(emu): State<Emulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let body = parse_body(&body)?;
    let query = body["query"].as_str().unwrap_or_default().to_lowercase();
    let filter = &body["filter"];
    let only = match filter["value"].as_str() {
        None if filter.get("value").is_none() || filter["value"].is_null() => Only::Any,
        Some("page") => Only::Pages,
        Some("data_source") => Only::DataSources,
        _ => {
            return Err(ApiError::validation(format!(
                "body failed validation: body.filter.value should be `\"page\"` or `\"data_source\"`, instead was `{}`.",
                filter["value"]
            )));
        }
    };
    if let Some(p) = filter.get("property").filter(|p| !p.is_null())
        && p != "object"
    {
        return Err(ApiError::validation(format!(
            "body failed validation: body.filter.property should be `\"object\"`, instead was `{p}`."
        )));
    }
    let in_trash = filter["in_trash"].as_bool().unwrap_or(false);
    let sort = &body["sort"];
    let descending = match sort["direction"].as_str() {
        None | Some("descending") => true,
        Some("ascending") => false,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "body failed validation: body.sort.direction should be `\"ascending\"` or `\"descending\"`, instead was `\"{other}\"`."
            )));
        }
    };
    if let Some(ts) = sort.get("timestamp").and_then(Value::as_str)
        && ts != "last_edited_time"
    {
        return Err(ApiError::validation(format!(
            "body failed validation: body.sort.timestamp should be `\"last_edited_time\"`, instead was `\"{ts}\"`."
        )));
    }
    let paging = paging_from_body(&emu, &body, "search")?;
    let scope = emu.scope_of(&caller);
    let ws = emu.world();
    // (last_edited_time, id, is_page)
    let mut hits: Vec<(String, String, bool)> = Vec::new();
    if only != Only::DataSources {
        for id in &ws.page_order {
            let Some(page) = ws.pages.get(id) else {
                continue;
            };
            if (page["in_trash"] == true) != in_trash {
                continue;
            }
            if !query.is_empty() && !page_title(page).to_lowercase().contains(&query) {
                continue;
            }
            if !scope.can_see(&ws, id) {
                continue;
            }
            hits.push((
                page["last_edited_time"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                id.clone(),
                true,
            ));
        }
    }
    if only != Only::Pages {
        for id in &ws.data_source_order {
            let Some(ds) = ws.render_data_source(id) else {
                continue;
            };
            if (ds["in_trash"] == true) != in_trash {
                continue;
            }
            if !query.is_empty() && !plain_text(&ds["title"]).to_lowercase().contains(&query) {
                continue;
            }
            if !scope.can_see(&ws, id) {
                continue;
            }
            hits.push((
                ds["last_edited_time"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                id.clone(),
                false,
            ));
        }
    }
    hits.sort_by(|a, b| {
        let order = a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1));
        if descending { order.reverse() } else { order }
    });
    let w = page_window(&emu, hits.len(), &paging, "search");
    let results: Vec<Value> = hits[w.start..w.end]
        .iter()
        .filter_map(|(_, id, is_page)| {
            if *is_page {
                ws.render_page(id)
            } else {
                ws.render_data_source(id)
            }
        })
        .collect();
    ok(list(results, w.next_cursor, "page_or_data_source"))
}
