//! template.yaml deploys what the code serves: every function crate is a function of the template,
//! and every route the routers declare is a route of the template's HTTP API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(METHOD, /path)` pairs of the template's `HttpApi` events.
fn template_routes(template: &str) -> BTreeSet<(String, String)> {
    template
        .lines()
        .filter(|line| line.contains("ApiId: !Ref HttpApi"))
        .map(|line| {
            let field = |name: &str| {
                let start = line.find(&format!("{name}: ")).unwrap() + name.len() + 2;
                let value = &line[start..];
                match value.strip_prefix('"') {
                    // Quoted (paths with `{id}`): up to the closing quote.
                    Some(quoted) => quoted[..quoted.find('"').unwrap()].to_owned(),
                    None => value.split([',', '}']).next().unwrap().trim().to_owned(),
                }
            };
            (field("Method"), field("Path"))
        })
        .collect()
}

/// `(METHOD, /path)` pairs of every `.route("/path", get(..).post(..))` in the routers.
fn code_routes(routes_dir: &Path) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(routes_dir).unwrap() {
        let source = read(&entry.unwrap().path());
        for (index, _) in source.match_indices(".route(\"") {
            let rest = &source[index + ".route(\"".len()..];
            let path_end = rest.find('"').unwrap();
            let path = &rest[..path_end];
            let handlers = &rest[path_end..rest.find('\n').unwrap_or(rest.len())];
            for method in ["get", "post", "put", "patch", "delete"] {
                let called = handlers
                    .match_indices(&format!("{method}("))
                    .any(|(at, _)| at == 0 || !handlers.as_bytes()[at - 1].is_ascii_alphanumeric());
                if called {
                    found.insert((method.to_uppercase(), path.to_owned()));
                }
            }
        }
    }
    found
}

#[test]
fn every_route_in_the_code_is_in_the_template() {
    let root = repo_root();
    let template = template_routes(&read(&root.join("template.yaml")));
    let code = code_routes(&root.join("shared/src/routes"));
    assert!(code.len() >= 8, "the route scan found too little: {code:?}");
    let missing: Vec<_> = code.difference(&template).collect();
    assert!(
        missing.is_empty(),
        "routes served but not deployed: {missing:?}"
    );
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
