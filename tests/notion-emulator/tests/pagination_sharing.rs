//! Pagination, search ordering, sharing and trash.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Api;
use notion_emulator::{EmulatorConfig, GeneratedWorkspace, WorkspaceSource};
use serde_json::json;

#[tokio::test]
async fn block_children_paginate_past_100() {
    let api = Api::default().await;
    let large = api.emu().find_page("Large Page").unwrap();
    let (status, first) = api.get(&format!("/v1/blocks/{large}/children")).await;
    assert_eq!(status, 200);
    assert_eq!(first["results"].as_array().unwrap().len(), 100);
    assert_eq!(first["has_more"], true);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = api
        .get(&format!(
            "/v1/blocks/{large}/children?start_cursor={cursor}"
        ))
        .await;
    assert_eq!(second["results"].as_array().unwrap().len(), 20);
    assert_eq!(second["has_more"], false);
    assert!(second["next_cursor"].is_null());
    let all = api
        .get_all(&format!("/v1/blocks/{large}/children?page_size=7"))
        .await;
    assert_eq!(all.len(), 120);
    let ids: std::collections::HashSet<_> = all
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 120, "no duplicates across pages");
    assert!(
        all[0]["paragraph"]["rich_text"][0]["plain_text"]
            .as_str()
            .unwrap()
            .starts_with("Paragraph 1:")
    );

    let (status, e) = api
        .get(&format!("/v1/blocks/{large}/children?page_size=101"))
        .await;
    assert_eq!(status, 400);
    assert_eq!(e["code"], "validation_error");
    // A cursor from another listing is rejected.
    let (status, e) = api.get(&format!("/v1/users?start_cursor={cursor}")).await;
    assert_eq!(status, 400);
    assert!(e["message"].as_str().unwrap().contains("start_cursor"));
}

