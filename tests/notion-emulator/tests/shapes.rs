//! The emulator's responses have the key sets of the recorded Notion responses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{Api, assert_same_keys, fixture, keys};
use serde_json::{Value, json};

fn first_result(v: &Value) -> &Value {
    &v["results"][0]
}

/// Type key of a block payload, with the media/link subtype when the payload has one.
fn block_key(block: &Value) -> String {
    let kind = block["type"].as_str().unwrap().to_string();
    match block[&kind]["type"].as_str() {
        Some(sub) => format!("{kind}/{sub}"),
        None => kind,
    }
}

fn fixture_blocks() -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for name in [
        "block-children-mixed.json",
        "block-children-append-many.json",
        "block-children-append-file-blocks.json",
        "block-children-table-rows.json",
        "block-children-columns.json",
        "block-children-tab.json",
        "block-children-embed-bookmark-child-database.json",
        "block-children-rich-text-annotations.json",
        "block-children-append-mentions.json",
    ] {
        for b in fixture(name)["results"].as_array().unwrap() {
            map.entry(block_key(b)).or_insert_with(|| b.clone());
        }
    }
    map
}

async fn all_blocks_below(api: &Api, page: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack = vec![page.to_string()];
    while let Some(id) = stack.pop() {
        for b in api.get_all(&format!("/v1/blocks/{id}/children")).await {
            if b["has_children"] == true && b["type"] != "child_page" {
                stack.push(b["id"].as_str().unwrap().to_string());
            }
            out.push(b);
        }
    }
    out
}

#[tokio::test]
async fn blocks_match_recorded_keys_per_type() {
    let api = Api::default().await;
    let showcase = api.emu().find_page("Block Showcase").unwrap();
    let (status, list) = api
        .get(&format!("/v1/blocks/{showcase}/children?page_size=100"))
        .await;
    assert_eq!(status, 200);
    assert_same_keys(
        "block children list",
        &list,
        &fixture("block-children-mixed.json"),
    );
    let ours = all_blocks_below(&api, &showcase).await;
    let theirs = fixture_blocks();
    let mut compared = 0;
    for b in &ours {
        let key = block_key(b);
        let Some(f) = theirs.get(&key) else { continue };
        let kind = b["type"].as_str().unwrap();
        assert_same_keys(&format!("block {key}"), b, f);
        assert_same_keys(&format!("block {key} payload"), &b[kind], &f[kind]);
        compared += 1;
    }
    let covered: std::collections::BTreeSet<String> = ours.iter().map(block_key).collect();
    for key in theirs.keys() {
        assert!(
            covered.contains(key),
            "the showcase lacks recorded block type {key}"
        );
    }
    assert!(compared > 30, "compared only {compared} blocks");
}

