//! The key vault on KMS: GenerateDataKey (AES_256) and Decrypt, both with the encryption context,
//! so KMS itself refuses to unwrap one connection's data key for another.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use secrecy::zeroize::Zeroizing;

use crate::domain::crypto::{self, KEY_LEN};
use crate::domain::{DataKey, EncryptionContext};
use crate::ports::{KeyVault, KeyVaultError};

#[derive(Debug, Clone)]
pub struct KmsKeyVault {
    client: Client,
    key_id: String,
}

impl KmsKeyVault {
    /// `key_id`: a key id, ARN or alias (`alias/notion-relay`).
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        Self {
            client,
            key_id: key_id.into(),
        }
    }
}

fn context_map(context: &EncryptionContext) -> HashMap<String, String> {
    context.pairs().clone().into_iter().collect()
}

fn backend<E, R>(error: &aws_sdk_kms::error::SdkError<E, R>) -> KeyVaultError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    KeyVaultError::Backend(DisplayErrorContext(error).to_string())
}

#[async_trait]
impl KeyVault for KmsKeyVault {
    fn key_id(&self) -> String {
        self.key_id.clone()
    }

    async fn generate_data_key(
        &self,
        context: &EncryptionContext,
    ) -> Result<DataKey, KeyVaultError> {
        let output = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .set_encryption_context(Some(context_map(context)))
            .send()
            .await
            .map_err(|err| backend(&err))?;
        let plaintext = Zeroizing::new(output.plaintext.map(Blob::into_inner).unwrap_or_default());
        Ok(DataKey {
            plaintext: crypto::key_from_slice(&plaintext)?,
            wrapped: output
                .ciphertext_blob
                .map(Blob::into_inner)
                .ok_or(KeyVaultError::Malformed)?,
        })
    }

    async fn decrypt_data_key(
        &self,
        wrapped: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyVaultError> {
        let result = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .set_encryption_context(Some(context_map(context)))
            .send()
            .await;
        match result {
            Ok(output) => {
                let plaintext =
                    Zeroizing::new(output.plaintext.map(Blob::into_inner).unwrap_or_default());
                crypto::key_from_slice(&plaintext).map_err(|_| KeyVaultError::Denied)
            }
            Err(err)
                if matches!(
                    err.code(),
                    Some(
                        "InvalidCiphertextException"
                            | "IncorrectKeyException"
                            | "AccessDeniedException"
                    )
                ) =>
            {
                Err(KeyVaultError::Denied)
            }
            Err(err) => Err(backend(&err)),
        }
    }
}
