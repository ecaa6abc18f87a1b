//! The per-connection request budget: an async token bucket shared by everything in this process
//! that calls Notion for one connection.
//!
//! It is a reservation-based bucket (the "generic cell rate algorithm"): each caller reserves the
//! next free slot under a short lock, then sleeps until that slot. Slots are handed out in lock
//! order and spaced by `1 / requests_per_second` once the burst is spent, so any number of
//! concurrent callers together never exceed the rate. A 429/529 pauses the whole bucket: every
//! slot after the pause starts after it, and callers already asleep on an earlier slot re-reserve.
//! The bucket keeps a small cushion under the configured budget (one burst request, 2% of the
//! rate) so that network jitter cannot make Notion see requests faster than its own limit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::time::Instant;

use crate::config::BudgetConfig;

/// Counters of the calls made through one budget or one client handle.
#[derive(Debug, Default)]
pub struct RequestStats {
    requests_sent: AtomicU64,
    rate_limited: AtomicU64,
    retries: AtomicU64,
    waited_nanos: AtomicU64,
}

/// A point-in-time copy of [`RequestStats`], for sync run records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStatsSnapshot {
    /// HTTP requests that went out (every attempt counts).
    pub requests_sent: u64,
    /// 429/529 answers met.
    pub rate_limited: u64,
    /// Attempts that repeated an earlier one (after a 429/529, a 5xx, a timeout).
    pub retries: u64,
    /// Time spent waiting for the budget and in backoff.
    pub waited: Duration,
}

