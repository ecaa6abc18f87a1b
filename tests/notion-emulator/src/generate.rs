//! Deterministic workspace generation from a seed (see [`GeneratedWorkspace`]).

use serde_json::{Value, json};

use crate::clock::base_plus_minutes;
use crate::config::GeneratedWorkspace;
use crate::ids::Rng;
use crate::json_shapes::{self as shapes, Style, text};
use crate::workspace::Workspace;

const WORDS: &[&str] = &[
    "alpha", "beacon", "canyon", "delta", "ember", "fjord", "granite", "harbor", "island",
    "juniper", "kestrel", "lantern", "meadow", "nebula", "orchard", "prairie", "quartz", "river",
    "summit", "tundra", "umber", "valley", "willow", "xenon", "yarrow", "zephyr", "sync", "record",
    "cursor", "budget", "webhook", "token", "schema", "relay", "notion", "ledger", "roadmap",
    "review",
];

const TOP_LEVEL_TITLES: &[&str] = &[
    "Team Home",
    "Engineering",
    "Product",
    "Operations",
    "Research",
    "Archive",
];

/// Builds the workspace described by `params`.
pub fn generate(params: &GeneratedWorkspace) -> Workspace {
    let mut g = Gen::new(params);
    g.run();
    g.ws
}

/// Options of a select-like property: (id, name, color).
type Options = Vec<(String, &'static str, &'static str)>;

struct Schema {
    data_source_id: String,
    priority: Options,
    tags: Options,
    status: Options,
}

struct Gen<'a> {
    p: &'a GeneratedWorkspace,
    rng: Rng,
    ws: Workspace,
    minute: i64,
    owner: Value,
    member: Value,
    owner_id: String,
}

impl<'a> Gen<'a> {
    fn new(p: &'a GeneratedWorkspace) -> Gen<'a> {
        let mut rng = Rng::new(p.seed);
        let workspace_id = rng.uuid();
        let owner_id = rng.uuid();
        let member_id = rng.uuid();
        let owner = shapes::person(&owner_id, "Ada Owner", "owner@example.com");
        let member = shapes::person(&member_id, "Grace Member", "member@example.com");
        let mut ws = Workspace::new(&workspace_id, &p.workspace_name, owner.clone());
        ws.users.push(member.clone());
        ws.icon = Some("🛰️".to_string());
        Gen {
            p,
            rng,
            ws,
            minute: 0,
            owner,
            member,
            owner_id,
        }
    }

    /// The next creation time: strictly increasing, minute-granular, sometimes equal.
    fn tick(&mut self) -> String {
        self.minute += self.rng.below(3) as i64;
        base_plus_minutes(self.minute)
    }

    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| *self.rng.pick(WORDS))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn sentence(&mut self, n: usize) -> String {
        let mut s = self.words(n);
        if let Some(first) = s.get(..1) {
            s = first.to_uppercase() + &s[1..];
        }
        s.push('.');
        s
    }

    fn new_page(&mut self, parent: Value, title: &str, properties: Option<Value>) -> String {
        let id = self.rng.uuid();
        let time = self.tick();
        let props = properties.unwrap_or_else(|| shapes::title_properties(json!([text(title)])));
        let mut page = shapes::page(&id, parent, &time, &self.owner_id, props, title);
        // Some pages were edited later than created.
        if self.rng.chance(40) {
            page["last_edited_time"] =
                json!(base_plus_minutes(self.minute + self.rng.below(90) as i64));
        }
        if self.rng.chance(30) {
            page["icon"] = json!({"type": "emoji", "emoji": "📄"});
        }
        self.ws.insert_page(page, None);
        id
    }

    fn block(&mut self, container: &str, kind: &str, payload: Value) -> String {
        let id = self.rng.uuid();
        self.block_with_id(&id, container, kind, payload);
        id
    }

    fn block_with_id(&mut self, id: &str, container: &str, kind: &str, payload: Value) {
        let parent = if self.ws.pages.contains_key(container) {
            shapes::parent_page(container)
        } else {
            shapes::parent_block(container)
        };
        let time = base_plus_minutes(self.minute);
        let b = shapes::block(id, parent, &time, &self.owner_id, kind, payload);
        self.ws.insert_block(container, b, None);
    }

    fn paragraph(&mut self, container: &str, content: &str) -> String {
        self.block(
            container,
            "paragraph",
            json!({"rich_text": [text(content)], "icon": null, "color": "default"}),
        )
    }

