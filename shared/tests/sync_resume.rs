//! Interrupted runs resume from their checkpoint: a short Lambda-like deadline (continuations),
//! a worker killed mid-run, and injected Notion failures. Nothing is lost, and nothing is read
//! twice beyond the unit of work that was in flight (counted at the emulator).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync_support;

use std::collections::BTreeSet;
use std::time::Duration;

use notion_emulator::{Fault, GeneratedWorkspace};
use relay_shared::domain::{RunStatus, SyncJob};
use relay_shared::sync::{Deadline, SyncOptions};
use sync_support::{Config, Harness, expected_ids, full_markdown};

const MARKDOWN: &str = "GET /v1/pages/{id}/markdown";
const SEARCH: &str = "POST /v1/search";
const QUERY: &str = "POST /v1/data_sources/{id}/query";

fn workspace() -> GeneratedWorkspace {
    GeneratedWorkspace {
        pages: 250,
        rows_per_data_source: 110,
        ..GeneratedWorkspace::default()
    }
}

/// Every visible page with its full body, and every row.
async fn assert_complete(relay: &Harness) {
    let ws = relay.snapshot();
    let (pages, rows) = expected_ids(&relay.emu);
    let stored = relay.live("page").await;
    assert_eq!(
        stored.keys().cloned().collect::<BTreeSet<_>>(),
        pages.iter().cloned().collect::<BTreeSet<_>>()
    );
    for id in &pages {
        assert_eq!(
            stored[id]["data"]["body"]["markdown"].as_str().unwrap(),
            full_markdown(&ws, id)
        );
    }
    assert_eq!(relay.live("row").await.len(), rows.len());
    assert_eq!(
        relay.live("data_source").await.len(),
        relay.emu.data_source_ids().len()
    );
}

