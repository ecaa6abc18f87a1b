//! Jobs on the sync queue.

use sha2::{Digest, Sha256};

use super::ids::ConnectionId;

/// A job to send. Jobs of one connection form one FIFO group: they are delivered in order and
/// never two at once. Two jobs with the same deduplication id sent within five minutes are
/// delivered once.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingJob {
    pub group: ConnectionId,
    pub deduplication_id: String,
    pub body: serde_json::Value,
}

impl OutgoingJob {
    pub fn new(
        group: ConnectionId,
        deduplication_id: impl Into<String>,
        body: serde_json::Value,
    ) -> Self {
        Self {
            group,
            deduplication_id: deduplication_id.into(),
            body,
        }
    }

    /// The deduplication id as SQS accepts it (at most 128 characters from a fixed set): kept when
    /// valid, otherwise replaced by its SHA-256 in hex.
    pub fn wire_deduplication_id(&self) -> String {
        let raw = &self.deduplication_id;
        let valid = !raw.is_empty()
            && raw.len() <= 128
            && raw.bytes().all(|b| {
                b.is_ascii_alphanumeric() || b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".contains(&b)
            });
        if valid {
            raw.clone()
        } else {
            hex::encode(Sha256::digest(raw.as_bytes()))
        }
    }
}

/// Proof of receipt: acknowledge or change visibility with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceiptHandle(pub String);

#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedJob {
    pub receipt: ReceiptHandle,
    pub message_id: String,
    pub group: ConnectionId,
    pub body: serde_json::Value,
    /// How many times the job has been received, this time included.
    pub receive_count: u32,
}

/// The result of a batch send: how many requests it took and which jobs failed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SendReport {
    pub batches: usize,
    pub sent: usize,
    pub failed: Vec<SendFailure>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendFailure {
    /// Index into the jobs given to `send_batch`.
    pub index: usize,
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn deduplication_ids_fit_sqs() {
        let job = OutgoingJob::new(ConnectionId::random(), "sync:abc-1", json!({}));
        assert_eq!(job.wire_deduplication_id(), "sync:abc-1");
        let long = OutgoingJob::new(ConnectionId::random(), "x".repeat(200), json!({}));
        assert_eq!(long.wire_deduplication_id().len(), 64);
        let spaced = OutgoingJob::new(ConnectionId::random(), "a b", json!({}));
        assert_ne!(spaced.wire_deduplication_id(), "a b");
    }
}
