//! The big end-to-end: a generated workspace of 2,000+ pages with bodies, two databases (one with
//! two data sources) and 500+ rows is imported completely with the minimum number of Notion
//! requests; then edits, new pages, trashed, unshared and restored pages each show up once, in
//! order, through the records API with cursors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod sync_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use notion_emulator::GeneratedWorkspace;
use relay_shared::domain::{ChangeCursor, ChangeQuery, RecordModel, RunStatus};
use serde_json::{Value, json};
use sync_support::{Config, Harness, expected_ids, full_markdown, plain_title};

/// The live page and row records are exactly the visible ones, and each equals the emulator's
/// object (only `deep` ids when given: the ones a run changed).
async fn assert_pages_match(relay: &Harness, hidden: &BTreeSet<String>) {
    assert_some_pages_match(relay, hidden, None).await;
}

async fn assert_some_pages_match(
    relay: &Harness,
    hidden: &BTreeSet<String>,
    deep: Option<&BTreeSet<String>>,
) {
    let ws = match deep {
        Some(deep) if deep.is_empty() => None,
        _ => Some(relay.snapshot()),
    };
    let (pages, rows) = expected_ids(&relay.emu);
    let pages: BTreeSet<String> = pages
        .into_iter()
        .filter(|id| !hidden.contains(id))
        .collect();
    let rows: BTreeSet<String> = rows.into_iter().filter(|id| !hidden.contains(id)).collect();
    let stored = relay.live("page").await;
    assert_eq!(stored.keys().cloned().collect::<BTreeSet<_>>(), pages);
    for id in pages
        .iter()
        .filter(|id| deep.is_none_or(|deep| deep.contains(*id)))
    {
        let record = &stored[id];
        let page = relay.emu.page_json(id).unwrap();
        assert_eq!(record["data"]["title"], plain_title(&page), "title of {id}");
        assert_eq!(record["data"]["in_trash"], false);
        assert_eq!(record["data"]["last_edited_time"], page["last_edited_time"]);
        assert_eq!(
            record["data"]["body"]["markdown"].as_str().unwrap(),
            full_markdown(ws.as_ref().unwrap(), id),
            "body of {id}"
        );
    }
    let stored_rows = relay.live("row").await;
    assert_eq!(stored_rows.keys().cloned().collect::<BTreeSet<_>>(), rows);
    for id in rows
        .iter()
        .filter(|id| deep.is_none_or(|deep| deep.contains(*id)))
    {
        let page = relay.emu.page_json(id).unwrap();
        assert_eq!(
            stored_rows[id]["data"]["properties"], page["properties"],
            "row {id}"
        );
        assert_eq!(stored_rows[id]["data"]["title"], plain_title(&page));
    }
}

/// Latest payload per id (deleted ones as `null`), read from the store (a test oracle; the
/// assertions on changes go through the records API).
async fn state(relay: &Harness, model: &str) -> BTreeMap<String, Value> {
    let model = RecordModel::parse(model).unwrap();
    let mut out = BTreeMap::new();
    let mut after = ChangeCursor::START;
    loop {
        let page = relay
            .ctx
            .adapters
            .records
            .list_changes(
                &relay.connection_id,
                &model,
                &ChangeQuery::after(after, 1_000),
            )
            .await
            .unwrap();
        for record in page.records {
            let value = if record.deleted_at.is_some() {
                Value::Null
            } else {
                record.payload
            };
            out.insert(record.record_id.as_str().to_owned(), value);
        }
        after = page.next_cursor;
        if !page.has_more {
            return out;
        }
    }
}

