//! The Notion client against the Notion emulator: pagination, budget and 429s, retry policy by
//! request kind, timeouts, typed errors, the windowed query past the result cap, and OAuth.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use notion_emulator::{
    Emulator, EmulatorConfig, Fault, FaultKind, GeneratedWorkspace, RateLimit, RunningEmulator,
    WorkspaceSource,
};
use relay_shared::config::{BudgetConfig, NotionConfig};
use relay_shared::notion::client::{
    AppendChildren, AppendPosition, CreateComment, CreateDatabase, CreatePageRequest,
    InitialDataSource, MovePage, NotionError, SearchFilter, SearchObject, SearchRequest,
    UpdateDataSource, UpdateDatabase, UpdatePage,
};
use relay_shared::notion::model::{Block, ErrorCode, Parent, PropertyValue, RichText};
use relay_shared::notion::{ConnectionClient, NotionClient, RetryPolicy};
use relay_shared::secret::SecretString;

// ---------------------------------------------------------------- helpers

async fn emulator(config: EmulatorConfig) -> RunningEmulator {
    Emulator::start(config).await.unwrap()
}

async fn default_emulator() -> RunningEmulator {
    emulator(EmulatorConfig::default()).await
}

/// Fast retries so tests do not sleep for seconds on backoff.
fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        ..RetryPolicy::default()
    }
}

fn notion_config(base_url: &str, requests_per_second: f64, burst: u32) -> NotionConfig {
    NotionConfig {
        base_url: base_url.parse().unwrap(),
        budget: BudgetConfig {
            requests_per_second,
            burst,
        },
        request_timeout: Duration::from_secs(10),
        ..NotionConfig::default()
    }
}

/// A client with a generous budget (tests that are not about the budget).
fn fast_client(running: &RunningEmulator) -> NotionClient {
    NotionClient::with_retry_policy(&notion_config(&running.base_url, 200.0, 50), fast_retry())
        .unwrap()
}

fn connect(client: &NotionClient, running: &RunningEmulator) -> ConnectionClient {
    let grant = running.emulator.grant_all();
    client.connection("conn-1", SecretString::new(grant.access_token))
}

fn endpoint_count(running: &RunningEmulator, key: &str) -> u64 {
    running
        .emulator
        .counters()
        .by_endpoint
        .get(key)
        .copied()
        .unwrap_or(0)
}

fn large_page_id(running: &RunningEmulator) -> String {
    running
        .emulator
        .find_page("Large Page")
        .expect("generated large page")
}

fn paragraph(text: &str) -> Block {
    Block::paragraph(vec![RichText::text(text)])
}

// ---------------------------------------------------------------- pagination

