//! Short-lived items in DynamoDB.
//!
//! Table `RELAY_EPHEMERAL_TABLE`, key `pk` (S) = `<namespace>#<sha256(key)>`; `item_value` (S,
//! JSON), `expires_at_ms` (N), and the TTL attribute `expires_at` (N, epoch seconds). DynamoDB's
//! TTL deletes expired items within a day or two; until then every read checks `expires_at_ms`.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ReturnValue;

use super::error::{is_conditional_failure, store_error};
use super::item::{Item, get_n, get_s, n, s};
use crate::domain::timestamp::{self, from_millis, to_millis};
use crate::ports::{EphemeralItem, EphemeralNamespace, EphemeralStore, StoreError};

#[derive(Debug, Clone)]
pub struct DynamoEphemeralStore {
    client: Client,
    table: String,
}

impl DynamoEphemeralStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn item(key: String, value: &serde_json::Value, ttl: Duration) -> Result<Item, StoreError> {
        let expires = to_millis(timestamp::after(timestamp::now(), ttl));
        let json = serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(Item::from([
            ("pk".to_owned(), s(key)),
            ("item_value".to_owned(), s(json)),
            ("expires_at_ms".to_owned(), n(expires)),
            ("expires_at".to_owned(), n(expires / 1000 + 1)),
        ]))
    }
}

fn decode(item: &Item) -> Result<EphemeralItem, StoreError> {
    Ok(EphemeralItem {
        value: serde_json::from_str(get_s(item, "item_value")?).map_err(StoreError::corrupt)?,
        expires_at: from_millis(get_n(item, "expires_at_ms")?),
    })
}

#[async_trait]
impl EphemeralStore for DynamoEphemeralStore {
    async fn put_if_absent(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
        value: &serde_json::Value,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(namespace.storage_key(key), value, ttl)?))
            .condition_expression("attribute_not_exists(pk) OR expires_at_ms <= :now")
            .expression_attribute_values(":now", n(to_millis(timestamp::now())))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_conditional_failure(&err) => Ok(false),
            Err(err) => Err(store_error(err)),
        }
    }

    async fn put(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
        value: &serde_json::Value,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(namespace.storage_key(key), value, ttl)?))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn get(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
    ) -> Result<Option<EphemeralItem>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(namespace.storage_key(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        let now = timestamp::now();
        match output.item {
            Some(item) => Ok(Some(decode(&item)?).filter(|item| item.expires_at > now)),
            None => Ok(None),
        }
    }

    async fn take(
        &self,
        namespace: EphemeralNamespace,
        key: &str,
    ) -> Result<Option<EphemeralItem>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(namespace.storage_key(key)))
            .condition_expression("expires_at_ms > :now")
            .expression_attribute_values(":now", n(to_millis(timestamp::now())))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => output.attributes.map(|item| decode(&item)).transpose(),
            Err(err) if is_conditional_failure(&err) => Ok(None),
            Err(err) => Err(store_error(err)),
        }
    }

    async fn delete(&self, namespace: EphemeralNamespace, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(namespace.storage_key(key)))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
