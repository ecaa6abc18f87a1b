//! The simple filter and sort form of `query_data_source`, translated into Notion's filter
//! syntax against the data source's schema, so a wrong property, operator or value is refused
//! with the field named instead of a Notion validation error.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::ActionError;
use crate::notion::client::{QuerySort, SortDirection};

/// At most this many conditions per query.
pub const MAX_CONDITIONS: usize = 20;

/// One condition on a property of the rows.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// A property name from the data source's schema, or `created_time` / `last_edited_time`
    /// for the rows' timestamps.
    pub property: String,
    /// How to compare. Text: equals, does_not_equal, contains, does_not_contain, starts_with,
    /// ends_with. Number: equals, does_not_equal, greater_than, less_than,
    /// greater_than_or_equal_to, less_than_or_equal_to. Checkbox, select, status: equals,
    /// does_not_equal. Multi-select, people, relation: contains, does_not_contain. Date: equals,
    /// before, after, on_or_before, on_or_after. Any type: is_empty, is_not_empty. Formula and
    /// rollup properties need `notion_filter`.
    pub operator: Operator,
    /// The value to compare with: a string (text, option name, ISO date, user or page id), a
    /// number or a boolean. Omit it for is_empty / is_not_empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Equals,
    DoesNotEqual,
    Contains,
    DoesNotContain,
    StartsWith,
    EndsWith,
    GreaterThan,
    LessThan,
    GreaterThanOrEqualTo,
    LessThanOrEqualTo,
    Before,
    After,
    OnOrBefore,
    OnOrAfter,
    IsEmpty,
    IsNotEmpty,
}

impl Operator {
    fn as_str(self) -> &'static str {
        match self {
            Self::Equals => "equals",
            Self::DoesNotEqual => "does_not_equal",
            Self::Contains => "contains",
            Self::DoesNotContain => "does_not_contain",
            Self::StartsWith => "starts_with",
            Self::EndsWith => "ends_with",
            Self::GreaterThan => "greater_than",
            Self::LessThan => "less_than",
            Self::GreaterThanOrEqualTo => "greater_than_or_equal_to",
            Self::LessThanOrEqualTo => "less_than_or_equal_to",
            Self::Before => "before",
            Self::After => "after",
            Self::OnOrBefore => "on_or_before",
            Self::OnOrAfter => "on_or_after",
            Self::IsEmpty => "is_empty",
            Self::IsNotEmpty => "is_not_empty",
        }
    }
}

/// Whether every condition must hold (`all`, the default) or at least one (`any`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    #[default]
    All,
    Any,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sort {
    /// A property name, or `created_time` / `last_edited_time`.
    pub property: String,
    /// `ascending` (default) or `descending`.
    #[serde(default)]
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Ascending,
    Descending,
}

const TIMESTAMPS: [&str; 2] = ["created_time", "last_edited_time"];

/// What a value must be for a property type.
#[derive(Clone, Copy)]
enum ValueKind {
    Text,
    Number,
    Bool,
    Date,
}

/// The operators and value kind a property type supports (besides is_empty / is_not_empty).
fn rules(kind: &str) -> Option<(&'static [Operator], ValueKind)> {
    use Operator::*;
    const TEXT: &[Operator] = &[
        Equals,
        DoesNotEqual,
        Contains,
        DoesNotContain,
        StartsWith,
        EndsWith,
    ];
    const NUMBER: &[Operator] = &[
        Equals,
        DoesNotEqual,
        GreaterThan,
        LessThan,
        GreaterThanOrEqualTo,
        LessThanOrEqualTo,
    ];
    const EQUALITY: &[Operator] = &[Equals, DoesNotEqual];
    const MEMBERSHIP: &[Operator] = &[Contains, DoesNotContain];
    const DATE: &[Operator] = &[Equals, Before, After, OnOrBefore, OnOrAfter];
    Some(match kind {
        "title" | "rich_text" | "url" | "email" | "phone_number" => (TEXT, ValueKind::Text),
        "number" | "unique_id" => (NUMBER, ValueKind::Number),
        "checkbox" => (EQUALITY, ValueKind::Bool),
        "select" | "status" => (EQUALITY, ValueKind::Text),
        "multi_select" | "people" | "created_by" | "last_edited_by" | "relation" => {
            (MEMBERSHIP, ValueKind::Text)
        }
        "date" | "created_time" | "last_edited_time" => (DATE, ValueKind::Date),
        _ => return None,
    })
}

/// Notion's filter object for `conditions` against `schema` (the data source's `properties`).
/// `None` when there are no conditions.
pub fn to_notion_filter(
    conditions: &[Condition],
    mode: Match,
    schema: &Value,
) -> Result<Option<Value>, ActionError> {
    if conditions.len() > MAX_CONDITIONS {
        return Err(ActionError::invalid(
            "filter",
            format!("at most {MAX_CONDITIONS} conditions"),
        ));
    }
    let mut translated = Vec::with_capacity(conditions.len());
    for (index, condition) in conditions.iter().enumerate() {
        translated.push(condition_filter(
            condition,
            schema,
            &format!("filter[{index}]"),
        )?);
    }
    Ok(match translated.len() {
        0 => None,
        1 => translated.pop(),
        _ => Some(match mode {
            Match::All => json!({ "and": translated }),
            Match::Any => json!({ "or": translated }),
        }),
    })
}