#[tokio::test]
async fn rich_text_items_match_recorded_keys() {
    let api = Api::default().await;
    let showcase = api.emu().find_page("Block Showcase").unwrap();
    let ours: Vec<Value> = all_blocks_below(&api, &showcase)
        .await
        .into_iter()
        .flat_map(|b| {
            let kind = b["type"].as_str().unwrap().to_string();
            b[&kind]["rich_text"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let mut theirs = BTreeMap::new();
    for name in [
        "block-children-rich-text-annotations.json",
        "block-children-append-mentions.json",
    ] {
        for b in fixture(name)["results"].as_array().unwrap() {
            let kind = b["type"].as_str().unwrap();
            for item in b[kind]["rich_text"].as_array().cloned().unwrap_or_default() {
                let key = match item["type"].as_str().unwrap() {
                    "mention" => format!("mention/{}", item["mention"]["type"].as_str().unwrap()),
                    t => t.to_string(),
                };
                theirs.entry(key).or_insert(item);
            }
        }
    }
    for (key, f) in &theirs {
        let o = ours
            .iter()
            .find(|i| match i["type"].as_str().unwrap() {
                "mention" => format!("mention/{}", i["mention"]["type"].as_str().unwrap()) == *key,
                t => t == key,
            })
            .unwrap_or_else(|| panic!("no rich text item of kind {key} in the showcase"));
        assert_same_keys(&format!("rich text {key}"), o, f);
        assert_same_keys(
            &format!("rich text {key} annotations"),
            &o["annotations"],
            &f["annotations"],
        );
        let t = o["type"].as_str().unwrap();
        assert_same_keys(&format!("rich text {key} payload"), &o[t], &f[t]);
    }
    assert!(ours.iter().any(|i| i["annotations"]["bold"] == true));
    assert!(ours.iter().any(|i| i["href"].is_string()));
}

#[tokio::test]
async fn pages_databases_and_data_sources_match() {
    let api = Api::default().await;
    let emu = api.emu();
    let top = &emu.top_level_ids()[0];
    let (status, page) = api.get(&format!("/v1/pages/{top}")).await;
    assert_eq!(status, 200);
    assert_same_keys("page", &page, &fixture("page-in-trash.json"));
    assert_eq!(page["properties"]["title"]["id"], "title");

    let two = emu
        .database_ids()
        .into_iter()
        .find(|db| {
            emu.data_source_ids().len() > 1
                && api.emu().workspace_json()["data_sources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|d| d["parent"]["database_id"] == db.as_str())
                    .count()
                    == 2
        })
        .unwrap();
    let (status, db) = api.get(&format!("/v1/databases/{two}")).await;
    assert_eq!(status, 200);
    let recorded = fixture("database-two-data-sources.json");
    assert_same_keys("database", &db, &recorded);
    assert_eq!(db["data_sources"].as_array().unwrap().len(), 2);
    assert_same_keys(
        "database data_sources entry",
        &db["data_sources"][0],
        &recorded["data_sources"][0],
    );

    let ds_id = db["data_sources"][0]["id"].as_str().unwrap().to_string();
    let (status, ds) = api.get(&format!("/v1/data_sources/{ds_id}")).await;
    assert_eq!(status, 200);
    let recorded = fixture("data-source-all-props.json");
    assert_same_keys("data source", &ds, &recorded);
    let mut recorded_by_type = BTreeMap::new();
    for p in recorded["properties"].as_object().unwrap().values() {
        recorded_by_type
            .entry(p["type"].as_str().unwrap().to_string())
            .or_insert(p.clone());
    }
    let mut checked = 0;
    for p in ds["properties"].as_object().unwrap().values() {
        let t = p["type"].as_str().unwrap();
        let Some(f) = recorded_by_type.get(t) else {
            continue;
        };
        assert_same_keys(&format!("schema property {t}"), p, f);
        if t != "relation" {
            assert_same_keys(&format!("schema config {t}"), &p[t], &f[t]);
        }
        checked += 1;
    }
    assert!(checked >= 15, "checked {checked} schema properties");

    // A row: per-type property values like the recorded row.
    let row_id = emu.row_ids(&ds_id)[0].clone();
    let (status, row) = api.get(&format!("/v1/pages/{row_id}")).await;
    assert_eq!(status, 200);
    let recorded = fixture("page-data-source-row-all-props.json");
    assert_same_keys("row", &row, &recorded);
    assert_same_keys("row parent", &row["parent"], &recorded["parent"]);
    let mut recorded_by_type = BTreeMap::new();
    for p in recorded["properties"].as_object().unwrap().values() {
        recorded_by_type
            .entry(p["type"].as_str().unwrap().to_string())
            .or_insert(p.clone());
    }
    for p in row["properties"].as_object().unwrap().values() {
        let t = p["type"].as_str().unwrap();
        let Some(f) = recorded_by_type.get(t) else {
            continue;
        };
        assert_same_keys(&format!("row property {t}"), p, f);
        match (&p[t], &f[t]) {
            (Value::Object(_), Value::Object(_))
                if !["created_by", "last_edited_by"].contains(&t) =>
            {
                assert_same_keys(&format!("row value {t}"), &p[t], &f[t]);
            }
            (Value::Array(a), Value::Array(b)) if !a.is_empty() && !b.is_empty() => {
                assert_same_keys(&format!("row value item {t}"), &a[0], &b[0]);
            }
            _ => {}
        }
    }
    // The showcase row relation holds > 25 references: cut at 25 with has_more.
    assert_eq!(
        row["properties"]["Related"]["relation"]
            .as_array()
            .unwrap()
            .len(),
        25
    );
    assert_eq!(row["properties"]["Related"]["has_more"], true);
}

#[tokio::test]
async fn lists_match_search_users_comments_query() {
    let api = Api::default().await;
    let (status, search) = api
        .post(
            "/v1/search",
            json!({"filter": {"property": "object", "value": "page"}, "page_size": 5}),
        )
        .await;
    assert_eq!(status, 200);
    let recorded = fixture("search-pages.json");
    assert_same_keys("search list", &search, &recorded);
    assert_same_keys(
        "search page",
        first_result(&search),
        first_result(&recorded),
    );

    let (_, search) = api
        .post(
            "/v1/search",
            json!({"filter": {"property": "object", "value": "data_source"}}),
        )
        .await;
    let recorded = fixture("search-data-sources.json");
    assert_same_keys(
        "search data source",
        first_result(&search),
        first_result(&recorded),
    );
    assert!(
        search["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["object"] == "data_source")
    );

    let (status, users) = api.get("/v1/users").await;
    assert_eq!(status, 200);
    let recorded = fixture("users-list.json");
    assert_same_keys("users list", &users, &recorded);
    let person = users["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["type"] == "person")
        .unwrap();
    let bot = users["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["type"] == "bot")
        .unwrap();
    assert_same_keys("person", person, &recorded["results"][0]);
    assert_same_keys(
        "person.person",
        &person["person"],
        &recorded["results"][0]["person"],
    );
    assert_same_keys("bot", bot, &recorded["results"][1]);
    assert_same_keys("bot.bot", &bot["bot"], &recorded["results"][1]["bot"]);

    let (status, me) = api.get("/v1/users/me").await;
    assert_eq!(status, 200);
    assert_same_keys("users/me", &me, &fixture("user-me-bot.json"));
    assert_eq!(me["id"], api.token.bot_id);

    let showcase = api.emu().find_page("Block Showcase").unwrap();
    let (status, comments) = api.get(&format!("/v1/comments?block_id={showcase}")).await;
    assert_eq!(status, 200);
    let recorded = fixture("comments-list.json");
    assert_same_keys("comments list", &comments, &recorded);
    assert_same_keys("comment", first_result(&comments), first_result(&recorded));

    let ds = &api.emu().data_source_ids()[0];
    let (status, q) = api
        .post(
            &format!("/v1/data_sources/{ds}/query"),
            json!({"page_size": 2}),
        )
        .await;
    assert_eq!(status, 200);
    assert_same_keys(
        "query list",
        &q,
        &fixture("data-source-query-rollups-has-more.json"),
    );
    assert_eq!(q["has_more"], true);

    let (status, t) = api.get(&format!("/v1/data_sources/{ds}/templates")).await;
    assert_eq!(status, 200);
    assert_same_keys("templates", &t, &fixture("data-source-templates.json"));
}

#[tokio::test]
async fn property_items_and_markdown_match() {
    let api = Api::default().await;
    let ds = api.emu().data_source_ids()[0].clone();
    let row = api.emu().row_ids(&ds)[0].clone();
    let page = api.emu().page_json(&row).unwrap();
    let estimate_id = page["properties"]["Estimate"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, item) = api
        .get(&format!("/v1/pages/{row}/properties/{estimate_id}"))
        .await;
    assert_eq!(status, 200, "{item}");
    assert_same_keys(
        "number property item",
        &item,
        &fixture("property-item-number.json"),
    );

    let related_id = page["properties"]["Related"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, list) = api
        .get(&format!("/v1/pages/{row}/properties/{related_id}"))
        .await;
    assert_eq!(status, 200, "{list}");
    let recorded = fixture("property-item-relation-list.json");
    assert_same_keys("relation property list", &list, &recorded);
    assert_same_keys(
        "relation property_item",
        &list["property_item"],
        &recorded["property_item"],
    );
    assert_same_keys(
        "relation item",
        first_result(&list),
        first_result(&recorded),
    );
    assert_eq!(
        list["results"].as_array().unwrap().len(),
        29,
        "full relation beyond 25"
    );

    let (status, md) = api
        .get(&format!(
            "/v1/pages/{}/markdown",
            api.emu().top_level_ids()[0]
        ))
        .await;
    assert_eq!(status, 200);
    assert_same_keys("page markdown", &md, &fixture("page-markdown.json"));
    assert!(md["markdown"].as_str().unwrap().contains("<page url="));
}

#[tokio::test]
async fn errors_match_recorded_envelopes() {
    let api = Api::default().await;
    let (status, e) = api.get("/v1/invalid").await;
    assert_eq!(status, 400);
    assert_same_keys(
        "invalid_request_url",
        &e,
        &fixture("error-invalid-request-url.json"),
    );
    assert_eq!(e["code"], "invalid_request_url");

    let (status, e) = common::send(api.req(reqwest::Method::PUT, "/v1/search")).await;
    assert_eq!(status, 400, "unknown method on a known path");
    assert_eq!(e["code"], "invalid_request_url");

    let (status, e) = api.get_as("ntn_not_a_token", "/v1/users").await;
    assert_eq!(status, 401);
    assert_same_keys("unauthorized", &e, &fixture("error-unauthorized.json"));

    let (status, e) = api
        .get("/v1/pages/7855b161-f63e-4683-b7c7-8ca6e97ee266")
        .await;
    assert_eq!(status, 404);
    let recorded = fixture("error-object-not-found.json");
    assert_same_keys("object_not_found", &e, &recorded);
    assert_same_keys(
        "object_not_found additional_data",
        &e["additional_data"],
        &recorded["additional_data"],
    );

    let (status, e) = api.get("/v1/pages/not-a-uuid").await;
    assert_eq!(status, 400);
    assert_same_keys(
        "validation_error",
        &e,
        &fixture("error-validation-error.json"),
    );
    assert!(e["message"].as_str().unwrap().contains("path.page_id"));

    let resp = api
        .http
        .get(api.url("/v1/users"))
        .bearer_auth(&api.token.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().contains_key("x-request-id"));
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["code"], "missing_version");
    assert!(e["request_id"].is_string());

    let resp = api
        .req(reqwest::Method::POST, "/v1/search")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["code"], "invalid_json");
    let _ = keys(&e);
}
