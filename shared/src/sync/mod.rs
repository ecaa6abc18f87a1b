//! Sync: the engine that copies a connection's Notion content into the record store, the worker
//! that runs it for one queued job at a time, and the scheduler that queues due connections.
//!
//! - [`SyncEngine`]: one connection's run, resumable at every checkpoint ([`checkpoint`]).
//! - [`worker`]: leases, continuations, run records, targeted jobs, an in-process runner.
//! - [`scheduler`]: due connections to queue jobs, in batches of 10, without table scans.
//! - [`status`]: what `GET /connections/{id}/sync` shows.

pub mod batch;
pub mod body;
pub mod checkpoint;
pub mod engine;
pub mod notion_time;
pub mod options;
pub mod payload;
mod phases;
mod process;
mod reconcile;
pub mod runner;
pub mod scheduler;
pub mod status;
pub mod targeted;
pub mod worker;

pub use batch::QueueMessage;
pub use checkpoint::{ActiveRun, Phase, RunKind, RunTotals, SyncCheckpoint};
pub use engine::{Deadline, FinishedRun, LeaseKeeper, Pause, RunOutcome, SyncEngine, SyncError};
pub use options::{BodyMode, SyncOptions};
pub use runner::{DrainReport, QueueRunner};
pub use scheduler::{Scheduler, SchedulerError, TickReport};
pub use status::{SyncStatus, sync_status};
pub use targeted::{Target, TargetedOutcome};
pub use worker::{JobOutcome, SyncWorker, WorkerError};
