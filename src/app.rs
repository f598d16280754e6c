//! Builds everything from Settings and runs it until shutdown: the only
//! place that sees every part.

use std::sync::Arc;

use tokio::sync::watch;

use crate::bot::{self, BotError};
use crate::clock::Clock;
use crate::config::Settings;
use crate::faults::Hooks;
use crate::jobs::{JobDeps, scheduler};
use crate::ops::{self, Health};
use crate::store::Store;

/// A fresh id per process start: who holds the ledger claims it makes.
pub fn instance_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{}", std::process::id(), nanos)
}

/// `duban run`: the store, the bot and the scheduler, until `shutdown`.
pub async fn run(
    settings: Settings,
    clock: Arc<dyn Clock>,
    shutdown: watch::Receiver<bool>,
) -> Result<(), BotError> {
    run_instance(settings, clock, shutdown, Arc::default()).await
}

/// As [`run`], with crash points a fault test may arm.
#[cfg(feature = "faults")]
pub async fn run_with(
    settings: Settings,
    clock: Arc<dyn Clock>,
    shutdown: watch::Receiver<bool>,
    hooks: Arc<Hooks>,
) -> Result<(), BotError> {
    run_instance(settings, clock, shutdown, hooks).await
}

async fn run_instance(
    settings: Settings,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
    hooks: Arc<Hooks>,
) -> Result<(), BotError> {
    let store = Store::open(&settings.database.url, settings.database.max_connections).await?;
    let settings = Arc::new(settings);
    let Some(connected) = bot::connect(&settings, &mut shutdown).await? else {
        store.close().await;
        return Ok(());
    };
    let jobs = JobDeps {
        store: store.clone(),
        settings: settings.clone(),
        owner: instance_id(),
        hooks: hooks.clone(),
    };
    let health = Arc::new(Health::default());
    let ops = match &settings.ops.listen {
        Some(addr) => {
            let listener = ops::listen(addr).await?;
            let (store, health, shutdown) = (store.clone(), health.clone(), shutdown.clone());
            Some(tokio::spawn(async move {
                if let Err(e) = ops::serve(listener, store, health, shutdown).await {
                    tracing::error!(error = %e, "ops endpoints stopped");
                }
            }))
        }
        None => None,
    };
    let messenger = connected.messenger(store.clone());
    let start = scheduler::prepare(&jobs, clock.as_ref()).await?;
    let scheduler_clock = clock.clone();
    let scheduler_shutdown = shutdown.clone();
    let scheduler = tokio::spawn(async move {
        let run = scheduler::run(
            jobs,
            start,
            &messenger,
            scheduler_clock.as_ref(),
            scheduler_shutdown,
        );
        if let Err(e) = run.await {
            tracing::error!(error = %e, "scheduler stopped");
        }
    });
    let result = bot::serve(
        connected,
        settings,
        store.clone(),
        clock,
        shutdown,
        hooks,
        health,
    )
    .await;
    if let Err(e) = scheduler.await {
        tracing::error!(error = %e, "the scheduler task ended abnormally");
    }
    if let Some(ops) = ops {
        // Read-only: nothing to finish, and it must not outlive the bot.
        ops.abort();
    }
    store.close().await;
    result
}
