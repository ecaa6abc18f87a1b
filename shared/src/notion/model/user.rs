//! Users: people and bots, in full or as partial references (`{"object":"user","id":...}`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::tagged::{
    Nullable, impl_standalone_serde, impl_tagged_struct_serde, nullable, shadowed_struct,
    tagged_union,
};

shadowed_struct! {
    /// A Notion user. Partial references carry only `object` and `id`; `kind` is then `None`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct User with serde via UserFields = "User" {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub object: Option<String>,
        pub id: String,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "nullable"
        )]
        pub name: Nullable<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            with = "nullable"
        )]
        pub avatar_url: Nullable<String>,
        /// `person` or `bot` (with their payloads), from the `type` field.
        #[serde(skip)]
        pub kind: Option<UserKind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub request_id: Option<String>,
        #[serde(flatten)]
        pub extra: Map<String, Value>,
    }
}
impl_tagged_struct_serde!(User, UserFields, kind, optional);

impl User {
    /// A partial user reference, as used in requests (`people` values, mentions).
    pub fn reference(id: impl Into<String>) -> Self {
        Self {
            object: Some("user".to_owned()),
            id: id.into(),
            ..Self::default()
        }
    }

    /// The display name, when known.
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().and_then(|name| name.as_deref())
    }

    /// `"person"`, `"bot"`, another type name, or `None` for a partial reference.
    pub fn type_name(&self) -> Option<&str> {
        self.kind.as_ref().map(UserKind::type_name)
    }

    pub fn is_bot(&self) -> bool {
        self.type_name() == Some("bot")
    }
}

tagged_union! {
    /// The `type` of a user and its payload.
    pub enum UserKind {
        Person(Person) = "person",
        Bot(Bot) = "bot",
    }
}

/// `person` payload; `email` needs the user-information-with-email capability.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Person {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `bot` payload (empty for bots seen from other integrations).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<BotOwner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub workspace_name: Nullable<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_limits: Option<WorkspaceLimits>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_upload_size_in_bytes: Option<Number>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

tagged_union! {
    /// Who owns a bot: the workspace (`"workspace": true`) or a user.
    pub enum BotOwner {
        Workspace(bool) = "workspace",
        User(Box<User>) = "user",
    }
}
impl_standalone_serde!(BotOwner);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> User {
        let user: User = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&user).unwrap(), value);
        user
    }

    #[test]
    fn person_bot_and_partial_users_round_trip() {
        let person = round_trip(
            json!({"object":"user","id":"u","name":"P","avatar_url":null,
            "type":"person","person":{"email":"p@example.com"}}),
        );
        assert!(matches!(person.kind, Some(UserKind::Person(_))));
        let bot = round_trip(json!({"object":"user","id":"b","type":"bot","bot":{
            "owner":{"type":"workspace","workspace":true},"workspace_name":"W"}}));
        assert!(bot.is_bot());
        let partial = round_trip(json!({"object":"user","id":"x"}));
        assert_eq!(partial.kind, None);
        // A typed user without payload (file upload `created_by`) keeps its type.
        let bare = round_trip(json!({"id":"x","type":"bot"}));
        assert!(bare.is_bot());
    }

    #[test]
    fn unknown_user_types_survive() {
        let agent = round_trip(json!({"object":"user","id":"a","type":"agent","agent":{"k":1}}));
        assert_eq!(agent.type_name(), Some("agent"));
    }
}
