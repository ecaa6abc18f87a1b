//! The workspace held in memory: pages, blocks, databases, data sources, users and comments, stored
//! as Notion JSON documents, with indexes for children order, rows and ancestry.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use crate::clock::normalize_minute;
use crate::json_shapes::{self as shapes, page_title, parent_target, plain_text};

/// Format marker of workspace JSON documents.
pub const WORKSPACE_FORMAT: &str = "notion-emulator-workspace/1";

/// Relation and people values in page objects are cut at this many references (Notion: 25).
pub const MAX_REFERENCES_IN_PAGE: usize = 25;

/// What kind of object an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Page,
    Database,
    DataSource,
    Block,
}

impl ObjectKind {
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::Page => "page",
            ObjectKind::Database => "database",
            ObjectKind::DataSource => "data_source",
            ObjectKind::Block => "block",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("workspace JSON is invalid: {0}")]
    Invalid(String),
    #[error("cannot read workspace file: {0}")]
    Io(#[from] std::io::Error),
    #[error("workspace file is not JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// An in-memory Notion workspace.
///
/// # JSON format (`from_json` / `to_json`)
///
/// ```json
/// {
///   "format": "notion-emulator-workspace/1",
///   "workspace": {"id": "<uuid>", "name": "My Workspace", "icon": null},
///   "users": [<person user objects; the first is the owner>],
///   "databases": [<database objects as GET /v1/databases returns them; data_sources is recomputed>],
///   "data_sources": [<data source objects; parent.database_id links them to their database>],
///   "pages": [<page objects; rows have parent data_source_id>],
///   "blocks": [<block objects, in order within each parent; has_children is recomputed>],
///   "comments": [<comment objects>],
///   "top_level": [<optional: order of workspace-level page and database ids>],
///   "templates": {<optional: data source id -> [{id,name,is_default}]>}
/// }
/// ```
///
/// Pages and databases whose parent is a page or block get a `child_page` / `child_database` block
/// at the end of that parent's children unless the block list already holds one (same id).
/// Timestamps are normalised to the minute. Unknown block and property types are kept verbatim.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) icon: Option<String>,
    pub(crate) users: Vec<Value>,
    pub(crate) bots: HashMap<String, Value>,
    pub(crate) pages: HashMap<String, Value>,
    pub(crate) page_order: Vec<String>,
    pub(crate) blocks: HashMap<String, Value>,
    pub(crate) children: HashMap<String, Vec<String>>,
    pub(crate) databases: HashMap<String, Value>,
    pub(crate) database_order: Vec<String>,
    pub(crate) data_sources: HashMap<String, Value>,
    pub(crate) data_source_order: Vec<String>,
    pub(crate) rows: HashMap<String, Vec<String>>,
    pub(crate) comments: Vec<Value>,
    pub(crate) top_level: Vec<String>,
    /// Page templates per data source (`{id,name,is_default}`).
    pub(crate) templates: HashMap<String, Vec<Value>>,
}

