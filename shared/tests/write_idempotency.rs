//! Idempotency-Key semantics of `POST /connections/{id}/pages` against the Notion emulator:
//! replays, conflicts, concurrent duplicates, and resuming after a failed append (including
//! one that Notion applied but answered with a timeout).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod connect_support;
mod write_support;

use notion_emulator::{Fault, RateLimit};
use relay_shared::markdown::{CreationPlan, plan_requests, to_blocks};
use relay_shared::write::idempotency::IdempotencyKey;
use reqwest::StatusCode;
use serde_json::{Value, json};
use write_support::{Writer, count_blocks, expected_markdown, long_document};

const APPEND: &str = "PATCH /v1/blocks/{id}/children";
const CREATE: &str = "POST /v1/pages";

fn plan(markdown: &str) -> CreationPlan {
    plan_requests(to_blocks(markdown).unwrap().blocks).unwrap()
}

fn body(writer: &Writer, title: &str, markdown: &str) -> Value {
    json!({"parent": {"page_id": writer.top_page()}, "title": title, "markdown": markdown})
}

#[tokio::test]
async fn the_same_key_and_body_return_the_first_result() {
    let writer = Writer::start().await;
    let request = body(&writer, "Once", "Hello\n\n- a\n- b\n");
    let before = writer.page_count();
    let first = writer.create(&request, Some("create-once-1")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let requests = writer.relay.emu.counters().total;

    let second = writer.create(&request, Some("create-once-1")).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.body, first.body);
    assert_eq!(writer.page_count(), before + 1);
    // The replay is answered from the record, without asking Notion.
    assert_eq!(writer.relay.emu.counters().total, requests);

    // Formatting of the JSON body does not matter; its content does.
    let pretty = serde_json::to_vec_pretty(&request).unwrap();
    let third = writer.create_raw(pretty, Some("create-once-1")).await;
    assert_eq!(third.body, first.body);

    let other = writer
        .create(
            &body(&writer, "Once, edited", "Hello\n"),
            Some("create-once-1"),
        )
        .await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{:?}", other.body);
    assert_eq!(other.code(), "idempotency_conflict");
    assert_eq!(writer.page_count(), before + 1);

    // Keys are per connection and per key: another key creates another page.
    let fresh = writer.create(&request, Some("create-once-2")).await;
    assert_eq!(fresh.status, StatusCode::CREATED);
    assert_ne!(fresh.body["id"], first.body["id"]);
    assert_eq!(writer.page_count(), before + 2);
}

#[tokio::test]
async fn a_duplicate_while_in_progress_is_refused() {
    let writer = Writer::start().await;
    let key = IdempotencyKey::new(
        writer.ctx.adapters.ephemeral.clone(),
        &writer.connection,
        "busy-key",
    );
    assert!(key.lock().await.unwrap(), "the test holds the key");
    let before = writer.page_count();
    let answer = writer
        .create(&body(&writer, "Busy", "text"), Some("busy-key"))
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{:?}", answer.body);
    assert_eq!(answer.code(), "in_progress");
    assert_eq!(writer.page_count(), before);

    key.unlock().await;
    let answer = writer
        .create(&body(&writer, "Busy", "text"), Some("busy-key"))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
}

