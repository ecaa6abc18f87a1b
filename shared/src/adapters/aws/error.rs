//! Mapping SDK errors to the ports' errors. Messages carry the service's error code and text
//! (DynamoDB, SQS, KMS and Secrets Manager never echo item values or secrets in them).

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::ports::StoreError;

pub(crate) fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    DisplayErrorContext(error).to_string()
}

pub(crate) fn store_error<E, R>(error: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Backend(describe(&error))
}

pub(crate) fn code<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<&str> {
    error.code()
}

pub(crate) fn is_conditional_failure<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    code(error) == Some("ConditionalCheckFailedException")
}

/// Whether a TransactWriteItems failure is a lost race (a condition or a concurrent transaction),
/// worth re-reading and retrying, and which operations' conditions failed.
pub(crate) fn transaction_conflict(
    error: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError>,
) -> Option<Vec<usize>> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            let reasons = cancelled.cancellation_reasons();
            let retryable = reasons.iter().all(|reason| {
                matches!(
                    reason.code(),
                    None | Some("None" | "ConditionalCheckFailed" | "TransactionConflict")
                )
            });
            retryable.then(|| {
                reasons
                    .iter()
                    .enumerate()
                    .filter(|(_, reason)| reason.code() == Some("ConditionalCheckFailed"))
                    .map(|(index, _)| index)
                    .collect()
            })
        }
        Some(TransactWriteItemsError::TransactionInProgressException(_)) => Some(Vec::new()),
        _ => None,
    }
}

pub(crate) fn build_error(error: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Backend(format!("request build failed: {error}"))
}

/// A short random pause before retrying a lost race, growing with the attempt number.
pub(crate) async fn backoff(attempt: u32) {
    let cap_ms = 10u64 << attempt.min(6);
    let jitter = rand::random_range(0..=cap_ms);
    tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
}
