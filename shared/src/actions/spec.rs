//! What describes an action to callers (name, description, annotations, JSON schemas) and the
//! one input parser, whose errors name the offending field.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::ActionError;

/// Behaviour hints for callers and models (MCP `readOnlyHint`, `destructiveHint`,
/// `idempotentHint`, `openWorldHint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Annotations {
    /// Changes nothing in Notion.
    pub read_only: bool,
    /// May overwrite or remove existing content (false: only adds).
    pub destructive: bool,
    /// Repeating the same call has no further effect.
    pub idempotent: bool,
    /// Talks to an outside system (Notion).
    pub open_world: bool,
}

impl Annotations {
    pub const READ: Self = Self {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: true,
    };

    /// Adds content; `idempotent` when a key makes retries safe.
    pub const fn additive(idempotent: bool) -> Self {
        Self {
            read_only: false,
            destructive: false,
            idempotent,
            open_world: true,
        }
    }
}

/// One action as published by `GET /actions` and MCP `tools/list`.
#[derive(Debug, Clone)]
pub struct ActionSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub annotations: Annotations,
    input_schema: fn() -> Map<String, Value>,
    output_schema: fn() -> Map<String, Value>,
}

impl ActionSpec {
    pub(super) fn new<I: JsonSchema, O: JsonSchema>(
        name: &'static str,
        title: &'static str,
        description: &'static str,
        annotations: Annotations,
    ) -> Self {
        Self {
            name,
            title,
            description,
            annotations,
            input_schema: input_schema::<I>,
            output_schema: output_schema::<O>,
        }
    }

    /// The JSON schema of the input (what the action accepts), draft 2020-12.
    pub fn input_schema(&self) -> Map<String, Value> {
        (self.input_schema)()
    }

    /// The JSON schema of the structured result (what the action answers).
    pub fn output_schema(&self) -> Map<String, Value> {
        (self.output_schema)()
    }

    /// The public description: name, title, description, annotations and both schemas.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "annotations": self.annotations,
            "input_schema": self.input_schema(),
            "output_schema": self.output_schema(),
        })
    }
}

fn input_schema<T: JsonSchema>() -> Map<String, Value> {
    schema_object(
        SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<T>(),
    )
}

fn output_schema<T: JsonSchema>() -> Map<String, Value> {
    schema_object(
        SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator()
            .into_root_schema_for::<T>(),
    )
}

fn schema_object(schema: schemars::Schema) -> Map<String, Value> {
    match serde_json::to_value(schema) {
        Ok(Value::Object(object)) => object,
        // Derived schemas are objects; a bare `true` would still mean "anything".
        _ => {
            let mut object = Map::new();
            object.insert("type".into(), Value::String("object".into()));
            object
        }
    }
}

/// Parses an action's input. Errors name the field by its path (`filter[0].value`), or say
/// which field is missing or unknown.
pub fn parse_input<T: DeserializeOwned>(input: Value) -> Result<T, ActionError> {
    let input = match input {
        // A missing body means "no arguments".
        Value::Null => Value::Object(Map::new()),
        other => other,
    };
    serde_path_to_error::deserialize(input).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        let field = if path == "." || path.is_empty() {
            named_field(&inner).unwrap_or_else(|| "input".to_owned())
        } else {
            path
        };
        ActionError::invalid(field, inner)
    })
}

/// The field a serde message names: "missing field `x`", "unknown field `x`, expected ...".
fn named_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

/// A text rendering of a structured result, for models reading tool output.
pub trait Render {
    fn render(&self) -> String;
}

/// Cuts `text` to at most `max_chars` characters; answers the kept part and whether it was cut.
pub fn truncate_chars(text: &str, max_chars: usize) -> (&str, bool) {
    match text.char_indices().nth(max_chars) {
        Some((byte, _)) => (&text[..byte], true),
        None => (text, false),
    }
}

/// Checks an optional page size against `1..=max`, defaulting to `default`.
pub fn limit(value: Option<u32>, default: u32, max: u32) -> Result<u32, ActionError> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ActionError::invalid(
            "limit",
            format!("must be between 1 and {max}"),
        )),
    }
}

/// A Notion id in canonical form (lowercase, hyphenated); `field` names it in the error.
pub fn notion_id(raw: &str, field: &str) -> Result<String, ActionError> {
    let trimmed = raw.trim();
    // Accept a Notion URL too: its last 32 hex characters are the id.
    let candidate = if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        let path = trimmed.split(['?', '#']).next().unwrap_or_default();
        let tail: String = path
            .chars()
            .rev()
            .filter(|c| *c != '-')
            .take(32)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        tail
    } else {
        trimmed.to_owned()
    };
    uuid::Uuid::parse_str(&candidate)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| {
            ActionError::invalid(
                field,
                "must be a Notion id (a UUID, with or without dashes) or a Notion URL",
            )
        })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        /// The query.
        query: String,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Item {
        #[allow(dead_code)]
        n: u32,
    }

    #[test]
    fn input_errors_name_the_field() {
        let error = parse_input::<Sample>(json!({})).unwrap_err();
        assert!(
            matches!(&error, ActionError::InvalidInput { field, .. } if field == "query"),
            "{error}"
        );
        let error = parse_input::<Sample>(json!({"query": "x", "extra": 1})).unwrap_err();
        assert!(
            matches!(&error, ActionError::InvalidInput { field, .. } if field == "extra"),
            "{error}"
        );
        let error =
            parse_input::<Sample>(json!({"query": "x", "items": [{"n": "a"}]})).unwrap_err();
        assert!(
            matches!(&error, ActionError::InvalidInput { field, .. } if field == "items[0].n"),
            "{error}"
        );
        let ok = parse_input::<Sample>(json!({"query": "x"})).unwrap();
        assert_eq!(ok.query, "x");
        assert!(ok.items.is_empty());
    }

    #[test]
    fn schemas_carry_descriptions() {
        let schema = input_schema::<Sample>();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["query"]["description"], "The query.");
    }

    #[test]
    fn ids_and_limits() {
        assert_eq!(
            notion_id(
                "59833787 2CF94FDF8782E53DB20768A5"
                    .replace(' ', "")
                    .as_str(),
                "id"
            )
            .unwrap(),
            "59833787-2cf9-4fdf-8782-e53db20768a5"
        );
        assert_eq!(
            notion_id(
                "https://www.notion.so/Title-598337872cf94fdf8782e53db20768a5?pvs=4",
                "id"
            )
            .unwrap(),
            "59833787-2cf9-4fdf-8782-e53db20768a5"
        );
        assert!(notion_id("nope", "page_id").is_err());
        assert_eq!(limit(None, 10, 100).unwrap(), 10);
        assert!(limit(Some(0), 10, 100).is_err());
        assert!(limit(Some(101), 10, 100).is_err());
        assert_eq!(truncate_chars("héllo", 2), ("hé", true));
        assert_eq!(truncate_chars("hé", 2), ("hé", false));
    }
}
