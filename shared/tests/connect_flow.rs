//! The connect flow and the token lifecycle end to end over HTTP: Relay's oauth and api routers on
//! 127.0.0.1 over embedded adapters, against the Notion emulator's real OAuth endpoints.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod connect_support;

use std::time::Duration;

use connect_support::{RETURN_URL, Relay, location, param};
use relay_shared::connect::{ConnectOptions, TokenError, TokenFingerprint, TokenManager};
use relay_shared::domain::{
    ConnectionId, ConnectionStatus, EndUserId, RecordId, RecordKey, RecordModel, RecordUpsert,
    SyncJob, SyncReason, TokenPair,
};
use relay_shared::notion::NotionError;
use relay_shared::secret::SecretString;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const TOKEN_ENDPOINT: &str = "POST /v1/oauth/token";

async fn error_body(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"]["code"].as_str().unwrap().to_owned(),
        body["error"]["message"].as_str().unwrap().to_owned(),
    )
}

async fn received_jobs(relay: &Relay) -> Vec<relay_shared::domain::ReceivedJob> {
    relay
        .ctx
        .adapters
        .queue
        .receive(10, Duration::from_secs(30), Duration::from_millis(50))
        .await
        .unwrap()
}

#[tokio::test]
async fn full_connect_flow_stores_the_connection_and_queues_the_initial_sync() {
    let relay = Relay::start().await;
    let session = relay.create_session("user-1").await;
    let token = session["session_token"].as_str().unwrap();
    assert!(token.len() >= 43, "at least 32 random bytes");
    assert_eq!(
        session["connect_url"].as_str().unwrap(),
        format!("{}/connect/notion?session_token={token}", relay.base)
    );
    let expires = time::OffsetDateTime::parse(
        session["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let minutes = (expires - time::OffsetDateTime::now_utc()).whole_minutes();
    assert!((28..=30).contains(&minutes), "{minutes}");

    let journey = relay.connect("user-1").await;
    // Relay -> Notion's authorize URL with every required parameter.
    let authorize = &journey.authorize_url;
    assert!(authorize.as_str().starts_with(&relay.running.base_url));
    assert_eq!(authorize.path(), "/v1/oauth/authorize");
    assert_eq!(
        param(authorize, "client_id").unwrap(),
        relay.emu.oauth_app().client_id
    );
    assert_eq!(param(authorize, "response_type").unwrap(), "code");
    assert_eq!(param(authorize, "owner").unwrap(), "user");
    assert_eq!(
        param(authorize, "redirect_uri").unwrap(),
        format!("{}/oauth/callback", relay.base)
    );
    let state = param(authorize, "state").unwrap();
    assert!(state.len() >= 43);
    // Notion -> Relay's callback with the code and the same state.
    assert!(
        journey
            .callback_url
            .as_str()
            .starts_with(&relay.url("/oauth/callback"))
    );
    assert_eq!(param(&journey.callback_url, "state").unwrap(), state);
    assert!(param(&journey.callback_url, "code").is_some());
    // Relay -> the return URL with the connection id.
    assert!(journey.final_url.as_str().starts_with(RETURN_URL));
    assert_eq!(param(&journey.final_url, "status").unwrap(), "connected");
    let id = journey.connection_id();

    let stored = relay.stored(&id).await.unwrap();
    assert_eq!(stored.status, ConnectionStatus::Active);
    assert_eq!(stored.end_user.id.as_str(), "user-1");
    assert_eq!(stored.end_user.email.as_deref(), Some("ada@example.test"));
    assert_eq!(stored.workspace.id, relay.emu.workspace_id());
    assert_eq!(
        stored.workspace.name.as_deref(),
        Some(relay.emu.workspace_name().as_str())
    );
    assert!(!stored.bot_id.is_empty());
    assert_eq!(stored.owner["type"], "user");
    assert!(
        stored.next_sync_at.unwrap() > time::OffsetDateTime::now_utc() + Duration::from_secs(60)
    );
    // The stored tokens are ciphertext, and they open to a working access token.
    let pair = relay.tokens(&id).await;
    let stored_json = serde_json::to_string(&stored).unwrap();
    assert!(!stored_json.contains(pair.access.expose()));
    let me = relay
        .ctx
        .notion
        .connection(&id.to_string(), pair.access.clone())
        .me()
        .await;
    assert!(me.is_ok(), "{me:?}");

    // The initial sync is on the queue, in the connection's group.
    let jobs = received_jobs(&relay).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].group, id);
    let job: SyncJob = serde_json::from_value(jobs[0].body.clone()).unwrap();
    assert!(matches!(
        job,
        SyncJob::Sync { connection_id, reason: SyncReason::Initial, full: true, .. } if connection_id == id
    ));

    // The API shows it, without tokens.
    let response = relay
        .api(Method::GET, &format!("/connections/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(!text.contains(pair.access.expose()));
    assert!(!text.contains("tokens"));
    let view: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(view["id"], id.to_string());
    assert_eq!(view["status"], "active");
    assert_eq!(view["workspace"]["id"], relay.emu.workspace_id());
    assert_eq!(view["end_user"]["id"], "user-1");
    assert!(view["created_at"].is_string());
    assert!(view["updated_at"].is_string());
    assert!(view.get("last_sync").is_some());

    let list: Value = relay
        .api(Method::GET, "/connections?end_user_id=user-1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["connections"].as_array().unwrap().len(), 1);
    let other: Value = relay
        .api(Method::GET, "/connections?end_user_id=someone-else")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other["connections"].as_array().unwrap().len(), 0);
    let all: Value = relay
        .api(Method::GET, "/connections?limit=10")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["connections"][0]["id"], id.to_string());
}

#[tokio::test]
async fn a_replayed_or_forged_state_is_refused_and_stores_nothing_more() {
    let relay = Relay::start().await;
    let (_, authorize_url) = relay.begin("user-r").await;
    let callback_url = relay.authorize(&authorize_url).await;
    let first = relay.callback(&callback_url).await;
    assert_eq!(param(&location(&first), "status").unwrap(), "connected");

    let replay = relay.callback(&callback_url).await;
    let (status, code, _) = error_body(replay).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code, "invalid_state");

    // A browser gets a readable page instead of JSON.
    let page = relay
        .http
        .get(callback_url.clone())
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("already used"));

    let forged = relay
        .http
        .get(relay.url(&format!("/oauth/callback?code=c&state={}", "A".repeat(43))))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(forged).await.1, "invalid_state");

    let user = EndUserId::parse("user-r").unwrap();
    let connections = relay
        .ctx
        .adapters
        .connections
        .list_by_end_user(&user)
        .await
        .unwrap();
    assert_eq!(connections.len(), 1);
}

