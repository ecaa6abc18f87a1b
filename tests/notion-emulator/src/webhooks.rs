//! Signed webhook delivery: Notion's event envelope, `X-Notion-Signature`, bounded retries.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::config::WebhookTarget;

/// The API version stamped on emitted events.
pub const EVENT_API_VERSION: &str = "2026-03-11";

/// Events kept for inspection (`Emulator::webhook_events`).
const LOG_LIMIT: usize = 10_000;

/// An event produced by a change, before its envelope is built.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEvent {
    /// `page.created`, `page.content_updated`, ...
    pub kind: String,
    pub entity_id: String,
    /// `page`, `block`, `database`, `data_source`, `comment`.
    pub entity_type: String,
    /// The `data` object.
    pub data: Value,
    /// Who made the change: (user id, `person` | `bot`).
    pub author_id: String,
    pub author_type: String,
}

impl PendingEvent {
    pub fn new(
        kind: &str,
        entity_type: &str,
        entity_id: &str,
        data: Value,
        author_id: &str,
        author_type: &str,
    ) -> PendingEvent {
        PendingEvent {
            kind: kind.to_string(),
            entity_id: entity_id.to_string(),
            entity_type: entity_type.to_string(),
            data,
            author_id: author_id.to_string(),
            author_type: author_type.to_string(),
        }
    }
}

/// `sha256=<hex of HMAC-SHA256(key = verification token, message = raw body)>`.
pub fn signature(verification_token: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(verification_token.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Outcome of one event's delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryRecord {
    pub event_id: String,
    pub event_type: String,
    pub attempts: u32,
    /// Last HTTP status seen (None: connection failed).
    pub last_status: Option<u16>,
    pub delivered: bool,
}

#[derive(Debug, Default)]
pub struct WebhookLog {
    pub events: Vec<Value>,
    pub deliveries: Vec<DeliveryRecord>,
}

impl WebhookLog {
    pub fn push_event(&mut self, event: Value) {
        if self.events.len() >= LOG_LIMIT {
            self.events.remove(0);
        }
        self.events.push(event);
    }

    fn push_delivery(&mut self, record: DeliveryRecord) {
        if self.deliveries.len() >= LOG_LIMIT {
            self.deliveries.remove(0);
        }
        self.deliveries.push(record);
    }
}

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct DeliveryPolicy {
    pub max_attempts: u32,
    pub first_delay: Duration,
}

/// POSTs `event` (with `attempt_number` 1..=max) until a 2xx answer or the attempts run out.
pub async fn deliver(
    http: reqwest::Client,
    target: WebhookTarget,
    mut event: Value,
    policy: DeliveryPolicy,
    log: Arc<Mutex<WebhookLog>>,
) {
    let max = policy.max_attempts.max(1);
    let mut delay = policy.first_delay;
    let mut record = DeliveryRecord {
        event_id: event["id"].as_str().unwrap_or_default().to_string(),
        event_type: event["type"].as_str().unwrap_or_default().to_string(),
        attempts: 0,
        last_status: None,
        delivered: false,
    };
    for attempt in 1..=max {
        event["attempt_number"] = json!(attempt);
        let body = serde_json::to_vec(&event).unwrap_or_default();
        let sig = signature(&target.verification_token, &body);
        record.attempts = attempt;
        let result = http
            .post(&target.url)
            .header("content-type", "application/json")
            .header("X-Notion-Signature", sig)
            .timeout(Duration::from_secs(10))
            .body(body)
            .send()
            .await;
        match result {
            Ok(resp) => {
                record.last_status = Some(resp.status().as_u16());
                if resp.status().is_success() {
                    record.delivered = true;
                    break;
                }
            }
            Err(_) => record.last_status = None,
        }
        tracing::debug!(event_id = %record.event_id, attempt, "webhook delivery failed");
        if attempt < max {
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
        }
    }
    if let Ok(mut log) = log.lock() {
        log.push_delivery(record);
    }
}

/// Sends the unsigned verification handshake `{"verification_token": "..."}`; answers the status.
pub async fn send_verification(
    http: &reqwest::Client,
    target: &WebhookTarget,
) -> Result<u16, reqwest::Error> {
    let resp = http
        .post(&target.url)
        .json(&json!({"verification_token": target.verification_token}))
        .timeout(Duration::from_secs(10))
        .send()
        .await?;
    Ok(resp.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_known_vector() {
        // HMAC-SHA256 test case 2 of RFC 4231.
        let sig = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
