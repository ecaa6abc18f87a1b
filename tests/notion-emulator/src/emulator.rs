//! The emulator handle: shared state behind a cheap `Clone`, the Rust control API, and server start.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use serde_json::{Value, json};

use crate::auth::{AuthState, Caller, GrantScope, TokenGrant};
use crate::clock::Clock;
use crate::config::{EmulatorConfig, OAuthApp, RateLimit, WebhookTarget, WorkspaceSource};
use crate::counters::Counters;
use crate::error::ApiError;
use crate::faults::{Fault, FaultQueue};
use crate::generate::generate;
use crate::ids::Rng;
use crate::json_shapes as shapes;
use crate::ops::{self, Actor};
use crate::rate_limit::RateLimiter;
use crate::webhooks::{self, DeliveryPolicy, DeliveryRecord, PendingEvent, WebhookLog};
use crate::workspace::{Workspace, WorkspaceError};

/// A running Notion emulator's shared state. Cloning is cheap; clones share everything.
#[derive(Clone)]
pub struct Emulator {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("bot_id", &self.inner.bot_id)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub config: EmulatorConfig,
    pub world: RwLock<Workspace>,
    pub auth: Mutex<AuthState>,
    pub limiter: Mutex<RateLimiter>,
    pub faults: Mutex<FaultQueue>,
    pub counters: Mutex<Counters>,
    pub clock: Clock,
    pub webhook_target: Mutex<Option<WebhookTarget>>,
    pub webhook_log: Arc<Mutex<WebhookLog>>,
    pub auto_approve: AtomicBool,
    pub cursor_epoch: AtomicU64,
    pub bot_id: String,
    pub integration_id: String,
    pub subscription_id: String,
    pub http: reqwest::Client,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A server bound to a local port. Dropping it stops the server.
pub struct RunningEmulator {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base_url: String,
    pub addr: SocketAddr,
    pub emulator: Emulator,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// Stops the server (also done on drop).
    pub fn shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Emulator {
    /// Builds an emulator. A `WorkspaceSource::Json` document that fails to load is logged and
    /// replaced by the default generated workspace; use [`Emulator::try_new`] to see the error.
    pub fn new(config: EmulatorConfig) -> Emulator {
        match Emulator::try_new(config.clone()) {
            Ok(e) => e,
            Err(err) => {
                tracing::error!(error = %err, "workspace JSON rejected; serving a generated workspace");
                let mut fallback = config;
                fallback.workspace = WorkspaceSource::Generated(Default::default());
                let ws = generate(&Default::default());
                Emulator::with_workspace(ws, fallback)
            }
        }
    }

    /// Builds an emulator, failing on an invalid JSON workspace.
    pub fn try_new(config: EmulatorConfig) -> Result<Emulator, WorkspaceError> {
        let ws = match &config.workspace {
            WorkspaceSource::Generated(params) => generate(params),
            WorkspaceSource::Json(doc) => Workspace::from_json(doc)?,
        };
        Ok(Emulator::with_workspace(ws, config))
    }

    /// An emulator serving `workspace` (the `config.workspace` field is ignored).
    pub fn with_workspace(mut workspace: Workspace, config: EmulatorConfig) -> Emulator {
        let seed = workspace
            .id()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        let mut rng = Rng::new(seed);
        let bot_id = rng.uuid();
        let integration_id = rng.uuid();
        let subscription_id = rng.uuid();
        let bot = shapes::bot(
            &bot_id,
            &config.integration_name,
            workspace.id(),
            workspace.name(),
        );
        workspace.register_bot(bot);
        Emulator {
            inner: Arc::new(Inner {
                limiter: Mutex::new(RateLimiter::new(config.rate_limit)),
                auto_approve: AtomicBool::new(config.auto_approve),
                webhook_target: Mutex::new(config.webhook.clone()),
                config,
                world: RwLock::new(workspace),
                auth: Mutex::new(AuthState::default()),
                faults: Mutex::new(FaultQueue::default()),
                counters: Mutex::new(Counters::default()),
                clock: Clock::default(),
                webhook_log: Arc::new(Mutex::new(WebhookLog::default())),
                cursor_epoch: AtomicU64::new(0),
                bot_id,
                integration_id,
                subscription_id,
                http: reqwest::Client::new(),
            }),
        }
    }

    /// The HTTP API (`/v1/...`) and the control API (`/_emulator/...`).
    pub fn router(&self) -> axum::Router {
        crate::routes::router(self.clone())
    }

    /// Builds an emulator and serves it on `127.0.0.1:0`.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<RunningEmulator> {
        Emulator::new(config)
            .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
    }