#[tokio::test]
async fn a_retry_after_a_failed_append_resumes_the_same_page() {
    let writer = Writer::start().await;
    let markdown = long_document();
    let planned = plan(&markdown);
    assert!(planned.appends.len() > 5);
    let request = body(&writer, "Interrupted", &markdown);
    let before = writer.page_count();

    // The page creation and about three appends pass, then an append is rate limited
    // (Retry-After: 1 s, which this client does not wait out inline).
    writer.relay.emu.reset_counters();
    writer.relay.emu.set_rate_limit(Some(RateLimit {
        requests_per_second: 1.0,
        burst: 4,
    }));
    let failed = writer.create(&request, Some("resume-me")).await;
    writer.relay.emu.set_rate_limit(None);
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{:?}", failed.body);
    assert_eq!(failed.code(), "incomplete");
    assert_eq!(writer.page_count(), before + 1);
    let page_id = writer
        .relay
        .emu
        .page_ids()
        .into_iter()
        .find(|id| failed.message().contains(id.as_str()))
        .expect("the answer names the page");
    let written = count_blocks(&writer.tree(&page_id));
    assert!(written > 0 && written < planned.block_count());
    let missing = planned.block_count() - written;
    assert!(
        failed
            .message()
            .contains(&format!("{missing} blocks could not be written")),
        "{}",
        failed.message()
    );
    assert!(failed.message().contains("same Idempotency-Key"));

    // The connection's budget honours the Retry-After before the next call.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let resumed = writer.create(&request, Some("resume-me")).await;
    assert_eq!(resumed.status, StatusCode::CREATED, "{:?}", resumed.body);
    assert_eq!(resumed.body["id"], page_id.as_str());
    assert_eq!(resumed.body["blocks_written"], planned.block_count());
    assert_eq!(writer.page_count(), before + 1);
    assert_eq!(count_blocks(&writer.tree(&page_id)), planned.block_count());
    assert_eq!(writer.body_markdown(&page_id), expected_markdown(&markdown));
    let counters = writer.relay.emu.counters();
    assert_eq!(counters.endpoint(CREATE), 1);
    // Every append once, plus the one that was refused.
    assert_eq!(counters.endpoint(APPEND), planned.appends.len() as u64 + 1);

    // Finished: the key now replays.
    let replay = writer.create(&request, Some("resume-me")).await;
    assert_eq!(replay.body, resumed.body);
}

#[tokio::test]
async fn an_append_applied_before_a_timeout_is_not_repeated() {
    let writer = Writer::start().await;
    let markdown = long_document();
    let planned = plan(&markdown);
    let request = body(&writer, "Timed out", &markdown);
    let before = writer.page_count();
    writer.relay.emu.reset_counters();

    // Notion applies the first append but answers 504.
    writer.relay.emu.fail_next(
        Fault::status_after_apply(504, 1)
            .on_path("/v1/blocks")
            .on_method("PATCH"),
    );
    let failed = writer.create(&request, Some("timeout-key")).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{:?}", failed.body);
    assert_eq!(failed.code(), "incomplete");
    let page_id = writer
        .relay
        .emu
        .page_ids()
        .into_iter()
        .find(|id| failed.message().contains(id.as_str()))
        .expect("the answer names the page");
    let applied = count_blocks(&writer.tree(&page_id));
    let initial: usize = planned
        .initial_children
        .iter()
        .map(|b| 1 + b.children().map_or(0, Vec::len))
        .sum();
    assert!(applied > initial, "the first append was applied");

    let resumed = writer.create(&request, Some("timeout-key")).await;
    assert_eq!(resumed.status, StatusCode::CREATED, "{:?}", resumed.body);
    assert_eq!(resumed.body["id"], page_id.as_str());
    assert_eq!(writer.page_count(), before + 1);
    assert_eq!(count_blocks(&writer.tree(&page_id)), planned.block_count());
    assert_eq!(writer.body_markdown(&page_id), expected_markdown(&markdown));
    // The applied append was not sent again.
    assert_eq!(
        writer.relay.emu.counters().endpoint(APPEND),
        planned.appends.len() as u64
    );
}

#[tokio::test]
async fn without_a_key_a_failed_append_says_what_is_missing() {
    let writer = Writer::start().await;
    let markdown = long_document();
    let before = writer.page_count();
    writer.relay.emu.fail_next(
        Fault::status(503, 1)
            .on_path("/v1/blocks")
            .on_method("PATCH"),
    );
    let failed = writer
        .create(&body(&writer, "No key", &markdown), None)
        .await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{:?}", failed.body);
    assert_eq!(failed.code(), "incomplete");
    assert!(failed.message().contains("cannot be resumed"));
    assert_eq!(writer.page_count(), before + 1);
}

