//! Property tests: the converters never panic on any JSON, and the filter translation either
//! answers a filter on the named property or refuses with a field path.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::error::ActionError;
use super::filter::{Condition, Match, Operator, to_notion_filter};
use super::spec::{notion_id, parse_input, truncate_chars};
use super::values::{plain_properties, plain_schema, plain_value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z_ é]{0,8}".prop_map(Value::String),
        prop_oneof![
            Just("title"),
            Just("status"),
            Just("date"),
            Just("formula"),
            Just("rollup"),
            Just("relation"),
            Just("files"),
            Just("unique_id")
        ]
        .prop_map(|kind| Value::String(kind.to_owned())),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("name".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn operator() -> impl Strategy<Value = Operator> {
    prop::sample::select(vec![
        Operator::Equals,
        Operator::DoesNotEqual,
        Operator::Contains,
        Operator::DoesNotContain,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::GreaterThan,
        Operator::LessThan,
        Operator::GreaterThanOrEqualTo,
        Operator::LessThanOrEqualTo,
        Operator::Before,
        Operator::After,
        Operator::OnOrBefore,
        Operator::OnOrAfter,
        Operator::IsEmpty,
        Operator::IsNotEmpty,
    ])
}

proptest! {
    #[test]
    fn converters_never_panic(value in json_value()) {
        let _ = plain_value(&value);
        let _ = plain_properties(&value);
        let _ = plain_schema(&value);
        let _ = parse_input::<super::SearchInput>(value.clone());
        let _ = parse_input::<super::QueryDataSourceInput>(value);
    }

    #[test]
    fn filters_name_their_property_or_the_field(
        property in prop_oneof![Just("Name"), Just("Estimate"), Just("Done"), Just("Tags"), Just("Due"), Just("created_time"), Just("Other")],
        operator in operator(),
        value in prop::option::of(json_value()),
    ) {
        let schema = json!({
            "Name": {"type": "title"}, "Estimate": {"type": "number"}, "Done": {"type": "checkbox"},
            "Tags": {"type": "multi_select"}, "Due": {"type": "date"}
        });
        let condition = Condition { property: property.to_owned(), operator, value };
        match to_notion_filter(&[condition], Match::All, &schema) {
            Ok(Some(filter)) => {
                let named = filter["property"] == property || filter["timestamp"] == property;
                prop_assert!(named, "{}", filter);
            }
            Ok(None) => prop_assert!(false, "one condition gives a filter"),
            Err(ActionError::InvalidInput { field, .. }) => prop_assert!(field.starts_with("filter[0]."), "{}", field),
            Err(other) => prop_assert!(false, "{}", other),
        }
    }

    #[test]
    fn truncation_and_ids_never_panic(text in "\\PC{0,40}", max in 0usize..50) {
        let (kept, cut) = truncate_chars(&text, max);
        prop_assert!(kept.chars().count() <= max);
        prop_assert_eq!(cut, text.chars().count() > max);
        let _ = notion_id(&text, "id");
    }
}
