//! Reading every row of a data source past the 10,000-results-per-query cap.
//!
//! Rows are read sorted by `created_time` ascending. When a response says the query hit its
//! result limit, the query restarts with `created_time on_or_after <last row's created_time>`
//! ANDed to the caller's filter. `created_time` is minute-granular, so the new window starts with
//! rows already returned; those are skipped by id. Only the ids sharing the latest
//! `created_time` are remembered, never the whole data source's.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::error::NotionError;
use super::requests::{QuerySort, SortDirection};

/// The sort every windowed query uses.
pub(crate) fn created_time_sort() -> QuerySort {
    QuerySort::created_time(SortDirection::Ascending)
}

/// Where the windowed walk is: the current window's start and the rows seen at the boundary.
#[derive(Debug, Default)]
pub(crate) struct Window {
    /// The caller's filter, ANDed with the window condition.
    base_filter: Option<Value>,
    /// `created_time` the current window starts at (inclusive); `None` for the first window.
    start: Option<String>,
    /// The greatest `created_time` emitted so far.
    last_created_time: Option<String>,
    /// Ids emitted with `last_created_time` (the only ids a later window can repeat).
    ids_at_last: HashSet<String>,
    /// Rows emitted since the current window started.
    emitted_in_window: u64,
}

impl Window {
    pub fn new(base_filter: Option<Value>) -> Self {
        Self {
            base_filter,
            ..Self::default()
        }
    }

    /// The filter of the current window.
    pub fn filter(&self) -> Option<Value> {
        combine(self.base_filter.as_ref(), self.start.as_deref())
    }

    /// Decides whether a row read in the current window is new; records it if so.
    pub fn admit(&mut self, id: &str, created_time: &str) -> bool {
        if self.last_created_time.as_deref() == Some(created_time) {
            if !self.ids_at_last.insert(id.to_owned()) {
                return false;
            }
        } else {
            self.last_created_time = Some(created_time.to_owned());
            self.ids_at_last.clear();
            self.ids_at_last.insert(id.to_owned());
        }
        self.emitted_in_window += 1;
        true
    }

    /// Starts the next window after a response reported the result limit. Fails when the last
    /// window produced nothing new: more rows share one minute than a query may return, and
    /// restarting would repeat the same rows forever.
    pub fn restart(&mut self) -> Result<(), NotionError> {
        let Some(last) = self.last_created_time.clone() else {
            return Err(NotionError::QueryWindowStuck {
                created_time: self.start.clone().unwrap_or_default(),
            });
        };
        if self.emitted_in_window == 0 {
            return Err(NotionError::QueryWindowStuck { created_time: last });
        }
        self.start = Some(last);
        self.emitted_in_window = 0;
        Ok(())
    }

    /// How many ids are remembered (bounded by the rows sharing one `created_time`).
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.ids_at_last.len()
    }
}

/// ANDs the window condition into the caller's filter without deepening it, since Notion allows
/// only two levels of compound filters: a top-level `and` is extended; a top-level `or` is
/// distributed (`(a or (b and c)) and w` becomes `(a and w) or (b and c and w)`), so a filter that
/// was valid stays valid.
fn combine(base: Option<&Value>, start: Option<&str>) -> Option<Value> {
    let condition = start
        .map(|start| json!({"timestamp": "created_time", "created_time": {"on_or_after": start}}));
    match (base, condition) {
        (None, None) => None,
        (Some(base), None) => Some(base.clone()),
        (None, Some(condition)) => Some(condition),
        (Some(base), Some(condition)) => Some(match lone_compound(base, "or") {
            Some(alternatives) => {
                let mut distributed = Vec::with_capacity(alternatives.len());
                for alternative in alternatives {
                    distribute_into(alternative, &condition, &mut distributed);
                }
                json!({ "or": distributed })
            }
            None => and_with(base, &condition),
        }),
    }
}

/// `alternative AND condition`, pushed as one or more alternatives of an `or` (a nested `or` is
/// flattened into the outer one).
fn distribute_into(alternative: &Value, condition: &Value, out: &mut Vec<Value>) {
    match lone_compound(alternative, "or") {
        Some(nested) => {
            for alternative in nested {
                distribute_into(alternative, condition, out);
            }
        }
        None => out.push(and_with(alternative, condition)),
    }
}

/// `filter AND condition`, extending a top-level `and` rather than nesting it.
fn and_with(filter: &Value, condition: &Value) -> Value {
    match lone_compound(filter, "and") {
        Some(items) => {
            let mut items = items.clone();
            items.push(condition.clone());
            json!({ "and": items })
        }
        None => json!({ "and": [filter, condition] }),
    }
}

/// The items of a filter that is exactly `{ "<operator>": [...] }`.
fn lone_compound<'a>(filter: &'a Value, operator: &str) -> Option<&'a Vec<Value>> {
    filter
        .as_object()
        .filter(|object| object.len() == 1)
        .and_then(|object| object.get(operator))
        .and_then(Value::as_array)
}

