//! Operations endpoints on `ops.listen`: `/healthz` (the process is up),
//! `/readyz` (the database and Telegram answer; this instance's role) and
//! `/metrics` (Prometheus text). Counters are recorded anywhere through the
//! `metrics` facade (names in [`names`]); the gauges that describe the
//! database (inbox depth, claims pending) are read from it at each scrape,
//! so every instance on one database reports the same backlog.

pub mod names;
mod server;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub use server::{OpsError, listen, serve};

/// The process's Prometheus recorder, installed on first use. A process
/// has one recorder; tests that start several bots share it.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!(
                "a metrics recorder was installed already; /metrics shows only the database gauges"
            );
        }
        names::describe();
        handle
    })
}

/// What `/readyz` reports besides the database: set by the poller.
#[derive(Debug, Default)]
pub struct Health {
    telegram: AtomicBool,
}

impl Health {
    /// The last `getUpdates` was answered (true) or failed (false).
    pub fn telegram_answered(&self, ok: bool) {
        self.telegram.store(ok, Ordering::Relaxed);
    }

    fn telegram_ok(&self) -> bool {
        self.telegram.load(Ordering::Relaxed)
    }
}
