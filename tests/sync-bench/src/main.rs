//! `cargo run --release -p sync-bench`: an initial import and an incremental run (1% of pages
//! changed) of a generated workspace, through the real worker and embedded adapters, against the
//! Notion emulator with its rate limit set to the client's budget. Prints, for each run, the
//! Notion requests made against the minimum for that workspace, the request rate against the
//! limit, 429s, wall time and peak memory.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use clap::Parser;
use notion_emulator::{Emulator, EmulatorConfig, GeneratedWorkspace, RateLimit, WorkspaceSource};
use relay_shared::adapters::Adapters;
use relay_shared::app::{AppContext, Settings};
use relay_shared::config::{BudgetConfig, NotionConfig};
use relay_shared::domain::{
    Connection, ConnectionId, EndUser, EndUserId, SyncJob, TokenPair, Workspace, timestamp,
};
use relay_shared::secret::SecretString;
use relay_shared::sync::{Deadline, SyncOptions, SyncWorker};
use serde_json::{Value, json};

#[derive(Parser, Debug)]
struct Args {
    /// Ordinary pages in the generated workspace (plus a few fixed feature pages).
    #[arg(long, default_value_t = 2_000)]
    pages: usize,
    /// Rows per data source (there are three data sources).
    #[arg(long, default_value_t = 170)]
    rows: usize,
    /// The connection's budget and the emulator's rate limit, requests per second.
    #[arg(long, default_value_t = 100.0)]
    rps: f64,
    #[arg(long, default_value_t = 10)]
    burst: u32,
    /// Share of pages changed before the incremental run, in percent.
    #[arg(long, default_value_t = 1.0)]
    changed_percent: f64,
}

type Error = Box<dyn std::error::Error>;

/// `VmHWM` (peak resident set) and `VmRSS` from /proc/self/status, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

struct Measured {
    requests: u64,
    rate_limited: u64,
    wall: Duration,
    peak_mib: f64,
    rss_before_mib: f64,
}

async fn measure(worker: &SyncWorker, emu: &Emulator, job: SyncJob) -> Result<Measured, Error> {
    emu.reset_counters();
    let (_, rss_before_mib) = memory();
    let started = Instant::now();
    let outcome = worker.handle(&job, Deadline::none()).await?;
    let wall = started.elapsed();
    let (peak_mib, _) = memory();
    let counters = emu.counters();
    if outcome != relay_shared::sync::JobOutcome::Done {
        return Err(format!("the run did not finish: {outcome:?}").into());
    }
    Ok(Measured {
        requests: counters.total,
        rate_limited: counters.rate_limited,
        wall,
        peak_mib,
        rss_before_mib,
    })
}

