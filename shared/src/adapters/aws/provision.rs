//! Creates Relay's AWS resources, idempotently: the four DynamoDB tables (on demand, with their
//! indexes and TTL), the FIFO queue and its DLQ, the KMS key and its alias, and missing secrets.
//! Used by the contract tests (against moto) and by the `relay-provision` CLI (moto or a fresh
//! account). The SAM template declares the same resources; infra/README.md lists them.

use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_sqs::types::QueueAttributeName;
use thiserror::Error;

use super::connection_store::{BY_END_USER_INDEX, BY_WORKSPACE_INDEX, DUE_FOR_SYNC_INDEX};
use super::record_store::{BY_CHANGE_ATTRIBUTES, BY_CHANGE_INDEX};
use super::{AwsClients, AwsResources};
use crate::ports::SecretName;
use crate::secret::SecretString;

/// The TTL attribute of the sync-state and ephemeral tables (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// The queue's redrive `maxReceiveCount` unless told otherwise.
pub const DEFAULT_MAX_RECEIVE_COUNT: u32 = 5;
/// The queue's visibility timeout unless told otherwise: above the worker's Lambda timeout.
pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(960);
/// DLQ retention: the SQS maximum, 14 days.
const DLQ_RETENTION_SECONDS: u32 = 1_209_600;

#[derive(Debug, Clone)]
pub struct ProvisionOptions {
    pub max_receive_count: u32,
    pub visibility_timeout: Duration,
    /// Secrets that must exist: created with the given value when missing (existing ones are
    /// left alone); without a value, a missing secret is reported in `missing_secrets`.
    pub secrets: Vec<(SecretName, Option<SecretString>)>,
}

impl Default for ProvisionOptions {
    fn default() -> Self {
        Self {
            max_receive_count: DEFAULT_MAX_RECEIVE_COUNT,
            visibility_timeout: DEFAULT_VISIBILITY_TIMEOUT,
            secrets: Vec::new(),
        }
    }
}

/// What exists after provisioning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provisioned {
    pub sync_queue_url: String,
    pub sync_dlq_url: String,
    pub kms_key_arn: String,
    /// Human-readable notes of what this run created (empty on a second run).
    pub created: Vec<String>,
    /// Secret ids that do not exist and had no value to create them with.
    pub missing_secrets: Vec<String>,
}

#[derive(Debug, Error)]
#[error("{what}: {message}")]
pub struct ProvisionError {
    pub what: String,
    pub message: String,
}

fn fail(what: impl Into<String>, message: impl ToString) -> ProvisionError {
    ProvisionError {
        what: what.into(),
        message: message.to_string(),
    }
}

fn attribute(name: &str, kind: ScalarAttributeType) -> Result<AttributeDefinition, ProvisionError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .map_err(|e| fail("attribute definition", e))
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, ProvisionError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| fail("key schema", e))
}

fn projection(kind: ProjectionType) -> Projection {
    Projection::builder().projection_type(kind).build()
}

/// Creates everything that is missing and returns the queue URLs and key ARN.
pub async fn provision(
    clients: &AwsClients,
    resources: &AwsResources,
    options: &ProvisionOptions,
) -> Result<Provisioned, ProvisionError> {
    let mut created = Vec::new();
    create_tables(clients, resources, &mut created).await?;
    let (sync_queue_url, sync_dlq_url) =
        create_queues(clients, resources, options, &mut created).await?;
    let kms_key_arn = create_key(clients, resources, &mut created).await?;
    let missing_secrets = create_secrets(clients, resources, options, &mut created).await?;
    Ok(Provisioned {
        sync_queue_url,
        sync_dlq_url,
        kms_key_arn,
        created,
        missing_secrets,
    })
}

