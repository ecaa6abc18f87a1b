//! Notion's tagged unions: `{"type":"<name>","<name>":<payload>, ...siblings}`.
//!
//! Notion adds block, property, mention and icon types without a version bump, so every union
//! here has an `Unknown` member that keeps the type name and payload verbatim and serializes back
//! unchanged. A known type whose payload no longer matches our model also lands in `Unknown`
//! (never an error): syncing must not stop because Notion grew a field we did not expect.
//!
//! - [`tagged_union!`] declares such an enum and implements [`TaggedUnion`] for it.
//! - [`impl_standalone_serde!`] gives an enum that stands alone (no sibling fields, e.g. an icon)
//!   its `Serialize`/`Deserialize`.
//! - [`impl_tagged_struct_serde!`] gives a struct that holds such an enum next to ordinary fields
//!   (a block: id, parent, ... plus its typed content) its `Serialize`/`Deserialize`, on top of
//!   the private serde shadow that [`shadowed_struct!`] derives for the ordinary fields.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A member of a tagged union whose type Relay does not model (or whose payload did not match
/// the model). Serializes back to exactly what was received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnknownTagged {
    /// The `type` value, e.g. `"ai_block"`.
    pub type_name: String,
    /// The value under the key named by the type, if that key was present.
    pub payload: Option<Value>,
    /// Sibling fields, kept only for unions that stand alone (structs keep siblings themselves).
    pub other: Map<String, Value>,
}

impl UnknownTagged {
    pub fn new(type_name: impl Into<String>, payload: Option<Value>) -> Self {
        Self {
            type_name: type_name.into(),
            payload,
            other: Map::new(),
        }
    }
}

/// An enum whose members are tagged by a `type` string and carry their payload under the key of
/// the same name. Implemented by [`tagged_union!`].
pub trait TaggedUnion: Sized {
    /// The type names this union models.
    const KNOWN_TYPES: &'static [&'static str];

    /// The `type` value this member serializes with (unknown members keep theirs).
    fn type_name(&self) -> &str;

    /// Builds a known member from its payload. `None` if `type_name` is not known; `Some(Err)` if
    /// the payload does not match the model.
    fn from_known(type_name: &str, payload: &Value) -> Option<Result<Self, serde_json::Error>>;

    /// The payload to write under the type key (`None`: write no payload key).
    fn to_payload(&self) -> Result<Option<Value>, serde_json::Error>;

    fn from_unknown(raw: UnknownTagged) -> Self;

    fn as_unknown(&self) -> Option<&UnknownTagged>;

    /// True when this member was not (or could not be) parsed into a typed member.
    fn is_unknown(&self) -> bool {
        self.as_unknown().is_some()
    }
}

/// Removes the tag and payload from `obj` and builds the union member; what is left in `obj` are
/// the siblings. A missing `type` is inferred when exactly one known payload key is present
/// (request bodies may omit it); `Ok(None)` when there is no tag at all.
pub fn take_tagged<U: TaggedUnion>(obj: &mut Map<String, Value>) -> Result<Option<U>, String> {
    let type_name = match obj.remove("type") {
        Some(Value::String(name)) => name,
        Some(other) => return Err(format!("`type` must be a string, got {other}")),
        None => {
            let mut present = U::KNOWN_TYPES
                .iter()
                .filter(|name| obj.contains_key(**name));
            match (present.next(), present.next()) {
                (Some(name), None) => (*name).to_owned(),
                _ => return Ok(None),
            }
        }
    };
    let payload = obj.remove(&type_name);
    if let Some(payload) = &payload
        && let Some(Ok(member)) = U::from_known(&type_name, payload)
    {
        return Ok(Some(member));
    }
    Ok(Some(U::from_unknown(UnknownTagged::new(
        type_name, payload,
    ))))
}

/// Writes `member`'s tag, payload (and, for unknown members, kept siblings) into `obj`.
pub fn put_tagged<U: TaggedUnion>(
    member: &U,
    obj: &mut Map<String, Value>,
) -> Result<(), serde_json::Error> {
    obj.insert(
        "type".to_owned(),
        Value::String(member.type_name().to_owned()),
    );
    if let Some(payload) = member.to_payload()? {
        obj.insert(member.type_name().to_owned(), payload);
    }
    if let Some(unknown) = member.as_unknown() {
        for (key, value) in &unknown.other {
            obj.insert(key.clone(), value.clone());
        }
    }
    Ok(())
}

