//! One contract suite for the ports, run against both adapter families: every test body below is
//! generic over the ports and instantiated twice, as `embedded::name` and `aws::name` (moto).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod contract_support;

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use contract_support::{Harness, MAX_RECEIVES, Raw};
use relay_shared::domain::timestamp;
use relay_shared::domain::{
    ActionFilter, ChangeCursor, ChangeQuery, Connection, ConnectionId, ConnectionStatus, EndUser,
    EndUserId, LeaseScope, OutgoingJob, RecordAction, RecordId, RecordKey, RecordModel,
    RecordTombstone, RecordUpsert, RecordWrite, RunCounts, RunId, RunRecord, RunStatus,
    SYNC_SHARDS, TokenPair, Workspace, WriteOutcome,
};
use relay_shared::ports::{EphemeralNamespace, RecordStore, SecretName, SecretsError, StoreError};
use relay_shared::secret::SecretString;
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::Harness::embedded().await).await;
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::Harness::aws().await).await;
                }
            )*
        }
    };
}

contract_tests!(
    stale_connection_version_is_rejected,
    one_connection_per_end_user_and_workspace,
    concurrent_refreshers_cannot_both_win,
    due_index_lists_only_due_active_connections,
    same_payload_does_not_move_the_cursor,
    cursors_list_every_change_once_in_order_including_deletions,
    concurrent_writers_keep_cursors_exactly_once,
    older_source_modified_does_not_overwrite,
    deletions_filters_ids_and_purge,
    large_payloads_round_trip,
    large_payloads_of_ids_sharing_a_prefix_stay_apart,
    change_index_does_not_copy_payloads,
    unacknowledged_jobs_come_back_then_go_to_the_dlq,
    batches_of_ten_fifo_groups_and_deduplication,
    tokens_bind_to_their_connection_and_never_appear_in_plain,
    ephemeral_items_are_single_use_and_expire,
    leases_are_exclusive_and_expire,
    checkpoints_and_runs,
    secrets_are_cached_and_refreshed_on_demand,
    connections_are_listed_by_workspace,
    dead_letters_are_listed_in_order_and_deleted,
);

const ACCESS: &str = "secret_access_TOKEN_d8f7a6c5";
const REFRESH: &str = "secret_refresh_TOKEN_b4e3f2a1";

fn end_user(id: &str) -> EndUser {
    EndUser {
        id: EndUserId::parse(id).unwrap(),
        email: Some(format!("{id}@example.com")),
        display_name: None,
        organization: Some("Acme".into()),
    }
}

fn workspace(id: &str) -> Workspace {
    Workspace {
        id: id.into(),
        name: Some("Acme HQ".into()),
        icon: Some("🚀".into()),
    }
}

async fn new_connection(h: &Harness, user: &str, workspace_id: &str) -> Connection {
    let id = ConnectionId::random();
    let tokens = TokenPair {
        access: SecretString::new(ACCESS),
        refresh: Some(SecretString::new(REFRESH)),
    };
    let sealed = h.adapters.tokens.seal(&id, &tokens).await.unwrap();
    Connection::new(
        id,
        end_user(user),
        workspace(workspace_id),
        "bot-1".into(),
        json!({"type": "user", "user": {"id": "u-1"}}),
        sealed,
        timestamp::now(),
    )
}

async fn stale_connection_version_is_rejected(h: Harness) {
    let store = &h.adapters.connections;
    let created = store
        .create(&new_connection(&h, "user-1", "ws-1").await)
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    let read = store.get(&created.id).await.unwrap().unwrap();
    assert_eq!(read, created);

    let mut first = read.clone();
    first.workspace.name = Some("Renamed".into());
    let written = store.put(&first).await.unwrap();
    assert_eq!(written.version, 2);

    // A writer still holding version 1 loses.
    let mut stale = read.clone();
    stale.status = ConnectionStatus::NeedsReauth;
    let err = store.put(&stale).await.unwrap_err();
    assert!(
        matches!(err, StoreError::VersionConflict { expected: 1, .. }),
        "{err:?}"
    );
    let current = store.get(&created.id).await.unwrap().unwrap();
    assert_eq!(current.version, 2);
    assert_eq!(current.workspace.name.as_deref(), Some("Renamed"));
    assert_eq!(current.status, ConnectionStatus::Active);

    let mut missing = current.clone();
    missing.id = ConnectionId::random();
    assert!(matches!(
        store.put(&missing).await.unwrap_err(),
        StoreError::ConnectionNotFound { .. }
    ));
    let mut moved = current.clone();
    moved.workspace.id = "ws-other".into();
    assert!(matches!(
        store.put(&moved).await.unwrap_err(),
        StoreError::Invalid(_)
    ));
    assert!(matches!(
        store.create(&current).await.unwrap_err(),
        StoreError::DuplicateId { .. } | StoreError::ConnectionExists { .. }
    ));
}

async fn one_connection_per_end_user_and_workspace(h: Harness) {
    let store = &h.adapters.connections;
    let a = store
        .create(&new_connection(&h, "user-1", "ws-1").await)
        .await
        .unwrap();
    let err = store
        .create(&new_connection(&h, "user-1", "ws-1").await)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ConnectionExists { existing } if existing == a.id),
        "{err:?}"
    );

    tokio::time::sleep(Duration::from_millis(5)).await;
    let b = store
        .create(&new_connection(&h, "user-1", "ws-2").await)
        .await
        .unwrap();
    let other = store
        .create(&new_connection(&h, "user-2", "ws-1").await)
        .await
        .unwrap();

    let user = EndUserId::parse("user-1").unwrap();
    let found = store
        .find_by_end_user_and_workspace(&user, "ws-1")
        .await
        .unwrap();
    assert_eq!(found.map(|c| c.id), Some(a.id));
    assert!(
        store
            .find_by_end_user_and_workspace(&user, "ws-3")
            .await
            .unwrap()
            .is_none()
    );
    let listed: Vec<ConnectionId> = store
        .list_by_end_user(&user)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(listed, vec![a.id, b.id]);

    let mut all = HashSet::new();
    let mut after = None;
    loop {
        let page = store.list(after.as_ref(), 2).await.unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        after = page.last().map(|c| c.id);
        for connection in page {
            assert!(all.insert(connection.id), "listed twice");
        }
    }
    assert_eq!(all, HashSet::from([a.id, b.id, other.id]));

    store.delete(&a.id).await.unwrap();
    store.delete(&a.id).await.unwrap();
    assert!(store.get(&a.id).await.unwrap().is_none());
    assert!(
        store
            .find_by_end_user_and_workspace(&user, "ws-1")
            .await
            .unwrap()
            .is_none()
    );
    // The pair is free again.
    let again = store
        .create(&new_connection(&h, "user-1", "ws-1").await)
        .await
        .unwrap();
    assert_ne!(again.id, a.id);
}

