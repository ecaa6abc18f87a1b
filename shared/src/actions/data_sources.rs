//! `list_data_sources` (tables with compact schemas, from the synced copy or Notion) and
//! `query_data_source` (rows matching simple filters and sorts, paginated with Notion's cursor).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Actions;
use super::error::ActionError;
use super::filter::{Condition, Match, Sort, to_notion_filter, to_notion_sorts};
use super::spec::{ActionSpec, Annotations, Render, limit, notion_id};
use super::values::{page_title, plain_properties, plain_schema, render_value, title_property};
use crate::domain::{ConnectionId, RecordId, RecordKey, RecordModel};
use crate::notion::client::{QueryDataSource, SearchFilter, SearchObject, SearchRequest};
use crate::notion::model::SearchResult;

const MAX_SCAN: usize = 20_000;

/// List the data sources (database tables) the connection can see, with their schemas.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListDataSourcesInput {
    /// Only data sources whose title contains this text (case-insensitive).
    #[serde(default)]
    pub query: Option<String>,
    /// Include each data source's properties (name, type, option names). Default true.
    #[serde(default = "yes")]
    pub include_schema: bool,
    /// Data sources per answer, 1 to 100 (default 20).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous answer, to continue.
    #[serde(default)]
    pub cursor: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListDataSourcesOutput {
    pub data_sources: Vec<DataSourceSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// `synced` (Relay's copy) or `notion`.
    pub source: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DataSourceSummary {
    /// Use it as `data_source_id` with query_data_source and create_row.
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The name of the title property (what create_row's `title` fills).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_property: Option<String>,
    /// Properties by name: `{"type": "select", "options": [...]}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Map<String, Value>>,
}

/// Query the rows of a data source with simple filters and sorts.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryDataSourceInput {
    /// The data source id (from search or list_data_sources), or the id of a database that
    /// has exactly one data source.
    pub data_source_id: String,
    /// Conditions on properties, e.g. `[{"property": "Status", "operator": "equals", "value":
    /// "Done"}]`.
    #[serde(default)]
    pub filter: Vec<Condition>,
    /// `all` (default): every condition must hold; `any`: at least one.
    #[serde(default, rename = "match")]
    pub match_mode: Match,
    /// Sort keys, first one first, e.g. `[{"property": "Due", "direction": "descending"}]`.
    #[serde(default)]
    pub sorts: Vec<Sort>,
    /// Instead of `filter`: a filter object in Notion's own syntax, passed through as is.
    #[serde(default)]
    pub notion_filter: Option<Value>,
    /// Only these properties in the rows (names); default all.
    #[serde(default)]
    pub properties: Vec<String>,
    /// Rows per answer, 1 to 100 (default 20).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous answer, to continue.
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct QueryDataSourceOutput {
    pub data_source_id: String,
    pub rows: Vec<RowSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// True when Notion stopped this query at its 10,000-result cap: narrow the filter.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub result_limit_reached: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RowSummary {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_edited_time: Option<String>,
    /// Property values in plain form by name.
    pub properties: Map<String, Value>,
}

pub(super) fn list_spec() -> ActionSpec {
    ActionSpec::new::<ListDataSourcesInput, ListDataSourcesOutput>(
        "list_data_sources",
        "List Notion data sources",
        "Lists the data sources (database tables) the connection can see, with each one's \
         properties (type and option names) and title property. Use the ids with \
         query_data_source and create_row.",
        Annotations::READ,
    )
}

pub(super) fn query_spec() -> ActionSpec {
    ActionSpec::new::<QueryDataSourceInput, QueryDataSourceOutput>(
        "query_data_source",
        "Query a Notion data source",
        "Reads the rows of a data source that match simple conditions (property, operator, \
         value), sorted as asked, with plain property values. Paginate with next_cursor.",
        Annotations::READ,
    )
}

impl Render for ListDataSourcesOutput {
    fn render(&self) -> String {
        if self.data_sources.is_empty() {
            return "No data sources.".to_owned();
        }
        let mut lines = Vec::new();
        for source in &self.data_sources {
            lines.push(format!("- {} (id {})", source.title, source.id));
            if let Some(properties) = &source.properties {
                for (name, property) in properties {
                    let kind = property["type"].as_str().unwrap_or_default();
                    match property["options"].as_array() {
                        Some(options) => {
                            let names: Vec<&str> =
                                options.iter().filter_map(Value::as_str).collect();
                            lines.push(format!("    {name}: {kind} [{}]", names.join(", ")));
                        }
                        None => lines.push(format!("    {name}: {kind}")),
                    }
                }
            }
        }
        if let Some(cursor) = &self.next_cursor {
            lines.push(format!("More: cursor {cursor}"));
        }
        lines.join("\n")
    }
}

impl Render for QueryDataSourceOutput {
    fn render(&self) -> String {
        if self.rows.is_empty() {
            return "No rows match.".to_owned();
        }
        let mut lines = Vec::new();
        for row in &self.rows {
            let values: Vec<String> = row
                .properties
                .iter()
                .filter(|(_, value)| !value.is_null() && *value != &Value::Array(vec![]))
                .map(|(name, value)| format!("{name}={}", render_value(value)))
                .collect();
            lines.push(format!(
                "- {} (id {}): {}",
                row.title,
                row.id,
                values.join("; ")
            ));
        }
        if self.result_limit_reached {
            lines.push("Notion stopped at 10,000 results: narrow the filter.".to_owned());
        }
        if let Some(cursor) = &self.next_cursor {
            lines.push(format!("More rows: cursor {cursor}"));
        }
        lines.join("\n")
    }
}

pub(super) async fn list(
    actions: &Actions,
    connection: &ConnectionId,
    input: ListDataSourcesInput,
) -> Result<ListDataSourcesOutput, ActionError> {
    let limit = limit(input.limit, 20, 100)? as usize;
    let needle = input
        .query
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_lowercase();
    let cursor = input
        .cursor
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let invalid_cursor =
        || ActionError::invalid("cursor", "is not a cursor from a previous answer");
    let synced_offset = match cursor {
        None => Some(0),
        Some(raw) => match raw.split_once(':') {
            Some(("s", offset)) => Some(offset.parse().map_err(|_| invalid_cursor())?),
            Some(("n", rest)) if !rest.is_empty() => None,
            _ => return Err(invalid_cursor()),
        },
    };
    // Until a first sync has finished, the copy is partial: ask Notion.
    let copy_ready = actions.last_sync_finished(connection).await?.is_some();
    if let Some(offset) = synced_offset.filter(|offset| copy_ready || *offset > 0) {
        let mut found = Vec::new();
        let scan = actions
            .scan_live(connection, &RecordModel::DataSource, MAX_SCAN, |record| {
                let payload = &record.payload;
                let title = payload["title"].as_str().unwrap_or_default();
                if payload["in_trash"] != true && title.to_lowercase().contains(&needle) {
                    found.push(summary(payload, input.include_schema));
                }
            })
            .await?;
        if scan.live > 0 || offset > 0 {
            found.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.id.cmp(&b.id)));
            let total = found.len();
            let page: Vec<DataSourceSummary> = found.into_iter().skip(offset).take(limit).collect();
            let next = offset + page.len();
            return Ok(ListDataSourcesOutput {
                next_cursor: (next < total && !page.is_empty()).then(|| format!("s:{next}")),
                data_sources: page,
                source: "synced".to_owned(),
            });
        }
    }
    // No finished sync, or nothing synced: ask Notion.
    let request = SearchRequest {
        query: Some(needle).filter(|q| !q.is_empty()),
        filter: Some(SearchFilter::object(SearchObject::DataSource)),
        sort: None,
        start_cursor: cursor.and_then(|c| c.strip_prefix("n:")).map(str::to_owned),
        page_size: Some(limit as u32),
    };
    let list = actions
        .notion(connection, |client| {
            let request = request.clone();
            async move { client.search_page(&request).await }
        })
        .await?;
    let next_cursor = list.next_page_cursor().map(|c| format!("n:{c}"));
    let data_sources = list
        .results
        .into_iter()
        .filter_map(|result| match result {
            SearchResult::DataSource(source) => {
                let payload = crate::sync::payload::data_source_payload(&source);
                Some(summary(&payload, input.include_schema))
            }
            _ => None,
        })
        .collect();
    Ok(ListDataSourcesOutput {
        data_sources,
        next_cursor,
        source: "notion".to_owned(),
    })
}

