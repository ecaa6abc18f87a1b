//! Grants (one per connection), access and refresh tokens, authorization codes, and what each
//! grant may see.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::ids::random_token;
use crate::workspace::Workspace;

mod persist;

/// Tokens handed out for one connection. `Debug` redacts the tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub access_token: String,
    pub refresh_token: String,
    pub bot_id: String,
    pub workspace_id: String,
    /// Non-secret label of the connection; the key of `Counters::by_token`.
    pub grant_id: String,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("bot_id", &self.bot_id)
            .field("workspace_id", &self.workspace_id)
            .field("grant_id", &self.grant_id)
            .finish()
    }
}

/// What a grant sees: shared roots and their descendants, or everything; minus unshared ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantScope {
    pub all: bool,
    pub roots: HashSet<String>,
    pub excluded: HashSet<String>,
}

impl GrantScope {
    pub fn everything() -> GrantScope {
        GrantScope {
            all: true,
            ..GrantScope::default()
        }
    }

    pub fn roots<I: IntoIterator<Item = String>>(ids: I) -> GrantScope {
        GrantScope {
            all: false,
            roots: ids.into_iter().collect(),
            excluded: HashSet::new(),
        }
    }

    /// Walks up from `id`: the nearest unshared id hides, the nearest shared root shows.
    pub fn can_see(&self, ws: &Workspace, id: &str) -> bool {
        let mut cur = id.to_string();
        for _ in 0..256 {
            if self.excluded.contains(&cur) {
                return false;
            }
            if self.roots.contains(&cur) {
                return true;
            }
            match ws.parent_of(&cur) {
                Some(parent) => cur = parent,
                None => return self.all,
            }
        }
        false
    }

    pub fn share(&mut self, id: &str) {
        self.excluded.remove(id);
        self.roots.insert(id.to_string());
    }

    pub fn unshare(&mut self, id: &str) {
        self.roots.remove(id);
        self.excluded.insert(id.to_string());
    }
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub id: String,
    pub bot_id: String,
    pub scope: GrantScope,
    pub revoked: bool,
    /// Milliseconds since the epoch (introspection `iat`).
    pub issued_at_ms: i64,
}

#[derive(Debug, Clone)]
struct AccessEntry {
    grant_id: String,
    /// Set when superseded by a refresh: valid until then.
    valid_until: Option<Instant>,
    issued_at_ms: i64,
}

#[derive(Debug, Clone)]
struct RefreshEntry {
    grant_id: String,
    used: bool,
}

#[derive(Debug, Clone)]
struct CodeEntry {
    scope: GrantScope,
    redirect_uri: Option<String>,
    used: bool,
}

/// The caller of an API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub grant_id: String,
    pub bot_id: String,
}

/// Every grant, token and code. `Debug` shows counts only (the keys are secrets).
#[derive(Default)]
pub struct AuthState {
    grants: HashMap<String, Grant>,
    grant_seq: u64,
    access: HashMap<String, AccessEntry>,
    refresh: HashMap<String, RefreshEntry>,
    codes: HashMap<String, CodeEntry>,
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthState")
            .field("grants", &self.grants.len())
            .field("access_tokens", &self.access.len())
            .field("refresh_tokens", &self.refresh.len())
            .field("codes", &self.codes.len())
            .finish()
    }
}

fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

impl AuthState {
    /// A new connection with its first token pair.
    pub fn new_grant(&mut self, scope: GrantScope, bot_id: &str, workspace_id: &str) -> TokenGrant {
        self.grant_seq += 1;
        let id = format!("grant-{}", self.grant_seq);
        self.grants.insert(
            id.clone(),
            Grant {
                id: id.clone(),
                bot_id: bot_id.to_string(),
                scope,
                revoked: false,
                issued_at_ms: now_ms(),
            },
        );
        self.issue_pair(&id, bot_id, workspace_id)
    }

