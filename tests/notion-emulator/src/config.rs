//! Emulator configuration: which workspace to serve, OAuth app, limits, webhooks.

use std::fmt;
use std::time::Duration;

/// Everything an [`crate::Emulator`] needs at start. `Default` gives a small generated workspace,
/// no rate limit, auto-approved OAuth and the real 10,000-results query cap.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The workspace content served.
    pub workspace: WorkspaceSource,
    /// Token bucket per connection (grant); `None` = unlimited. Changeable at runtime.
    pub rate_limit: Option<RateLimit>,
    /// The public integration's OAuth client.
    pub oauth_app: OAuthApp,
    /// `GET /v1/oauth/authorize` redirects at once, sharing every top-level page and database.
    pub auto_approve: bool,
    /// Results one data-source query may return before `request_status: incomplete` (Notion: 10,000).
    pub query_result_limit: usize,
    /// Where signed webhook events are POSTed.
    pub webhook: Option<WebhookTarget>,
    /// Blocks rendered by `GET /v1/pages/{id}/markdown` before it truncates.
    pub markdown_record_limit: usize,
    /// How long an access token keeps working after its refresh token was used (Notion: none).
    pub refresh_grace: Duration,
    /// Delivery attempts per webhook event (1 = no retry).
    pub webhook_max_attempts: u32,
    /// First retry delay; doubles per attempt.
    pub webhook_retry_delay: Duration,
    /// The integration's name (error messages, bot user).
    pub integration_name: String,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            workspace: WorkspaceSource::Generated(GeneratedWorkspace::default()),
            rate_limit: None,
            oauth_app: OAuthApp::default(),
            auto_approve: true,
            query_result_limit: 10_000,
            webhook: None,
            markdown_record_limit: 1_000,
            refresh_grace: Duration::ZERO,
            webhook_max_attempts: 4,
            webhook_retry_delay: Duration::from_millis(200),
            integration_name: "Notion Relay Emulator".to_string(),
        }
    }
}

/// Where the workspace content comes from.
#[derive(Debug, Clone)]
pub enum WorkspaceSource {
    /// Deterministic content generated from a seed.
    Generated(GeneratedWorkspace),
    /// A workspace document in the format of [`crate::Workspace::to_json`].
    Json(serde_json::Value),
}

/// Parameters of a deterministic generated workspace. The same parameters always give the same ids,
/// titles, bodies and timestamps.
///
/// Besides `pages` ordinary pages, every workspace holds fixed feature pages: a showcase page with
/// every block type (synced blocks, tables, columns, mentions, equations, long text, a child page and
/// a child database with two data sources), a page with `large_page_children` blocks and a chain of
/// `max_depth` nested pages.
#[derive(Debug, Clone)]
pub struct GeneratedWorkspace {
    /// Seed of every random choice.
    pub seed: u64,
    /// Ordinary pages, spread in trees under the top-level pages.
    pub pages: usize,
    /// Workspace-level (top-level) pages; at least 1.
    pub top_level_pages: usize,
    /// Maximum depth of the page trees (top level = 1).
    pub max_depth: usize,
    /// Blocks in the body of each ordinary page.
    pub blocks_per_page: usize,
    /// Databases; the first holds two data sources, the others one.
    pub databases: usize,
    /// Rows in each data source. More than 25 gives a row whose relation exceeds 25 references.
    pub rows_per_data_source: usize,
    /// Ordinary pages placed in the trash (plus one trashed row when rows exist).
    pub trashed_pages: usize,
    /// Children of the large page (more than 100 forces pagination).
    pub large_page_children: usize,
    /// The workspace's name.
    pub workspace_name: String,
}

impl Default for GeneratedWorkspace {
    fn default() -> Self {
        GeneratedWorkspace {
            seed: 42,
            pages: 12,
            top_level_pages: 3,
            max_depth: 5,
            blocks_per_page: 6,
            databases: 2,
            rows_per_data_source: 30,
            trashed_pages: 1,
            large_page_children: 120,
            workspace_name: "Emulated Workspace".to_string(),
        }
    }
}

/// A token bucket: `burst` requests at once, refilled at `requests_per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub requests_per_second: f64,
    pub burst: u32,
}

/// The OAuth client of the public integration. `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
}

impl Default for OAuthApp {
    fn default() -> Self {
        OAuthApp {
            client_id: "emulator-client-id".to_string(),
            client_secret: "emulator-client-secret".to_string(),
        }
    }
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// Where webhook events go and the key they are signed with. `Debug` redacts the token.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub url: String,
    pub verification_token: String,
}

impl fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("url", &self.url)
            .field("verification_token", &"<redacted>")
            .finish()
    }
}
