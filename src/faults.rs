//! Crash points for fault tests: a test arms one, the bot stalls there for
//! good (as a process frozen at that instant), and the test then kills the
//! runtime it runs on. The hooks belong to one running instance, so tests
//! running side by side in one process never trip each other's.
//!
//! Only the `faults` feature (on in test builds, through the dev-dependency
//! in `Cargo.toml`) compiles the points in; without it [`Hooks`] is an empty
//! type whose points are empty functions, so the product's paths carry no
//! test code at all.

#[cfg(feature = "faults")]
pub use armed::Hooks;

/// The product's hooks: no crash points.
#[cfg(not(feature = "faults"))]
#[derive(Debug, Default)]
pub struct Hooks;

#[cfg(not(feature = "faults"))]
impl Hooks {
    #[inline(always)]
    pub(crate) async fn claim_made(&self) {}

    #[inline(always)]
    pub(crate) async fn handling(&self) {}

    #[inline(always)]
    pub(crate) fn handling_fault(&self) -> Option<crate::store::StoreError> {
        None
    }
}

#[cfg(feature = "faults")]
mod armed {
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

    use tokio::sync::Notify;

    use crate::store::StoreError;

    #[derive(Debug, Default)]
    pub struct Hooks {
        after_claims: AtomicI64,
        before_handling: AtomicI64,
        failing: AtomicI64,
        failing_transient: AtomicBool,
        stalled: AtomicBool,
        notify: Notify,
    }

    impl Hooks {
        /// Stall right after the `n`th outbox claim is committed, before sending.
        pub fn stall_after_claims(&self, n: i64) {
            self.after_claims.store(n, Ordering::SeqCst);
        }

        /// Stall before handling the `n`th update taken from the inbox (it is
        /// stored; its effects are not).
        pub fn stall_before_handling(&self, n: i64) {
            self.before_handling.store(n, Ordering::SeqCst);
        }

        /// Fail the next `n` tries to handle an update with a database
        /// error: a connection reset (transient) or a corrupt value (not).
        pub fn fail_handling(&self, n: i64, transient: bool) {
            self.failing_transient.store(transient, Ordering::SeqCst);
            self.failing.store(n, Ordering::SeqCst);
        }

        /// Tries still to fail.
        pub fn failures_left(&self) -> i64 {
            self.failing.load(Ordering::SeqCst).max(0)
        }

        pub(crate) fn handling_fault(&self) -> Option<StoreError> {
            if self.failing.load(Ordering::Relaxed) <= 0
                || self.failing.fetch_sub(1, Ordering::SeqCst) <= 0
            {
                return None;
            }
            Some(if self.failing_transient.load(Ordering::SeqCst) {
                StoreError::Db {
                    op: "faults: injected",
                    source: sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
                }
            } else {
                StoreError::Corrupt("faults: injected".to_string())
            })
        }

        pub fn is_stalled(&self) -> bool {
            self.stalled.load(Ordering::SeqCst)
        }

        /// Resolves once a crash point has been reached.
        pub async fn stalled(&self) {
            loop {
                let n = self.notify.notified();
                tokio::pin!(n);
                n.as_mut().enable();
                if self.is_stalled() {
                    return;
                }
                n.await;
            }
        }

        pub(crate) async fn claim_made(&self) {
            self.point(&self.after_claims).await;
        }

        pub(crate) async fn handling(&self) {
            self.point(&self.before_handling).await;
        }

        async fn point(&self, counter: &AtomicI64) {
            if counter.load(Ordering::Relaxed) <= 0 {
                return;
            }
            if counter.fetch_sub(1, Ordering::SeqCst) == 1 {
                self.stalled.store(true, Ordering::SeqCst);
                self.notify.notify_waiters();
                std::future::pending::<()>().await;
            }
        }
    }
}
