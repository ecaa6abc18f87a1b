//! Plain JSON property values (`{"Count": 3, "Tags": ["a", "b"]}`) checked against a data
//! source's schema and turned into Notion's writable property values.
//!
//! Options: Notion creates unknown `select` and `multi_select` option names as new options
//! (notion-api.md §6, "Create a row"), so those are accepted and reported as a warning; `status`
//! options cannot be created through the API, so an unknown status is a 400 that lists the
//! options. Read-only types (formula, rollup, created/edited time and by, unique id, button,
//! verification) and types whose request shape Relay does not write (place, location) are
//! refused by name. Limits from notion-api.md §8 are checked here so that the answer names
//! the property instead of relaying Notion's validation message.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use super::error::WriteError;
use super::input::WriteWarning;
use crate::notion::model::{
    DateValue, FileItem, PropertyConfig, PropertySchema, PropertyValue, RichText, SelectOption,
};

/// Characters (UTF-16 units) per rich-text item.
const MAX_TEXT_UTF16: usize = 2_000;
/// Rich-text items per value.
const MAX_TEXT_ITEMS: usize = 100;
const MAX_URL_UTF16: usize = 2_000;
const MAX_EMAIL_UTF16: usize = 200;
const MAX_PHONE_UTF16: usize = 200;
/// multi_select options, relation pages, people, files per value.
const MAX_ARRAY_ITEMS: usize = 100;

/// Converted values by property name, and what the caller should know (new options).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConvertedProperties {
    pub values: BTreeMap<String, PropertyValue>,
    pub warnings: Vec<WriteWarning>,
}

/// The properties of a new row: `title` in the schema's title property, plus `input` checked
/// against `schema`. Keys are property names (or property ids).
pub fn row_properties(
    schema: &BTreeMap<String, PropertySchema>,
    title: &str,
    input: Option<&Map<String, Value>>,
) -> Result<ConvertedProperties, WriteError> {
    let Some(title_name) = schema
        .iter()
        .find(|(_, property)| matches!(property.config, PropertyConfig::Title(_)))
        .map(|(name, _)| name.clone())
    else {
        return Err(WriteError::invalid(
            "parent",
            "the data source has no title property",
        ));
    };
    let mut converted = ConvertedProperties::default();
    converted.values.insert(
        title_name.clone(),
        PropertyValue::title(text_items(title, "title")?),
    );
    for (key, value) in input.into_iter().flatten() {
        let (name, property) = find(schema, key)?;
        let field = format!("properties.{key}");
        if name == title_name {
            return Err(WriteError::invalid(
                field,
                "is the title property; give the title in `title`",
            ));
        }
        let converted_value = convert(property, value, &field, &mut converted.warnings)?;
        if converted.values.contains_key(name) {
            // Given by name and by id: which one was meant is unknown.
            return Err(WriteError::invalid(
                field,
                format!("property \"{name}\" is given more than once (by name and by id)"),
            ));
        }
        converted.values.insert(name.to_owned(), converted_value);
    }
    Ok(converted)
}

/// The schema entry named `key` (or whose id is `key`).
fn find<'a>(
    schema: &'a BTreeMap<String, PropertySchema>,
    key: &str,
) -> Result<(&'a str, &'a PropertySchema), WriteError> {
    if let Some((name, property)) = schema.get_key_value(key) {
        return Ok((name, property));
    }
    schema
        .iter()
        .find(|(_, property)| property.id.as_deref() == Some(key))
        .map(|(name, property)| (name.as_str(), property))
        .ok_or_else(|| {
            let known: Vec<&str> = schema.keys().map(String::as_str).collect();
            WriteError::invalid(
                format!("properties.{key}"),
                format!(
                    "the data source has no such property (its properties: {})",
                    known.join(", ")
                ),
            )
        })
}