fn condition_filter(
    condition: &Condition,
    schema: &Value,
    path: &str,
) -> Result<Value, ActionError> {
    let name = condition.property.as_str();
    let (kind, timestamp) = match schema.get(name).and_then(|p| p["type"].as_str()) {
        Some(kind) => (kind.to_owned(), false),
        None if TIMESTAMPS.contains(&name) => (name.to_owned(), true),
        None => {
            return Err(ActionError::invalid(
                format!("{path}.property"),
                format!(
                    "no property named {name:?}; the properties are: {}",
                    property_names(schema)
                ),
            ));
        }
    };
    // Their conditions nest under the result type (`{"formula": {"string": {...}}}`), which the
    // schema does not tell: even is_empty must be written in Notion's syntax.
    if matches!(kind.as_str(), "formula" | "rollup") {
        return Err(ActionError::invalid(
            format!("{path}.property"),
            format!(
                "{name:?} is a {kind} property, which this filter form cannot compare; use \
                 notion_filter, e.g. {{\"property\": {name:?}, \"{kind}\": {}}}",
                if kind == "formula" {
                    "{\"string\": {\"is_empty\": true}}"
                } else {
                    "{\"any\": {\"rich_text\": {\"is_empty\": true}}}"
                }
            ),
        ));
    }
    let operator = condition.operator;
    let value = match operator {
        Operator::IsEmpty | Operator::IsNotEmpty => {
            if condition.value.is_some() && condition.value != Some(Value::Bool(true)) {
                return Err(ActionError::invalid(
                    format!("{path}.value"),
                    format!("{} takes no value", operator.as_str()),
                ));
            }
            Value::Bool(true)
        }
        _ => {
            let Some((allowed, value_kind)) = rules(&kind) else {
                return Err(ActionError::invalid(
                    format!("{path}.property"),
                    format!(
                        "{name:?} is a {kind} property, which this filter form can only test with is_empty / is_not_empty; use notion_filter"
                    ),
                ));
            };
            if !allowed.contains(&operator) {
                let names: Vec<&str> = allowed.iter().map(|op| op.as_str()).collect();
                return Err(ActionError::invalid(
                    format!("{path}.operator"),
                    format!(
                        "{} does not apply to the {kind} property {name:?}; use one of: {}, is_empty, is_not_empty",
                        operator.as_str(),
                        names.join(", ")
                    ),
                ));
            }
            checked_value(
                condition.value.as_ref(),
                value_kind,
                &format!("{path}.value"),
            )?
        }
    };
    let mut comparison = serde_json::Map::new();
    comparison.insert(operator.as_str().to_owned(), value);
    let comparison = Value::Object(comparison);
    Ok(if timestamp {
        json!({ "timestamp": name, name: comparison })
    } else {
        json!({ "property": name, kind: comparison })
    })
}

fn checked_value(
    value: Option<&Value>,
    kind: ValueKind,
    field: &str,
) -> Result<Value, ActionError> {
    let Some(value) = value else {
        return Err(ActionError::invalid(field, "is required for this operator"));
    };
    let ok = match kind {
        ValueKind::Text => value.as_str().is_some_and(|text| !text.is_empty()),
        ValueKind::Number => value.is_number(),
        ValueKind::Bool => value.is_boolean(),
        ValueKind::Date => value.as_str().is_some_and(|text| !text.is_empty()),
    };
    if ok {
        Ok(value.clone())
    } else {
        Err(ActionError::invalid(
            field,
            match kind {
                ValueKind::Text => "must be a non-empty string",
                ValueKind::Number => "must be a number",
                ValueKind::Bool => "must be true or false",
                ValueKind::Date => "must be an ISO 8601 date or date-time string",
            },
        ))
    }
}

/// Notion's sorts for `sorts` against `schema`.
pub fn to_notion_sorts(sorts: &[Sort], schema: &Value) -> Result<Vec<QuerySort>, ActionError> {
    sorts
        .iter()
        .enumerate()
        .map(|(index, sort)| {
            let direction = match sort.direction {
                Direction::Ascending => SortDirection::Ascending,
                Direction::Descending => SortDirection::Descending,
            };
            if schema.get(&sort.property).is_some() {
                Ok(QuerySort::property(sort.property.clone(), direction))
            } else if sort.property == "created_time" {
                Ok(QuerySort::created_time(direction))
            } else if sort.property == "last_edited_time" {
                Ok(QuerySort::last_edited_time(direction))
            } else {
                Err(ActionError::invalid(
                    format!("sorts[{index}].property"),
                    format!(
                        "no property named {:?}; the properties are: {}",
                        sort.property,
                        property_names(schema)
                    ),
                ))
            }
        })
        .collect()
}

