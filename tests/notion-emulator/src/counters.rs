//! Request counters for tests and benchmarks.

use std::collections::BTreeMap;

/// A snapshot of the counters since start or the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Every request under `/v1`.
    pub total: u64,
    /// 429 answers (rate limit and injected).
    pub rate_limited: u64,
    /// Keyed by method and route, e.g. `GET /v1/blocks/{id}/children`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Keyed by the grant id (a non-secret label, see `TokenGrant::grant_id`).
    pub by_token: BTreeMap<String, u64>,
}

impl Counters {
    pub fn record_request(&mut self, endpoint: &str) {
        self.total += 1;
        *self.by_endpoint.entry(endpoint.to_string()).or_insert(0) += 1;
    }

    pub fn record_token(&mut self, grant_id: &str) {
        *self.by_token.entry(grant_id.to_string()).or_insert(0) += 1;
    }

    pub fn record_rate_limited(&mut self) {
        self.rate_limited += 1;
    }

    /// Requests to one endpoint key (0 when never called).
    pub fn endpoint(&self, key: &str) -> u64 {
        self.by_endpoint.get(key).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accumulate_per_key() {
        let mut c = Counters::default();
        c.record_request("GET /v1/users");
        c.record_request("GET /v1/users");
        c.record_request("POST /v1/search");
        c.record_token("grant-1");
        c.record_rate_limited();
        assert_eq!(c.total, 3);
        assert_eq!(c.endpoint("GET /v1/users"), 2);
        assert_eq!(c.endpoint("GET /v1/pages/{id}"), 0);
        assert_eq!(c.by_token["grant-1"], 1);
        assert_eq!(c.rate_limited, 1);
    }
}
