//! Dead letters of app webhooks in DynamoDB, in the sync-state table under their own partition:
//! `pk` = `app_webhook_dead_letters`, `sk` = the dead letter id (sortable by creation), `doc` (S,
//! the dead letter as JSON). They are rare and read by an operator, so one partition is enough
//! and no table is added.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

use super::error::store_error;
use super::item::{Item, get_s, s};
use crate::ports::{DeadLetter, DeadLetterStore, StoreError};

/// The partition key of every dead letter.
pub const DEAD_LETTER_PARTITION: &str = "app_webhook_dead_letters";

#[derive(Debug, Clone)]
pub struct DynamoDeadLetterStore {
    client: Client,
    table: String,
}

impl DynamoDeadLetterStore {
    /// `table` is the sync-state table.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn from_item(item: &Item) -> Result<DeadLetter, StoreError> {
    serde_json::from_str(get_s(item, "doc")?).map_err(StoreError::corrupt)
}

#[async_trait]
impl DeadLetterStore for DynamoDeadLetterStore {
    async fn put(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let doc = serde_json::to_string(letter).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(DEAD_LETTER_PARTITION))
            .item("sk", s(&letter.id))
            .item("doc", s(doc))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<DeadLetter>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(DEAD_LETTER_PARTITION))
            .key("sk", s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        output.item.as_ref().map(from_item).transpose()
    }

    async fn list(&self, after: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        let limit = limit.max(1);
        let mut found = Vec::new();
        let mut start = after.map(|id| {
            Item::from([
                ("pk".to_owned(), s(DEAD_LETTER_PARTITION)),
                ("sk".to_owned(), s(id)),
            ])
        });
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(DEAD_LETTER_PARTITION))
                .limit(i32::try_from(limit - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .consistent_read(true)
                .send()
                .await
                .map_err(store_error)?;
            for item in output.items() {
                found.push(from_item(item)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() && found.len() < limit => start = Some(key),
                _ => return Ok(found),
            }
        }
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(DEAD_LETTER_PARTITION))
            .key("sk", s(id))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
