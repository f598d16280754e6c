//! Operations endpoints on `ops.listen`: `/healthz` (the process is up),
//! `/readyz` (the database and Telegram answer; this instance's role) and
//! `/metrics` (Prometheus text). Counters are recorded anywhere through the
//! `metrics` facade (names in [`names`]); the gauges that describe the
//! database (inbox depth, claims pending) are read from it at each scrape,
//! so every instance on one database reports the same backlog.

pub mod names;
mod server;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

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

/// What `/readyz` reports besides the database: set by the poller or the
/// webhook receiver.
#[derive(Debug, Default)]
pub struct Health {
    telegram: AtomicBool,
    role: AtomicU8,
}

/// How this instance takes updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It polls Telegram (`getUpdates`).
    Poller,
    /// Telegram POSTs updates to it.
    Webhook,
    /// It takes no updates from Telegram (yet): it handles what others
    /// stored and runs the jobs.
    Standby,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Poller => "poller",
            Role::Webhook => "webhook",
            Role::Standby => "standby",
        }
    }
}

impl Health {
    pub fn set_role(&self, role: Role) {
        let n = match role {
            Role::Standby => 0,
            Role::Poller => 1,
            Role::Webhook => 2,
        };
        self.role.store(n, Ordering::Relaxed);
    }

    pub fn role(&self) -> Role {
        match self.role.load(Ordering::Relaxed) {
            1 => Role::Poller,
            2 => Role::Webhook,
            _ => Role::Standby,
        }
    }

    /// Telegram answered the last `getUpdates` or `setWebhook` (true), or
    /// could not be reached (false).
    pub fn telegram_answered(&self, ok: bool) {
        self.telegram.store(ok, Ordering::Relaxed);
    }

    fn telegram_ok(&self) -> bool {
        self.telegram.load(Ordering::Relaxed)
    }
}
