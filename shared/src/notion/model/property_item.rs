//! `GET /v1/pages/{id}/properties/{property_id}`: one property's exact value, either a single
//! `property_item` or, for title/rich_text/relation/people/rollup, a paginated list of items.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::common::{DateValue, EmptyObject, IdRef, SelectOption};
use super::file::FileItem;
use super::list::RequestStatus;
use super::property_value::{
    FormulaValue, PlaceValue, RollupValue, UniqueIdValue, VerificationValue,
};
use super::rich_text::RichText;
use super::tagged::{
    Nullable, impl_tagged_struct_serde, nullable, placeholder, shadowed_struct, tagged_union,
};
use super::user::User;

/// The response of the property-item endpoint.
#[allow(clippy::large_enum_variant)] // one value per request; boxing would only add noise
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyItemResponse {
    Single(PropertyItem),
    List(PropertyItemList),
}

impl Serialize for PropertyItemResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Single(item) => item.serialize(serializer),
            Self::List(list) => list.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for PropertyItemResponse {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = Value::deserialize(deserializer)?;
        if value.get("object").and_then(Value::as_str) == Some("list") {
            <PropertyItemList as Deserialize>::deserialize(&value).map(Self::List)
        } else {
            <PropertyItem as Deserialize>::deserialize(&value).map(Self::Single)
        }
        .map_err(D::Error::custom)
    }
}

shadowed_struct! {
    /// One property item: `{"object":"property_item","id","type","<type>": value}`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct PropertyItem with serde via PropertyItemFields = "PropertyItem" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub object: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        #[serde(skip, default = "placeholder")]
        pub value: PropertyItemValue,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub request_id: Option<String>,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(PropertyItem, PropertyItemFields, value, required);

tagged_union! {
    /// A property item's value. Paginated types hold one element per item (one rich-text run,
    /// one relation, one person).
    pub enum PropertyItemValue {
        Title(RichText) = "title",
        RichText(RichText) = "rich_text",
        Relation(IdRef) = "relation",
        People(User) = "people",
        Rollup(RollupValue) = "rollup",
        Number(Option<Number>) = "number",
        Select(Option<SelectOption>) = "select",
        MultiSelect(Vec<SelectOption>) = "multi_select",
        Status(Option<SelectOption>) = "status",
        Date(Option<DateValue>) = "date",
        Files(Vec<FileItem>) = "files",
        Checkbox(bool) = "checkbox",
        Url(Option<String>) = "url",
        Email(Option<String>) = "email",
        PhoneNumber(Option<String>) = "phone_number",
        Formula(FormulaValue) = "formula",
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

/// The paginated form: a list of items plus `property_item` describing the property (for
/// rollups it carries the aggregate value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyItemList {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub results: Vec<PropertyItem>,
    #[serde(default)]
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub list_type: Option<String>,
    pub property_item: PropertyItemSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_status: Option<RequestStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `property_item` of the list form: `{"id","next_url","type","<type>": {} | aggregate}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyItemSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub next_url: Nullable<String>,
    /// The property type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub property_type: Option<String>,
    /// The `<type>` payload (`{}` for relation/people/title, the aggregate for rollups), kept as
    /// JSON; see [`PropertyItemSummary::rollup`].
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PropertyItemSummary {
    /// The rollup aggregate, for rollup properties.
    pub fn rollup(&self) -> Option<RollupValue> {
        if self.property_type.as_deref() != Some("rollup") {
            return None;
        }
        RollupValue::deserialize(self.extra.get("rollup")?).ok()
    }
}