async fn concurrent_refreshers_cannot_both_win(h: Harness) {
    let store = Arc::clone(&h.adapters.connections);
    let created = store
        .create(&new_connection(&h, "user-1", "ws-1").await)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let store = Arc::clone(&store);
        let mut mine = created.clone();
        tasks.push(tokio::spawn(async move {
            mine.bot_id = format!("refreshed-by-{worker}");
            store.put(&mine).await
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(written) => winners.push(written),
            Err(StoreError::VersionConflict { .. }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one conditional write wins");
    let stored = store.get(&created.id).await.unwrap().unwrap();
    assert_eq!(stored.bot_id, winners[0].bot_id);
    assert_eq!(stored.version, 2);

    // The same race on a lease.
    let sync_state = Arc::clone(&h.adapters.sync_state);
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let sync_state = Arc::clone(&sync_state);
        let id = created.id;
        tasks.push(tokio::spawn(async move {
            sync_state
                .acquire_lease(
                    &id,
                    &LeaseScope::TokenRefresh,
                    &format!("worker-{worker}"),
                    Duration::from_secs(30),
                )
                .await
                .unwrap()
        }));
    }
    let mut holders = Vec::new();
    for task in tasks {
        if let Some(lease) = task.await.unwrap() {
            holders.push(lease);
        }
    }
    assert_eq!(holders.len(), 1, "exactly one worker holds the lease");
    let current = sync_state
        .current_lease(&created.id, &LeaseScope::TokenRefresh)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.holder, holders[0].holder);
}

async fn due_index_lists_only_due_active_connections(h: Harness) {
    let store = &h.adapters.connections;
    let now = timestamp::now();
    let mut due_ids = HashSet::new();
    for index in 0..5 {
        let mut connection = new_connection(&h, &format!("user-{index}"), "ws-1").await;
        connection.next_sync_at = Some(now - time::Duration::minutes(index + 1));
        due_ids.insert(store.create(&connection).await.unwrap().id);
    }
    let mut later = new_connection(&h, "user-later", "ws-1").await;
    later.next_sync_at = Some(now + time::Duration::hours(1));
    let later = store.create(&later).await.unwrap();
    let mut unscheduled = new_connection(&h, "user-unscheduled", "ws-1").await;
    unscheduled.next_sync_at = None;
    store.create(&unscheduled).await.unwrap();
    let reauth = store
        .create(&new_connection(&h, "user-reauth", "ws-1").await)
        .await
        .unwrap();
    let mut reauth_update = reauth.clone();
    reauth_update.status = ConnectionStatus::NeedsReauth;
    store.put(&reauth_update).await.unwrap();

    let list_all_due = |at: OffsetDateTime| async move {
        let mut found = Vec::new();
        for shard in 0..SYNC_SHARDS {
            let mut after = None;
            loop {
                let page = store.list_due(shard, at, after.as_ref(), 1).await.unwrap();
                assert!(page.due.len() <= 1);
                for entry in &page.due {
                    assert!(entry.next_sync_at <= at);
                }
                found.extend(page.due.iter().map(|d| d.id));
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        found
    };
    let found = list_all_due(now).await;
    assert_eq!(
        found.len(),
        due_ids.len(),
        "each due connection once: {found:?}"
    );
    assert_eq!(found.iter().copied().collect::<HashSet<_>>(), due_ids);

    // The scheduler moves one forward: it leaves the index, and a put of an older read conflicts.
    let moved = *due_ids.iter().next().unwrap();
    let before = store.get(&moved).await.unwrap().unwrap();
    let version = store
        .set_next_sync(&moved, Some(now + time::Duration::minutes(5)))
        .await
        .unwrap();
    assert_eq!(version, before.version + 1);
    assert!(!list_all_due(now).await.contains(&moved));
    assert!(matches!(
        store.put(&before).await.unwrap_err(),
        StoreError::VersionConflict { .. }
    ));
    assert!(
        list_all_due(now + time::Duration::hours(2))
            .await
            .contains(&later.id)
    );
    assert!(matches!(
        store
            .set_next_sync(&ConnectionId::random(), None)
            .await
            .unwrap_err(),
        StoreError::ConnectionNotFound { .. }
    ));
}

fn page_model() -> RecordModel {
    RecordModel::Page
}

fn rid(id: &str) -> RecordId {
    RecordId::parse(id).unwrap()
}

fn upsert(id: &str, payload: serde_json::Value) -> RecordWrite {
    RecordWrite::Upsert(RecordUpsert::new(rid(id), payload, None))
}

fn tombstone(id: &str) -> RecordWrite {
    RecordWrite::Tombstone(RecordTombstone {
        record_id: rid(id),
        source_modified: None,
    })
}

/// Reads every change after `cursor` with pages of `limit`, checking cursor order.
async fn read_changes(
    records: &dyn RecordStore,
    connection: &ConnectionId,
    cursor: &mut ChangeCursor,
    limit: usize,
) -> Vec<(String, RecordAction, ChangeCursor, serde_json::Value)> {
    let mut seen = Vec::new();
    for _ in 0..10_000 {
        let page = records
            .list_changes(
                connection,
                &page_model(),
                &ChangeQuery::after(*cursor, limit),
            )
            .await
            .unwrap();
        assert!(page.records.len() <= limit);
        for record in &page.records {
            assert!(record.cursor > *cursor, "cursor order");
            *cursor = record.cursor;
            seen.push((
                record.record_id.as_str().to_owned(),
                record.last_action,
                record.cursor,
                record.payload.clone(),
            ));
        }
        assert!(page.next_cursor >= *cursor);
        *cursor = page.next_cursor;
        if !page.has_more && page.records.len() < limit {
            return seen;
        }
        if page.records.is_empty() && !page.has_more {
            return seen;
        }
    }
    panic!("change listing did not end");
}

async fn same_payload_does_not_move_the_cursor(h: Harness) {
    let records = &h.adapters.records;
    let connection = ConnectionId::random();
    let first = records
        .upsert(
            &connection,
            &page_model(),
            RecordUpsert::new(rid("p1"), json!({"title": "A"}), None),
        )
        .await
        .unwrap();
    let WriteOutcome::Written {
        action: RecordAction::Added,
        cursor,
    } = first
    else {
        panic!("expected an add, got {first:?}");
    };
    let again = records
        .upsert(
            &connection,
            &page_model(),
            RecordUpsert::new(rid("p1"), json!({"title": "A"}), None),
        )
        .await
        .unwrap();
    assert_eq!(again, WriteOutcome::Unchanged);
    assert_eq!(
        records
            .latest_cursor(&connection, &page_model())
            .await
            .unwrap(),
        cursor
    );

    // A batch with only unchanged records moves nothing either.
    let outcomes = records
        .write(
            &connection,
            &page_model(),
            vec![upsert("p1", json!({"title": "A"}))],
        )
        .await
        .unwrap();
    assert_eq!(outcomes, vec![WriteOutcome::Unchanged]);
    let mut reader = ChangeCursor::START;
    let seen = read_changes(records.as_ref(), &connection, &mut reader, 10).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].2, cursor);
    let stored = records
        .get(&RecordKey {
            connection_id: connection,
            model: page_model(),
            record_id: rid("p1"),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.cursor, cursor);
    assert_eq!(stored.first_seen_at, stored.last_modified_at);
    // Other models and connections have their own streams.
    assert_eq!(
        records
            .latest_cursor(&connection, &RecordModel::Row)
            .await
            .unwrap(),
        ChangeCursor::START
    );
    assert_eq!(
        records
            .latest_cursor(&ConnectionId::random(), &page_model())
            .await
            .unwrap(),
        ChangeCursor::START
    );
}

async fn cursors_list_every_change_once_in_order_including_deletions(h: Harness) {
    let records = &h.adapters.records;
    let connection = ConnectionId::random();
    let writes: Vec<RecordWrite> = (0..7)
        .map(|i| upsert(&format!("p{i}"), json!({"v": 0})))
        .collect();
    records
        .write(&connection, &page_model(), writes)
        .await
        .unwrap();
    let mut reader = ChangeCursor::START;
    let first = read_changes(records.as_ref(), &connection, &mut reader, 2).await;
    let ids: Vec<&str> = first.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(ids, vec!["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
    assert!(first.iter().all(|c| c.1 == RecordAction::Added));

    // Later: updates, deletions, a repeated id in one batch, an unchanged write, a new record.
    let outcomes = records
        .write(
            &connection,
            &page_model(),
            vec![
                upsert("p3", json!({"v": 1})),
                tombstone("p5"),
                upsert("p0", json!({"v": 0})),
                upsert("p1", json!({"v": 1})),
                upsert("p1", json!({"v": 2})),
                tombstone("missing"),
                upsert("p7", json!({"v": 0})),
            ],
        )
        .await
        .unwrap();
    assert!(matches!(
        outcomes[0],
        WriteOutcome::Written {
            action: RecordAction::Updated,
            ..
        }
    ));
    assert!(matches!(
        outcomes[1],
        WriteOutcome::Written {
            action: RecordAction::Deleted,
            ..
        }
    ));
    assert_eq!(outcomes[2], WriteOutcome::Unchanged);
    assert_eq!(outcomes[5], WriteOutcome::NotFound);
    let cursors: Vec<ChangeCursor> = outcomes
        .iter()
        .filter_map(|o| match o {
            WriteOutcome::Written { cursor, .. } => Some(*cursor),
            _ => None,
        })
        .collect();
    assert!(
        cursors.windows(2).all(|w| w[0] < w[1]),
        "cursors grow in write order"
    );

    let second = read_changes(records.as_ref(), &connection, &mut reader, 2).await;
    let summary: Vec<(&str, RecordAction)> = second.iter().map(|c| (c.0.as_str(), c.1)).collect();
    assert_eq!(
        summary,
        vec![
            ("p3", RecordAction::Updated),
            ("p5", RecordAction::Deleted),
            ("p1", RecordAction::Updated),
            ("p7", RecordAction::Added),
        ]
    );
    assert_eq!(second[2].3, json!({"v": 2}), "the latest state of p1");
    // Caught up: nothing more, and the saved cursor is the latest.
    assert!(
        read_changes(records.as_ref(), &connection, &mut reader, 2)
            .await
            .is_empty()
    );
    assert_eq!(
        reader,
        records
            .latest_cursor(&connection, &page_model())
            .await
            .unwrap()
    );

    // A fresh reader sees each record once, at its latest cursor.
    let mut fresh = ChangeCursor::START;
    let all = read_changes(records.as_ref(), &connection, &mut fresh, 3).await;
    let ids: Vec<&str> = all.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(ids, vec!["p0", "p2", "p4", "p6", "p3", "p5", "p1", "p7"]);
}

async fn concurrent_writers_keep_cursors_exactly_once(h: Harness) {
    let records = Arc::clone(&h.adapters.records);
    let connection = ConnectionId::random();
    let writers = 4;
    let rounds = 3;
    let per_writer = 6;
    let mut tasks = Vec::new();
    for writer in 0..writers {
        let records = Arc::clone(&records);
        tasks.push(tokio::spawn(async move {
            for round in 0..rounds {
                let mut writes: Vec<RecordWrite> = (0..per_writer)
                    .map(|i| upsert(&format!("w{writer}-{i}"), json!({"round": round})))
                    .collect();
                if round == rounds - 1 {
                    writes.push(tombstone(&format!("w{writer}-0")));
                }
                records
                    .write(&connection, &page_model(), writes)
                    .await
                    .unwrap();
            }
        }));
    }
    // A reader follows along while the writers run, saving its cursor like a client would.
    let reader = {
        let records = Arc::clone(&records);
        tokio::spawn(async move {
            let mut cursor = ChangeCursor::START;
            let mut state = BTreeMap::new();
            let mut seen_cursors = HashSet::new();
            for _ in 0..40 {
                for change in read_changes(records.as_ref(), &connection, &mut cursor, 3).await {
                    assert!(seen_cursors.insert(change.2), "a cursor seen twice");
                    state.insert(change.0, (change.1, change.3));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (cursor, state, seen_cursors)
        })
    };
    for task in tasks {
        task.await.unwrap();
    }
    let (mut cursor, mut state, mut seen_cursors) = reader.await.unwrap();
    for change in read_changes(records.as_ref(), &connection, &mut cursor, 3).await {
        assert!(seen_cursors.insert(change.2), "a cursor seen twice");
        state.insert(change.0, (change.1, change.3));
    }
    // The follower's view equals the final stored state, deletions included.
    assert_eq!(state.len(), writers * per_writer);
    for writer in 0..writers {
        for i in 0..per_writer {
            let id = format!("w{writer}-{i}");
            let stored = records
                .get(&RecordKey {
                    connection_id: connection,
                    model: page_model(),
                    record_id: rid(&id),
                })
                .await
                .unwrap()
                .unwrap();
            let (action, payload) = &state[&id];
            assert_eq!(*action, stored.last_action, "{id}");
            assert_eq!(*payload, stored.payload, "{id}");
            assert_eq!(stored.payload, json!({"round": rounds - 1}));
            assert_eq!(stored.deleted_at.is_some(), i == 0, "{id}: {stored:?}");
        }
    }
    // Every committed cursor is distinct: writes × rounds, plus one tombstone per writer.
    let latest = records
        .latest_cursor(&connection, &page_model())
        .await
        .unwrap();
    assert_eq!(latest.value(), (writers * (per_writer * rounds + 1)) as u64);
}

async fn older_source_modified_does_not_overwrite(h: Harness) {
    let records = &h.adapters.records;
    let connection = ConnectionId::random();
    let key = RecordKey {
        connection_id: connection,
        model: page_model(),
        record_id: rid("p1"),
    };
    let t1 = datetime!(2025-03-01 10:00 UTC);
    let t2 = datetime!(2025-03-01 10:05 UTC);
    records
        .upsert(
            &connection,
            &page_model(),
            RecordUpsert::new(rid("p1"), json!({"v": "new"}), Some(t2)),
        )
        .await
        .unwrap();
    let cursor = records
        .latest_cursor(&connection, &page_model())
        .await
        .unwrap();
    let stale = records
        .upsert(
            &connection,
            &page_model(),
            RecordUpsert::new(rid("p1"), json!({"v": "old"}), Some(t1)),
        )
        .await
        .unwrap();
    assert_eq!(stale, WriteOutcome::Stale);
    let stale_delete = records
        .tombstone(
            &connection,
            &page_model(),
            RecordTombstone {
                record_id: rid("p1"),
                source_modified: Some(t1),
            },
        )
        .await
        .unwrap();
    assert_eq!(stale_delete, WriteOutcome::Stale);
    let stored = records.get(&key).await.unwrap().unwrap();
    assert_eq!(stored.payload, json!({"v": "new"}));
    assert_eq!(stored.source_modified, Some(t2));
    assert_eq!(
        records
            .latest_cursor(&connection, &page_model())
            .await
            .unwrap(),
        cursor
    );
    // The same minute with new content is newer content (timestamps are minute-granular).
    let same_minute = records
        .upsert(
            &connection,
            &page_model(),
            RecordUpsert::new(rid("p1"), json!({"v": "newer"}), Some(t2)),
        )
        .await
        .unwrap();
    assert!(matches!(
        same_minute,
        WriteOutcome::Written {
            action: RecordAction::Updated,
            ..
        }
    ));
}

async fn deletions_filters_ids_and_purge(h: Harness) {
    let records = &h.adapters.records;
    let connection = ConnectionId::random();
    let writes = (0..6)
        .map(|i| upsert(&format!("p{i}"), json!({"i": i})))
        .collect();
    records
        .write(&connection, &page_model(), writes)
        .await
        .unwrap();
    let after_adds = records
        .latest_cursor(&connection, &page_model())
        .await
        .unwrap();
    let checkpoint = timestamp::now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    records
        .write(
            &connection,
            &page_model(),
            vec![
                tombstone("p1"),
                tombstone("p4"),
                upsert("p2", json!({"i": 20})),
            ],
        )
        .await
        .unwrap();

    // Deleted only.
    let mut query = ChangeQuery::after(ChangeCursor::START, 10);
    query.actions = ActionFilter::only(&[RecordAction::Deleted]);
    let deleted = records
        .list_changes(&connection, &page_model(), &query)
        .await
        .unwrap();
    let ids: Vec<&str> = deleted
        .records
        .iter()
        .map(|r| r.record_id.as_str())
        .collect();
    assert_eq!(ids, vec!["p1", "p4"]);
    assert!(deleted.records.iter().all(|r| r.deleted_at.is_some()));
    assert_eq!(
        deleted.records[0].payload,
        json!({"i": 1}),
        "a tombstone keeps its last payload"
    );
    // The filtered listing still advances past what it skipped.
    assert!(deleted.next_cursor >= deleted.records[1].cursor);

    // Paging a filtered listing with limit 1 sees each match once.
    let mut query = ChangeQuery::after(ChangeCursor::START, 1);
    query.actions = ActionFilter::only(&[RecordAction::Added]);
    let mut added = Vec::new();
    for _ in 0..20 {
        let page = records
            .list_changes(&connection, &page_model(), &query)
            .await
            .unwrap();
        added.extend(page.records.iter().map(|r| r.record_id.as_str().to_owned()));
        if page.next_cursor == query.after && page.records.is_empty() {
            break;
        }
        query.after = page.next_cursor;
    }
    assert_eq!(added, vec!["p0", "p3", "p5"]);

    // Modified after a point in time.
    let mut query = ChangeQuery::after(ChangeCursor::START, 10);
    query.modified_after = Some(checkpoint);
    let recent = records
        .list_changes(&connection, &page_model(), &query)
        .await
        .unwrap();
    let ids: Vec<&str> = recent
        .records
        .iter()
        .map(|r| r.record_id.as_str())
        .collect();
    assert_eq!(ids, vec!["p1", "p4", "p2"]);
    assert!(recent.records.iter().all(|r| r.cursor > after_adds));

    // Undelete.
    let back = records
        .upsert(
            &connection,
            &page_model(),
            RecordUpsert::new(rid("p1"), json!({"i": 1}), None),
        )
        .await
        .unwrap();
    assert!(matches!(
        back,
        WriteOutcome::Written {
            action: RecordAction::Added,
            ..
        }
    ));
    let restored = records
        .get(&RecordKey {
            connection_id: connection,
            model: page_model(),
            record_id: rid("p1"),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(restored.deleted_at, None);
    assert!(restored.first_seen_at < restored.last_modified_at);

    // Ids for reconciliation, in pages.
    let mut live = Vec::new();
    let mut after: Option<RecordId> = None;
    loop {
        let page = records
            .list_ids(&connection, &page_model(), after.as_ref(), 2, false)
            .await
            .unwrap();
        assert!(page.ids.len() <= 2);
        live.extend(page.ids.iter().map(|id| id.as_str().to_owned()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(live, vec!["p0", "p1", "p2", "p3", "p5"]);
    let all = records
        .list_ids(&connection, &page_model(), None, 100, true)
        .await
        .unwrap();
    assert_eq!(all.ids.len(), 6);
    assert_eq!(all.next, None);

    // Purge removes the records; cursors never go back.
    let latest = records
        .latest_cursor(&connection, &page_model())
        .await
        .unwrap();
    let other = ConnectionId::random();
    records
        .write(&other, &page_model(), vec![upsert("x", json!(1))])
        .await
        .unwrap();
    assert_eq!(records.purge_connection(&connection).await.unwrap(), 6);
    assert!(
        records
            .list_ids(&connection, &page_model(), None, 100, true)
            .await
            .unwrap()
            .ids
            .is_empty()
    );
    let empty = records
        .list_changes(
            &connection,
            &page_model(),
            &ChangeQuery::after(ChangeCursor::START, 10),
        )
        .await
        .unwrap();
    assert!(empty.records.is_empty());
    assert_eq!(
        records
            .latest_cursor(&connection, &page_model())
            .await
            .unwrap(),
        latest
    );
    assert_eq!(
        records
            .list_ids(&other, &page_model(), None, 10, true)
            .await
            .unwrap()
            .ids
            .len(),
        1
    );
}

async fn large_payloads_round_trip(h: Harness) {
    let records = &h.adapters.records;
    let connection = ConnectionId::random();
    let key = RecordKey {
        connection_id: connection,
        model: page_model(),
        record_id: rid("big"),
    };
    // Over DynamoDB's 400 KB item limit, with multi-byte characters across part boundaries.
    let big = json!({"markdown": "Ünïcödé ✓ text 😀 ".repeat(40_000)});
    let outcome = records
        .upsert(
            &connection,
            &page_model(),
            RecordUpsert::new(rid("big"), big.clone(), None),
        )
        .await
        .unwrap();
    assert!(matches!(outcome, WriteOutcome::Written { .. }));
    assert_eq!(records.get(&key).await.unwrap().unwrap().payload, big);
    let page = records
        .list_changes(
            &connection,
            &page_model(),
            &ChangeQuery::after(ChangeCursor::START, 5),
        )
        .await
        .unwrap();
    assert_eq!(page.records[0].payload, big);
    // Deleting keeps it; shrinking replaces it.
    records
        .tombstone(
            &connection,
            &page_model(),
            RecordTombstone {
                record_id: rid("big"),
                source_modified: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(records.get(&key).await.unwrap().unwrap().payload, big);
    let small = json!({"markdown": "short"});
    records
        .upsert(
            &connection,
            &page_model(),
            RecordUpsert::new(rid("big"), small.clone(), None),
        )
        .await
        .unwrap();
    assert_eq!(records.get(&key).await.unwrap().unwrap().payload, small);
}

async fn large_payloads_of_ids_sharing_a_prefix_stay_apart(h: Harness) {
    let records = &h.adapters.records;
    let connection = ConnectionId::random();
    // `a#0000` looks like the first payload part of `a` to a prefix match on the part keys.
    let ids = ["a", "a#0000"];
    let payloads: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| json!({"id": id, "markdown": format!("{id} ✓ ").repeat(100_000)}))
        .collect();
    for (id, payload) in ids.iter().zip(&payloads) {
        records
            .upsert(
                &connection,
                &page_model(),
                RecordUpsert::new(rid(id), payload.clone(), None),
            )
            .await
            .unwrap();
    }
    for (id, payload) in ids.iter().zip(&payloads) {
        let key = RecordKey {
            connection_id: connection,
            model: page_model(),
            record_id: rid(id),
        };
        let stored = records.get(&key).await.unwrap().unwrap();
        assert!(
            stored.payload == *payload,
            "payload of {id} came back mixed"
        );
    }
    let mut cursor = ChangeCursor::START;
    let seen = read_changes(records.as_ref(), &connection, &mut cursor, 1).await;
    assert_eq!(seen.len(), 2);
    for ((id, _, _, payload), (want_id, want_payload)) in seen.iter().zip(ids.iter().zip(&payloads))
    {
        assert_eq!(id, want_id);
        assert!(
            payload == want_payload,
            "listed payload of {id} came back mixed"
        );
    }
    // Shrinking one leaves the other whole.
    records
        .upsert(
            &connection,
            &page_model(),
            RecordUpsert::new(rid("a"), json!({"small": true}), None),
        )
        .await
        .unwrap();
    let other = records
        .get(&RecordKey {
            connection_id: connection,
            model: page_model(),
            record_id: rid("a#0000"),
        })
        .await
        .unwrap()
        .unwrap();
    assert!(other.payload == payloads[1]);
}

/// The change listing's index carries what a listing filters on, never the payloads (which would
/// double the storage of every record and fill the 10 GB item collection of an LSI sooner).
async fn change_index_does_not_copy_payloads(h: Harness) {
    let Raw::Aws { clients, resources } = &h.raw else {
        return;
    };
    let table = clients
        .dynamodb
        .describe_table()
        .table_name(&resources.records_table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let index = table
        .local_secondary_indexes()
        .iter()
        .find(|index| index.index_name() == Some("by_change"))
        .expect("the by_change LSI");
    let projection = index.projection().unwrap();
    assert_eq!(
        projection.projection_type(),
        Some(&aws_sdk_dynamodb::types::ProjectionType::Include)
    );
    let attributes = projection.non_key_attributes();
    assert!(
        !attributes
            .iter()
            .any(|name| name == "payload" || name == "chunk")
    );
    for needed in ["last_action", "last_modified_at", "record_cursor"] {
        assert!(attributes.iter().any(|name| name == needed), "{needed}");
    }
}

async fn unacknowledged_jobs_come_back_then_go_to_the_dlq(h: Harness) {
    let queue = &h.adapters.queue;
    let group = ConnectionId::random();
    let visibility = Duration::from_secs(1);
    queue
        .send(&OutgoingJob::new(
            group,
            "job-1",
            json!({"kind": "sync", "n": 1}),
        ))
        .await
        .unwrap();
    let first = queue
        .receive(10, visibility, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].group, group);
    assert_eq!(first[0].body, json!({"kind": "sync", "n": 1}));
    assert_eq!(first[0].receive_count, 1);
    // Hidden while in flight.
    assert!(
        queue
            .receive(10, visibility, Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
    // Not acknowledged: back after the visibility timeout.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let second = queue
        .receive(10, visibility, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].receive_count, 2);
    assert_eq!(second[0].body, first[0].body);
    // An expired receipt no longer acknowledges anything... and the job is still not acked:
    // after MAX_RECEIVES receives it moves to the dead-letter queue.
    assert_eq!(MAX_RECEIVES, 2);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        queue
            .receive(10, visibility, Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
    let dead = queue.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body, json!({"kind": "sync", "n": 1}));
    assert_eq!(dead[0].group, group);

    // Acknowledged jobs do not come back; released ones come back at once.
    queue
        .send(&OutgoingJob::new(group, "job-2", json!({"n": 2})))
        .await
        .unwrap();
    let job = queue
        .receive(1, visibility, Duration::from_secs(2))
        .await
        .unwrap()
        .remove(0);
    queue
        .set_visibility(&job.receipt, Duration::ZERO)
        .await
        .unwrap();
    let job = queue
        .receive(1, visibility, Duration::from_secs(2))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(job.body, json!({"n": 2}));
    queue.ack(&job.receipt).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        queue
            .receive(10, visibility, Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn batches_of_ten_fifo_groups_and_deduplication(h: Harness) {
    let queue = &h.adapters.queue;
    let groups = [
        ConnectionId::random(),
        ConnectionId::random(),
        ConnectionId::random(),
    ];
    let jobs: Vec<OutgoingJob> = (0..25)
        .map(|i| OutgoingJob::new(groups[i % 3], format!("job-{i}"), json!({"i": i})))
        .collect();
    let report = queue.send_batch(&jobs).await.unwrap();
    // At most one job of a connection per request (a retried entry must never fall behind a
    // later job of its connection): 9 jobs of the first group take 9 requests.
    assert_eq!(
        report.batches, 9,
        "25 jobs of 3 connections go out as 9 batches"
    );
    assert_eq!(report.sent, 25);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    // A duplicate within the window is dropped.
    queue
        .send(&OutgoingJob::new(groups[0], "job-0", json!({"i": 0})))
        .await
        .unwrap();

    let mut per_group: BTreeMap<ConnectionId, Vec<u64>> = BTreeMap::new();
    let mut received = 0;
    while received < 25 {
        let batch = queue
            .receive(10, Duration::from_secs(30), Duration::from_secs(2))
            .await
            .unwrap();
        assert!(!batch.is_empty(), "jobs went missing after {received}");
        let in_flight: HashSet<ConnectionId> = batch.iter().map(|job| job.group).collect();
        assert_eq!(
            in_flight.len(),
            batch.len(),
            "at most one job per connection (group) in flight"
        );
        for job in batch {
            per_group
                .entry(job.group)
                .or_default()
                .push(job.body["i"].as_u64().unwrap());
            queue.ack(&job.receipt).await.unwrap();
            received += 1;
        }
    }
    for (index, group) in groups.iter().enumerate() {
        let expected: Vec<u64> = (0..25u64).filter(|i| *i as usize % 3 == index).collect();
        assert_eq!(
            per_group[group], expected,
            "FIFO within a connection's group"
        );
    }
    assert!(
        queue
            .receive(10, Duration::from_secs(30), Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn tokens_bind_to_their_connection_and_never_appear_in_plain(h: Harness) {
    let vault = &h.adapters.tokens;
    let a = ConnectionId::random();
    let b = ConnectionId::random();
    let pair = TokenPair {
        access: SecretString::new(ACCESS),
        refresh: Some(SecretString::new(REFRESH)),
    };
    let sealed = vault.seal(&a, &pair).await.unwrap();
    let opened = vault.open(&a, &sealed).await.unwrap();
    assert_eq!(opened.access.expose(), ACCESS);
    assert_eq!(opened.refresh.as_ref().unwrap().expose(), REFRESH);
    assert!(
        vault.open(&b, &sealed).await.is_err(),
        "A's tokens must not open as B's"
    );
    // Nor with A's data key moved into another envelope, nor with a tampered ciphertext.
    let other = vault.seal(&b, &pair).await.unwrap();
    let mut swapped = sealed.clone();
    swapped.envelope.ciphertext = other.envelope.ciphertext.clone();
    assert!(vault.open(&a, &swapped).await.is_err());
    let debug = format!("{opened:?} {sealed:?}");
    assert!(!debug.contains(ACCESS) && !debug.contains(REFRESH));

    let connection = new_connection(&h, "user-1", "ws-1").await;
    let stored = h.adapters.connections.create(&connection).await.unwrap();
    let raw = h.raw_connection_bytes(&stored.id).await;
    for secret in [ACCESS, REFRESH] {
        assert!(
            !raw.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "plaintext token in the stored item"
        );
    }
    assert!(
        raw.windows(5).any(|w| w == b"bot-1"),
        "the raw read sees the item"
    );
    let read = h
        .adapters
        .connections
        .get(&stored.id)
        .await
        .unwrap()
        .unwrap();
    let tokens = vault
        .open(&read.id, read.tokens.as_ref().unwrap())
        .await
        .unwrap();
    assert_eq!(tokens.access.expose(), ACCESS);
}

async fn ephemeral_items_are_single_use_and_expire(h: Harness) {
    let store = Arc::clone(&h.adapters.ephemeral);
    let ns = EphemeralNamespace::OAUTH_STATE;
    let ttl = Duration::from_secs(60);
    assert!(
        store
            .put_if_absent(ns, "state-1", &json!({"session": "s1"}), ttl)
            .await
            .unwrap()
    );
    assert!(
        !store
            .put_if_absent(ns, "state-1", &json!({"session": "s2"}), ttl)
            .await
            .unwrap()
    );
    let item = store.get(ns, "state-1").await.unwrap().unwrap();
    assert_eq!(item.value, json!({"session": "s1"}));
    assert!(item.expires_at > timestamp::now());
    // Namespaces are separate.
    assert!(
        store
            .get(EphemeralNamespace::CONNECT_SESSION, "state-1")
            .await
            .unwrap()
            .is_none()
    );

    // Take-once: of eight concurrent takers exactly one gets it.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store.take(ns, "state-1").await.unwrap()
        }));
    }
    let mut taken = 0;
    for task in tasks {
        if let Some(item) = task.await.unwrap() {
            assert_eq!(item.value, json!({"session": "s1"}));
            taken += 1;
        }
    }
    assert_eq!(taken, 1);
    assert!(store.get(ns, "state-1").await.unwrap().is_none());

    // Expired items are invisible before any purge, and their key can be reused.
    store
        .put(ns, "short", &json!(1), Duration::from_millis(300))
        .await
        .unwrap();
    assert!(store.get(ns, "short").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(store.get(ns, "short").await.unwrap().is_none());
    assert!(store.take(ns, "short").await.unwrap().is_none());
    assert!(
        store
            .put_if_absent(ns, "short", &json!(2), ttl)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(ns, "short").await.unwrap().unwrap().value,
        json!(2)
    );
    store.put(ns, "short", &json!(3), ttl).await.unwrap();
    assert_eq!(
        store.get(ns, "short").await.unwrap().unwrap().value,
        json!(3)
    );
    store.delete(ns, "short").await.unwrap();
    assert!(store.get(ns, "short").await.unwrap().is_none());
}

async fn leases_are_exclusive_and_expire(h: Harness) {
    let state = &h.adapters.sync_state;
    let id = ConnectionId::random();
    let scope = LeaseScope::Sync;
    let a = state
        .acquire_lease(&id, &scope, "worker-a", Duration::from_millis(800))
        .await
        .unwrap()
        .unwrap();
    assert!(
        state
            .acquire_lease(&id, &scope, "worker-b", Duration::from_secs(5))
            .await
            .unwrap()
            .is_none()
    );
    // Another scope is another lease.
    assert!(
        state
            .acquire_lease(
                &id,
                &LeaseScope::TokenRefresh,
                "worker-b",
                Duration::from_secs(5)
            )
            .await
            .unwrap()
            .is_some()
    );
    let a = state
        .renew_lease(&a, Duration::from_millis(800))
        .await
        .unwrap();
    assert_eq!(
        state
            .current_lease(&id, &scope)
            .await
            .unwrap()
            .unwrap()
            .holder,
        "worker-a"
    );

    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        state.current_lease(&id, &scope).await.unwrap().is_none(),
        "expired"
    );
    let b = state
        .acquire_lease(&id, &scope, "worker-b", Duration::from_secs(30))
        .await
        .unwrap()
        .expect("an expired lease can be taken over");
    assert!(b.fence > a.fence);
    assert!(matches!(
        state
            .renew_lease(&a, Duration::from_secs(30))
            .await
            .unwrap_err(),
        StoreError::LeaseLost { .. }
    ));
    state.release_lease(&a).await.unwrap();
    assert_eq!(
        state
            .current_lease(&id, &scope)
            .await
            .unwrap()
            .unwrap()
            .holder,
        "worker-b"
    );
    state.release_lease(&b).await.unwrap();
    assert!(state.current_lease(&id, &scope).await.unwrap().is_none());
    assert!(matches!(
        state
            .renew_lease(&b, Duration::from_secs(30))
            .await
            .unwrap_err(),
        StoreError::LeaseLost { .. }
    ));
    let c = state
        .acquire_lease(&id, &scope, "worker-c", Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert!(c.fence > b.fence);
}

async fn checkpoints_and_runs(h: Harness) {
    let state = &h.adapters.sync_state;
    let id = ConnectionId::random();
    assert!(state.get_checkpoint(&id).await.unwrap().is_none());
    let first = state
        .put_checkpoint(&id, &json!({"phase": "search", "cursor": "abc"}), None)
        .await
        .unwrap();
    assert_eq!(first.version, 1);
    assert!(matches!(
        state
            .put_checkpoint(&id, &json!({}), None)
            .await
            .unwrap_err(),
        StoreError::VersionConflict { .. }
    ));
    let second = state
        .put_checkpoint(&id, &json!({"phase": "rows"}), Some(1))
        .await
        .unwrap();
    assert_eq!(second.version, 2);
    assert!(matches!(
        state
            .put_checkpoint(&id, &json!({}), Some(1))
            .await
            .unwrap_err(),
        StoreError::VersionConflict { .. }
    ));
    let read = state.get_checkpoint(&id).await.unwrap().unwrap();
    assert_eq!(read.data, json!({"phase": "rows"}));
    assert_eq!(read.version, 2);

    let base = timestamp::now();
    let mut runs = Vec::new();
    for minutes in 0..3 {
        let run = RunRecord {
            run_id: RunId::random(),
            connection_id: id,
            kind: "incremental".into(),
            status: RunStatus::Running,
            started_at: base + time::Duration::minutes(minutes),
            finished_at: None,
            counts: RunCounts::default(),
            requests: 0,
            rate_limited: 0,
            issues: Vec::new(),
            details: json!({}),
        };
        state.put_run(&run).await.unwrap();
        runs.push(run);
    }
    let mut finished = runs[2].clone();
    finished.status = RunStatus::Succeeded;
    finished.finished_at = Some(base + time::Duration::minutes(3));
    finished.counts.added = 7;
    state.put_run(&finished).await.unwrap();
    let listed = state.list_runs(&id, 2).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0], finished, "most recent first, updated in place");
    assert_eq!(listed[1].run_id, runs[1].run_id);
    assert_eq!(state.list_runs(&id, 10).await.unwrap().len(), 3);

    state
        .acquire_lease(&id, &LeaseScope::Sync, "w", Duration::from_secs(30))
        .await
        .unwrap();
    state.purge_connection(&id).await.unwrap();
    assert!(state.get_checkpoint(&id).await.unwrap().is_none());
    assert!(state.list_runs(&id, 10).await.unwrap().is_empty());
    assert!(
        state
            .current_lease(&id, &LeaseScope::Sync)
            .await
            .unwrap()
            .is_none()
    );
    state.put_checkpoint(&id, &json!({}), None).await.unwrap();
    state.delete_checkpoint(&id).await.unwrap();
    assert!(state.get_checkpoint(&id).await.unwrap().is_none());
}

async fn secrets_are_cached_and_refreshed_on_demand(h: Harness) {
    let secrets = &h.adapters.secrets;
    let name = SecretName::webhook_verification_token();
    assert!(matches!(
        secrets.get(&name).await.unwrap_err(),
        SecretsError::NotFound(_)
    ));
    secrets
        .put(&name, &SecretString::new("token-v1"))
        .await
        .unwrap();
    assert_eq!(secrets.get(&name).await.unwrap().expose(), "token-v1");
    // Rotated behind the provider's back: the cached value is served until invalidated.
    h.rotate_secret_externally(&name, "token-v2").await;
    assert_eq!(secrets.get(&name).await.unwrap().expose(), "token-v1");
    secrets.invalidate(&name);
    assert_eq!(secrets.get(&name).await.unwrap().expose(), "token-v2");
    // put overwrites.
    secrets
        .put(&name, &SecretString::new("token-v3"))
        .await
        .unwrap();
    secrets.invalidate(&name);
    assert_eq!(secrets.get(&name).await.unwrap().expose(), "token-v3");
}

async fn connections_are_listed_by_workspace(h: Harness) {
    let store = &h.adapters.connections;
    let a = store
        .create(&new_connection(&h, "user-1", "ws-shared").await)
        .await
        .unwrap();
    let b = store
        .create(&new_connection(&h, "user-2", "ws-shared").await)
        .await
        .unwrap();
    let other = store
        .create(&new_connection(&h, "user-1", "ws-other").await)
        .await
        .unwrap();
    let ids = |connections: Vec<Connection>| -> HashSet<ConnectionId> {
        connections.into_iter().map(|c| c.id).collect()
    };
    assert_eq!(
        ids(store.list_by_workspace("ws-shared").await.unwrap()),
        HashSet::from([a.id, b.id])
    );
    assert_eq!(
        ids(store.list_by_workspace("ws-other").await.unwrap()),
        HashSet::from([other.id])
    );
    assert!(store.list_by_workspace("ws-none").await.unwrap().is_empty());
    // Status changes keep the connection listed (routing filters on status); deletes remove it.
    let mut changed = store.get(&b.id).await.unwrap().unwrap();
    changed.status = ConnectionStatus::NeedsReauth;
    store.put(&changed).await.unwrap();
    let listed = store.list_by_workspace("ws-shared").await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .any(|c| c.id == b.id && c.status == ConnectionStatus::NeedsReauth)
    );
    store.delete(&a.id).await.unwrap();
    assert_eq!(
        ids(store.list_by_workspace("ws-shared").await.unwrap()),
        HashSet::from([b.id])
    );
}

async fn dead_letters_are_listed_in_order_and_deleted(h: Harness) {
    use relay_shared::ports::DeadLetter;
    let store = &h.adapters.dead_letters;
    let letter = |n: u32| DeadLetter {
        id: format!("{:013}-{n:016x}", 1_700_000_000_000u64 + u64::from(n)),
        url: "https://app.example/hooks".into(),
        event: json!({"id": format!("evt_{n}"), "type": "sync.finished", "data": {}}),
        attempts: 5,
        last_error: "HTTP 500".into(),
        created_at: datetime!(2026-01-01 00:00 UTC),
    };
    for n in [3, 1, 2] {
        store.put(&letter(n)).await.unwrap();
    }
    let all = store.list(None, 10).await.unwrap();
    assert_eq!(all, vec![letter(1), letter(2), letter(3)]);
    let first = store.list(None, 2).await.unwrap();
    assert_eq!(first.len(), 2);
    let rest = store.list(Some(&first[1].id), 2).await.unwrap();
    assert_eq!(rest, vec![letter(3)]);
    assert_eq!(store.get(&letter(2).id).await.unwrap(), Some(letter(2)));
    let mut updated = letter(2);
    updated.attempts = 10;
    store.put(&updated).await.unwrap();
    assert_eq!(store.get(&updated.id).await.unwrap().unwrap().attempts, 10);
    store.delete(&letter(2).id).await.unwrap();
    store.delete(&letter(2).id).await.unwrap();
    assert!(store.get(&letter(2).id).await.unwrap().is_none());
    assert_eq!(store.list(None, 10).await.unwrap().len(), 2);
}
