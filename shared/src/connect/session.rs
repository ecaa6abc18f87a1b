//! Connect sessions: the app backend asks for one (API key), gets a short-lived token and a
//! connect URL for its end user's browser. The token is random and stored hashed (the ephemeral
//! store hashes keys), with the end user and the return URL as its value.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;

use super::error::ConnectError;
use super::random::{looks_like_token, random_token};
use super::service::ConnectService;
use crate::domain::{EndUser, EndUserId, timestamp};
use crate::ports::EphemeralNamespace;
use crate::secret::SecretString;

const MAX_EMAIL_LEN: usize = 320;
const MAX_TEXT_LEN: usize = 256;
const MAX_URL_LEN: usize = 2048;

/// A validated `POST /connect/sessions` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub end_user: EndUser,
    pub return_url: Url,
}

/// What a session (and the OAuth state made from it) stores. `session_id` is a non-secret
/// handle for logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionData {
    pub session_id: Uuid,
    pub end_user: EndUser,
    /// Checked against the allow-list when the session was created.
    pub return_url: String,
}

impl SessionData {
    pub fn return_url(&self) -> Result<Url, ConnectError> {
        Url::parse(&self.return_url).map_err(|_| {
            ConnectError::Store(crate::ports::StoreError::corrupt("stored return URL"))
        })
    }
}

/// A created session. The token is the secret that opens it; `connect_url` embeds it, so
/// `Debug` shows neither.
#[derive(Clone)]
pub struct CreatedSession {
    pub session_token: SecretString,
    pub expires_at: OffsetDateTime,
    pub connect_url: SecretString,
}

impl std::fmt::Debug for CreatedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl ConnectService {
    /// Validates the body against the return-URL allow-list and stores a new session.
    pub async fn create_session(&self, body: &[u8]) -> Result<CreatedSession, ConnectError> {
        let request = parse_new_session(body)?;
        let return_url = self
            .allow_list
            .check(request.return_url.as_str())
            .map_err(|error| ConnectError::invalid("return_url", error.to_string()))?;
        let data = SessionData {
            session_id: Uuid::new_v4(),
            end_user: request.end_user,
            return_url: return_url.to_string(),
        };
        let value = serde_json::to_value(&data)
            .map_err(|error| ConnectError::invalid("body", error.to_string()))?;
        let token = random_token();
        let ttl = self.options.session_ttl;
        let expires_at = timestamp::after(timestamp::now(), ttl);
        let stored = self
            .ctx
            .adapters
            .ephemeral
            .put_if_absent(
                EphemeralNamespace::CONNECT_SESSION,
                token.expose(),
                &value,
                ttl,
            )
            .await?;
        if !stored {
            // 256 random bits collided: practically impossible, but never hand out a token
            // that opens someone else's session.
            return Err(ConnectError::Store(crate::ports::StoreError::Backend(
                "session token collision".into(),
            )));
        }
        tracing::info!(session_id = %data.session_id, "connect session created");
        let connect_url = connect_url(&self.ctx.settings.public_url, &token);
        Ok(CreatedSession {
            session_token: token,
            expires_at,
            connect_url: SecretString::new(connect_url.to_string()),
        })
    }

    /// The live session behind `token` (not consumed: a user may retry after a denial).
    pub(crate) async fn read_session(&self, token: &str) -> Result<SessionData, ConnectError> {
        if !looks_like_token(token) {
            return Err(ConnectError::SessionNotFound);
        }
        let item = self
            .ctx
            .adapters
            .ephemeral
            .get(EphemeralNamespace::CONNECT_SESSION, token)
            .await?
            .ok_or(ConnectError::SessionNotFound)?;
        serde_json::from_value(item.value).map_err(|error| {
            ConnectError::Store(crate::ports::StoreError::corrupt(format!(
                "connect session: {error}"
            )))
        })
    }
}

/// `public_url` + `/connect/notion?session_token=…` (a path in `public_url`, such as an API
/// Gateway stage, is kept).
pub fn connect_url(public_url: &Url, token: &SecretString) -> Url {
    let mut url = public_url.clone();
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}/connect/notion"));
    url.set_fragment(None);
    url.query_pairs_mut()
        .clear()
        .append_pair("session_token", token.expose());
    url
}

