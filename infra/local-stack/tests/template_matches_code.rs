//! template.yaml deploys what the code serves, and the local stack serves it too: every function
//! crate is a function of the template, every route the routers declare (`.route`,
//! `.route_service`, `.nest`, `.nest_service`, however rustfmt wraps them) is a route of the
//! template's HTTP API, and the local gateway answers every one of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use relay_local::{LocalConfig, NotionTarget};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The value after `name: ` in a YAML line: quoted up to the closing quote, else up to `,`/`}`.
fn yaml_field(line: &str, name: &str) -> Option<String> {
    let start = line.find(&format!("{name}: "))? + name.len() + 2;
    let value = &line[start..];
    Some(match value.strip_prefix('"') {
        Some(quoted) => quoted[..quoted.find('"')?].to_owned(),
        None => value.split([',', '}']).next()?.trim().to_owned(),
    })
}

/// `(METHOD, /path)` pairs of the template's `HttpApi` events, in flow style
/// (`Properties: { ApiId: !Ref HttpApi, Method: GET, Path: /x }`) or block style.
fn template_routes(template: &str) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    let mut in_http_event = false;
    let (mut method, mut path) = (None, None);
    for line in template.lines() {
        if line.contains("ApiId: !Ref HttpApi") && line.contains("Path: ") {
            routes.insert((
                yaml_field(line, "Method").unwrap(),
                yaml_field(line, "Path").unwrap(),
            ));
            continue;
        }
        let trimmed = line.trim();
        if trimmed == "Type: HttpApi" {
            in_http_event = true;
            (method, path) = (None, None);
            continue;
        }
        if in_http_event {
            if trimmed.starts_with("Method:") {
                method = yaml_field(trimmed, "Method");
            } else if trimmed.starts_with("Path:") {
                path = yaml_field(trimmed, "Path");
            } else if trimmed.starts_with("Type:") {
                in_http_event = false;
            }
            if let (Some(m), Some(p)) = (&method, &path) {
                routes.insert((m.to_uppercase(), p.clone()));
                in_http_event = false;
            }
        }
    }
    routes
}

/// What a router call declares: a method and path, any method on a path, or a path prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Declared {
    Route(String, String),
    AnyMethod(String),
    Prefix(String),
}

/// The arguments of a call whose `(` is at `open`: the text up to the matching `)`.
fn call_arguments(source: &str, open: usize) -> &str {
    let mut depth = 0usize;
    for (offset, ch) in source[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &source[open + 1..open + offset];
                }
            }
            _ => {}
        }
    }
    &source[open + 1..]
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Every route declaration in the Rust files under `dir`.
fn code_routes(dir: &Path) -> BTreeSet<Declared> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let mut found = BTreeSet::new();
    for file in files {
        let source = read(&file);
        for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
            for (index, _) in source.match_indices(call) {
                let open = index + call.len() - 1;
                let arguments = call_arguments(&source, open);
                let Some(rest) = arguments.trim_start().strip_prefix('"') else {
                    continue; // not a literal path (e.g. a helper's own `.route(` method)
                };
                let path = rest[..rest.find('"').unwrap()].to_owned();
                let handlers = &rest[path.len() + 1..];
                match call {
                    ".route(" => {
                        let mut any = false;
                        for method in ["get", "post", "put", "patch", "delete"] {
                            let called =
                                handlers
                                    .match_indices(&format!("{method}("))
                                    .any(|(at, _)| {
                                        at == 0 || {
                                            let before = handlers.as_bytes()[at - 1];
                                            !before.is_ascii_alphanumeric() && before != b'_'
                                        }
                                    });
                            if called {
                                any = true;
                                found.insert(Declared::Route(method.to_uppercase(), path.clone()));
                            }
                        }
                        if !any {
                            found.insert(Declared::AnyMethod(path));
                        }
                    }
                    ".route_service(" => {
                        found.insert(Declared::AnyMethod(path));
                    }
                    _ => {
                        found.insert(Declared::Prefix(path));
                    }
                }
            }
        }
    }
    found
}

fn deployed(declared: &Declared, template: &BTreeSet<(String, String)>) -> bool {
    match declared {
        Declared::Route(method, path) => template.contains(&(method.clone(), path.clone())),
        Declared::AnyMethod(path) => template.iter().any(|(_, p)| p == path),
        Declared::Prefix(prefix) => template.iter().any(|(_, p)| p.starts_with(prefix.as_str())),
    }
}

