//! The sync on a small workspace: import, records API (paging, filters, errors), sync status and
//! trigger routes, targeted jobs, truncated markdown and the block-tree body mode.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync_support;

use relay_shared::domain::{RunStatus, SyncJob};
use relay_shared::sync::{BodyMode, SyncOptions};
use serde_json::json;
use sync_support::{Config, Harness, expected_ids, full_markdown, plain_title};

fn large_page(relay: &Harness) -> String {
    relay.emu.find_page("Large Page").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_workspace_imports_completely_with_bodies_and_rows() {
    let relay = Harness::start(Config::default()).await;
    let report = relay.initial_sync().await;
    assert_eq!(report.failed, 0, "{report:?}");

    let ws = relay.snapshot();
    let (pages, rows) = expected_ids(&relay.emu);
    let stored_pages = relay.live("page").await;
    let stored_rows = relay.live("row").await;
    assert_eq!(stored_pages.keys().cloned().collect::<Vec<_>>(), {
        let mut ids = pages.clone();
        ids.sort();
        ids
    });
    assert_eq!(stored_rows.len(), rows.len());
    for id in &pages {
        let record = &stored_pages[id];
        let page = relay.emu.page_json(id).unwrap();
        assert_eq!(record["data"]["title"], plain_title(&page), "{id}");
        assert_eq!(record["data"]["in_trash"], false);
        assert_eq!(
            record["data"]["body"]["markdown"],
            full_markdown(&ws, id),
            "{id}"
        );
        assert_eq!(record["data"]["body"]["complete"], true);
        assert_eq!(record["metadata"]["last_action"], "added");
    }
    for id in &rows {
        let record = &stored_rows[id];
        let page = relay.emu.page_json(id).unwrap();
        assert_eq!(record["data"]["properties"], page["properties"], "{id}");
        assert_eq!(record["data"]["body"], serde_json::Value::Null);
    }
    assert_eq!(
        relay.live("data_source").await.len(),
        relay.emu.data_source_ids().len()
    );
    assert_eq!(
        relay.live("database").await.len(),
        relay.emu.database_ids().len()
    );

    let runs = relay.runs().await;
    let run = &runs[0];
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.kind, "initial");
    let total = pages.len()
        + rows.len()
        + relay.emu.data_source_ids().len()
        + relay.emu.database_ids().len();
    assert_eq!(run.counts.added as usize, total);
    assert_eq!(
        run.requests,
        relay.emu.counters().total,
        "every request is counted"
    );
    assert_eq!(run.rate_limited, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_api_pages_filters_and_rejects_bad_input() {
    let relay = Harness::start(Config::default()).await;
    relay.initial_sync().await;
    let id = relay.connection_id;

    // Paging with a small limit visits every record once, in cursor order.
    let mut cursor = "0".to_owned();
    let mut seen = Vec::new();
    loop {
        let (status, body) = relay
            .get(&format!(
                "/connections/{id}/records?model=page&limit=5&cursor={cursor}"
            ))
            .await;
        assert_eq!(status, 200);
        let records = body["records"].as_array().unwrap();
        assert!(records.len() <= 5);
        for record in records {
            assert_eq!(record["model"], "page");
            for key in [
                "last_action",
                "first_seen_at",
                "last_modified_at",
                "deleted_at",
                "cursor",
            ] {
                assert!(record["metadata"].get(key).is_some(), "{key}");
            }
            seen.push(
                record["metadata"]["cursor"]
                    .as_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap(),
            );
        }
        cursor = body["next_cursor"].as_str().unwrap().to_owned();
        if !body["has_more"].as_bool().unwrap() {
            break;
        }
    }
    assert_eq!(seen.len(), relay.live("page").await.len());
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    // Filters.
    relay.emu.advance_clock(2);
    let (pages, _) = expected_ids(&relay.emu);
    relay.emu.trash_page(&pages[3], true);
    relay.incremental_sync().await;
    let (_, body) = relay
        .get(&format!(
            "/connections/{id}/records?model=page&filter=deleted"
        ))
        .await;
    let deleted = body["records"].as_array().unwrap();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["id"], pages[3].as_str());
    let (_, body) = relay.get(&format!("/connections/{id}/records?model=page&filter=added,updated&modified_after=2100-01-01T00:00:00Z")).await;
    assert_eq!(body["records"].as_array().unwrap().len(), 0);

    // Errors name the field; unknown connections are 404; the API key is required.
    for (query, field) in [
        ("model=page&cursor=abc", "cursor"),
        ("model=comment", "model"),
        ("cursor=3", "model"),
        ("model=row&limit=0", "limit"),
        ("model=row&filter=moved", "filter"),
        ("model=row&modified_after=soon", "modified_after"),
    ] {
        let (status, body) = relay
            .get(&format!("/connections/{id}/records?{query}"))
            .await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["code"], "invalid_request");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{body}"
        );
    }
    let (status, _) = relay
        .get(&format!(
            "/connections/{}/records?model=page",
            relay_shared::domain::ConnectionId::random()
        ))
        .await;
    assert_eq!(status, 404);
    let (status, _) = relay
        .get("/connections/not-a-uuid/records?model=page")
        .await;
    assert_eq!(status, 400);
    let response = relay
        .http
        .get(relay.url(&format!("/connections/{id}/records?model=page")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_routes_show_status_and_queue_runs() {
    let relay = Harness::start(Config::default()).await;
    let id = relay.connection_id;
    let (status, body) = relay.get(&format!("/connections/{id}/sync")).await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "idle");
    assert_eq!(body["runs"].as_array().unwrap().len(), 0);

    let post = |body: Option<serde_json::Value>, target: String| {
        let mut request = relay
            .http
            .post(relay.url(&format!("/connections/{target}/sync")))
            .bearer_auth(&relay.api_key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    let response = post(None, id.to_string()).await.unwrap();
    assert_eq!(response.status(), 202);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "queued");
    assert_eq!(body["full"], false);
    assert_eq!(
        post(Some(json!({"full": "yes"})), id.to_string())
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        post(
            None,
            relay_shared::domain::ConnectionId::random().to_string()
        )
        .await
        .unwrap()
        .status(),
        404
    );
    relay
        .runner
        .drain(std::time::Duration::from_millis(20))
        .await
        .unwrap();

    let (_, body) = relay.get(&format!("/connections/{id}/sync")).await;
    assert_eq!(body["connection_status"], "active");
    assert_eq!(body["completed_runs"], 1);
    assert!(body["high_water_mark"].is_string());
    assert!(body["next_sync_at"].is_string());
    let run = &body["runs"][0];
    assert_eq!(run["kind"], "initial");
    assert_eq!(run["status"], "succeeded");
    assert!(run["counts"]["added"].as_u64().unwrap() > 0);
    assert!(run["requests"].as_u64().unwrap() > 0);
    assert_eq!(body["last_sync"]["run_id"], run["run_id"]);

    // A full run asked for while nothing runs is the next run.
    assert_eq!(
        post(Some(json!({"full": true})), id.to_string())
            .await
            .unwrap()
            .status(),
        202
    );
    relay
        .runner
        .drain(std::time::Duration::from_millis(20))
        .await
        .unwrap();
    let (_, body) = relay.get(&format!("/connections/{id}/sync")).await;
    assert_eq!(body["runs"][0]["kind"], "full");
    assert_eq!(
        body["runs"][0]["status"], "succeeded",
        "{}",
        body["runs"][0]
    );
    assert_eq!(
        body["runs"][0]["counts"]["added"], 0,
        "nothing changed: nothing written"
    );
    assert_eq!(body["runs"][0]["counts"]["updated"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targeted_jobs_reread_before_writing() {
    let relay = Harness::start(Config::default()).await;
    relay.initial_sync().await;
    let (pages, rows) = expected_ids(&relay.emu);
    let id = relay.connection_id;
    relay.emu.advance_clock(2);

    relay
        .emu
        .edit_page_title(&pages[2], "Edited, then a webhook");
    relay
        .sync(SyncJob::RefetchPage {
            connection_id: id,
            page_id: pages[2].clone(),
        })
        .await;
    assert_eq!(
        relay.live("page").await[&pages[2]]["data"]["title"],
        "Edited, then a webhook"
    );

    // A delete event for a page that is still live (a stale event) deletes nothing.
    relay
        .sync(SyncJob::TombstonePage {
            connection_id: id,
            page_id: pages[4].clone(),
        })
        .await;
    assert!(relay.live("page").await.contains_key(&pages[4]));
    relay.emu.trash_page(&pages[4], true);
    relay
        .sync(SyncJob::TombstonePage {
            connection_id: id,
            page_id: pages[4].clone(),
        })
        .await;
    assert!(!relay.live("page").await.contains_key(&pages[4]));

    let data_source = relay.emu.data_source_ids()[0].clone();
    let row = relay
        .emu
        .row_ids(&data_source)
        .into_iter()
        .find(|r| rows.contains(r))
        .unwrap();
    relay.emu.trash_page(&row, true);
    relay
        .sync(SyncJob::RefreshDataSource {
            connection_id: id,
            data_source_id: data_source.clone(),
        })
        .await;
    let runs = relay.runs().await;
    assert_eq!(runs[0].kind, "targeted");
    assert_eq!(runs[0].status, RunStatus::Succeeded, "{:?}", runs[0].issues);
    // The refresh reads every row again but writes only what changed (nothing here: a trashed
    // row leaves the query results; the next full run tombstones it).
    assert_eq!(runs[0].counts.added + runs[0].counts.updated, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_markdown_is_completed_from_subtrees() {
    let relay = Harness::start(Config {
        markdown_record_limit: 50,
        ..Config::default()
    })
    .await;
    relay.initial_sync().await;
    let ws = relay.snapshot();
    let large = large_page(&relay);
    let record = &relay.live("page").await[&large];
    assert_eq!(
        record["data"]["body"]["markdown"].as_str().unwrap(),
        full_markdown(&ws, &large)
    );
    assert_eq!(record["data"]["body"]["complete"], true);
    // 120 paragraphs at 50 per response: the page and 70 subtrees.
    assert!(
        relay.emu.counters().endpoint("GET /v1/pages/{id}/markdown") as usize
            >= expected_ids(&relay.emu).0.len() + 70
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_are_reported_never_silent() {
    let relay = Harness::start(Config {
        markdown_record_limit: 50,
        options: SyncOptions {
            max_subtree_requests: 10,
            ..Config::default().options
        },
        ..Config::default()
    })
    .await;
    relay.initial_sync().await;
    let large = large_page(&relay);
    let record = &relay.live("page").await[&large];
    assert_eq!(record["data"]["body"]["complete"], false);
    assert_eq!(
        record["data"]["body"]["unfetched_block_ids"]
            .as_array()
            .unwrap()
            .len(),
        60
    );
    let run = &relay.runs().await[0];
    assert!(
        run.issues
            .iter()
            .any(|issue| issue.code == "body_subtree_limit"
                && issue.record_id.as_deref() == Some(large.as_str()))
    );
    assert_eq!(run.details["limits"]["body_subtree_limit"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_mode_stores_the_tree_and_rows_can_have_bodies() {
    let relay = Harness::start(Config {
        options: SyncOptions {
            body_mode: BodyMode::Blocks,
            row_bodies: true,
            ..Config::default().options
        },
        ..Config::default()
    })
    .await;
    relay.initial_sync().await;
    let large = large_page(&relay);
    let pages = relay.live("page").await;
    let body = &pages[&large]["data"]["body"];
    assert_eq!(body["complete"], true);
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(
        blocks.len(),
        relay.emu.block_children_json(&large).len(),
        "paginated past 100"
    );
    assert!(body["markdown"].as_str().unwrap().contains("Paragraph 120"));
    let (_, rows) = expected_ids(&relay.emu);
    let stored_rows = relay.live("row").await;
    let row = &stored_rows[&rows[0]]["data"]["body"];
    assert_eq!(
        row["blocks"].as_array().unwrap().len(),
        relay.emu.block_children_json(&rows[0]).len()
    );
    assert_eq!(relay.runs().await[0].status, RunStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_batches_report_exactly_the_failed_messages() {
    let relay = Harness::start(Config::default()).await;
    let job = |full| serde_json::to_string(&SyncJob::manual(relay.connection_id, full)).unwrap();
    let messages = vec![
        relay_shared::sync::QueueMessage {
            message_id: "m1".into(),
            receipt_handle: None,
            body: job(false),
        },
        relay_shared::sync::QueueMessage {
            message_id: "m2".into(),
            receipt_handle: None,
            body: "{not json".into(),
        },
        relay_shared::sync::QueueMessage {
            message_id: "m3".into(),
            receipt_handle: None,
            body: job(true),
        },
    ];
    let keep = relay
        .worker
        .handle_batch(messages, relay_shared::sync::Deadline::none())
        .await;
    // m1 ran; m2 failed; m3 is returned unprocessed to keep the connection's FIFO order.
    assert_eq!(keep, ["m2", "m3"]);
    assert_eq!(relay.runs().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_connection_stops_syncing_and_says_so() {
    let relay = Harness::start(Config::default()).await;
    relay.initial_sync().await;
    relay.emu.advance_clock(2);
    let (pages, _) = expected_ids(&relay.emu);
    relay.emu.edit_page_title(&pages[1], "After the revoke");
    relay.emu.revoke(&relay.grant.access_token);
    relay.incremental_sync().await;
    // 401, one refresh attempt (refused: the grant is revoked), then needs_reauth.
    let connection = relay
        .ctx
        .adapters
        .connections
        .get(&relay.connection_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        connection.status,
        relay_shared::domain::ConnectionStatus::NeedsReauth
    );
    let run = &relay.runs().await[0];
    assert_eq!(
        run.status,
        RunStatus::Continued,
        "kept for after a reconnect"
    );
    let (_, body) = relay
        .get(&format!("/connections/{}/sync", relay.connection_id))
        .await;
    assert_eq!(body["state"], "stopped");
    assert_eq!(body["connection_status"], "needs_reauth");
    // Jobs for it are dropped without calling Notion.
    let before = relay.emu.counters().total;
    relay.incremental_sync().await;
    assert_eq!(relay.emu.counters().total, before);
}