    fn run(&mut self) {
        let top_count = self.p.top_level_pages.max(1);
        let mut tops = Vec::new();
        for i in 0..top_count {
            let title = TOP_LEVEL_TITLES
                .get(i)
                .map_or_else(|| format!("Space {}", i + 1), |t| t.to_string());
            let id = self.new_page(shapes::parent_workspace(), &title, None);
            let intro = self.sentence(10);
            self.paragraph(&id, &intro);
            tops.push(id);
        }

        let db0_id = self.rng.uuid();
        let showcase = self.new_page(shapes::parent_page(&tops[0]), "Block Showcase", None);
        self.showcase_body(&showcase, &tops, &db0_id);
        self.large_page(&tops[0]);
        self.deep_chain(tops.get(1).unwrap_or(&tops[0]).clone());

        // Ordinary pages in trees under the top-level pages.
        let mut candidates: Vec<(String, usize)> = tops.iter().map(|t| (t.clone(), 1)).collect();
        let mut fillers = Vec::new();
        for i in 0..self.p.pages {
            let (parent, depth) = candidates[self.rng.below(candidates.len())].clone();
            let title = format!("{} {}", capitalize(&self.words(2)), i + 1);
            let id = self.new_page(shapes::parent_page(&parent), &title, None);
            self.filler_body(&id);
            if depth + 1 < self.p.max_depth.max(2) {
                candidates.push((id.clone(), depth + 1));
            }
            fillers.push(id);
        }

        self.databases(&showcase, &tops, &fillers, &db0_id);

        // Trash the last few ordinary pages.
        let trashed = self.p.trashed_pages.min(fillers.len());
        for id in fillers.iter().rev().take(trashed) {
            if let Some(page) = self.ws.pages.get_mut(id) {
                page["in_trash"] = json!(true);
            }
        }
        self.comments(&showcase);
    }