fn convert(
    property: &PropertySchema,
    value: &Value,
    field: &str,
    warnings: &mut Vec<WriteWarning>,
) -> Result<PropertyValue, WriteError> {
    use PropertyConfig as C;
    let type_name = property.type_name();
    let expected = |what: &str| {
        WriteError::invalid(
            field,
            format!(
                "expected {what} for this {type_name} property, got {}",
                kind_of(value)
            ),
        )
    };
    Ok(match &property.config {
        C::Title(_) => {
            PropertyValue::title(text_value(value, field).map_err(|_| expected("a string"))??)
        }
        C::RichText(_) => {
            PropertyValue::rich_text(text_value(value, field).map_err(|_| expected("a string"))??)
        }
        C::Number(_) => match value {
            Value::Null => PropertyValue::number(None),
            Value::Number(number) => PropertyValue::number(Some(finite(number, field)?)),
            _ => return Err(expected("a number")),
        },
        C::Checkbox(_) => match value {
            Value::Null => PropertyValue::checkbox(false),
            Value::Bool(checked) => PropertyValue::checkbox(*checked),
            _ => return Err(expected("true or false")),
        },
        C::Select(config) => match value {
            Value::Null => PropertyValue::select(None),
            Value::String(name) => {
                let option = option_name(name, field)?;
                if !has_option(&config.options, option) {
                    warnings.push(new_option(field, option));
                }
                PropertyValue::select(Some(option))
            }
            _ => return Err(expected("an option name (string)")),
        },
        C::Status(config) => match value {
            Value::Null => PropertyValue::status(None),
            Value::String(name) => {
                let name = name.trim();
                if !has_option(&config.options, name) {
                    let known: Vec<&str> = config
                        .options
                        .iter()
                        .filter_map(|option| option.name.as_deref())
                        .collect();
                    return Err(WriteError::invalid(
                        field,
                        format!(
                            "no status option named \"{name}\"; status options cannot be created through the API (options: {})",
                            known.join(", ")
                        ),
                    ));
                }
                PropertyValue::status(Some(name))
            }
            _ => return Err(expected("a status option name (string)")),
        },
        C::MultiSelect(config) => {
            let names = strings(value, field).map_err(|_| expected("an array of option names"))?;
            let mut options = Vec::with_capacity(names.len());
            for name in names {
                let option = option_name(name, field)?;
                if !has_option(&config.options, option) {
                    warnings.push(new_option(field, option));
                }
                options.push(SelectOption::named(option));
            }
            PropertyValue::new(crate::notion::model::PropertyData::MultiSelect(options))
        }
        C::Date(_) => PropertyValue::date(date_value(value, field)?),
        C::Url(_) => PropertyValue::url(
            short_string(value, field, MAX_URL_UTF16)
                .map_err(|e| e.or(expected("a URL (string)")))?
                .as_deref(),
        ),
        C::Email(_) => PropertyValue::email(
            short_string(value, field, MAX_EMAIL_UTF16)
                .map_err(|e| e.or(expected("an email address (string)")))?
                .as_deref(),
        ),
        C::PhoneNumber(_) => PropertyValue::phone_number(
            short_string(value, field, MAX_PHONE_UTF16)
                .map_err(|e| e.or(expected("a phone number (string)")))?
                .as_deref(),
        ),
        C::People(_) => {
            let ids = ids(value, field).map_err(|e| e.or(expected("an array of user ids")))?;
            PropertyValue::people(ids)
        }
        C::Relation(_) => {
            let ids = ids(value, field).map_err(|e| e.or(expected("an array of page ids")))?;
            PropertyValue::relation(ids)
        }
        C::Files(_) => PropertyValue::files(files(value, field).map_err(|e| {
            e.or(expected(
                "an array of file URLs or {\"name\", \"url\"} objects",
            ))
        })?),
        C::Formula(_)
        | C::Rollup(_)
        | C::CreatedTime(_)
        | C::CreatedBy(_)
        | C::LastEditedTime(_)
        | C::LastEditedBy(_)
        | C::UniqueId(_)
        | C::Button(_)
        | C::Verification(_) => {
            return Err(WriteError::invalid(
                field,
                format!("{type_name} properties are computed by Notion and cannot be written"),
            ));
        }
        _ => {
            return Err(WriteError::invalid(
                field,
                format!("writing {type_name} properties is not supported"),
            ));
        }
    })
}

/// A wrong JSON type is reported by the caller (who knows the expected form); a right type
/// with a wrong value is reported here with the details.
enum Problem {
    WrongType,
    Invalid(WriteError),
}

impl Problem {
    fn or(self, wrong_type: WriteError) -> WriteError {
        match self {
            Self::WrongType => wrong_type,
            Self::Invalid(error) => error,
        }
    }
}

