//! The MCP endpoint with a real MCP client (rmcp over streamable HTTP) against an axum server on
//! a loopback port, backed by the emulator and a synced Relay: tool list (schemas, annotations),
//! every tool called, refusals (credentials, headers, hosts, arguments), and old protocol
//! revisions (2025-06-18).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod actions_support;
mod sync_support;

use std::collections::HashMap;

use actions_support::{data_source, markdown_input, some_page};
use http::{HeaderName, HeaderValue};
use relay_shared::mcp::{McpSettings, allowed_hosts};
use relay_shared::routes;
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Map, Value, json};
use sync_support::{Config, Harness};

struct Mcp {
    relay: Harness,
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Mcp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn start(sync: bool) -> Mcp {
    let relay = Harness::start(Config::default()).await;
    if sync {
        let report = relay.initial_sync().await;
        assert_eq!(report.failed, 0, "{report:?}");
    }
    let router = routes::mcp::router_with(
        relay.ctx.clone(),
        McpSettings {
            allowed_hosts: allowed_hosts(Some("relay.example.com"), ""),
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    Mcp { relay, url, server }
}

fn headers(connection_id: Option<String>) -> HashMap<HeaderName, HeaderValue> {
    let mut headers = HashMap::new();
    headers.insert(
        HeaderName::from_static("provider-config-key"),
        HeaderValue::from_static("notion"),
    );
    if let Some(id) = connection_id {
        headers.insert(
            HeaderName::from_static("connection-id"),
            HeaderValue::from_str(&id).unwrap(),
        );
    }
    headers
}

async fn client_with(
    mcp: &Mcp,
    key: &str,
    connection_id: Option<String>,
    config: ClientConfig,
) -> Result<RunningService<RoleClient, ClientConfig>, String> {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(mcp.url.clone())
            .auth_header(key.to_owned())
            .custom_headers(headers(connection_id)),
    );
    config
        .serve(transport)
        .await
        .map_err(|error| error.to_string())
}

async fn client(mcp: &Mcp) -> RunningService<RoleClient, ClientConfig> {
    client_with(
        mcp,
        &mcp.relay.api_key,
        Some(mcp.relay.connection_id.to_string()),
        ClientConfig::default(),
    )
    .await
    .unwrap()
}

async fn call(
    client: &RunningService<RoleClient, ClientConfig>,
    name: &'static str,
    arguments: Value,
) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    client
        .call_tool(CallToolRequestParams::new(name).with_arguments(arguments))
        .await
        .unwrap()
}

/// A successful call's structured content (and its text rendering is not empty).
async fn ok(
    client: &RunningService<RoleClient, ClientConfig>,
    name: &'static str,
    arguments: Value,
) -> Value {
    let result = call(client, name, arguments.clone()).await;
    assert_ne!(
        result.is_error,
        Some(true),
        "{name} {arguments}: {result:?}"
    );
    let text = result.content[0].as_text().unwrap().text.clone();
    assert!(!text.is_empty());
    result.structured_content.unwrap()
}

/// A tool error whose text names `field`.
async fn tool_error(
    client: &RunningService<RoleClient, ClientConfig>,
    name: &'static str,
    arguments: Value,
    needle: &str,
) {
    let result = call(client, name, arguments.clone()).await;
    assert_eq!(
        result.is_error,
        Some(true),
        "{name} {arguments}: {result:?}"
    );
    let text = &result.content[0].as_text().unwrap().text;
    assert!(
        text.contains(needle),
        "{name}: expected {needle:?} in {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_tools_with_schemas_and_annotations() {
    let mcp = start(false).await;
    let client = client(&mcp).await;
    let info = client.peer_info().unwrap();
    assert_eq!(info.server_info.as_ref().unwrap().name, "notion-relay");
    // rmcp's default client: the newest revision that still has an initialize handshake.
    assert_eq!(
        info.protocol_version,
        ProtocolVersion::LATEST_WITH_INITIALIZE
    );
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "search",
            "get_page",
            "query_data_source",
            "list_data_sources",
            "create_page",
            "create_row",
            "append_to_page",
            "add_comment"
        ]
    );
    for tool in &tools {
        let annotations = tool.annotations.as_ref().unwrap();
        let read_only = matches!(
            tool.name.as_ref(),
            "search" | "get_page" | "query_data_source" | "list_data_sources"
        );
        assert_eq!(annotations.read_only_hint, Some(read_only), "{}", tool.name);
        assert_eq!(annotations.destructive_hint, Some(false), "{}", tool.name);
        assert_eq!(
            annotations.idempotent_hint,
            Some(read_only),
            "{}",
            tool.name
        );
        assert_eq!(tool.input_schema["type"], "object");
        assert_eq!(tool.output_schema.as_ref().unwrap()["type"], "object");
        assert!(tool.description.as_ref().unwrap().len() > 40);
    }
    // The same schema as the actions route publishes.
    let (_, catalog) = mcp.relay.get("/actions").await;
    let create_page = tools.iter().find(|t| t.name == "create_page").unwrap();
    assert_eq!(
        Value::Object((*create_page.input_schema).clone()),
        catalog["actions"][4]["input_schema"]
    );
    let required = create_page.input_schema["required"].as_array().unwrap();
    assert!(required.contains(&json!("parent")) && required.contains(&json!("title")));
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_works_against_the_emulator() {
    let mcp = start(true).await;
    let relay = &mcp.relay;
    let client = client(&mcp).await;
    let (parent_title, parent_id) = some_page(relay).await;

    // The worked example: find the parent by name, create a page under it, read it back.
    let found = ok(
        &client,
        "search",
        json!({"query": parent_title, "kind": "page", "limit": 5}),
    )
    .await;
    assert_eq!(found["results"][0]["id"], parent_id.as_str(), "{found}");
    let created = ok(
        &client,
        "create_page",
        json!({"parent": {"page_id": parent_id}, "title": "Meeting notes",
               "markdown": markdown_input("Meeting notes"), "idempotency_key": "mcp-test-1"}),
    )
    .await;
    let page_id = created["id"].as_str().unwrap().to_owned();
    let read = ok(
        &client,
        "get_page",
        json!({"page_id": page_id, "include_block_ids": true}),
    )
    .await;
    assert_eq!(read["title"], "Meeting notes");
    assert!(
        read["markdown"]
            .as_str()
            .unwrap()
            .contains("Written by the **actions** test"),
        "{read}"
    );
    let first_block = read["blocks"][0]["id"].as_str().unwrap().to_owned();

    let appended = ok(
        &client,
        "append_to_page",
        json!({"page_id": page_id, "markdown": "Appended line"}),
    )
    .await;
    assert_eq!(appended["blocks_written"], 1);

    let sources = ok(&client, "list_data_sources", json!({"query": "tasks"})).await;
    let tasks = sources["data_sources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(tasks, data_source(relay, "Tasks").await);
    let rows = ok(
        &client,
        "query_data_source",
        json!({"data_source_id": tasks, "filter": [{"property": "Done", "operator": "equals", "value": true}], "limit": 3}),
    )
    .await;
    let rows = rows["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.len() <= 3);
    assert!(rows.iter().all(|row| row["properties"]["Done"] == true));

    let row = ok(
        &client,
        "create_row",
        json!({"data_source_id": tasks, "title": "From an agent", "properties": {"Priority": "High"}}),
    )
    .await;
    let row = ok(&client, "get_page", json!({"page_id": row["id"]})).await;
    assert_eq!(row["properties"]["Priority"], "High");

    let comment = ok(
        &client,
        "add_comment",
        json!({"block_id": first_block, "markdown": "On this block"}),
    )
    .await;
    assert!(comment["id"].is_string());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_arguments_and_notion_problems_are_tool_errors() {
    let mcp = start(true).await;
    let client = client(&mcp).await;
    tool_error(&client, "get_page", json!({}), "page_id").await;
    tool_error(
        &client,
        "get_page",
        json!({"page_id": "x", "extra": 1}),
        "extra",
    )
    .await;
    tool_error(&client, "search", json!({"limit": 1000}), "limit").await;
    tool_error(
        &client,
        "create_page",
        json!({"parent": {"page_id": uuid::Uuid::new_v4()}}),
        "title",
    )
    .await;
    tool_error(
        &client,
        "get_page",
        json!({"page_id": uuid::Uuid::new_v4()}),
        "not shared",
    )
    .await;
    let tasks = data_source(&mcp.relay, "Tasks").await;
    tool_error(
        &client,
        "query_data_source",
        json!({"data_source_id": tasks, "filter": [{"property": "Nope", "operator": "equals", "value": 1}]}),
        "filter[0].property",
    )
    .await;
    // An unknown tool is a protocol error.
    let Value::Object(empty) = json!({}) else {
        unreachable!()
    };
    let unknown = client
        .call_tool(CallToolRequestParams::new("drop_workspace").with_arguments(empty))
        .await;
    assert!(unknown.is_err());
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_missing_headers_are_refused() {
    let mcp = start(false).await;
    let relay = &mcp.relay;
    let id = Some(relay.connection_id.to_string());

    // With the MCP client: the handshake fails.
    assert!(
        client_with(&mcp, "wrong-key", id.clone(), ClientConfig::default())
            .await
            .is_err()
    );
    assert!(
        client_with(&mcp, &relay.api_key, None, ClientConfig::default())
            .await
            .is_err()
    );

    // Raw: clear HTTP answers with the JSON error shape.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}});
    let post = |key: Option<&str>, connection: Option<String>, provider: &str| {
        let mut request = relay
            .http
            .post(&mcp.url)
            .header("accept", "application/json, text/event-stream")
            .header("provider-config-key", provider)
            .json(&initialize);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(connection) = connection {
            request = request.header("connection-id", connection);
        }
        request.send()
    };
    let expect = |response: reqwest::Response, status: u16, code: &'static str| async move {
        assert_eq!(response.status().as_u16(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    };
    expect(
        post(None, id.clone(), "notion").await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    expect(
        post(Some("wrong"), id.clone(), "notion").await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    expect(
        post(Some(&relay.api_key), None, "notion").await.unwrap(),
        400,
        "invalid_request",
    )
    .await;
    expect(
        post(Some(&relay.api_key), Some("x".into()), "notion")
            .await
            .unwrap(),
        400,
        "invalid_request",
    )
    .await;
    expect(
        post(Some(&relay.api_key), id.clone(), "github")
            .await
            .unwrap(),
        400,
        "invalid_request",
    )
    .await;
    expect(
        post(
            Some(&relay.api_key),
            Some(uuid::Uuid::new_v4().to_string()),
            "notion",
        )
        .await
        .unwrap(),
        404,
        "not_found",
    )
    .await;

    // A connection in needs_reauth.
    let mut connection = relay
        .ctx
        .adapters
        .connections
        .get(&relay.connection_id)
        .await
        .unwrap()
        .unwrap();
    connection.status = relay_shared::domain::ConnectionStatus::NeedsReauth;
    relay
        .ctx
        .adapters
        .connections
        .put(&connection)
        .await
        .unwrap();
    expect(
        post(Some(&relay.api_key), id.clone(), "notion")
            .await
            .unwrap(),
        409,
        "needs_reauth",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_revisions_old_and_new_and_the_host_check() {
    let mcp = start(false).await;
    let relay = &mcp.relay;
    // The newest revision (2026-07-28): server/discover, per-request metadata, no initialize.
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(mcp.url.clone())
            .auth_header(relay.api_key.clone())
            .custom_headers(headers(Some(relay.connection_id.to_string()))),
    );
    let client = ClientConfig::default()
        .serve_with_lifecycle(
            transport,
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .unwrap();
    assert_eq!(client.list_all_tools().await.unwrap().len(), 8);
    let found = ok(&client, "list_data_sources", json!({"limit": 1})).await;
    assert_eq!(found["data_sources"].as_array().unwrap().len(), 1);
    client.cancel().await.unwrap();

    // rmcp's client speaking 2025-06-18.
    let client = client_with(
        &mcp,
        &relay.api_key,
        Some(relay.connection_id.to_string()),
        ClientConfig::default().with_protocol_version(ProtocolVersion::V_2025_06_18),
    )
    .await
    .unwrap();
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2025_06_18
    );
    assert_eq!(client.list_all_tools().await.unwrap().len(), 8);
    let found = ok(&client, "search", json!({"query": ""})).await;
    assert_eq!(found["source"], "notion");
    client.cancel().await.unwrap();

    // Raw JSON-RPC, as a 2025-06-18 client sends it: JSON answers, no session.
    let post = |body: Value, host: Option<&str>| {
        let mut request = relay
            .http
            .post(&mcp.url)
            .bearer_auth(&relay.api_key)
            .header("connection-id", relay.connection_id.to_string())
            .header("provider-config-key", "notion")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18")
            .json(&body);
        if let Some(host) = host {
            request = request.header("host", host);
        }
        request.send()
    };
    let response = post(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(response.headers().get("mcp-session-id").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["protocolVersion"], "2025-06-18", "{body}");
    assert!(body["result"]["capabilities"]["tools"].is_object());

    let response = post(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "list_data_sources", "arguments": {"limit": 2}}}),
        None,
    )
    .await
    .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["result"]["isError"], false, "{body}");
    assert_eq!(
        body["result"]["structuredContent"]["data_sources"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The configured public host passes, a foreign one does not.
    let mut tools = Map::new();
    tools.insert("jsonrpc".into(), json!("2.0"));
    tools.insert("id".into(), json!(3));
    tools.insert("method".into(), json!("tools/list"));
    let response = post(Value::Object(tools.clone()), Some("relay.example.com"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = post(Value::Object(tools), Some("evil.example.net"))
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}
