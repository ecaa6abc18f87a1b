//! `relay-provision`: creates (idempotently) every AWS resource Relay uses, against
//! `AWS_ENDPOINT_URL` (moto) or the default AWS configuration (a fresh account). Names come from
//! the same `RELAY_*` variables the functions read. Secret values are never printed.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser;
use relay_shared::adapters::aws::provision::{
    DEFAULT_MAX_RECEIVE_COUNT, ProvisionOptions, provision,
};
use relay_shared::adapters::aws::{AwsClients, AwsResources, load_sdk_config};
use relay_shared::ports::SecretName;
use relay_shared::secret::SecretString;

#[derive(Debug, Parser)]
#[command(name = "relay-provision", about)]
struct Args {
    /// Receives before a sync job moves to the dead-letter queue.
    #[arg(long, default_value_t = DEFAULT_MAX_RECEIVE_COUNT)]
    max_receive_count: u32,
    /// The sync queue's visibility timeout, in seconds (keep it above the worker's timeout).
    #[arg(long, default_value_t = 960)]
    visibility_timeout_seconds: u64,
    /// Do not generate the API key and webhook signing secret when they are missing.
    #[arg(long)]
    no_generate: bool,
}

/// A random 256-bit secret, URL-safe.
fn generate_secret(prefix: &str) -> SecretString {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    SecretString::new(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The secrets Relay needs, with the value to create each with when missing: from the
/// environment, or generated for what Relay owns. Without a value a missing one is reported.
fn seed_secrets(
    env: &HashMap<String, String>,
    generate: bool,
) -> Vec<(SecretName, Option<SecretString>)> {
    let mut seeds = Vec::new();
    let names = [
        (SecretName::api_key(), Some("rk_")),
        (SecretName::webhook_signing_secret(), Some("whsec_")),
        (SecretName::notion_client_id(), None),
        (SecretName::notion_client_secret(), None),
    ];
    for (name, generated_prefix) in names {
        let from_env = env
            .get(&name.env_var())
            .filter(|value| !value.trim().is_empty())
            .map(|value| SecretString::new(value.clone()));
        let value = match (from_env, generated_prefix) {
            (Some(value), _) => Some(value),
            (None, Some(prefix)) if generate => Some(generate_secret(prefix)),
            (None, _) => None,
        };
        seeds.push((name, value));
    }
    seeds
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    let resources = AwsResources::from_vars(&env);
    match env.get("AWS_ENDPOINT_URL").filter(|v| !v.is_empty()) {
        Some(endpoint) => println!("provisioning against {endpoint}"),
        None => println!("provisioning against the default AWS account and region"),
    }
    let sdk = load_sdk_config().await;
    let clients = AwsClients::new(&sdk);
    let secrets = seed_secrets(&env, !args.no_generate);
    let options = ProvisionOptions {
        max_receive_count: args.max_receive_count,
        visibility_timeout: Duration::from_secs(args.visibility_timeout_seconds),
        secrets,
    };
    let provisioned = match provision(&clients, &resources, &options).await {
        Ok(provisioned) => provisioned,
        Err(err) => {
            eprintln!("relay-provision: {err}");
            return ExitCode::FAILURE;
        }
    };
    for created in &provisioned.created {
        println!("created {created}");
    }
    if provisioned.created.is_empty() {
        println!("everything already existed");
    }
    for (name, _) in &options.secrets {
        let id = format!("{}{}", resources.secrets_prefix, name);
        if provisioned.missing_secrets.contains(&id) {
            println!(
                "secret {id} does not exist yet: set {} and run again, or create it with the AWS CLI",
                name.env_var()
            );
        }
    }
    println!();
    println!("RELAY_CONNECTIONS_TABLE={}", resources.connections_table);
    println!("RELAY_RECORDS_TABLE={}", resources.records_table);
    println!("RELAY_SYNC_STATE_TABLE={}", resources.sync_state_table);
    println!("RELAY_EPHEMERAL_TABLE={}", resources.ephemeral_table);
    println!("RELAY_SYNC_QUEUE_URL={}", provisioned.sync_queue_url);
    println!("RELAY_SYNC_DLQ_URL={}", provisioned.sync_dlq_url);
    println!("RELAY_KMS_KEY_ID={}", resources.kms_key_id);
    println!("RELAY_SECRETS_PREFIX={}", resources.secrets_prefix);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_from_env_and_generates_owned_secrets() {
        let env = HashMap::from([("NOTION_CLIENT_ID".to_owned(), "client-1".to_owned())]);
        let seeds = seed_secrets(&env, true);
        let with_value: Vec<&str> = seeds
            .iter()
            .filter(|(_, value)| value.is_some())
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(
            with_value,
            vec!["api-key", "webhook-signing-secret", "notion-client-id"]
        );
        assert_eq!(seeds[3].0, SecretName::notion_client_secret());
        assert!(seeds[3].1.is_none());
        let api_key = seeds[0].1.as_ref().unwrap();
        assert!(api_key.expose().starts_with("rk_"));
        assert_ne!(api_key.expose(), generate_secret("rk_").expose());
        assert_eq!(seeds[2].1.as_ref().unwrap().expose(), "client-1");
        let seeds = seed_secrets(&HashMap::new(), false);
        assert!(seeds.iter().all(|(_, value)| value.is_none()));
    }
}