#[tokio::test]
async fn block_children_stream_across_pages() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let page_id = large_page_id(&running);
    let expected: Vec<String> = running
        .emulator
        .block_children_json(&page_id)
        .iter()
        .map(|block| block["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(expected.len() > 100);
    running.emulator.reset_counters();

    let blocks: Vec<Block> = notion.block_children(&page_id).try_collect().await.unwrap();
    let ids: Vec<String> = blocks.iter().map(|b| b.id.clone().unwrap()).collect();
    assert_eq!(ids, expected);
    assert_eq!(endpoint_count(&running, "GET /v1/blocks/{id}/children"), 2);

    // The single-page form hands out the cursor for resumable callers.
    let first = notion
        .block_children_page(&page_id, None, Some(100))
        .await
        .unwrap();
    assert!(first.has_more);
    let cursor = first.next_cursor.clone().unwrap();
    let second = notion
        .block_children_page(&page_id, Some(&cursor), Some(100))
        .await
        .unwrap();
    assert_eq!(first.results.len() + second.results.len(), expected.len());
    assert!(!second.has_more);
}

#[tokio::test]
async fn search_streams_many_small_pages_lazily() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let all: Vec<_> = notion
        .search(SearchRequest::default())
        .try_collect()
        .await
        .unwrap();
    assert!(all.len() > 15, "workspace too small: {}", all.len());
    running.emulator.reset_counters();

    let small = SearchRequest {
        page_size: Some(3),
        ..SearchRequest::default()
    };
    let stream = notion.search(small.clone());
    futures::pin_mut!(stream);
    // Lazy: taking the first item fetches exactly one page.
    stream.next().await.unwrap().unwrap();
    assert_eq!(endpoint_count(&running, "POST /v1/search"), 1);

    let paged: Vec<_> = notion.search(small).try_collect().await.unwrap();
    let ids: Vec<&str> = paged.iter().map(|r| r.id().unwrap()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no duplicates across pages");
    assert_eq!(ids.len(), all.len());
    // One request for the lazy probe above, then one per page of 3.
    let full_pass = endpoint_count(&running, "POST /v1/search") - 1;
    assert!(full_pass >= (all.len() as u64).div_ceil(3), "{full_pass}");

    let data_sources: Vec<_> = notion
        .search(SearchRequest {
            filter: Some(SearchFilter::object(SearchObject::DataSource)),
            ..SearchRequest::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert!(!data_sources.is_empty());
    assert!(data_sources.len() < all.len());
}

#[tokio::test]
async fn users_comments_and_me() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let users: Vec<_> = notion.users().try_collect().await.unwrap();
    assert!(!users.is_empty());
    let me = notion.me().await.unwrap();
    assert!(me.is_bot());
    let page_id = large_page_id(&running);
    let comments: Vec<_> = notion.comments(&page_id).try_collect().await.unwrap();
    assert!(comments.is_empty() || comments.iter().all(|c| !c.id.is_empty()));
}

#[tokio::test]
async fn property_items_stream_past_the_25_reference_cap() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let data_source_id = running.emulator.data_source_ids()[0].clone();
    let rows: Vec<_> = notion
        .query_data_source(&data_source_id, Default::default())
        .try_collect()
        .await
        .unwrap();
    let (row, property_id) = rows
        .iter()
        .find_map(|row| {
            row.properties
                .values()
                .find(|value| value.has_more == Some(true))
                .map(|value| (row, value.id.clone().unwrap()))
        })
        .expect("a row whose relation exceeds 25 references");
    running.emulator.reset_counters();
    let items: Vec<_> = notion
        .page_property_items(&row.id, &property_id)
        .try_collect()
        .await
        .unwrap();
    assert!(items.len() > 25, "{}", items.len());
    let ids: HashSet<_> = items
        .iter()
        .map(|item| format!("{:?}", item.value))
        .collect();
    assert_eq!(ids.len(), items.len(), "no item twice");
}

#[tokio::test]
async fn every_endpoint_answers_and_parses() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let tops = running.emulator.top_level_ids();
    let large = large_page_id(&running);

    // Pages: create from Markdown, update, move, retrieve with filter_properties, markdown.
    let mut create = CreatePageRequest::new(Parent::PageId(large.clone()));
    create.markdown = Some("# Smoke page\n\nHello **world**".into());
    let created = notion.create_page(&create).await.unwrap();
    let update = UpdatePage {
        properties: [(
            "title".to_owned(),
            PropertyValue::title(vec![RichText::text("Renamed")]),
        )]
        .into_iter()
        .collect(),
        ..UpdatePage::default()
    };
    let updated = notion.update_page(&created.id, &update).await.unwrap();
    assert_eq!(updated.id, created.id);
    let target = tops
        .iter()
        .find(|id| running.emulator.page_json(id).is_some() && **id != large)
        .unwrap();
    let moved = notion
        .move_page(
            &created.id,
            &MovePage {
                parent: Parent::PageId(target.clone()),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        moved
            .parent
            .as_ref()
            .and_then(Parent::id)
            .map(|id| id.replace('-', "")),
        Some(target.replace('-', ""))
    );
    let fetched = notion.retrieve_page(&created.id, &["title"]).await.unwrap();
    assert!(fetched.properties.len() <= 1);
    let markdown = notion.page_markdown(&created.id, false).await.unwrap();
    assert!(markdown.markdown.contains("Hello"), "{}", markdown.markdown);
    assert!(
        matches!(
            notion
                .create_page(&CreatePageRequest {
                    children: Some(vec![]),
                    ..create.clone()
                })
                .await,
            Err(NotionError::InvalidRequest { .. })
        ),
        "children and markdown together are refused before sending"
    );

    // Blocks: append at the start, update, retrieve, delete.
    let appended = notion
        .append_children(
            &created.id,
            &AppendChildren {
                children: vec![paragraph("first now")],
                position: Some(AppendPosition::Start),
            },
        )
        .await
        .unwrap();
    let block_id = appended.results[0].id.clone().unwrap();
    let children = running.emulator.block_children_json(&created.id);
    assert_eq!(
        children[0]["id"].as_str().unwrap().replace('-', ""),
        block_id.replace('-', "")
    );
    let after = notion
        .append_children(
            &created.id,
            &AppendChildren {
                children: vec![paragraph("second")],
                position: Some(AppendPosition::AfterBlock(block_id.clone())),
            },
        )
        .await
        .unwrap();
    let children = running.emulator.block_children_json(&created.id);
    assert_eq!(
        children[1]["id"].as_str().unwrap().replace('-', ""),
        after.results[0].id.clone().unwrap().replace('-', "")
    );
    let edited = notion
        .update_block(&block_id, &paragraph("edited"))
        .await
        .unwrap();
    assert_eq!(edited.rich_text().unwrap()[0].plain_text(), "edited");
    let block = notion.retrieve_block(&block_id).await.unwrap();
    assert_eq!(block.type_name(), "paragraph");
    let deleted = notion.delete_block(&block_id).await.unwrap();
    assert_eq!(deleted.in_trash, Some(true));

    // Databases and data sources.
    let database_id = running.emulator.database_ids()[0].clone();
    let database = notion.retrieve_database(&database_id).await.unwrap();
    assert!(!database.data_sources.is_empty());
    let data_source = notion
        .retrieve_data_source(&database.data_sources[0].id)
        .await
        .unwrap();
    assert!(!data_source.properties.is_empty());
    let _templates: Vec<_> = notion
        .data_source_templates(&data_source.id)
        .try_collect()
        .await
        .unwrap();
    let renamed = notion
        .update_database(
            &database_id,
            &UpdateDatabase {
                title: Some(vec![RichText::text("Renamed DB")]),
                ..UpdateDatabase::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.title_text(), "Renamed DB");
    let mut properties = serde_json::Map::new();
    properties.insert("Name".into(), serde_json::json!({"title": {}}));
    let new_database = notion
        .create_database(&CreateDatabase {
            parent: Parent::PageId(large.clone()),
            title: vec![RichText::text("Smoke DB")],
            description: vec![],
            is_inline: Some(true),
            initial_data_source: Some(InitialDataSource { properties }),
            icon: None,
            cover: None,
        })
        .await
        .unwrap();
    assert_eq!(new_database.data_sources.len(), 1);
    let new_source = notion
        .update_data_source(
            &new_database.data_sources[0].id,
            &UpdateDataSource {
                title: Some(vec![RichText::text("Smoke source")]),
                ..UpdateDataSource::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(new_source.title_text(), "Smoke source");

    // Comments and users.
    let comment = notion
        .create_comment(&CreateComment::on_page(
            created.id.clone(),
            vec![RichText::text("a comment")],
        ))
        .await
        .unwrap();
    let comments: Vec<_> = notion.comments(&created.id).try_collect().await.unwrap();
    assert!(comments.iter().any(|c| c.id == comment.id));
    let me = notion.me().await.unwrap();
    let users: Vec<_> = notion.users().try_collect().await.unwrap();
    if let Some(person) = users.iter().find(|u| !u.is_bot()) {
        assert_eq!(
            notion.retrieve_user(&person.id).await.unwrap().id,
            person.id
        );
    }
    assert!(me.is_bot());
}

// ---------------------------------------------------------------- windowed query

#[tokio::test]
async fn windowed_query_reads_every_row_once_past_the_result_cap() {
    let running = emulator(EmulatorConfig {
        query_result_limit: 30,
        workspace: WorkspaceSource::Generated(GeneratedWorkspace {
            rows_per_data_source: 75,
            databases: 1,
            ..GeneratedWorkspace::default()
        }),
        ..EmulatorConfig::default()
    })
    .await;
    let notion = connect(&fast_client(&running), &running);
    let data_source_id = running.emulator.data_source_ids()[0].clone();
    let live_rows: HashSet<String> = running
        .emulator
        .row_ids(&data_source_id)
        .into_iter()
        .filter(|id| running.emulator.page_json(id).unwrap()["in_trash"] != true)
        .map(|id| id.replace('-', ""))
        .collect();
    assert!(live_rows.len() > 60, "{}", live_rows.len());

    // A plain query stops at the cap.
    let capped: Vec<_> = notion
        .query_data_source(&data_source_id, Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(capped.len(), 30);

    let rows: Vec<_> = notion
        .query_all_rows(&data_source_id, None)
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<String> = rows.iter().map(|row| row.id.replace('-', "")).collect();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "a row came twice");
    assert_eq!(unique, live_rows, "every row exactly once");
    let created: Vec<&str> = rows
        .iter()
        .map(|row| row.created_time.as_deref().unwrap())
        .collect();
    assert!(
        created.windows(2).all(|w| w[0] <= w[1]),
        "created_time ascending"
    );
}

#[tokio::test]
async fn windowed_query_keeps_the_callers_filter() {
    let running = emulator(EmulatorConfig {
        query_result_limit: 10,
        workspace: WorkspaceSource::Generated(GeneratedWorkspace {
            rows_per_data_source: 40,
            databases: 1,
            ..GeneratedWorkspace::default()
        }),
        ..EmulatorConfig::default()
    })
    .await;
    let notion = connect(&fast_client(&running), &running);
    let data_source_id = running.emulator.data_source_ids()[0].clone();
    let all: Vec<_> = notion
        .query_all_rows(&data_source_id, None)
        .try_collect()
        .await
        .unwrap();
    let pivot = all[all.len() / 2].created_time.clone().unwrap();
    let filter = serde_json::json!({
        "timestamp": "created_time", "created_time": {"on_or_after": pivot}
    });
    let filtered: Vec<_> = notion
        .query_all_rows(&data_source_id, Some(filter))
        .try_collect()
        .await
        .unwrap();
    let expected: Vec<&String> = all
        .iter()
        .filter(|row| row.created_time.as_deref().unwrap() >= pivot.as_str())
        .map(|row| &row.id)
        .collect();
    assert_eq!(filtered.iter().map(|r| &r.id).collect::<Vec<_>>(), expected);
}

// ---------------------------------------------------------------- budget and 429

#[tokio::test]
async fn injected_429_waits_for_retry_after_then_succeeds() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let page_id = large_page_id(&running);
    running.emulator.reset_counters();
    running.emulator.fail_next(Fault {
        count: 1,
        kind: FaultKind::Status(429),
        path_prefix: Some("/v1/pages".into()),
        method: Some("GET".into()),
    });
    let started = Instant::now();
    let page = notion.retrieve_page(&page_id, &[]).await.unwrap();
    assert_eq!(page.id.replace('-', ""), page_id.replace('-', ""));
    assert!(
        started.elapsed() >= Duration::from_millis(990),
        "{:?}",
        started.elapsed()
    );
    let stats = notion.stats();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.requests_sent, 2);
    assert_eq!(stats.retries, 1);
    assert_eq!(endpoint_count(&running, "GET /v1/pages/{id}"), 2);
}

#[tokio::test]
async fn a_429_also_retries_writes_since_notion_did_not_process_them() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let page_id = large_page_id(&running);
    running.emulator.reset_counters();
    running.emulator.fail_next(Fault {
        count: 1,
        kind: FaultKind::Status(529),
        path_prefix: Some("/v1/blocks".into()),
        method: Some("PATCH".into()),
    });
    let appended = notion
        .append_children(
            &page_id,
            &AppendChildren {
                children: vec![paragraph("after overload")],
                position: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(appended.results.len(), 1);
    assert_eq!(
        endpoint_count(&running, "PATCH /v1/blocks/{id}/children"),
        2
    );
}

#[tokio::test]
async fn a_long_retry_after_is_returned_not_slept_and_pauses_the_connection() {
    let running = default_emulator().await;
    let client = NotionClient::with_retry_policy(
        &notion_config(&running.base_url, 200.0, 50),
        RetryPolicy {
            max_inline_wait: Duration::from_millis(500),
            ..fast_retry()
        },
    )
    .unwrap();
    let notion = connect(&client, &running);
    running.emulator.fail_next(Fault::status(429, 1));
    let started = Instant::now();
    let err = notion.me().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert!(matches!(err, NotionError::RateLimited { .. }));
    assert!(err.request_id().is_some());
    // Every handle of the connection now holds back until the Retry-After has passed.
    let other_handle = client.connection("conn-1", SecretString::new("unused"));
    assert!(other_handle.budget().paused_until().is_some());
}

#[tokio::test]
async fn a_long_pause_fails_fast_for_every_later_call_until_it_passes() {
    // One request every two seconds: the second call meets a 429 with `Retry-After: 2`.
    let running = emulator(EmulatorConfig {
        rate_limit: Some(RateLimit {
            requests_per_second: 0.5,
            burst: 1,
        }),
        ..EmulatorConfig::default()
    })
    .await;
    let client = NotionClient::with_retry_policy(
        &notion_config(&running.base_url, 200.0, 50),
        RetryPolicy {
            max_inline_wait: Duration::from_millis(200),
            ..fast_retry()
        },
    )
    .unwrap();
    let notion = connect(&client, &running);
    notion.me().await.unwrap();
    let err = notion.me().await.unwrap_err();
    assert!(matches!(err, NotionError::RateLimited { .. }), "{err:?}");
    let paused_at = Instant::now();
    let sent_before = running.emulator.counters().total;
    // Later calls on the connection (any handle) neither wait out the pause nor send anything.
    let other_handle = client.connection("conn-1", SecretString::new("unused"));
    for handle in [&notion, &other_handle] {
        let started = Instant::now();
        let err = handle.me().await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(150),
            "{:?}",
            started.elapsed()
        );
        match err {
            NotionError::RateLimited { retry_after, .. } => {
                assert!(retry_after > Duration::from_millis(200), "{retry_after:?}");
                assert!(retry_after <= Duration::from_secs(2), "{retry_after:?}");
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
    }
    assert_eq!(running.emulator.counters().total, sent_before);
    // Once the pause has passed, calls go through again.
    tokio::time::sleep(Duration::from_millis(2_100).saturating_sub(paused_at.elapsed())).await;
    notion.me().await.unwrap();
}

#[tokio::test]
async fn a_short_pause_is_still_waited_out() {
    let running = default_emulator().await;
    let client = NotionClient::with_retry_policy(
        &notion_config(&running.base_url, 200.0, 50),
        RetryPolicy {
            max_inline_wait: Duration::from_secs(5),
            ..fast_retry()
        },
    )
    .unwrap();
    let notion = connect(&client, &running);
    notion.budget().pause_for(Duration::from_millis(300));
    let started = Instant::now();
    notion.me().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(290));
}

#[tokio::test]
async fn emulator_rate_limit_with_retry_after_is_waited_out() {
    let running = emulator(EmulatorConfig {
        rate_limit: Some(RateLimit {
            requests_per_second: 5.0,
            burst: 2,
        }),
        ..EmulatorConfig::default()
    })
    .await;
    // The client believes it may go much faster than the emulator allows.
    let notion = connect(&fast_client(&running), &running);
    let calls: Vec<_> = (0..6).map(|_| notion.me()).collect();
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(notion.stats().rate_limited >= 1);
    assert!(running.emulator.counters().rate_limited >= 1);
}

#[tokio::test]
async fn a_budget_equal_to_the_limit_never_meets_a_429() {
    const RPS: f64 = 10.0;
    const BURST: u32 = 3;
    const CALLS: usize = 30;
    let running = emulator(EmulatorConfig {
        rate_limit: Some(RateLimit {
            requests_per_second: RPS,
            burst: BURST,
        }),
        ..EmulatorConfig::default()
    })
    .await;
    let client = NotionClient::with_retry_policy(
        &notion_config(&running.base_url, RPS, BURST),
        fast_retry(),
    )
    .unwrap();
    let grant = running.emulator.grant_all();
    // Held for the whole test so the connection's budget (and its counters) stays alive.
    let observer = client.connection("conn-1", SecretString::new(grant.access_token.clone()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CALLS {
        // Separate handles of one connection share one budget.
        let notion = client.connection("conn-1", SecretString::new(grant.access_token.clone()));
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                notion.me().await.map(|_| ())
            } else {
                notion.list_users_page(None, Some(10)).await.map(|_| ())
            }
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(running.emulator.counters().rate_limited, 0);
    assert_eq!(running.emulator.counters().total, CALLS as u64);
    // Never faster than the budget: burst at once, then one per 1/RPS.
    let floor = Duration::from_secs_f64((CALLS as f64 - f64::from(BURST)) / RPS);
    assert!(elapsed >= floor, "{elapsed:?} < {floor:?}");
    let budget = observer.budget_stats();
    assert_eq!(
        observer.stats().requests_sent,
        0,
        "per-handle counters are separate"
    );
    assert_eq!(budget.requests_sent, CALLS as u64);
    assert_eq!(budget.rate_limited, 0);
    assert!(budget.waited > Duration::ZERO);
}

// ---------------------------------------------------------------- retry policy by request kind

#[tokio::test]
async fn server_errors_are_retried_for_reads() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let page_id = large_page_id(&running);
    running.emulator.reset_counters();
    running.emulator.fail_next(Fault {
        count: 2,
        kind: FaultKind::Status(503),
        path_prefix: Some("/v1/pages".into()),
        method: Some("GET".into()),
    });
    notion.retrieve_page(&page_id, &[]).await.unwrap();
    assert_eq!(endpoint_count(&running, "GET /v1/pages/{id}"), 3);

    // POST /v1/search is a read too.
    running.emulator.fail_next(Fault {
        count: 1,
        kind: FaultKind::Status(500),
        path_prefix: Some("/v1/search".into()),
        method: None,
    });
    notion.search_page(&SearchRequest::default()).await.unwrap();
    assert_eq!(endpoint_count(&running, "POST /v1/search"), 2);

    // Bounded: more failures than retries surface as a server error.
    running.emulator.fail_next(Fault {
        count: 10,
        kind: FaultKind::Status(502),
        path_prefix: Some("/v1/users".into()),
        method: None,
    });
    let err = notion.me().await.unwrap_err();
    assert!(
        matches!(err, NotionError::Server { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(endpoint_count(&running, "GET /v1/users/me"), 3);
    running.emulator.clear_faults();
}

#[tokio::test]
async fn server_errors_are_never_retried_for_creates_and_appends() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let parent = large_page_id(&running);
    running.emulator.reset_counters();

    running.emulator.fail_next(Fault {
        count: 1,
        kind: FaultKind::Status(503),
        path_prefix: Some("/v1/pages".into()),
        method: Some("POST".into()),
    });
    let mut create = CreatePageRequest::new(Parent::PageId(parent.clone()));
    create.properties.insert(
        "title".into(),
        PropertyValue::title(vec![RichText::text("Created once")]),
    );
    let err = notion.create_page(&create).await.unwrap_err();
    assert!(
        matches!(err, NotionError::Server { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(endpoint_count(&running, "POST /v1/pages"), 1);

    running.emulator.fail_next(Fault {
        count: 1,
        kind: FaultKind::Status(500),
        path_prefix: Some("/v1/blocks".into()),
        method: Some("PATCH".into()),
    });
    let append = AppendChildren {
        children: vec![paragraph("appended once")],
        position: None,
    };
    let err = notion.append_children(&parent, &append).await.unwrap_err();
    assert!(
        matches!(err, NotionError::Server { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable(), "the caller may decide to retry");
    assert_eq!(
        endpoint_count(&running, "PATCH /v1/blocks/{id}/children"),
        1
    );

    // Without a fault the same calls succeed.
    let page = notion.create_page(&create).await.unwrap();
    assert!(!page.id.is_empty());
    notion.append_children(&parent, &append).await.unwrap();
}

#[tokio::test]
async fn timeouts_retry_reads_and_surface_for_writes() {
    let running = default_emulator().await;
    let mut config = notion_config(&running.base_url, 200.0, 50);
    config.request_timeout = Duration::from_millis(300);
    let notion = connect(
        &NotionClient::with_retry_policy(&config, fast_retry()).unwrap(),
        &running,
    );
    let page_id = large_page_id(&running);
    running.emulator.reset_counters();

    running.emulator.fail_next(Fault {
        count: 1,
        kind: FaultKind::Hang(Duration::from_secs(2)),
        path_prefix: Some("/v1/blocks".into()),
        method: Some("GET".into()),
    });
    notion.retrieve_block(&page_id).await.unwrap();
    assert_eq!(endpoint_count(&running, "GET /v1/blocks/{id}"), 2);

    running.emulator.fail_next(Fault {
        count: 1,
        kind: FaultKind::Hang(Duration::from_secs(2)),
        path_prefix: Some("/v1/blocks".into()),
        method: Some("PATCH".into()),
    });
    let started = Instant::now();
    let err = notion
        .append_children(
            &page_id,
            &AppendChildren {
                children: vec![paragraph("slow")],
                position: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, NotionError::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        endpoint_count(&running, "PATCH /v1/blocks/{id}/children"),
        1
    );
}

#[tokio::test]
async fn connection_errors_retry_reads_only() {
    // A port nobody listens on: every attempt fails to connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = NotionClient::with_retry_policy(
        &notion_config(&format!("http://127.0.0.1:{port}"), 200.0, 50),
        fast_retry(),
    )
    .unwrap();
    let notion = client.connection("conn-down", SecretString::new("token"));
    let err = notion.me().await.unwrap_err();
    assert!(matches!(err, NotionError::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(notion.stats().requests_sent, 3, "first attempt + 2 retries");

    let writer = client.connection("conn-down-2", SecretString::new("token"));
    let err = writer
        .create_comment(&CreateComment::on_page("p", vec![RichText::text("x")]))
        .await
        .unwrap_err();
    assert!(matches!(err, NotionError::Transport { .. }), "{err:?}");
    assert_eq!(writer.stats().requests_sent, 1);
}

#[tokio::test]
async fn an_expired_cursor_ends_the_stream_with_a_validation_error() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    running.emulator.fail_next(Fault::expire_cursor(1));
    let results: Vec<_> = notion
        .block_children(&large_page_id(&running))
        .collect()
        .await;
    assert_eq!(results.len(), 101, "first page, then the error");
    assert!(results[..100].iter().all(Result::is_ok));
    assert!(
        matches!(results[100], Err(NotionError::Validation { .. })),
        "{:?}",
        results[100]
    );
}

// ---------------------------------------------------------------- typed errors

#[tokio::test]
async fn objects_outside_the_grant_are_not_found() {
    let running = default_emulator().await;
    let client = fast_client(&running);
    let tops = running.emulator.top_level_ids();
    let grant = running.emulator.grant(&[tops[0].as_str()]);
    let notion = client.connection("conn-narrow", SecretString::new(grant.access_token));
    let outside = tops.last().unwrap();
    assert_ne!(outside, &tops[0]);
    let err = notion.retrieve_page(outside, &[]).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert!(err.request_id().is_some());
    notion.retrieve_page(&tops[0], &[]).await.unwrap();
}

#[tokio::test]
async fn request_size_validation_surfaces_notions_message() {
    let running = default_emulator().await;
    let notion = connect(&fast_client(&running), &running);
    let page_id = large_page_id(&running);
    let children: Vec<Block> = (0..101).map(|i| paragraph(&format!("p{i}"))).collect();
    let err = notion
        .append_children(
            &page_id,
            &AppendChildren {
                children,
                position: None,
            },
        )
        .await
        .unwrap_err();
    match err {
        NotionError::Validation {
            code,
            message,
            request_id,
        } => {
            assert_eq!(code, ErrorCode::ValidationError);
            assert!(message.contains("100"), "{message}");
            assert!(request_id.is_some());
        }
        other => panic!("expected Validation, got {other:?}"),
    }
}

#[tokio::test]
async fn a_revoked_or_bogus_token_is_unauthorized() {
    let running = default_emulator().await;
    let client = fast_client(&running);
    let notion = client.connection("conn-bogus", SecretString::new("secret_not_a_token"));
    let err = notion.me().await.unwrap_err();
    assert!(matches!(err, NotionError::Unauthorized { .. }), "{err:?}");
    assert!(err.needs_reauth());
    assert!(!err.to_string().contains("secret_not_a_token"));
}

// ---------------------------------------------------------------- OAuth

#[tokio::test]
async fn oauth_code_exchange_refresh_rotation_and_revoke() {
    let running = default_emulator().await;
    let client = fast_client(&running);
    let app = running.emulator.oauth_app();
    let oauth = client.oauth(
        app.client_id.clone(),
        SecretString::new(app.client_secret.clone()),
    );
    let redirect = "http://127.0.0.1:9/oauth/callback";
    let code = running.emulator.authorization_code(None, redirect);

    let first = oauth
        .exchange_code(&SecretString::new(code.clone()), Some(redirect))
        .await
        .unwrap();
    assert!(first.bot_id.is_some());
    assert_eq!(
        first.workspace_id.as_deref(),
        Some(running.emulator.workspace_id().as_str())
    );
    let connection = client.connection("conn-oauth", first.access_token.clone());
    connection.me().await.unwrap();

    // A code is single use.
    let err = oauth
        .exchange_code(&SecretString::new(code), Some(redirect))
        .await
        .unwrap_err();
    assert!(matches!(err, NotionError::InvalidGrant { .. }), "{err:?}");

    // Refresh rotates: the old refresh token is dead afterwards.
    let old_refresh = first.refresh_token.clone().unwrap();
    let second = oauth.refresh(&old_refresh).await.unwrap();
    let new_refresh = second.refresh_token.clone().unwrap();
    assert!(!new_refresh.constant_time_eq(old_refresh.expose()));
    let err = oauth.refresh(&old_refresh).await.unwrap_err();
    assert!(matches!(err, NotionError::InvalidGrant { .. }), "{err:?}");
    assert!(err.needs_reauth());

    let connection = client.connection("conn-oauth", second.access_token.clone());
    connection.me().await.unwrap();
    let introspection = oauth.introspect(&second.access_token).await.unwrap();
    assert!(introspection.active);

    oauth.revoke(&second.access_token).await.unwrap();
    let err = connection.me().await.unwrap_err();
    assert!(matches!(err, NotionError::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn a_refresh_is_never_retried_on_server_errors() {
    let running = default_emulator().await;
    let client = fast_client(&running);
    let app = running.emulator.oauth_app();
    let oauth = client.oauth(app.client_id, SecretString::new(app.client_secret));
    let grant = running.emulator.grant_all();
    running.emulator.reset_counters();
    running.emulator.fail_next(Fault {
        count: 1,
        kind: FaultKind::Status(503),
        path_prefix: Some("/v1/oauth/token".into()),
        method: None,
    });
    let err = oauth
        .refresh(&SecretString::new(grant.refresh_token))
        .await
        .unwrap_err();
    assert!(
        matches!(err, NotionError::Server { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(endpoint_count(&running, "POST /v1/oauth/token"), 1);
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_oauth_client_error() {
    let running = default_emulator().await;
    let client = fast_client(&running);
    let app = running.emulator.oauth_app();
    let oauth = client.oauth(app.client_id, SecretString::new("wrong-secret"));
    let grant = running.emulator.grant_all();
    let err = oauth
        .refresh(&SecretString::new(grant.refresh_token.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            NotionError::InvalidClient { .. } | NotionError::Unauthorized { .. }
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains(&grant.refresh_token));
}
