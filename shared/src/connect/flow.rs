//! The OAuth round trip: the start sends the browser to Notion's consent page with a single-use
//! state bound to the session; the callback takes that state (atomically: once), exchanges the
//! code, stores or restores the connection with sealed tokens, queues its initial sync, and sends
//! the browser back to the app's return URL with the outcome.

use serde_json::Value;
use url::Url;

use super::credentials::{self, CredentialsError};
use super::error::ConnectError;
use super::random::{looks_like_token, random_token};
use super::return_url::with_params;
use super::service::ConnectService;
use super::session::SessionData;
use crate::domain::{
    Connection, ConnectionId, ConnectionStatus, SyncJob, TokenPair, Workspace, timestamp,
};
use crate::notion::NotionError;
use crate::notion::model::OAuthTokenResponse;
use crate::ports::{EphemeralNamespace, StoreError};
use crate::secret::SecretString;

/// Attempts at the create-or-update of a connection when concurrent writes interfere.
const STORE_ATTEMPTS: u32 = 5;

/// The query of `GET /oauth/callback`. The code is a secret.
#[derive(Debug, Clone, Default)]
pub struct CallbackParams {
    pub state: Option<String>,
    pub code: Option<SecretString>,
    pub error: Option<String>,
}

impl CallbackParams {
    /// Reads `state`, `code` and `error` from a raw query string (first occurrence wins).
    pub fn from_query(query: Option<&str>) -> Self {
        let mut params = Self::default();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let value = value.into_owned();
            match key.as_ref() {
                "state" if params.state.is_none() => params.state = Some(value),
                "code" if params.code.is_none() => params.code = Some(SecretString::new(value)),
                "error" if params.error.is_none() => params.error = Some(value),
                _ => {}
            }
        }
        params
    }
}

/// How a callback with a valid state ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// A new connection was stored.
    Created(ConnectionId),
    /// The end user's existing connection to the workspace got the new tokens (and is active
    /// again if it needed reauthorization).
    Reconnected(ConnectionId),
    /// Nothing stored; the code sent to the return URL as `error`.
    Failed(String),
}

/// Where the callback sends the browser.
#[derive(Debug, Clone)]
pub struct CallbackRedirect {
    pub location: Url,
    pub outcome: CallbackOutcome,
}

impl ConnectService {
    /// Opens the session and answers Notion's authorize URL (it carries the new state, so it is
    /// returned as a secret).
    pub async fn start_authorization(
        &self,
        session_token: Option<&str>,
    ) -> Result<SecretString, ConnectError> {
        let token = session_token
            .filter(|token| !token.is_empty())
            .ok_or_else(|| ConnectError::invalid("session_token", "is required"))?;
        let session = self.read_session(token).await?;
        let client_id = credentials::oauth_client_id(self.ctx.adapters.secrets.as_ref()).await?;
        let state = random_token();
        let value = serde_json::to_value(&session)
            .map_err(|error| ConnectError::Store(StoreError::corrupt(error)))?;
        let stored = self
            .ctx
            .adapters
            .ephemeral
            .put_if_absent(
                EphemeralNamespace::OAUTH_STATE,
                state.expose(),
                &value,
                self.options.state_ttl,
            )
            .await?;
        if !stored {
            return Err(ConnectError::Store(StoreError::Backend(
                "OAuth state collision".into(),
            )));
        }
        // The authorize URL needs the client id only; the secret is read at the callback.
        let oauth = self.ctx.notion.oauth(client_id, SecretString::new(""));
        let url = oauth.authorize_url(&self.ctx.settings.oauth_redirect_uri(), state.expose());
        tracing::info!(session_id = %session.session_id, "OAuth authorization started");
        Ok(SecretString::new(url.to_string()))
    }

