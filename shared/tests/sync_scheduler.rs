//! The scheduler tick: due connections from the sharded due index, one job each, in batches of
//! at most 10, never twice while a run holds the connection, and again once the hold expires.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use relay_shared::adapters::Adapters;
use relay_shared::domain::connection::sync_shard_of;
use relay_shared::domain::{
    Connection, ConnectionId, ConnectionStatus, EndUser, EndUserId, SyncJob, SyncReason, TokenPair,
    Workspace, timestamp,
};
use relay_shared::secret::SecretString;
use relay_shared::sync::Scheduler;
use serde_json::json;

async fn connection(adapters: &Adapters, index: usize) -> Connection {
    let id = ConnectionId::random();
    let sealed = adapters
        .tokens
        .seal(
            &id,
            &TokenPair {
                access: SecretString::new(format!("token-{index}")),
                refresh: None,
            },
        )
        .await
        .unwrap();
    Connection::new(
        id,
        EndUser {
            id: EndUserId::parse(format!("user-{index}")).unwrap(),
            email: None,
            display_name: None,
            organization: None,
        },
        Workspace {
            id: format!("workspace-{index}"),
            name: None,
            icon: None,
        },
        "bot".into(),
        json!({}),
        sealed,
        timestamp::now(),
    )
}

async fn received(adapters: &Adapters) -> Vec<SyncJob> {
    let mut jobs = Vec::new();
    loop {
        let batch = adapters
            .queue
            .receive(10, Duration::from_secs(600), Duration::from_millis(10))
            .await
            .unwrap();
        if batch.is_empty() {
            return jobs;
        }
        for job in batch {
            adapters.queue.ack(&job.receipt).await.unwrap();
            jobs.push(serde_json::from_value(job.body).unwrap());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_connections_are_queued_once_in_batches_of_ten() {
    let dir = tempfile::tempdir().unwrap();
    let adapters =
        Adapters::embedded(dir.path(), HashMap::new(), 5, Duration::from_secs(60)).unwrap();
    let mut due = BTreeSet::new();
    for index in 0..250 {
        let connection = connection(&adapters, index).await;
        adapters.connections.create(&connection).await.unwrap();
        due.insert(connection.id);
    }
    // Not due: a connection that needs reauthorization, and one scheduled for later.
    let mut stopped = connection(&adapters, 1_000).await;
    stopped.status = ConnectionStatus::NeedsReauth;
    adapters.connections.create(&stopped).await.unwrap();
    let mut later = connection(&adapters, 1_001).await;
    later.next_sync_at = Some(timestamp::after(
        timestamp::now(),
        Duration::from_secs(3_600),
    ));
    adapters.connections.create(&later).await.unwrap();

    let hold = Duration::from_secs(900);
    let mut scheduler = Scheduler::new(adapters.connections.clone(), adapters.queue.clone(), hold);
    scheduler.page_size = 7; // several index pages per shard
    let now = timestamp::after(timestamp::now(), Duration::from_secs(1));
    let report = scheduler.tick(now).await.unwrap();
    assert_eq!((report.due, report.enqueued, report.failed), (250, 250, 0));
    // Pages of 7 per shard, each sent as one batch (at most 10 jobs).
    let mut per_shard: BTreeMap<u16, u64> = BTreeMap::new();
    for id in &due {
        *per_shard.entry(sync_shard_of(id)).or_default() += 1;
    }
    let expected_batches: u64 = per_shard.values().map(|n| n.div_ceil(7)).sum();
    assert_eq!(report.batches, expected_batches);

    let jobs = received(&adapters).await;
    assert_eq!(jobs.len(), 250);
    let ids: BTreeSet<ConnectionId> = jobs.iter().map(|job| *job.connection_id()).collect();
    assert_eq!(ids, due, "each due connection exactly once");
    assert!(jobs.iter().all(|job| matches!(
        job,
        SyncJob::Sync {
            reason: SyncReason::Scheduled,
            full: false,
            ..
        }
    )));

    // The next tick does not queue connections whose run may still be going.
    let report = scheduler
        .tick(timestamp::after(now, Duration::from_secs(300)))
        .await
        .unwrap();
    assert_eq!(report.enqueued, 0);
    assert!(received(&adapters).await.is_empty());

    // Finished runs set their next time; unfinished ones come back once the hold expires.
    let finished: Vec<ConnectionId> = due.iter().take(100).copied().collect();
    for id in &finished {
        adapters
            .connections
            .set_next_sync(
                id,
                Some(timestamp::after(now, hold + Duration::from_secs(600))),
            )
            .await
            .unwrap();
    }
    let report = scheduler
        .tick(timestamp::after(now, hold + Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(report.enqueued, 150);
    let again: BTreeSet<ConnectionId> = received(&adapters)
        .await
        .iter()
        .map(|job| *job.connection_id())
        .collect();
    assert_eq!(again.len(), 150);
    assert!(again.iter().all(|id| !finished.contains(id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_tick_event_queues_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let adapters =
        Adapters::embedded(dir.path(), HashMap::new(), 5, Duration::from_secs(60)).unwrap();
    let connection = connection(&adapters, 1).await;
    adapters.connections.create(&connection).await.unwrap();
    let scheduler = Scheduler::new(
        adapters.connections.clone(),
        adapters.queue.clone(),
        Duration::from_secs(900),
    );
    let now = timestamp::after(timestamp::now(), Duration::from_secs(1));
    assert_eq!(scheduler.tick(now).await.unwrap().enqueued, 1);
    // The same schedule event delivered again, after something made the connection due again:
    // the deduplication id of the tick keeps the queue from holding two jobs.
    adapters
        .connections
        .set_next_sync(&connection.id, Some(now))
        .await
        .unwrap();
    scheduler.tick(now).await.unwrap();
    assert_eq!(received(&adapters).await.len(), 1);
}