fn options() -> SyncOptions {
    SyncOptions {
        reconcile_every: 1_000,
        // A killed worker's lease must expire for the next one to continue.
        lease_ttl: Duration::from_secs(2),
        ..SyncOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_deadlines_continue_the_run_without_reading_anything_twice() {
    let mut relay = Harness::start(Config {
        workspace: workspace(),
        requests_per_second: 300.0,
        burst: 20,
        options: options(),
        ..Config::default()
    })
    .await;
    // Each invocation may work for 150 ms, like a Lambda with almost no time left.
    relay.runner.job_time = Some(Duration::from_millis(150));
    let report = relay.initial_sync().await;
    assert_eq!(report.failed, 0);
    assert!(
        report.handled > 3,
        "the run took several invocations: {report:?}"
    );
    assert_complete(&relay).await;

    let (pages, _) = expected_ids(&relay.emu);
    let counters = relay.emu.counters();
    assert_eq!(
        counters.endpoint(MARKDOWN) as usize,
        pages.len(),
        "every body read exactly once"
    );
    let runs = relay.runs().await;
    let run = &runs[0];
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(
        run.details["invocations"].as_u64().unwrap() as usize,
        report.handled
    );
    // A search page interrupted by the deadline is read again by the next invocation: at most
    // one extra search request per continuation.
    let searchable =
        pages.len() + expected_ids(&relay.emu).1.len() + relay.emu.data_source_ids().len();
    assert!(counters.endpoint(SEARCH) as usize <= searchable.div_ceil(100) + report.handled);
    assert_eq!(run.requests, counters.total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_loses_only_the_work_in_flight() {
    let relay = Harness::start(Config {
        workspace: workspace(),
        requests_per_second: 200.0,
        burst: 10,
        options: options(),
        ..Config::default()
    })
    .await;
    // Kill the worker mid-run: the task is dropped, nothing is saved on the way out.
    let worker = relay.worker.clone();
    let job = SyncJob::initial(relay.connection_id);
    let task = tokio::spawn(async move { worker.handle(&job, Deadline::none()).await });
    // Kill it once it is reading bodies (rows come first: they were edited last).
    let waited = std::time::Instant::now();
    while relay.emu.counters().endpoint(MARKDOWN) < 60 {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "the run never got to the bodies"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.abort();
    let _ = task.await;
    let before = relay.emu.counters();
    let (pages, _) = expected_ids(&relay.emu);
    assert!(
        (before.endpoint(MARKDOWN) as usize) < pages.len(),
        "killed before the end"
    );

    // The next job (the scheduler's) continues once the dead worker's lease expired.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let report = relay.incremental_sync().await;
    assert_eq!(report.failed, 0);
    assert_complete(&relay).await;
    let after = relay.emu.counters();
    let reread = after.endpoint(MARKDOWN) as usize - pages.len();
    let options = options();
    assert!(
        reread <= options.write_batch + options.body_concurrency,
        "{reread} bodies read twice; at most one unit of work may be"
    );
    let run = &relay.runs().await[0];
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(
        run.kind, "initial",
        "the killed run was continued, not restarted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notion_failures_pause_the_run_and_the_next_job_resumes() {
    let mut relay = Harness::start(Config {
        workspace: workspace(),
        options: options(),
        ..Config::default()
    })
    .await;
    // First invocation: stop after a moment.
    relay.runner.job_time = Some(Duration::from_millis(100));
    relay
        .ctx
        .adapters
        .queue
        .send(
            &SyncJob::initial(relay.connection_id)
                .to_outgoing("first")
                .unwrap(),
        )
        .await
        .unwrap();
    let jobs = relay
        .ctx
        .adapters
        .queue
        .receive(1, Duration::from_secs(60), Duration::from_millis(50))
        .await
        .unwrap();
    relay
        .worker
        .handle_message(&jobs[0].body, Deadline::after(Duration::from_millis(300)))
        .await
        .unwrap();
    relay
        .ctx
        .adapters
        .queue
        .ack(&jobs[0].receipt)
        .await
        .unwrap();
    // Then Notion fails every search (5xx beyond the client's retries) and cursors expire.
    relay.emu.expire_cursors();
    relay
        .emu
        .fail_next(Fault::status(503, 3).on_path("/v1/search"));
    relay.runner.job_time = None;
    relay.runner.drain(Duration::from_millis(20)).await.unwrap();
    let run = relay.runs().await[0].clone();
    assert_eq!(
        run.status,
        RunStatus::Continued,
        "a transient failure pauses, never fails"
    );
    assert!(run.details["note"].as_str().unwrap().contains("transient"));
    let status = relay
        .ctx
        .adapters
        .connections
        .get(&relay.connection_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.next_sync_at.unwrap() > relay_shared::domain::timestamp::now(),
        "retried later"
    );

    // The next job continues the same run: the expired cursor restarts the listing from the top,
    // and pages already stored are not read again.
    let checkpoint = relay
        .ctx
        .adapters
        .sync_state
        .get_checkpoint(&relay.connection_id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        checkpoint.data["active"].is_object(),
        "the run waits in its checkpoint"
    );
    relay.incremental_sync().await;
    assert_complete(&relay).await;
    let (pages, _) = expected_ids(&relay.emu);
    let markdown = relay.emu.counters().endpoint(MARKDOWN);
    assert_eq!(markdown as usize, pages.len(), "no body read twice");
    let runs = relay.runs().await;
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    assert_eq!(runs[0].kind, "initial");
    assert!(relay.emu.counters().endpoint(QUERY) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_run_whose_seen_ids_outgrew_the_checkpoint_reconciles_after_a_restart() {
    let relay = Harness::start(Config {
        workspace: workspace(),
        options: SyncOptions {
            max_checkpoint_seen_ids: 10,
            ..options()
        },
        ..Config::default()
    })
    .await;
    relay.initial_sync().await;
    let (pages, _) = expected_ids(&relay.emu);
    let gone = pages[5].clone();
    relay.emu.unshare(&relay.grant.access_token, &gone);
    relay.emu.reset_counters();

    // A full run, killed after its second search page: its checkpoint holds no seen ids.
    let worker = relay.worker.clone();
    let job = SyncJob::manual(relay.connection_id, true);
    let task = tokio::spawn(async move { worker.handle(&job, Deadline::none()).await });
    let waited = std::time::Instant::now();
    while relay.emu.counters().endpoint(SEARCH) < 2 {
        assert!(waited.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    task.abort();
    let _ = task.await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    relay.incremental_sync().await;
    let run = &relay.runs().await[0];
    assert_eq!(run.kind, "full");
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.issues);
    assert!(
        !relay.live("page").await.contains_key(&gone),
        "tombstoned after a re-enumeration"
    );
    let searchable =
        pages.len() + expected_ids(&relay.emu).1.len() + relay.emu.data_source_ids().len();
    assert!(
        relay.emu.counters().endpoint(SEARCH) as usize > 2 * searchable.div_ceil(100),
        "the ids were enumerated again: {:?}",
        relay.emu.counters().by_endpoint
    );
}