    /// Handles Notion's redirect. An unknown, used or expired state is an error (there is no
    /// trusted place to send the browser); every later failure is reported to the return URL.
    pub async fn handle_callback(
        &self,
        params: CallbackParams,
    ) -> Result<CallbackRedirect, ConnectError> {
        let state = params
            .state
            .filter(|state| !state.is_empty())
            .ok_or_else(|| ConnectError::invalid("state", "is required"))?;
        if !looks_like_token(&state) {
            return Err(ConnectError::InvalidState);
        }
        let item = self
            .ctx
            .adapters
            .ephemeral
            .take(EphemeralNamespace::OAUTH_STATE, &state)
            .await?
            .ok_or(ConnectError::InvalidState)?;
        let session: SessionData = serde_json::from_value(item.value)
            .map_err(|error| ConnectError::Store(StoreError::corrupt(error)))?;
        let return_url = session.return_url()?;

        let outcome = match (params.error, params.code) {
            (Some(error), _) => {
                tracing::info!(session_id = %session.session_id, error = %safe_code(&error), "authorization not granted");
                CallbackOutcome::Failed(safe_code(&error))
            }
            (None, None) => CallbackOutcome::Failed("missing_code".into()),
            (None, Some(code)) => match self.connect(&session, &code).await {
                Ok(outcome) => outcome,
                Err(error) => {
                    let code = failure_code(&error);
                    tracing::warn!(session_id = %session.session_id, error = %error, code, "connect failed");
                    CallbackOutcome::Failed(code.to_owned())
                }
            },
        };
        let location = match &outcome {
            CallbackOutcome::Created(id) | CallbackOutcome::Reconnected(id) => with_params(
                &return_url,
                &[("connection_id", &id.to_string()), ("status", "connected")],
            ),
            CallbackOutcome::Failed(code) => with_params(&return_url, &[("error", code)]),
        };
        Ok(CallbackRedirect { location, outcome })
    }

    /// Exchanges the code, stores the connection, queues its initial sync.
    async fn connect(
        &self,
        session: &SessionData,
        code: &SecretString,
    ) -> Result<CallbackOutcome, ConnectError> {
        let secrets = self.ctx.adapters.secrets.as_ref();
        let oauth = credentials::oauth_client(&self.ctx.notion, secrets).await?;
        let redirect_uri = self.ctx.settings.oauth_redirect_uri();
        let response = match oauth.exchange_code(code, Some(&redirect_uri)).await {
            Ok(response) => response,
            Err(error @ NotionError::InvalidClient { .. }) => {
                credentials::forget_oauth_client(secrets);
                return Err(error.into());
            }
            Err(error) => return Err(error.into()),
        };
        let (connection, outcome) = self.store_connection(session, response).await?;
        self.queue_initial_sync(&connection).await;
        tracing::info!(
            session_id = %session.session_id,
            connection_id = %connection.id,
            reconnected = matches!(outcome, CallbackOutcome::Reconnected(_)),
            "connection stored"
        );
        Ok(outcome)
    }

    /// One connection per (end user, workspace): a reconnect replaces the tokens of the existing
    /// one and makes it active again; otherwise a new connection is created.
    async fn store_connection(
        &self,
        session: &SessionData,
        response: OAuthTokenResponse,
    ) -> Result<(Connection, CallbackOutcome), ConnectError> {
        let details = ConnectionDetails::from_response(&response)?;
        let pair = TokenPair {
            access: response.access_token,
            refresh: response.refresh_token,
        };
        let store = &self.ctx.adapters.connections;
        for _ in 0..STORE_ATTEMPTS {
            let now = timestamp::now();
            let existing = store
                .find_by_end_user_and_workspace(&session.end_user.id, &details.workspace.id)
                .await?;
            match existing {
                Some(mut connection) => {
                    connection.tokens =
                        Some(self.ctx.adapters.tokens.seal(&connection.id, &pair).await?);
                    connection.status = ConnectionStatus::Active;
                    connection.status_reason = None;
                    connection.end_user = session.end_user.clone();
                    details.apply(&mut connection);
                    connection.updated_at = now;
                    connection.next_sync_at = Some(now);
                    match store.put(&connection).await {
                        Ok(stored) => {
                            let id = stored.id;
                            return Ok((stored, CallbackOutcome::Reconnected(id)));
                        }
                        Err(
                            StoreError::VersionConflict { .. }
                            | StoreError::ConnectionNotFound { .. },
                        ) => continue,
                        Err(error) => return Err(error.into()),
                    }
                }
                None => {
                    let id = ConnectionId::random();
                    let sealed = self.ctx.adapters.tokens.seal(&id, &pair).await?;
                    let mut connection = Connection::new(
                        id,
                        session.end_user.clone(),
                        details.workspace.clone(),
                        details.bot_id.clone(),
                        details.owner.clone(),
                        sealed,
                        now,
                    );
                    details.apply(&mut connection);
                    match store.create(&connection).await {
                        Ok(stored) => return Ok((stored, CallbackOutcome::Created(id))),
                        Err(
                            StoreError::ConnectionExists { .. } | StoreError::DuplicateId { .. },
                        ) => {
                            continue;
                        }
                        Err(error) => return Err(error.into()),
                    }
                }
            }
        }
        Err(StoreError::Contended {
            attempts: STORE_ATTEMPTS,
        }
        .into())
    }