fn summary(payload: &Value, include_schema: bool) -> DataSourceSummary {
    DataSourceSummary {
        id: payload["id"].as_str().unwrap_or_default().to_owned(),
        title: payload["title"].as_str().unwrap_or_default().to_owned(),
        database_id: payload["database_id"].as_str().map(str::to_owned),
        url: payload["url"].as_str().map(str::to_owned),
        title_property: title_property(&payload["properties"]),
        properties: include_schema.then(|| plain_schema(&payload["properties"])),
    }
}

pub(super) async fn query(
    actions: &Actions,
    connection: &ConnectionId,
    input: QueryDataSourceInput,
) -> Result<QueryDataSourceOutput, ActionError> {
    let limit = limit(input.limit, 20, 100)?;
    let given = notion_id(&input.data_source_id, "data_source_id")?;
    if input.notion_filter.is_some() && !input.filter.is_empty() {
        return Err(ActionError::invalid(
            "notion_filter",
            "give either filter or notion_filter, not both",
        ));
    }
    if let Some(filter) = &input.notion_filter
        && !filter.is_object()
    {
        return Err(ActionError::invalid(
            "notion_filter",
            "must be a JSON object",
        ));
    }

    let (data_source_id, mut schema, from_copy) = schema_of(actions, connection, &given).await?;
    let mut translated = translate(&input, &schema);
    // The copy's schema may predate a new property: check against Notion's before refusing.
    if from_copy && matches!(translated, Err(ActionError::InvalidInput { .. })) {
        schema = live_schema(actions, connection, &data_source_id).await?;
        translated = translate(&input, &schema);
    }
    let (filter, sorts) = translated?;

    let request = QueryDataSource {
        filter: filter.or_else(|| input.notion_filter.clone()),
        sorts,
        in_trash: None,
        page_size: Some(limit),
        start_cursor: input.cursor.clone().filter(|c| !c.trim().is_empty()),
        result_type: None,
        filter_properties: Vec::new(),
    };
    let list = actions
        .notion(connection, |client| {
            let (id, request) = (data_source_id.clone(), request.clone());
            async move { client.query_data_source_page(&id, &request).await }
        })
        .await?;
    let wanted = &input.properties;
    let rows = list
        .results
        .iter()
        .map(|page| {
            let json = serde_json::to_value(page).unwrap_or(Value::Null);
            let mut properties = plain_properties(&json["properties"]);
            if !wanted.is_empty() {
                properties.retain(|name, _| wanted.contains(name));
            }
            RowSummary {
                id: page.id.clone(),
                title: page_title(&json["properties"]),
                url: page.url.clone(),
                last_edited_time: page.last_edited_time.clone(),
                properties,
            }
        })
        .collect();
    Ok(QueryDataSourceOutput {
        data_source_id,
        rows,
        next_cursor: list.next_page_cursor().map(str::to_owned),
        result_limit_reached: list.is_query_result_limit_reached(),
    })
}