async fn create_tables(
    clients: &AwsClients,
    resources: &AwsResources,
    created: &mut Vec<String>,
) -> Result<(), ProvisionError> {
    use KeyType::{Hash, Range};
    use ScalarAttributeType::{N, S};
    let db = &clients.dynamodb;

    let connections = db
        .create_table()
        .table_name(&resources.connections_table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk", S)?)
        .attribute_definitions(attribute("end_user_id", S)?)
        .attribute_definitions(attribute("created_at", N)?)
        .attribute_definitions(attribute("due_shard", N)?)
        .attribute_definitions(attribute("next_sync_at", N)?)
        .attribute_definitions(attribute("workspace_id", S)?)
        .key_schema(key("pk", Hash)?)
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(BY_END_USER_INDEX)
                .key_schema(key("end_user_id", Hash)?)
                .key_schema(key("created_at", Range)?)
                .projection(projection(ProjectionType::All))
                .build()
                .map_err(|e| fail("index", e))?,
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(DUE_FOR_SYNC_INDEX)
                .key_schema(key("due_shard", Hash)?)
                .key_schema(key("next_sync_at", Range)?)
                .projection(projection(ProjectionType::KeysOnly))
                .build()
                .map_err(|e| fail("index", e))?,
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(BY_WORKSPACE_INDEX)
                .key_schema(key("workspace_id", Hash)?)
                .projection(projection(ProjectionType::KeysOnly))
                .build()
                .map_err(|e| fail("index", e))?,
        );
    create_table(db, &resources.connections_table, connections, created).await?;
    ensure_workspace_index(db, &resources.connections_table, created).await?;

    let records = db
        .create_table()
        .table_name(&resources.records_table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk", S)?)
        .attribute_definitions(attribute("sk", S)?)
        .attribute_definitions(attribute("change_key", S)?)
        .key_schema(key("pk", Hash)?)
        .key_schema(key("sk", Range)?)
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(BY_CHANGE_INDEX)
                .key_schema(key("pk", Hash)?)
                .key_schema(key("change_key", Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::Include)
                        .set_non_key_attributes(Some(
                            BY_CHANGE_ATTRIBUTES
                                .iter()
                                .map(|a| (*a).to_owned())
                                .collect(),
                        ))
                        .build(),
                )
                .build()
                .map_err(|e| fail("index", e))?,
        );
    create_table(db, &resources.records_table, records, created).await?;

    let sync_state = db
        .create_table()
        .table_name(&resources.sync_state_table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk", S)?)
        .attribute_definitions(attribute("sk", S)?)
        .key_schema(key("pk", Hash)?)
        .key_schema(key("sk", Range)?);
    create_table(db, &resources.sync_state_table, sync_state, created).await?;
    enable_ttl(db, &resources.sync_state_table).await?;

    let ephemeral = db
        .create_table()
        .table_name(&resources.ephemeral_table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk", S)?)
        .key_schema(key("pk", Hash)?);
    create_table(db, &resources.ephemeral_table, ephemeral, created).await?;
    enable_ttl(db, &resources.ephemeral_table).await?;
    Ok(())
}

async fn create_table(
    db: &aws_sdk_dynamodb::Client,
    name: &str,
    request: aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder,
    created: &mut Vec<String>,
) -> Result<(), ProvisionError> {
    match request.send().await {
        Ok(_) => created.push(format!("table {name}")),
        Err(err) if err.code() == Some("ResourceInUseException") => {}
        Err(err) => {
            return Err(fail(
                format!("create table {name}"),
                DisplayErrorContext(&err),
            ));
        }
    }
    // A new table takes a few seconds to become usable on AWS (moto: at once).
    for _ in 0..120 {
        let output = db
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|err| fail(format!("describe table {name}"), DisplayErrorContext(&err)))?;
        if output.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(fail(format!("table {name}"), "did not become active"))
}

/// Adds the `by_workspace` index to a connections table created before it existed.
async fn ensure_workspace_index(
    db: &aws_sdk_dynamodb::Client,
    table: &str,
    created: &mut Vec<String>,
) -> Result<(), ProvisionError> {
    use aws_sdk_dynamodb::types::{CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate};
    let output = db
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|err| fail(format!("describe table {table}"), DisplayErrorContext(&err)))?;
    let present = output
        .table()
        .map(|t| t.global_secondary_indexes())
        .unwrap_or_default()
        .iter()
        .any(|index| index.index_name() == Some(BY_WORKSPACE_INDEX));
    if present {
        return Ok(());
    }
    let action = CreateGlobalSecondaryIndexAction::builder()
        .index_name(BY_WORKSPACE_INDEX)
        .key_schema(key("workspace_id", KeyType::Hash)?)
        .projection(projection(ProjectionType::KeysOnly))
        .build()
        .map_err(|e| fail("index", e))?;
    db.update_table()
        .table_name(table)
        .attribute_definitions(attribute("workspace_id", ScalarAttributeType::S)?)
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(action).build(),
        )
        .send()
        .await
        .map_err(|err| {
            fail(
                format!("add index {BY_WORKSPACE_INDEX} to {table}"),
                DisplayErrorContext(&err),
            )
        })?;
    created.push(format!("index {BY_WORKSPACE_INDEX} on {table}"));
    Ok(())
}

async fn enable_ttl(db: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), ProvisionError> {
    let current = db
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|err| {
            fail(
                format!("describe TTL of {table}"),
                DisplayErrorContext(&err),
            )
        })?;
    let status = current
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status());
    if matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    ) {
        return Ok(());
    }
    db.update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(|e| fail("TTL specification", e))?,
        )
        .send()
        .await
        .map_err(|err| fail(format!("enable TTL on {table}"), DisplayErrorContext(&err)))?;
    Ok(())
}

