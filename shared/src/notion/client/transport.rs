//! One HTTP round trip to Notion, with the budget, the retry policy and typed errors around it.
//! Everything above this module builds an [`ApiRequest`] and calls [`Transport::execute`].

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use url::Url;

use super::budget::{Budget, RequestStats};
use super::error::NotionError;
use super::retry::{
    RequestKind, RetryPolicy, is_rate_limit_status, is_transient_status, parse_retry_after,
};
use crate::config::NotionConfig;
use crate::secret::SecretString;

const USER_AGENT: &str = concat!("notion-relay/", env!("CARGO_PKG_VERSION"));

/// A request ready to send (and to send again on retry).
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub method: Method,
    /// The path with placeholders (`/v1/blocks/{id}/children`): what logs show.
    pub template: &'static str,
    /// The concrete path, ids already encoded with [`path_segment`].
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Bytes>,
    pub kind: RequestKind,
    /// The answer holds secrets (OAuth tokens): decode errors must not quote it.
    pub secret_response: bool,
}

impl ApiRequest {
    pub fn new(method: Method, template: &'static str, path: String, kind: RequestKind) -> Self {
        Self {
            method,
            template,
            path,
            query: Vec::new(),
            body: None,
            kind,
            secret_response: false,
        }
    }

    pub fn get(template: &'static str, path: String) -> Self {
        Self::new(Method::GET, template, path, RequestKind::Read)
    }

    pub fn post(template: &'static str, path: String, kind: RequestKind) -> Self {
        Self::new(Method::POST, template, path, kind)
    }

    pub fn patch(template: &'static str, path: String) -> Self {
        Self::new(Method::PATCH, template, path, RequestKind::Write)
    }

    pub fn delete(template: &'static str, path: String) -> Self {
        Self::new(Method::DELETE, template, path, RequestKind::Write)
    }

    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    pub fn query_opt(self, name: &'static str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }

    pub fn json(mut self, body: &impl Serialize) -> Result<Self, NotionError> {
        let bytes = serde_json::to_vec(body).map_err(|err| NotionError::InvalidRequest {
            message: format!("cannot serialize the request body: {err}"),
        })?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }
}

/// Percent-encodes one id for use as a path segment. `%` is kept: Notion hands some ids out
/// already encoded (property ids such as `XGe%40`) and expects them back as they are.
pub(crate) fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'%') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// How a request authenticates.
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    Bearer(&'a SecretString),
    Basic {
        client_id: &'a str,
        client_secret: &'a SecretString,
    },
}

/// Who is calling: the budget and counters to charge, and the connection id to log.
pub(crate) struct CallContext<'a> {
    pub auth: Auth<'a>,
    pub budget: Option<&'a Budget>,
    pub stats: Option<&'a RequestStats>,
    pub connection_id: Option<&'a str>,
}

impl CallContext<'_> {
    fn for_each_stats(&self, f: impl Fn(&RequestStats)) {
        if let Some(budget) = self.budget {
            f(budget.stats());
        }
        if let Some(stats) = self.stats {
            f(stats);
        }
    }
}

/// The reqwest client and the settings every request shares.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base_url: Url,
    version: HeaderValue,
    retry: RetryPolicy,
}

/// What one attempt ended with.
enum Attempt {
    Success {
        body: Bytes,
        request_id: Option<String>,
    },
    Failed {
        status: u16,
        body: Bytes,
        request_id: Option<String>,
        retry_after: Option<Duration>,
    },
    Io(NotionError),
}

