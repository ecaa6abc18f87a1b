//! When to retry a Notion call and how long to wait: `Retry-After` parsing, exponential backoff
//! with full jitter, and the per-endpoint [`RequestKind`] that decides whether a server error may
//! be retried at all.

use std::time::{Duration, SystemTime};

/// Whether repeating a request can change the outcome. Declared by each endpoint, not derived
/// from the HTTP method: `POST /v1/search` is a read, `PATCH /v1/blocks/{id}/children` a create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Reads: retried on 5xx, timeouts and connection errors.
    Read,
    /// Creates, appends, updates, deletes, OAuth grants: a 5xx or a timeout may have been applied
    /// (or consumed a single-use code / rotating refresh token), so never repeated automatically.
    Write,
}

/// Retry limits and backoff shape for one [`super::NotionClient`].
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after a 429/529 (every kind of request: Notion did not process it).
    pub max_rate_limit_retries: u32,
    /// Retries of a read after a 5xx, a timeout or a connection error.
    pub max_server_retries: u32,
    /// First backoff step; doubled on every further attempt.
    pub base_backoff: Duration,
    /// Upper bound of one backoff step.
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not slept inline: the call returns
    /// `NotionError::RateLimited` so a long-running job can checkpoint and come back later.
    pub max_inline_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_rate_limit_retries: 5,
            max_server_retries: 2,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_inline_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the `attempt`-th backoff (0-based): `base * 2^attempt`, capped.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// A full-jitter backoff: uniform in `[0, ceiling]`, so parallel clients spread out.
    pub fn backoff(&self, attempt: u32) -> Duration {
        jitter(self.backoff_ceiling(attempt), rand::random::<f64>())
    }

    /// The wait after a 429/529 that came without a usable `Retry-After`: grows per attempt
    /// from one second (not jittered: the bucket pause already serializes callers).
    pub fn missing_retry_after(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        super::error::DEFAULT_RETRY_AFTER
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// Scales `ceiling` by `unit` in `[0, 1)`; pulled out so the range is testable without randomness.
fn jitter(ceiling: Duration, unit: f64) -> Duration {
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

/// Parses `Retry-After`: delta-seconds (`"2"`, also tolerating `"1.5"`) or an HTTP date, which
/// is turned into a delay from `now` (a date in the past means "now").
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).ok())
            .flatten();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// HTTP statuses worth retrying for reads (Notion's own transient failures).
pub(crate) fn is_transient_status(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504)
}

/// Statuses that mean "slow down": honored for every kind of request.
pub(crate) fn is_rate_limit_status(status: u16) -> bool {
    matches!(status, 429 | 529)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_delta_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
    }

    #[test]
    fn parses_http_dates_relative_to_now() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        // A date already past means "retry now", not an error.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        let future = now + Duration::from_secs(120);
        let header = httpdate::fmt_http_date(future);
        assert_eq!(
            parse_retry_after(&header, now),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn backoff_ceiling_doubles_and_caps() {
        let policy = RetryPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.backoff_ceiling(0), Duration::from_millis(100));
        assert_eq!(policy.backoff_ceiling(1), Duration::from_millis(200));
        assert_eq!(policy.backoff_ceiling(3), Duration::from_millis(800));
        assert_eq!(policy.backoff_ceiling(4), Duration::from_secs(1));
        assert_eq!(policy.backoff_ceiling(200), Duration::from_secs(1));
    }

    #[test]
    fn full_jitter_stays_within_zero_and_ceiling_and_varies() {
        let policy = RetryPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let ceiling = policy.backoff_ceiling(2);
        let samples: Vec<Duration> = (0..200).map(|_| policy.backoff(2)).collect();
        assert!(samples.iter().all(|d| *d <= ceiling));
        let distinct: std::collections::BTreeSet<_> = samples.iter().collect();
        assert!(distinct.len() > 50, "jitter should spread values");
        assert!(samples.iter().any(|d| *d < ceiling / 2));
        assert!(samples.iter().any(|d| *d > ceiling / 2));
        assert_eq!(jitter(ceiling, 0.0), Duration::ZERO);
        assert_eq!(jitter(ceiling, 1.0), ceiling);
        assert_eq!(jitter(ceiling, 7.0), ceiling);
    }

    #[test]
    fn missing_retry_after_grows_from_one_second() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.missing_retry_after(0), Duration::from_secs(1));
        assert_eq!(policy.missing_retry_after(1), Duration::from_secs(2));
        assert_eq!(policy.missing_retry_after(10), Duration::from_secs(60));
    }

    #[test]
    fn classifies_statuses() {
        for status in [500, 502, 503, 504] {
            assert!(is_transient_status(status));
        }
        for status in [400, 401, 404, 409, 429, 501, 529] {
            assert!(!is_transient_status(status), "{status}");
        }
        assert!(is_rate_limit_status(429));
        assert!(is_rate_limit_status(529));
        assert!(!is_rate_limit_status(503));
    }
}
