//! The incoming webhook path on the AWS adapter family (moto): the `by_workspace` index, the
//! ephemeral table's markers and SQS FIFO batches.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
mod contract_support;

use std::time::Duration;

use contract_support::Harness;
use relay_shared::app::{AppContext, Settings};
use relay_shared::config::NotionConfig;
use relay_shared::domain::{
    Connection, ConnectionId, EndUser, EndUserId, SyncJob, TokenPair, Workspace, timestamp,
};
use relay_shared::ports::SecretName;
use relay_shared::secret::SecretString;
use relay_shared::webhooks::signature::notion_signature;
use relay_shared::webhooks::{IncomingError, IncomingOptions, IncomingOutcome, IncomingWebhooks};
use serde_json::json;

const TOKEN: &str = "secret_aws_verification_token";

async fn connection(h: &Harness, user: &str, workspace: &str) -> ConnectionId {
    let id = ConnectionId::random();
    let sealed = h
        .adapters
        .tokens
        .seal(
            &id,
            &TokenPair {
                access: SecretString::new("access"),
                refresh: None,
            },
        )
        .await
        .unwrap();
    let connection = Connection::new(
        id,
        EndUser {
            id: EndUserId::parse(user).unwrap(),
            email: None,
            display_name: None,
            organization: None,
        },
        Workspace {
            id: workspace.into(),
            name: None,
            icon: None,
        },
        "bot".into(),
        json!({}),
        sealed,
        timestamp::now(),
    );
    h.adapters.connections.create(&connection).await.unwrap();
    id
}

fn event(id: &str, page: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": id, "workspace_id": "ws-aws", "type": "page.content_updated",
        "entity": {"id": page, "type": "page"}, "data": {}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_are_verified_deduplicated_routed_and_queued_on_aws() {
    let h = Harness::aws().await;
    let a = connection(&h, "user-a", "ws-aws").await;
    let b = connection(&h, "user-b", "ws-aws").await;
    connection(&h, "user-c", "ws-elsewhere").await;
    let settings = Settings {
        public_url: url::Url::parse("http://127.0.0.1:1").unwrap(),
        return_url_allowlist: vec![],
        notion: NotionConfig::default(),
    };
    let ctx = AppContext::new(h.adapters.clone(), settings).unwrap();
    let service = IncomingWebhooks::new(ctx, IncomingOptions::default());
    let handshake = serde_json::to_vec(&json!({"verification_token": TOKEN})).unwrap();
    assert_eq!(
        service.handle(None, &handshake).await.unwrap(),
        IncomingOutcome::Handshake
    );
    h.adapters
        .secrets
        .invalidate(&SecretName::webhook_verification_token());
    assert_eq!(
        h.adapters
            .secrets
            .get(&SecretName::webhook_verification_token())
            .await
            .unwrap()
            .expose(),
        TOKEN
    );

    let page = "59833787-2cf9-4fdf-8782-e53db20768a5";
    let body = event("evt-aws-1", page);
    let signature = notion_signature(TOKEN, &body);
    let first = service.handle(Some(&signature), &body).await.unwrap();
    assert!(
        matches!(
            first,
            IncomingOutcome::Processed {
                connections: 2,
                jobs: 2,
                ..
            }
        ),
        "{first:?}"
    );
    assert_eq!(
        service.handle(Some(&signature), &body).await.unwrap(),
        IncomingOutcome::Duplicate
    );
    // More events for the page while the jobs wait: collapsed.
    for n in 2..6 {
        let body = event(&format!("evt-aws-{n}"), page);
        let outcome = service
            .handle(Some(&notion_signature(TOKEN, &body)), &body)
            .await
            .unwrap();
        assert!(
            matches!(
                outcome,
                IncomingOutcome::Processed {
                    jobs: 0,
                    collapsed: 2,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }
    assert!(matches!(
        service.handle(Some("sha256=00"), &body).await,
        Err(IncomingError::Unauthorized)
    ));

    let mut received = Vec::new();
    for _ in 0..5 {
        let jobs = h
            .adapters
            .queue
            .receive(10, Duration::from_secs(30), Duration::from_millis(200))
            .await
            .unwrap();
        if jobs.is_empty() && received.len() >= 2 {
            break;
        }
        received.extend(jobs);
    }
    let mut targets: Vec<(ConnectionId, String)> = received
        .iter()
        .map(
            |job| match serde_json::from_value::<SyncJob>(job.body.clone()).unwrap() {
                SyncJob::RefetchPage {
                    connection_id,
                    page_id,
                } => (connection_id, page_id),
                other => panic!("unexpected job {other:?}"),
            },
        )
        .collect();
    targets.sort();
    let mut expected = vec![(a, page.to_owned()), (b, page.to_owned())];
    expected.sort();
    assert_eq!(targets, expected);
}

/// A connections table made before the `by_workspace` index existed gets it from provisioning.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn provisioning_adds_the_workspace_index_to_an_older_table() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    use relay_shared::adapters::aws::provision::{ProvisionOptions, provision};
    use relay_shared::adapters::aws::{AwsClients, AwsResources};

    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(contract_support::moto::endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .load()
        .await;
    let clients = AwsClients::new(&sdk);
    let resources = AwsResources::with_prefix(&format!("t{:016x}-", rand::random::<u64>()));
    clients
        .dynamodb
        .create_table()
        .table_name(&resources.connections_table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let provisioned = provision(&clients, &resources, &ProvisionOptions::default())
        .await
        .unwrap();
    assert!(
        provisioned
            .created
            .iter()
            .any(|note| note.starts_with("index by_workspace")),
        "{:?}",
        provisioned.created
    );
    let table = clients
        .dynamodb
        .describe_table()
        .table_name(&resources.connections_table)
        .send()
        .await
        .unwrap();
    assert!(
        table
            .table()
            .unwrap()
            .global_secondary_indexes()
            .iter()
            .any(|index| index.index_name() == Some("by_workspace"))
    );
    let again = provision(&clients, &resources, &ProvisionOptions::default())
        .await
        .unwrap();
    assert!(again.created.is_empty(), "{:?}", again.created);
}
