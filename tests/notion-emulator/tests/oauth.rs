//! OAuth: consent, code exchange, rotation, invalid_grant, introspection, revocation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, assert_same_keys, fixture, send};
use notion_emulator::{EmulatorConfig, OAuthApp};
use serde_json::{Value, json};

const REDIRECT: &str = "http://127.0.0.1:9999/oauth/callback";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn token(api: &Api, app: &OAuthApp, body: Value) -> (u16, Value) {
    send(
        api.http
            .post(api.url("/v1/oauth/token"))
            .basic_auth(&app.client_id, Some(&app.client_secret))
            .json(&body),
    )
    .await
}

fn query_param(location: &str, key: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn auto_approve_then_single_use_code() {
    let api = Api::default().await;
    let app = api.emu().oauth_app();
    let authorize = format!(
        "/v1/oauth/authorize?client_id={}&response_type=code&owner=user&redirect_uri={}&state=xyz",
        app.client_id,
        urlencode(REDIRECT)
    );
    let resp = no_redirects()
        .get(api.url(&authorize))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(REDIRECT));
    assert_eq!(query_param(&location, "state").as_deref(), Some("xyz"));
    let code = query_param(&location, "code").unwrap();

    let (status, bad) = token(&api, &app, json!({"grant_type": "authorization_code", "code": code, "redirect_uri": "http://elsewhere/cb"})).await;
    assert_eq!(status, 400);
    assert_eq!(bad["code"], "invalid_grant");

    let (status, t) = token(
        &api,
        &app,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}),
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let recorded = fixture("oauth-token-response-redacted.json");
    let ours: std::collections::BTreeSet<_> = common::keys(&t);
    for k in common::keys(&recorded) {
        assert!(ours.contains(&k), "token response lacks {k}");
    }
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["owner"]["type"], "user");
    assert_eq!(t["owner"]["user"]["type"], "person");
    assert_eq!(t["workspace_id"], api.emu().workspace_id());
    assert!(t["refresh_token"].is_string());

    let access = t["access_token"].as_str().unwrap();
    let (status, _) = api.get_as(access, "/v1/users/me").await;
    assert_eq!(status, 200);

    let (status, replay) = token(
        &api,
        &app,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(replay["object"], "error");
    assert_eq!(replay["code"], "invalid_grant");
}

