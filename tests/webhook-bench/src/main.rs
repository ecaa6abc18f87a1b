//! Measures the incoming Notion webhook handler on embedded adapters (the local stack's
//! storage): signature check, deduplication, routing by workspace and enqueue, first called
//! in process, then over HTTP on loopback through the real router with concurrent senders.
//! Prints throughput and latency percentiles. Not part of CI.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use relay_shared::adapters::Adapters;
use relay_shared::app::{AppContext, Settings};
use relay_shared::config::NotionConfig;
use relay_shared::domain::{
    Connection, ConnectionId, EndUser, EndUserId, TokenPair, Workspace, timestamp,
};
use relay_shared::ports::SecretName;
use relay_shared::routes::webhooks::webhooks_router_with;
use relay_shared::secret::SecretString;
use relay_shared::webhooks::signature::notion_signature;
use relay_shared::webhooks::{IncomingOptions, IncomingOutcome, IncomingWebhooks};
use serde_json::json;

const TOKEN: &str = "secret_bench_verification_token";
const WORKSPACE: &str = "bench-workspace";

#[derive(Parser, Debug)]
#[command(about = "Throughput and latency of POST /webhooks/notion on embedded adapters")]
struct Args {
    /// Events per phase.
    #[arg(long, default_value_t = 5000)]
    events: usize,
    /// Active connections of the event's workspace (each gets a job per event).
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Concurrent HTTP senders in the loopback phase.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn event(page: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "timestamp": "2026-11-23T10:00:00.000Z",
        "workspace_id": WORKSPACE,
        "type": "page.content_updated",
        "attempt_number": 1,
        "api_version": "2026-03-11",
        "entity": {"id": format!("00000000-0000-4000-8000-{page:012}"), "type": "page"},
        "data": {"parent": {"id": "x", "type": "space"}, "updated_blocks": []},
    }))
    .unwrap_or_default()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(phase: &str, mut latencies: Vec<Duration>, wall: Duration) {
    latencies.sort();
    let per_second = latencies.len() as f64 / wall.as_secs_f64().max(1e-9);
    println!(
        "{phase}: {} events in {:.2} s = {:.0} events/s; latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        latencies.len(),
        wall.as_secs_f64(),
        per_second,
        percentile(&latencies, 50.0).as_secs_f64() * 1e3,
        percentile(&latencies, 99.0).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

async fn setup(dir: &std::path::Path, connections: usize) -> Result<AppContext, Error> {
    let adapters = Adapters::embedded(dir, HashMap::new(), 5, Duration::from_secs(300))?;
    adapters
        .secrets
        .put(
            &SecretName::webhook_verification_token(),
            &SecretString::new(TOKEN),
        )
        .await?;
    for n in 0..connections {
        let id = ConnectionId::random();
        let sealed = adapters
            .tokens
            .seal(
                &id,
                &TokenPair {
                    access: SecretString::new("bench-access"),
                    refresh: None,
                },
            )
            .await?;
        let connection = Connection::new(
            id,
            EndUser {
                id: EndUserId::parse(format!("bench-user-{n}"))?,
                email: None,
                display_name: None,
                organization: None,
            },
            Workspace {
                id: WORKSPACE.into(),
                name: None,
                icon: None,
            },
            "bench-bot".into(),
            json!({"type": "user"}),
            sealed,
            timestamp::now(),
        );
        adapters.connections.create(&connection).await?;
    }
    let settings = Settings {
        public_url: url::Url::parse("http://127.0.0.1:8080")?,
        return_url_allowlist: vec![],
        notion: NotionConfig::default(),
    };
    Ok(AppContext::new(adapters, settings)?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let ctx = setup(dir.path(), args.connections).await?;
    let service = IncomingWebhooks::new(ctx, IncomingOptions::default());
    println!(
        "embedded adapters (redb in a temporary folder, in-process queue); {} connection(s) on the workspace; each event a different page",
        args.connections
    );

    // Phase 1: the handler in process, one event at a time.
    let bodies: Vec<Vec<u8>> = (0..args.events).map(event).collect();
    let mut latencies = Vec::with_capacity(bodies.len());
    let started = Instant::now();
    let mut jobs = 0;
    for body in &bodies {
        let signature = notion_signature(TOKEN, body);
        let at = Instant::now();
        let outcome = service.handle(Some(&signature), body).await?;
        latencies.push(at.elapsed());
        if let IncomingOutcome::Processed { jobs: queued, .. } = outcome {
            jobs += queued;
        }
    }
    report("in process, sequential", latencies, started.elapsed());
    println!("  jobs queued: {jobs}");

    // Phase 2: duplicates (every event again): verify + dedupe only.
    let mut latencies = Vec::with_capacity(bodies.len());
    let started = Instant::now();
    for body in &bodies {
        let signature = notion_signature(TOKEN, body);
        let at = Instant::now();
        service.handle(Some(&signature), body).await?;
        latencies.push(at.elapsed());
    }
    report("in process, duplicates", latencies, started.elapsed());

    // Phase 3: HTTP on loopback through the router, concurrent senders.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/webhooks/notion", listener.local_addr()?);
    let router = webhooks_router_with(service.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let http = reqwest::Client::new();
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new((args.events..args.events * 2).map(event).collect());
    let started = Instant::now();
    let concurrency = args.concurrency.max(1);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let http = http.clone();
        let url = url.clone();
        let bodies = Arc::clone(&bodies);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            for body in bodies.iter().skip(worker).step_by(concurrency) {
                let signature = notion_signature(TOKEN, body);
                let at = Instant::now();
                let response = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("X-Notion-Signature", signature)
                    .body(body.clone())
                    .send()
                    .await;
                latencies.push(at.elapsed());
                if !response.is_ok_and(|r| r.status().is_success()) {
                    failures += 1;
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in futures::future::join_all(tasks).await {
        let (mut part, failed) = task?;
        latencies.append(&mut part);
        failures += failed;
    }
    let wall = started.elapsed();
    report(
        &format!("HTTP loopback, {concurrency} concurrent senders"),
        latencies,
        wall,
    );
    println!("  non-2xx answers: {failures}");
    server.abort();
    Ok(())
}