impl Transport {
    pub fn new(config: &NotionConfig, retry: RetryPolicy) -> Result<Self, NotionError> {
        let version =
            HeaderValue::from_str(&config.version).map_err(|_| NotionError::InvalidRequest {
                message: "NOTION_VERSION is not a valid header value".to_owned(),
            })?;
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|err| NotionError::Transport {
                message: format!("cannot build the HTTP client: {}", err.without_url()),
            })?;
        Ok(Self {
            http,
            base_url: config.base_url.clone(),
            version,
            retry,
        })
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends `request` (retrying as its kind allows) and decodes a success answer into `T`.
    pub async fn execute<T: DeserializeOwned>(
        &self,
        request: &ApiRequest,
        ctx: &CallContext<'_>,
    ) -> Result<T, NotionError> {
        let (body, request_id) = self.execute_raw(request, ctx).await?;
        // An empty success body (some deletes / revokes) decodes as JSON null or `{}`.
        let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &body
        };
        serde_json::from_slice(body).map_err(|err| NotionError::Decode {
            message: if request.secret_response {
                format!(
                    "{:?} error at line {} column {}",
                    err.classify(),
                    err.line(),
                    err.column()
                )
            } else {
                err.to_string()
            },
            request_id,
        })
    }

    /// Sends `request` with retries; returns the success body and Notion's request id.
    pub async fn execute_raw(
        &self,
        request: &ApiRequest,
        ctx: &CallContext<'_>,
    ) -> Result<(Bytes, Option<String>), NotionError> {
        let url = self.url(request)?;
        let mut rate_limit_retries = 0u32;
        let mut server_retries = 0u32;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if attempt > 1 {
                ctx.for_each_stats(RequestStats::record_retry);
            }
            if let Some(budget) = ctx.budget {
                // A pause too long to wait inline fails fast, like the 429 that started it.
                let waited =
                    budget
                        .acquire(self.retry.max_inline_wait)
                        .await
                        .map_err(|paused| NotionError::RateLimited {
                            retry_after: paused.0,
                            request_id: None,
                        })?;
                if let Some(stats) = ctx.stats {
                    stats.record_wait(waited);
                }
            }
            ctx.for_each_stats(RequestStats::record_sent);
            let started = Instant::now();
            let outcome = self.send_once(request, &url, ctx.auth).await;
            log_attempt(request, ctx, attempt, started, &outcome);

            match outcome {
                Attempt::Success { body, request_id } => return Ok((body, request_id)),
                Attempt::Failed {
                    status,
                    body,
                    request_id,
                    retry_after,
                } if is_rate_limit_status(status) => {
                    ctx.for_each_stats(RequestStats::record_rate_limited);
                    let delay = retry_after
                        .unwrap_or_else(|| self.retry.missing_retry_after(rate_limit_retries));
                    if let Some(budget) = ctx.budget {
                        // Everyone on this connection holds back, not just this caller.
                        budget.pause_for(delay);
                    }
                    if delay > self.retry.max_inline_wait
                        || rate_limit_retries >= self.retry.max_rate_limit_retries
                    {
                        return Err(NotionError::from_response(
                            status,
                            &body,
                            request_id,
                            Some(delay),
                        ));
                    }
                    rate_limit_retries += 1;
                    if ctx.budget.is_none() {
                        self.sleep(ctx, delay).await;
                    }
                }
                Attempt::Failed {
                    status,
                    body,
                    request_id,
                    retry_after,
                } => {
                    if is_transient_status(status) && self.may_retry_server(request, server_retries)
                    {
                        self.sleep(ctx, self.retry.backoff(server_retries)).await;
                        server_retries += 1;
                        continue;
                    }
                    return Err(NotionError::from_response(
                        status,
                        &body,
                        request_id,
                        retry_after,
                    ));
                }
                Attempt::Io(error) => {
                    if self.may_retry_server(request, server_retries) {
                        self.sleep(ctx, self.retry.backoff(server_retries)).await;
                        server_retries += 1;
                        continue;
                    }
                    return Err(error);
                }
            }
        }
    }

    fn may_retry_server(&self, request: &ApiRequest, retries_so_far: u32) -> bool {
        request.kind == RequestKind::Read && retries_so_far < self.retry.max_server_retries
    }

    async fn sleep(&self, ctx: &CallContext<'_>, delay: Duration) {
        tokio::time::sleep(delay).await;
        ctx.for_each_stats(|stats| stats.record_wait(delay));
    }

    async fn send_once(&self, request: &ApiRequest, url: &Url, auth: Auth<'_>) -> Attempt {
        let mut headers = HeaderMap::new();
        headers.insert("Notion-Version", self.version.clone());
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        match auth_header(auth) {
            Ok(value) => {
                headers.insert(header::AUTHORIZATION, value);
            }
            Err(err) => return Attempt::Io(err),
        }
        let mut builder = self
            .http
            .request(request.method.clone(), url.clone())
            .headers(headers);
        if let Some(body) = &request.body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(err) => return Attempt::Io(map_reqwest_error(err)),
        };
        let status = response.status().as_u16();
        let request_id = header_request_id(response.headers());
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(err) => return Attempt::Io(map_reqwest_error(err)),
        };
        if (200..300).contains(&status) {
            Attempt::Success { body, request_id }
        } else {
            Attempt::Failed {
                status,
                body,
                request_id,
                retry_after,
            }
        }
    }

    fn url(&self, request: &ApiRequest) -> Result<Url, NotionError> {
        let mut url = self.base_url.clone();
        let base_path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base_path}{}", request.path));
        url.set_query(None);
        if !request.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &request.query {
                pairs.append_pair(name, value);
            }
        }
        if url.cannot_be_a_base() {
            return Err(NotionError::InvalidRequest {
                message: "the Notion base URL cannot carry a path".to_owned(),
            });
        }
        Ok(url)
    }
}

