//! Data-source schemas: `data_source.properties[name]` (and, before 2025-09-03, databases').

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Color, EmptyObject, SelectOption};
use super::tagged::{
    Nullable, impl_tagged_struct_serde, nullable, placeholder, shadowed_struct, tagged_union,
};

shadowed_struct! {
    /// One schema property: `{"id","name","description","type","<type>": config}`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct PropertySchema with serde via PropertySchemaFields = "PropertySchema" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "nullable"
        )]
        pub description: Nullable<String>,
        #[serde(skip, default = "placeholder")]
        pub config: PropertyConfig,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(PropertySchema, PropertySchemaFields, config, required);

impl PropertySchema {
    /// A schema entry for a create/update request.
    pub fn new(config: PropertyConfig) -> Self {
        Self {
            id: None,
            name: None,
            description: None,
            config,
            extra: Map::new(),
        }
    }

    /// The `type` name.
    pub fn type_name(&self) -> &str {
        self.config.type_name()
    }

    /// Whether values of this type can be written (formula, rollup, timestamps, creators,
    /// unique ids and buttons are computed by Notion). Unknown types count as read-only.
    pub fn is_writable(&self) -> bool {
        use PropertyConfig as C;
        matches!(
            self.config,
            C::Title(_)
                | C::RichText(_)
                | C::Number(_)
                | C::Select(_)
                | C::MultiSelect(_)
                | C::Status(_)
                | C::Date(_)
                | C::People(_)
                | C::Files(_)
                | C::Checkbox(_)
                | C::Url(_)
                | C::Email(_)
                | C::PhoneNumber(_)
                | C::Relation(_)
                | C::Place(_)
                | C::Location(_)
        )
    }
}

tagged_union! {
    /// A property's type and configuration.
    pub enum PropertyConfig {
        Title(EmptyObject) = "title",
        RichText(EmptyObject) = "rich_text",
        Number(NumberConfig) = "number",
        Select(OptionsConfig) = "select",
        MultiSelect(OptionsConfig) = "multi_select",
        Status(StatusConfig) = "status",
        Date(EmptyObject) = "date",
        People(EmptyObject) = "people",
        Files(EmptyObject) = "files",
        Checkbox(EmptyObject) = "checkbox",
        Url(EmptyObject) = "url",
        Email(EmptyObject) = "email",
        PhoneNumber(EmptyObject) = "phone_number",
        Formula(FormulaConfig) = "formula",
        Relation(RelationConfig) = "relation",
        Rollup(RollupConfig) = "rollup",
        CreatedTime(EmptyObject) = "created_time",
        CreatedBy(EmptyObject) = "created_by",
        LastEditedTime(EmptyObject) = "last_edited_time",
        LastEditedBy(EmptyObject) = "last_edited_by",
        UniqueId(UniqueIdConfig) = "unique_id",
        Button(EmptyObject) = "button",
        Verification(EmptyObject) = "verification",
        Place(EmptyObject) = "place",
        Location(EmptyObject) = "location",
    }
}

/// `number` config: the display format (`number`, `percent`, `dollar`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NumberConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `select` / `multi_select` config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OptionsConfig {
    #[serde(default)]
    pub options: Vec<SelectOption>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `status` config: options and the groups (to do / in progress / complete) they belong to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusConfig {
    #[serde(default)]
    pub options: Vec<SelectOption>,
    #[serde(default)]
    pub groups: Vec<StatusGroup>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusGroup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    #[serde(default)]
    pub option_ids: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormulaConfig {
    #[serde(default)]
    pub expression: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

shadowed_struct! {
    /// `relation` config: the related data source and whether the relation is two-way.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct RelationConfig with serde via RelationConfigFields = "RelationConfig" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub data_source_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub database_id: Option<String>,
        /// `single_property` or `dual_property` (with the synced property on the other side).
        #[serde(skip)]
        pub kind: Option<RelationKind>,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(RelationConfig, RelationConfigFields, kind, optional);

tagged_union! {
    pub enum RelationKind {
        SingleProperty(EmptyObject) = "single_property",
        DualProperty(DualProperty) = "dual_property",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DualProperty {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_property_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_property_name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `rollup` config: which relation, which property of the related pages, which aggregation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RollupConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_property_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_property_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup_property_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollup_property_name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `unique_id` config: the optional prefix (`ABC` gives `ABC-12`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UniqueIdConfig {
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub prefix: Nullable<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> PropertySchema {
        let parsed: PropertySchema = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
        parsed
    }

    #[test]
    fn relation_config_keeps_data_source_and_dual_property() {
        let schema = round_trip(
            json!({"id":"r","name":"Rel","description":null,"type":"relation",
            "relation":{"data_source_id":"ds","database_id":"db","type":"dual_property",
                "dual_property":{"synced_property_id":"s","synced_property_name":"Back"}}}),
        );
        let PropertyConfig::Relation(relation) = &schema.config else {
            panic!("not a relation");
        };
        assert_eq!(relation.data_source_id.as_deref(), Some("ds"));
        assert!(matches!(relation.kind, Some(RelationKind::DualProperty(_))));
        assert!(schema.is_writable());
    }

    #[test]
    fn unknown_schema_types_survive_verbatim() {
        let schema =
            round_trip(json!({"id":"x","name":"X","type":"ai_summary","ai_summary":{"k":true}}));
        assert_eq!(schema.type_name(), "ai_summary");
        assert!(!schema.is_writable());
    }

    #[test]
    fn status_groups_parse() {
        let schema = round_trip(json!({"id":"s","name":"S","type":"status","status":{
            "options":[{"id":"o","name":"Done","color":"green","description":null}],
            "groups":[{"id":"g","name":"Complete","color":"green","option_ids":["o"]}]}}));
        assert!(matches!(&schema.config, PropertyConfig::Status(s) if s.groups.len() == 1));
    }
}