    /// Queues the initial (full) sync and moves the scheduled one later. If queueing fails the
    /// connection stays due now, so the scheduler picks it up instead: logged, not lost.
    async fn queue_initial_sync(&self, connection: &Connection) {
        use crate::webhooks::outgoing::{AppEventKind, emit_connection_event};
        emit_connection_event(&self.ctx, AppEventKind::ConnectionCreated, connection).await;
        let id = connection.id;
        let scope = format!("connect-v{}", connection.version);
        let job = match SyncJob::initial(id).to_outgoing(&scope) {
            Ok(job) => job,
            Err(error) => {
                tracing::error!(connection_id = %id, error = %error, "encoding the initial sync job failed");
                return;
            }
        };
        if let Err(error) = self.ctx.adapters.queue.send(&job).await {
            tracing::error!(connection_id = %id, error = %error, "queueing the initial sync failed; the scheduler will pick the connection up");
            return;
        }
        let next = timestamp::after(timestamp::now(), self.options.first_scheduled_sync_after);
        if let Err(error) = self
            .ctx
            .adapters
            .connections
            .set_next_sync(&id, Some(next))
            .await
        {
            tracing::warn!(connection_id = %id, error = %error, "setting the next sync time failed");
        }
    }
}

/// The workspace, bot and owner from a token response.
struct ConnectionDetails {
    workspace: Workspace,
    bot_id: String,
    owner: Value,
}

impl ConnectionDetails {
    fn from_response(response: &OAuthTokenResponse) -> Result<Self, ConnectError> {
        let workspace_id = response
            .workspace_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                ConnectError::Notion(NotionError::Decode {
                    message: "token response without workspace_id".into(),
                    request_id: response.request_id.clone(),
                })
            })?;
        let bot_id = response
            .bot_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                ConnectError::Notion(NotionError::Decode {
                    message: "token response without bot_id".into(),
                    request_id: response.request_id.clone(),
                })
            })?;
        Ok(Self {
            workspace: Workspace {
                id: workspace_id,
                name: response.workspace_name.clone(),
                icon: response.workspace_icon.clone(),
            },
            bot_id,
            owner: response.owner.clone().unwrap_or(Value::Null),
        })
    }

    fn apply(&self, connection: &mut Connection) {
        connection.workspace = self.workspace.clone();
        connection.bot_id = self.bot_id.clone();
        connection.owner = self.owner.clone();
    }
}

/// The `error` sent to the return URL for a failure after the state was accepted.
fn failure_code(error: &ConnectError) -> &'static str {
    match error {
        ConnectError::Notion(NotionError::InvalidGrant { .. }) => "invalid_grant",
        ConnectError::Notion(
            NotionError::InvalidClient { .. } | NotionError::InvalidRequest { .. },
        ) => "server_error",
        ConnectError::Notion(_) => "exchange_failed",
        ConnectError::Credentials(CredentialsError::NotConfigured(_)) => "not_configured",
        _ => "server_error",
    }
}

/// Notion's `error` parameter as passed on: a short snake_case code, or a generic one.
fn safe_code(raw: &str) -> String {
    let valid = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        raw.to_owned()
    } else {
        "authorization_failed".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_params_read_the_first_occurrence() {
        let params = CallbackParams::from_query(Some("code=c1&state=s1&state=s2&x=1"));
        assert_eq!(params.state.as_deref(), Some("s1"));
        assert_eq!(params.code.as_ref().map(SecretString::expose), Some("c1"));
        assert!(params.error.is_none());
        assert!(!format!("{params:?}").contains("c1"));
        let denied = CallbackParams::from_query(Some("error=access_denied&state=s"));
        assert_eq!(denied.error.as_deref(), Some("access_denied"));
        assert!(CallbackParams::from_query(None).state.is_none());
    }

    #[test]
    fn notion_error_codes_are_passed_on_only_when_harmless() {
        assert_eq!(safe_code("access_denied"), "access_denied");
        assert_eq!(safe_code("<script>"), "authorization_failed");
        assert_eq!(safe_code(&"a".repeat(65)), "authorization_failed");
        assert_eq!(safe_code(""), "authorization_failed");
    }

    #[test]
    fn failures_map_to_codes() {
        let grant = ConnectError::Notion(NotionError::InvalidGrant {
            message: "used".into(),
            request_id: None,
        });
        assert_eq!(failure_code(&grant), "invalid_grant");
        assert_eq!(
            failure_code(&ConnectError::Notion(NotionError::Timeout)),
            "exchange_failed"
        );
        assert_eq!(
            failure_code(&ConnectError::Store(StoreError::Backend("x".into()))),
            "server_error"
        );
    }
}
