//! The request budget: with Notion's rate limit equal to the client's budget a run meets no 429;
//! injected 429s are waited out (Retry-After) and counted; a Retry-After longer than a worker
//! should sleep parks the run (checkpoint, "continues later"), never fails it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync_support;

use std::time::{Duration, Instant};

use notion_emulator::{Fault, GeneratedWorkspace, RateLimit};
use relay_shared::domain::{RunStatus, timestamp};
use relay_shared::notion::RetryPolicy;
use sync_support::{Config, Harness, expected_ids};

fn workspace() -> GeneratedWorkspace {
    GeneratedWorkspace {
        pages: 60,
        rows_per_data_source: 20,
        ..GeneratedWorkspace::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_equal_to_notions_limit_meets_no_429() {
    let limit = RateLimit {
        requests_per_second: 40.0,
        burst: 8,
    };
    let relay = Harness::start(Config {
        workspace: workspace(),
        requests_per_second: limit.requests_per_second,
        burst: limit.burst,
        emulator_rate_limit: Some(limit),
        ..Config::default()
    })
    .await;
    let started = Instant::now();
    relay.initial_sync().await;
    let elapsed = started.elapsed();
    let counters = relay.emu.counters();
    let run = &relay.runs().await[0];
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.issues);
    assert_eq!(counters.rate_limited, 0, "no 429 from Notion");
    assert_eq!(run.rate_limited, 0);
    // And the budget is used, not wasted: close to the limit.
    let rate = counters.total as f64 / elapsed.as_secs_f64();
    assert!(counters.total > 50, "{}", counters.total);
    assert!(
        rate <= limit.requests_per_second * 1.05 + f64::from(limit.burst),
        "{rate} rps"
    );
    assert!(rate > limit.requests_per_second * 0.5, "{rate} rps");
    assert_eq!(
        relay.live("page").await.len(),
        expected_ids(&relay.emu).0.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_429s_are_waited_out_and_counted() {
    let relay = Harness::start(Config {
        workspace: workspace(),
        ..Config::default()
    })
    .await;
    relay
        .emu
        .fail_next(Fault::status(429, 2).on_path("/v1/pages"));
    let started = Instant::now();
    relay.initial_sync().await;
    let run = &relay.runs().await[0];
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.issues);
    assert_eq!(run.rate_limited, 2);
    assert_eq!(relay.emu.counters().rate_limited, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(
        relay.live("page").await.len(),
        expected_ids(&relay.emu).0.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_retry_after_parks_the_run_until_later() {
    let relay = Harness::start(Config {
        workspace: workspace(),
        // Anything over half a second is "long" here (production: a minute).
        retry: RetryPolicy {
            max_inline_wait: Duration::from_millis(500),
            ..RetryPolicy::default()
        },
        ..Config::default()
    })
    .await;
    relay
        .emu
        .fail_next(Fault::status(429, 1).on_path("/v1/pages"));
    relay.initial_sync().await;
    let run = relay.runs().await[0].clone();
    assert_eq!(run.status, RunStatus::Continued, "parked, not failed");
    assert_eq!(run.rate_limited, 1);
    assert!(
        run.details["note"].as_str().unwrap().contains("wait"),
        "{}",
        run.details
    );
    let connection = relay
        .ctx
        .adapters
        .connections
        .get(&relay.connection_id)
        .await
        .unwrap()
        .unwrap();
    let next = connection.next_sync_at.unwrap();
    assert!(
        next > timestamp::now(),
        "scheduled for when Notion allows it"
    );
    assert!(next < timestamp::after(timestamp::now(), Duration::from_secs(5)));

    // Later, the scheduled job continues the same run to the end.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    relay.incremental_sync().await;
    let runs = relay.runs().await;
    assert_eq!(runs[0].run_id, run.run_id);
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    assert_eq!(
        relay.live("page").await.len(),
        expected_ids(&relay.emu).0.len()
    );
}
