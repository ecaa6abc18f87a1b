//! Rate limits, fault injection, counters, request validation and the query result cap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::Api;
use notion_emulator::{EmulatorConfig, Fault, FaultKind, RateLimit};
use serde_json::{Value, json};

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let api = Api::start(EmulatorConfig {
        rate_limit: Some(RateLimit {
            requests_per_second: 0.5,
            burst: 3,
        }),
        ..EmulatorConfig::default()
    })
    .await;
    for _ in 0..3 {
        let (status, _) = api.get("/v1/users/me").await;
        assert_eq!(status, 200);
    }
    let resp = api
        .req(reqwest::Method::GET, "/v1/users/me")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "retry-after {retry}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(body["object"], "error");
    assert!(body["request_id"].is_string());

    // Buckets are per connection.
    let other = api.emu().grant_all();
    let (status, _) = api.get_as(&other.access_token, "/v1/users/me").await;
    assert_eq!(status, 200);
    assert_eq!(api.emu().counters().rate_limited, 1);

    // Changeable at runtime.
    api.emu().set_rate_limit(None);
    for _ in 0..10 {
        let (status, _) = api.get("/v1/users/me").await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn injected_statuses_hangs_and_expired_cursors() {
    let api = Api::default().await;
    let emu = api.emu();
    emu.fail_next(Fault::status(503, 2).on_path("/v1/blocks").on_method("GET"));
    let page = emu.top_level_ids()[0].clone();
    let (status, _) = api.get(&format!("/v1/pages/{page}")).await;
    assert_eq!(status, 200, "other paths are untouched");
    for _ in 0..2 {
        let (status, e) = api.get(&format!("/v1/blocks/{page}/children")).await;
        assert_eq!(status, 503);
        assert_eq!(e["code"], "service_unavailable");
    }
    let (status, _) = api.get(&format!("/v1/blocks/{page}/children")).await;
    assert_eq!(status, 200);

    for (code, name) in [
        (500, "internal_server_error"),
        (502, "bad_gateway"),
        (504, "gateway_timeout"),
    ] {
        emu.fail_next(Fault::status(code, 1));
        let (status, e) = api.get("/v1/users/me").await;
        assert_eq!(status, code);
        assert_eq!(e["code"], name);
    }
    for code in [429, 529] {
        emu.fail_next(Fault::status(code, 1));
        let resp = api
            .req(reqwest::Method::GET, "/v1/users/me")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), code);
        assert!(resp.headers().contains_key("retry-after"));
    }

    emu.fail_next(Fault {
        count: 1,
        kind: FaultKind::Hang(Duration::from_millis(600)),
        path_prefix: Some("/v1/search".into()),
        method: None,
    });
    let quick = api
        .req(reqwest::Method::POST, "/v1/search")
        .json(&json!({}))
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(quick.is_err(), "the hang outlasts the client timeout");
    let started = std::time::Instant::now();
    let (status, _) = api.post("/v1/search", json!({})).await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "only one request hangs"
    );

    let large = emu.find_page("Large Page").unwrap();
    let (_, first) = api.get(&format!("/v1/blocks/{large}/children")).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    emu.fail_next(Fault::expire_cursor(1));
    let (status, e) = api
        .get(&format!(
            "/v1/blocks/{large}/children?start_cursor={cursor}"
        ))
        .await;
    assert_eq!(status, 400);
    assert_eq!(e["code"], "validation_error");
    assert!(e["message"].as_str().unwrap().contains("start_cursor"));
    let (status, _) = api
        .get(&format!(
            "/v1/blocks/{large}/children?start_cursor={cursor}"
        ))
        .await;
    assert_eq!(status, 200, "the fault is used up");
    emu.expire_cursors();
    let (status, _) = api
        .get(&format!(
            "/v1/blocks/{large}/children?start_cursor={cursor}"
        ))
        .await;
    assert_eq!(status, 400, "cursors from an older epoch expire");
}