    fn showcase_body(&mut self, page: &str, tops: &[String], db0_id: &str) {
        let owner = self.owner.clone();
        let linked = tops.last().cloned().unwrap_or_default();
        self.block(page, "heading_1", json!({"rich_text": [text("Every block type")], "is_toggleable": false, "color": "default"}));
        let red = Style {
            color: "red",
            ..Style::default()
        };
        let yellow_bg = Style {
            color: "yellow_background",
            bold: true,
            ..Style::default()
        };
        let rich = json!([
            text("Plain, "),
            shapes::styled("bold", Style::bold()),
            text(", "),
            shapes::styled("italic", Style::italic()),
            text(", "),
            shapes::styled(
                "struck",
                Style {
                    strikethrough: true,
                    ..Style::default()
                }
            ),
            text(", "),
            shapes::styled(
                "underlined",
                Style {
                    underline: true,
                    ..Style::default()
                }
            ),
            text(", "),
            shapes::styled("code", Style::code()),
            text(", "),
            shapes::styled("red", red),
            text(", "),
            shapes::styled("highlighted", yellow_bg),
            text(", a "),
            shapes::link("link", "https://example.com/docs", Style::default()),
            text(", "),
            shapes::mention_user(&owner),
            text(", "),
            shapes::mention_page(&linked, "Linked page"),
            text(", "),
            shapes::mention_database(db0_id, "Projects"),
            text(", "),
            shapes::mention_date("2025-03-01"),
            text(", "),
            shapes::mention_link_preview("https://github.com/example/repo/pull/1"),
            text(" and "),
            shapes::equation_item("E = mc^2"),
        ]);
        self.block(
            page,
            "paragraph",
            json!({"rich_text": rich, "icon": null, "color": "default"}),
        );
        // Long text: several items close to the 2,000-character limit.
        let long: Vec<Value> = (0..3)
            .map(|i| text(&self.long_text(1_990 - i * 5)))
            .collect();
        self.block(
            page,
            "paragraph",
            json!({"rich_text": long, "icon": null, "color": "default"}),
        );
        self.block(
            page,
            "paragraph",
            json!({"rich_text": [], "icon": null, "color": "default"}),
        );
        for (kind, label) in [
            ("heading_2", "Heading 2"),
            ("heading_3", "Heading 3"),
            ("heading_4", "Heading 4"),
        ] {
            self.block(
                page,
                kind,
                json!({"rich_text": [text(label)], "is_toggleable": false, "color": "default"}),
            );
        }
        let toggle_heading = self.block(page, "heading_2", json!({"rich_text": [text("Toggle heading")], "is_toggleable": true, "color": "default"}));
        self.paragraph(&toggle_heading, "Hidden under a toggleable heading.");
        // Deep nesting: four levels of bullets.
        let mut parent = page.to_string();
        for level in 1..=4 {
            parent = self.block(
                &parent,
                "bulleted_list_item",
                json!({"rich_text": [text(&format!("Bullet level {level}"))], "color": "default"}),
            );
        }
        self.block(
            page,
            "bulleted_list_item",
            json!({"rich_text": [text("Second bullet")], "color": "default"}),
        );
        for n in 1..=3 {
            self.block(page, "numbered_list_item", json!({"rich_text": [text(&format!("Step {n}"))], "color": if n == 2 { "blue" } else { "default" }}));
        }
        self.block(
            page,
            "to_do",
            json!({"rich_text": [text("Open task")], "checked": false, "color": "default"}),
        );
        self.block(
            page,
            "to_do",
            json!({"rich_text": [text("Finished task")], "checked": true, "color": "default"}),
        );
        let toggle = self.block(
            page,
            "toggle",
            json!({"rich_text": [text("Toggle me")], "color": "default"}),
        );
        self.paragraph(&toggle, "Inside the toggle.");
        self.paragraph(&toggle, "Still inside the toggle.");
        self.block(
            page,
            "quote",
            json!({"rich_text": [text("A quoted line\nwith a new line")], "color": "blue"}),
        );
        let callout = self.block(page, "callout", json!({"rich_text": [text("Callout text")], "icon": {"type": "emoji", "emoji": "💡"}, "color": "purple_background"}));
        self.paragraph(&callout, "Callout child.");
        self.block(page, "code", json!({"caption": [text("Example")], "rich_text": [text("fn main() {\n    println!(\"hi\");\n}")], "language": "rust"}));
        self.block(
            page,
            "equation",
            json!({"expression": "\\int_0^1 x^2 \\, dx = \\frac{1}{3}"}),
        );
        self.block(page, "divider", json!({}));
        self.block(page, "breadcrumb", json!({}));
        self.block(page, "table_of_contents", json!({"color": "pink"}));
        let columns = self.block(page, "column_list", json!({}));
        for c in 0..2 {
            let col = self.block(&columns, "column", json!({}));
            self.paragraph(&col, &format!("Column {} text.", c + 1));
        }
        let table = self.block(
            page,
            "table",
            json!({"table_width": 3, "has_column_header": true, "has_row_header": false}),
        );
        for r in 0..3 {
            let cells: Vec<Value> = (0..3)
                .map(|c| {
                    if r == 2 && c == 2 {
                        json!([])
                    } else {
                        json!([text(&format!("r{r}c{c}"))])
                    }
                })
                .collect();
            self.block(&table, "table_row", json!({"cells": cells}));
        }
        self.block(page, "image", json!({"caption": [text("A picture")], "type": "external", "external": {"url": "https://example.com/picture.png"}}));
        self.block(page, "image", json!({"caption": [], "type": "file", "file": {"url": "https://prod-files-secure.s3.us-west-2.amazonaws.com/emulator/picture.jpg?X-Amz-Expires=3600", "expiry_time": "2030-01-01T00:00:00.000Z"}}));
        self.block(page, "video", json!({"caption": [], "type": "external", "external": {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}}));
        self.block(page, "pdf", json!({"caption": [], "type": "external", "external": {"url": "https://example.com/doc.pdf"}}));
        self.block(page, "audio", json!({"caption": [], "type": "external", "external": {"url": "https://example.com/sound.mp3"}}));
        self.block(page, "file", json!({"caption": [], "type": "external", "external": {"url": "https://example.com/robots.txt"}, "name": "robots.txt"}));
        self.block(
            page,
            "bookmark",
            json!({"caption": [], "url": "https://example.com/bookmark"}),
        );
        self.block(
            page,
            "embed",
            json!({"caption": [], "url": "https://example.com/embed"}),
        );
        self.block(
            page,
            "link_preview",
            json!({"url": "https://github.com/example/repo/issues/1"}),
        );
        self.block(
            page,
            "link_to_page",
            json!({"type": "page_id", "page_id": linked}),
        );
        let original = self.block(page, "synced_block", json!({"synced_from": null}));
        self.paragraph(&original, "Synced content, first block.");
        self.paragraph(&original, "Synced content, second block.");
        self.block(
            page,
            "synced_block",
            json!({"synced_from": {"type": "block_id", "block_id": original}}),
        );
        self.block(
            page,
            "template",
            json!({"rich_text": [text("Add a new to-do")]}),
        );
        let tab = self.block(page, "tab", json!({}));
        self.paragraph(&tab, "Tab content.");
        let notes_id = self.rng.uuid();
        let summary_id = self.rng.uuid();
        let meeting = self.block(page, "meeting_notes", json!({
            "title": [text("Weekly sync")],
            "status": "notes_ready",
            "children": {"summary_block_id": summary_id, "notes_block_id": notes_id, "transcript_block_id": null},
            "calendar_event": null,
            "recording": null,
        }));
        self.block_with_id(
            &summary_id,
            &meeting,
            "paragraph",
            json!({"rich_text": [text("Summary of the sync.")], "icon": null, "color": "default"}),
        );
        self.block_with_id(
            &notes_id,
            &meeting,
            "paragraph",
            json!({"rich_text": [text("Notes of the sync.")], "icon": null, "color": "default"}),
        );
        self.block(page, "unsupported", json!({"block_type": "button"}));
        let child = self.new_page(shapes::parent_page(page), "Showcase Child", None);
        self.paragraph(&child, "A child page inside the showcase.");
        let _ = self.member.clone();
    }