    fn issue_pair(&mut self, grant_id: &str, bot_id: &str, workspace_id: &str) -> TokenGrant {
        let access_token = random_token("ntn_emu_");
        let refresh_token = random_token("nrt_emu_");
        self.access.insert(
            access_token.clone(),
            AccessEntry {
                grant_id: grant_id.to_string(),
                valid_until: None,
                issued_at_ms: now_ms(),
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            RefreshEntry {
                grant_id: grant_id.to_string(),
                used: false,
            },
        );
        TokenGrant {
            access_token,
            refresh_token,
            bot_id: bot_id.to_string(),
            workspace_id: workspace_id.to_string(),
            grant_id: grant_id.to_string(),
        }
    }

    /// The caller behind a bearer token, if the token is live.
    pub fn authenticate(&self, access_token: &str, now: Instant) -> Option<Caller> {
        let entry = self.access.get(access_token)?;
        if entry.valid_until.is_some_and(|until| now >= until) {
            return None;
        }
        let grant = self.grants.get(&entry.grant_id)?;
        if grant.revoked {
            return None;
        }
        Some(Caller {
            grant_id: grant.id.clone(),
            bot_id: grant.bot_id.clone(),
        })
    }

    /// The grant id a token belongs to, live or not (request counting).
    pub fn grant_id_of(&self, access_token: &str) -> Option<String> {
        self.access.get(access_token).map(|e| e.grant_id.clone())
    }

    pub fn grant(&self, grant_id: &str) -> Option<&Grant> {
        self.grants.get(grant_id)
    }

    pub fn grant_mut(&mut self, grant_id: &str) -> Option<&mut Grant> {
        self.grants.get_mut(grant_id)
    }

    pub fn grants(&self) -> impl Iterator<Item = &Grant> {
        self.grants.values()
    }

    /// Stores a single-use authorization code.
    pub fn new_code(&mut self, scope: GrantScope, redirect_uri: Option<&str>) -> String {
        let code = random_token("code_emu_");
        self.codes.insert(
            code.clone(),
            CodeEntry {
                scope,
                redirect_uri: redirect_uri.map(str::to_string),
                used: false,
            },
        );
        code
    }

    /// `grant_type=authorization_code`.
    pub fn exchange_code(
        &mut self,
        code: &str,
        redirect_uri: Option<&str>,
        bot_id: &str,
        workspace_id: &str,
    ) -> Result<TokenGrant, ApiError> {
        let entry = self
            .codes
            .get_mut(code)
            .ok_or_else(|| ApiError::invalid_grant("Invalid code."))?;
        if entry.used {
            return Err(ApiError::invalid_grant(
                "Invalid code: this code has already been used.",
            ));
        }
        match (&entry.redirect_uri, redirect_uri) {
            (Some(expected), Some(given)) if expected != given => {
                return Err(ApiError::invalid_grant(
                    "Invalid redirect_uri: it does not match the one used to authorize.",
                ));
            }
            (Some(_), None) => {
                return Err(ApiError::invalid_grant(
                    "redirect_uri is required: it was sent to authorize.",
                ));
            }
            _ => {}
        }
        entry.used = true;
        let scope = entry.scope.clone();
        Ok(self.new_grant(scope, bot_id, workspace_id))
    }

    /// `grant_type=refresh_token`: rotates. The used refresh token dies; the grant's current
    /// access tokens stop working after `grace`.
    pub fn refresh(
        &mut self,
        refresh_token: &str,
        grace: Duration,
        now: Instant,
        workspace_id: &str,
    ) -> Result<TokenGrant, ApiError> {
        let entry = self
            .refresh
            .get_mut(refresh_token)
            .ok_or_else(|| ApiError::invalid_grant("Invalid refresh token."))?;
        if entry.used {
            return Err(ApiError::invalid_grant(
                "Invalid refresh token: it has already been used.",
            ));
        }
        let grant_id = entry.grant_id.clone();
        let (bot_id, revoked) = match self.grants.get(&grant_id) {
            Some(g) => (g.bot_id.clone(), g.revoked),
            None => return Err(ApiError::invalid_grant("Invalid refresh token.")),
        };
        if revoked {
            return Err(ApiError::invalid_grant(
                "Invalid refresh token: the grant was revoked.",
            ));
        }
        entry.used = true;
        let until = now + grace;
        for access in self.access.values_mut() {
            if access.grant_id == grant_id && access.valid_until.is_none() {
                access.valid_until = Some(until);
            }
        }
        Ok(self.issue_pair(&grant_id, &bot_id, workspace_id))
    }

    /// Revokes the connection an access or refresh token belongs to. Answers whether it existed.
    pub fn revoke(&mut self, token: &str) -> bool {
        let grant_id = self
            .access
            .get(token)
            .map(|e| e.grant_id.clone())
            .or_else(|| self.refresh.get(token).map(|e| e.grant_id.clone()));
        match grant_id.and_then(|g| self.grants.get_mut(&g)) {
            Some(grant) => {
                grant.revoked = true;
                true
            }
            None => false,
        }
    }

    /// `(active, issued_at_ms)` of an access or refresh token.
    pub fn introspect(&self, token: &str, now: Instant) -> (bool, Option<i64>) {
        if let Some(entry) = self.access.get(token) {
            let live = self.authenticate(token, now).is_some();
            return (live, Some(entry.issued_at_ms));
        }
        if let Some(entry) = self.refresh.get(token) {
            let live = !entry.used && self.grants.get(&entry.grant_id).is_some_and(|g| !g.revoked);
            let iat = self.grants.get(&entry.grant_id).map(|g| g.issued_at_ms);
            return (live, iat);
        }
        (false, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_single_use_and_bound_to_redirect_uri() {
        let mut a = AuthState::default();
        let code = a.new_code(GrantScope::everything(), Some("http://x/cb"));
        let wrong = a
            .exchange_code(&code, Some("http://y/cb"), "bot", "ws")
            .unwrap_err();
        assert_eq!(wrong.code, "invalid_grant");
        let grant = a
            .exchange_code(&code, Some("http://x/cb"), "bot", "ws")
            .unwrap();
        assert!(
            a.authenticate(&grant.access_token, Instant::now())
                .is_some()
        );
        let replay = a
            .exchange_code(&code, Some("http://x/cb"), "bot", "ws")
            .unwrap_err();
        assert_eq!(replay.code, "invalid_grant");
    }

    #[test]
    fn refresh_rotates_and_rejects_replay() {
        let mut a = AuthState::default();
        let first = a.new_grant(GrantScope::everything(), "bot", "ws");
        let now = Instant::now();
        let second = a
            .refresh(&first.refresh_token, Duration::ZERO, now, "ws")
            .unwrap();
        assert_ne!(first.access_token, second.access_token);
        assert_eq!(first.grant_id, second.grant_id);
        assert!(a.authenticate(&first.access_token, now).is_none());
        assert!(a.authenticate(&second.access_token, now).is_some());
        assert_eq!(
            a.refresh(&first.refresh_token, Duration::ZERO, now, "ws")
                .unwrap_err()
                .code,
            "invalid_grant"
        );
    }

    #[test]
    fn grace_keeps_old_access_token_alive_briefly() {
        let mut a = AuthState::default();
        let first = a.new_grant(GrantScope::everything(), "bot", "ws");
        let now = Instant::now();
        a.refresh(&first.refresh_token, Duration::from_secs(10), now, "ws")
            .unwrap();
        assert!(a.authenticate(&first.access_token, now).is_some());
        assert!(
            a.authenticate(&first.access_token, now + Duration::from_secs(11))
                .is_none()
        );
    }

    #[test]
    fn debug_output_hides_tokens() {
        let mut a = AuthState::default();
        let g = a.new_grant(GrantScope::everything(), "bot", "ws");
        let shown = format!("{g:?} {a:?}");
        assert!(!shown.contains(&g.access_token));
        assert!(!shown.contains(&g.refresh_token));
        assert!(shown.contains("grant-1"));
    }

    #[test]
    fn revoke_kills_every_token_of_the_grant() {
        let mut a = AuthState::default();
        let g = a.new_grant(GrantScope::everything(), "bot", "ws");
        assert!(a.revoke(&g.access_token));
        assert!(a.authenticate(&g.access_token, Instant::now()).is_none());
        assert!(!a.introspect(&g.refresh_token, Instant::now()).0);
        assert!(!a.revoke("unknown"));
    }
}
