//! Finding a page whose creation timed out: Notion may have created it without telling us its
//! id. The page is looked for where it must be: among the parent page's `child_page` blocks,
//! or among the data source's rows (a query, which reads Notion's data directly, unlike
//! search's index), with the same title, created since the attempt began.

use futures::TryStreamExt;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::WriteError;
use super::parent::ResolvedParent;
use crate::connect::TokenManager;
use crate::domain::ConnectionId;
use crate::notion::client::{QueryDataSource, QuerySort, SortDirection};
use crate::notion::model::PropertyConfig;

/// A created page found again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FoundPage {
    pub id: String,
    pub url: Option<String>,
}

/// The lower bound for `created_time` of a page created from now on: a minute earlier (Notion
/// rounds timestamps down to the minute; clocks differ a little), on a minute boundary.
pub(super) fn attempt_started() -> String {
    let earlier = OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let floored = earlier
        .replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(earlier);
    floored.format(&Rfc3339).unwrap_or_default()
}

fn created_since(created_time: Option<&str>, since: &OffsetDateTime) -> bool {
    created_time
        .and_then(|raw| OffsetDateTime::parse(raw, &Rfc3339).ok())
        .is_some_and(|created| created >= *since)
}

/// The most recently created page titled `title` under `parent` since `since`, if any.
pub(super) async fn find_created(
    tokens: &TokenManager,
    connection: &ConnectionId,
    parent: &ResolvedParent,
    title: &str,
    since: &str,
) -> Result<Option<FoundPage>, WriteError> {
    let Ok(since_time) = OffsetDateTime::parse(since, &Rfc3339) else {
        return Ok(None);
    };
    match parent {
        ResolvedParent::Page { page_id } => {
            let parent_id = page_id.clone();
            let blocks = tokens
                .call(connection, |client| {
                    let parent_id = parent_id.clone();
                    async move {
                        client
                            .block_children(&parent_id)
                            .try_collect::<Vec<_>>()
                            .await
                    }
                })
                .await?;
            let found = blocks.iter().rev().find(|block| {
                block.type_name() == "child_page"
                    && created_since(block.created_time.as_deref(), &since_time)
                    && serde_json::to_value(block)
                        .ok()
                        .is_some_and(|value| value["child_page"]["title"] == title)
            });
            let Some(id) = found.and_then(|block| block.id.clone()) else {
                return Ok(None);
            };
            let lookup = id.clone();
            let page = tokens
                .call(connection, |client| {
                    let id = lookup.clone();
                    async move { client.retrieve_page(&id, &[]).await }
                })
                .await?;
            Ok(Some(FoundPage { id, url: page.url }))
        }
        ResolvedParent::DataSource(source) => {
            let Some(title_property) = source
                .properties
                .iter()
                .find(|(_, property)| matches!(property.config, PropertyConfig::Title(_)))
                .map(|(name, _)| name.clone())
            else {
                return Ok(None);
            };
            let query = QueryDataSource {
                filter: Some(json!({"and": [
                    {"property": title_property, "title": {"equals": title}},
                    {"timestamp": "created_time", "created_time": {"on_or_after": since}},
                ]})),
                sorts: vec![QuerySort::created_time(SortDirection::Descending)],
                page_size: Some(10),
                ..QueryDataSource::default()
            };
            let source_id = source.id.clone();
            let rows = tokens
                .call(connection, |client| {
                    let source_id = source_id.clone();
                    let query = query.clone();
                    async move { client.query_data_source_page(&source_id, &query).await }
                })
                .await?;
            Ok(rows.results.into_iter().next().map(|page| FoundPage {
                id: page.id,
                url: page.url,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lower_bound_is_a_minute_boundary_in_the_past() {
        let since = attempt_started();
        let parsed = OffsetDateTime::parse(&since, &Rfc3339).unwrap();
        assert_eq!(parsed.second(), 0);
        assert!(parsed < OffsetDateTime::now_utc());
        assert!(created_since(Some("2999-01-01T00:00:00.000Z"), &parsed));
        assert!(!created_since(Some("2001-01-01T00:00:00.000Z"), &parsed));
        assert!(!created_since(None, &parsed));
    }
}
