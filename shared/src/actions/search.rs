//! `search`: title search over the synced copy (pages, rows, data sources), falling back to
//! Notion's search when the copy has no match (shared since the last sync) or is not complete
//! yet (no sync has finished).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Actions;
use super::error::ActionError;
use super::spec::{ActionSpec, Annotations, Render, limit};
use super::values::{ParentRef, parent_ref};
use crate::domain::{ConnectionId, RecordModel};
use crate::notion::client::{SearchFilter, SearchObject, SearchRequest};
use crate::notion::model::SearchResult;

/// Records of the synced copy read at most per search.
const MAX_SCAN: usize = 20_000;
const DEFAULT_LIMIT: u32 = 10;
const MAX_LIMIT: u32 = 50;

/// Find pages, database rows and data sources by title.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    /// Words of the title to look for, case-insensitive; every word must appear. Empty: the
    /// most recently edited objects.
    #[serde(default)]
    pub query: String,
    /// `page` (pages and rows), `data_source` (tables), or `any` (default).
    #[serde(default)]
    pub kind: SearchKind,
    /// Results per answer, 1 to 50 (default 10).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous answer, to continue.
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Page,
    DataSource,
    #[default]
    Any,
}

/// Matching objects, best first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchOutput {
    pub results: Vec<SearchHit>,
    /// Pass back as `cursor` for more results; absent when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// `synced` (Relay's copy) or `notion` (Notion's search).
    pub source: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchHit {
    /// The object's id (use it with get_page, query_data_source, create_page ...).
    pub id: String,
    /// `page`, `row` (a page in a data source) or `data_source`.
    pub object: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_edited_time: Option<String>,
}

pub(super) fn spec() -> ActionSpec {
    ActionSpec::new::<SearchInput, SearchOutput>(
        "search",
        "Search Notion by title",
        "Finds pages, database rows and data sources whose title contains the query words. \
         Searches Relay's synced copy first and Notion's own search when the copy has no match. \
         Answers ids and urls to use with the other tools; paginate with next_cursor.",
        Annotations::READ,
    )
}

