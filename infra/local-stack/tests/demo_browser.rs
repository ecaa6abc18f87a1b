//! The demo page in headless Chromium (Debian's `chromium` + `chromium-driver`, driven over
//! WebDriver): open /demo/, connect through the emulator's consent page (leaving one page
//! unshared), wait for the synced pages, read one, create a page, and find it in the emulator.
//!
//! Without chromium and chromedriver the test says SKIPPED and passes, unless `CI=true`, where it
//! fails (.ci/run installs them). `CHROME_BIN` and `CHROMEDRIVER` override the binaries;
//! `DEMO_SCREENSHOT=<file.png>` saves the final page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use relay_local::{LocalConfig, NotionTarget};
use serde_json::json;

const STEP_TIMEOUT: Duration = Duration::from_secs(30);
const SYNC_TIMEOUT: Duration = Duration::from_secs(90);

fn find_binary(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// chromedriver as a child process, killed when the test ends (passing or not).
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver(chromedriver: &Path) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let status_url = format!("{}/status", driver.url);
    wait_for("chromedriver to answer", STEP_TIMEOUT, || {
        let status_url = status_url.clone();
        async move {
            let ready = reqwest::get(&status_url)
                .await
                .ok()?
                .json::<serde_json::Value>()
                .await
                .ok()?;
            (ready["value"]["ready"] == json!(true)).then_some(())
        }
    })
    .await;
    driver
}

/// Polls `check` until it gives a value; panics naming `what` after `timeout`.
async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn text_of(client: &Client, css: &str) -> Option<String> {
    client.find(Locator::Css(css)).await.ok()?.text().await.ok()
}

async fn browser(driver: &Driver, chromium: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium.display().to_string(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--no-first-run"],
        }),
    );
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(capabilities);
    builder.connect(&driver.url).await.unwrap()
}