#[tokio::test]
async fn a_page_edited_before_the_resume_is_not_written_twice() {
    let writer = Writer::start().await;
    let markdown = long_document();
    let request = body(&writer, "Edited meanwhile", &markdown);
    writer.relay.emu.fail_next(
        Fault::status_after_apply(504, 1)
            .on_path("/v1/blocks")
            .on_method("PATCH"),
    );
    let failed = writer.create(&request, Some("edited-key")).await;
    assert_eq!(failed.code(), "incomplete", "{:?}", failed.body);
    let page_id = writer
        .relay
        .emu
        .page_ids()
        .into_iter()
        .find(|id| failed.message().contains(id.as_str()))
        .unwrap();
    // Someone adds a paragraph: the page no longer has the block count the resume expects.
    writer.relay.emu.append_paragraph(&page_id, "added by hand");
    let blocks = count_blocks(&writer.tree(&page_id));

    let retry = writer.create(&request, Some("edited-key")).await;
    assert_eq!(retry.status, StatusCode::BAD_GATEWAY, "{:?}", retry.body);
    assert_eq!(retry.code(), "incomplete");
    assert_eq!(
        count_blocks(&writer.tree(&page_id)),
        blocks,
        "nothing appended"
    );
}

#[tokio::test]
async fn a_creation_applied_before_a_timeout_is_found_not_repeated() {
    let writer = Writer::start().await;
    let markdown = long_document();
    let planned = plan(&markdown);
    let request = body(&writer, "Created in the dark", &markdown);
    let before = writer.page_count();
    writer.relay.emu.fail_next(
        Fault::status_after_apply(504, 1)
            .on_path("/v1/pages")
            .on_method("POST"),
    );
    let failed = writer.create(&request, Some("dark-create")).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{:?}", failed.body);
    assert_eq!(writer.page_count(), before + 1, "Notion created the page");

    let resumed = writer.create(&request, Some("dark-create")).await;
    assert_eq!(resumed.status, StatusCode::CREATED, "{:?}", resumed.body);
    assert_eq!(writer.page_count(), before + 1, "no second page");
    let page_id = writer.relay.emu.find_page("Created in the dark").unwrap();
    assert_eq!(resumed.body["id"], page_id.as_str());
    assert_eq!(count_blocks(&writer.tree(&page_id)), planned.block_count());
    assert_eq!(writer.body_markdown(&page_id), expected_markdown(&markdown));
}

#[tokio::test]
async fn a_row_created_before_a_timeout_is_found_not_repeated() {
    let writer = Writer::start().await;
    let source = writer.relay.emu.data_source_ids()[0].clone();
    let rows_before = writer.relay.emu.row_ids(&source).len();
    let request = json!({
        "parent": {"data_source_id": source},
        "title": "Row in the dark",
        "markdown": "- a\n- b\n",
    });
    writer.relay.emu.fail_next(
        Fault::status_after_apply(500, 1)
            .on_path("/v1/pages")
            .on_method("POST"),
    );
    let failed = writer.create(&request, Some("dark-row")).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{:?}", failed.body);
    assert_eq!(writer.relay.emu.row_ids(&source).len(), rows_before + 1);

    let resumed = writer.create(&request, Some("dark-row")).await;
    assert_eq!(resumed.status, StatusCode::CREATED, "{:?}", resumed.body);
    assert_eq!(writer.relay.emu.row_ids(&source).len(), rows_before + 1);
    let id = resumed.body["id"].as_str().unwrap();
    assert_eq!(writer.body_markdown(id), expected_markdown("- a\n- b\n"));
}

