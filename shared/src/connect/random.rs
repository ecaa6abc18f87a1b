//! Unguessable tokens for connect sessions and OAuth states.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::secret::SecretString;

/// Random bytes per token: 256 bits.
pub const TOKEN_BYTES: usize = 32;

/// A fresh random token: 32 bytes from the OS-seeded generator, base64url without padding
/// (43 characters, safe in a URL without escaping).
pub fn random_token() -> SecretString {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::fill(&mut bytes[..]);
    SecretString::new(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `raw` has the shape of a token from [`random_token`]. Cheap rejection of garbage
/// before any store lookup; says nothing about whether the token exists.
pub fn looks_like_token(raw: &str) -> bool {
    raw.len() == 43
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_url_safe_unique_and_recognised() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        assert!(looks_like_token(a.expose()));
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token(&"a".repeat(42).replace('a', "+")));
        assert!(!looks_like_token(&format!("{}=", &a.expose()[..42])));
    }
}