/// Nesting depth of compound filters (`and`/`or`): a property condition is 0.
#[cfg(test)]
fn compound_depth(filter: &Value) -> usize {
    ["and", "or"]
        .iter()
        .filter_map(|operator| lone_compound(filter, operator))
        .map(|items| 1 + items.iter().map(compound_depth).max().unwrap_or(0))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_window_uses_the_callers_filter_as_is() {
        let filter = json!({"property": "Done", "checkbox": {"equals": true}});
        assert_eq!(Window::new(None).filter(), None);
        assert_eq!(Window::new(Some(filter.clone())).filter(), Some(filter));
    }

    #[test]
    fn later_windows_and_the_created_time_condition() {
        let filter = json!({"property": "Done", "checkbox": {"equals": true}});
        let mut window = Window::new(Some(filter.clone()));
        assert!(window.admit("a", "2026-01-01T10:00:00.000Z"));
        window.restart().unwrap();
        let condition = json!({"timestamp": "created_time", "created_time": {"on_or_after": "2026-01-01T10:00:00.000Z"}});
        assert_eq!(
            window.filter(),
            Some(json!({"and": [filter, condition.clone()]}))
        );

        let and_filter = json!({"and": [{"property": "A", "checkbox": {"equals": true}}]});
        let mut window = Window::new(Some(and_filter));
        window.admit("a", "2026-01-01T10:00:00.000Z");
        window.restart().unwrap();
        let combined = window.filter().unwrap();
        assert_eq!(
            combined["and"].as_array().unwrap().len(),
            2,
            "extended, not nested"
        );
        assert_eq!(combined["and"][1], condition);

        let mut window = Window::new(None);
        window.admit("a", "2026-01-01T10:00:00.000Z");
        window.restart().unwrap();
        assert_eq!(window.filter(), Some(condition));
    }

    #[test]
    fn or_filters_are_distributed_so_they_stay_two_levels_deep() {
        let done = json!({"property": "Done", "checkbox": {"equals": true}});
        let a = json!({"property": "A", "checkbox": {"equals": true}});
        let b = json!({"property": "B", "number": {"greater_than": 1}});
        let or_of_and = json!({"or": [done.clone(), {"and": [a.clone(), b.clone()]}]});
        assert_eq!(compound_depth(&or_of_and), 2);
        let mut window = Window::new(Some(or_of_and));
        window.admit("x", "2026-01-01T10:00:00.000Z");
        window.restart().unwrap();
        let condition = json!({"timestamp": "created_time", "created_time": {"on_or_after": "2026-01-01T10:00:00.000Z"}});
        let combined = window.filter().unwrap();
        assert_eq!(
            combined,
            json!({"or": [
                {"and": [done.clone(), condition.clone()]},
                {"and": [a.clone(), b.clone(), condition.clone()]},
            ]})
        );
        assert_eq!(compound_depth(&combined), 2);

        // A nested `or` is flattened into the outer one.
        let nested = json!({"or": [{"or": [a.clone(), b.clone()]}, done.clone()]});
        let mut window = Window::new(Some(nested));
        window.admit("x", "2026-01-01T10:00:00.000Z");
        window.restart().unwrap();
        let combined = window.filter().unwrap();
        assert_eq!(combined["or"].as_array().unwrap().len(), 3);
        assert_eq!(compound_depth(&combined), 2);
    }

    #[test]
    fn boundary_rows_are_emitted_once_and_memory_stays_at_the_boundary() {
        let mut window = Window::new(None);
        // Window 1: rows at 10:00 (a, b), 10:01 (c, d), then the limit.
        for (id, t) in [
            ("a", "10:00"),
            ("b", "10:00"),
            ("c", "10:01"),
            ("d", "10:01"),
        ] {
            assert!(window.admit(id, t));
        }
        assert_eq!(window.remembered(), 2);
        window.restart().unwrap();
        // Window 2 starts on_or_after 10:01: c and d come again, then e at 10:01 and f later.
        assert!(!window.admit("c", "10:01"));
        assert!(!window.admit("d", "10:01"));
        assert!(window.admit("e", "10:01"));
        assert!(window.admit("f", "10:02"));
        assert_eq!(window.remembered(), 1);
        window.restart().unwrap();
        assert!(!window.admit("f", "10:02"));
        assert!(window.admit("g", "10:02"));
    }

    #[test]
    fn a_window_without_progress_is_an_error_not_a_loop() {
        let mut window = Window::new(None);
        assert!(matches!(
            window.restart(),
            Err(NotionError::QueryWindowStuck { .. })
        ));
        window.admit("a", "10:00");
        window.restart().unwrap();
        assert!(!window.admit("a", "10:00"));
        assert_eq!(
            window.restart(),
            Err(NotionError::QueryWindowStuck {
                created_time: "10:00".into()
            })
        );
    }
}
