//! Saving and restoring the grants and tokens, so a restarted emulator (the local stack's) still
//! accepts the tokens it handed out. Superseded access tokens (their grace running) and
//! authorization codes are short-lived and not kept.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{AccessEntry, AuthState, Grant, GrantScope, RefreshEntry};

#[derive(Serialize, Deserialize)]
struct Snapshot {
    grant_seq: u64,
    grants: Vec<GrantSnapshot>,
    /// Live access token -> grant id.
    access: HashMap<String, AccessSnapshot>,
    /// Refresh token -> grant id and whether it was used.
    refresh: HashMap<String, RefreshSnapshot>,
}

#[derive(Serialize, Deserialize)]
struct GrantSnapshot {
    id: String,
    bot_id: String,
    all: bool,
    roots: HashSet<String>,
    excluded: HashSet<String>,
    revoked: bool,
    issued_at_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct AccessSnapshot {
    grant_id: String,
    issued_at_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct RefreshSnapshot {
    grant_id: String,
    used: bool,
}

impl AuthState {
    /// Grants, live access tokens and refresh tokens as JSON. The document holds secrets: keep
    /// it where the tokens themselves would be kept.
    pub fn to_json(&self) -> Value {
        let snapshot = Snapshot {
            grant_seq: self.grant_seq,
            grants: self
                .grants
                .values()
                .map(|grant| GrantSnapshot {
                    id: grant.id.clone(),
                    bot_id: grant.bot_id.clone(),
                    all: grant.scope.all,
                    roots: grant.scope.roots.clone(),
                    excluded: grant.scope.excluded.clone(),
                    revoked: grant.revoked,
                    issued_at_ms: grant.issued_at_ms,
                })
                .collect(),
            access: self
                .access
                .iter()
                .filter(|(_, entry)| entry.valid_until.is_none())
                .map(|(token, entry)| {
                    (
                        token.clone(),
                        AccessSnapshot {
                            grant_id: entry.grant_id.clone(),
                            issued_at_ms: entry.issued_at_ms,
                        },
                    )
                })
                .collect(),
            refresh: self
                .refresh
                .iter()
                .map(|(token, entry)| {
                    (
                        token.clone(),
                        RefreshSnapshot {
                            grant_id: entry.grant_id.clone(),
                            used: entry.used,
                        },
                    )
                })
                .collect(),
        };
        serde_json::to_value(snapshot).unwrap_or(Value::Null)
    }

    /// The state saved by [`AuthState::to_json`]. Tokens of grants the document does not hold
    /// are dropped.
    pub fn from_json(doc: &Value) -> Result<AuthState, serde_json::Error> {
        let snapshot = Snapshot::deserialize(doc)?;
        let grants: HashMap<String, Grant> = snapshot
            .grants
            .into_iter()
            .map(|grant| {
                (
                    grant.id.clone(),
                    Grant {
                        id: grant.id,
                        bot_id: grant.bot_id,
                        scope: GrantScope {
                            all: grant.all,
                            roots: grant.roots,
                            excluded: grant.excluded,
                        },
                        revoked: grant.revoked,
                        issued_at_ms: grant.issued_at_ms,
                    },
                )
            })
            .collect();
        let access = snapshot
            .access
            .into_iter()
            .filter(|(_, entry)| grants.contains_key(&entry.grant_id))
            .map(|(token, entry)| {
                (
                    token,
                    AccessEntry {
                        grant_id: entry.grant_id,
                        valid_until: None,
                        issued_at_ms: entry.issued_at_ms,
                    },
                )
            })
            .collect();
        let refresh = snapshot
            .refresh
            .into_iter()
            .filter(|(_, entry)| grants.contains_key(&entry.grant_id))
            .map(|(token, entry)| {
                (
                    token,
                    RefreshEntry {
                        grant_id: entry.grant_id,
                        used: entry.used,
                    },
                )
            })
            .collect();
        Ok(AuthState {
            grant_seq: snapshot.grant_seq,
            grants,
            access,
            refresh,
            codes: HashMap::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn tokens_and_sharing_survive_a_round_trip() {
        let mut state = AuthState::default();
        let first = state.new_grant(GrantScope::roots(["p1".to_owned()]), "bot", "ws");
        let now = Instant::now();
        let rotated = state
            .refresh(&first.refresh_token, Duration::ZERO, now, "ws")
            .unwrap();
        if let Some(grant) = state.grant_mut(&rotated.grant_id) {
            grant.scope.unshare("p2");
        }
        let doc = serde_json::to_string(&state.to_json()).unwrap();
        let restored = AuthState::from_json(&serde_json::from_str(&doc).unwrap()).unwrap();

        let later = Instant::now();
        assert!(
            restored
                .authenticate(&rotated.access_token, later)
                .is_some()
        );
        assert!(restored.authenticate(&first.access_token, later).is_none());
        let grant = restored.grant(&rotated.grant_id).unwrap();
        assert!(grant.scope.roots.contains("p1"));
        assert!(grant.scope.excluded.contains("p2"));
        let mut restored = restored;
        let used = restored
            .refresh(&first.refresh_token, Duration::ZERO, later, "ws")
            .unwrap_err();
        assert_eq!(used.code, "invalid_grant");
        assert!(
            restored
                .refresh(&rotated.refresh_token, Duration::ZERO, later, "ws")
                .is_ok()
        );
        // New grants do not reuse saved ids.
        let next = restored.new_grant(GrantScope::everything(), "bot", "ws");
        assert_ne!(next.grant_id, rotated.grant_id);
    }

    #[test]
    fn rejects_other_documents() {
        assert!(AuthState::from_json(&serde_json::json!({"grants": 3})).is_err());
    }
}