fn property_names(schema: &Value) -> String {
    let mut names: Vec<&str> = schema
        .as_object()
        .map(|properties| properties.keys().map(String::as_str).collect())
        .unwrap_or_default();
    names.extend(TIMESTAMPS);
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({
            "Name": {"type": "title", "title": {}},
            "Status": {"type": "status", "status": {}},
            "Estimate": {"type": "number", "number": {}},
            "Done": {"type": "checkbox", "checkbox": {}},
            "Tags": {"type": "multi_select", "multi_select": {}},
            "Score": {"type": "formula", "formula": {}}
        })
    }

    fn cond(property: &str, operator: Operator, value: Option<Value>) -> Condition {
        Condition {
            property: property.into(),
            operator,
            value,
        }
    }

    #[test]
    fn translates_conditions() {
        let filter = to_notion_filter(
            &[
                cond("Status", Operator::Equals, Some(json!("Done"))),
                cond("Estimate", Operator::GreaterThan, Some(json!(3))),
                cond("Tags", Operator::IsEmpty, None),
                cond(
                    "created_time",
                    Operator::OnOrAfter,
                    Some(json!("2026-01-01")),
                ),
            ],
            Match::All,
            &schema(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            filter,
            json!({"and": [
                {"property": "Status", "status": {"equals": "Done"}},
                {"property": "Estimate", "number": {"greater_than": 3}},
                {"property": "Tags", "multi_select": {"is_empty": true}},
                {"timestamp": "created_time", "created_time": {"on_or_after": "2026-01-01"}}
            ]})
        );
        let single = to_notion_filter(
            &[cond("Done", Operator::Equals, Some(json!(true)))],
            Match::Any,
            &schema(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            single,
            json!({"property": "Done", "checkbox": {"equals": true}})
        );
        assert_eq!(to_notion_filter(&[], Match::All, &schema()).unwrap(), None);
    }

    fn field_of(error: ActionError) -> String {
        match error {
            ActionError::InvalidInput { field, .. } => field,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn refuses_with_the_field_named() {
        let s = schema();
        let e = to_notion_filter(
            &[cond("Nope", Operator::Equals, Some(json!("x")))],
            Match::All,
            &s,
        );
        assert_eq!(field_of(e.unwrap_err()), "filter[0].property");
        let e = to_notion_filter(
            &[cond("Done", Operator::Contains, Some(json!("x")))],
            Match::All,
            &s,
        );
        assert_eq!(field_of(e.unwrap_err()), "filter[0].operator");
        let e = to_notion_filter(
            &[
                cond("Done", Operator::Equals, Some(json!(true))),
                cond("Estimate", Operator::Equals, Some(json!("three"))),
            ],
            Match::All,
            &s,
        );
        assert_eq!(field_of(e.unwrap_err()), "filter[1].value");
        let e = to_notion_filter(
            &[cond("Score", Operator::Equals, Some(json!(1)))],
            Match::All,
            &s,
        );
        assert_eq!(field_of(e.unwrap_err()), "filter[0].property");
        let e = to_notion_sorts(
            &[Sort {
                property: "Nope".into(),
                direction: Direction::Ascending,
            }],
            &s,
        );
        assert_eq!(field_of(e.unwrap_err()), "sorts[0].property");
    }

    /// Notion's formula and rollup conditions nest under the result type
    /// (`{"formula": {"string": {"is_empty": true}}}`); a bare `{"formula": {"is_empty": true}}`
    /// is a Notion validation error, so the simple form refuses them and points at notion_filter.
    #[test]
    fn formula_and_rollup_properties_are_refused_even_for_emptiness() {
        let mut s = schema();
        s["Total"] = json!({"type": "rollup", "rollup": {}});
        for property in ["Score", "Total"] {
            for operator in [Operator::IsEmpty, Operator::IsNotEmpty] {
                let error = to_notion_filter(&[cond(property, operator, None)], Match::All, &s)
                    .unwrap_err();
                assert!(error.to_string().contains("notion_filter"), "{error}");
                assert_eq!(field_of(error), "filter[0].property");
            }
        }
        // Emptiness still works on the types whose filter takes it directly.
        let filter = to_notion_filter(&[cond("Tags", Operator::IsNotEmpty, None)], Match::All, &s)
            .unwrap()
            .unwrap();
        assert_eq!(
            filter,
            json!({"property": "Tags", "multi_select": {"is_not_empty": true}})
        );
    }

    #[test]
    fn sorts_by_property_or_timestamp() {
        let sorts = to_notion_sorts(
            &[
                Sort {
                    property: "Estimate".into(),
                    direction: Direction::Descending,
                },
                Sort {
                    property: "created_time".into(),
                    direction: Direction::Ascending,
                },
            ],
            &schema(),
        )
        .unwrap();
        assert_eq!(
            sorts[0],
            QuerySort::property("Estimate", SortDirection::Descending)
        );
        assert_eq!(sorts[1], QuerySort::created_time(SortDirection::Ascending));
    }
}