/// Parses the body: `{"end_user": {"id", "email"?, "display_name"?, "organization"?},
/// "return_url"}`, or the flat `end_user_id` instead of `end_user.id`.
pub fn parse_new_session(body: &[u8]) -> Result<NewSession, ConnectError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| ConnectError::invalid("body", "must be a JSON object"))?;
    let Value::Object(object) = value else {
        return Err(ConnectError::invalid("body", "must be a JSON object"));
    };
    let nested = match object.get("end_user") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => return Err(ConnectError::invalid("end_user", "must be an object")),
    };
    let nested_id = match nested {
        Some(map) => optional_string(map, "id", "end_user.id")?,
        None => None,
    };
    let flat_id = optional_string(&object, "end_user_id", "end_user_id")?;
    let (field, raw_id) = match (nested_id, flat_id) {
        (Some(a), Some(b)) if a != b => {
            return Err(ConnectError::invalid(
                "end_user_id",
                "differs from end_user.id (send one of them)",
            ));
        }
        (Some(id), _) => ("end_user.id", id),
        (None, Some(id)) => ("end_user_id", id),
        (None, None) => return Err(ConnectError::invalid("end_user.id", "is required")),
    };
    let id = EndUserId::parse(raw_id)
        .map_err(|error| ConnectError::invalid(field, strip_kind(&error.to_string())))?;
    let empty = Map::new();
    let profile = nested.unwrap_or(&empty);
    let email = optional_string(profile, "email", "end_user.email")?;
    if let Some(email) = &email {
        let valid = email.len() <= MAX_EMAIL_LEN
            && email.contains('@')
            && !email.chars().any(|c| c.is_control() || c.is_whitespace());
        if !valid {
            return Err(ConnectError::invalid(
                "end_user.email",
                format!("must be an email address of at most {MAX_EMAIL_LEN} bytes"),
            ));
        }
    }
    let display_name = optional_text(profile, "display_name", "end_user.display_name")?;
    let organization = optional_text(profile, "organization", "end_user.organization")?;
    let return_url = match optional_string(&object, "return_url", "return_url")? {
        None => return Err(ConnectError::invalid("return_url", "is required")),
        Some(raw) if raw.len() > MAX_URL_LEN => {
            return Err(ConnectError::invalid(
                "return_url",
                format!("must be at most {MAX_URL_LEN} bytes"),
            ));
        }
        Some(raw) => Url::parse(raw.trim())
            .map_err(|_| ConnectError::invalid("return_url", "must be an absolute URL"))?,
    };
    Ok(NewSession {
        end_user: EndUser {
            id,
            email,
            display_name,
            organization,
        },
        return_url,
    })
}

/// `IdError` messages start with the kind ("end user id must ..."); the field name replaces it.
fn strip_kind(message: &str) -> String {
    message
        .strip_prefix("end user id ")
        .unwrap_or(message)
        .to_owned()
}

fn optional_string(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<String>, ConnectError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ConnectError::invalid(field, "must be a string")),
    }
}

fn optional_text(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<String>, ConnectError> {
    let text = optional_string(map, key, field)?;
    if let Some(text) = &text
        && (text.len() > MAX_TEXT_LEN || text.chars().any(char::is_control))
    {
        return Err(ConnectError::invalid(
            field,
            format!("must be at most {MAX_TEXT_LEN} bytes without control characters"),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(body: &str) -> String {
        match parse_new_session(body.as_bytes()) {
            Err(ConnectError::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn parses_nested_and_flat_end_users() {
        let nested = parse_new_session(
            br#"{"end_user":{"id":"u1","email":"a@b.example","display_name":"Ada","organization":"Org"},"return_url":"https://app.example/cb"}"#,
        )
        .unwrap();
        assert_eq!(nested.end_user.id.as_str(), "u1");
        assert_eq!(nested.end_user.email.as_deref(), Some("a@b.example"));
        assert_eq!(nested.return_url.as_str(), "https://app.example/cb");
        let flat =
            parse_new_session(br#"{"end_user_id":"u2","return_url":"https://app.example/cb"}"#)
                .unwrap();
        assert_eq!(flat.end_user.id.as_str(), "u2");
        assert_eq!(flat.end_user.email, None);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of("[]"), "body");
        assert_eq!(field_of("not json"), "body");
        assert_eq!(
            field_of(r#"{"return_url":"https://a.example/"}"#),
            "end_user.id"
        );
        assert_eq!(
            field_of(r#"{"end_user":{"id":""},"return_url":"https://a.example/"}"#),
            "end_user.id"
        );
        assert_eq!(
            field_of(r#"{"end_user":{"id":5},"return_url":"https://a.example/"}"#),
            "end_user.id"
        );
        assert_eq!(
            field_of(r#"{"end_user":"u1","return_url":"x"}"#),
            "end_user"
        );
        assert_eq!(field_of(r#"{"end_user_id":"u1"}"#), "return_url");
        assert_eq!(
            field_of(r#"{"end_user_id":"u1","return_url":"/relative"}"#),
            "return_url"
        );
        assert_eq!(
            field_of(
                r#"{"end_user":{"id":"u1","email":"nope"},"return_url":"https://a.example/"}"#
            ),
            "end_user.email"
        );
        assert_eq!(
            field_of(
                r#"{"end_user":{"id":"u1","display_name":"a\u0007"},"return_url":"https://a.example/"}"#
            ),
            "end_user.display_name"
        );
        assert_eq!(
            field_of(
                r#"{"end_user":{"id":"a"},"end_user_id":"b","return_url":"https://a.example/"}"#
            ),
            "end_user_id"
        );
    }

    #[test]
    fn connect_urls_keep_the_public_path() {
        let token = SecretString::new("tok-1");
        let url = connect_url(&Url::parse("https://relay.example/prod/").unwrap(), &token);
        assert_eq!(
            url.as_str(),
            "https://relay.example/prod/connect/notion?session_token=tok-1"
        );
        let url = connect_url(&Url::parse("http://127.0.0.1:8080").unwrap(), &token);
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/connect/notion?session_token=tok-1"
        );
    }
}
