//! Page property values (`page.properties[name]`), in response and writable request form.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::common::{DateValue, EmptyObject, IdRef, SelectOption};
use super::file::FileItem;
use super::rich_text::RichText;
use super::tagged::{
    Nullable, impl_standalone_serde, impl_tagged_struct_serde, nullable, placeholder,
    shadowed_struct, tagged_union,
};
use super::user::User;

shadowed_struct! {
    /// One property value: `{"id":..., "type":..., "<type>": value}`. Values built in code omit
    /// `id` and serialize to Notion's writable shapes.
    #[derive(Debug, Clone, PartialEq)]
    pub struct PropertyValue with serde via PropertyValueFields = "PropertyValue" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        #[serde(skip, default = "placeholder")]
        pub value: PropertyData,
        /// Set on `relation` values holding more than 25 references: the rest needs the
        /// property-item endpoint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub has_more: Option<bool>,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(PropertyValue, PropertyValueFields, value, required);

tagged_union! {
    /// A property value by type. `null`/`[]` clear a value in requests.
    pub enum PropertyData {
        Title(Vec<RichText>) = "title",
        RichText(Vec<RichText>) = "rich_text",
        Number(Option<Number>) = "number",
        Select(Option<SelectOption>) = "select",
        MultiSelect(Vec<SelectOption>) = "multi_select",
        Status(Option<SelectOption>) = "status",
        Date(Option<DateValue>) = "date",
        People(Vec<User>) = "people",
        Files(Vec<FileItem>) = "files",
        Checkbox(bool) = "checkbox",
        Url(Option<String>) = "url",
        Email(Option<String>) = "email",
        PhoneNumber(Option<String>) = "phone_number",
        Formula(FormulaValue) = "formula",
        Relation(Vec<IdRef>) = "relation",
        Rollup(RollupValue) = "rollup",
        CreatedTime(String) = "created_time",
        CreatedBy(User) = "created_by",
        LastEditedTime(String) = "last_edited_time",
        LastEditedBy(User) = "last_edited_by",
        UniqueId(UniqueIdValue) = "unique_id",
        Button(EmptyObject) = "button",
        Verification(Option<VerificationValue>) = "verification",
        Place(Option<PlaceValue>) = "place",
    }
}

tagged_union! {
    /// A formula's computed value.
    pub enum FormulaValue {
        String(Option<String>) = "string",
        Number(Option<Number>) = "number",
        Boolean(Option<bool>) = "boolean",
        Date(Option<DateValue>) = "date",
    }
}
impl_standalone_serde!(FormulaValue);

shadowed_struct! {
    /// A rollup's computed value plus the aggregation `function`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct RollupValue with serde via RollupValueFields = "RollupValue" {
        #[serde(skip, default = "placeholder")]
        pub value: RollupData,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub function: Option<String>,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(RollupValue, RollupValueFields, value, required);

tagged_union! {
    pub enum RollupData {
        Number(Option<Number>) = "number",
        Date(Option<DateValue>) = "date",
        /// Property values of the related pages (without ids).
        Array(Vec<PropertyValue>) = "array",
        Unsupported(Value) = "unsupported",
        Incomplete(Value) = "incomplete",
    }
}

/// `unique_id` value: `prefix-number`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UniqueIdValue {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub number: Option<Number>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `verification` value (wiki pages).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerificationValue {
    /// `verified`, `unverified` or `expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub verified_by: Nullable<User>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub date: Nullable<DateValue>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `place` value (a location).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlaceValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub name: Nullable<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub address: Nullable<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PropertyValue {
    /// A value for a request (no `id`).
    pub fn new(value: PropertyData) -> Self {
        Self {
            id: None,
            value,
            has_more: None,
            extra: Map::new(),
        }
    }

    pub fn title(rich_text: Vec<RichText>) -> Self {
        Self::new(PropertyData::Title(rich_text))
    }

    pub fn rich_text(rich_text: Vec<RichText>) -> Self {
        Self::new(PropertyData::RichText(rich_text))
    }

    /// A number; `None` clears it.
    pub fn number(number: Option<Number>) -> Self {
        Self::new(PropertyData::Number(number))
    }

    /// A select option by name (unknown names become new options); `None` clears it.
    pub fn select(name: Option<&str>) -> Self {
        Self::new(PropertyData::Select(name.map(SelectOption::named)))
    }

    pub fn multi_select<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(PropertyData::MultiSelect(
            names.into_iter().map(SelectOption::named).collect(),
        ))
    }

    /// A status by name (status options must already exist); `None` clears it.
    pub fn status(name: Option<&str>) -> Self {
        Self::new(PropertyData::Status(name.map(SelectOption::named)))
    }

    pub fn date(date: Option<DateValue>) -> Self {
        Self::new(PropertyData::Date(date))
    }

    pub fn checkbox(checked: bool) -> Self {
        Self::new(PropertyData::Checkbox(checked))
    }

    pub fn url(url: Option<&str>) -> Self {
        Self::new(PropertyData::Url(url.map(str::to_owned)))
    }

    pub fn email(email: Option<&str>) -> Self {
        Self::new(PropertyData::Email(email.map(str::to_owned)))
    }

    pub fn phone_number(phone_number: Option<&str>) -> Self {
        Self::new(PropertyData::PhoneNumber(phone_number.map(str::to_owned)))
    }

    /// People by user id.
    pub fn people<I, S>(user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(PropertyData::People(
            user_ids.into_iter().map(User::reference).collect(),
        ))
    }

    /// Related pages by page id.
    pub fn relation<I, S>(page_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(PropertyData::Relation(
            page_ids.into_iter().map(IdRef::new).collect(),
        ))
    }

    pub fn files(files: Vec<FileItem>) -> Self {
        Self::new(PropertyData::Files(files))
    }

    /// The `type` name.
    pub fn type_name(&self) -> &str {
        self.value.type_name()
    }

    /// Plain text of a title or rich-text value.
    pub fn plain_text(&self) -> Option<String> {
        match &self.value {
            PropertyData::Title(items) | PropertyData::RichText(items) => {
                Some(RichText::concat_plain_text(items))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> PropertyValue {
        let parsed: PropertyValue = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
        parsed
    }

    fn to_json(value: PropertyValue) -> Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn writable_forms_match_notion_request_shapes() {
        assert_eq!(
            to_json(PropertyValue::title(vec![RichText::text("Row 1")])),
            json!({"type":"title","title":[{"type":"text","text":{"content":"Row 1"}}]})
        );
        assert_eq!(
            to_json(PropertyValue::number(Some(3.into()))),
            json!({"type":"number","number":3})
        );
        assert_eq!(
            to_json(PropertyValue::number(None)),
            json!({"type":"number","number":null})
        );
        assert_eq!(
            to_json(PropertyValue::select(Some("Bug"))),
            json!({"type":"select","select":{"name":"Bug"}})
        );
        assert_eq!(
            to_json(PropertyValue::multi_select(["a", "b"])),
            json!({"type":"multi_select","multi_select":[{"name":"a"},{"name":"b"}]})
        );
        assert_eq!(
            to_json(PropertyValue::status(Some("In progress"))),
            json!({"type":"status","status":{"name":"In progress"}})
        );
        assert_eq!(
            to_json(PropertyValue::date(Some(DateValue::new("2026-05-01")))),
            json!({"type":"date","date":{"start":"2026-05-01","end":null,"time_zone":null}})
        );
        assert_eq!(
            to_json(PropertyValue::checkbox(true)),
            json!({"type":"checkbox","checkbox":true})
        );
        assert_eq!(
            to_json(PropertyValue::url(Some("https://e.x"))),
            json!({"type":"url","url":"https://e.x"})
        );
        assert_eq!(
            to_json(PropertyValue::email(Some("a@b.c"))),
            json!({"type":"email","email":"a@b.c"})
        );
        assert_eq!(
            to_json(PropertyValue::phone_number(Some("+1"))),
            json!({"type":"phone_number","phone_number":"+1"})
        );
        assert_eq!(
            to_json(PropertyValue::people(["u1"])),
            json!({"type":"people","people":[{"object":"user","id":"u1"}]})
        );
        assert_eq!(
            to_json(PropertyValue::relation(["p1"])),
            json!({"type":"relation","relation":[{"id":"p1"}]})
        );
        assert_eq!(
            to_json(PropertyValue::files(vec![FileItem::external(
                "x.pdf",
                "https://e/x.pdf"
            )])),
            json!({"type":"files","files":[{"name":"x.pdf","type":"external","external":{"url":"https://e/x.pdf"}}]})
        );
        assert_eq!(
            to_json(PropertyValue::rich_text(vec![])),
            json!({"type":"rich_text","rich_text":[]})
        );
    }

    #[test]
    fn request_form_without_type_parses() {
        let value: PropertyValue = serde_json::from_value(json!({"number": 3})).unwrap();
        assert!(matches!(value.value, PropertyData::Number(Some(_))));
    }

    #[test]
    fn formula_and_rollup_values_parse() {
        for formula in [
            json!({"type":"string","string":"s"}),
            json!({"type":"number","number":1.5}),
            json!({"type":"boolean","boolean":true}),
            json!({"type":"date","date":null}),
        ] {
            let value = round_trip(json!({"id":"f","type":"formula","formula":formula}));
            assert!(matches!(&value.value, PropertyData::Formula(f) if !f.is_unknown()));
        }
        let value = round_trip(
            json!({"id":"r","type":"rollup","rollup":{"type":"array","array":[
            {"type":"title","title":[]}],"function":"show_original"}}),
        );
        assert!(
            matches!(&value.value, PropertyData::Rollup(r) if matches!(r.value, RollupData::Array(_)))
        );
    }

    #[test]
    fn unknown_property_types_survive_verbatim() {
        let value =
            round_trip(json!({"id":"x","type":"ai_autofill","ai_autofill":{"text":"t","n":[1]}}));
        assert_eq!(value.type_name(), "ai_autofill");
        assert!(value.value.is_unknown());
    }

    #[test]
    fn relation_has_more_is_kept() {
        let value =
            round_trip(json!({"id":"o","type":"relation","relation":[{"id":"a"}],"has_more":true}));
        assert_eq!(value.has_more, Some(true));
    }
}