#[test]
fn every_route_in_the_code_is_in_the_template() {
    let root = repo_root();
    let template = template_routes(&read(&root.join("template.yaml")));
    let code = code_routes(&root.join("shared/src/routes"));
    assert!(code.len() >= 8, "the route scan found too little: {code:?}");
    let missing: Vec<_> = code.iter().filter(|d| !deployed(d, &template)).collect();
    assert!(
        missing.is_empty(),
        "routes served but not deployed: {missing:?}"
    );
}

#[test]
fn the_scanners_read_every_style() {
    let template = template_routes(
        "      Events:\n        A:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref HttpApi\n            Method: post\n            Path: \"/a/{id}\"\n        B:\n          Type: HttpApi\n          Properties: { ApiId: !Ref HttpApi, Method: GET, Path: /b }\n",
    );
    assert_eq!(
        template,
        BTreeSet::from([
            ("POST".to_owned(), "/a/{id}".to_owned()),
            ("GET".to_owned(), "/b".to_owned())
        ])
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.rs"),
        "Router::new()\n    .route(\n        \"/x/{id}\",\n        get(read).delete(remove),\n    )\n    .route_service(\"/svc\", service)\n    .nest(\"/nested\", inner)\n    .route(\"/y\", post(target_get))\n",
    )
    .unwrap();
    assert_eq!(
        code_routes(dir.path()),
        BTreeSet::from([
            Declared::Route("GET".into(), "/x/{id}".into()),
            Declared::Route("DELETE".into(), "/x/{id}".into()),
            Declared::AnyMethod("/svc".into()),
            Declared::Prefix("/nested".into()),
            Declared::Route("POST".into(), "/y".into()),
        ])
    );
}

/// Browsers call the API with a session token from another origin (the demo page, an app):
/// API Gateway must answer their preflight for the headers and methods they send.
#[test]
fn the_http_api_answers_browsers_cors_preflight() {
    let template = read(&repo_root().join("template.yaml"));
    let start = template
        .find("CorsConfiguration:")
        .expect("the HttpApi has a CorsConfiguration");
    let block: String = template[start..]
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("        "))
        .collect::<Vec<_>>()
        .join("\n")
        .to_ascii_lowercase();
    assert!(
        block.contains("alloworigins: !ref corsallowedorigins"),
        "{block}"
    );
    for header in ["authorization", "content-type", "idempotency-key"] {
        assert!(block.contains(header), "{header} is not allowed: {block}");
    }
    for method in ["get", "post"] {
        assert!(block.contains(method), "{method} is not allowed: {block}");
    }
}

#[test]
fn every_function_crate_is_in_the_template() {
    let root = repo_root();
    let template = read(&root.join("template.yaml"));
    let mut functions = 0;
    for entry in std::fs::read_dir(root.join("functions")).unwrap() {
        let manifest = read(&entry.unwrap().path().join("Cargo.toml"));
        let name = manifest
            .lines()
            .find_map(|line| line.strip_prefix("name = "))
            .unwrap()
            .trim_matches('"');
        functions += 1;
        assert!(
            template.contains(&format!("Binary: {name}\n")),
            "{name} is not a function of template.yaml"
        );
    }
    assert_eq!(
        functions, 7,
        "oauth, api, create-page, webhooks, mcp, sync-scheduler, sync-worker"
    );
}

/// The local gateway routes every declared route: no answer is axum's bare 404 (no route) or
/// 405 (route without that method). Requests carry no credentials, so nothing is changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_stack_serves_every_route() {
    let data_dir = tempfile::tempdir().unwrap();
    let env: HashMap<String, String> = [("RELAY_BACKEND", "embedded")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let stack = relay_local::start(LocalConfig {
        port: 0,
        data_dir: data_dir.path().to_path_buf(),
        notion: NotionTarget::Emulator {
            port: 0,
            seed: 1,
            pages: 3,
        },
        extra_return_urls: Vec::new(),
        env,
    })
    .await
    .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let code = code_routes(&repo_root().join("shared/src/routes"));
    let mut unserved = Vec::new();
    for declared in &code {
        let (method, path) = match declared {
            Declared::Route(method, path) => (method.as_str(), path.as_str()),
            Declared::AnyMethod(path) | Declared::Prefix(path) => ("GET", path.as_str()),
        };
        let concrete = path
            .replace("{id}", "0b9c7f4e-3c1a-4d52-9a43-2f0f3c1d2e10")
            .replace("{name}", "search");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = http
            .request(method.clone(), format!("{}{concrete}", stack.url))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        let unrouted = status == 405 || (status == 404 && body.is_empty());
        if unrouted && !matches!(declared, Declared::AnyMethod(_) | Declared::Prefix(_)) {
            unserved.push(format!("{method} {path}"));
        }
    }
    assert!(
        unserved.is_empty(),
        "routes the local gateway does not serve: {unserved:?}"
    );
    stack.shutdown().await;
}
