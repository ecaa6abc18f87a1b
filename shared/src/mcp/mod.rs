//! The MCP server for agents: every [`crate::actions`] action is a tool (same JSON schema, same
//! implementation), served statelessly over streamable HTTP by rmcp inside axum
//! ([`crate::routes::mcp`] checks the headers first).
//!
//! - [`RelayMcpServer`]: the rmcp `ServerHandler`: `tools/list` from the action catalog (input
//!   and output schemas, annotations), `tools/call` runs the action for the connection the HTTP
//!   layer resolved and answers structured content plus a text rendering; Notion and input
//!   problems are tool errors (`isError`) the model can act on.
//! - [`McpSettings`]: the allowed `Host` values (rmcp's DNS-rebinding check): loopback, the host
//!   of `RELAY_PUBLIC_URL`, and `RELAY_MCP_ALLOWED_HOSTS` (comma-separated), never "any host".

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use crate::actions::{ActionError, ActionSpec, Actions};
use crate::app::Settings;
use crate::domain::ConnectionId;

/// The connection an MCP request acts for, put into the HTTP request's extensions by the route
/// after checking credentials and headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct McpConnection(pub ConnectionId);

/// The environment variable with extra allowed `Host` values for `/mcp`.
pub const ALLOWED_HOSTS_VAR: &str = "RELAY_MCP_ALLOWED_HOSTS";

const INSTRUCTIONS: &str = "Tools over one customer's Notion workspace. Find things with search \
(titles) or list_data_sources, read them with get_page or query_data_source, write with \
create_page, create_row, append_to_page and add_comment. Ids from one tool's answer are the \
inputs of the others. Errors say what to change (a field, sharing the page with the \
integration, or when to retry).";

/// Settings of the MCP endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpSettings {
    /// `Host` header values accepted (host, or host:port).
    pub allowed_hosts: Vec<String>,
}

impl McpSettings {
    /// Loopback, the public URL's host, and the hosts in `RELAY_MCP_ALLOWED_HOSTS`.
    pub fn from_settings(settings: &Settings) -> Self {
        let extra = std::env::var(ALLOWED_HOSTS_VAR).unwrap_or_default();
        Self {
            allowed_hosts: allowed_hosts(settings.public_url.host_str(), &extra),
        }
    }
}

/// The allowed-hosts list: never empty (rmcp treats an empty list as "any host").
pub fn allowed_hosts(public_host: Option<&str>, extra: &str) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .iter()
        .map(|host| (*host).to_owned())
        .collect();
    let public = public_host.map(|host| host.trim().trim_matches(['[', ']']).to_ascii_lowercase());
    let configured = public
        .into_iter()
        .chain(extra.split(',').filter_map(host_entry))
        .filter(|host| !host.is_empty());
    for host in configured {
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// One `RELAY_MCP_ALLOWED_HOSTS` entry as rmcp matches it: `host` (any port) or `host:port`
/// (IPv6 in brackets). A URL, such as the stack's `ApiUrl` output, stands for its host and
/// explicit port. Entries that name no host are dropped.
fn host_entry(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let url = if raw.contains("://") {
        url::Url::parse(raw)
    } else {
        url::Url::parse(&format!("http://{raw}"))
    }
    .ok()?;
    let host = url
        .host_str()?
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    Some(match url.port() {
        Some(port) if host.contains(':') => format!("[{host}]:{port}"),
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// The rmcp server handler. One per HTTP request (stateless); cheap to clone.
#[derive(Clone, Debug)]
pub struct RelayMcpServer {
    actions: Actions,
    tools: Arc<Vec<Tool>>,
}

impl RelayMcpServer {
    pub fn new(actions: Actions) -> Self {
        let tools = Actions::catalog().iter().map(tool_of).collect();
        Self {
            actions,
            tools: Arc::new(tools),
        }
    }
}

/// The MCP tool of an action: same name, description, schemas and annotations.
pub fn tool_of(spec: &ActionSpec) -> Tool {
    let annotations = ToolAnnotations::with_title(spec.title)
        .read_only(spec.annotations.read_only)
        .destructive(spec.annotations.destructive)
        .idempotent(spec.annotations.idempotent)
        .open_world(spec.annotations.open_world);
    Tool::new(spec.name, spec.description, spec.input_schema())
        .with_title(spec.title)
        .with_raw_output_schema(Arc::new(spec.output_schema()))
        .with_annotations(annotations)
}

/// A failed action as a tool error the model can read and act on.
pub fn tool_error(error: &ActionError) -> CallToolResult {
    let api = error.to_api_error();
    CallToolResult::error(vec![ContentBlock::text(format!(
        "[{}] {}",
        api.code, api.message
    ))])
}

impl ServerHandler for RelayMcpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "notion-relay",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.as_ref().clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|tool| tool.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let connection = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<McpConnection>())
            .map(|connection| connection.0)
            // The route always sets it; without it the request did not come through the route.
            .ok_or_else(|| ErrorData::internal_error("no connection for this request", None))?;
        if Actions::spec(&request.name).is_err() {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool {}; the tools are: {}",
                    request.name,
                    self.tools
                        .iter()
                        .map(|t| t.name.as_ref())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None,
            ));
        }
        let input = request.arguments.map(Value::Object).unwrap_or(Value::Null);
        let result = match self.actions.call(&connection, &request.name, input).await {
            Ok(output) => {
                let mut result = CallToolResult::success(vec![ContentBlock::text(output.text)]);
                result.structured_content = Some(output.structured);
                result
            }
            Err(error) => {
                tracing::info!(connection_id = %connection, tool = %request.name, code = error.to_api_error().code, "tool call refused");
                tool_error(&error)
            }
        };
        Ok(result.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_always_include_loopback_and_never_end_up_empty() {
        let hosts = allowed_hosts(Some("Relay.Example.com"), " api.example.org , ,[::1]");
        assert_eq!(
            hosts,
            vec![
                "localhost",
                "127.0.0.1",
                "::1",
                "relay.example.com",
                "api.example.org"
            ]
        );
        assert_eq!(allowed_hosts(None, "").len(), 3);
    }

    /// Operators paste URLs (the stack's `ApiUrl` output) and `host:port` values into
    /// `RELAY_MCP_ALLOWED_HOSTS`: each must become a value rmcp's Host check matches.
    #[test]
    fn allowed_hosts_accept_urls_and_ports() {
        let hosts = allowed_hosts(
            None,
            "https://abc123.execute-api.eu-west-1.amazonaws.com/, HTTP://Relay.Example.com:8443/mcp, \
             [::1]:9000, api.example.org:8080",
        );
        assert_eq!(
            hosts[3..],
            [
                "abc123.execute-api.eu-west-1.amazonaws.com",
                "relay.example.com:8443",
                "[::1]:9000",
                "api.example.org:8080"
            ]
        );
    }

    #[test]
    fn tools_mirror_the_actions() {
        let search = tool_of(&Actions::spec("search").unwrap());
        let annotations = search.annotations.unwrap();
        assert_eq!(annotations.read_only_hint, Some(true));
        assert_eq!(annotations.destructive_hint, Some(false));
        assert!(search.output_schema.is_some());
        let create = tool_of(&Actions::spec("create_page").unwrap());
        assert_eq!(create.annotations.unwrap().read_only_hint, Some(false));
        let error = tool_error(&ActionError::invalid("limit", "too big"));
        assert_eq!(error.is_error, Some(true));
    }
}