async fn create_queues(
    clients: &AwsClients,
    resources: &AwsResources,
    options: &ProvisionOptions,
    created: &mut Vec<String>,
) -> Result<(String, String), ProvisionError> {
    let sqs = &clients.sqs;
    let dlq_url = ensure_queue(
        sqs,
        &resources.sync_dlq_name,
        vec![(
            QueueAttributeName::MessageRetentionPeriod,
            DLQ_RETENTION_SECONDS.to_string(),
        )],
        created,
    )
    .await?;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|err| fail("read the DLQ's ARN", DisplayErrorContext(&err)))?
        .attributes
        .and_then(|mut attributes| attributes.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| fail("read the DLQ's ARN", "missing"))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": options.max_receive_count.max(1),
    })
    .to_string();
    let queue_url = ensure_queue(
        sqs,
        &resources.sync_queue_name,
        vec![
            (
                QueueAttributeName::VisibilityTimeout,
                options.visibility_timeout.as_secs().to_string(),
            ),
            (QueueAttributeName::RedrivePolicy, redrive),
        ],
        created,
    )
    .await?;
    Ok((queue_url, dlq_url))
}

/// Creates a FIFO queue with `attributes`, or brings an existing one's attributes up to date.
async fn ensure_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attributes: Vec<(QueueAttributeName, String)>,
    created: &mut Vec<String>,
) -> Result<String, ProvisionError> {
    if let Ok(existing) = sqs.get_queue_url().queue_name(name).send().await {
        let url = existing
            .queue_url
            .ok_or_else(|| fail(format!("queue {name}"), "no URL"))?;
        sqs.set_queue_attributes()
            .queue_url(&url)
            .set_attributes(Some(attributes.into_iter().collect()))
            .send()
            .await
            .map_err(|err| fail(format!("update queue {name}"), DisplayErrorContext(&err)))?;
        return Ok(url);
    }
    let mut request = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true");
    for (attribute, value) in attributes {
        request = request.attributes(attribute, value);
    }
    let url = request
        .send()
        .await
        .map_err(|err| fail(format!("create queue {name}"), DisplayErrorContext(&err)))?
        .queue_url
        .ok_or_else(|| fail(format!("queue {name}"), "no URL"))?;
    created.push(format!("queue {name}"));
    Ok(url)
}

async fn create_key(
    clients: &AwsClients,
    resources: &AwsResources,
    created: &mut Vec<String>,
) -> Result<String, ProvisionError> {
    let kms = &clients.kms;
    let key_id = &resources.kms_key_id;
    match kms.describe_key().key_id(key_id).send().await {
        Ok(output) => {
            return output
                .key_metadata()
                .and_then(|m| m.arn().map(str::to_owned))
                .ok_or_else(|| fail(format!("key {key_id}"), "no ARN"));
        }
        Err(err) if err.code() == Some("NotFoundException") => {}
        Err(err) => {
            return Err(fail(
                format!("describe key {key_id}"),
                DisplayErrorContext(&err),
            ));
        }
    }
    let Some(_) = key_id.strip_prefix("alias/") else {
        return Err(fail(
            format!("key {key_id}"),
            "does not exist; only an alias (alias/...) can be created",
        ));
    };
    let output = kms
        .create_key()
        .description("Notion Relay: envelope encryption of OAuth tokens")
        .send()
        .await
        .map_err(|err| fail("create key", DisplayErrorContext(&err)))?;
    let metadata = output
        .key_metadata()
        .ok_or_else(|| fail("create key", "no key metadata"))?;
    let arn = metadata
        .arn()
        .map(str::to_owned)
        .ok_or_else(|| fail("create key", "no ARN"))?;
    if let Err(err) = kms
        .enable_key_rotation()
        .key_id(metadata.key_id())
        .send()
        .await
    {
        tracing::warn!(error = %DisplayErrorContext(&err), "could not enable key rotation");
    }
    kms.create_alias()
        .alias_name(key_id)
        .target_key_id(metadata.key_id())
        .send()
        .await
        .map_err(|err| fail(format!("create alias {key_id}"), DisplayErrorContext(&err)))?;
    created.push(format!("KMS key {key_id}"));
    Ok(arn)
}

async fn create_secrets(
    clients: &AwsClients,
    resources: &AwsResources,
    options: &ProvisionOptions,
    created: &mut Vec<String>,
) -> Result<Vec<String>, ProvisionError> {
    let secrets = &clients.secrets;
    let mut missing = Vec::new();
    for (name, value) in &options.secrets {
        let id = format!("{}{}", resources.secrets_prefix, name.as_str());
        match secrets.describe_secret().secret_id(&id).send().await {
            Ok(_) => continue,
            Err(err) if err.code() == Some("ResourceNotFoundException") => {}
            Err(err) => {
                return Err(fail(
                    format!("describe secret {id}"),
                    DisplayErrorContext(&err),
                ));
            }
        }
        let Some(value) = value else {
            missing.push(id);
            continue;
        };
        secrets
            .create_secret()
            .name(&id)
            .secret_string(value.expose())
            .send()
            .await
            .map_err(|err| fail(format!("create secret {id}"), DisplayErrorContext(&err)))?;
        created.push(format!("secret {id}"));
    }
    Ok(missing)
}