#[tokio::test]
async fn dashless_ids_and_synced_blocks() {
    let api = Api::default().await;
    let showcase = api.emu().find_page("Block Showcase").unwrap();
    let compact: String = showcase.chars().filter(|c| *c != '-').collect();
    let (status, page) = api.get(&format!("/v1/pages/{compact}")).await;
    assert_eq!(status, 200);
    assert_eq!(page["id"], showcase);
    let blocks = api
        .get_all(&format!("/v1/blocks/{showcase}/children"))
        .await;
    let original = blocks
        .iter()
        .find(|b| b["type"] == "synced_block" && b["synced_block"]["synced_from"].is_null())
        .unwrap();
    let copy = blocks
        .iter()
        .find(|b| b["type"] == "synced_block" && b["synced_block"]["synced_from"].is_object())
        .unwrap();
    assert_eq!(
        copy["synced_block"]["synced_from"]["block_id"],
        original["id"]
    );
    assert_eq!(copy["has_children"], true);
    let a = api
        .get_all(&format!(
            "/v1/blocks/{}/children",
            original["id"].as_str().unwrap()
        ))
        .await;
    let b = api
        .get_all(&format!(
            "/v1/blocks/{}/children",
            copy["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(a, b, "a synced copy lists its original's children");
    // child_page / child_database block ids are the page / database ids.
    let child = blocks.iter().find(|b| b["type"] == "child_page").unwrap();
    let (status, p) = api
        .get(&format!("/v1/pages/{}", child["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 200);
    assert_eq!(p["parent"]["page_id"], showcase);
    let db = blocks
        .iter()
        .find(|b| b["type"] == "child_database")
        .unwrap();
    let (status, d) = api
        .get(&format!("/v1/databases/{}", db["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 200);
    assert_eq!(d["data_sources"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn search_orders_by_last_edited_and_filters() {
    let api = Api::default().await;
    let all = {
        let mut out = Vec::new();
        let mut cursor = None::<String>;
        loop {
            let mut body = json!({"page_size": 30});
            if let Some(c) = &cursor {
                body["start_cursor"] = json!(c);
            }
            let (status, page) = api.post("/v1/search", body).await;
            assert_eq!(status, 200);
            out.extend(page["results"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        out
    };
    let times: Vec<&str> = all
        .iter()
        .map(|r| r["last_edited_time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "descending by default");
    assert!(all.iter().all(|r| r["in_trash"] == false));
    assert!(all.iter().any(|r| r["object"] == "data_source"));
    assert!(all.iter().all(|r| {
        r["last_edited_time"]
            .as_str()
            .unwrap()
            .ends_with(":00.000Z")
    }));

    let (_, asc) = api
        .post(
            "/v1/search",
            json!({"sort": {"timestamp": "last_edited_time", "direction": "ascending"}}),
        )
        .await;
    let t: Vec<&str> = asc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["last_edited_time"].as_str().unwrap())
        .collect();
    assert!(t.windows(2).all(|w| w[0] <= w[1]));

    let (_, hit) = api
        .post("/v1/search", json!({"query": "block showcase"}))
        .await;
    assert_eq!(hit["results"].as_array().unwrap().len(), 1);

    let (_, trashed) = api
        .post("/v1/search", json!({"filter": {"in_trash": true}}))
        .await;
    assert!(!trashed["results"].as_array().unwrap().is_empty());
    assert!(
        trashed["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["in_trash"] == true)
    );

    let (status, e) = api
        .post(
            "/v1/search",
            json!({"filter": {"property": "object", "value": "database"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(e["code"], "validation_error");

    // An edit moves the page to the front, in a later minute.
    let target = api.emu().find_page("Large Page").unwrap();
    api.emu().advance_clock(60 * 24 * 365 * 3);
    api.emu().edit_page_title(&target, "Large Page Renamed");
    let (_, first) = api.post("/v1/search", json!({"page_size": 1})).await;
    assert_eq!(first["results"][0]["id"], target);
}

#[tokio::test]
async fn grants_see_only_what_was_shared() {
    let api = Api::default().await;
    let emu = api.emu();
    let tops = emu.top_level_ids();
    let engineering = tops[1].clone();
    let narrow = emu.grant(&[&engineering]);
    let showcase = emu.find_page("Block Showcase").unwrap();

    let (status, _) = api
        .get_as(&narrow.access_token, &format!("/v1/pages/{engineering}"))
        .await;
    assert_eq!(status, 200);
    let (status, e) = api
        .get_as(&narrow.access_token, &format!("/v1/pages/{showcase}"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(e["code"], "object_not_found");
    let (status, _) = api
        .get_as(
            &narrow.access_token,
            &format!("/v1/blocks/{showcase}/children"),
        )
        .await;
    assert_eq!(status, 404);
    let ds = emu.data_source_ids()[0].clone();
    let (status, _) = api
        .get_as(&narrow.access_token, &format!("/v1/data_sources/{ds}"))
        .await;
    assert_eq!(status, 404, "the database lives under an unshared page");
    let (status, _) = api.get(&format!("/v1/data_sources/{ds}")).await;
    assert_eq!(status, 200);

    // Descendants of a shared root are visible; search only shows shared items.
    let (_, found) = api
        .post_as(&narrow.access_token, "/v1/search", json!({}))
        .await;
    let results = found["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["id"] != showcase.as_str()));
    let deep = emu.find_page("Depth 4").unwrap();
    let (status, _) = api
        .get_as(&narrow.access_token, &format!("/v1/pages/{deep}"))
        .await;
    assert_eq!(status, 200);

    // Unsharing hides the subtree; sharing again shows it.
    emu.unshare(&narrow.access_token, &engineering);
    let (status, _) = api
        .get_as(&narrow.access_token, &format!("/v1/pages/{deep}"))
        .await;
    assert_eq!(status, 404);
    emu.share(&narrow.access_token, &engineering);
    let (status, _) = api
        .get_as(&narrow.access_token, &format!("/v1/pages/{deep}"))
        .await;
    assert_eq!(status, 200);

    // Sharing a database shares its data sources and rows.
    let db = emu.database_ids()[0].clone();
    let by_db = emu.grant(&[&db]);
    let row = emu.row_ids(&ds)[0].clone();
    let (status, _) = api
        .get_as(&by_db.access_token, &format!("/v1/pages/{row}"))
        .await;
    assert_eq!(status, 200);
    let (status, q) = api
        .post_as(
            &by_db.access_token,
            &format!("/v1/data_sources/{ds}/query"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(!q["results"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn trash_hides_from_children_and_listings() {
    let api = Api::default().await;
    let emu = api.emu();
    let showcase = emu.find_page("Block Showcase").unwrap();
    let child = emu.find_page("Showcase Child").unwrap();
    emu.trash_page(&child, true);
    let blocks = api
        .get_all(&format!("/v1/blocks/{showcase}/children"))
        .await;
    assert!(blocks.iter().all(|b| b["id"] != child.as_str()));
    let (status, page) = api.get(&format!("/v1/pages/{child}")).await;
    assert_eq!(status, 200);
    assert_eq!(page["in_trash"], true);
    emu.trash_page(&child, false);
    let blocks = api
        .get_all(&format!("/v1/blocks/{showcase}/children"))
        .await;
    assert!(blocks.iter().any(|b| b["id"] == child.as_str()));
}

#[tokio::test]
async fn scales_to_thousands_of_pages() {
    let config = EmulatorConfig {
        workspace: WorkspaceSource::Generated(GeneratedWorkspace {
            pages: 2_000,
            rows_per_data_source: 500,
            ..GeneratedWorkspace::default()
        }),
        ..EmulatorConfig::default()
    };
    let started = std::time::Instant::now();
    let api = Api::start(config).await;
    let mut count = 0;
    let mut cursor = None::<String>;
    loop {
        let mut body = json!({"filter": {"property": "object", "value": "page"}});
        if let Some(c) = &cursor {
            body["start_cursor"] = json!(c);
        }
        let (status, page) = api.post("/v1/search", body).await;
        assert_eq!(status, 200);
        count += page["results"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(count > 2_000 + 1_000, "found {count}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(
        api.emu().counters().endpoint("POST /v1/search") as usize,
        count.div_ceil(100)
    );
}
