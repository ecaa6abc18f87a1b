//! HMAC-SHA256 signatures: Notion's `X-Notion-Signature` on incoming events, and Relay's own
//! `Relay-Signature` on the events it sends to the app. Every comparison is constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::secret::SecretString;

type HmacSha256 = Hmac<Sha256>;

/// The header Notion signs its events with.
pub const NOTION_SIGNATURE_HEADER: &str = "x-notion-signature";
/// The header Relay signs app events with.
pub const RELAY_SIGNATURE_HEADER: &str = "relay-signature";
/// The header carrying the app event's id.
pub const RELAY_EVENT_ID_HEADER: &str = "relay-event-id";

fn mac(key: &[u8]) -> Option<HmacSha256> {
    HmacSha256::new_from_slice(key).ok()
}

/// Whether `header` is `sha256=` + hex HMAC-SHA256(key = verification token, raw body). The
/// expected MAC is checked with the `hmac` crate's constant-time comparison.
pub fn verify_notion_signature(token: &SecretString, body: &[u8], header: &str) -> bool {
    let Some(hex_mac) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(presented) = hex::decode(hex_mac) else {
        return false;
    };
    if token.is_empty() {
        return false;
    }
    let Some(mut mac) = mac(token.expose().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&presented).is_ok()
}

/// `sha256=<hex>` as Notion computes it (tests and the bench sign with it).
pub fn notion_signature(token: &str, body: &[u8]) -> String {
    let Some(mut mac) = mac(token.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` under the signing secret.
pub fn relay_signature(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    let Some(mut mac) = mac(secret.expose().as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Checks a `Relay-Signature` header as the app should: the MAC over `"<t>.<body>"` (constant
/// time) and a timestamp within `tolerance_seconds` of `now` (stops replays of old requests).
pub fn verify_relay_signature(
    secret: &SecretString,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_seconds: i64,
) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    // Checked: the timestamp is attacker input (`t=-9223372036854775808` must not overflow).
    match now.checked_sub(timestamp).and_then(i64::checked_abs) {
        Some(age) if age <= tolerance_seconds => {}
        _ => return false,
    }
    signatures.into_iter().any(|signature| {
        let Ok(presented) = hex::decode(signature) else {
            return false;
        };
        let Some(mut mac) = mac(secret.expose().as_bytes()) else {
            return false;
        };
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&presented).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notion_signatures_match_a_known_vector_and_refuse_changes() {
        // HMAC-SHA256 test case 2 of RFC 4231.
        let token = SecretString::new("Jefe");
        let body = b"what do ya want for nothing?";
        let header = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(notion_signature("Jefe", body), header);
        assert!(verify_notion_signature(&token, body, header));
        assert!(!verify_notion_signature(
            &token,
            b"what do ya want for nothing!",
            header
        ));
        assert!(!verify_notion_signature(
            &token,
            body,
            &header.replace("sha256=", "")
        ));
        assert!(!verify_notion_signature(&token, body, "sha256=zz"));
        assert!(!verify_notion_signature(&token, body, ""));
        assert!(!verify_notion_signature(
            &SecretString::new(""),
            body,
            header
        ));
        assert!(!verify_notion_signature(
            &SecretString::new("other"),
            body,
            header
        ));
    }

    #[test]
    fn relay_signatures_bind_time_and_body() {
        let secret = SecretString::new("whsec_test");
        let body = br#"{"id":"e1"}"#;
        let header = relay_signature(&secret, 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify_relay_signature(
            &secret,
            &header,
            body,
            1_700_000_100,
            300
        ));
        assert!(!verify_relay_signature(
            &secret,
            &header,
            body,
            1_700_001_000,
            300
        ));
        assert!(!verify_relay_signature(
            &secret,
            &header,
            b"{}",
            1_700_000_000,
            300
        ));
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert!(!verify_relay_signature(
            &secret,
            &moved,
            body,
            1_700_000_000,
            300
        ));
        assert!(!verify_relay_signature(
            &SecretString::new("x"),
            &header,
            body,
            1_700_000_000,
            300
        ));
    }

    #[test]
    fn extreme_relay_timestamps_are_refused_without_panicking() {
        let secret = SecretString::new("whsec_test");
        for header in [
            "t=-9223372036854775808,v1=00",
            "t=9223372036854775807,v1=00",
        ] {
            assert!(!verify_relay_signature(
                &secret,
                header,
                b"{}",
                1_700_000_000,
                300
            ));
            assert!(!verify_relay_signature(&secret, header, b"{}", -5, 300));
        }
    }
}