    fn long_text(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len + 16);
        while s.len() < len {
            let word: &str = WORDS[self.rng.below(WORDS.len())];
            s.push_str(word);
            s.push(' ');
        }
        s.truncate(len);
        s
    }

    fn large_page(&mut self, parent: &str) {
        let page = self.new_page(shapes::parent_page(parent), "Large Page", None);
        for i in 0..self.p.large_page_children {
            let words = self.words(6);
            self.paragraph(&page, &format!("Paragraph {}: {words}", i + 1));
        }
    }

    fn deep_chain(&mut self, top: String) {
        let mut parent = top;
        for depth in 2..=self.p.max_depth.max(2) {
            let id = self.new_page(
                shapes::parent_page(&parent),
                &format!("Depth {depth}"),
                None,
            );
            self.paragraph(&id, &format!("This page sits at depth {depth}."));
            parent = id;
        }
    }

    fn filler_body(&mut self, page: &str) {
        for i in 0..self.p.blocks_per_page {
            let n = 8 + self.rng.below(12);
            let words = self.sentence(n);
            match (i + self.rng.below(3)) % 9 {
                0 | 1 => {
                    self.paragraph(page, &words);
                }
                2 => {
                    self.block(page, "heading_2", json!({"rich_text": [text(&words)], "is_toggleable": false, "color": "default"}));
                }
                3 => {
                    let item = self.block(
                        page,
                        "bulleted_list_item",
                        json!({"rich_text": [text(&words)], "color": "default"}),
                    );
                    if self.rng.chance(40) {
                        let more = self.sentence(5);
                        self.block(
                            &item,
                            "bulleted_list_item",
                            json!({"rich_text": [text(&more)], "color": "default"}),
                        );
                    }
                }
                4 => {
                    let checked = self.rng.chance(50);
                    self.block(page, "to_do", json!({"rich_text": [text(&words)], "checked": checked, "color": "default"}));
                }
                5 => {
                    self.block(
                        page,
                        "quote",
                        json!({"rich_text": [text(&words)], "color": "default"}),
                    );
                }
                6 => {
                    self.block(page, "code", json!({"caption": [], "rich_text": [text(&format!("let x = \"{words}\";"))], "language": "javascript"}));
                }
                7 => {
                    let toggle = self.block(
                        page,
                        "toggle",
                        json!({"rich_text": [text("Details")], "color": "default"}),
                    );
                    self.paragraph(&toggle, &words);
                }
                _ => {
                    self.block(page, "numbered_list_item", json!({"rich_text": [shapes::styled(&words, Style::bold())], "color": "default"}));
                }
            }
        }
    }

    fn prop_id(&mut self) -> String {
        const ALPHABET: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789;:?@[]{}~_";
        let raw: String = (0..4)
            .map(|_| ALPHABET[self.rng.below(ALPHABET.len())] as char)
            .collect();
        url::form_urlencoded::byte_serialize(raw.as_bytes())
            .collect::<String>()
            .replace("%7E", "~")
    }

    fn options(&mut self, names: &[(&'static str, &'static str)]) -> Options {
        names
            .iter()
            .map(|(n, c)| (self.rng.uuid(), *n, *c))
            .collect()
    }

    fn databases(&mut self, showcase: &str, tops: &[String], fillers: &[String], db0_id: &str) {
        for d in 0..self.p.databases {
            if d == 0 {
                let time = self.tick();
                let db = shapes::database(
                    db0_id,
                    shapes::parent_page(showcase),
                    &time,
                    "Projects",
                    true,
                );
                self.ws.insert_database(db, None);
                let tasks_id = self.rng.uuid();
                let milestones_id = self.rng.uuid();
                let milestone_rows: Vec<String> = (0..self.p.rows_per_data_source)
                    .map(|_| self.rng.uuid())
                    .collect();
                let schema =
                    self.all_props_source(db0_id, &tasks_id, "Tasks", Some(&milestones_id), "TASK");
                self.milestones_source(db0_id, &milestones_id, &tasks_id, &milestone_rows);
                self.rows(&schema, Some((&milestones_id, &milestone_rows)));
                self.ws.templates.insert(
                    tasks_id.clone(),
                    vec![json!({"id": self.rng.uuid(), "name": "Bug report", "is_default": true})],
                );
            } else {
                let id = self.rng.uuid();
                let parent = if d % 2 == 1 || fillers.is_empty() {
                    shapes::parent_workspace()
                } else {
                    shapes::parent_page(&fillers[self.rng.below(fillers.len())])
                };
                let inline = parent["type"] != "workspace";
                let title = format!("Database {}", d + 1);
                let time = self.tick();
                let db = shapes::database(&id, parent, &time, &title, inline);
                self.ws.insert_database(db, None);
                let ds_id = self.rng.uuid();
                let schema =
                    self.all_props_source(&id, &ds_id, &title, None, &format!("D{}", d + 1));
                self.rows(&schema, None);
            }
        }
        let _ = tops;
    }

    fn all_props_source(
        &mut self,
        db: &str,
        ds_id: &str,
        title: &str,
        milestones: Option<&str>,
        prefix: &str,
    ) -> Schema {
        let priority = self.options(&[("High", "red"), ("Medium", "yellow"), ("Low", "gray")]);
        let tags = self.options(&[
            ("backend", "blue"),
            ("frontend", "green"),
            ("docs", "purple"),
            ("infra", "orange"),
        ]);
        let status = self.options(&[
            ("Not started", "default"),
            ("In progress", "blue"),
            ("Done", "green"),
        ]);
        let opt_json = |o: &Options| -> Value {
            json!({"options": o.iter().map(|(id, n, c)| json!({"id": id, "name": n, "color": c, "description": null})).collect::<Vec<_>>()})
        };
        let mut status_json = opt_json(&status);
        status_json["groups"] = json!([
            {"id": self.rng.uuid(), "name": "To-do", "color": "gray", "option_ids": [status[0].0]},
            {"id": self.rng.uuid(), "name": "In progress", "color": "blue", "option_ids": [status[1].0]},
            {"id": self.rng.uuid(), "name": "Complete", "color": "green", "option_ids": [status[2].0]},
        ]);
        let related_id = self.prop_id();
        let mut defs: Vec<(&str, &str, Value)> = vec![
            ("Notes", "rich_text", json!({})),
            ("Estimate", "number", json!({"format": "number"})),
            ("Priority", "select", opt_json(&priority)),
            ("Tags", "multi_select", opt_json(&tags)),
            ("Status", "status", status_json),
            ("Due", "date", json!({})),
            ("Assignee", "people", json!({})),
            ("Attachments", "files", json!({})),
            ("Done", "checkbox", json!({})),
            ("Link", "url", json!({})),
            ("Contact", "email", json!({})),
            ("Phone", "phone_number", json!({})),
            (
                "Related",
                "relation",
                json!({"database_id": db, "data_source_id": ds_id, "type": "single_property", "single_property": {}}),
            ),
            (
                "Score",
                "formula",
                json!({"expression": "prop(\"Estimate\") * 2"}),
            ),
            ("Created", "created_time", json!({})),
            ("Edited", "last_edited_time", json!({})),
            ("Created by", "created_by", json!({})),
            ("Edited by", "last_edited_by", json!({})),
            ("ID", "unique_id", json!({"prefix": prefix})),
        ];
        if let Some(m) = milestones {
            defs.push(("Milestone", "relation", json!({"database_id": db, "data_source_id": m, "type": "single_property", "single_property": {}})));
        }
        let mut props = serde_json::Map::new();
        props.insert("Name".into(), json!({"id": "title", "name": "Name", "description": null, "type": "title", "title": {}}));
        for (name, kind, config) in defs {
            let id = if name == "Related" {
                related_id.clone()
            } else {
                self.prop_id()
            };
            let mut p = serde_json::Map::new();
            p.insert("id".into(), json!(id));
            p.insert("name".into(), json!(name));
            p.insert("description".into(), Value::Null);
            p.insert("type".into(), json!(kind));
            p.insert(kind.to_string(), config);
            props.insert(name.to_string(), Value::Object(p));
        }
        let time = self.tick();
        let ds = shapes::data_source(
            ds_id,
            db,
            &time,
            &self.owner_id,
            title,
            Value::Object(props),
        );
        self.ws.insert_data_source(ds);
        Schema {
            data_source_id: ds_id.to_string(),
            priority,
            tags,
            status,
        }
    }

    fn milestones_source(&mut self, db: &str, ds_id: &str, tasks: &str, rows: &[String]) {
        let props = json!({
            "Name": {"id": "title", "name": "Name", "description": null, "type": "title", "title": {}},
            "Date": {"id": self.prop_id(), "name": "Date", "description": null, "type": "date", "date": {}},
            "Owner": {"id": self.prop_id(), "name": "Owner", "description": null, "type": "people", "people": {}},
            "Tasks": {"id": self.prop_id(), "name": "Tasks", "description": null, "type": "relation", "relation": {"database_id": db, "data_source_id": tasks, "type": "single_property", "single_property": {}}},
        });
        let time = self.tick();
        let ds = shapes::data_source(
            ds_id,
            db,
            &time,
            &self.owner_id,
            "Milestones",
            props.clone(),
        );
        self.ws.insert_data_source(ds);
        let owner = self.owner.clone();
        for (i, id) in rows.iter().enumerate() {
            let title = format!("Milestone {}", i + 1);
            let time = self.tick();
            let values = json!({
                "Name": {"id": "title", "type": "title", "title": [text(&title)]},
                "Date": {"id": props["Date"]["id"], "type": "date", "date": {"start": format!("2025-{:02}-01", (i % 12) + 1), "end": null, "time_zone": null}},
                "Owner": {"id": props["Owner"]["id"], "type": "people", "people": [owner]},
                "Tasks": {"id": props["Tasks"]["id"], "type": "relation", "relation": [], "has_more": false},
            });
            let page = shapes::page(
                id,
                shapes::parent_data_source(ds_id, db),
                &time,
                &self.owner_id,
                values,
                &title,
            );
            self.ws.insert_page(page, None);
        }
    }

    fn rows(&mut self, schema: &Schema, milestones: Option<(&String, &Vec<String>)>) {
        let ds_id = schema.data_source_id.clone();
        let db_id = self.ws.database_of(&ds_id).unwrap_or_default();
        let props = self.ws.data_sources[&ds_id]["properties"].clone();
        let pid = |name: &str| props[name]["id"].clone();
        let ids: Vec<String> = (0..self.p.rows_per_data_source)
            .map(|_| self.rng.uuid())
            .collect();
        let people = [self.owner.clone(), self.member.clone()];
        for (r, id) in ids.iter().enumerate() {
            let title = format!("{} {}", capitalize(&self.words(2)), r + 1);
            let estimate = if r % 7 == 3 {
                Value::Null
            } else {
                json!((r % 13) as i64 + 1)
            };
            let pr = &schema.priority[r % 3];
            let priority = if r % 5 == 4 {
                Value::Null
            } else {
                json!({"id": pr.0, "name": pr.1, "color": pr.2})
            };
            let tags: Vec<Value> = schema
                .tags
                .iter()
                .enumerate()
                .filter(|(i, _)| (r + i) % 3 == 0)
                .map(|(_, t)| json!({"id": t.0, "name": t.1, "color": t.2}))
                .collect();
            let st = &schema.status[r % 3];
            let due = if r % 4 == 2 {
                Value::Null
            } else {
                json!({"start": format!("2025-{:02}-{:02}", (r % 12) + 1, (r % 27) + 1), "end": null, "time_zone": null})
            };
            let assignee: Vec<Value> = match r % 3 {
                0 => vec![people[0].clone()],
                1 => vec![people[1].clone()],
                _ => vec![],
            };
            let files = if r % 4 == 0 {
                json!([{"name": format!("spec-{}.pdf", r + 1), "type": "external", "external": {"url": format!("https://example.com/files/spec-{}.pdf", r + 1)}}])
            } else {
                json!([])
            };
            let related: Vec<Value> = if r == 0 {
                ids.iter()
                    .skip(1)
                    .take(30)
                    .map(|x| json!({"id": x}))
                    .collect()
            } else {
                ids.iter()
                    .take(r)
                    .rev()
                    .take(r % 3)
                    .map(|x| json!({"id": x}))
                    .collect()
            };
            let notes = if r % 6 == 5 {
                json!([])
            } else {
                json!([text(&self.sentence(6))])
            };
            let mut values = serde_json::Map::new();
            values.insert(
                "Name".into(),
                json!({"id": "title", "type": "title", "title": [text(&title)]}),
            );
            values.insert(
                "Notes".into(),
                json!({"id": pid("Notes"), "type": "rich_text", "rich_text": notes}),
            );
            values.insert(
                "Estimate".into(),
                json!({"id": pid("Estimate"), "type": "number", "number": estimate}),
            );
            values.insert(
                "Priority".into(),
                json!({"id": pid("Priority"), "type": "select", "select": priority}),
            );
            values.insert(
                "Tags".into(),
                json!({"id": pid("Tags"), "type": "multi_select", "multi_select": tags}),
            );
            values.insert("Status".into(), json!({"id": pid("Status"), "type": "status", "status": {"id": st.0, "name": st.1, "color": st.2}}));
            values.insert(
                "Due".into(),
                json!({"id": pid("Due"), "type": "date", "date": due}),
            );
            values.insert(
                "Assignee".into(),
                json!({"id": pid("Assignee"), "type": "people", "people": assignee}),
            );
            values.insert(
                "Attachments".into(),
                json!({"id": pid("Attachments"), "type": "files", "files": files}),
            );
            values.insert(
                "Done".into(),
                json!({"id": pid("Done"), "type": "checkbox", "checkbox": r % 2 == 1}),
            );
            values.insert("Link".into(), json!({"id": pid("Link"), "type": "url", "url": if r % 3 == 0 { json!(format!("https://example.com/items/{}", r + 1)) } else { Value::Null }}));
            values.insert("Contact".into(), json!({"id": pid("Contact"), "type": "email", "email": if r % 3 == 1 { json!(format!("contact{}@example.com", r + 1)) } else { Value::Null }}));
            values.insert("Phone".into(), json!({"id": pid("Phone"), "type": "phone_number", "phone_number": if r % 3 == 2 { json!(format!("+1 555 01{:02}", r % 100)) } else { Value::Null }}));
            values.insert("Related".into(), json!({"id": pid("Related"), "type": "relation", "relation": related, "has_more": false}));
            values.insert("Score".into(), json!({"id": pid("Score"), "type": "formula", "formula": {"type": "number", "number": null}}));
            values.insert(
                "Created".into(),
                json!({"id": pid("Created"), "type": "created_time", "created_time": null}),
            );
            values.insert(
                "Edited".into(),
                json!({"id": pid("Edited"), "type": "last_edited_time", "last_edited_time": null}),
            );
            values.insert(
                "Created by".into(),
                json!({"id": pid("Created by"), "type": "created_by", "created_by": {}}),
            );
            values.insert(
                "Edited by".into(),
                json!({"id": pid("Edited by"), "type": "last_edited_by", "last_edited_by": {}}),
            );
            let prefix = props["ID"]["unique_id"]["prefix"].clone();
            values.insert("ID".into(), json!({"id": pid("ID"), "type": "unique_id", "unique_id": {"prefix": prefix, "number": r + 1}}));
            if let Some((_, milestone_rows)) = milestones {
                let rel: Vec<Value> = milestone_rows
                    .get(r % milestone_rows.len().max(1))
                    .map(|m| json!({"id": m}))
                    .into_iter()
                    .collect();
                values.insert("Milestone".into(), json!({"id": pid("Milestone"), "type": "relation", "relation": rel, "has_more": false}));
            }
            let time = self.tick();
            let mut page = shapes::page(
                id,
                shapes::parent_data_source(&ds_id, &db_id),
                &time,
                &self.owner_id,
                Value::Object(values),
                &title,
            );
            if r == 1 && self.p.rows_per_data_source >= 3 && self.p.trashed_pages > 0 {
                page["in_trash"] = json!(true);
            }
            self.ws.insert_page(page, None);
            self.ws.refresh_computed(id);
            let line = self.sentence(8);
            self.paragraph(id, &line);
            self.block(id, "to_do", json!({"rich_text": [text("Follow up")], "checked": r % 2 == 0, "color": "default"}));
        }
    }

    fn comments(&mut self, page: &str) {
        let discussion = self.rng.uuid();
        let name = self.owner["name"].clone();
        for (i, body) in ["Looks good to me.", "Let's ship it."].iter().enumerate() {
            let time = base_plus_minutes(self.minute + i as i64);
            self.ws.comments.push(json!({
                "object": "comment",
                "id": self.rng.uuid(),
                "parent": {"type": "page_id", "page_id": page},
                "discussion_id": discussion,
                "created_time": time,
                "last_edited_time": time,
                "created_by": shapes::user_ref(&self.owner_id),
                "rich_text": [text(body)],
                "display_name": {"type": "user", "resolved_name": name},
            }));
        }
        if let Some(first_block) = self.ws.raw_children(page).get(1).cloned() {
            let time = base_plus_minutes(self.minute);
            self.ws.comments.push(json!({
                "object": "comment",
                "id": self.rng.uuid(),
                "parent": {"type": "block_id", "block_id": first_block},
                "discussion_id": self.rng.uuid(),
                "created_time": time,
                "last_edited_time": time,
                "created_by": shapes::user_ref(&self.owner_id),
                "rich_text": [text("Inline remark on this paragraph.")],
                "display_name": {"type": "user", "resolved_name": name},
            }));
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn all_block_types(ws: &Workspace) -> HashSet<String> {
        ws.blocks
            .values()
            .filter_map(|b| b["type"].as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn same_seed_same_workspace() {
        let p = GeneratedWorkspace::default();
        let a = generate(&p).to_json();
        let b = generate(&p).to_json();
        assert_eq!(a, b);
        let c = generate(&GeneratedWorkspace { seed: 7, ..p }).to_json();
        assert_ne!(a["pages"], c["pages"]);
    }

    #[test]
    fn covers_every_block_type() {
        let ws = generate(&GeneratedWorkspace::default());
        let types = all_block_types(&ws);
        for t in [
            "paragraph",
            "heading_1",
            "heading_2",
            "heading_3",
            "heading_4",
            "bulleted_list_item",
            "numbered_list_item",
            "to_do",
            "toggle",
            "quote",
            "callout",
            "code",
            "equation",
            "divider",
            "breadcrumb",
            "table_of_contents",
            "column_list",
            "column",
            "table",
            "table_row",
            "image",
            "video",
            "pdf",
            "audio",
            "file",
            "bookmark",
            "embed",
            "link_preview",
            "link_to_page",
            "synced_block",
            "template",
            "tab",
            "meeting_notes",
            "unsupported",
            "child_page",
            "child_database",
        ] {
            assert!(types.contains(t), "missing block type {t}");
        }
    }

    #[test]
    fn has_large_page_deep_tree_and_two_source_database() {
        let ws = generate(&GeneratedWorkspace::default());
        let large = ws
            .page_ids()
            .into_iter()
            .find(|id| shapes::page_title(&ws.pages[id]) == "Large Page")
            .unwrap();
        assert!(ws.live_children(&large).len() > 100);
        let deepest = ws
            .page_ids()
            .into_iter()
            .find(|id| shapes::page_title(&ws.pages[id]) == "Depth 5")
            .unwrap();
        let mut depth = 1;
        let mut cur = deepest;
        while let Some(p) = ws.parent_of(&cur) {
            depth += 1;
            cur = p;
        }
        assert!(depth >= 5);
        let two = ws
            .database_ids()
            .into_iter()
            .filter(|db| ws.data_sources_of(db).len() == 2)
            .count();
        assert_eq!(two, 1);
        assert!(ws.pages.values().any(|p| p["in_trash"] == true));
    }

    #[test]
    fn rows_carry_every_property_type() {
        let ws = generate(&GeneratedWorkspace::default());
        let ds = &ws.data_source_ids()[0];
        let row = &ws.pages[&ws.rows_of(ds)[0]];
        let types: HashSet<&str> = row["properties"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|p| p["type"].as_str())
            .collect();
        for t in [
            "title",
            "rich_text",
            "number",
            "select",
            "multi_select",
            "status",
            "date",
            "people",
            "files",
            "checkbox",
            "url",
            "email",
            "phone_number",
            "relation",
            "formula",
            "created_time",
            "last_edited_time",
            "unique_id",
        ] {
            assert!(types.contains(t), "missing property type {t}");
        }
        assert!(
            row["properties"]["Related"]["relation"]
                .as_array()
                .unwrap()
                .len()
                > 25
        );
        assert_eq!(row["properties"]["Score"]["formula"]["number"], 2);
    }

    #[test]
    fn scales_to_thousands_of_pages_quickly() {
        let started = std::time::Instant::now();
        let ws = generate(&GeneratedWorkspace {
            pages: 2_000,
            rows_per_data_source: 500,
            ..GeneratedWorkspace::default()
        });
        assert!(ws.page_count() > 2_000 + 500);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn json_round_trip_keeps_the_tree() {
        let ws = generate(&GeneratedWorkspace::default());
        let doc = ws.to_json();
        let back = Workspace::from_json(&doc).unwrap();
        assert_eq!(back.to_json(), doc);
        assert_eq!(back.top_level_ids(), ws.top_level_ids());
    }
}