impl RequestStats {
    pub(crate) fn record_sent(&self) {
        self.requests_sent.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_wait(&self, waited: Duration) {
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        self.waited_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> RequestStatsSnapshot {
        RequestStatsSnapshot {
            requests_sent: self.requests_sent.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            waited: Duration::from_nanos(self.waited_nanos.load(Ordering::Relaxed)),
        }
    }
}

/// The bucket is paused for longer than the caller agreed to wait: the remaining pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PausedFor(pub Duration);

/// One connection's token bucket.
#[derive(Debug)]
pub struct Budget {
    /// Time between two slots at the average rate.
    interval: Duration,
    /// How far ahead of the schedule a burst may run: `(burst - 1) * interval`.
    tolerance: Duration,
    state: Mutex<BucketState>,
    stats: RequestStats,
}

#[derive(Debug)]
struct BucketState {
    /// Theoretical arrival time of the next request at the average rate.
    next_slot: Instant,
    /// Set by a 429/529: nobody sends before this instant.
    paused_until: Option<Instant>,
}

impl Budget {
    pub fn new(config: BudgetConfig) -> Self {
        let rate = if config.requests_per_second.is_finite() && config.requests_per_second > 0.0 {
            config.requests_per_second
        } else {
            crate::config::DEFAULT_REQUESTS_PER_SECOND
        };
        // Requests paced exactly at Notion's limit would reach it faster than that whenever
        // network latency varies. Keep a cushion: one request of the burst in reserve and a
        // pace slightly under the configured rate.
        let rate = rate * (1.0 - PACING_MARGIN);
        // Duration::from_secs_f64 would panic on absurd rates; clamp to something representable.
        let interval = Duration::try_from_secs_f64(1.0 / rate)
            .unwrap_or(Duration::from_secs(1))
            .max(Duration::from_nanos(1));
        let burst = if config.burst > 1 {
            config.burst - 1
        } else {
            1
        };
        Self {
            interval,
            tolerance: interval.saturating_mul(burst - 1).min(MAX_DELAY),
            state: Mutex::new(BucketState {
                next_slot: Instant::now(),
                paused_until: None,
            }),
            stats: RequestStats::default(),
        }
    }

    /// Waits until this caller may send one request; returns how long it waited.
    ///
    /// The wait is bounded: while the bucket is paused (a 429/529) for longer than `max_pause`,
    /// the caller does not queue behind the pause but gets `Err(remaining pause)` at once, so a
    /// long `Retry-After` never freezes every other call of the connection. Shorter pauses are
    /// waited out. A caller already asleep that sees a longer pause start re-checks the bound.
    pub async fn acquire(&self, max_pause: Duration) -> Result<Duration, PausedFor> {
        let started = Instant::now();
        loop {
            let now = Instant::now();
            if let Some(remaining) = self.pause_remaining(now)
                && remaining > max_pause
            {
                return Err(PausedFor(remaining));
            }
            let slot = self.reserve(now);
            tokio::time::sleep_until(slot).await;
            // A 429 met by someone else while we slept invalidates slots inside the pause.
            if self.pause_remaining(Instant::now()).is_none() {
                break;
            }
        }
        let waited = started.elapsed();
        self.stats.record_wait(waited);
        Ok(waited)
    }

    /// How much of the current pause is left, if the bucket is paused.
    fn pause_remaining(&self, now: Instant) -> Option<Duration> {
        self.lock()
            .paused_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// Reserves the next slot and returns when it starts.
    fn reserve(&self, now: Instant) -> Instant {
        let mut state = self.lock();
        let scheduled = state.next_slot.max(now);
        state.next_slot = later(scheduled, self.interval);
        scheduled
            .checked_sub(self.tolerance)
            .map_or(now, |earliest| earliest.max(now))
    }

    /// Pauses the whole bucket for `delay` (Notion's Retry-After). Pauses never shorten: a later,
    /// shorter Retry-After does not cut an earlier, longer one. After the pause the bucket
    /// resumes at the average rate, without a burst.
    pub fn pause_for(&self, delay: Duration) {
        let until = later(Instant::now(), delay);
        let mut state = self.lock();
        let until = state
            .paused_until
            .map_or(until, |current| current.max(until));
        state.paused_until = Some(until);
        state.next_slot = state.next_slot.max(later(until, self.tolerance));
    }

    /// When the bucket is paused until, if it is.
    pub fn paused_until(&self) -> Option<Instant> {
        let now = Instant::now();
        self.pause_remaining(now).map(|remaining| now + remaining)
    }

    /// Counters of every request made through this bucket in this process.
    pub fn stats(&self) -> &RequestStats {
        &self.stats
    }

    fn lock(&self) -> MutexGuard<'_, BucketState> {
        // The state stays consistent under any panic (two plain assignments), so a poisoned lock
        // is still safe to use.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Fraction of the configured rate kept in reserve against network jitter.
pub const PACING_MARGIN: f64 = 0.02;

/// Longest pause or burst allowance the bucket keeps (guards `Instant` arithmetic).
const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

fn later(instant: Instant, delay: Duration) -> Instant {
    let delay = delay.min(MAX_DELAY);
    instant.checked_add(delay).unwrap_or(instant)
}

/// Budgets by connection id. Holds them weakly: a connection nobody uses any more frees its entry.
#[derive(Debug)]
pub struct BudgetRegistry {
    config: BudgetConfig,
    buckets: Mutex<HashMap<String, Weak<Budget>>>,
}

impl BudgetRegistry {
    pub fn new(config: BudgetConfig) -> Self {
        Self {
            config,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The one budget of `connection_id` in this process, created on first use.
    pub fn budget(&self, connection_id: &str) -> Arc<Budget> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(budget) = buckets.get(connection_id).and_then(Weak::upgrade) {
            return budget;
        }
        buckets.retain(|_, weak| weak.strong_count() > 0);
        let budget = Arc::new(Budget::new(self.config));
        buckets.insert(connection_id.to_owned(), Arc::downgrade(&budget));
        budget
    }

    /// Number of connections with a live budget (for tests and metrics).
    pub fn live_connections(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .filter(|weak| weak.strong_count() > 0)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNBOUNDED: Duration = Duration::MAX;

    /// tokio's timer has millisecond resolution.
    fn assert_near(actual: Duration, expected: Duration) {
        let diff = actual.abs_diff(expected);
        assert!(
            diff <= Duration::from_millis(2),
            "{actual:?} vs {expected:?}"
        );
    }

    fn budget(requests_per_second: f64, burst: u32) -> Budget {
        Budget::new(BudgetConfig {
            requests_per_second,
            burst,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn burst_is_immediate_then_paced_at_the_rate() {
        // A configured burst of 4 keeps one in reserve: 3 at once.
        let bucket = budget(2.0, 4);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(bucket.acquire(UNBOUNDED).await.unwrap(), Duration::ZERO);
        }
        let interval = bucket.interval;
        assert!(interval > Duration::from_millis(500) && interval < Duration::from_millis(515));
        bucket.acquire(UNBOUNDED).await.unwrap();
        assert_near(start.elapsed(), interval);
        bucket.acquire(UNBOUNDED).await.unwrap();
        assert_near(start.elapsed(), interval * 2);
        assert_near(bucket.stats().snapshot().waited, interval * 2);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_refills_the_burst_but_no_more() {
        let bucket = budget(1.0, 3);
        bucket.acquire(UNBOUNDED).await.unwrap();
        bucket.acquire(UNBOUNDED).await.unwrap();
        tokio::time::sleep(Duration::from_secs(100)).await;
        let start = Instant::now();
        bucket.acquire(UNBOUNDED).await.unwrap();
        bucket.acquire(UNBOUNDED).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        bucket.acquire(UNBOUNDED).await.unwrap();
        assert_near(start.elapsed(), bucket.interval);
    }

    /// Counts, for every window of `window` length starting at a grant, the grants inside it.
    fn max_in_window(times: &[Duration], window: Duration) -> usize {
        times
            .iter()
            .map(|start| {
                times
                    .iter()
                    .filter(|t| **t >= *start && **t < *start + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_never_exceed_the_rate_together() {
        let bucket = Arc::new(budget(3.0, 4));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..30 {
            let bucket = bucket.clone();
            tasks.push(tokio::spawn(async move {
                bucket.acquire(UNBOUNDED).await.unwrap();
                start.elapsed()
            }));
        }
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times.sort();
        // 3 at once, then one per interval (a bit over 333 ms): the 30th after 27 intervals.
        assert_eq!(times.iter().filter(|t| t.is_zero()).count(), 3);
        assert_near(*times.last().unwrap(), bucket.interval * 27);
        assert!(bucket.interval >= Duration::from_millis(333));
        // Any one-second window holds at most burst + rate grants.
        assert!(max_in_window(&times, Duration::from_secs(1)) <= 6);
        // After the burst, grants are spaced by at least one interval.
        for pair in times[3..].windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(333), "{pair:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_every_caller_including_those_already_waiting() {
        let bucket = Arc::new(budget(10.0, 1));
        let start = Instant::now();
        bucket.acquire(UNBOUNDED).await.unwrap();
        // Two callers reserve slots at 100 ms and 200 ms and go to sleep.
        let mut tasks = Vec::new();
        for _ in 0..2 {
            let bucket = bucket.clone();
            tasks.push(tokio::spawn(async move {
                bucket.acquire(UNBOUNDED).await.unwrap();
                start.elapsed()
            }));
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        bucket.pause_for(Duration::from_secs(2));
        assert!(bucket.paused_until().is_some());
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times.sort();
        assert!(times[0] >= Duration::from_millis(2_050), "{times:?}");
        // No burst after the pause: the two resume one interval apart.
        assert!(
            times[1] - times[0] >= Duration::from_millis(100),
            "{times:?}"
        );
        assert!(bucket.paused_until().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_shorter_pause_never_cuts_a_longer_one() {
        let bucket = budget(100.0, 5);
        let start = Instant::now();
        bucket.pause_for(Duration::from_secs(5));
        bucket.pause_for(Duration::from_secs(1));
        bucket.acquire(UNBOUNDED).await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_longer_than_the_bound_fails_fast_and_a_shorter_one_is_waited() {
        let bucket = budget(100.0, 5);
        bucket.pause_for(Duration::from_secs(10));
        let start = Instant::now();
        let err = bucket.acquire(Duration::from_secs(1)).await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_near(err.0, Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(9_500)).await;
        assert!(bucket.acquire(Duration::from_secs(1)).await.is_ok());
        assert!(start.elapsed() >= Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_sleeping_caller_gives_up_when_a_long_pause_starts() {
        let bucket = Arc::new(budget(1.0, 1));
        bucket.acquire(UNBOUNDED).await.unwrap();
        let waiter = {
            let bucket = bucket.clone();
            tokio::spawn(async move { bucket.acquire(Duration::from_secs(5)).await })
        };
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        bucket.pause_for(Duration::from_secs(60));
        let start = Instant::now();
        let outcome = waiter.await.unwrap();
        assert!(outcome.is_err(), "{outcome:?}");
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn odd_configs_do_not_panic() {
        let _ = budget(0.0, 0);
        let _ = budget(f64::NAN, 1);
        let _ = budget(1e-30, 1);
        let _ = budget(1e30, u32::MAX);
    }

    #[test]
    fn registry_shares_one_budget_per_connection_and_forgets_idle_ones() {
        let registry = BudgetRegistry::new(BudgetConfig::default());
        let a1 = registry.budget("conn-a");
        let a2 = registry.budget("conn-a");
        let b = registry.budget("conn-b");
        assert!(Arc::ptr_eq(&a1, &a2));
        assert!(!Arc::ptr_eq(&a1, &b));
        assert_eq!(registry.live_connections(), 2);
        drop((a1, a2));
        assert_eq!(registry.live_connections(), 1);
        let _c = registry.budget("conn-c");
        assert_eq!(
            registry.buckets.lock().unwrap().len(),
            2,
            "dead entry pruned"
        );
    }

    #[test]
    fn stats_accumulate() {
        let stats = RequestStats::default();
        stats.record_sent();
        stats.record_sent();
        stats.record_rate_limited();
        stats.record_retry();
        stats.record_wait(Duration::from_millis(5));
        assert_eq!(
            stats.snapshot(),
            RequestStatsSnapshot {
                requests_sent: 2,
                rate_limited: 1,
                retries: 1,
                waited: Duration::from_millis(5),
            }
        );
    }
}
