//! [`ConnectService`]: the connect flow's entry points, built once per process from the
//! [`AppContext`]. Its methods live beside their logic: sessions in `session.rs`, the OAuth start
//! and callback in `flow.rs`, connection management in `connections.rs`.

use super::options::ConnectOptions;
use super::return_url::ReturnUrlAllowList;
use super::tokens::TokenManager;
use crate::app::AppContext;

/// The connect flow. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ConnectService {
    pub(super) ctx: AppContext,
    pub(super) options: ConnectOptions,
    pub(super) allow_list: ReturnUrlAllowList,
    invalid_allow_list_entries: Vec<String>,
    pub(super) tokens: TokenManager,
}

impl ConnectService {
    pub fn new(ctx: AppContext, options: ConnectOptions) -> Self {
        let (allow_list, invalid_allow_list_entries) =
            ReturnUrlAllowList::parse(&ctx.settings.return_url_allowlist);
        let tokens = TokenManager::new(ctx.clone());
        Self {
            ctx,
            options,
            allow_list,
            invalid_allow_list_entries,
            tokens,
        }
    }

    /// Logs configuration that makes connect sessions fail (once, where sessions are created).
    pub fn log_configuration_problems(&self) {
        for entry in &self.invalid_allow_list_entries {
            tracing::warn!(entry = %entry, "ignoring a RELAY_RETURN_URL_ALLOWLIST entry that is not an http(s) URL");
        }
        if self.allow_list.is_empty() {
            tracing::warn!("RELAY_RETURN_URL_ALLOWLIST is empty: connect sessions will be refused");
        }
    }

    pub fn context(&self) -> &AppContext {
        &self.ctx
    }

    pub fn options(&self) -> &ConnectOptions {
        &self.options
    }

    /// The token manager the flow uses (the same one the sync engine should build).
    pub fn tokens(&self) -> &TokenManager {
        &self.tokens
    }
}