/// Parses a payload into a typed member (used by [`tagged_union!`]).
pub(crate) fn parse_payload<T: DeserializeOwned>(payload: &Value) -> Result<T, serde_json::Error> {
    T::deserialize(payload)
}

/// Renders a typed member's payload (used by [`tagged_union!`]).
pub(crate) fn render_payload<T: Serialize>(
    payload: &T,
) -> Result<Option<Value>, serde_json::Error> {
    serde_json::to_value(payload).map(Some)
}

/// A placeholder used while the derive for a struct's ordinary fields runs; always replaced.
pub(crate) fn placeholder<U: TaggedUnion>() -> U {
    U::from_unknown(UnknownTagged::default())
}

/// Deserializes a union that stands alone. Siblings next to a known member (unexpected) turn the
/// whole object into an unknown member so nothing is lost.
pub(crate) fn deserialize_standalone<'de, U, D>(deserializer: D) -> Result<U, D::Error>
where
    U: TaggedUnion,
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    use serde::de::Error;
    let mut obj = Map::<String, Value>::deserialize(deserializer)?;
    let member = take_tagged::<U>(&mut obj)
        .map_err(D::Error::custom)?
        .ok_or_else(|| D::Error::custom("missing `type`"))?;
    if obj.is_empty() {
        return Ok(member);
    }
    let type_name = member.type_name().to_owned();
    let (payload, mut other) = match member.as_unknown() {
        Some(unknown) => (unknown.payload.clone(), unknown.other.clone()),
        None => (member.to_payload().map_err(D::Error::custom)?, Map::new()),
    };
    other.extend(obj);
    Ok(U::from_unknown(UnknownTagged {
        type_name,
        payload,
        other,
    }))
}

/// Serializes a union that stands alone.
pub(crate) fn serialize_standalone<U, S>(member: &U, serializer: S) -> Result<S::Ok, S::Error>
where
    U: TaggedUnion,
    S: serde::Serializer,
{
    use serde::ser::Error;
    let mut obj = Map::new();
    put_tagged(member, &mut obj).map_err(S::Error::custom)?;
    obj.serialize(serializer)
}

/// Declares a tagged union: each member names its `type` and payload type; an `Unknown` member is
/// added. Example: `tagged_union! { pub enum Icon { Emoji(String) = "emoji", } }`.
macro_rules! tagged_union {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident($payload:ty) = $tag:literal, )*
        }
    ) => {
        $(#[$meta])*
        // Members mirror JSON payloads whose sizes differ widely; boxing the large ones would
        // only make matching clumsier for objects that are parsed once and rarely moved.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant($payload), )*
            /// A type this model does not know, kept verbatim.
            Unknown($crate::notion::model::tagged::UnknownTagged),
        }

        impl $crate::notion::model::tagged::TaggedUnion for $name {
            const KNOWN_TYPES: &'static [&'static str] = &[$($tag),*];

            fn type_name(&self) -> &str {
                match self {
                    $( Self::$variant(_) => $tag, )*
                    Self::Unknown(raw) => &raw.type_name,
                }
            }

            fn from_known(
                type_name: &str,
                payload: &serde_json::Value,
            ) -> Option<Result<Self, serde_json::Error>> {
                match type_name {
                    $( $tag => Some(
                        $crate::notion::model::tagged::parse_payload(payload).map(Self::$variant)
                    ), )*
                    _ => None,
                }
            }

            fn to_payload(&self) -> Result<Option<serde_json::Value>, serde_json::Error> {
                match self {
                    $( Self::$variant(payload) =>
                        $crate::notion::model::tagged::render_payload(payload), )*
                    Self::Unknown(raw) => Ok(raw.payload.clone()),
                }
            }

            fn from_unknown(raw: $crate::notion::model::tagged::UnknownTagged) -> Self {
                Self::Unknown(raw)
            }

            fn as_unknown(&self) -> Option<&$crate::notion::model::tagged::UnknownTagged> {
                match self {
                    Self::Unknown(raw) => Some(raw),
                    _ => None,
                }
            }
        }

        impl $name {
            /// The `type` name (unknown members keep the one they arrived with).
            pub fn type_name(&self) -> &str {
                $crate::notion::model::tagged::TaggedUnion::type_name(self)
            }

            /// True when this member is kept verbatim rather than typed.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }
    };
}
pub(crate) use tagged_union;