fn normalize(id: &str) -> String {
    id.replace('-', "").to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_page_connects_syncs_reads_and_creates_a_page() {
    let chromium = find_binary(
        "CHROME_BIN",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let chromedriver = find_binary("CHROMEDRIVER", &["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must run the browser test: install chromium and chromium-driver"
        );
        eprintln!(
            "SKIPPED: the demo browser test needs chromium and chromedriver \
             (apt-get install chromium chromium-driver)"
        );
        return;
    };

    let data_dir = tempfile::tempdir().unwrap();
    let env: HashMap<String, String> = [
        ("RELAY_BACKEND", "embedded"),
        ("NOTION_REQUESTS_PER_SECOND", "200"),
        ("NOTION_BURST", "20"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let stack = relay_local::start(LocalConfig {
        port: 0,
        data_dir: data_dir.path().to_path_buf(),
        notion: NotionTarget::Emulator {
            port: 0,
            seed: 7,
            pages: 12,
        },
        extra_return_urls: Vec::new(),
        env,
    })
    .await
    .unwrap();
    let page = Demo {
        url: stack.url.clone(),
        demo_url: stack.demo_url(),
        api_key: stack.api_key.expose().to_owned(),
        emulator: stack.emulator.as_ref().unwrap().emulator.clone(),
    };

    let driver = start_driver(&chromedriver).await;
    let client = browser(&driver, &chromium).await;
    // The browser is closed whatever happens, so no Chromium outlives a failed run.
    let outcome = tokio::spawn(drive(client.clone(), page)).await;
    let _ = client.close().await;
    drop(driver);
    stack.shutdown().await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the browser steps did not finish: {error}"),
        }
    }
}

/// What the browser steps need from the running stack.
struct Demo {
    url: String,
    demo_url: String,
    api_key: String,
    emulator: notion_emulator::Emulator,
}

/// The person's steps on the demo page.
async fn drive(client: Client, page: Demo) {
    let c = &client;

    // The page gets a session from the local stack and enables the connect button.
    client.goto(&page.demo_url).await.unwrap();
    wait_for("the connect button", STEP_TIMEOUT, || async move {
        let button = c.find(Locator::Id("connect")).await.ok()?;
        button.is_enabled().await.ok()?.then_some(button)
    })
    .await
    .click()
    .await
    .unwrap();

    // The emulator's consent page: leave one page unshared, allow the rest.
    let boxes = wait_for("the consent page", STEP_TIMEOUT, || async move {
        let boxes = c.find_all(Locator::Css("input[name=share]")).await.ok()?;
        (!boxes.is_empty()).then_some(boxes)
    })
    .await;
    let items = client.find_all(Locator::Css("li")).await.unwrap();
    let mut unshared = None;
    for (item, checkbox) in items.iter().zip(&boxes) {
        if item.text().await.unwrap().contains("(page)") {
            checkbox.click().await.unwrap();
            unshared = checkbox.attr("value").await.unwrap();
            break;
        }
    }
    let unshared = unshared.expect("the consent page lists a page");
    assert!(boxes.len() >= 2, "something stays shared");
    client
        .find(Locator::Css("button[value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Back on the demo page: the connection, then the first sync fills the page list.
    let connection_id = wait_for("the return to the demo page", STEP_TIMEOUT, || async move {
        let url = c.current_url().await.ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "connection_id")
            .map(|(_, v)| v.into_owned())
    })
    .await;
    wait_for("the active connection", STEP_TIMEOUT, || async move {
        (text_of(c, "#connection-status").await? == "active").then_some(())
    })
    .await;
    let pages = wait_for("the synced pages", SYNC_TIMEOUT, || async move {
        let buttons = c.find_all(Locator::Css("#pages li button")).await.ok()?;
        (!buttons.is_empty()).then_some(buttons)
    })
    .await;
    let mut listed = Vec::new();
    for button in &pages {
        listed.push(normalize(&button.attr("data-id").await.unwrap().unwrap()));
    }
    assert!(
        !listed.contains(&normalize(&unshared)),
        "the page left unshared on the consent page was not synced"
    );
    let sync_state = text_of(c, "#sync-state").await.unwrap();
    assert!(sync_state.contains("completed run"), "{sync_state}");

    // Read one page: its title heads the rendered body.
    let first_title = pages[0].text().await.unwrap();
    pages[0].click().await.unwrap();
    let shown = wait_for("the page view", STEP_TIMEOUT, || async move {
        text_of(c, "#page-view h3").await
    })
    .await;
    assert_eq!(shown, first_title);

    // Create a page under the first synced page.
    // Markup in the title and body must come back as text, never as elements.
    let title = format!(
        "<img src=x onerror=alert(1)> Made in the browser {}",
        std::process::id()
    );
    client
        .find(Locator::Id("new-title"))
        .await
        .unwrap()
        .send_keys(&title)
        .await
        .unwrap();
    let markdown = client.find(Locator::Id("new-markdown")).await.unwrap();
    markdown.clear().await.unwrap();
    markdown
        .send_keys("# From the demo\n\n- first item\n- second **bold** item\n\n<b>not bold</b>")
        .await
        .unwrap();
    client
        .find(Locator::Id("create"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let outcome = wait_for("the create-page answer", STEP_TIMEOUT, || async move {
        let result = c.find(Locator::Id("create-result")).await.ok()?;
        match result.attr("class").await.ok()??.as_str() {
            "ok" | "error" => Some((result.attr("class").await.ok()??, result.text().await.ok()?)),
            _ => None,
        }
    })
    .await;
    assert_eq!(outcome.0, "ok", "creating the page failed: {}", outcome.1);

    // The emulator has it, with its body.
    let created = page
        .emulator
        .find_page(&title)
        .expect("the created page is in the emulator");
    let blocks = page.emulator.block_children_json(&created);
    assert!(
        blocks
            .iter()
            .any(|b| b.to_string().contains("From the demo")),
        "the body was written: {blocks:?}"
    );

    // After the next sync the new page is in the list; reading it shows the markup as text.
    let trigger = reqwest::Client::new()
        .post(format!("{}/connections/{connection_id}/sync", page.url))
        .bearer_auth(&page.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(trigger.status().as_u16(), 202);
    let title_ref = &title;
    // Refresh until the sync has it, then open it (clicks retried: a refresh replaces the list).
    wait_for(
        "the created page in the list",
        SYNC_TIMEOUT,
        || async move {
            c.find(Locator::Id("refresh"))
                .await
                .ok()?
                .click()
                .await
                .ok()?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            for button in c.find_all(Locator::Css("#pages li button")).await.ok()? {
                if button.text().await.ok()? == *title_ref {
                    button.click().await.ok()?;
                    return Some(());
                }
            }
            None
        },
    )
    .await;
    wait_for("the created page's view", STEP_TIMEOUT, || async move {
        (text_of(c, "#page-view h3").await? == *title_ref).then_some(())
    })
    .await;
    let view = client.find(Locator::Id("page-view")).await.unwrap();
    assert!(
        view.find(Locator::Css("img")).await.is_err(),
        "no markup became an element"
    );
    assert!(
        view.find(Locator::Css("b")).await.is_err(),
        "no markup became an element"
    );
    assert!(
        view.find(Locator::Css("strong")).await.is_ok(),
        "Markdown bold is rendered"
    );
    assert!(view.text().await.unwrap().contains("From the demo"));

    // `DEMO_SCREENSHOT=/path/demo.png` keeps a picture of the final page (to look at the demo).
    if let Some(path) = std::env::var_os("DEMO_SCREENSHOT") {
        std::fs::write(path, client.screenshot().await.unwrap()).unwrap();
    }
}