impl Render for SearchOutput {
    fn render(&self) -> String {
        if self.results.is_empty() {
            return "No matches.".to_owned();
        }
        let mut lines: Vec<String> = self
            .results
            .iter()
            .map(|hit| {
                format!(
                    "- [{}] {} (id {}){}",
                    hit.object,
                    if hit.title.is_empty() {
                        "(untitled)"
                    } else {
                        &hit.title
                    },
                    hit.id,
                    hit.url
                        .as_deref()
                        .map(|url| format!(" {url}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        if let Some(cursor) = &self.next_cursor {
            lines.push(format!("More results: cursor {cursor}"));
        }
        lines.join("\n")
    }
}

enum Cursor {
    Start,
    Synced(usize),
    Notion(String),
}

fn parse_cursor(raw: Option<&str>) -> Result<Cursor, ActionError> {
    let invalid =
        || ActionError::invalid("cursor", "is not a cursor from a previous search answer");
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Ok(Cursor::Start),
        Some(raw) => match raw.split_once(':') {
            Some(("s", offset)) => offset.parse().map(Cursor::Synced).map_err(|_| invalid()),
            Some(("n", cursor)) if !cursor.is_empty() => Ok(Cursor::Notion(cursor.to_owned())),
            _ => Err(invalid()),
        },
    }
}

pub(super) async fn run(
    actions: &Actions,
    connection: &ConnectionId,
    input: SearchInput,
) -> Result<SearchOutput, ActionError> {
    let limit = limit(input.limit, DEFAULT_LIMIT, MAX_LIMIT)? as usize;
    if input.query.chars().count() > 500 {
        return Err(ActionError::invalid("query", "at most 500 characters"));
    }
    match parse_cursor(input.cursor.as_deref())? {
        Cursor::Notion(cursor) => {
            notion_search(actions, connection, &input, limit, Some(cursor)).await
        }
        Cursor::Synced(offset) => synced_search(actions, connection, &input, limit, offset).await,
        Cursor::Start => {
            // Until a first sync has finished, the copy is partial: ask Notion.
            if actions.last_sync_finished(connection).await?.is_none() {
                return notion_search(actions, connection, &input, limit, None).await;
            }
            let synced = synced_search(actions, connection, &input, limit, 0).await?;
            if synced.results.is_empty() {
                notion_search(actions, connection, &input, limit, None).await
            } else {
                Ok(synced)
            }
        }
    }
}

async fn synced_search(
    actions: &Actions,
    connection: &ConnectionId,
    input: &SearchInput,
    limit: usize,
    offset: usize,
) -> Result<SearchOutput, ActionError> {
    let words: Vec<String> = input
        .query
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let models: &[(RecordModel, &str)] = match input.kind {
        SearchKind::Page => &[(RecordModel::Page, "page"), (RecordModel::Row, "row")],
        SearchKind::DataSource => &[(RecordModel::DataSource, "data_source")],
        SearchKind::Any => &[
            (RecordModel::Page, "page"),
            (RecordModel::Row, "row"),
            (RecordModel::DataSource, "data_source"),
        ],
    };
    let mut hits: Vec<(bool, SearchHit)> = Vec::new();
    for (model, object) in models {
        actions
            .scan_live(connection, model, MAX_SCAN, |record| {
                let payload = &record.payload;
                if payload["in_trash"] == true {
                    return;
                }
                let title = payload["title"].as_str().unwrap_or_default();
                let lower = title.to_lowercase();
                if words.iter().all(|word| lower.contains(word.as_str())) {
                    let exact = !words.is_empty() && lower == input.query.trim().to_lowercase();
                    hits.push((exact, hit_of(payload, object, title)));
                }
            })
            .await?;
    }
    // Exact title matches first, then the most recently edited (RFC 3339 strings sort by time).
    hits.sort_by(|(a_exact, a), (b_exact, b)| {
        b_exact
            .cmp(a_exact)
            .then_with(|| b.last_edited_time.cmp(&a.last_edited_time))
            .then_with(|| a.id.cmp(&b.id))
    });
    let total = hits.len();
    let results: Vec<SearchHit> = hits
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(_, hit)| hit)
        .collect();
    let next = offset + results.len();
    Ok(SearchOutput {
        next_cursor: (next < total && !results.is_empty()).then(|| format!("s:{next}")),
        results,
        source: "synced".to_owned(),
    })
}

fn hit_of(payload: &Value, object: &str, title: &str) -> SearchHit {
    SearchHit {
        id: payload["id"].as_str().unwrap_or_default().to_owned(),
        object: object.to_owned(),
        title: title.to_owned(),
        url: payload["url"].as_str().map(str::to_owned),
        parent: parent_ref(&payload["parent"]),
        last_edited_time: payload["last_edited_time"].as_str().map(str::to_owned),
    }
}

async fn notion_search(
    actions: &Actions,
    connection: &ConnectionId,
    input: &SearchInput,
    limit: usize,
    cursor: Option<String>,
) -> Result<SearchOutput, ActionError> {
    let request = SearchRequest {
        query: Some(input.query.trim().to_owned()).filter(|query| !query.is_empty()),
        filter: match input.kind {
            SearchKind::Page => Some(SearchFilter::object(SearchObject::Page)),
            SearchKind::DataSource => Some(SearchFilter::object(SearchObject::DataSource)),
            SearchKind::Any => None,
        },
        sort: None,
        start_cursor: cursor,
        page_size: Some(limit as u32),
    };
    let list = actions
        .notion(connection, |client| {
            let request = request.clone();
            async move { client.search_page(&request).await }
        })
        .await?;
    let next_cursor = list.next_page_cursor().map(|cursor| format!("n:{cursor}"));
    let results = list
        .results
        .into_iter()
        .filter_map(|result| match result {
            SearchResult::Page(page) if !page.in_trash => {
                let value = serde_json::to_value(&*page).unwrap_or(Value::Null);
                Some(SearchHit {
                    id: page.id.clone(),
                    object: if page.data_source_id().is_some() {
                        "row"
                    } else {
                        "page"
                    }
                    .to_owned(),
                    title: page.title(),
                    url: page.url.clone(),
                    parent: parent_ref(&value["parent"]),
                    last_edited_time: page.last_edited_time.clone(),
                })
            }
            SearchResult::DataSource(source) => {
                let value = serde_json::to_value(&*source).unwrap_or(Value::Null);
                Some(SearchHit {
                    id: source.id.clone(),
                    object: "data_source".to_owned(),
                    title: source.title_text(),
                    url: source.url.clone(),
                    parent: parent_ref(&value["parent"]),
                    last_edited_time: source.last_edited_time.clone(),
                })
            }
            _ => None,
        })
        .collect();
    Ok(SearchOutput {
        results,
        next_cursor,
        source: "notion".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert!(matches!(parse_cursor(None).unwrap(), Cursor::Start));
        assert!(matches!(
            parse_cursor(Some("s:20")).unwrap(),
            Cursor::Synced(20)
        ));
        assert!(matches!(parse_cursor(Some("n:abc")).unwrap(), Cursor::Notion(c) if c == "abc"));
        assert!(parse_cursor(Some("x")).is_err());
        assert!(parse_cursor(Some("s:x")).is_err());
    }
}
