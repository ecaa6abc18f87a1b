//! Dead letters of app webhooks in the embedded database.

use async_trait::async_trait;
use redb::ReadableDatabase;

use super::db::{DEAD_LETTERS, EmbeddedDb, decode, encode, page_after};
use crate::ports::{DeadLetter, DeadLetterStore, StoreError};

#[derive(Debug, Clone)]
pub struct EmbeddedDeadLetterStore {
    db: EmbeddedDb,
}

impl EmbeddedDeadLetterStore {
    pub fn new(db: EmbeddedDb) -> Self {
        Self { db }
    }
}

#[async_trait]
impl DeadLetterStore for EmbeddedDeadLetterStore {
    async fn put(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let id = letter.id.clone();
        let bytes = encode(letter)?;
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                txn.open_table(DEAD_LETTERS)?
                    .insert(id.as_str(), bytes.as_slice())?;
                txn.commit()?;
                Ok(())
            })
            .await
    }

    async fn get(&self, id: &str) -> Result<Option<DeadLetter>, StoreError> {
        let id = id.to_owned();
        self.db
            .run(move |db| {
                let txn = db.begin_read()?;
                match txn.open_table(DEAD_LETTERS)?.get(id.as_str())? {
                    Some(bytes) => decode(bytes.value()).map(Some),
                    None => Ok(None),
                }
            })
            .await
    }

    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        let after = after.map(str::to_owned);
        self.db
            .run(move |db| page_after(db, DEAD_LETTERS, after.as_deref(), limit))
            .await
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.db
            .run(move |db| {
                let txn = db.begin_write()?;
                txn.open_table(DEAD_LETTERS)?.remove(id.as_str())?;
                txn.commit()?;
                Ok(())
            })
            .await
    }
}
