//! Secrets (tokens, keys, signatures, OAuth codes) live in [`SecretString`], which never prints its
//! value: `Debug` and `Display` both redact, and there is deliberately no `Serialize`, so a secret
//! cannot reach a log line, an error message or a response body by accident.

use std::fmt;

use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const REDACTED: &str = "[redacted]";

/// A secret string. Read it only where it is sent over the wire, with [`SecretString::expose`].
#[derive(Clone)]
pub struct SecretString(secrecy::SecretString);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(secrecy::SecretString::from(value.into()))
    }

    /// The plain value. Call sites are few and easy to audit: headers, request bodies, encryption.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// Compares with `other` in constant time. Both sides are hashed first so that neither the
    /// position of the first difference nor the secret's length leaks through timing.
    pub fn constant_time_eq(&self, other: &str) -> bool {
        constant_time_eq(self.expose().as_bytes(), other.as_bytes())
    }
}

/// Constant-time equality of two byte strings of any length (hash, then compare digests).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let a = Sha256::digest(a);
    let b = Sha256::digest(b);
    a.as_slice().ct_eq(b.as_slice()).into()
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let secret = SecretString::new("secret_abc123");
        assert_eq!(format!("{secret:?}"), REDACTED);
        assert_eq!(format!("{secret}"), REDACTED);
        assert!(!format!("{:?}", Some(&secret)).contains("abc123"));
    }

    #[test]
    fn constant_time_comparison() {
        let secret = SecretString::new("key-1");
        assert!(secret.constant_time_eq("key-1"));
        assert!(!secret.constant_time_eq("key-2"));
        assert!(!secret.constant_time_eq("key-1 "));
        assert!(!secret.constant_time_eq(""));
    }
}
