//! Property tests: any object with an unknown `type` survives a round trip unchanged.

use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{Block, Icon, Mention, PropertySchema, PropertyValue, RichText};

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e9f64..1.0e9).prop_map(Value::from),
        "[a-zA-Z0-9 _é😀-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object tagged with a type no model knows, with an optional payload and siblings whose
/// names cannot collide with named fields.
fn unknown_tagged_object() -> impl Strategy<Value = Value> {
    (
        "zz_[a-z_]{1,10}",
        prop::option::of(json_value()),
        prop::collection::btree_map("x_[a-z_]{1,8}", json_value(), 0..4),
    )
        .prop_map(|(type_name, payload, siblings)| {
            let mut obj: Map<String, Value> = siblings.into_iter().collect();
            obj.insert("type".to_owned(), Value::String(type_name.clone()));
            if let Some(payload) = payload {
                obj.insert(type_name, payload);
            }
            Value::Object(obj)
        })
}

fn assert_round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Result<(), TestCaseError> {
    let parsed: T = serde_json::from_value(value.clone())
        .map_err(|e| TestCaseError::fail(format!("parse failed: {e}")))?;
    let back = serde_json::to_value(&parsed)
        .map_err(|e| TestCaseError::fail(format!("serialize failed: {e}")))?;
    prop_assert_eq!(&back, value);
    Ok(())
}

proptest! {
    #[test]
    fn unknown_blocks_round_trip(mut value in unknown_tagged_object(), id in prop::option::of("[0-9a-f-]{8,36}")) {
        if let (Some(id), Value::Object(obj)) = (id, &mut value) {
            obj.insert("object".to_owned(), Value::from("block"));
            obj.insert("id".to_owned(), Value::from(id));
            obj.insert("has_children".to_owned(), Value::from(false));
        }
        assert_round_trip::<Block>(&value)?;
        let block: Block = serde_json::from_value(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(block.content.is_unknown());
    }

    #[test]
    fn unknown_property_values_round_trip(mut value in unknown_tagged_object(), id in prop::option::of("[A-Za-z%0-9]{1,6}")) {
        if let (Some(id), Value::Object(obj)) = (id, &mut value) {
            obj.insert("id".to_owned(), Value::from(id));
        }
        assert_round_trip::<PropertyValue>(&value)?;
    }

    #[test]
    fn unknown_schema_rich_text_mention_and_icon_types_round_trip(value in unknown_tagged_object()) {
        assert_round_trip::<PropertySchema>(&value)?;
        assert_round_trip::<RichText>(&value)?;
        assert_round_trip::<Mention>(&value)?;
        assert_round_trip::<Icon>(&value)?;
    }

    /// Known types with payloads of any shape never make parsing fail, and what they serialize
    /// to parses back to the same model (defaults such as `rich_text: []` may be filled in).
    #[test]
    fn known_block_types_with_arbitrary_payloads_never_fail(payload in json_value(),
        type_name in prop::sample::select(vec!["paragraph", "heading_1", "to_do", "image", "table", "synced_block", "unsupported"])) {
        let value = serde_json::json!({"object": "block", "type": type_name, type_name: payload});
        let parsed: Block = serde_json::from_value(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.type_name(), type_name);
        let back = serde_json::to_value(&parsed).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let reparsed: Block = serde_json::from_value(back).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(reparsed, parsed);
    }
}