/// `Serialize`/`Deserialize` for a [`tagged_union!`] enum that stands alone as a JSON object.
macro_rules! impl_standalone_serde {
    ($name:ty) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::notion::model::tagged::serialize_standalone(self, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::notion::model::tagged::deserialize_standalone(deserializer)
            }
        }
    };
}
pub(crate) use impl_standalone_serde;

/// Declares a public struct (without serde derives) plus a private "shadow" that derives
/// serde for it with `#[serde(remote = ...)]`. The shadow's generated `serialize`/`deserialize`
/// functions stay private, so the public type only has the hand-written trait impls (a public
/// `remote = "Self"` derive would expose inherent `Type::deserialize` functions that skip them).
/// Field doc comments go first, then `#[serde(...)]` attributes; every field is `pub`.
macro_rules! shadowed_struct {
    (
        $(#[$smeta:meta])*
        pub struct $name:ident with serde via $shadow:ident = $remote:literal {
            $(
                $(#[doc = $doc:literal])*
                $(#[serde($($sattr:tt)*)])*
                pub $field:ident : $ty:ty,
            )*
        }
    ) => {
        $(#[$smeta])*
        pub struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        /// Serde shadow of the public struct (see [`shadowed_struct!`]).
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(remote = $remote)]
        #[allow(dead_code)]
        struct $shadow {
            $( $(#[serde($($sattr)*)])* $field: $ty, )*
        }
    };
}
pub(crate) use shadowed_struct;

/// `Serialize`/`Deserialize` for a [`shadowed_struct!`] holding a tagged union in `$field`
/// (declared `#[serde(skip, default = "placeholder")]`, or `#[serde(skip)]` when optional) next
/// to ordinary fields. Use `required` when the tag must be present, `optional` for an
/// `Option<Union>` field.
macro_rules! impl_tagged_struct_serde {
    ($name:ty, $shadow:ident, $field:ident, required) => {
        $crate::notion::model::tagged::impl_tagged_struct_serde!(@impl $name, $shadow, $field,
            $crate::notion::model::tagged::require_tag,
            $crate::notion::model::tagged::view_required);
    };
    ($name:ty, $shadow:ident, $field:ident, optional) => {
        $crate::notion::model::tagged::impl_tagged_struct_serde!(@impl $name, $shadow, $field,
            $crate::notion::model::tagged::allow_missing_tag,
            $crate::notion::model::tagged::view_optional);
    };
    (@impl $name:ty, $shadow:ident, $field:ident, $wrap:expr, $view:expr) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::Error;
                let fields = $shadow::serialize(self, serde_json::value::Serializer)
                    .map_err(S::Error::custom)?;
                let serde_json::Value::Object(mut obj) = fields else {
                    return Err(S::Error::custom("expected the fields to form an object"));
                };
                if let Some(member) = ($view)(&self.$field) {
                    $crate::notion::model::tagged::put_tagged(member, &mut obj)
                        .map_err(S::Error::custom)?;
                }
                serde::Serialize::serialize(&obj, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use serde::de::Error;
                let mut obj =
                    <serde_json::Map<String, serde_json::Value> as serde::Deserialize>::deserialize(
                        deserializer,
                    )?;
                let tag = $crate::notion::model::tagged::take_tagged(&mut obj)
                    .map_err(D::Error::custom)?;
                let member = ($wrap)(tag).map_err(D::Error::custom)?;
                let mut value = $shadow::deserialize(serde_json::Value::Object(obj))
                    .map_err(D::Error::custom)?;
                value.$field = member;
                Ok(value)
            }
        }
    };
}
pub(crate) use impl_tagged_struct_serde;

/// A required tag (used by [`impl_tagged_struct_serde!`]).
pub(crate) fn require_tag<U>(tag: Option<U>) -> Result<U, String> {
    tag.ok_or_else(|| "missing `type`".to_owned())
}

/// An optional tag (used by [`impl_tagged_struct_serde!`]).
pub(crate) fn allow_missing_tag<U>(tag: Option<U>) -> Result<Option<U>, String> {
    Ok(tag)
}

pub(crate) fn view_required<U>(field: &U) -> Option<&U> {
    Some(field)
}

pub(crate) fn view_optional<U>(field: &Option<U>) -> Option<&U> {
    field.as_ref()
}

/// Serde helpers for `Option<Option<T>>` fields that tell "absent" (`None`) from "null"
/// (`Some(None)`). Use with `#[serde(default, skip_serializing_if = "Option::is_none",
/// with = "nullable")]`.
pub mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// A field that may be absent (`None`), present as `null` (`Some(None)`), or set.
pub type Nullable<T> = Option<Option<T>>;
