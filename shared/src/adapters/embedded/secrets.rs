//! Secrets for one machine: environment variables first (see [`SecretName::env_var`]), then
//! `secrets.json` in the data folder, which `put` rewrites atomically with owner-only permissions.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::zeroize::Zeroizing;

use crate::adapters::secret_cache::SecretCache;
use crate::ports::{SecretName, SecretsError, SecretsProvider};
use crate::secret::SecretString;

/// The secrets file's name under the data folder.
pub const SECRETS_FILE: &str = "secrets.json";

#[derive(Debug)]
pub struct FileSecrets {
    env: HashMap<String, String>,
    file: PathBuf,
    cache: SecretCache,
    write_lock: Arc<tokio::sync::Mutex<()>>,
}

impl FileSecrets {
    /// `env` is the process environment (passed in so tests can give their own).
    pub fn new(data_dir: &Path, env: HashMap<String, String>, cache_ttl: Duration) -> Self {
        Self {
            env,
            file: data_dir.join(SECRETS_FILE),
            cache: SecretCache::new(cache_ttl),
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }
}

fn backend(err: impl std::fmt::Display) -> SecretsError {
    SecretsError::Backend(format!("secrets file: {err}"))
}

fn read_file(path: &Path) -> Result<BTreeMap<String, String>, SecretsError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            serde_json::from_slice(&bytes).map_err(|_| backend("not a JSON object of strings"))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(err) => Err(backend(err)),
    }
}

/// Writes `secrets` to a temporary file (0600) beside `path`, then renames it over `path`.
fn write_file(path: &Path, secrets: &BTreeMap<String, String>) -> Result<(), SecretsError> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        super::db::create_private_dir(dir).map_err(backend)?;
    }
    let bytes = Zeroizing::new(serde_json::to_vec_pretty(secrets).map_err(backend)?);
    let temp = path.with_extension(format!("json.tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temp).map_err(backend)?;
    file.write_all(&bytes).map_err(backend)?;
    file.sync_all().map_err(backend)?;
    std::fs::rename(&temp, path).map_err(backend)
}

#[async_trait]
impl SecretsProvider for FileSecrets {
    async fn get(&self, name: &SecretName) -> Result<SecretString, SecretsError> {
        if let Some(value) = self.cache.get(name) {
            return Ok(value);
        }
        let from_env = self
            .env
            .get(&name.env_var())
            .filter(|value| !value.trim().is_empty())
            .cloned();
        let value = match from_env {
            Some(value) => value,
            None => {
                let path = self.file.clone();
                let mut secrets = tokio::task::spawn_blocking(move || read_file(&path))
                    .await
                    .map_err(backend)??;
                secrets
                    .remove(name.as_str())
                    .ok_or_else(|| SecretsError::NotFound(name.clone()))?
            }
        };
        let value = SecretString::new(value);
        self.cache.insert(name, value.clone());
        Ok(value)
    }

    async fn put(&self, name: &SecretName, value: &SecretString) -> Result<(), SecretsError> {
        let _guard = self.write_lock.lock().await;
        let path = self.file.clone();
        let key = name.as_str().to_owned();
        let plain = value.expose().to_owned();
        tokio::task::spawn_blocking(move || {
            let mut secrets = read_file(&path)?;
            secrets.insert(key, plain);
            write_file(&path, &secrets)
        })
        .await
        .map_err(backend)??;
        self.cache.insert(name, value.clone());
        Ok(())
    }

    fn invalidate(&self, name: &SecretName) {
        self.cache.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn environment_wins_and_puts_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let env = HashMap::from([("RELAY_API_KEY".to_owned(), "from-env".to_owned())]);
        let secrets = FileSecrets::new(dir.path(), env, Duration::from_secs(60));
        let api_key = SecretName::api_key();
        assert_eq!(secrets.get(&api_key).await.unwrap().expose(), "from-env");
        let token = SecretName::webhook_verification_token();
        assert!(matches!(
            secrets.get(&token).await,
            Err(SecretsError::NotFound(_))
        ));
        secrets.put(&token, &SecretString::new("v1")).await.unwrap();
        secrets.invalidate(&token);
        assert_eq!(secrets.get(&token).await.unwrap().expose(), "v1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(secrets.file())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Another provider over the same folder sees the stored value.
        let again = FileSecrets::new(dir.path(), HashMap::new(), Duration::from_secs(60));
        assert_eq!(again.get(&token).await.unwrap().expose(), "v1");
    }
}