/// The changes after `cursor`: each id at most once, cursors increasing, and exactly the ids
/// whose state differs between `before` and now.
async fn assert_changes_exactly(
    relay: &Harness,
    model: &str,
    cursor: &str,
    before: &BTreeMap<String, Value>,
) -> (Vec<Value>, String) {
    let (changes, next) = relay.changes(model, cursor).await;
    let after = state(relay, model).await;
    let mut seen = BTreeSet::new();
    let mut last = cursor.parse::<u64>().unwrap();
    for change in &changes {
        let id = change["id"].as_str().unwrap().to_owned();
        assert!(seen.insert(id.clone()), "{id} appears twice");
        let at: u64 = change["metadata"]["cursor"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(at > last, "cursors increase");
        last = at;
    }
    let differing: BTreeSet<String> = after
        .iter()
        .filter(|(id, value)| before.get(*id).unwrap_or(&Value::Null) != *value)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(
        seen, differing,
        "{model}: changes are exactly the records that changed"
    );
    (changes, next)
}

fn action_of(changes: &[Value], id: &str) -> String {
    changes
        .iter()
        .find(|c| c["id"] == id)
        .map(|c| c["metadata"]["last_action"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{id} not in the changes"))
}

/// Children of every page, from the emulator's parents.
fn children_map(relay: &Harness) -> BTreeMap<String, Vec<String>> {
    let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in relay.emu.page_ids() {
        let page = relay.emu.page_json(&id).unwrap();
        if let Some(parent) = page["parent"]["page_id"].as_str() {
            children.entry(parent.to_owned()).or_default().push(id);
        }
    }
    children
}

fn descendants(children: &BTreeMap<String, Vec<String>>, root: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::from([root.to_owned()]);
    let mut stack = vec![root.to_owned()];
    while let Some(id) = stack.pop() {
        for child in children.get(&id).cloned().unwrap_or_default() {
            if out.insert(child.clone()) {
                stack.push(child);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_workspace_imports_completely_then_changes_show_up_once() {
    let started = Instant::now();
    let relay = Harness::start(Config {
        workspace: GeneratedWorkspace {
            pages: 2_000,
            rows_per_data_source: 170,
            databases: 2,
            trashed_pages: 3,
            ..GeneratedWorkspace::default()
        },
        requests_per_second: 2_000.0,
        burst: 200,
        ..Config::default()
    })
    .await;
    let data_sources = relay.emu.data_source_ids();
    assert_eq!(relay.emu.database_ids().len(), 2);
    assert_eq!(data_sources.len(), 3, "one database holds two data sources");

    // --- Initial import.
    let report = relay.initial_sync().await;
    assert_eq!((report.failed, report.deferred), (0, 0), "{report:?}");
    let (pages, rows) = expected_ids(&relay.emu);
    assert!(
        pages.len() >= 2_000 && rows.len() >= 500,
        "{} pages, {} rows",
        pages.len(),
        rows.len()
    );
    assert_pages_match(&relay, &BTreeSet::new()).await;
    assert_eq!(relay.live("data_source").await.len(), 3);
    assert_eq!(relay.live("database").await.len(), 2);

    // The minimum for this workspace: every search page (pages, rows and data sources come
    // 100 per request), one markdown request per page, one retrieve per database, and the rows
    // of each data source 100 per query.
    let rows_per_source: Vec<usize> = data_sources
        .iter()
        .map(|ds| {
            relay
                .emu
                .row_ids(ds)
                .iter()
                .filter(|id| relay.emu.page_json(id).unwrap()["in_trash"] == false)
                .count()
        })
        .collect();
    let searchable = pages.len() + rows.len() + data_sources.len();
    let minimum = searchable.div_ceil(100)
        + pages.len()
        + 2
        + rows_per_source
            .iter()
            .map(|n| n.div_ceil(100))
            .sum::<usize>();
    let counters = relay.emu.counters();
    let run = relay.runs().await[0].clone();
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.issues);
    assert_eq!(
        counters.total as usize, minimum,
        "{:?}",
        counters.by_endpoint
    );
    assert_eq!(run.requests as usize, minimum);
    assert_eq!(
        run.counts.added as usize,
        pages.len() + rows.len() + data_sources.len() + 2
    );
    eprintln!(
        "import: {} requests in {:?}",
        run.requests,
        started.elapsed()
    );

    let (_, page_cursor) = relay.changes("page", "0").await;
    let (_, row_cursor) = relay.changes("row", "0").await;
    let pages_before = state(&relay, "page").await;
    let rows_before = state(&relay, "row").await;

    // --- Edits in Notion, a few minutes later.
    relay.emu.advance_clock(5);
    let children = children_map(&relay);
    let fillers: Vec<String> = pages
        .iter()
        .filter(|id| {
            let page = relay.emu.page_json(id).unwrap();
            plain_title(&page)
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_digit())
                && !children.contains_key(id.as_str())
        })
        .cloned()
        .collect();
    let (renamed, appended, trashed) = (
        fillers[10].clone(),
        fillers[20].clone(),
        fillers[30].clone(),
    );
    relay.emu.edit_page_title(&renamed, "Renamed in Notion");
    relay
        .emu
        .append_paragraph(&appended, "A paragraph added later.");
    let created = relay
        .emu
        .create_page(Some(&fillers[40]), "Brand new page")
        .unwrap();
    // A page that was in the trash at import time (never stored) comes back.
    let restored = relay
        .emu
        .page_ids()
        .into_iter()
        .find(|id| {
            let page = relay.emu.page_json(id).unwrap();
            page["in_trash"] == true && page["parent"]["type"] != "data_source_id"
        })
        .unwrap();
    relay.emu.trash_page(&trashed, true);
    relay.emu.trash_page(&restored, false);
    let row = rows[7].clone();
    let title_property = {
        let page = relay.emu.page_json(&row).unwrap();
        page["properties"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, p)| p["type"] == "title")
            .map(|(name, _)| name.clone())
            .unwrap()
    };
    relay
        .emu
        .update_properties(
            &row,
            &json!({title_property: {"title": [{"text": {"content": "Row renamed"}}]}}),
        )
        .unwrap();

    relay.emu.reset_counters();
    let report = relay.incremental_sync().await;
    assert_eq!(report.failed, 0);
    let run = relay.runs().await[0].clone();
    assert_eq!(run.kind, "incremental");
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.issues);
    assert!(
        run.requests < 30,
        "an incremental run is cheap: {} requests",
        run.requests
    );
    assert_eq!(relay.emu.counters().total, run.requests);

    let (changes, page_cursor) =
        assert_changes_exactly(&relay, "page", &page_cursor, &pages_before).await;
    assert_eq!(action_of(&changes, &renamed), "updated");
    assert_eq!(action_of(&changes, &appended), "updated");
    assert_eq!(action_of(&changes, &created), "added");
    assert_eq!(action_of(&changes, &trashed), "deleted");
    assert_eq!(action_of(&changes, &restored), "added");
    let deleted = changes
        .iter()
        .find(|c| c["id"] == trashed.as_str())
        .unwrap();
    assert_eq!(
        deleted["data"]["in_trash"], true,
        "the tombstone carries the trashed state"
    );
    assert!(deleted["metadata"]["deleted_at"].is_string());
    let appended_record = changes
        .iter()
        .find(|c| c["id"] == appended.as_str())
        .unwrap();
    assert!(
        appended_record["data"]["body"]["markdown"]
            .as_str()
            .unwrap()
            .ends_with("A paragraph added later.")
    );
    let (row_changes, row_cursor) =
        assert_changes_exactly(&relay, "row", &row_cursor, &rows_before).await;
    assert_eq!(row_changes.len(), 1);
    assert_eq!(row_changes[0]["data"]["title"], "Row renamed");
    let changed: BTreeSet<String> = changes
        .iter()
        .chain(&row_changes)
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_some_pages_match(&relay, &BTreeSet::new(), Some(&changed)).await;

    // --- Unsharing is invisible to search: the full reconciliation finds it.
    relay.emu.advance_clock(1);
    let unshared_root = children
        .keys()
        .find(|id| {
            pages.contains(*id)
                && plain_title(&relay.emu.page_json(id).unwrap())
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_digit())
        })
        .unwrap()
        .clone();
    let hidden = descendants(&children, &unshared_root);
    assert!(hidden.len() > 1, "a page with children");
    relay.emu.unshare(&relay.grant.access_token, &unshared_root);
    let pages_before = state(&relay, "page").await;
    let response = relay
        .http
        .post(relay.url(&format!("/connections/{}/sync", relay.connection_id)))
        .bearer_auth(&relay.api_key)
        .json(&json!({"full": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let report = relay
        .runner
        .drain(std::time::Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(report.failed, 0);
    let run = relay.runs().await[0].clone();
    assert_eq!(run.kind, "full");
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.issues);
    let (changes, page_cursor) =
        assert_changes_exactly(&relay, "page", &page_cursor, &pages_before).await;
    assert_eq!(
        changes
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>(),
        hidden
    );
    assert!(
        changes
            .iter()
            .all(|c| c["metadata"]["last_action"] == "deleted")
    );
    assert_eq!(
        relay.changes("row", &row_cursor).await.0.len(),
        0,
        "no spurious row changes"
    );
    assert_some_pages_match(&relay, &hidden, Some(&BTreeSet::new())).await;

    // --- A page restored from the trash comes back.
    relay.emu.advance_clock(1);
    let pages_before = state(&relay, "page").await;
    relay.emu.trash_page(&trashed, false);
    relay.incremental_sync().await;
    let (changes, _) = assert_changes_exactly(&relay, "page", &page_cursor, &pages_before).await;
    assert_eq!(action_of(&changes, &trashed), "added");
    assert_pages_match(&relay, &hidden).await;

    // --- The status route shows the runs, newest first.
    let (status, body) = relay
        .get(&format!("/connections/{}/sync", relay.connection_id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["state"], "idle");
    let kinds: Vec<&str> = body["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["incremental", "full", "incremental", "initial"]);
    assert_eq!(body["last_sync"]["status"], "succeeded");
    eprintln!("whole test: {:?}", started.elapsed());
}
