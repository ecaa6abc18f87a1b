//! A local key vault: the master key is 32 random bytes in a file created on first run with
//! owner-only permissions (0600). Data keys are wrapped with AES-256-GCM under the master key,
//! with the encryption context as associated data, like KMS does.

use std::io::{ErrorKind, Read, Write};
use std::path::Path;

use async_trait::async_trait;
use secrecy::zeroize::Zeroizing;
use sha2::{Digest, Sha256};

use crate::domain::crypto::{self, KEY_LEN, NONCE_LEN};
use crate::domain::{DataKey, EncryptionContext};
use crate::ports::{KeyVault, KeyVaultError};

/// The master key's file name under the data folder.
pub const MASTER_KEY_FILE: &str = "master.key";

pub struct LocalKeyVault {
    master: Zeroizing<[u8; KEY_LEN]>,
    key_id: String,
}

impl std::fmt::Debug for LocalKeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKeyVault")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl LocalKeyVault {
    /// Reads `data_dir/master.key`, creating it (0600) with a fresh key if it does not exist.
    pub fn open_or_create(data_dir: &Path) -> Result<Self, KeyVaultError> {
        super::db::create_private_dir(data_dir).map_err(backend)?;
        let path = data_dir.join(MASTER_KEY_FILE);
        let master = match create_new(&path) {
            Ok(key) => key,
            Err(err) if err.kind() == ErrorKind::AlreadyExists => read_key(&path)?,
            Err(err) => return Err(backend(err)),
        };
        let key_id = format!("local:{}", &hex::encode(Sha256::digest(&master[..]))[..16]);
        Ok(Self { master, key_id })
    }
}

fn backend(err: std::io::Error) -> KeyVaultError {
    KeyVaultError::Backend(format!("master key file: {err}"))
}

/// Creates the key file atomically: the key is written and synced to a private temporary file
/// in the same folder, then hard-linked into place, which fails if a key already exists. A crash
/// or a concurrent reader never sees a partly written key; of two concurrent creators one wins
/// and the other reads the winner's key.
fn create_new(path: &Path) -> std::io::Result<Zeroizing<[u8; KEY_LEN]>> {
    let folder = path.parent().unwrap_or_else(|| Path::new("."));
    let temporary = folder.join(format!(
        ".{MASTER_KEY_FILE}.{}.tmp",
        hex::encode(&crypto::random_key()[..8])
    ));
    let key = crypto::random_key();
    let result = write_private(&temporary, &key[..])
        .and_then(|()| std::fs::hard_link(&temporary, path))
        .and_then(|()| sync_folder(folder));
    // The temporary name goes in every case; the key (if linked) stays under its final name.
    let _ = std::fs::remove_file(&temporary);
    result.map(|()| key)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the new directory entry durable (a no-op where folders cannot be opened).
fn sync_folder(folder: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(folder)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = folder;
    Ok(())
}

fn read_key(path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyVaultError> {
    let mut bytes = Zeroizing::new(Vec::new());
    std::fs::File::open(path)
        .and_then(|mut file| file.read_to_end(&mut bytes))
        .map_err(backend)?;
    crypto::key_from_slice(&bytes).map_err(|_| KeyVaultError::Malformed)
}

#[async_trait]
impl KeyVault for LocalKeyVault {
    fn key_id(&self) -> String {
        self.key_id.clone()
    }

    async fn generate_data_key(
        &self,
        context: &EncryptionContext,
    ) -> Result<DataKey, KeyVaultError> {
        let plaintext = crypto::random_key();
        let (nonce, ciphertext) =
            crypto::seal(&self.master[..], &context.to_aad(), &plaintext[..])?;
        let mut wrapped = nonce;
        wrapped.extend_from_slice(&ciphertext);
        Ok(DataKey { plaintext, wrapped })
    }

    async fn decrypt_data_key(
        &self,
        wrapped: &[u8],
        context: &EncryptionContext,
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyVaultError> {
        if wrapped.len() <= NONCE_LEN {
            return Err(KeyVaultError::Denied);
        }
        let (nonce, ciphertext) = wrapped.split_at(NONCE_LEN);
        let key = crypto::open(&self.master[..], nonce, &context.to_aad(), ciphertext)?;
        crypto::key_from_slice(&key).map_err(|_| KeyVaultError::Denied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ConnectionId;

    #[tokio::test]
    async fn master_key_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let vault = LocalKeyVault::open_or_create(&data).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join(MASTER_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = std::fs::metadata(&data).unwrap().permissions().mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        let a = EncryptionContext::for_connection(&ConnectionId::random());
        let b = EncryptionContext::for_connection(&ConnectionId::random());
        let envelope = vault.encrypt(&a, b"token").await.unwrap();
        // Reopening reads the same key.
        let reopened = LocalKeyVault::open_or_create(&data).unwrap();
        assert_eq!(reopened.key_id(), vault.key_id());
        assert_eq!(
            &reopened.decrypt(&a, &envelope).await.unwrap()[..],
            b"token"
        );
        assert!(matches!(
            reopened.decrypt(&b, &envelope).await,
            Err(KeyVaultError::Denied)
        ));
        // Another master key cannot open it.
        let other = LocalKeyVault::open_or_create(&dir.path().join("other")).unwrap();
        assert!(matches!(
            other.decrypt(&a, &envelope).await,
            Err(KeyVaultError::Denied)
        ));
    }

    #[test]
    fn concurrent_first_opens_all_end_with_the_same_key() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("data");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    let data = data.clone();
                    let barrier = barrier.clone();
                    std::thread::spawn(move || {
                        barrier.wait();
                        LocalKeyVault::open_or_create(&data).map(|vault| vault.key_id())
                    })
                })
                .collect();
            let ids: Vec<String> = threads
                .into_iter()
                .map(|thread| thread.join().unwrap().unwrap())
                .collect();
            assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
            let reopened = LocalKeyVault::open_or_create(&data).unwrap();
            assert_eq!(reopened.key_id(), ids[0]);
        }
    }

    #[test]
    fn a_truncated_key_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MASTER_KEY_FILE), b"short").unwrap();
        assert!(matches!(
            LocalKeyVault::open_or_create(dir.path()),
            Err(KeyVaultError::Malformed)
        ));
    }
}
