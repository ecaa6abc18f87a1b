//! Envelope encryption: a fresh 256-bit data key per message encrypts it with AES-256-GCM; the key
//! vault wraps the data key under its master key. The encryption context is bound twice: the vault
//! needs it to unwrap the data key, and it is the AES-GCM associated data, so a ciphertext made for
//! one connection cannot be opened as another's.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::zeroize::Zeroizing;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::ids::ConnectionId;

pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 12;

/// Key-value pairs every encryption is bound to (KMS's encryption context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    /// `{"connection_id": id}`: tokens are bound to their connection.
    pub fn for_connection(id: &ConnectionId) -> Self {
        Self(BTreeMap::from([(
            "connection_id".to_owned(),
            id.to_string(),
        )]))
    }

    pub fn pairs(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// A canonical, unambiguous byte form (sorted, length-prefixed) used as associated data.
    pub fn to_aad(&self) -> Vec<u8> {
        let mut aad = Vec::new();
        for (key, value) in &self.0 {
            for part in [key, value] {
                aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
                aad.extend_from_slice(part.as_bytes());
            }
        }
        aad
    }
}

/// A data key: its plaintext (zeroed on drop, never printed) and its wrapped form.
pub struct DataKey {
    pub plaintext: Zeroizing<[u8; KEY_LEN]>,
    pub wrapped: Vec<u8>,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("plaintext", &"[redacted]")
            .field("wrapped_len", &self.wrapped.len())
            .finish()
    }
}

/// An encrypted message: what is stored. Contains no plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Which master key wrapped the data key (KMS key ARN, or the local key's id).
    pub key_id: String,
    #[serde(with = "base64_bytes")]
    pub wrapped_key: Vec<u8>,
    #[serde(with = "base64_bytes")]
    pub nonce: Vec<u8>,
    #[serde(with = "base64_bytes")]
    pub ciphertext: Vec<u8>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("encryption failed")]
    Encrypt,
    /// Wrong key, wrong context or tampered data: deliberately not more specific.
    #[error("decryption failed")]
    Decrypt,
    #[error("malformed key material")]
    Malformed,
}

/// A fresh random 256-bit key.
pub fn random_key() -> Zeroizing<[u8; KEY_LEN]> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    rand::fill(&mut key[..]);
    key
}

/// AES-256-GCM with a random nonce. Returns (nonce, ciphertext with tag).
pub fn seal(key: &[u8], aad: &[u8], plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::Malformed)?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::fill(&mut nonce[..]);
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Encrypt)?;
    Ok((nonce.to_vec(), ciphertext))
}

/// Opens what [`seal`] made; fails unless key, nonce, associated data and ciphertext all match.
pub fn open(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::Malformed)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Decrypt)?;
    cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// Copies a 32-byte key out of a buffer (e.g. KMS's plaintext data key).
pub fn key_from_slice(bytes: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::Malformed)?;
    Ok(Zeroizing::new(array))
}

mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        BASE64.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_bind_the_associated_data() {
        let key = random_key();
        let (nonce, ciphertext) = seal(&key[..], b"ctx-a", b"hello").unwrap();
        assert_eq!(
            &open(&key[..], &nonce, b"ctx-a", &ciphertext).unwrap()[..],
            b"hello"
        );
        assert_eq!(
            open(&key[..], &nonce, b"ctx-b", &ciphertext),
            Err(CryptoError::Decrypt)
        );
        let other = random_key();
        assert_eq!(
            open(&other[..], &nonce, b"ctx-a", &ciphertext),
            Err(CryptoError::Decrypt)
        );
        let mut tampered = ciphertext.clone();
        tampered[0] ^= 1;
        assert_eq!(
            open(&key[..], &nonce, b"ctx-a", &tampered),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(
            open(&key[..], b"short", b"ctx-a", &ciphertext),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn context_aad_is_unambiguous() {
        let a = EncryptionContext(BTreeMap::from([("ab".into(), "c".into())]));
        let b = EncryptionContext(BTreeMap::from([("a".into(), "bc".into())]));
        assert_ne!(a.to_aad(), b.to_aad());
        let id = ConnectionId::random();
        assert_eq!(
            EncryptionContext::for_connection(&id).pairs()["connection_id"],
            id.to_string()
        );
    }

    #[test]
    fn data_keys_redact() {
        let key = DataKey {
            plaintext: random_key(),
            wrapped: vec![1, 2, 3],
        };
        assert!(format!("{key:?}").contains("redacted"));
    }
}