fn text_value(value: &Value, field: &str) -> Result<Result<Vec<RichText>, WriteError>, ()> {
    match value {
        Value::Null => Ok(Ok(Vec::new())),
        Value::String(text) => Ok(text_items(text, field)),
        _ => Err(()),
    }
}

/// Text as rich-text items of at most 2,000 UTF-16 units each, split on character boundaries.
pub(crate) fn text_items(text: &str, field: &str) -> Result<Vec<RichText>, WriteError> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut units = 0;
    for ch in text.chars() {
        if units + ch.len_utf16() > MAX_TEXT_UTF16 {
            items.push(RichText::text(std::mem::take(&mut current)));
            units = 0;
        }
        current.push(ch);
        units += ch.len_utf16();
    }
    if !current.is_empty() {
        items.push(RichText::text(current));
    }
    if items.len() > MAX_TEXT_ITEMS {
        return Err(WriteError::invalid(
            field,
            format!(
                "is too long: at most {} characters fit in one Notion property",
                MAX_TEXT_ITEMS * MAX_TEXT_UTF16
            ),
        ));
    }
    Ok(items)
}

fn finite(number: &Number, field: &str) -> Result<Number, WriteError> {
    match number.as_f64() {
        Some(value) if value.is_finite() => Ok(number.clone()),
        _ => Err(WriteError::invalid(field, "must be a finite number")),
    }
}

fn option_name<'a>(name: &'a str, field: &str) -> Result<&'a str, WriteError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(WriteError::invalid(field, "option names must not be empty"));
    }
    if name.contains(',') {
        // Notion refuses commas in option names (they separate options in its UI).
        return Err(WriteError::invalid(
            field,
            format!("option name \"{name}\" must not contain a comma"),
        ));
    }
    if name.encode_utf16().count() > 100 {
        return Err(WriteError::invalid(
            field,
            "option names are at most 100 characters",
        ));
    }
    Ok(name)
}

fn has_option(options: &[SelectOption], name: &str) -> bool {
    options
        .iter()
        .any(|option| option.name.as_deref() == Some(name))
}

fn new_option(field: &str, name: &str) -> WriteWarning {
    WriteWarning {
        kind: "option_created".to_owned(),
        line: 0,
        message: format!("{field}: \"{name}\" is not an option yet; Notion adds it"),
    }
}

fn strings<'a>(value: &'a Value, field: &str) -> Result<Vec<&'a str>, Problem> {
    let items: Vec<&Value> = match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().collect(),
        _ => return Err(Problem::WrongType),
    };
    if items.len() > MAX_ARRAY_ITEMS {
        return Err(Problem::Invalid(WriteError::invalid(
            field,
            format!("at most {MAX_ARRAY_ITEMS} items"),
        )));
    }
    items
        .into_iter()
        .map(|item| item.as_str().ok_or(Problem::WrongType))
        .collect()
}

/// Notion ids (UUIDs with or without dashes) from an array, or a single id.
fn ids(value: &Value, field: &str) -> Result<Vec<String>, Problem> {
    let raw = match value {
        Value::String(id) => vec![id.as_str()],
        other => strings(other, field)?,
    };
    raw.into_iter()
        .map(|id| {
            uuid::Uuid::parse_str(id.trim())
                .map(|uuid| uuid.hyphenated().to_string())
                .map_err(|_| {
                    Problem::Invalid(WriteError::invalid(
                        field,
                        format!("\"{id}\" is not a Notion id (a UUID)"),
                    ))
                })
        })
        .collect()
}

fn short_string(value: &Value, field: &str, max: usize) -> Result<Option<String>, Problem> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) if text.encode_utf16().count() > max => Err(Problem::Invalid(
            WriteError::invalid(field, format!("at most {max} characters")),
        )),
        Value::String(text) if text.trim().is_empty() => Ok(None),
        Value::String(text) => Ok(Some(text.trim().to_owned())),
        _ => Err(Problem::WrongType),
    }
}