#[tokio::test]
async fn a_refused_creation_leaves_the_key_free() {
    let writer = Writer::start().await;
    let request = body(&writer, "Refused first", "text");
    writer
        .relay
        .emu
        .fail_next(Fault::status(400, 1).on_path("/v1/pages").on_method("POST"));
    let failed = writer.create(&request, Some("refused-key")).await;
    assert_eq!(failed.status, StatusCode::BAD_REQUEST, "{:?}", failed.body);
    let before = writer.page_count();
    let created = writer.create(&request, Some("refused-key")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(writer.page_count(), before + 1);
}

/// The process stops (a Lambda killed at its timeout, a dropped HTTP request) right after
/// Notion applied an append, before the checkpoint recording it was saved. Once the key's lock
/// has expired, a retry must check the page before sending that append again.
#[tokio::test]
async fn a_run_that_died_after_an_append_is_resumed_without_duplicates() {
    use relay_shared::ports::EphemeralNamespace;
    use relay_shared::write::{CreatePageInput, WriteService};
    use std::time::Duration;
    use write_support::StallingStore;

    let writer = Writer::start().await;
    let markdown = long_document();
    let planned = plan(&markdown);
    assert!(planned.appends.len() > 2);
    let request = body(&writer, "Died mid-run", &markdown);
    let input: CreatePageInput = serde_json::from_value(request.clone()).unwrap();
    let before = writer.page_count();
    let initial: usize = planned
        .initial_children
        .iter()
        .map(|b| 1 + b.children().map_or(0, Vec::len))
        .sum();

    for steps_applied in 1..=2 {
        let key = format!("died-{steps_applied}");
        // Incomplete records: one when the page exists, then one per append. The run dies
        // while saving the one after append number `steps_applied`.
        let mut ctx = writer.ctx.clone();
        ctx.adapters.ephemeral =
            StallingStore::wrap(writer.ctx.adapters.ephemeral.clone(), steps_applied + 1);
        let dying = WriteService::new(ctx);
        let run = tokio::time::timeout(
            Duration::from_secs(5),
            dying.create_page(&writer.connection, input.clone(), Some(&key)),
        )
        .await;
        assert!(run.is_err(), "the run stalled");
        assert_eq!(writer.page_count(), before + steps_applied);
        let page_id = writer.relay.emu.page_ids().pop().unwrap();
        let applied: usize = planned.appends[..steps_applied]
            .iter()
            .flat_map(|append| &append.children)
            .map(|b| 1 + b.children().map_or(0, Vec::len))
            .sum();
        assert_eq!(count_blocks(&writer.tree(&page_id)), initial + applied);

        // The lock of the dead run expires.
        writer
            .ctx
            .adapters
            .ephemeral
            .delete(
                EphemeralNamespace::IDEMPOTENCY_KEY,
                &format!("lock\n{}\n{key}", writer.connection),
            )
            .await
            .unwrap();
        let resumed = writer.create(&request, Some(&key)).await;
        assert_eq!(resumed.status, StatusCode::CREATED, "{:?}", resumed.body);
        assert_eq!(resumed.body["id"], page_id.as_str());
        assert_eq!(
            writer.page_count(),
            before + steps_applied,
            "no second page"
        );
        assert_eq!(
            count_blocks(&writer.tree(&page_id)),
            planned.block_count(),
            "no append written twice (died after append {steps_applied})"
        );
        assert_eq!(writer.body_markdown(&page_id), expected_markdown(&markdown));
    }
}

/// The caller gives up (its HTTP timeout) while a long creation is still running. The creation
/// runs to its end anyway, so the caller's retry with the same key gets the page, not an
/// `in_progress` lock left behind by a run cut off halfway.
#[tokio::test]
async fn a_caller_that_hangs_up_does_not_cut_the_creation_short() {
    use std::time::Duration;
    let writer = Writer::start().await;
    let markdown = long_document();
    let planned = plan(&markdown);
    let request = body(&writer, "Caller hung up", &markdown);
    let before = writer.page_count();
    writer.relay.emu.fail_next(
        Fault::hang(Duration::from_millis(1_500), 1)
            .on_path("/v1/blocks")
            .on_method("PATCH"),
    );
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let hung_up = impatient
        .post(writer.pages_url())
        .bearer_auth(&writer.relay.api_key)
        .header("idempotency-key", "hung-up")
        .json(&request)
        .send()
        .await;
    assert!(hung_up.is_err(), "the caller timed out");

    // Long enough for the creation to finish.
    let mut retry = writer.create(&request, Some("hung-up")).await;
    for _ in 0..40 {
        if retry.status != StatusCode::CONFLICT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        retry = writer.create(&request, Some("hung-up")).await;
    }
    assert_eq!(retry.status, StatusCode::CREATED, "{:?}", retry.body);
    assert_eq!(writer.page_count(), before + 1);
    let id = retry.body["id"].as_str().unwrap();
    assert_eq!(count_blocks(&writer.tree(id)), planned.block_count());
    assert_eq!(writer.body_markdown(id), expected_markdown(&markdown));
}
