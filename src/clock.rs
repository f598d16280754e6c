//! Where "now" comes from: the system clock in production, a clock the
//! tests (and the demo) set and advance. Waiting is the clock's business
//! too, so a scheduler on a manual clock wakes when the clock is moved, not
//! when wall time passes.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Notify;

pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    /// Completes once `now() >= at`.
    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        Box::pin(async move {
            // Re-check after waking: the wall clock may have been adjusted.
            loop {
                let left = at - Utc::now();
                if left <= Duration::zero() {
                    return;
                }
                let left = left
                    .to_std()
                    .unwrap_or_default()
                    .min(std::time::Duration::from_secs(3600));
                tokio::time::sleep(left).await;
            }
        })
    }
}

/// The system clock moved to start at a chosen instant and then advance
/// with wall time: `duban run --now`, for rehearsing a week that is not this
/// one (the benchmarks run a fixed week this way).
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    by: Duration,
}

impl ShiftedClock {
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        ShiftedClock {
            by: at - Utc::now(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.by
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        SystemClock.sleep_until(at - self.by)
    }
}

/// A clock that stands still until told otherwise.
#[derive(Debug, Clone)]
pub struct ManualClock {
    at: Arc<Mutex<DateTime<Utc>>>,
    moved: Arc<Notify>,
}

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock {
            at: Arc::new(Mutex::new(at)),
            moved: Arc::new(Notify::new()),
        }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.at.lock().unwrap_or_else(|e| e.into_inner()) = at;
        self.moved.notify_waiters();
    }

    pub fn advance(&self, by: Duration) {
        let next = self.now() + by;
        self.set(next);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.at.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        let clock = self.clone();
        Box::pin(async move {
            loop {
                let moved = clock.moved.notified();
                tokio::pin!(moved);
                // Registered before the check, so a move in between is not missed.
                moved.as_mut().enable();
                if clock.now() >= at {
                    return;
                }
                moved.await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_shifted_clock_starts_where_it_is_told_and_keeps_running() {
        let start = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
        let clock = ShiftedClock::starting_at(start);
        let first = clock.now();
        assert!((first - start).num_seconds().abs() <= 1);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > first);
    }

    #[tokio::test]
    async fn manual_sleep_wakes_when_the_clock_is_moved() {
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap());
        let target = clock.now() + Duration::hours(16);
        let sleeper = tokio::spawn(clock.sleep_until(target));
        tokio::task::yield_now().await;
        clock.advance(Duration::hours(1));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::hours(15));
        tokio::time::timeout(std::time::Duration::from_secs(5), sleeper)
            .await
            .expect("woke")
            .unwrap();
    }
}
