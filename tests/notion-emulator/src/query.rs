//! Data-source query filters and sorts over row page documents.

use std::cmp::Ordering;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::clock::parse_timestamp;
use crate::error::ApiError;
use crate::input::find_schema_property;
use crate::json_shapes::plain_text;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::validation(message)
}

/// Whether `row` passes `filter` (`null` passes everything). `now` anchors relative dates.
pub fn matches(filter: &Value, row: &Value, now: OffsetDateTime) -> Result<bool, ApiError> {
    if filter.is_null() {
        return Ok(true);
    }
    eval(filter, row, now, 0, "body.filter")
}

fn eval(
    filter: &Value,
    row: &Value,
    now: OffsetDateTime,
    depth: usize,
    path: &str,
) -> Result<bool, ApiError> {
    if let Some(list) = filter.get("and").or_else(|| filter.get("or")) {
        let is_and = filter.get("and").is_some();
        if depth >= 2 {
            return Err(bad(format!(
                "body failed validation: {path} nests compound filters more than two levels deep."
            )));
        }
        let Some(items) = list.as_array() else {
            return Err(bad(format!(
                "body failed validation: {path}.{} should be an array.",
                if is_and { "and" } else { "or" }
            )));
        };
        let key = if is_and { "and" } else { "or" };
        let mut result = is_and;
        for (i, f) in items.iter().enumerate() {
            let r = eval(f, row, now, depth + 1, &format!("{path}.{key}[{i}]"))?;
            if is_and {
                result &= r;
            } else {
                result |= r;
            }
        }
        return Ok(result);
    }
    if let Some(ts) = filter.get("timestamp").and_then(Value::as_str) {
        let cond = filter.get(ts).ok_or_else(|| {
            bad(format!(
                "body failed validation: {path}.{ts} should be defined."
            ))
        })?;
        let value = match ts {
            "created_time" | "last_edited_time" => row[ts].as_str().map(str::to_string),
            _ => {
                return Err(bad(format!(
                    "body failed validation: {path}.timestamp should be `\"created_time\"` or `\"last_edited_time\"`, instead was `\"{ts}\"`."
                )));
            }
        };
        return date_condition(value.as_deref(), cond, now, path);
    }
    let Some(name) = filter.get("property").and_then(Value::as_str) else {
        return Err(bad(format!(
            "body failed validation: {path} should define `property`, `timestamp`, `and` or `or`."
        )));
    };
    let empty = Map::new();
    let props = row["properties"].as_object().unwrap_or(&empty);
    let Some((_, prop)) = find_schema_property(props, name) else {
        return Err(bad(format!(
            "Could not find property with name or id: {name}"
        )));
    };
    let kind = prop["type"].as_str().unwrap_or_default();
    let Some((cond_key, cond)) = filter
        .as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.as_str() != "property"))
    else {
        return Err(bad(format!(
            "body failed validation: {path} should define a condition for property {name}."
        )));
    };
    property_condition(kind, &prop[kind], cond, now, &format!("{path}.{cond_key}"))
}

fn text_value(kind: &str, v: &Value) -> Option<String> {
    match kind {
        "title" | "rich_text" => Some(plain_text(v)).filter(|s| !s.is_empty()),
        _ => v.as_str().map(str::to_string),
    }
}

fn empty_checks(cond: &Value, empty: bool) -> Option<bool> {
    if cond.get("is_empty").is_some() {
        return Some(empty);
    }
    if cond.get("is_not_empty").is_some() {
        return Some(!empty);
    }
    None
}