impl Workspace {
    pub fn new(id: &str, name: &str, owner: Value) -> Workspace {
        Workspace {
            id: id.to_string(),
            name: name.to_string(),
            users: vec![owner],
            ..Workspace::default()
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn icon(&self) -> Option<&str> {
        self.icon.as_deref()
    }

    /// The workspace owner (first person user).
    pub fn owner(&self) -> Value {
        self.users.first().cloned().unwrap_or(Value::Null)
    }

    pub fn owner_id(&self) -> String {
        self.owner()["id"].as_str().unwrap_or_default().to_string()
    }

    pub fn page_ids(&self) -> Vec<String> {
        self.page_order.clone()
    }

    pub fn database_ids(&self) -> Vec<String> {
        self.database_order.clone()
    }

    pub fn data_source_ids(&self) -> Vec<String> {
        self.data_source_order.clone()
    }

    pub fn top_level_ids(&self) -> Vec<String> {
        self.top_level.clone()
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Which kind of object `id` is. A child_page block id answers `Page`, a child_database block
    /// id answers `Database`.
    pub fn kind_of(&self, id: &str) -> Option<ObjectKind> {
        if self.pages.contains_key(id) {
            Some(ObjectKind::Page)
        } else if self.databases.contains_key(id) {
            Some(ObjectKind::Database)
        } else if self.data_sources.contains_key(id) {
            Some(ObjectKind::DataSource)
        } else if self.blocks.contains_key(id) {
            Some(ObjectKind::Block)
        } else {
            None
        }
    }

    /// The container above `id` in the access hierarchy (`None` at workspace level).
    pub fn parent_of(&self, id: &str) -> Option<String> {
        if let Some(p) = self.pages.get(id) {
            return parent_target(&p["parent"]);
        }
        if let Some(d) = self.databases.get(id) {
            return parent_target(&d["parent"]);
        }
        if let Some(ds) = self.data_sources.get(id) {
            return ds["parent"]["database_id"].as_str().map(str::to_string);
        }
        self.blocks
            .get(id)
            .and_then(|b| parent_target(&b["parent"]))
    }

    /// The page whose body holds `id` (itself for a page).
    pub fn owning_page(&self, id: &str) -> Option<String> {
        let mut cur = id.to_string();
        for _ in 0..256 {
            if self.pages.contains_key(&cur) {
                return Some(cur);
            }
            cur = self.parent_of(&cur)?;
        }
        None
    }

    pub fn user(&self, id: &str) -> Option<Value> {
        self.users
            .iter()
            .find(|u| u["id"] == id)
            .cloned()
            .or_else(|| self.bots.get(id).cloned())
    }

    /// The user object as property values show it (`created_by` and friends).
    pub fn user_value(&self, id: &str) -> Value {
        match self.user(id) {
            Some(u) if u["type"] == "bot" => json!({
                "object": "user", "id": id, "name": u["name"], "avatar_url": u["avatar_url"],
                "type": "bot", "bot": {},
            }),
            Some(u) => u,
            None => shapes::user_ref(id),
        }
    }

    pub fn register_bot(&mut self, bot: Value) {
        if let Some(id) = bot["id"].as_str() {
            self.bots.insert(id.to_string(), bot);
        }
    }

    // ---------------------------------------------------------------- children and rendering

    /// Ids of the live (not trashed) children of a page or block, in order. A synced-block copy
    /// lists its original's children.
    pub fn live_children(&self, container: &str) -> Vec<String> {
        let container = self.synced_source(container);
        self.children
            .get(&container)
            .map(|ids| {
                ids.iter()
                    .filter(|id| !self.is_trashed_block(id))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every child id including trashed ones (internal walks).
    pub fn raw_children(&self, container: &str) -> &[String] {
        self.children
            .get(container)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn synced_source(&self, id: &str) -> String {
        self.blocks
            .get(id)
            .filter(|b| b["type"] == "synced_block")
            .and_then(|b| b["synced_block"]["synced_from"]["block_id"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| id.to_string())
    }

    fn is_trashed_block(&self, id: &str) -> bool {
        if let Some(p) = self.pages.get(id) {
            return p["in_trash"] == true;
        }
        if let Some(d) = self.databases.get(id) {
            return d["in_trash"] == true;
        }
        self.blocks.get(id).is_none_or(|b| b["in_trash"] == true)
    }

    pub fn has_live_children(&self, id: &str) -> bool {
        let container = self.synced_source(id);
        self.children
            .get(&container)
            .is_some_and(|ids| ids.iter().any(|c| !self.is_trashed_block(c)))
    }

    /// A block as the API returns it. A page or database id gives its child_page /
    /// child_database block (synthesised for workspace-level ones).
    pub fn render_block(&self, id: &str) -> Option<Value> {
        let mut block = match self.blocks.get(id) {
            Some(b) => b.clone(),
            None => self.synthetic_block(id)?,
        };
        // child_page / child_database blocks mirror their object.
        if let Some(page) = self.pages.get(id) {
            block["in_trash"] = page["in_trash"].clone();
            block["child_page"] = json!({"title": page_title(page)});
            block["last_edited_time"] = page["last_edited_time"].clone();
        } else if let Some(db) = self.databases.get(id) {
            block["in_trash"] = db["in_trash"].clone();
            block["child_database"] = json!({"title": plain_text(&db["title"])});
        }
        block["has_children"] = json!(self.has_live_children(id));
        Some(block)
    }

    fn synthetic_block(&self, id: &str) -> Option<Value> {
        if let Some(page) = self.pages.get(id) {
            let mut b = shapes::block(
                id,
                page["parent"].clone(),
                page["created_time"].as_str().unwrap_or_default(),
                page["created_by"]["id"].as_str().unwrap_or_default(),
                "child_page",
                json!({"title": page_title(page)}),
            );
            b["last_edited_time"] = page["last_edited_time"].clone();
            return Some(b);
        }
        let db = self.databases.get(id)?;
        Some(shapes::block(
            id,
            db["parent"].clone(),
            db["created_time"].as_str().unwrap_or_default(),
            &self.owner_id(),
            "child_database",
            json!({"title": plain_text(&db["title"])}),
        ))
    }

    /// A page as the API returns it: references cut at 25 with `has_more`.
    pub fn render_page(&self, id: &str) -> Option<Value> {
        let mut page = self.pages.get(id)?.clone();
        if let Some(props) = page["properties"].as_object_mut() {
            for prop in props.values_mut() {
                truncate_references(prop);
            }
        }
        Some(page)
    }

    pub fn render_database(&self, id: &str) -> Option<Value> {
        let mut db = self.databases.get(id)?.clone();
        let sources: Vec<Value> = self
            .data_source_order
            .iter()
            .filter_map(|ds_id| self.data_sources.get(ds_id))
            .filter(|ds| ds["parent"]["database_id"] == id)
            .map(|ds| json!({"id": ds["id"], "name": plain_text(&ds["title"])}))
            .collect();
        db["data_sources"] = Value::Array(sources);
        Some(db)
    }

    pub fn render_data_source(&self, id: &str) -> Option<Value> {
        let mut ds = self.data_sources.get(id)?.clone();
        let db_id = ds["parent"]["database_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(db) = self.databases.get(&db_id) {
            ds["database_parent"] = db["parent"].clone();
            ds["is_inline"] = db["is_inline"].clone();
            if db["in_trash"] == true {
                ds["in_trash"] = json!(true);
            }
        }
        Some(ds)
    }

    /// The database a data source belongs to.
    pub fn database_of(&self, data_source_id: &str) -> Option<String> {
        self.data_sources
            .get(data_source_id)
            .and_then(|ds| ds["parent"]["database_id"].as_str())
            .map(str::to_string)
    }

    /// Data sources of a database, in order.
    pub fn data_sources_of(&self, database_id: &str) -> Vec<String> {
        self.data_source_order
            .iter()
            .filter(|ds| self.database_of(ds).as_deref() == Some(database_id))
            .cloned()
            .collect()
    }

    pub fn rows_of(&self, data_source_id: &str) -> &[String] {
        self.rows
            .get(data_source_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    // ---------------------------------------------------------------- insertion

    /// Adds a page; links it into its parent (top level, rows, or a child_page block at `index`
    /// of its parent's children, or the end).
    pub fn insert_page(&mut self, page: Value, index: Option<usize>) {
        let Some(id) = page["id"].as_str().map(str::to_string) else {
            return;
        };
        let parent = page["parent"].clone();
        self.pages.insert(id.clone(), page);
        self.page_order.push(id.clone());
        match parent["type"].as_str() {
            Some("workspace") => self.top_level.push(id),
            Some("data_source_id") => {
                if let Some(ds) = parent["data_source_id"].as_str() {
                    self.rows.entry(ds.to_string()).or_default().push(id);
                }
            }
            Some("page_id") | Some("block_id") => {
                if let Some(container) = parent_target(&parent) {
                    self.link_child_object(&container, &id, "child_page", index);
                }
            }
            _ => {}
        }
    }

    /// Adds a database (and links a child_database block when its parent is a page or block).
    pub fn insert_database(&mut self, db: Value, index: Option<usize>) {
        let Some(id) = db["id"].as_str().map(str::to_string) else {
            return;
        };
        let parent = db["parent"].clone();
        self.databases.insert(id.clone(), db);
        self.database_order.push(id.clone());
        match parent["type"].as_str() {
            Some("workspace") => self.top_level.push(id),
            Some("page_id") | Some("block_id") => {
                if let Some(container) = parent_target(&parent) {
                    self.link_child_object(&container, &id, "child_database", index);
                }
            }
            _ => {}
        }
    }

    pub fn insert_data_source(&mut self, ds: Value) {
        let Some(id) = ds["id"].as_str().map(str::to_string) else {
            return;
        };
        self.data_sources.insert(id.clone(), ds);
        self.data_source_order.push(id.clone());
        self.rows.entry(id).or_default();
    }

    fn link_child_object(&mut self, container: &str, id: &str, kind: &str, index: Option<usize>) {
        let (time, author, title) = if kind == "child_page" {
            let p = &self.pages[id];
            (
                p["created_time"].as_str().unwrap_or_default().to_string(),
                p["created_by"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                page_title(p),
            )
        } else {
            let d = &self.databases[id];
            (
                d["created_time"].as_str().unwrap_or_default().to_string(),
                self.owner_id(),
                plain_text(&d["title"]),
            )
        };
        let parent = if self.pages.contains_key(container) {
            shapes::parent_page(container)
        } else {
            shapes::parent_block(container)
        };
        let block = shapes::block(id, parent, &time, &author, kind, json!({"title": title}));
        self.blocks.insert(id.to_string(), block);
        let list = self.children.entry(container.to_string()).or_default();
        list.retain(|c| c != id);
        let at = index.unwrap_or(list.len()).min(list.len());
        list.insert(at, id.to_string());
    }

    /// Adds a block under `container` at `index` (end when `None`).
    pub fn insert_block(&mut self, container: &str, block: Value, index: Option<usize>) {
        let Some(id) = block["id"].as_str().map(str::to_string) else {
            return;
        };
        self.blocks.insert(id.clone(), block);
        let list = self.children.entry(container.to_string()).or_default();
        let at = index.unwrap_or(list.len()).min(list.len());
        list.insert(at, id);
    }

    /// Removes a page from the tree position it had (before a move).
    pub fn unlink_page(&mut self, id: &str) {
        let Some(parent) = self.pages.get(id).map(|p| p["parent"].clone()) else {
            return;
        };
        match parent["type"].as_str() {
            Some("workspace") => self.top_level.retain(|x| x != id),
            Some("data_source_id") => {
                if let Some(ds) = parent["data_source_id"].as_str()
                    && let Some(rows) = self.rows.get_mut(ds)
                {
                    rows.retain(|x| x != id);
                }
            }
            _ => {
                if let Some(container) = parent_target(&parent)
                    && let Some(list) = self.children.get_mut(&container)
                {
                    list.retain(|x| x != id);
                }
                self.blocks.remove(id);
            }
        }
    }

    /// Re-attaches a page after its `parent` changed (moves).
    pub fn relink_page(&mut self, id: &str) {
        let Some(parent) = self.pages.get(id).map(|p| p["parent"].clone()) else {
            return;
        };
        match parent["type"].as_str() {
            Some("workspace") => self.top_level.push(id.to_string()),
            Some("data_source_id") => {
                if let Some(ds) = parent["data_source_id"].as_str() {
                    self.rows
                        .entry(ds.to_string())
                        .or_default()
                        .push(id.to_string());
                }
            }
            _ => {
                if let Some(container) = parent_target(&parent) {
                    self.link_child_object(&container, id, "child_page", None);
                }
            }
        }
    }

    /// Every block id below `container` (depth-first, including trashed ones; not crossing into
    /// child pages).
    pub fn descendant_blocks(&self, container: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack: Vec<String> = self.raw_children(container).iter().rev().cloned().collect();
        while let Some(id) = stack.pop() {
            if self.pages.contains_key(&id) || self.databases.contains_key(&id) {
                continue;
            }
            out.push(id.clone());
            for c in self.raw_children(&id).iter().rev() {
                stack.push(c.clone());
            }
        }
        out
    }

    // ---------------------------------------------------------------- computed values

    /// Updates a row's computed properties (timestamps, authors, formulas) from the page and its
    /// data source schema.
    pub fn refresh_computed(&mut self, page_id: &str) {
        let Some(page) = self.pages.get(page_id) else {
            return;
        };
        let Some(ds_id) = page["parent"]["data_source_id"].as_str() else {
            return;
        };
        let schema = self
            .data_sources
            .get(ds_id)
            .map(|ds| ds["properties"].clone())
            .unwrap_or(Value::Null);
        let created = page["created_time"].clone();
        let edited = page["last_edited_time"].clone();
        let created_by = self.user_value(page["created_by"]["id"].as_str().unwrap_or_default());
        let edited_by = self.user_value(page["last_edited_by"]["id"].as_str().unwrap_or_default());
        let numbers: HashMap<String, f64> = page["properties"]
            .as_object()
            .map(|props| {
                props
                    .iter()
                    .filter_map(|(k, v)| v["number"].as_f64().map(|n| (k.clone(), n)))
                    .collect()
            })
            .unwrap_or_default();
        let Some(page) = self.pages.get_mut(page_id) else {
            return;
        };
        let Some(props) = page["properties"].as_object_mut() else {
            return;
        };
        for (name, prop) in props.iter_mut() {
            match prop["type"].as_str() {
                Some("created_time") => prop["created_time"] = created.clone(),
                Some("last_edited_time") => prop["last_edited_time"] = edited.clone(),
                Some("created_by") => prop["created_by"] = created_by.clone(),
                Some("last_edited_by") => prop["last_edited_by"] = edited_by.clone(),
                Some("formula") => {
                    let expression = schema[name.as_str()]["formula"]["expression"]
                        .as_str()
                        .unwrap_or_default();
                    if let Some(v) = evaluate_formula(expression, &numbers) {
                        prop["formula"] = v;
                    }
                }
                _ => {}
            }
        }
    }

    // ---------------------------------------------------------------- JSON load and dump

    /// Loads a workspace document (see the type docs for the format).
    pub fn from_json(doc: &Value) -> Result<Workspace, WorkspaceError> {
        let info = &doc["workspace"];
        let id = info["id"]
            .as_str()
            .ok_or_else(|| WorkspaceError::Invalid("workspace.id is required".into()))?;
        let name = info["name"].as_str().unwrap_or("Workspace");
        let users: Vec<Value> = array(doc, "users");
        let owner = users.first().cloned().ok_or_else(|| {
            WorkspaceError::Invalid("users must hold at least one person (the owner)".into())
        })?;
        let mut ws = Workspace::new(id, name, owner);
        ws.users = users;
        ws.icon = info["icon"].as_str().map(str::to_string);

        for mut db in array(doc, "databases") {
            require_id(&db, "databases")?;
            normalize_times(&mut db);
            // Child links are fixed up after the blocks are in.
            let id = db["id"].as_str().unwrap_or_default().to_string();
            if db["parent"]["type"] == "workspace" {
                ws.top_level.push(id.clone());
            }
            ws.databases.insert(id.clone(), db);
            ws.database_order.push(id);
        }
        for mut ds in array(doc, "data_sources") {
            require_id(&ds, "data_sources")?;
            normalize_times(&mut ds);
            ws.insert_data_source(ds);
        }
        for mut page in array(doc, "pages") {
            require_id(&page, "pages")?;
            normalize_times(&mut page);
            // Old-style database parents point at the database's first data source.
            if page["parent"]["type"] == "database_id" {
                let db = page["parent"]["database_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if let Some(ds) = ws.data_sources_of(&db).first() {
                    page["parent"] = shapes::parent_data_source(ds, &db);
                }
            }
            let id = page["id"].as_str().unwrap_or_default().to_string();
            let parent = page["parent"].clone();
            ws.pages.insert(id.clone(), page);
            ws.page_order.push(id.clone());
            match parent["type"].as_str() {
                Some("workspace") => ws.top_level.push(id),
                Some("data_source_id") => {
                    if let Some(ds) = parent["data_source_id"].as_str() {
                        ws.rows.entry(ds.to_string()).or_default().push(id);
                    }
                }
                _ => {}
            }
        }
        for mut block in array(doc, "blocks") {
            require_id(&block, "blocks")?;
            normalize_times(&mut block);
            let Some(container) = parent_target(&block["parent"]) else {
                return Err(WorkspaceError::Invalid(format!(
                    "block {} has no page or block parent",
                    block["id"]
                )));
            };
            if let Some(map) = block.as_object_mut() {
                map.remove("request_id");
                map.remove("archived");
            }
            ws.insert_block(&container, block, None);
        }
        // Child pages and databases without a block get one at the end of their parent.
        for id in ws.page_order.clone() {
            let parent = ws.pages[&id]["parent"].clone();
            if matches!(parent["type"].as_str(), Some("page_id") | Some("block_id"))
                && let Some(container) = parent_target(&parent)
                && !ws.raw_children(&container).contains(&id)
            {
                ws.link_child_object(&container, &id, "child_page", None);
            }
        }
        for id in ws.database_order.clone() {
            let parent = ws.databases[&id]["parent"].clone();
            if matches!(parent["type"].as_str(), Some("page_id") | Some("block_id"))
                && let Some(container) = parent_target(&parent)
                && !ws.raw_children(&container).contains(&id)
            {
                ws.link_child_object(&container, &id, "child_database", None);
            }
        }
        if let Some(order) = doc["top_level"].as_array() {
            let mut ordered: Vec<String> = order
                .iter()
                .filter_map(Value::as_str)
                .filter(|id| ws.top_level.iter().any(|t| t == id))
                .map(str::to_string)
                .collect();
            for id in &ws.top_level {
                if !ordered.contains(id) {
                    ordered.push(id.clone());
                }
            }
            ws.top_level = ordered;
        }
        ws.comments = array(doc, "comments");
        if let Some(map) = doc["templates"].as_object() {
            for (ds, list) in map {
                ws.templates
                    .insert(ds.clone(), list.as_array().cloned().unwrap_or_default());
            }
        }
        Ok(ws)
    }

    /// Dumps the workspace in the `from_json` format.
    pub fn to_json(&self) -> Value {
        let pages: Vec<Value> = self
            .page_order
            .iter()
            .filter_map(|id| self.pages.get(id).cloned())
            .collect();
        let databases: Vec<Value> = self
            .database_order
            .iter()
            .filter_map(|id| self.render_database(id))
            .collect();
        let data_sources: Vec<Value> = self
            .data_source_order
            .iter()
            .filter_map(|id| self.render_data_source(id))
            .collect();
        let mut blocks = Vec::new();
        let mut seen = HashSet::new();
        let containers: Vec<String> = self.page_order.to_vec();
        for container in containers {
            let mut stack: Vec<String> = self
                .raw_children(&container)
                .iter()
                .rev()
                .cloned()
                .collect();
            while let Some(id) = stack.pop() {
                if !seen.insert(id.clone()) {
                    continue;
                }
                if let Some(b) = self.render_block(&id) {
                    blocks.push(b);
                }
                if self.pages.contains_key(&id) {
                    continue;
                }
                for c in self.raw_children(&id).iter().rev() {
                    stack.push(c.clone());
                }
            }
        }
        json!({
            "format": WORKSPACE_FORMAT,
            "workspace": {"id": self.id, "name": self.name, "icon": self.icon},
            "users": self.users,
            "databases": databases,
            "data_sources": data_sources,
            "pages": pages,
            "blocks": blocks,
            "top_level": self.top_level,
            "comments": self.comments,
            "templates": self.templates,
        })
    }
}

fn array(doc: &Value, key: &str) -> Vec<Value> {
    doc[key].as_array().cloned().unwrap_or_default()
}

fn require_id(v: &Value, list: &str) -> Result<(), WorkspaceError> {
    match v["id"].as_str().and_then(crate::ids::normalize_id) {
        Some(id) if v["id"] == id.as_str() => Ok(()),
        _ => Err(WorkspaceError::Invalid(format!(
            "every entry of {list} needs an `id` that is a dashed lowercase UUID, found {}",
            v["id"]
        ))),
    }
}

fn normalize_times(v: &mut Value) {
    for key in ["created_time", "last_edited_time"] {
        if let Some(s) = v[key].as_str() {
            v[key] = Value::String(normalize_minute(s));
        }
    }
}

/// Cuts relation/people arrays at 25 references, as page objects do.
fn truncate_references(prop: &mut Value) {
    for key in ["relation", "people"] {
        if prop["type"] != key {
            continue;
        }
        if let Some(items) = prop[key].as_array_mut() {
            let more = items.len() > MAX_REFERENCES_IN_PAGE;
            items.truncate(MAX_REFERENCES_IN_PAGE);
            if key == "relation" || more {
                prop["has_more"] = json!(more);
            }
        }
    }
}

/// The formulas the emulator understands: `prop("Name") * N` and `prop("Name") + N`. Others keep
/// their stored value.
pub fn evaluate_formula(expression: &str, numbers: &HashMap<String, f64>) -> Option<Value> {
    let rest = expression.trim().strip_prefix("prop(\"")?;
    let (name, rest) = rest.split_once("\")")?;
    let rest = rest.trim();
    let (op, operand) = rest.split_at(rest.chars().next().map_or(0, char::len_utf8));
    let operand: f64 = operand.trim().parse().ok()?;
    let Some(value) = numbers.get(name) else {
        return Some(json!({"type": "number", "number": null}));
    };
    let result = match op {
        "*" => value * operand,
        "+" => value + operand,
        "-" => value - operand,
        _ => return None,
    };
    Some(json!({"type": "number", "number": number_json(result)}))
}

/// Whole numbers print without a fraction, like Notion.
pub fn number_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// Sets `last_edited_time`/`last_edited_by` on a document.
pub fn stamp_edit(doc: &mut Value, now: &str, actor: &str) {
    if let Some(map) = doc.as_object_mut() {
        map.insert("last_edited_time".into(), json!(now));
        if map.contains_key("last_edited_by") {
            map.insert("last_edited_by".into(), shapes::user_ref(actor));
        }
    }
}

/// A JSON object from pairs (small helper for ordered maps).
pub fn object(pairs: Vec<(&str, Value)>) -> Value {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.to_string(), v);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_multiply_and_add() {
        let mut n = HashMap::new();
        n.insert("Estimate".to_string(), 4.0);
        assert_eq!(
            evaluate_formula("prop(\"Estimate\") * 2", &n),
            Some(json!({"type":"number","number":8}))
        );
        assert_eq!(
            evaluate_formula("prop(\"Estimate\") + 0.5", &n),
            Some(json!({"type":"number","number":4.5}))
        );
        assert_eq!(evaluate_formula("now()", &n), None);
    }

    #[test]
    fn references_are_truncated_at_25() {
        let mut prop = json!({"id":"r","type":"relation","relation": (0..30).map(|i| json!({"id": i.to_string()})).collect::<Vec<_>>(), "has_more": false});
        truncate_references(&mut prop);
        assert_eq!(prop["relation"].as_array().unwrap().len(), 25);
        assert_eq!(prop["has_more"], true);
    }
}
