//! A small time-bounded cache of secret values, shared by both secrets providers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ports::SecretName;
use crate::secret::SecretString;

/// Default time a secret value is served from memory before it is re-read.
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub struct SecretCache {
    ttl: Duration,
    entries: Mutex<HashMap<SecretName, (SecretString, Instant)>>,
}

impl SecretCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, name: &SecretName) -> Option<SecretString> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        entries
            .get(name)
            .filter(|(_, stored_at)| stored_at.elapsed() < self.ttl)
            .map(|(value, _)| value.clone())
    }

    pub fn insert(&self, name: &SecretName, value: SecretString) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        entries.insert(name.clone(), (value, Instant::now()));
    }

    pub fn remove(&self, name: &SecretName) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        entries.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_removed() {
        let cache = SecretCache::new(Duration::from_millis(50));
        let name = SecretName::api_key();
        cache.insert(&name, SecretString::new("v1"));
        assert_eq!(cache.get(&name).unwrap().expose(), "v1");
        cache.remove(&name);
        assert!(cache.get(&name).is_none());
        cache.insert(&name, SecretString::new("v1"));
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get(&name).is_none());
    }
}