fn auth_header(auth: Auth<'_>) -> Result<HeaderValue, NotionError> {
    use base64::Engine as _;
    let raw = match auth {
        Auth::Bearer(token) => format!("Bearer {}", token.expose()),
        Auth::Basic {
            client_id,
            client_secret,
        } => {
            let pair = format!("{client_id}:{}", client_secret.expose());
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        }
    };
    let mut value = HeaderValue::from_str(&raw).map_err(|_| NotionError::InvalidRequest {
        message: "the credential is not a valid header value".to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

fn header_request_id(headers: &HeaderMap) -> Option<String> {
    ["x-notion-request-id", "x-request-id"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn map_reqwest_error(err: reqwest::Error) -> NotionError {
    if err.is_timeout() {
        return NotionError::Timeout;
    }
    // The URL carries ids only (never a token), but leave it out: logs key on the path template.
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    NotionError::Transport { message }
}

fn log_attempt(
    request: &ApiRequest,
    ctx: &CallContext<'_>,
    attempt: u32,
    started: Instant,
    outcome: &Attempt,
) {
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let connection_id = ctx.connection_id.unwrap_or("-");
    let (status, request_id, error) = match outcome {
        Attempt::Success { request_id, .. } => (200u16, request_id.as_deref(), None),
        Attempt::Failed {
            status, request_id, ..
        } => (*status, request_id.as_deref(), None),
        Attempt::Io(err) => (0, None, Some(err)),
    };
    tracing::debug!(
        method = %request.method,
        path = request.template,
        status,
        notion_request_id = request_id.unwrap_or("-"),
        attempt,
        connection_id,
        elapsed_ms,
        error = error.map(tracing::field::display),
        "notion request"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded_but_keep_existing_escapes() {
        assert_eq!(
            path_segment("59833787-2cf9-4fdf-8782-e53db20768a5"),
            "59833787-2cf9-4fdf-8782-e53db20768a5"
        );
        assert_eq!(path_segment("XGe%40"), "XGe%40");
        assert_eq!(path_segment("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(path_segment("é"), "%C3%A9");
    }

    fn transport(base: &str) -> Transport {
        let config = NotionConfig {
            base_url: Url::parse(base).unwrap(),
            ..NotionConfig::default()
        };
        Transport::new(&config, RetryPolicy::default()).unwrap()
    }

    #[test]
    fn urls_join_base_path_and_query() {
        let request = ApiRequest::get("/v1/blocks/{id}/children", "/v1/blocks/abc/children".into())
            .query("page_size", "100")
            .query_opt("start_cursor", Some("c 1"))
            .query_opt("nothing", None::<String>);
        let url = transport("http://127.0.0.1:9/").url(&request).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/v1/blocks/abc/children?page_size=100&start_cursor=c+1"
        );
        let url = transport("http://proxy.local/notion/")
            .url(&request)
            .unwrap();
        assert!(
            url.as_str()
                .starts_with("http://proxy.local/notion/v1/blocks/abc/children?")
        );
    }

    #[test]
    fn auth_headers_are_sensitive_and_well_formed() {
        let token = SecretString::new("secret_abc");
        let value = auth_header(Auth::Bearer(&token)).unwrap();
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().unwrap(), "Bearer secret_abc");
        let secret = SecretString::new("s3cr3t");
        let value = auth_header(Auth::Basic {
            client_id: "client",
            client_secret: &secret,
        })
        .unwrap();
        assert!(value.is_sensitive());
        // base64("client:s3cr3t")
        assert_eq!(value.to_str().unwrap(), "Basic Y2xpZW50OnMzY3IzdA==");
        let bad = SecretString::new("line\nbreak");
        assert!(auth_header(Auth::Bearer(&bad)).is_err());
    }
}
