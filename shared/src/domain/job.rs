//! Jobs on the sync queue.

use std::collections::HashSet;
use std::hash::Hash;

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

/// Picks the jobs of the next batch request from `pending` (indexes into the jobs, in send
/// order): up to `max`, and at most one per group, always the group's first pending job. A later
/// job of a group therefore goes out only once every earlier one of its group was sent (or
/// failed for good): when an earlier one must be retried, the later ones are held back and follow
/// it in order, so a partly failed request never reorders a connection's jobs.
pub fn next_send_batch<G: Eq + Hash>(
    pending: &[usize],
    group_of: impl Fn(usize) -> G,
    max: usize,
) -> Vec<usize> {
    let mut groups = HashSet::new();
    let mut batch = Vec::new();
    for &index in pending {
        if batch.len() >= max {
            break;
        }
        // The group's first pending job takes its place even when the batch is full of others.
        if groups.insert(group_of(index)) {
            batch.push(index);
        }
    }
    batch
}

/// Splits one receive into the first message of each group (kept, in receive order) and the
/// rest (to make visible again at once). A FIFO queue may hand out several messages of one group
/// in one receive; keeping only the first keeps at most one job per connection in flight, and
/// releasing the others right away keeps the group's order.
pub fn first_of_each_group<T, G: Eq + Hash>(
    items: Vec<T>,
    group_of: impl Fn(&T) -> G,
) -> (Vec<T>, Vec<T>) {
    let mut groups = HashSet::new();
    items
        .into_iter()
        .partition(|item| groups.insert(group_of(item)))
}

/// The batch item failures to report for one SQS event of a FIFO queue, given each message's
/// `(group, message id, processed ok)` in delivery order. The event source may deliver several
/// messages of one group in one batch: once one of a group fails, it and every later message of
/// that group are reported (whatever their own outcome), so the group is redelivered from the
/// failed message on and its order holds. Callers should not process a group's messages after its
/// first failure; their `ok` is ignored.
pub fn failures_after_first_failure<G: Eq + Hash, M: Clone>(batch: &[(G, M, bool)]) -> Vec<M> {
    let mut failed_groups = HashSet::new();
    batch
        .iter()
        .filter(|(group, _, ok)| {
            failed_groups.contains(group) || (!ok && failed_groups.insert(group))
        })
        .map(|(_, message_id, _)| message_id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_failure_fails_every_later_message_of_its_group_only() {
        let batch = [
            ("g1", "m1", true),
            ("g2", "m2", false),
            ("g1", "m3", false),
            ("g2", "m4", true),
            ("g3", "m5", true),
            ("g1", "m6", true),
            ("g2", "m7", false),
        ];
        assert_eq!(
            failures_after_first_failure(&batch),
            vec!["m2", "m3", "m4", "m6", "m7"]
        );
        assert!(failures_after_first_failure(&[("g", "m", true)]).is_empty());
        assert!(failures_after_first_failure::<&str, &str>(&[]).is_empty());
    }

    #[test]
    fn one_receive_keeps_the_first_message_of_each_group() {
        let received = vec![("a", 1), ("a", 2), ("b", 3), ("a", 4), ("c", 5), ("b", 6)];
        let (kept, released) = first_of_each_group(received, |(group, _)| *group);
        assert_eq!(kept, vec![("a", 1), ("b", 3), ("c", 5)]);
        assert_eq!(released, vec![("a", 2), ("a", 4), ("b", 6)]);
    }

    /// Simulates batch sends where some entries fail once: every group's jobs still arrive in
    /// order, however the failures fall.
    #[test]
    fn retried_jobs_never_fall_behind_later_jobs_of_their_group() {
        let groups = ["a", "a", "b", "a", "b", "c", "a", "c", "b", "a", "a", "c"];
        for failing_once in 0..groups.len() {
            let mut pending: Vec<usize> = (0..groups.len()).collect();
            let mut failed_before = false;
            let mut arrived: Vec<usize> = Vec::new();
            let mut requests = 0;
            while !pending.is_empty() {
                requests += 1;
                assert!(requests < 100);
                let batch = next_send_batch(&pending, |index| groups[index], 10);
                let mut in_batch = HashSet::new();
                assert!(batch.iter().all(|index| in_batch.insert(groups[*index])));
                for index in batch {
                    if index == failing_once && !failed_before {
                        failed_before = true;
                        continue;
                    }
                    arrived.push(index);
                    pending.retain(|pending| *pending != index);
                }
            }
            for group in ["a", "b", "c"] {
                let order: Vec<usize> = arrived
                    .iter()
                    .copied()
                    .filter(|index| groups[*index] == group)
                    .collect();
                assert!(order.is_sorted(), "group {group} reordered: {order:?}");
            }
            assert_eq!(arrived.len(), groups.len());
        }
    }

    #[test]
    fn a_batch_is_capped_and_takes_groups_in_order() {
        let pending: Vec<usize> = (0..30).collect();
        let batch = next_send_batch(&pending, |index| index, 10);
        assert_eq!(batch, (0..10).collect::<Vec<_>>());
        let batch = next_send_batch(&pending, |index| index % 3, 10);
        assert_eq!(batch, vec![0, 1, 2]);
    }

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
