//! Secrets Manager: secret `x` is `<RELAY_SECRETS_PREFIX>x` (default `notion-relay/x`), a plain
//! string. Reads are cached for `RELAY_SECRETS_CACHE_SECONDS`; `invalidate` forces a re-read after
//! a rotation. `put` writes a new version (creating the secret if needed).

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};

use crate::adapters::secret_cache::SecretCache;
use crate::ports::{SecretName, SecretsError, SecretsProvider};
use crate::secret::SecretString;

#[derive(Debug)]
pub struct SecretsManagerSecrets {
    client: Client,
    prefix: String,
    cache: SecretCache,
}

impl SecretsManagerSecrets {
    pub fn new(client: Client, prefix: impl Into<String>, cache_ttl: std::time::Duration) -> Self {
        Self {
            client,
            prefix: prefix.into(),
            cache: SecretCache::new(cache_ttl),
        }
    }

    /// The Secrets Manager id of `name`.
    pub fn secret_id(&self, name: &SecretName) -> String {
        format!("{}{}", self.prefix, name.as_str())
    }
}

fn backend<E, R>(error: &aws_sdk_secretsmanager::error::SdkError<E, R>) -> SecretsError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    SecretsError::Backend(DisplayErrorContext(error).to_string())
}

#[async_trait]
impl SecretsProvider for SecretsManagerSecrets {
    async fn get(&self, name: &SecretName) -> Result<SecretString, SecretsError> {
        if let Some(value) = self.cache.get(name) {
            return Ok(value);
        }
        let result = self
            .client
            .get_secret_value()
            .secret_id(self.secret_id(name))
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(err) if err.code() == Some("ResourceNotFoundException") => {
                return Err(SecretsError::NotFound(name.clone()));
            }
            Err(err) => return Err(backend(&err)),
        };
        let value = output
            .secret_string
            .map(SecretString::new)
            .ok_or_else(|| SecretsError::NotFound(name.clone()))?;
        self.cache.insert(name, value.clone());
        Ok(value)
    }

    async fn put(&self, name: &SecretName, value: &SecretString) -> Result<(), SecretsError> {
        let id = self.secret_id(name);
        let result = self
            .client
            .put_secret_value()
            .secret_id(&id)
            .secret_string(value.expose())
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(err) if err.code() == Some("ResourceNotFoundException") => {
                self.client
                    .create_secret()
                    .name(&id)
                    .secret_string(value.expose())
                    .send()
                    .await
                    .map_err(|err| backend(&err))?;
            }
            Err(err) => return Err(backend(&err)),
        }
        self.cache.insert(name, value.clone());
        Ok(())
    }

    fn invalidate(&self, name: &SecretName) {
        self.cache.remove(name);
    }
}
