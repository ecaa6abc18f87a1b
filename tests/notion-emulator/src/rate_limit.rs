//! Token bucket per connection (grant).

use std::collections::HashMap;
use std::time::Instant;

use crate::config::RateLimit;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    limit: Option<RateLimit>,
    buckets: HashMap<String, Bucket>,
}

impl RateLimiter {
    pub fn new(limit: Option<RateLimit>) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: HashMap::new(),
        }
    }

    /// Replaces the limit; every bucket starts full again.
    pub fn set_limit(&mut self, limit: Option<RateLimit>) {
        self.limit = limit;
        self.buckets.clear();
    }

    pub fn limit(&self) -> Option<RateLimit> {
        self.limit
    }

    /// Takes one token for `key`, or answers the whole seconds to wait (the `Retry-After`).
    pub fn check(&mut self, key: &str, now: Instant) -> Result<(), u64> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let capacity = f64::from(limit.burst.max(1));
        let rate = if limit.requests_per_second.is_finite() && limit.requests_per_second > 0.0 {
            limit.requests_per_second
        } else {
            0.0
        };
        let bucket = self.buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        if rate <= 0.0 {
            return Err(60);
        }
        let wait = (1.0 - bucket.tokens) / rate;
        Err(wait.ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn unlimited_always_passes() {
        let mut l = RateLimiter::new(None);
        let now = Instant::now();
        for _ in 0..1000 {
            assert!(l.check("a", now).is_ok());
        }
    }

    #[test]
    fn burst_then_refill() {
        let mut l = RateLimiter::new(Some(RateLimit {
            requests_per_second: 2.0,
            burst: 3,
        }));
        let t0 = Instant::now();
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_ok());
        assert!(l.check("a", t0).is_ok());
        assert_eq!(l.check("a", t0), Err(1));
        // Another key has its own bucket.
        assert!(l.check("b", t0).is_ok());
        // Half a second refills one token at 2/s.
        assert!(l.check("a", t0 + Duration::from_millis(500)).is_ok());
        assert!(l.check("a", t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn slow_rates_give_longer_retry_after() {
        let mut l = RateLimiter::new(Some(RateLimit {
            requests_per_second: 0.25,
            burst: 1,
        }));
        let t0 = Instant::now();
        assert!(l.check("a", t0).is_ok());
        assert_eq!(l.check("a", t0), Err(4));
    }
}
