//! A connect session token opens the read routes a browser needs, for its own end user's
//! connections only, until the session expires; the API key still opens everything.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod connect_support;

use std::time::Duration;

use connect_support::Relay;
use relay_shared::connect::ConnectOptions;
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn get_as(relay: &Relay, token: &str, path: &str) -> reqwest::Response {
    relay
        .http
        .get(relay.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_session_reads_its_own_end_users_connections_only() {
    let relay = Relay::start().await;
    let ada = relay.connect("ada").await;
    let bob = relay.connect("bob").await;
    let token = ada.session_token.clone();
    let own = ada.connection_id();
    let other = bob.connection_id();

    for path in [
        format!("/connections/{own}"),
        format!("/connections/{own}/records?model=page"),
        format!("/connections/{own}/sync"),
    ] {
        let response = get_as(&relay, &token, &path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    for path in [
        format!("/connections/{other}"),
        format!("/connections/{other}/records?model=page"),
        format!("/connections/{other}/sync"),
    ] {
        let response = get_as(&relay, &token, &path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }

    // The listing is forced to the session's end user.
    let list: Value = get_as(&relay, &token, "/connections")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![own.to_string().as_str()]);
    let response = get_as(&relay, &token, "/connections?end_user_id=bob").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = get_as(&relay, &token, "/connections?end_user_id=ada").await;
    assert_eq!(response.status(), StatusCode::OK);

    // The API key still sees everyone.
    let all: Value = relay
        .api(Method::GET, "/connections")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["connections"].as_array().unwrap().len(), 2);
    let response = relay
        .api(Method::GET, &format!("/connections/{other}/sync"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_session_cannot_manage_connections() {
    let relay = Relay::start().await;
    let ada = relay.connect("ada").await;
    let own = ada.connection_id();
    let token = ada.session_token.clone();
    let delete = relay
        .http
        .delete(relay.url(&format!("/connections/{own}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::UNAUTHORIZED);
    let trigger = relay
        .http
        .post(relay.url(&format!("/connections/{own}/sync")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(trigger.status(), StatusCode::UNAUTHORIZED);
    let session = relay
        .http
        .post(relay.url("/connect/sessions"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"end_user_id": "ada", "return_url": connect_support::RETURN_URL}))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_and_expired_sessions_are_unauthorized() {
    let relay = Relay::start_with(ConnectOptions {
        session_ttl: Duration::from_millis(1500),
        ..ConnectOptions::default()
    })
    .await;
    let ada = relay.connect("ada").await;
    let own = ada.connection_id();
    let path = format!("/connections/{own}");
    assert_eq!(
        get_as(&relay, &ada.session_token, &path).await.status(),
        StatusCode::OK
    );
    let forged = "A".repeat(43);
    assert_eq!(
        get_as(&relay, &forged, &path).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        relay
            .http
            .get(relay.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    tokio::time::sleep(Duration::from_millis(1700)).await;
    let expired = get_as(&relay, &ada.session_token, &path).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let body: Value = expired.json().await.unwrap();
    assert!(
        !body.to_string().contains(&ada.session_token),
        "the answer never echoes the token"
    );
}

#[tokio::test]
async fn a_session_creates_pages_only_in_its_own_connections() {
    let relay = Relay::start().await;
    let ada = relay.connect("ada").await;
    let bob = relay.connect("bob").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = relay_shared::routes::pages_router(relay.ctx.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let create = |id: String, token: String| {
        let http = relay.http.clone();
        let url = format!("{base}/connections/{id}/pages");
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({"parent": {"page_id": "not-a-page"}, "title": 5}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let other = create(bob.connection_id().to_string(), ada.session_token.clone()).await;
    assert_eq!(other, StatusCode::NOT_FOUND);
    // Past the access check, the (invalid) body is what is refused.
    let own = create(ada.connection_id().to_string(), ada.session_token.clone()).await;
    assert_eq!(own, StatusCode::BAD_REQUEST);
    let anonymous = create(ada.connection_id().to_string(), "A".repeat(43)).await;
    assert_eq!(anonymous, StatusCode::UNAUTHORIZED);
    server.abort();
}