fn property_condition(
    kind: &str,
    v: &Value,
    cond: &Value,
    now: OffsetDateTime,
    path: &str,
) -> Result<bool, ApiError> {
    match kind {
        "title" | "rich_text" | "url" | "email" | "phone_number" => {
            text_condition(text_value(kind, v), cond, path)
        }
        "number" => number_condition(v.as_f64(), cond, path),
        "unique_id" => number_condition(v["number"].as_f64(), cond, path),
        "checkbox" => {
            let b = v.as_bool().unwrap_or(false);
            if let Some(x) = cond.get("equals").and_then(Value::as_bool) {
                Ok(b == x)
            } else if let Some(x) = cond.get("does_not_equal").and_then(Value::as_bool) {
                Ok(b != x)
            } else {
                Err(bad(format!(
                    "body failed validation: {path} should define `equals` or `does_not_equal`."
                )))
            }
        }
        "select" | "status" => {
            let name = v["name"].as_str();
            if let Some(e) = empty_checks(cond, name.is_none()) {
                return Ok(e);
            }
            let targets = |key: &str| -> Option<Vec<String>> {
                let c = cond.get(key)?;
                Some(match c {
                    Value::Array(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                    Value::String(s) => vec![s.clone()],
                    _ => vec![],
                })
            };
            if let Some(t) = targets("equals") {
                Ok(name.is_some_and(|n| t.iter().any(|x| x == n)))
            } else if let Some(t) = targets("does_not_equal") {
                Ok(!name.is_some_and(|n| t.iter().any(|x| x == n)))
            } else {
                Err(bad(format!(
                    "body failed validation: {path} should define `equals`, `does_not_equal`, `is_empty` or `is_not_empty`."
                )))
            }
        }
        "multi_select" | "people" | "relation" | "created_by" | "last_edited_by" => {
            let items: Vec<String> = match v {
                Value::Array(a) => a
                    .iter()
                    .filter_map(|i| i["name"].as_str().or_else(|| i["id"].as_str()))
                    .map(str::to_string)
                    .collect(),
                Value::Object(_) => v["id"]
                    .as_str()
                    .map(|s| vec![s.to_string()])
                    .unwrap_or_default(),
                _ => vec![],
            };
            if let Some(e) = empty_checks(cond, items.is_empty()) {
                return Ok(e);
            }
            let norm = |s: &str| crate::ids::normalize_id(s).unwrap_or_else(|| s.to_string());
            let has = |x: &str| items.iter().any(|i| i == x || norm(i) == norm(x));
            if let Some(x) = cond.get("contains").and_then(Value::as_str) {
                Ok(has(x))
            } else if let Some(x) = cond.get("does_not_contain").and_then(Value::as_str) {
                Ok(!has(x))
            } else {
                Err(bad(format!(
                    "body failed validation: {path} should define `contains`, `does_not_contain`, `is_empty` or `is_not_empty`."
                )))
            }
        }
        "date" => date_condition(v["start"].as_str(), cond, now, path),
        "created_time" | "last_edited_time" => date_condition(v.as_str(), cond, now, path),
        "files" => empty_checks(cond, v.as_array().is_none_or(Vec::is_empty)).ok_or_else(|| {
            bad(format!(
                "body failed validation: {path} should define `is_empty` or `is_not_empty`."
            ))
        }),
        "formula" => {
            let ftype = v["type"].as_str().unwrap_or("string");
            let inner = cond
                .get(ftype)
                .or_else(|| cond.as_object().and_then(|m| m.values().next()))
                .cloned()
                .unwrap_or(Value::Null);
            match ftype {
                "number" => number_condition(v["number"].as_f64(), &inner, path),
                "boolean" | "checkbox" => {
                    property_condition("checkbox", &v["boolean"], &inner, now, path)
                }
                "date" => date_condition(v["date"]["start"].as_str(), &inner, now, path),
                _ => text_condition(v["string"].as_str().map(str::to_string), &inner, path),
            }
        }
        _ => Err(bad(format!(
            "body failed validation: {path}: filtering on `{kind}` properties is not supported by the emulator."
        ))),
    }
}

fn text_condition(value: Option<String>, cond: &Value, path: &str) -> Result<bool, ApiError> {
    if let Some(e) = empty_checks(cond, value.is_none()) {
        return Ok(e);
    }
    let v = value.unwrap_or_default().to_lowercase();
    let arg = |k: &str| cond.get(k).and_then(Value::as_str).map(str::to_lowercase);
    if let Some(x) = arg("equals") {
        Ok(v == x)
    } else if let Some(x) = arg("does_not_equal") {
        Ok(v != x)
    } else if let Some(x) = arg("contains") {
        Ok(v.contains(&x))
    } else if let Some(x) = arg("does_not_contain") {
        Ok(!v.contains(&x))
    } else if let Some(x) = arg("starts_with") {
        Ok(v.starts_with(&x))
    } else if let Some(x) = arg("ends_with") {
        Ok(v.ends_with(&x))
    } else {
        Err(bad(format!(
            "body failed validation: {path} should define a text condition (`equals`, `contains`, ...)."
        )))
    }
}

fn number_condition(value: Option<f64>, cond: &Value, path: &str) -> Result<bool, ApiError> {
    if let Some(e) = empty_checks(cond, value.is_none()) {
        return Ok(e);
    }
    let arg = |k: &str| cond.get(k).and_then(Value::as_f64);
    let Some(v) = value else {
        return Ok(cond.get("does_not_equal").is_some());
    };
    if let Some(x) = arg("equals") {
        Ok(v == x)
    } else if let Some(x) = arg("does_not_equal") {
        Ok(v != x)
    } else if let Some(x) = arg("greater_than") {
        Ok(v > x)
    } else if let Some(x) = arg("less_than") {
        Ok(v < x)
    } else if let Some(x) = arg("greater_than_or_equal_to") {
        Ok(v >= x)
    } else if let Some(x) = arg("less_than_or_equal_to") {
        Ok(v <= x)
    } else {
        Err(bad(format!(
            "body failed validation: {path} should define a number condition (`equals`, `greater_than`, ...)."
        )))
    }
}

fn relative(s: &str, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let day = time::Duration::days(1);
    let midnight = now.replace_time(time::Time::MIDNIGHT);
    Some(match s {
        "today" => midnight,
        "tomorrow" => midnight + day,
        "yesterday" => midnight - day,
        "one_week_ago" => midnight - day * 7,
        "one_week_from_now" => midnight + day * 7,
        "one_month_ago" => midnight - day * 30,
        "one_month_from_now" => midnight + day * 30,
        _ => return parse_timestamp(s),
    })
}

fn date_condition(
    value: Option<&str>,
    cond: &Value,
    now: OffsetDateTime,
    path: &str,
) -> Result<bool, ApiError> {
    if let Some(e) = empty_checks(cond, value.is_none()) {
        return Ok(e);
    }
    let Some(v) = value.and_then(parse_timestamp) else {
        return Ok(false);
    };
    let day = time::Duration::days(1);
    for (key, range) in [
        ("past_week", (now - day * 7, now)),
        ("past_month", (now - day * 30, now)),
        ("past_year", (now - day * 365, now)),
        ("next_week", (now, now + day * 7)),
        ("next_month", (now, now + day * 30)),
        ("next_year", (now, now + day * 365)),
        ("this_week", (now - day * 7, now + day * 7)),
    ] {
        if cond.get(key).is_some() {
            return Ok(v >= range.0 && v <= range.1);
        }
    }
    let arg = |k: &str| -> Result<Option<(OffsetDateTime, bool)>, ApiError> {
        match cond.get(k).and_then(Value::as_str) {
            None => Ok(None),
            Some(s) => relative(s, now)
                .map(|t| Some((t, s.len() == 10 || !s.contains('T'))))
                .ok_or_else(|| bad(format!("body failed validation: {path}.{k} should be a valid ISO 8601 date, instead was `\"{s}\"`."))),
        }
    };
    if let Some((t, date_only)) = arg("equals")? {
        return Ok(if date_only {
            v.date() == t.date()
        } else {
            v == t
        });
    }
    if let Some((t, _)) = arg("before")? {
        return Ok(v < t);
    }
    if let Some((t, _)) = arg("after")? {
        return Ok(v > t);
    }
    if let Some((t, _)) = arg("on_or_before")? {
        return Ok(v <= t);
    }
    if let Some((t, _)) = arg("on_or_after")? {
        return Ok(v >= t);
    }
    Err(bad(format!(
        "body failed validation: {path} should define a date condition (`equals`, `before`, `on_or_after`, ...)."
    )))
}

/// A comparable key of a property value (nulls sort last).
fn sort_key(kind: &str, v: &Value) -> Option<SortKey> {
    Some(match kind {
        "number" => SortKey::Num(v.as_f64()?),
        "unique_id" => SortKey::Num(v["number"].as_f64()?),
        "checkbox" => SortKey::Num(if v.as_bool()? { 1.0 } else { 0.0 }),
        "select" | "status" => SortKey::Text(v["name"].as_str()?.to_lowercase()),
        "date" => {
            SortKey::Text(parse_timestamp(v["start"].as_str()?).map(crate::clock::format_millis)?)
        }
        "created_time" | "last_edited_time" => SortKey::Text(v.as_str()?.to_string()),
        "title" | "rich_text" => SortKey::Text(plain_text(v).to_lowercase()).nonempty()?,
        "formula" => match v["type"].as_str()? {
            "number" => SortKey::Num(v["number"].as_f64()?),
            t => SortKey::Text(v[t].to_string()),
        },
        _ => SortKey::Text(
            v.as_str()
                .map(str::to_lowercase)
                .or_else(|| (!v.is_null()).then(|| v.to_string()))?,
        ),
    })
}

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum SortKey {
    Num(f64),
    Text(String),
}

impl SortKey {
    fn nonempty(self) -> Option<SortKey> {
        match &self {
            SortKey::Text(s) if s.is_empty() => None,
            _ => Some(self),
        }
    }
}

/// Sorts rows by `sorts` (`[{property|timestamp, direction}]`); stable, so ties keep their order.
pub fn sort_rows(rows: &mut [&Value], sorts: &Value) -> Result<(), ApiError> {
    let Some(list) = sorts.as_array() else {
        if sorts.is_null() {
            return Ok(());
        }
        return Err(bad(
            "body failed validation: body.sorts should be an array.",
        ));
    };
    let mut keys: Vec<(Option<String>, Option<String>, bool)> = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let descending = match s["direction"].as_str() {
            Some("descending") => true,
            Some("ascending") | None => false,
            Some(other) => {
                return Err(bad(format!(
                    "body failed validation: body.sorts[{i}].direction should be `\"ascending\"` or `\"descending\"`, instead was `\"{other}\"`."
                )));
            }
        };
        let prop = s["property"].as_str().map(str::to_string);
        let ts = s["timestamp"].as_str().map(str::to_string);
        if prop.is_none() && ts.is_none() {
            return Err(bad(format!(
                "body failed validation: body.sorts[{i}] should define `property` or `timestamp`."
            )));
        }
        keys.push((prop, ts, descending));
    }
    if let (Some(first), Some((Some(name), _, _))) =
        (rows.first(), keys.iter().find(|k| k.0.is_some()))
    {
        let props: Map<String, Value> =
            first["properties"].as_object().cloned().unwrap_or_default();
        if find_schema_property(&props, name).is_none() {
            return Err(bad(format!(
                "Could not find sort property with name or id: {name}"
            )));
        }
    }
    let key_of = |row: &Value, prop: &Option<String>, ts: &Option<String>| -> Option<SortKey> {
        if let Some(ts) = ts {
            return row[ts.as_str()]
                .as_str()
                .map(|s| SortKey::Text(s.to_string()));
        }
        let props = row["properties"].as_object()?;
        let name = prop.as_deref()?;
        let (_, p) = find_schema_property(props, name)?;
        let kind = p["type"].as_str()?;
        sort_key(kind, &p[kind])
    };
    rows.sort_by(|a, b| {
        for (prop, ts, descending) in &keys {
            let (ka, kb) = (key_of(a, prop, ts), key_of(b, prop, ts));
            let ord = match (ka, kb) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                    if *descending { o.reverse() } else { o }
                }
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(n: i64, status: &str, done: bool, tags: &[&str], created: &str) -> Value {
        json!({
            "created_time": created,
            "last_edited_time": created,
            "properties": {
                "Name": {"id": "title", "type": "title", "title": [{"plain_text": format!("Row {n}")}]},
                "Count": {"id": "c%3B", "type": "number", "number": n},
                "State": {"id": "s", "type": "status", "status": {"name": status}},
                "Done": {"id": "d", "type": "checkbox", "checkbox": done},
                "Tags": {"id": "t", "type": "multi_select", "multi_select": tags.iter().map(|t| json!({"name": t})).collect::<Vec<_>>()},
                "Due": {"id": "u", "type": "date", "date": {"start": "2025-03-10", "end": null}},
            }
        })
    }

    fn now() -> OffsetDateTime {
        parse_timestamp("2025-06-01T00:00:00Z").unwrap()
    }

    #[test]
    fn property_conditions() {
        let r = row(3, "Done", true, &["a", "b"], "2025-01-01T10:00:00.000Z");
        let t = |f: Value| matches(&f, &r, now()).unwrap();
        assert!(t(json!({"property": "Name", "title": {"contains": "row"}})));
        assert!(!t(
            json!({"property": "Name", "title": {"equals": "Row 4"}})
        ));
        assert!(t(
            json!({"property": "Count", "number": {"greater_than": 2}})
        ));
        assert!(
            t(json!({"property": "c;", "number": {"equals": 3}})),
            "property by decoded id"
        );
        assert!(t(
            json!({"property": "State", "status": {"equals": "Done"}})
        ));
        assert!(t(json!({"property": "Done", "checkbox": {"equals": true}})));
        assert!(t(
            json!({"property": "Tags", "multi_select": {"contains": "b"}})
        ));
        assert!(!t(
            json!({"property": "Tags", "multi_select": {"does_not_contain": "a"}})
        ));
        assert!(t(
            json!({"property": "Due", "date": {"on_or_after": "2025-03-10"}})
        ));
        assert!(t(
            json!({"property": "Due", "date": {"equals": "2025-03-10"}})
        ));
        assert!(!t(
            json!({"property": "Due", "date": {"after": "2025-03-10"}})
        ));
        assert!(t(
            json!({"timestamp": "created_time", "created_time": {"before": "2025-02-01"}})
        ));
        assert!(t(
            json!({"or": [{"property": "Done", "checkbox": {"equals": false}}, {"and": [{"property": "Count", "number": {"less_than": 5}}, {"timestamp": "last_edited_time", "last_edited_time": {"past_year": {}}}]}]})
        ));
    }

    #[test]
    fn errors_are_validation_errors() {
        let r = row(1, "Done", true, &[], "2025-01-01T10:00:00.000Z");
        assert_eq!(
            matches(
                &json!({"property": "Nope", "title": {"contains": "x"}}),
                &r,
                now()
            )
            .unwrap_err()
            .code,
            "validation_error"
        );
        let deep = json!({"and": [{"or": [{"and": [{"property": "Done", "checkbox": {"equals": true}}]}]}]});
        assert!(matches(&deep, &r, now()).is_err());
    }

    #[test]
    fn sorts_by_property_and_timestamp() {
        let owned = [
            row(2, "A", true, &[], "2025-01-02T00:00:00.000Z"),
            row(1, "B", true, &[], "2025-01-03T00:00:00.000Z"),
            row(3, "A", true, &[], "2025-01-01T00:00:00.000Z"),
        ];
        let mut rows: Vec<&Value> = owned.iter().collect();
        sort_rows(
            &mut rows,
            &json!([{"property": "Count", "direction": "descending"}]),
        )
        .unwrap();
        let counts: Vec<i64> = rows
            .iter()
            .map(|r| r["properties"]["Count"]["number"].as_i64().unwrap())
            .collect();
        assert_eq!(counts, [3, 2, 1]);
        rows.reverse();
        sort_rows(
            &mut rows,
            &json!([{"timestamp": "created_time", "direction": "ascending"}]),
        )
        .unwrap();
        let counts: Vec<i64> = rows
            .iter()
            .map(|r| r["properties"]["Count"]["number"].as_i64().unwrap())
            .collect();
        assert_eq!(counts, [3, 2, 1]);
        rows.reverse();
        sort_rows(
            &mut rows,
            &json!([{"property": "State"}, {"property": "Count", "direction": "descending"}]),
        )
        .unwrap();
        let counts: Vec<i64> = rows
            .iter()
            .map(|r| r["properties"]["Count"]["number"].as_i64().unwrap())
            .collect();
        assert_eq!(counts, [3, 2, 1]);
    }
}