fn files(value: &Value, field: &str) -> Result<Vec<FileItem>, Problem> {
    let items: &[Value] = match value {
        Value::Null => &[],
        Value::Array(items) => items,
        _ => return Err(Problem::WrongType),
    };
    if items.len() > MAX_ARRAY_ITEMS {
        return Err(Problem::Invalid(WriteError::invalid(
            field,
            format!("at most {MAX_ARRAY_ITEMS} files"),
        )));
    }
    items
        .iter()
        .map(|item| {
            let (name, url) = match item {
                Value::String(url) => (None, url.as_str()),
                Value::Object(object) => match (object.get("url"), object.get("name")) {
                    (Some(Value::String(url)), None | Some(Value::Null)) => (None, url.as_str()),
                    (Some(Value::String(url)), Some(Value::String(name))) => {
                        (Some(name.as_str()), url.as_str())
                    }
                    _ => return Err(Problem::WrongType),
                },
                _ => return Err(Problem::WrongType),
            };
            let url = http_url(url).ok_or_else(|| {
                Problem::Invalid(WriteError::invalid(
                    field,
                    "file URLs must be absolute http(s) URLs of at most 2,000 characters",
                ))
            })?;
            let name = name.map(str::to_owned).unwrap_or_else(|| file_name(&url));
            Ok(FileItem::external(name, url))
        })
        .collect()
}

/// An absolute http(s) URL within Notion's URL limit.
pub(crate) fn http_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).ok()?;
    (matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && raw.encode_utf16().count() <= MAX_URL_UTF16)
        .then(|| raw.to_owned())
}

/// An upper bound of the JSON bytes that `title` and the plain-JSON `properties` take in a page
/// creation request once converted (rich-text items, option and user objects, file names taken
/// from URLs), whatever the schema says their types are. Notion caps a request at 500 KB, so
/// what is left is the room for the body sent with the creation.
pub(crate) fn request_bytes_bound(title: &str, properties: Option<&Map<String, Value>>) -> usize {
    let json_len = |value: &Value| serde_json::to_vec(value).map_or(0, |json| json.len());
    let text = |text: &str| {
        json_len(&Value::String(text.to_owned()))
            + 60 * (text.encode_utf16().count() / MAX_TEXT_UTF16 + 2)
    };
    let value = |value: &Value| match value {
        Value::String(raw) => text(raw),
        Value::Array(items) => {
            40 + items
                .iter()
                .map(|item| 2 * json_len(item) + 80)
                .sum::<usize>()
        }
        Value::Object(_) => 2 * json_len(value) + 80,
        Value::Null | Value::Bool(_) | Value::Number(_) => json_len(value) + 60,
    };
    40 + text(title)
        + properties
            .into_iter()
            .flatten()
            .map(|(key, raw)| text(key) + 40 + value(raw))
            .sum::<usize>()
}

/// The last path segment of a URL, or the URL itself.
fn file_name(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|parsed| {
            parsed
                .path_segments()
                .and_then(|mut segments| segments.next_back().map(str::to_owned))
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| url.to_owned())
}

fn date_value(value: &Value, field: &str) -> Result<Option<DateValue>, WriteError> {
    let wrong = || {
        WriteError::invalid(
            field,
            format!(
                "expected an ISO date (\"2026-05-01\"), a datetime with offset (\"2026-05-01T09:30:00Z\") or {{\"start\", \"end\"}}, got {}",
                kind_of(value)
            ),
        )
    };
    match value {
        Value::Null => Ok(None),
        Value::String(start) => {
            check_date(start, false).map_err(|()| wrong())?;
            Ok(Some(DateValue::new(start.trim())))
        }
        Value::Object(object) => {
            for key in object.keys() {
                if !matches!(key.as_str(), "start" | "end" | "time_zone") {
                    return Err(WriteError::invalid(
                        format!("{field}.{key}"),
                        "unknown field; a date has start, end and time_zone",
                    ));
                }
            }
            let time_zone = match object.get("time_zone") {
                None | Some(Value::Null) => None,
                Some(Value::String(zone)) if !zone.trim().is_empty() => Some(zone.trim()),
                Some(_) => {
                    return Err(WriteError::invalid(
                        format!("{field}.time_zone"),
                        "must be an IANA time zone name",
                    ));
                }
            };
            let naive_allowed = time_zone.is_some();
            let Some(Value::String(start)) = object.get("start") else {
                return Err(WriteError::invalid(
                    format!("{field}.start"),
                    "is required (an ISO date or datetime)",
                ));
            };
            check_date(start, naive_allowed).map_err(|()| {
                WriteError::invalid(format!("{field}.start"), "is not an ISO date or datetime")
            })?;
            let end = match object.get("end") {
                None | Some(Value::Null) => None,
                Some(Value::String(end)) => {
                    check_date(end, naive_allowed).map_err(|()| {
                        WriteError::invalid(
                            format!("{field}.end"),
                            "is not an ISO date or datetime",
                        )
                    })?;
                    Some(end.trim().to_owned())
                }
                Some(_) => return Err(wrong()),
            };
            Ok(Some(DateValue {
                start: start.trim().to_owned(),
                end,
                time_zone: time_zone.map(str::to_owned),
                extra: Map::new(),
            }))
        }
        _ => Err(wrong()),
    }
}