#[tokio::test]
async fn counters_by_endpoint_and_token() {
    let api = Api::default().await;
    let emu = api.emu();
    emu.reset_counters();
    let page = emu.top_level_ids()[0].clone();
    api.get(&format!("/v1/blocks/{page}/children")).await;
    api.get(&format!("/v1/blocks/{page}/children")).await;
    api.post("/v1/search", json!({})).await;
    api.get("/v1/nowhere").await;
    let c = emu.counters();
    assert_eq!(c.total, 4);
    assert_eq!(c.endpoint("GET /v1/blocks/{id}/children"), 2);
    assert_eq!(c.endpoint("POST /v1/search"), 1);
    assert_eq!(c.by_token.get(&api.token.grant_id).copied(), Some(4));
    assert!(
        c.by_token.keys().all(|k| !k.contains("ntn_")),
        "no secrets in counter keys"
    );
    emu.reset_counters();
    assert_eq!(emu.counters().total, 0);

    // The control API serves the same numbers.
    api.get("/v1/users").await;
    let c: Value = api
        .http
        .get(api.url("/_emulator/counters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c["total"], 1);
    assert_eq!(c["by_endpoint"]["GET /v1/users"], 1);
}

fn para(text: &str) -> Value {
    json!({"type": "paragraph", "paragraph": {"rich_text": [{"type": "text", "text": {"content": text}}]}})
}

#[tokio::test]
async fn write_size_limits_are_validation_errors() {
    let api = Api::default().await;
    let page = api.emu().top_level_ids()[0].clone();
    let path = format!("/v1/blocks/{page}/children");

    let many: Vec<Value> = (0..101).map(|i| para(&format!("p{i}"))).collect();
    let (status, e) = api.patch(&path, json!({"children": many})).await;
    assert_eq!(status, 400);
    assert_eq!(e["code"], "validation_error");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("body.children.length should be ≤ `100`"),
        "{e}"
    );

    let deep = json!([{"type": "toggle", "toggle": {"rich_text": [], "children": [{"type": "toggle", "toggle": {"rich_text": [], "children": [para("x")]}}]}}]);
    let (status, e) = api.patch(&path, json!({"children": deep})).await;
    assert_eq!(status, 400);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("body.children[0].toggle.children[0].toggle.children"),
        "{e}"
    );

    let (status, e) = api
        .patch(&path, json!({"children": [para(&"a".repeat(2_001))]}))
        .await;
    assert_eq!(status, 400);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("body.children[0].paragraph.rich_text[0].text.content.length"),
        "{e}"
    );

    let long_url = format!("https://example.com/{}", "a".repeat(2_000));
    let link = json!({"type": "paragraph", "paragraph": {"rich_text": [{"type": "text", "text": {"content": "x", "link": {"url": long_url}}}]}});
    let (status, e) = api.patch(&path, json!({"children": [link]})).await;
    assert_eq!(status, 400);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("text.link.url.length")
    );

    let eq = json!({"type": "equation", "equation": {"expression": "x".repeat(1_001)}});
    let (status, _) = api.patch(&path, json!({"children": [eq]})).await;
    assert_eq!(status, 400);

    let items: Vec<Value> = (0..101)
        .map(|_| json!({"type": "text", "text": {"content": "a"}}))
        .collect();
    let (status, e) = api
        .patch(
            &path,
            json!({"children": [{"type": "paragraph", "paragraph": {"rich_text": items}}]}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("rich_text.length should be ≤ `100`")
    );

    let wide: Vec<Value> = (0..100).map(|_| json!({"type": "toggle", "toggle": {"rich_text": [], "children": (0..10).map(|_| para("x")).collect::<Vec<_>>()}})).collect();
    let (status, e) = api.patch(&path, json!({"children": wide})).await;
    assert_eq!(status, 400);
    assert!(e["message"].as_str().unwrap().contains("1000"));

    let big = "a".repeat(600 * 1024);
    let (status, e) = api.post("/v1/search", json!({"query": big})).await;
    assert_eq!(status, 400);
    assert_eq!(e["code"], "validation_error");

    // At the limits everything passes.
    let ok: Vec<Value> = (0..100).map(|_| para(&"b".repeat(2_000))).collect();
    let (status, appended) = api.patch(&path, json!({"children": ok})).await;
    assert_eq!(status, 200, "{appended}");
    assert_eq!(appended["results"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn query_result_cap_reports_incomplete() {
    let api = Api::start(EmulatorConfig {
        query_result_limit: 12,
        ..EmulatorConfig::default()
    })
    .await;
    let ds = api.emu().data_source_ids()[0].clone();
    let path = format!("/v1/data_sources/{ds}/query");
    let mut seen = 0;
    let mut cursor = None::<String>;
    let last = loop {
        let mut body = json!({"page_size": 5, "sorts": [{"timestamp": "created_time", "direction": "ascending"}]});
        if let Some(c) = &cursor {
            body["start_cursor"] = json!(c);
        }
        let (status, page) = api.post(&path, body).await;
        assert_eq!(status, 200);
        seen += page["results"].as_array().unwrap().len();
        if page["next_cursor"].is_null() {
            break page;
        }
        assert!(page.get("request_status").is_none());
        cursor = page["next_cursor"].as_str().map(str::to_string);
    };
    assert_eq!(seen, 12);
    assert_eq!(last["has_more"], false);
    assert_eq!(
        last["request_status"],
        json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"})
    );

    // Restarting with created_time.on_or_after the last row's value reaches the rest.
    let (_, everything) = api.post(&path, json!({"sorts": [{"timestamp": "created_time", "direction": "ascending"}], "page_size": 12})).await;
    let first_ids: std::collections::HashSet<String> = everything["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let last_created = everything["results"][11]["created_time"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, rest) = api
        .post(&path, json!({"filter": {"timestamp": "created_time", "created_time": {"on_or_after": last_created}}, "sorts": [{"timestamp": "created_time", "direction": "ascending"}], "page_size": 100}))
        .await;
    let mut union = first_ids.clone();
    for r in rest["results"].as_array().unwrap() {
        union.insert(r["id"].as_str().unwrap().to_string());
    }
    let live = api
        .emu()
        .row_ids(&ds)
        .iter()
        .filter(|id| api.emu().page_json(id).unwrap()["in_trash"] == false)
        .count();
    assert!(live > 12);
    assert!(
        union.len() > first_ids.len(),
        "the second window continues where the cap stopped"
    );
    assert!(
        rest["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["created_time"].as_str().unwrap() >= last_created.as_str())
    );
}

#[tokio::test]
async fn query_filters_and_sorts() {
    let api = Api::default().await;
    let ds = api.emu().data_source_ids()[0].clone();
    let path = format!("/v1/data_sources/{ds}/query");
    let (status, done) = api
        .post(&path, json!({"filter": {"and": [{"property": "Status", "status": {"equals": "Done"}}, {"property": "Done", "checkbox": {"equals": true}}]}}))
        .await;
    assert_eq!(status, 200, "{done}");
    let rows = done["results"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["properties"]["Status"]["status"]["name"] == "Done"
                && r["properties"]["Done"]["checkbox"] == true)
    );

    let (_, sorted) = api
        .post(
            &path,
            json!({"sorts": [{"property": "Estimate", "direction": "descending"}]}),
        )
        .await;
    let estimates: Vec<Option<i64>> = sorted["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["properties"]["Estimate"]["number"].as_i64())
        .collect();
    let present: Vec<i64> = estimates.iter().flatten().copied().collect();
    assert!(present.windows(2).all(|w| w[0] >= w[1]));
    assert!(
        estimates.last().unwrap().is_none(),
        "empty values sort last"
    );

    let (_, tagged) = api.post(&path, json!({"filter": {"or": [{"property": "Tags", "multi_select": {"contains": "docs"}}, {"property": "Name", "title": {"contains": "zzz-nothing"}}]}})).await;
    assert!(tagged["results"].as_array().unwrap().iter().all(|r| {
        r["properties"]["Tags"]["multi_select"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "docs")
    }));

    let (_, recent) = api.post(&path, json!({"filter": {"timestamp": "created_time", "created_time": {"on_or_after": "2020-01-01"}}})).await;
    let (_, all) = api.post(&path, json!({})).await;
    assert_eq!(
        recent["results"].as_array().unwrap().len(),
        all["results"].as_array().unwrap().len()
    );

    let (_, trashed) = api.post(&path, json!({"in_trash": true})).await;
    assert_eq!(trashed["results"].as_array().unwrap().len(), 1);

    let (status, e) = api
        .post(
            &path,
            json!({"filter": {"property": "Nope", "checkbox": {"equals": true}}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(e["code"], "validation_error");
}
