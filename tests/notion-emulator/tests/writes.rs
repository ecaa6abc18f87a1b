//! Writes: pages, rows, appends with positions, updates, moves, deletes, databases, markdown,
//! workspace JSON and the control API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Api;
use notion_emulator::{Emulator, EmulatorConfig, Workspace, WorkspaceSource};
use serde_json::{Value, json};

fn texts(blocks: &[Value]) -> Vec<String> {
    blocks
        .iter()
        .map(|b| {
            let kind = b["type"].as_str().unwrap();
            b[kind]["rich_text"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|i| i["plain_text"].as_str().unwrap().to_string())
                        .collect::<String>()
                })
                .unwrap_or_default()
        })
        .collect()
}

fn para(text: &str) -> Value {
    json!({"paragraph": {"rich_text": [{"text": {"content": text}}]}})
}

#[tokio::test]
async fn create_pages_with_children_markdown_and_positions() {
    let api = Api::default().await;
    let parent = api.emu().top_level_ids()[0].clone();
    let (status, page) = api
        .post("/v1/pages", json!({
            "parent": {"page_id": parent},
            "properties": {"title": {"title": [{"text": {"content": "Written"}}]}},
            "icon": {"emoji": "🧪"},
            "children": [para("one"), {"toggle": {"rich_text": [{"text": {"content": "t"}}], "children": [para("inside")]}}],
        }))
        .await;
    assert_eq!(status, 200, "{page}");
    let id = page["id"].as_str().unwrap().to_string();
    assert_eq!(page["icon"], json!({"type": "emoji", "emoji": "🧪"}));
    assert_eq!(page["created_by"]["id"], api.token.bot_id);
    assert!(page["created_time"].as_str().unwrap().ends_with(":00.000Z"));
    let blocks = api.get_all(&format!("/v1/blocks/{id}/children")).await;
    assert_eq!(texts(&blocks), ["one", "t"]);
    assert_eq!(blocks[1]["has_children"], true);

    // Appends at the start and after a block.
    let path = format!("/v1/blocks/{id}/children");
    let (status, r) = api
        .patch(
            &path,
            json!({"children": [para("first")], "position": {"type": "start"}}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["results"].as_array().unwrap().len(), 1);
    let one_id = blocks[0]["id"].as_str().unwrap();
    api.patch(&path, json!({"children": [para("after one")], "position": {"type": "after_block", "after_block": {"id": one_id}}})).await;
    api.patch(&path, json!({"children": [para("last")]})).await;
    let blocks = api.get_all(&path).await;
    assert_eq!(texts(&blocks), ["first", "one", "after one", "t", "last"]);
    let (status, e) = api
        .patch(&path, json!({"children": [para("x")], "after": one_id}))
        .await;
    assert_eq!(status, 400, "`after` is gone in 2026-03-11: {e}");

    // The parent shows the new child page.
    let siblings = api.get_all(&format!("/v1/blocks/{parent}/children")).await;
    assert!(siblings.iter().any(|b| b["id"] == id.as_str()
        && b["type"] == "child_page"
        && b["child_page"]["title"] == "Written"));

    // Markdown body: the first h1 becomes the title.
    let (status, md_page) = api
        .post("/v1/pages", json!({"parent": {"page_id": parent}, "markdown": "# From Markdown\n\nSome **bold** text.\n\n- a\n  - b\n- [ ] todo\n\n```rust\nfn main() {}\n```"}))
        .await;
    assert_eq!(status, 200, "{md_page}");
    assert_eq!(
        md_page["properties"]["title"]["title"][0]["plain_text"],
        "From Markdown"
    );
    let blocks = api
        .get_all(&format!(
            "/v1/blocks/{}/children",
            md_page["id"].as_str().unwrap()
        ))
        .await;
    let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["paragraph", "bulleted_list_item", "to_do", "code"]);
    assert_eq!(blocks[1]["has_children"], true);

    // Workspace-level pages are shared with the connection that created them.
    let narrow = api.emu().grant(&[&parent]);
    let (status, top) = api.post_as(&narrow.access_token, "/v1/pages", json!({"parent": {"workspace": true}, "properties": {"title": [{"text": {"content": "Top"}}]}})).await;
    assert_eq!(status, 200, "{top}");
    let (status, _) = api
        .get_as(
            &narrow.access_token,
            &format!("/v1/pages/{}", top["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200);

    // Unshared parents are 404.
    let other = api.emu().top_level_ids()[1].clone();
    let (status, e) = api
        .post_as(
            &narrow.access_token,
            "/v1/pages",
            json!({"parent": {"page_id": other}, "properties": {}}),
        )
        .await;
    assert_eq!(status, 404, "{e}");
}

#[tokio::test]
async fn rows_with_every_writable_property() {
    let api = Api::default().await;
    let emu = api.emu();
    let ds = emu.data_source_ids()[0].clone();
    let related = emu.row_ids(&ds)[2].clone();
    let owner = api.get("/v1/users").await.1["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, row) = api
        .post("/v1/pages", json!({
            "parent": {"data_source_id": ds},
            "properties": {
                "Name": {"title": [{"text": {"content": "New row"}}]},
                "Notes": {"rich_text": [{"text": {"content": "notes"}}]},
                "Estimate": {"number": 5},
                "Priority": {"select": {"name": "Brand new option"}},
                "Tags": {"multi_select": [{"name": "docs"}, {"name": "fresh"}]},
                "Status": {"status": {"name": "In progress"}},
                "Due": {"date": {"start": "2026-05-01", "end": null}},
                "Assignee": {"people": [{"object": "user", "id": owner}]},
                "Attachments": {"files": [{"name": "x.pdf", "external": {"url": "https://example.com/x.pdf"}}]},
                "Done": {"checkbox": true},
                "Link": {"url": "https://example.com"},
                "Contact": {"email": "a@b.c"},
                "Phone": {"phone_number": "+1 555"},
                "Related": {"relation": [{"id": related}]},
            },
        }))
        .await;
    assert_eq!(status, 200, "{row}");
    let p = &row["properties"];
    assert_eq!(p["Name"]["title"][0]["plain_text"], "New row");
    assert_eq!(p["Priority"]["select"]["name"], "Brand new option");
    assert_eq!(p["Tags"]["multi_select"].as_array().unwrap().len(), 2);
    assert_eq!(p["Status"]["status"]["name"], "In progress");
    assert_eq!(p["Assignee"]["people"][0]["id"], owner);
    assert_eq!(p["Related"]["relation"][0]["id"], related);
    assert_eq!(p["Score"]["formula"]["number"], 10);
    assert_eq!(p["Created"]["created_time"], row["created_time"]);
    assert_eq!(p["ID"]["unique_id"]["number"], 31);
    assert_eq!(row["parent"]["type"], "data_source_id");

    // New option lands in the schema; unknown status options do not.
    let (_, schema) = api.get(&format!("/v1/data_sources/{ds}")).await;
    assert!(
        schema["properties"]["Priority"]["select"]["options"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "Brand new option")
    );
    let (status, e) = api.post("/v1/pages", json!({"parent": {"data_source_id": ds}, "properties": {"Status": {"status": {"name": "Nope"}}}})).await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = api
        .post(
            "/v1/pages",
            json!({"parent": {"data_source_id": ds}, "properties": {"Missing": {"number": 1}}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(e["message"].as_str().unwrap().contains("Missing"));
    let (status, _) = api
        .post(
            "/v1/pages",
            json!({"parent": {"data_source_id": ds}, "properties": {"Score": {"formula": {}}}}),
        )
        .await;
    assert_eq!(status, 400, "formulas are read-only");

    // Database parents work for single-source databases only.
    let two_source_db = emu.database_ids()[0].clone();
    let (status, e) = api
        .post(
            "/v1/pages",
            json!({"parent": {"database_id": two_source_db}, "properties": {}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(e["code"], "validation_error");
    let single = emu.database_ids()[1].clone();
    let (status, r) = api.post("/v1/pages", json!({"parent": {"database_id": single}, "properties": {"Name": {"title": [{"text": {"content": "via db"}}]}}})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["parent"]["database_id"], single);

    // Update properties; edits bump last_edited_time in a later minute.
    let id = row["id"].as_str().unwrap();
    emu.advance_clock(3);
    let (status, updated) = api
        .patch(
            &format!("/v1/pages/{id}"),
            json!({"properties": {"Estimate": {"number": null}, "Tags": {"multi_select": []}}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert!(updated["properties"]["Estimate"]["number"].is_null());
    assert!(
        updated["last_edited_time"].as_str().unwrap() > row["last_edited_time"].as_str().unwrap()
    );
    assert_eq!(
        updated["properties"]["Edited"]["last_edited_time"],
        updated["last_edited_time"]
    );
}

#[tokio::test]
async fn update_trash_move_and_delete() {
    let api = Api::default().await;
    let emu = api.emu();
    let tops = emu.top_level_ids();
    let page = emu.find_page("Depth 3").unwrap();
    let (status, p) = api
        .patch(
            &format!("/v1/pages/{page}"),
            json!({"cover": {"external": {"url": "https://example.com/c.png"}}, "is_locked": true}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(p["cover"]["external"]["url"], "https://example.com/c.png");
    assert_eq!(p["is_locked"], true);
    let (status, p) = api
        .patch(&format!("/v1/pages/{page}"), json!({"in_trash": true}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(p["in_trash"], true);
    let (status, _) = api
        .patch(
            &format!("/v1/pages/{page}"),
            json!({"properties": {"title": {"title": [{"text": {"content": "x"}}]}}}),
        )
        .await;
    assert_eq!(status, 400, "trashed pages cannot be edited");
    let (status, p) = api
        .patch(&format!("/v1/pages/{page}"), json!({"in_trash": false}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(p["in_trash"], false);

    let (status, moved) = api
        .post(
            &format!("/v1/pages/{page}/move"),
            json!({"parent": {"page_id": tops[0]}}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["parent"]["page_id"], tops[0]);
    let children = api
        .get_all(&format!("/v1/blocks/{}/children", tops[0]))
        .await;
    assert!(children.iter().any(|b| b["id"] == page.as_str()));
    let child_of_page = emu.find_page("Depth 4").unwrap();
    let (status, _) = api
        .post(
            &format!("/v1/pages/{page}/move"),
            json!({"parent": {"page_id": child_of_page}}),
        )
        .await;
    assert_eq!(status, 400, "no moves into a descendant");

    let (status, erased) = api
        .patch(&format!("/v1/pages/{page}"), json!({"erase_content": true}))
        .await;
    assert_eq!(status, 200, "{erased}");
    let left = api.get_all(&format!("/v1/blocks/{page}/children")).await;
    assert!(left.iter().all(|b| b["type"] == "child_page"));

    let showcase = emu.find_page("Block Showcase").unwrap();
    let blocks = api
        .get_all(&format!("/v1/blocks/{showcase}/children"))
        .await;
    let todo = blocks.iter().find(|b| b["type"] == "to_do").unwrap();
    let todo_id = todo["id"].as_str().unwrap();
    let (status, b) = api
        .patch(
            &format!("/v1/blocks/{todo_id}"),
            json!({"to_do": {"checked": true, "rich_text": [{"text": {"content": "changed"}}]}}),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["to_do"]["checked"], true);
    assert_eq!(b["to_do"]["rich_text"][0]["plain_text"], "changed");
    let (status, _) = api
        .patch(
            &format!("/v1/blocks/{todo_id}"),
            json!({"paragraph": {"rich_text": []}}),
        )
        .await;
    assert_eq!(status, 400, "type changes are rejected");
    let (status, d) = api.delete(&format!("/v1/blocks/{todo_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(d["in_trash"], true);
    let blocks = api
        .get_all(&format!("/v1/blocks/{showcase}/children"))
        .await;
    assert!(blocks.iter().all(|b| b["id"] != todo_id));
    let (status, b) = api.get(&format!("/v1/blocks/{todo_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(b["in_trash"], true);
    assert_eq!(
        api.get(&format!("/v1/pages/{showcase}")).await.1["last_edited_by"]["id"],
        api.token.bot_id
    );
}

#[tokio::test]
async fn databases_and_data_sources() {
    let api = Api::default().await;
    let parent = api.emu().top_level_ids()[0].clone();
    let (status, db) = api
        .post("/v1/databases", json!({
            "parent": {"type": "page_id", "page_id": parent},
            "title": [{"text": {"content": "Inventory"}}],
            "initial_data_source": {"properties": {"Item": {"title": {}}, "Qty": {"number": {"format": "number"}}, "Kind": {"select": {"options": [{"name": "tool"}]}}}},
        }))
        .await;
    assert_eq!(status, 200, "{db}");
    assert_eq!(db["data_sources"].as_array().unwrap().len(), 1);
    let ds = db["data_sources"][0]["id"].as_str().unwrap().to_string();
    let (status, updated) = api.patch(&format!("/v1/data_sources/{ds}"), json!({"properties": {"Qty": {"name": "Quantity"}, "Kind": null, "Notes": {"rich_text": {}}}})).await;
    assert_eq!(status, 200, "{updated}");
    let props = updated["properties"].as_object().unwrap();
    assert!(
        props.contains_key("Quantity")
            && props.contains_key("Notes")
            && !props.contains_key("Kind")
    );
    let (status, created) = api
        .post("/v1/data_sources", json!({"parent": {"type": "database_id", "database_id": db["id"]}, "title": [{"text": {"content": "Second"}}], "properties": {"Name": {"title": {}}}}))
        .await;
    assert_eq!(status, 200, "{created}");
    let (_, db2) = api
        .get(&format!("/v1/databases/{}", db["id"].as_str().unwrap()))
        .await;
    assert_eq!(db2["data_sources"].as_array().unwrap().len(), 2);
    let (status, renamed) = api
        .patch(
            &format!("/v1/databases/{}", db["id"].as_str().unwrap()),
            json!({"title": [{"text": {"content": "Stock"}}]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(renamed["title"][0]["plain_text"], "Stock");
    let children = api.get_all(&format!("/v1/blocks/{parent}/children")).await;
    assert!(
        children
            .iter()
            .any(|b| b["type"] == "child_database" && b["child_database"]["title"] == "Stock")
    );
}

#[tokio::test]
async fn markdown_endpoint_truncates_large_pages() {
    let api = Api::start(EmulatorConfig {
        markdown_record_limit: 40,
        ..EmulatorConfig::default()
    })
    .await;
    let large = api.emu().find_page("Large Page").unwrap();
    let (status, md) = api.get(&format!("/v1/pages/{large}/markdown")).await;
    assert_eq!(status, 200);
    assert_eq!(md["object"], "page_markdown");
    assert_eq!(md["truncated"], true);
    let unknown = md["unknown_block_ids"].as_array().unwrap();
    assert_eq!(unknown.len(), 80);
    assert!(md["markdown"].as_str().unwrap().contains("Paragraph 40:"));
    assert!(!md["markdown"].as_str().unwrap().contains("Paragraph 41:"));
    let (status, rest) = api
        .get(&format!(
            "/v1/pages/{}/markdown",
            unknown[0].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        rest["markdown"]
            .as_str()
            .unwrap()
            .starts_with("Paragraph 41:")
    );

    let small = api.emu().find_page("Depth 2").unwrap();
    let (_, md) = api.get(&format!("/v1/pages/{small}/markdown")).await;
    assert_eq!(md["truncated"], false);
    assert!(md["unknown_block_ids"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn workspace_json_round_trip_and_control_api() {
    let source = Emulator::new(EmulatorConfig::default());
    let doc = source.workspace_json();
    let copy = Workspace::from_json(&doc).unwrap();
    assert_eq!(copy.to_json(), doc);
    let api = Api::start(EmulatorConfig {
        workspace: WorkspaceSource::Json(doc.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    assert_eq!(api.emu().top_level_ids(), source.top_level_ids());
    let large = api.emu().find_page("Large Page").unwrap();
    assert_eq!(
        api.get_all(&format!("/v1/blocks/{large}/children"))
            .await
            .len(),
        120
    );
    assert!(
        Emulator::try_new(EmulatorConfig {
            workspace: WorkspaceSource::Json(json!({"users": []})),
            ..EmulatorConfig::default()
        })
        .is_err()
    );

    // Control API over HTTP.
    let control = |p: &str| api.url(&format!("/_emulator{p}"));
    let grant: Value = api
        .http
        .post(control("/grants"))
        .json(&json!({"shared_ids": [api.emu().top_level_ids()[1]]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = grant["access_token"].as_str().unwrap().to_string();
    let (status, _) = api.get_as(&token, &format!("/v1/pages/{large}")).await;
    assert_eq!(status, 404);
    api.http
        .post(control("/share"))
        .json(&json!({"access_token": token, "id": large}))
        .send()
        .await
        .unwrap();
    let (status, _) = api.get_as(&token, &format!("/v1/pages/{large}")).await;
    assert_eq!(status, 200);
    api.http
        .post(control(&format!("/pages/{large}/title")))
        .json(&json!({"title": "Big"}))
        .send()
        .await
        .unwrap();
    api.http
        .post(control(&format!("/pages/{large}/append")))
        .json(&json!({"text": "tail"}))
        .send()
        .await
        .unwrap();
    let (_, page) = api.get(&format!("/v1/pages/{large}")).await;
    assert_eq!(page["properties"]["title"]["title"][0]["plain_text"], "Big");
    assert_eq!(
        api.get_all(&format!("/v1/blocks/{large}/children"))
            .await
            .len(),
        121
    );
    let created: Value = api
        .http
        .post(control("/pages"))
        .json(&json!({"title": "Made by control", "parent_page_id": large}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(created["id"].is_string());
    let resp = api
        .http
        .post(control("/faults"))
        .json(&json!({"kind": "status", "status": 502, "count": 1}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    assert_eq!(api.get("/v1/users").await.0, 502);
    api.http
        .post(control("/rate_limit"))
        .json(&json!({"requests_per_second": 0.01, "burst": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.get("/v1/users").await.0, 200);
    assert_eq!(api.get("/v1/users").await.0, 429);
    api.http
        .post(control("/rate_limit"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.get("/v1/users").await.0, 200);
    let code: Value = api
        .http
        .post(control("/authorization_codes"))
        .json(&json!({"redirect_uri": "http://x/cb"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(code["code"].is_string());
    let dump: Value = api
        .http
        .get(control("/workspace"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dump["format"], "notion-emulator-workspace/1");
    api.http
        .post(control("/revoke"))
        .json(&json!({"access_token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.get_as(&token, "/v1/users").await.0, 401);
}
