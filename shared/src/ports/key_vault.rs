//! The key vault: wraps data keys under a master key (KMS or a local key file), bound to an
//! encryption context. Messages are encrypted with the data keys (see [`crate::domain::crypto`]).

use async_trait::async_trait;
use secrecy::zeroize::Zeroizing;
use thiserror::Error;

use crate::domain::crypto::{self, CryptoError, KEY_LEN};
use crate::domain::{DataKey, EncryptionContext, Envelope};

#[derive(Debug, Error)]
pub enum KeyVaultError {
    /// Wrong context, wrong key or tampered ciphertext. Deliberately unspecific.
    #[error("decryption refused")]
    Denied,
    #[error("encryption failed")]
    Encrypt,
    #[error("key material is malformed")]
    Malformed,
    #[error("key vault backend error: {0}")]
    Backend(String),
}

impl From<CryptoError> for KeyVaultError {
    fn from(error: CryptoError) -> Self {
        match error {
            CryptoError::Encrypt => Self::Encrypt,
            CryptoError::Decrypt => Self::Denied,
            CryptoError::Malformed => Self::Malformed,
        }
    }
}

#[async_trait]
pub trait KeyVault: Send + Sync {
    /// The master key's id, recorded in every envelope.
    fn key_id(&self) -> String;

    /// A fresh data key, wrapped under the master key with `context`.
    async fn generate_data_key(
        &self,
        context: &EncryptionContext,
    ) -> Result<DataKey, KeyVaultError>;

    /// Unwraps a data key; fails with `Denied` under any other context.
    async fn decrypt_data_key(
        &self,
        wrapped: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyVaultError>;

    /// Envelope-encrypts `plaintext` for `context`.
    async fn encrypt(
        &self,
        context: &EncryptionContext,
        plaintext: &[u8],
    ) -> Result<Envelope, KeyVaultError> {
        let key = self.generate_data_key(context).await?;
        let (nonce, ciphertext) = crypto::seal(&key.plaintext[..], &context.to_aad(), plaintext)?;
        Ok(Envelope {
            key_id: self.key_id(),
            wrapped_key: key.wrapped,
            nonce,
            ciphertext,
        })
    }

    /// Opens an envelope made for `context`.
    async fn decrypt(
        &self,
        context: &EncryptionContext,
        envelope: &Envelope,
    ) -> Result<Zeroizing<Vec<u8>>, KeyVaultError> {
        let key = self
            .decrypt_data_key(&envelope.wrapped_key, context)
            .await?;
        Ok(crypto::open(
            &key[..],
            &envelope.nonce,
            &context.to_aad(),
            &envelope.ciphertext,
        )?)
    }
}