type Translated = (Option<Value>, Vec<crate::notion::client::QuerySort>);

fn translate(input: &QueryDataSourceInput, schema: &Value) -> Result<Translated, ActionError> {
    let filter = to_notion_filter(&input.filter, input.match_mode, schema)?;
    let sorts = to_notion_sorts(&input.sorts, schema)?;
    if let Some(unknown) = input
        .properties
        .iter()
        .find(|name| schema.get(name.as_str()).is_none())
    {
        return Err(ActionError::invalid(
            "properties",
            format!("no property named {unknown:?} in this data source"),
        ));
    }
    Ok((filter, sorts))
}

/// The data source's id and schema: from the synced copy when there, from Notion otherwise.
/// A database id with exactly one data source stands for that data source.
async fn schema_of(
    actions: &Actions,
    connection: &ConnectionId,
    id: &str,
) -> Result<(String, Value, bool), ActionError> {
    if let Ok(record_id) = RecordId::parse(id) {
        let key = RecordKey {
            connection_id: *connection,
            model: RecordModel::DataSource,
            record_id,
        };
        if let Some(record) = actions.ctx.adapters.records.get(&key).await?
            && record.deleted_at.is_none()
        {
            return Ok((id.to_owned(), record.payload["properties"].clone(), true));
        }
    }
    match live_schema(actions, connection, id).await {
        Ok(schema) => Ok((id.to_owned(), schema, false)),
        Err(ActionError::NotFound { .. }) => {
            // Perhaps a database id.
            let database = actions
                .notion(connection, |client| {
                    let id = id.to_owned();
                    async move { client.retrieve_database(&id).await }
                })
                .await
                .map_err(|error| match error {
                    ActionError::NotFound { .. } => ActionError::not_shared("data source", id),
                    other => other,
                })?;
            match database.data_sources.as_slice() {
                [only] => {
                    let schema = live_schema(actions, connection, &only.id).await?;
                    Ok((only.id.clone(), schema, false))
                }
                several => {
                    let listed: Vec<String> = several
                        .iter()
                        .map(|source| {
                            format!(
                                "{} ({})",
                                source.id,
                                source.name.clone().unwrap_or_default()
                            )
                        })
                        .collect();
                    Err(ActionError::invalid(
                        "data_source_id",
                        format!(
                            "{id} is a database with {} data sources; use one of: {}",
                            several.len(),
                            listed.join(", ")
                        ),
                    ))
                }
            }
        }
        Err(other) => Err(other),
    }
}

async fn live_schema(
    actions: &Actions,
    connection: &ConnectionId,
    id: &str,
) -> Result<Value, ActionError> {
    let source = actions
        .notion(connection, |client| {
            let id = id.to_owned();
            async move { client.retrieve_data_source(&id).await }
        })
        .await?;
    Ok(serde_json::to_value(&source.properties).unwrap_or(Value::Null))
}