#[tokio::test]
async fn refresh_rotates_and_replay_is_invalid_grant() {
    let api = Api::default().await;
    let app = api.emu().oauth_app();
    let code = api.emu().authorization_code(None, REDIRECT);
    let (_, first) = token(
        &api,
        &app,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}),
    )
    .await;
    let old_access = first["access_token"].as_str().unwrap().to_string();
    let old_refresh = first["refresh_token"].as_str().unwrap().to_string();

    let (status, second) = token(
        &api,
        &app,
        json!({"grant_type": "refresh_token", "refresh_token": old_refresh}),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let new_access = second["access_token"].as_str().unwrap().to_string();
    assert_ne!(new_access, old_access);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["bot_id"], first["bot_id"]);

    let (status, e) = api.get_as(&old_access, "/v1/users/me").await;
    assert_eq!(status, 401, "old access token dies with grace 0");
    assert_eq!(e["code"], "unauthorized");
    let (status, _) = api.get_as(&new_access, "/v1/users/me").await;
    assert_eq!(status, 200);

    let (status, replay) = token(
        &api,
        &app,
        json!({"grant_type": "refresh_token", "refresh_token": old_refresh}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(replay["code"], "invalid_grant");
    assert_eq!(replay["object"], "error");
    assert!(replay["request_id"].is_string());

    // Counting stays per connection across rotation.
    let counters = api.emu().counters();
    assert!(counters.by_token.keys().all(|k| k.starts_with("grant-")));
}

#[tokio::test]
async fn wrong_client_credentials_are_invalid_client() {
    let api = Api::default().await;
    let wrong = OAuthApp {
        client_id: "emulator-client-id".into(),
        client_secret: "nope".into(),
    };
    let (status, body) = token(
        &api,
        &wrong,
        json!({"grant_type": "authorization_code", "code": "x"}),
    )
    .await;
    assert_eq!(status, 401);
    assert_same_keys(
        "invalid_client",
        &body,
        &fixture("oauth-error-invalid-client.json"),
    );
    assert_eq!(body["error"], "invalid_client");
    let (status, _) = send(
        api.http
            .post(api.url("/v1/oauth/introspect"))
            .json(&json!({"token": "x"})),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn introspect_and_revoke() {
    let api = Api::default().await;
    let app = api.emu().oauth_app();
    let grant = api.emu().grant_all();
    let (status, info) = send(
        api.http
            .post(api.url("/v1/oauth/introspect"))
            .basic_auth(&app.client_id, Some(&app.client_secret))
            .json(&json!({"token": grant.access_token})),
    )
    .await;
    assert_eq!(status, 200);
    assert_same_keys("introspect", &info, &fixture("oauth-introspect.json"));
    assert_eq!(info["active"], true);

    let (status, _) = send(
        api.http
            .post(api.url("/v1/oauth/revoke"))
            .basic_auth(&app.client_id, Some(&app.client_secret))
            .json(&json!({"token": grant.access_token})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, e) = api.get_as(&grant.access_token, "/v1/users").await;
    assert_eq!(status, 401);
    assert_eq!(e["code"], "unauthorized");
    let (_, info) = send(
        api.http
            .post(api.url("/v1/oauth/introspect"))
            .basic_auth(&app.client_id, Some(&app.client_secret))
            .json(&json!({"token": grant.access_token})),
    )
    .await;
    assert_eq!(info["active"], false);
    let (status, e) = token(
        &api,
        &app,
        json!({"grant_type": "refresh_token", "refresh_token": grant.refresh_token}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e["code"], "invalid_grant");

    // The Rust API revokes too.
    let other = api.emu().grant_all();
    api.emu().revoke(&other.access_token);
    let (status, _) = api.get_as(&other.access_token, "/v1/search").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn consent_page_shares_what_is_ticked_and_deny_redirects() {
    let api = Api::start(EmulatorConfig {
        auto_approve: false,
        ..EmulatorConfig::default()
    })
    .await;
    let app = api.emu().oauth_app();
    let authorize = format!(
        "/v1/oauth/authorize?client_id={}&response_type=code&owner=user&redirect_uri={}&state=s1",
        app.client_id,
        urlencode(REDIRECT)
    );
    let resp = no_redirects()
        .get(api.url(&authorize))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    let tops = api.emu().top_level_ids();
    for id in &tops {
        assert!(html.contains(id.as_str()), "consent page lists {id}");
    }

    let deny = no_redirects()
        .post(api.url("/v1/oauth/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("state", "s1"),
            ("decision", "deny"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(deny.status(), 302);
    let location = deny.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
    assert!(query_param(&location, "code").is_none());

    let approve = no_redirects()
        .post(api.url("/v1/oauth/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("state", "s2"),
            ("share", tops[1].as_str()),
            ("decision", "approve"),
        ]))
        .send()
        .await
        .unwrap();
    let location = approve.headers()["location"].to_str().unwrap().to_string();
    let code = query_param(&location, "code").unwrap();
    let (_, t) = token(
        &api,
        &app,
        json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}),
    )
    .await;
    let access = t["access_token"].as_str().unwrap();
    let (status, _) = api.get_as(access, &format!("/v1/pages/{}", tops[1])).await;
    assert_eq!(status, 200);
    let (status, _) = api.get_as(access, &format!("/v1/pages/{}", tops[0])).await;
    assert_eq!(status, 404);

    // The query toggle approves at once.
    let resp = no_redirects()
        .get(api.url(&format!("{authorize}&auto_approve=true")))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection());
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    f.finish()
}