#[tokio::test]
async fn an_expired_state_or_session_is_refused() {
    let relay = Relay::start_with(ConnectOptions {
        session_ttl: Duration::from_secs(2),
        state_ttl: Duration::from_millis(300),
        ..ConnectOptions::default()
    })
    .await;
    let (session_token, authorize_url) = relay.begin("user-e").await;
    let callback_url = relay.authorize(&authorize_url).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let response = relay.callback(&callback_url).await;
    let (status, code, _) = error_body(response).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_state")
    );
    let user = EndUserId::parse("user-e").unwrap();
    assert!(
        relay
            .ctx
            .adapters
            .connections
            .list_by_end_user(&user)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(received_jobs(&relay).await.is_empty());

    tokio::time::sleep(Duration::from_millis(1_700)).await;
    let response = relay
        .http
        .get(relay.url(&format!("/connect/notion?session_token={session_token}")))
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_body(response).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "session_not_found")
    );
}

#[tokio::test]
async fn a_denial_is_reported_to_the_return_url() {
    let relay = Relay::start().await;
    relay.emu.set_auto_approve(false);
    let (_, authorize_url) = relay.begin("user-d").await;
    // The emulator shows its consent page; the user clicks Cancel.
    let page = relay.http.get(authorize_url.clone()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let state = param(&authorize_url, "state").unwrap();
    let redirect_uri = param(&authorize_url, "redirect_uri").unwrap();
    let client_id = param(&authorize_url, "client_id").unwrap();
    let denied = relay
        .http
        .post(format!("{}/v1/oauth/authorize", relay.running.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("client_id", &client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("state", &state)
                .append_pair("decision", "deny")
                .finish(),
        )
        .send()
        .await
        .unwrap();
    let callback_url = location(&denied);
    assert_eq!(param(&callback_url, "error").unwrap(), "access_denied");
    let back = location(&relay.callback(&callback_url).await);
    assert!(back.as_str().starts_with(RETURN_URL));
    assert_eq!(param(&back, "error").unwrap(), "access_denied");
    assert!(param(&back, "connection_id").is_none());
    let user = EndUserId::parse("user-d").unwrap();
    assert!(
        relay
            .ctx
            .adapters
            .connections
            .list_by_end_user(&user)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(relay.emu.counters().endpoint(TOKEN_ENDPOINT), 0);
}

#[tokio::test]
async fn a_failed_exchange_redirects_with_an_error_and_stores_nothing() {
    let relay = Relay::start().await;
    let (_, authorize_url) = relay.begin("user-f").await;
    let state = param(&authorize_url, "state").unwrap();
    let response = relay
        .callback(
            &relay
                .url(&format!(
                    "/oauth/callback?code=not-a-real-code&state={state}"
                ))
                .parse()
                .unwrap(),
        )
        .await;
    let back = location(&response);
    assert_eq!(param(&back, "error").unwrap(), "invalid_grant");
    let user = EndUserId::parse("user-f").unwrap();
    assert!(
        relay
            .ctx
            .adapters
            .connections
            .list_by_end_user(&user)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(received_jobs(&relay).await.is_empty());
    // A callback without a code after a valid state is reported too.
    let (_, authorize_url) = relay.begin("user-f").await;
    let state = param(&authorize_url, "state").unwrap();
    let response = relay
        .callback(
            &relay
                .url(&format!("/oauth/callback?state={state}"))
                .parse()
                .unwrap(),
        )
        .await;
    assert_eq!(
        param(&location(&response), "error").unwrap(),
        "missing_code"
    );
}

#[tokio::test]
async fn reconnecting_keeps_one_connection_and_restores_needs_reauth() {
    let relay = Relay::start().await;
    let first = relay.connect("user-c").await.connection_id();
    let old_pair = relay.tokens(&first).await;
    // Notion revokes the tokens; the next use moves the connection to needs_reauth.
    relay.emu.revoke(old_pair.access.expose());
    let manager = TokenManager::new(relay.ctx.clone());
    let error = manager
        .call(&first, |client| async move { client.me().await })
        .await;
    assert!(
        matches!(error, Err(TokenError::NeedsReauth { .. })),
        "{error:?}"
    );
    assert_eq!(
        relay.stored(&first).await.unwrap().status,
        ConnectionStatus::NeedsReauth
    );

    let again = relay.connect("user-c").await;
    assert_eq!(again.connection_id(), first);
    let restored = relay.stored(&first).await.unwrap();
    assert_eq!(restored.status, ConnectionStatus::Active);
    assert_eq!(restored.status_reason, None);
    let new_pair = relay.tokens(&first).await;
    assert_ne!(new_pair.access.expose(), old_pair.access.expose());
    let user = EndUserId::parse("user-c").unwrap();
    assert_eq!(
        relay
            .ctx
            .adapters
            .connections
            .list_by_end_user(&user)
            .await
            .unwrap()
            .len(),
        1
    );
    manager
        .call(&first, |client| async move { client.me().await })
        .await
        .unwrap();

    // Another end user on the same workspace gets a connection of their own.
    let other = relay.connect("user-c2").await.connection_id();
    assert_ne!(other, first);
}

#[tokio::test]
async fn eight_concurrent_workers_cause_exactly_one_refresh() {
    let relay = Relay::start().await;
    let id = relay.connect("user-8").await.connection_id();
    // Make the stored access token dead while the stored refresh token stays good: rotate the
    // pair at the emulator and store the old access token with the new refresh token.
    let original = relay.tokens(&id).await;
    let app = relay.emu.oauth_app();
    let oauth = relay.ctx.notion.oauth(
        app.client_id.clone(),
        SecretString::new(app.client_secret.clone()),
    );
    let rotated = oauth
        .refresh(original.refresh.as_ref().unwrap())
        .await
        .unwrap();
    let stale = TokenPair {
        access: original.access.clone(),
        refresh: rotated.refresh_token.clone(),
    };
    relay.store_tokens(&id, &stale).await;
    let dead = relay
        .ctx
        .notion
        .connection("probe", original.access.clone())
        .me()
        .await;
    assert!(
        matches!(dead, Err(NotionError::Unauthorized { .. })),
        "{dead:?}"
    );
    relay.emu.reset_counters();

    // Eight workers, each with its own manager (as if in separate processes), start together.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let manager = TokenManager::new(relay.ctx.clone());
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            manager
                .call(&id, |client| async move { client.me().await })
                .await
                .map(|_| ())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let counters = relay.emu.counters();
    assert_eq!(
        counters.endpoint(TOKEN_ENDPOINT),
        1,
        "{:?}",
        counters.by_endpoint
    );
    let current = relay.stored(&id).await.unwrap();
    assert_eq!(current.status, ConnectionStatus::Active);
    let newest = relay.tokens(&id).await;
    assert_ne!(newest.access.expose(), original.access.expose());
    let newest_refresh = newest.refresh.clone().unwrap();
    assert_ne!(
        newest_refresh.expose(),
        rotated.refresh_token.as_ref().unwrap().expose()
    );

    // The stored refresh token is the newest: the next refresh through the manager works.
    let manager = TokenManager::new(relay.ctx.clone());
    let client = manager
        .refresh_after_unauthorized(&id, &TokenFingerprint::of(&newest.access))
        .await
        .unwrap();
    client.me().await.unwrap();
    assert_eq!(relay.emu.counters().endpoint(TOKEN_ENDPOINT), 2);
    // ... and the token it rotated away from is never sent again.
    let stale_again = manager
        .refresh_after_unauthorized(&id, &TokenFingerprint::of(&newest.access))
        .await
        .unwrap();
    stale_again.me().await.unwrap();
    assert_eq!(relay.emu.counters().endpoint(TOKEN_ENDPOINT), 2);
    assert_eq!(
        relay.stored(&id).await.unwrap().status,
        ConnectionStatus::Active
    );
}

#[tokio::test]
async fn a_revoked_token_ends_in_needs_reauth() {
    let relay = Relay::start().await;
    let id = relay.connect("user-v").await.connection_id();
    let pair = relay.tokens(&id).await;
    relay.emu.revoke(pair.access.expose());
    let manager = TokenManager::new(relay.ctx.clone());
    let result = manager
        .call(&id, |client| async move { client.me().await })
        .await;
    assert!(
        matches!(&result, Err(TokenError::NeedsReauth { reason, .. }) if reason == "invalid_grant"),
        "{result:?}"
    );
    let stored = relay.stored(&id).await.unwrap();
    assert_eq!(stored.status, ConnectionStatus::NeedsReauth);
    assert_eq!(stored.status_reason.as_deref(), Some("invalid_grant"));
    assert!(stored.due_at().is_none(), "syncs skip it");
    assert!(matches!(
        manager.client_for(&id).await,
        Err(TokenError::NeedsReauth { .. })
    ));
    let view: Value = relay
        .api(Method::GET, &format!("/connections/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "needs_reauth");
    assert_eq!(view["status_reason"], "invalid_grant");
}

#[tokio::test]
async fn delete_revokes_at_notion_and_purges_everything() {
    let relay = Relay::start().await;
    let id = relay.connect("user-x").await.connection_id();
    let pair = relay.tokens(&id).await;
    let record_id = RecordId::parse("page-1").unwrap();
    relay
        .ctx
        .adapters
        .records
        .upsert(
            &id,
            &RecordModel::Page,
            RecordUpsert::new(record_id.clone(), json!({"title": "x"}), None),
        )
        .await
        .unwrap();
    relay
        .ctx
        .adapters
        .sync_state
        .put_checkpoint(&id, &json!({"cursor": 1}), None)
        .await
        .unwrap();

    let response = relay
        .api(Method::DELETE, &format!("/connections/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let after = relay
        .ctx
        .notion
        .connection("probe", pair.access.clone())
        .me()
        .await;
    assert!(
        matches!(after, Err(NotionError::Unauthorized { .. })),
        "{after:?}"
    );
    assert_eq!(relay.emu.counters().endpoint("POST /v1/oauth/revoke"), 1);
    assert!(relay.stored(&id).await.is_none());
    let key = RecordKey {
        connection_id: id,
        model: RecordModel::Page,
        record_id,
    };
    assert!(
        relay
            .ctx
            .adapters
            .records
            .get(&key)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        relay
            .ctx
            .adapters
            .sync_state
            .get_checkpoint(&id)
            .await
            .unwrap()
            .is_none()
    );
    let user = EndUserId::parse("user-x").unwrap();
    assert!(
        relay
            .ctx
            .adapters
            .connections
            .list_by_end_user(&user)
            .await
            .unwrap()
            .is_empty()
    );

    let gone = relay
        .api(Method::GET, &format!("/connections/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let again = relay
        .api(Method::DELETE, &format!("/connections/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let manager = TokenManager::new(relay.ctx.clone());
    assert!(matches!(
        manager.client_for(&id).await,
        Err(TokenError::NotFound(_))
    ));
}

#[tokio::test]
async fn every_route_refuses_missing_or_wrong_credentials() {
    let relay = Relay::start().await;
    let id = ConnectionId::random();
    let cases = [
        (Method::POST, "/connect/sessions".to_owned()),
        (Method::GET, "/connections".to_owned()),
        (Method::GET, format!("/connections/{id}")),
        (Method::DELETE, format!("/connections/{id}")),
    ];
    for (method, path) in cases {
        for auth in [
            None,
            Some("Bearer wrong-key"),
            Some("Basic abc"),
            Some("Bearer "),
        ] {
            let mut request = relay.http.request(method.clone(), relay.url(&path));
            if let Some(value) = auth {
                request = request.header("authorization", value);
            }
            let response = request
                .json(&json!({"end_user_id": "u", "return_url": RETURN_URL}))
                .send()
                .await
                .unwrap();
            let (status, code, _) = error_body(response).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} {auth:?}");
            assert_eq!(code, "unauthorized");
        }
    }
}

#[tokio::test]
async fn malformed_input_is_a_400_naming_the_field() {
    let relay = Relay::start().await;
    let sessions = [
        (json!({"return_url": RETURN_URL}), "end_user.id"),
        (
            json!({"end_user": {"id": ""}, "return_url": RETURN_URL}),
            "end_user.id",
        ),
        (
            json!({"end_user": {"id": "u", "email": "x"}, "return_url": RETURN_URL}),
            "end_user.email",
        ),
        (json!({"end_user_id": "u"}), "return_url"),
        (
            json!({"end_user_id": "u", "return_url": "https://evil.test/settings/notion"}),
            "return_url",
        ),
        (
            json!({"end_user_id": "u", "return_url": "http://app.test/settings/notion-evil"}),
            "return_url",
        ),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (body, field) in sessions {
        let response = relay
            .api(Method::POST, "/connect/sessions")
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, code, message) = error_body(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code, "invalid_request");
        assert!(
            message.starts_with(&format!("{field}:")),
            "{message} for {body}"
        );
    }
    // Flat end_user_id and an allow-listed prefix are accepted.
    let ok = relay
        .api(Method::POST, "/connect/sessions")
        .json(
            &json!({"end_user_id": "u", "return_url": "http://app.test/settings/notion/done?x=1"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);

    let bad_id = relay
        .api(Method::GET, "/connections/not-a-uuid")
        .send()
        .await
        .unwrap();
    let (status, _, message) = error_body(bad_id).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.starts_with("id:"), "{message}");
    let bad_delete = relay
        .api(Method::DELETE, "/connections/123")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_delete.status(), StatusCode::BAD_REQUEST);
    let unknown = relay
        .api(
            Method::GET,
            &format!("/connections/{}", ConnectionId::random()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(unknown).await.1, "not_found");
    for (query, field) in [
        ("limit=0", "limit"),
        ("after=x", "after"),
        ("end_user_id=", "end_user_id"),
    ] {
        let response = relay
            .api(Method::GET, &format!("/connections?{query}"))
            .send()
            .await
            .unwrap();
        let (status, _, message) = error_body(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.starts_with(&format!("{field}:")), "{message}");
    }

    let no_token = relay
        .http
        .get(relay.url("/connect/notion"))
        .send()
        .await
        .unwrap();
    let (status, _, message) = error_body(no_token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.starts_with("session_token:"), "{message}");
    let unknown_session = relay
        .http
        .get(relay.url(&format!("/connect/notion?session_token={}", "x".repeat(43))))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_session.status(), StatusCode::NOT_FOUND);
    let no_state = relay
        .http
        .get(relay.url("/oauth/callback?code=abc"))
        .send()
        .await
        .unwrap();
    let (status, _, message) = error_body(no_state).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.starts_with("state:"), "{message}");
}
