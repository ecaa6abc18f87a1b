//! An in-process job queue with SQS FIFO semantics: per-group order with one job in flight per
//! group, visibility timeouts and redelivery, five-minute deduplication, and a dead-letter list
//! after too many receives. Jobs live in memory: the scheduler re-enqueues due work after a restart.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::{Mutex, Notify};

use crate::domain::{
    ConnectionId, OutgoingJob, ReceiptHandle, ReceivedJob, SendReport, next_send_batch,
};
use crate::ports::{JobQueue, QueueError};

/// SQS FIFO's deduplication window.
const DEDUPLICATION_WINDOW: Duration = Duration::from_secs(300);
/// How often a waiting receive looks again for jobs whose visibility timeout ran out.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
const BATCH_SIZE: usize = 10;

#[derive(Debug)]
struct Message {
    id: u64,
    group: ConnectionId,
    body: serde_json::Value,
    receive_count: u32,
    visible_at: Instant,
    receipt: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    messages: VecDeque<Message>,
    dead: Vec<Message>,
    seen_deduplication_ids: HashMap<String, Instant>,
    next_id: u64,
    next_receipt: u64,
}

#[derive(Debug)]
pub struct InProcessJobQueue {
    state: Mutex<State>,
    arrived: Notify,
    max_receives: u32,
}

impl InProcessJobQueue {
    /// A queue whose jobs move to the dead-letter list when received more than `max_receives`
    /// times without an ack (the redrive policy's maxReceiveCount).
    pub fn new(max_receives: u32) -> Self {
        Self {
            state: Mutex::new(State::default()),
            arrived: Notify::new(),
            max_receives: max_receives.max(1),
        }
    }

    fn enqueue(state: &mut State, job: &OutgoingJob, now: Instant) {
        state
            .seen_deduplication_ids
            .retain(|_, seen| now.duration_since(*seen) < DEDUPLICATION_WINDOW);
        let deduplication_id = job.wire_deduplication_id();
        if state.seen_deduplication_ids.contains_key(&deduplication_id) {
            return;
        }
        state.seen_deduplication_ids.insert(deduplication_id, now);
        state.next_id += 1;
        let id = state.next_id;
        state.messages.push_back(Message {
            id,
            group: job.group,
            body: job.body.clone(),
            receive_count: 0,
            visible_at: now,
            receipt: None,
        });
    }

    fn take_visible(
        &self,
        state: &mut State,
        max: usize,
        visibility: Duration,
    ) -> Vec<ReceivedJob> {
        let now = Instant::now();
        let mut busy_groups = HashSet::new();
        let mut received = Vec::new();
        let mut index = 0;
        while index < state.messages.len() && received.len() < max {
            let message = &state.messages[index];
            if busy_groups.contains(&message.group) {
                index += 1;
                continue;
            }
            if message.visible_at > now {
                // In flight: its group waits.
                busy_groups.insert(message.group);
                index += 1;
                continue;
            }
            if message.receive_count >= self.max_receives {
                if let Some(dead) = state.messages.remove(index) {
                    state.dead.push(dead);
                }
                continue;
            }
            busy_groups.insert(message.group);
            state.next_receipt += 1;
            let receipt = format!("{}-{}", message.id, state.next_receipt);
            if let Some(message) = state.messages.get_mut(index) {
                message.receive_count += 1;
                message.visible_at = now + visibility;
                message.receipt = Some(receipt.clone());
                received.push(ReceivedJob {
                    receipt: ReceiptHandle(receipt),
                    message_id: message.id.to_string(),
                    group: message.group,
                    body: message.body.clone(),
                    receive_count: message.receive_count,
                });
            }
            index += 1;
        }
        received
    }
}

#[async_trait]
impl JobQueue for InProcessJobQueue {
    async fn send(&self, job: &OutgoingJob) -> Result<(), QueueError> {
        let mut state = self.state.lock().await;
        Self::enqueue(&mut state, job, Instant::now());
        drop(state);
        self.arrived.notify_waiters();
        Ok(())
    }

    async fn send_batch(&self, jobs: &[OutgoingJob]) -> Result<SendReport, QueueError> {
        let mut report = SendReport::default();
        // Batches are formed as the SQS adapter forms them (at most one job of a group each).
        let mut pending: Vec<usize> = (0..jobs.len()).collect();
        while !pending.is_empty() {
            let batch = next_send_batch(&pending, |index| jobs[index].group, BATCH_SIZE);
            let mut state = self.state.lock().await;
            let now = Instant::now();
            for &index in &batch {
                Self::enqueue(&mut state, &jobs[index], now);
            }
            report.batches += 1;
            report.sent += batch.len();
            pending.retain(|index| !batch.contains(index));
        }
        self.arrived.notify_waiters();
        Ok(report)
    }

    async fn receive(
        &self,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<ReceivedJob>, QueueError> {
        let deadline = Instant::now() + wait;
        loop {
            let notified = self.arrived.notified();
            let received = {
                let mut state = self.state.lock().await;
                self.take_visible(&mut state, max.clamp(1, BATCH_SIZE), visibility)
            };
            let now = Instant::now();
            if !received.is_empty() || now >= deadline {
                return Ok(received);
            }
            let _ = tokio::time::timeout(POLL_INTERVAL.min(deadline - now), notified).await;
        }
    }

    async fn ack(&self, receipt: &ReceiptHandle) -> Result<(), QueueError> {
        let mut state = self.state.lock().await;
        let position = state
            .messages
            .iter()
            .position(|m| m.receipt.as_deref() == Some(receipt.0.as_str()))
            .ok_or(QueueError::InvalidReceipt)?;
        state.messages.remove(position);
        drop(state);
        self.arrived.notify_waiters();
        Ok(())
    }

    async fn set_visibility(
        &self,
        receipt: &ReceiptHandle,
        visibility: Duration,
    ) -> Result<(), QueueError> {
        let mut state = self.state.lock().await;
        let message = state
            .messages
            .iter_mut()
            .find(|m| m.receipt.as_deref() == Some(receipt.0.as_str()))
            .ok_or(QueueError::InvalidReceipt)?;
        message.visible_at = Instant::now() + visibility;
        drop(state);
        self.arrived.notify_waiters();
        Ok(())
    }

    async fn dead_letters(&self, max: usize) -> Result<Vec<ReceivedJob>, QueueError> {
        let state = self.state.lock().await;
        Ok(state
            .dead
            .iter()
            .take(max)
            .map(|message| ReceivedJob {
                receipt: ReceiptHandle(format!("dead-{}", message.id)),
                message_id: message.id.to_string(),
                group: message.group,
                body: message.body.clone(),
                receive_count: message.receive_count,
            })
            .collect())
    }
}