fn report(name: &str, measured: &Measured, minimum: u64, breakdown: &str, rps: f64) {
    let achieved = measured.requests as f64 / measured.wall.as_secs_f64().max(1e-9);
    println!("{name}");
    println!(
        "  Notion requests: {} (minimum {minimum}: {breakdown}); over the minimum: {}",
        measured.requests,
        measured.requests.saturating_sub(minimum)
    );
    println!(
        "  rate: {achieved:.1} requests/s against a limit of {rps} ({:.0}%); 429s met: {}",
        100.0 * achieved / rps,
        measured.rate_limited
    );
    println!(
        "  wall time: {:.2} s (at Notion's 3 requests/s: {:.1} min)",
        measured.wall.as_secs_f64(),
        measured.requests as f64 / 3.0 / 60.0
    );
    println!(
        "  peak memory (VmHWM): {:.0} MiB; resident before the run: {:.0} MiB (the process also holds the emulator's workspace)",
        measured.peak_mib, measured.rss_before_mib
    );
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let limit = RateLimit {
        requests_per_second: args.rps,
        burst: args.burst,
    };
    let running = Emulator::start(EmulatorConfig {
        workspace: WorkspaceSource::Generated(GeneratedWorkspace {
            pages: args.pages,
            rows_per_data_source: args.rows,
            databases: 2,
            ..GeneratedWorkspace::default()
        }),
        rate_limit: Some(limit),
        ..EmulatorConfig::default()
    })
    .await?;
    let emu = running.emulator.clone();
    let dir = tempfile::tempdir()?;
    let adapters = Adapters::embedded(dir.path(), HashMap::new(), 5, Duration::from_secs(300))?;
    let settings = Settings {
        public_url: url::Url::parse("http://127.0.0.1:1")?,
        return_url_allowlist: vec![],
        notion: NotionConfig {
            base_url: url::Url::parse(&running.base_url)?,
            budget: BudgetConfig {
                requests_per_second: args.rps,
                burst: args.burst,
            },
            ..NotionConfig::default()
        },
    };
    let ctx = AppContext::new(adapters, settings)?;
    let grant = emu.grant_all();
    let id = ConnectionId::random();
    let sealed = ctx
        .adapters
        .tokens
        .seal(
            &id,
            &TokenPair {
                access: SecretString::new(grant.access_token.clone()),
                refresh: None,
            },
        )
        .await?;
    let connection = Connection::new(
        id,
        EndUser {
            id: EndUserId::parse("bench")?,
            email: None,
            display_name: None,
            organization: None,
        },
        Workspace {
            id: grant.workspace_id.clone(),
            name: None,
            icon: None,
        },
        grant.bot_id.clone(),
        json!({}),
        sealed,
        timestamp::now(),
    );
    ctx.adapters.connections.create(&connection).await?;
    let worker = SyncWorker::new(
        ctx.clone(),
        SyncOptions {
            reconcile_every: u32::MAX,
            ..SyncOptions::default()
        },
    );

    // What the workspace holds, as the connection sees it.
    let mut pages = Vec::new();
    let mut rows = 0usize;
    let mut parents: HashMap<String, String> = HashMap::new();
    for page_id in emu.page_ids() {
        let page: Value = emu.page_json(&page_id).unwrap_or(Value::Null);
        if page["in_trash"] == true {
            continue;
        }
        if page["parent"]["type"] == "data_source_id" {
            rows += 1;
        } else {
            if let Some(parent) = page["parent"]["page_id"].as_str() {
                parents.insert(page_id.clone(), parent.to_owned());
            }
            pages.push(page_id);
        }
    }
    let data_sources = emu.data_source_ids();
    let row_queries: usize = data_sources
        .iter()
        .map(|ds| {
            emu.row_ids(ds)
                .iter()
                .filter(|row| emu.page_json(row).is_some_and(|p| p["in_trash"] == false))
                .count()
                .div_ceil(100)
        })
        .sum();
    let databases = emu.database_ids().len();
    println!(
        "workspace: {} pages, {rows} rows, {} data sources, {databases} databases; budget {} requests/s (burst {}), emulator limit the same",
        pages.len(),
        data_sources.len(),
        args.rps,
        args.burst
    );

    // Initial import. Minimum: every search page (pages, rows and data sources, 100 each), one
    // markdown request per page, one retrieve per database, one query per 100 rows.
    let search = (pages.len() + rows + data_sources.len()).div_ceil(100);
    let minimum = (search + pages.len() + databases + row_queries) as u64;
    let measured = measure(&worker, &emu, SyncJob::initial(id)).await?;
    report(
        "initial import",
        &measured,
        minimum,
        &format!(
            "search {search} + page bodies {} + databases {databases} + row queries {row_queries}",
            pages.len()
        ),
        args.rps,
    );

    // Incremental run with a share of pages changed: half renamed, half with a paragraph added.
    emu.advance_clock(5);
    let changed = ((pages.len() as f64) * args.changed_percent / 100.0).ceil() as usize;
    let step = (pages.len() / changed.max(1)).max(1);
    let mut renamed_parents = BTreeSet::new();
    let mut touched = 0usize;
    for (index, page_id) in pages.iter().step_by(step).take(changed).enumerate() {
        if index % 2 == 0 {
            emu.edit_page_title(page_id, &format!("Renamed {index}"));
            if let Some(parent) = parents.get(page_id) {
                renamed_parents.insert(parent.clone());
            }
        } else {
            emu.append_paragraph(page_id, "A paragraph added for the benchmark.");
        }
        touched += 1;
    }
    // Parents that are themselves changed are read once.
    let changed_ids: BTreeSet<&String> = pages.iter().step_by(step).take(changed).collect();
    let parent_reads = renamed_parents
        .iter()
        .filter(|parent| !changed_ids.contains(parent))
        .count();
    // Minimum: the search pages holding the changes, one trash search (deletions), one markdown
    // request per changed page, and one per parent whose child list shows a renamed title.
    let search = touched.div_ceil(100);
    let minimum = (search + 1 + touched + parent_reads) as u64;
    let measured = measure(&worker, &emu, SyncJob::scheduled(id)).await?;
    report(
        &format!(
            "incremental run, {touched} pages changed ({}%)",
            args.changed_percent
        ),
        &measured,
        minimum,
        &format!(
            "search {search} + trash search 1 + changed bodies {touched} + parents of renamed pages {parent_reads}"
        ),
        args.rps,
    );
    Ok(())
}