/// An ISO date, an RFC 3339 datetime, or (with a time zone) a naive datetime.
fn check_date(raw: &str, naive_allowed: bool) -> Result<(), ()> {
    let raw = raw.trim();
    let date = format_description!("[year]-[month]-[day]");
    if time::Date::parse(raw, date).is_ok() || time::OffsetDateTime::parse(raw, &Rfc3339).is_ok() {
        return Ok(());
    }
    let naive = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let naive_short = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    if naive_allowed
        && (time::PrimitiveDateTime::parse(raw, naive).is_ok()
            || time::PrimitiveDateTime::parse(raw, naive_short).is_ok())
    {
        return Ok(());
    }
    Err(())
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> BTreeMap<String, PropertySchema> {
        serde_json::from_value(json!({
            "Name": {"id": "title", "name": "Name", "type": "title", "title": {}},
            "Notes": {"id": "n1", "name": "Notes", "type": "rich_text", "rich_text": {}},
            "Count": {"id": "c1", "name": "Count", "type": "number", "number": {"format": "number"}},
            "Done": {"id": "d1", "name": "Done", "type": "checkbox", "checkbox": {}},
            "Kind": {"id": "k1", "name": "Kind", "type": "select", "select": {"options": [{"id": "o1", "name": "Bug"}]}},
            "Tags": {"id": "t1", "name": "Tags", "type": "multi_select", "multi_select": {"options": [{"id": "o2", "name": "a"}]}},
            "State": {"id": "s1", "name": "State", "type": "status", "status": {"options": [{"id": "o3", "name": "Done"}], "groups": []}},
            "Due": {"id": "du", "name": "Due", "type": "date", "date": {}},
            "Link": {"id": "l1", "name": "Link", "type": "url", "url": {}},
            "Mail": {"id": "m1", "name": "Mail", "type": "email", "email": {}},
            "Tel": {"id": "p1", "name": "Tel", "type": "phone_number", "phone_number": {}},
            "Owner": {"id": "ow", "name": "Owner", "type": "people", "people": {}},
            "Parent": {"id": "pa", "name": "Parent", "type": "relation", "relation": {"data_source_id": "x", "type": "single_property", "single_property": {}}},
            "Attach": {"id": "at", "name": "Attach", "type": "files", "files": {}},
            "Score": {"id": "sc", "name": "Score", "type": "formula", "formula": {"expression": "1"}},
            "ID": {"id": "id", "name": "ID", "type": "unique_id", "unique_id": {"prefix": "T"}},
        }))
        .unwrap()
    }

    fn convert_one(name: &str, value: Value) -> Result<Value, WriteError> {
        let mut input = Map::new();
        input.insert(name.to_owned(), value);
        let converted = row_properties(&schema(), "Row", Some(&input))?;
        Ok(serde_json::to_value(&converted.values[name]).unwrap())
    }

    fn field_of(error: WriteError) -> String {
        match error {
            WriteError::InvalidInput { field, message } => format!("{field}: {message}"),
            other => panic!("expected invalid input, got {other}"),
        }
    }

    #[test]
    fn the_title_goes_into_the_title_property() {
        let converted = row_properties(&schema(), "Row 1", None).unwrap();
        assert_eq!(
            serde_json::to_value(&converted.values["Name"]).unwrap(),
            json!({"type": "title", "title": [{"type": "text", "text": {"content": "Row 1"}}]})
        );
        let error = convert_one("Name", json!("x")).unwrap_err();
        assert!(field_of(error).starts_with("properties.Name:"));
    }

    #[test]
    fn every_writable_type_converts() {
        let id = "1d3c2b4a-0000-4000-8000-000000000001";
        let cases = [
            (
                "Notes",
                json!("hello"),
                json!({"type": "rich_text", "rich_text": [{"type": "text", "text": {"content": "hello"}}]}),
            ),
            (
                "Count",
                json!(2.5),
                json!({"type": "number", "number": 2.5}),
            ),
            (
                "Done",
                json!(true),
                json!({"type": "checkbox", "checkbox": true}),
            ),
            (
                "Kind",
                json!("Bug"),
                json!({"type": "select", "select": {"name": "Bug"}}),
            ),
            (
                "Tags",
                json!(["a", "b"]),
                json!({"type": "multi_select", "multi_select": [{"name": "a"}, {"name": "b"}]}),
            ),
            (
                "State",
                json!("Done"),
                json!({"type": "status", "status": {"name": "Done"}}),
            ),
            (
                "Due",
                json!("2026-05-01"),
                json!({"type": "date", "date": {"start": "2026-05-01", "end": null, "time_zone": null}}),
            ),
            (
                "Due",
                json!({"start": "2026-05-01T09:30:00Z", "end": "2026-05-02T10:00:00+02:00"}),
                json!({"type": "date", "date": {"start": "2026-05-01T09:30:00Z", "end": "2026-05-02T10:00:00+02:00", "time_zone": null}}),
            ),
            (
                "Due",
                json!({"start": "2026-05-01T09:30", "time_zone": "Europe/Paris"}),
                json!({"type": "date", "date": {"start": "2026-05-01T09:30", "end": null, "time_zone": "Europe/Paris"}}),
            ),
            (
                "Link",
                json!("https://e.x/a"),
                json!({"type": "url", "url": "https://e.x/a"}),
            ),
            (
                "Mail",
                json!("a@b.c"),
                json!({"type": "email", "email": "a@b.c"}),
            ),
            (
                "Tel",
                json!("+1 555"),
                json!({"type": "phone_number", "phone_number": "+1 555"}),
            ),
            (
                "Owner",
                json!([id]),
                json!({"type": "people", "people": [{"object": "user", "id": id}]}),
            ),
            (
                "Parent",
                json!(["1d3c2b4a000040008000000000000001"]),
                json!({"type": "relation", "relation": [{"id": id}]}),
            ),
            (
                "Attach",
                json!(["https://e.x/f/report.pdf", {"name": "b", "url": "https://e.x/b"}]),
                json!({"type": "files", "files": [{"name": "report.pdf", "type": "external", "external": {"url": "https://e.x/f/report.pdf"}}, {"name": "b", "type": "external", "external": {"url": "https://e.x/b"}}]}),
            ),
            (
                "Count",
                Value::Null,
                json!({"type": "number", "number": null}),
            ),
            (
                "Kind",
                Value::Null,
                json!({"type": "select", "select": null}),
            ),
        ];
        for (name, input, expected) in cases {
            let got = convert_one(name, input.clone())
                .unwrap_or_else(|error| panic!("{name} {input}: {error}"));
            assert_eq!(got, expected, "{name} {input}");
        }
    }

    #[test]
    fn keys_may_be_property_ids() {
        let mut input = Map::new();
        input.insert("c1".to_owned(), json!(1));
        let converted = row_properties(&schema(), "Row", Some(&input)).unwrap();
        assert!(converted.values.contains_key("Count"));
    }

    #[test]
    fn a_property_given_by_name_and_by_id_is_refused() {
        let mut input = Map::new();
        input.insert("Count".to_owned(), json!(1));
        input.insert("c1".to_owned(), json!(2));
        let message = field_of(row_properties(&schema(), "Row", Some(&input)).unwrap_err());
        assert!(
            message.contains("\"Count\" is given more than once"),
            "{message}"
        );
    }

    #[test]
    fn new_select_options_are_allowed_and_reported() {
        let mut input = Map::new();
        input.insert("Kind".to_owned(), json!("Feature"));
        input.insert("Tags".to_owned(), json!(["a", "new"]));
        let converted = row_properties(&schema(), "Row", Some(&input)).unwrap();
        assert_eq!(converted.warnings.len(), 2);
        assert!(converted.warnings[0].message.contains("Feature"));
    }

    #[test]
    fn errors_name_the_property_and_the_expected_form() {
        let cases = [
            (
                "Nope",
                json!(1),
                "properties.Nope: the data source has no such property",
            ),
            (
                "Count",
                json!("3"),
                "properties.Count: expected a number for this number property, got a string",
            ),
            (
                "Done",
                json!("yes"),
                "properties.Done: expected true or false",
            ),
            (
                "State",
                json!("Started"),
                "properties.State: no status option named \"Started\"",
            ),
            (
                "Tags",
                json!("a"),
                "properties.Tags: expected an array of option names",
            ),
            (
                "Due",
                json!("tomorrow"),
                "properties.Due: expected an ISO date",
            ),
            (
                "Due",
                json!({"start": "2026-05-01T09:30"}),
                "properties.Due.start: is not an ISO date",
            ),
            (
                "Owner",
                json!(["bob"]),
                "properties.Owner: \"bob\" is not a Notion id",
            ),
            (
                "Parent",
                json!(7),
                "properties.Parent: expected an array of page ids",
            ),
            (
                "Attach",
                json!(["file.pdf"]),
                "properties.Attach: file URLs must be absolute",
            ),
            (
                "Score",
                json!(1),
                "properties.Score: formula properties are computed by Notion",
            ),
            (
                "ID",
                json!(1),
                "properties.ID: unique_id properties are computed by Notion",
            ),
            (
                "Kind",
                json!("a,b"),
                "properties.Kind: option name \"a,b\" must not contain a comma",
            ),
            (
                "Mail",
                json!("x".repeat(201)),
                "properties.Mail: at most 200 characters",
            ),
        ];
        for (name, input, expected) in cases {
            let message = field_of(convert_one(name, input.clone()).unwrap_err());
            assert!(message.starts_with(expected), "{name} {input}: {message}");
        }
    }

    #[test]
    fn the_request_bound_covers_the_converted_values() {
        let mut input = Map::new();
        input.insert("Notes".to_owned(), json!("é\"\u{1}".repeat(30_000)));
        input.insert("Count".to_owned(), json!(1.5));
        input.insert("Kind".to_owned(), json!("Bug"));
        input.insert("Tags".to_owned(), json!(["a", "b", "c"]));
        input.insert(
            "Due".to_owned(),
            json!({"start": "2026-05-01", "end": null}),
        );
        input.insert("Done".to_owned(), json!(true));
        input.insert(
            "Owner".to_owned(),
            json!(["1d3c2b4a-0000-4000-8000-000000000001"]),
        );
        input.insert(
            "Parent".to_owned(),
            json!("1d3c2b4a000040008000000000000001"),
        );
        input.insert(
            "Attach".to_owned(),
            json!([format!("https://e.x/{}", "f".repeat(1_900)), {"name": "n", "url": "https://e.x/b"}]),
        );
        let title = "t".repeat(5_000);
        let converted = row_properties(&schema(), &title, Some(&input)).unwrap();
        let actual = serde_json::to_vec(&converted.values).unwrap().len();
        let bound = request_bytes_bound(&title, Some(&input));
        assert!(actual <= bound, "{actual} > {bound}");
        assert!(bound < actual * 2, "{bound} is far above {actual}");
    }

    #[test]
    fn long_text_is_split_on_character_boundaries() {
        let text = "é🙂".repeat(1_500);
        let items = text_items(&text, "f").unwrap();
        assert!(items.len() > 1);
        let joined: String = items
            .iter()
            .map(|item| item.plain_text().to_owned())
            .collect();
        assert_eq!(joined, text);
        for item in &items {
            assert!(item.plain_text().encode_utf16().count() <= MAX_TEXT_UTF16);
        }
        assert!(text_items(&"x".repeat(200_001), "f").is_err());
    }

    proptest::proptest! {
        #[test]
        fn text_splitting_keeps_every_character(text in "\\PC{0,6000}") {
            let items = text_items(&text, "f").unwrap();
            let joined: String = items.iter().map(|item| item.plain_text().to_owned()).collect();
            proptest::prop_assert_eq!(joined, text);
            for item in &items {
                let units = item.plain_text().encode_utf16().count();
                proptest::prop_assert!(units > 0 && units <= MAX_TEXT_UTF16);
            }
        }
    }
}