    /// Serves this emulator on `addr` in a background task.
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<RunningEmulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = self.router();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
            if let Err(err) = served {
                tracing::error!(error = %err, "emulator server stopped");
            }
        });
        Ok(RunningEmulator {
            base_url: format!("http://{addr}"),
            addr,
            emulator: self,
            shutdown: Some(tx),
        })
    }

    // ------------------------------------------------------------------ state access

    pub(crate) fn world(&self) -> RwLockReadGuard<'_, Workspace> {
        self.inner.world.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn world_mut(&self) -> RwLockWriteGuard<'_, Workspace> {
        self.inner.world.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn auth(&self) -> MutexGuard<'_, AuthState> {
        lock(&self.inner.auth)
    }

    pub(crate) fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    pub(crate) fn bot_id(&self) -> &str {
        &self.inner.bot_id
    }

    pub(crate) fn now_minute(&self) -> String {
        self.inner.clock.now_minute()
    }

    pub(crate) fn cursor_epoch(&self) -> u64 {
        self.inner.cursor_epoch.load(Ordering::SeqCst)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultQueue> {
        lock(&self.inner.faults)
    }

    pub(crate) fn counters_mut(&self) -> MutexGuard<'_, Counters> {
        lock(&self.inner.counters)
    }

    pub(crate) fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        lock(&self.inner.limiter)
    }

    pub(crate) fn auto_approve(&self) -> bool {
        self.inner.auto_approve.load(Ordering::SeqCst)
    }

    /// What a caller may see now.
    pub(crate) fn scope_of(&self, caller: &Caller) -> GrantScope {
        self.auth()
            .grant(&caller.grant_id)
            .map(|g| g.scope.clone())
            .unwrap_or_default()
    }

    /// `object_not_found` worded for this integration.
    pub(crate) fn not_found(&self, kind: &str, id: &str) -> ApiError {
        ApiError::not_found(
            kind,
            id,
            &self.inner.config.integration_name,
            &self.inner.bot_id,
        )
    }

    /// The actor for edits made through the control API: the workspace owner.
    pub(crate) fn owner_actor(&self) -> Actor {
        Actor::person(&self.world().owner_id())
    }

    // ------------------------------------------------------------------ grants and OAuth

    /// A connection that sees every workspace-level page and database (including ones added later).
    pub fn grant_all(&self) -> TokenGrant {
        self.new_grant(GrantScope::everything())
    }

    /// A connection that sees exactly these roots and their descendants.
    pub fn grant(&self, shared_ids: &[&str]) -> TokenGrant {
        self.new_grant(GrantScope::roots(shared_ids.iter().map(|s| normalize(s))))
    }

    fn new_grant(&self, scope: GrantScope) -> TokenGrant {
        let ws_id = self.world().id().to_string();
        self.auth().new_grant(scope, &self.inner.bot_id, &ws_id)
    }

    /// A single-use authorization code, as if the user had approved the consent page.
    /// `None` shares everything.
    pub fn authorization_code(&self, shared_ids: Option<&[&str]>, redirect_uri: &str) -> String {
        let scope = match shared_ids {
            None => GrantScope::everything(),
            Some(ids) => GrantScope::roots(ids.iter().map(|s| normalize(s))),
        };
        let uri = (!redirect_uri.is_empty()).then_some(redirect_uri);
        self.auth().new_code(scope, uri)
    }

    pub fn oauth_app(&self) -> OAuthApp {
        self.inner.config.oauth_app.clone()
    }

    /// Stops sharing `id` (and its descendants) with the connection of this access token.
    pub fn unshare(&self, grant_access_token: &str, id: &str) {
        self.edit_scope(grant_access_token, |scope| scope.unshare(&normalize(id)));
    }

    /// Shares `id` (and its descendants) with the connection of this access token.
    pub fn share(&self, grant_access_token: &str, id: &str) {
        self.edit_scope(grant_access_token, |scope| scope.share(&normalize(id)));
    }

    fn edit_scope(&self, token: &str, edit: impl FnOnce(&mut GrantScope)) {
        let mut auth = self.auth();
        let grant_id = auth.grant_id_of(token).unwrap_or_else(|| token.to_string());
        if let Some(grant) = auth.grant_mut(&grant_id) {
            edit(&mut grant.scope);
        }
    }

    /// Revokes the connection of this access (or refresh) token: it then answers 401 everywhere.
    pub fn revoke(&self, access_token: &str) {
        self.auth().revoke(access_token);
    }

    /// Grants, live tokens and sharing as JSON, for [`Emulator::restore_auth`] after a restart
    /// (the local stack keeps it in its data folder). The document holds secrets.
    pub fn auth_json(&self) -> Value {
        self.auth().to_json()
    }

    /// Replaces every grant and token with those of an [`Emulator::auth_json`] document.
    pub fn restore_auth(&self, doc: &Value) -> Result<(), serde_json::Error> {
        let restored = AuthState::from_json(doc)?;
        *self.auth() = restored;
        Ok(())
    }

    /// Toggles auto-approval of `GET /v1/oauth/authorize`.
    pub fn set_auto_approve(&self, on: bool) {
        self.inner.auto_approve.store(on, Ordering::SeqCst);
    }

    // ------------------------------------------------------------------ faults, limits, counters

    /// Queues a fault for the next matching requests.
    pub fn fail_next(&self, fault: Fault) {
        self.faults().push(fault);
    }

    pub fn clear_faults(&self) {
        self.faults().clear();
    }

    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.limiter().set_limit(limit);
    }

    pub fn counters(&self) -> Counters {
        self.counters_mut().clone()
    }

    pub fn reset_counters(&self) {
        *self.counters_mut() = Counters::default();
    }

    /// Moves the emulator's clock forward (or back) by whole minutes.
    pub fn advance_clock(&self, minutes: i64) {
        self.inner.clock.advance(minutes);
    }

    /// Every cursor handed out so far becomes invalid.
    pub fn expire_cursors(&self) {
        self.inner.cursor_epoch.fetch_add(1, Ordering::SeqCst);
    }

    // ------------------------------------------------------------------ reading the workspace

    pub fn workspace_id(&self) -> String {
        self.world().id().to_string()
    }

    pub fn workspace_name(&self) -> String {
        self.world().name().to_string()
    }

    /// Every page id (ordinary pages and rows, trashed included), in creation order.
    pub fn page_ids(&self) -> Vec<String> {
        self.world().page_ids()
    }

    pub fn data_source_ids(&self) -> Vec<String> {
        self.world().data_source_ids()
    }

    pub fn database_ids(&self) -> Vec<String> {
        self.world().database_ids()
    }

    /// Workspace-level pages and databases, in order.
    pub fn top_level_ids(&self) -> Vec<String> {
        self.world().top_level_ids()
    }

    /// Row page ids of a data source, in order.
    pub fn row_ids(&self, data_source_id: &str) -> Vec<String> {
        self.world().rows_of(&normalize(data_source_id)).to_vec()
    }

    /// Finds a page by exact title.
    pub fn find_page(&self, title: &str) -> Option<String> {
        let ws = self.world();
        ws.page_ids().into_iter().find(|id| {
            ws.pages
                .get(id)
                .is_some_and(|p| shapes::page_title(p) == title)
        })
    }

    /// The page object as `GET /v1/pages/{id}` returns it (without `request_id`).
    pub fn page_json(&self, id: &str) -> Option<Value> {
        self.world().render_page(&normalize(id))
    }

    /// A block object as `GET /v1/blocks/{id}` returns it.
    pub fn block_json(&self, id: &str) -> Option<Value> {
        self.world().render_block(&normalize(id))
    }

    /// Every live child block of a page or block, in order.
    pub fn block_children_json(&self, id: &str) -> Vec<Value> {
        let ws = self.world();
        ws.live_children(&normalize(id))
            .iter()
            .filter_map(|c| ws.render_block(c))
            .collect()
    }

    /// The whole workspace in the [`Workspace::from_json`] format.
    pub fn workspace_json(&self) -> Value {
        self.world().to_json()
    }

    /// Total pages and blocks held.
    pub fn sizes(&self) -> (usize, usize) {
        let ws = self.world();
        (ws.page_count(), ws.block_count())
    }

    // ------------------------------------------------------------------ simulated user edits

    /// Renames a page (as the workspace owner); emits `page.properties_updated`.
    pub fn edit_page_title(&self, id: &str, title: &str) {
        let actor = self.owner_actor();
        let now = self.now_minute();
        let events = ops::set_title(&mut self.world_mut(), &normalize(id), title, &now, &actor);
        self.emit(events);
    }

    /// Moves a page to or from the trash; emits `page.deleted` / `page.undeleted`.
    pub fn trash_page(&self, id: &str, in_trash: bool) {
        let actor = self.owner_actor();
        let now = self.now_minute();
        let events = ops::set_page_trash(
            &mut self.world_mut(),
            &normalize(id),
            in_trash,
            &now,
            &actor,
        );
        self.emit(events);
    }

    /// Appends a paragraph to a page's body; emits `page.content_updated`.
    pub fn append_paragraph(&self, page_id: &str, text: &str) {
        let actor = self.owner_actor();
        let now = self.now_minute();
        let block = json!({"type": "paragraph", "paragraph": {"rich_text": [{"type": "text", "text": {"content": text}}]}});
        let result = {
            let mut ws = self.world_mut();
            crate::input::blocks_from_request(&ws, &[block], "children").and_then(|blocks| {
                ops::append_blocks(
                    &mut ws,
                    &normalize(page_id),
                    blocks,
                    ops::Position::End,
                    &now,
                    &actor,
                )
            })
        };
        match result {
            Ok((_, events)) => self.emit(events),
            Err(err) => tracing::warn!(error = %err, "append_paragraph failed"),
        }
    }

    /// Sets row properties (request-shaped values, keyed by name or id) as the workspace owner.
    pub fn update_properties(&self, page_id: &str, properties: &Value) -> Result<(), ApiError> {
        let actor = self.owner_actor();
        let now = self.now_minute();
        let events = {
            let mut ws = self.world_mut();
            ops::update_page_properties(&mut ws, &normalize(page_id), properties, &now, &actor)?
        };
        self.emit(events);
        Ok(())
    }

    /// Creates a page under a page (or at workspace level with `None`) as the owner; returns its id.
    pub fn create_page(
        &self,
        parent_page_id: Option<&str>,
        title: &str,
    ) -> Result<String, ApiError> {
        let actor = self.owner_actor();
        let now = self.now_minute();
        let parent = match parent_page_id {
            Some(p) => json!({"page_id": normalize(p)}),
            None => json!({"workspace": true}),
        };
        let body = json!({"parent": parent, "properties": {"title": {"title": [{"text": {"content": title}}]}}});
        let (page, events) = {
            let mut ws = self.world_mut();
            let parent_ref = ops::resolve_parent(&ws, &body["parent"])?;
            ops::create_page(&mut ws, &parent_ref, &body, &now, &actor)?
        };
        self.emit(events);
        Ok(page["id"].as_str().unwrap_or_default().to_string())
    }

    // ------------------------------------------------------------------ webhooks

    /// Replaces the webhook target (None stops delivery).
    pub fn set_webhook(&self, target: Option<WebhookTarget>) {
        *lock(&self.inner.webhook_target) = target;
    }

    /// Sends the verification handshake body to the webhook target; answers its HTTP status.
    pub async fn send_webhook_verification(&self) -> Result<u16, String> {
        let target = lock(&self.inner.webhook_target).clone();
        let Some(target) = target else {
            return Err("no webhook target configured".to_string());
        };
        webhooks::send_verification(&self.inner.http, &target)
            .await
            .map_err(|e| e.without_url().to_string())
    }

    /// Every event emitted so far (newest last), delivered or not.
    pub fn webhook_events(&self) -> Vec<Value> {
        lock(&self.inner.webhook_log).events.clone()
    }

    /// Finished deliveries (after their last attempt).
    pub fn webhook_deliveries(&self) -> Vec<DeliveryRecord> {
        lock(&self.inner.webhook_log).deliveries.clone()
    }

    /// Builds envelopes for `events`, logs them and delivers them in the background.
    pub(crate) fn emit(&self, events: Vec<PendingEvent>) {
        if events.is_empty() {
            return;
        }
        let scopes: Vec<GrantScope> = self
            .auth()
            .grants()
            .filter(|g| !g.revoked)
            .map(|g| g.scope.clone())
            .collect();
        let envelopes: Vec<Value> = {
            let ws = self.world();
            events
                .into_iter()
                .map(|e| {
                    let visible = scopes.iter().any(|s| s.can_see(&ws, &e.entity_id))
                        || (e.entity_type == "comment"
                            && e.data["page_id"].as_str().is_some_and(|p| scopes.iter().any(|s| s.can_see(&ws, p))));
                    let accessible_by = if visible {
                        json!([{"id": ws.owner_id(), "type": "person"}, {"id": self.inner.bot_id, "type": "bot"}])
                    } else {
                        json!([])
                    };
                    json!({
                        "id": crate::ids::new_id(),
                        "timestamp": self.inner.clock.now_precise(),
                        "workspace_id": ws.id(),
                        "workspace_name": ws.name(),
                        "subscription_id": self.inner.subscription_id,
                        "integration_id": self.inner.integration_id,
                        "type": e.kind,
                        "authors": [{"id": e.author_id, "type": e.author_type}],
                        "accessible_by": accessible_by,
                        "attempt_number": 1,
                        "api_version": webhooks::EVENT_API_VERSION,
                        "entity": {"id": e.entity_id, "type": e.entity_type},
                        "data": e.data,
                    })
                })
                .collect()
        };
        {
            let mut log = lock(&self.inner.webhook_log);
            for e in &envelopes {
                log.push_event(e.clone());
            }
        }
        let target = lock(&self.inner.webhook_target).clone();
        let Some(target) = target else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no tokio runtime: webhook events logged but not delivered");
            return;
        };
        let policy = DeliveryPolicy {
            max_attempts: self.inner.config.webhook_max_attempts,
            first_delay: self.inner.config.webhook_retry_delay,
        };
        for event in envelopes {
            handle.spawn(webhooks::deliver(
                self.inner.http.clone(),
                target.clone(),
                event,
                policy.clone(),
                self.inner.webhook_log.clone(),
            ));
        }
    }

    /// Checks the bearer token (for the middleware).
    pub(crate) fn authenticate(&self, token: &str) -> Option<Caller> {
        self.auth().authenticate(token, Instant::now())
    }
}

/// Dashed lowercase form of an id given with or without dashes (unchanged when not a UUID).
pub(crate) fn normalize(id: &str) -> String {
    crate::ids::normalize_id(id).unwrap_or_else(|| id.to_string())
}
