//! The demo's clock: set by hand like [`duban::clock::ManualClock`], and it
//! also knows when the scheduler has gone back to sleep. That is the
//! signal that every job due by now has run and its messages are out, so
//! the demo can move on without guessing with wall-time pauses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use duban::clock::{Clock, Sleep};

#[derive(Clone)]
pub struct DemoClock {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Rung when the time moves: wakes sleepers.
    moved: Notify,
    /// Rung when a sleep starts or ends: wakes [`DemoClock::wait_idle`].
    sleeps: Notify,
}

struct State {
    now: DateTime<Utc>,
    /// Sleeps in progress, by id: when each wants to wake.
    sleepers: HashMap<u64, DateTime<Utc>>,
    next_id: u64,
}

impl DemoClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        DemoClock {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    now: at,
                    sleepers: HashMap::new(),
                    next_id: 0,
                }),
                moved: Notify::new(),
                sleeps: Notify::new(),
            }),
        }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.shared.lock().now = at;
        self.shared.moved.notify_waiters();
    }

    /// True once someone sleeps until after now (the scheduler waiting for
    /// its next job); false if that does not happen within `timeout`.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.shared.sleeps.notified();
            tokio::pin!(changed);
            // Registered before the check, so a sleep starting in between wakes us.
            changed.as_mut().enable();
            {
                let state = self.shared.lock();
                if state.sleepers.values().any(|at| *at > state.now) {
                    return true;
                }
            }
            tokio::select! {
                () = &mut changed => {}
                () = tokio::time::sleep_until(deadline) => return false,
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Takes a sleep off the books however it ends: woken, or dropped by a
/// `select!` that chose another branch.
struct Registration {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.lock().sleepers.remove(&self.id);
        self.shared.sleeps.notify_waiters();
    }
}

impl Clock for DemoClock {
    fn now(&self) -> DateTime<Utc> {
        self.shared.lock().now
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Sleep {
        // Booked now, not on first poll: the scheduler is idle from the moment
        // it asks to sleep.
        let registration = {
            let mut state = self.shared.lock();
            let id = state.next_id;
            state.next_id += 1;
            state.sleepers.insert(id, at);
            Registration {
                shared: self.shared.clone(),
                id,
            }
        };
        self.shared.sleeps.notify_waiters();
        Box::pin(async move {
            let shared = registration.shared.clone();
            loop {
                let moved = shared.moved.notified();
                tokio::pin!(moved);
                moved.as_mut().enable();
                if shared.lock().now >= at {
                    drop(registration);
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

    #[tokio::test]
    async fn idle_means_someone_sleeps_past_now() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let clock = DemoClock::new(t0);
        assert!(!clock.wait_idle(Duration::from_millis(20)).await);
        let sleeper = tokio::spawn(clock.sleep_until(t0 + chrono::Duration::hours(1)));
        assert!(clock.wait_idle(Duration::from_secs(5)).await);
        clock.set(t0 + chrono::Duration::hours(2));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("woke")
            .unwrap();
        assert!(!clock.wait_idle(Duration::from_millis(20)).await);
    }
}
