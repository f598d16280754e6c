//! Builds everything from Settings and runs it until shutdown: the only
//! place that sees every part.

use std::sync::Arc;

use tokio::sync::watch;

use crate::bot::{self, BotError};
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::ids::Platform;
use crate::faults::Hooks;
use crate::feishu::{self, Feishu};
use crate::jobs::{ByPlatform, JobDeps, Messenger, scheduler};
use crate::ops::{self, Health};
use crate::store::Store;
use crate::web;

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
    let Some((telegram, feishu)) = connect(&settings, &store, &clock, &mut shutdown).await? else {
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
    let ops = serve_ops(&settings, &store, &health, &shutdown).await?;
    let web = serve_web(&settings, &store, &clock, &shutdown).await?;
    let mut messenger = ByPlatform::default();
    if let Some(connected) = &telegram {
        messenger = messenger.with(Platform::Telegram, connected.messenger(store.clone()));
    }
    if let Some(fs) = &feishu {
        messenger = messenger.with(Platform::Feishu, fs.messenger());
    }
    // The jobs run on the leader only (`bot/lead.rs`): one sender keeps
    // the platforms' limits, and the ledger's claims still make every
    // message once however the lead moves.
    let (led, leads) = tokio::sync::oneshot::channel::<bot::Prepared>();
    let scheduler = spawn_scheduler(jobs, clock.clone(), messenger, shutdown.clone(), leads);
    let feishu = feishu.map(|fs| tokio::spawn(feishu::serve(fs, shutdown.clone())));
    let result = match (telegram, feishu) {
        (Some(connected), feishu) => {
            let served = bot::serve(
                connected,
                settings,
                store.clone(),
                clock,
                shutdown,
                hooks,
                health,
                led,
            )
            .await;
            match feishu {
                // The lead lost: Feishu's handling stops with the rest.
                Some(task) if served.is_err() => {
                    task.abort();
                    served
                }
                Some(task) => join_feishu(task).await,
                None => served,
            }
        }
        (None, Some(task)) => lead_with_feishu_alone(led, shutdown, task).await,
        // `platforms` names at least one (checked at load).
        (None, None) => Ok(()),
    };
    if result.is_err() {
        // The bot stopped on an error (the lead lost, Feishu refused): the
        // jobs stop too.
        scheduler.abort();
    }
    if let Err(e) = scheduler.await
        && !e.is_cancelled()
    {
        tracing::error!(error = %e, "the scheduler task ended abnormally");
    }
    // Read-only, both: nothing to finish, and they must not outlive the bot.
    for task in [ops, web].into_iter().flatten() {
        task.abort();
    }
    store.close().await;
    result
}

/// The platforms served, connected: Telegram's token checked, Feishu's app
/// and bot identity fetched; `None` when stopped while waiting for
/// Telegram.
async fn connect(
    settings: &Arc<Settings>,
    store: &Store,
    clock: &Arc<dyn Clock>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Option<(Option<bot::Connected>, Option<Arc<Feishu>>)>, BotError> {
    let telegram = if settings.serves(Platform::Telegram) {
        match bot::connect(settings, shutdown).await? {
            Some(connected) => Some(connected),
            None => return Ok(None),
        }
    } else {
        None
    };
    let feishu = if settings.serves(Platform::Feishu) {
        Some(Feishu::connect(settings.clone(), store.clone(), clock.clone()).await?)
    } else {
        None
    };
    Ok(Some((telegram, feishu)))
}

type FeishuTask = tokio::task::JoinHandle<Result<(), feishu::FeishuError>>;

/// Waits for Feishu's task, which ends at shutdown, or on an error it
/// stopped on.
async fn join_feishu(task: FeishuTask) -> Result<(), BotError> {
    match task.await {
        Ok(done) => done.map_err(BotError::Feishu),
        Err(e) if e.is_cancelled() => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, "the Feishu task ended abnormally");
            Ok(())
        }
    }
}

/// Without Telegram this instance leads at once (one Feishu instance per
/// database for now): the scheduler starts, and the rest waits for the
/// stop, or for Feishu to stop on an error (the app refused), which stops
/// the process too.
async fn lead_with_feishu_alone(
    led: tokio::sync::oneshot::Sender<bot::Prepared>,
    mut shutdown: watch::Receiver<bool>,
    mut task: FeishuTask,
) -> Result<(), BotError> {
    let (prepared, ready) = tokio::sync::oneshot::channel();
    if led.send(prepared).is_ok() && ready.await.is_err() {
        tracing::debug!("the scheduler did not start");
    }
    // The guard `wait_for` returns is not Send: only whether it came.
    let stop = async { shutdown.wait_for(|s| *s).await.is_ok() };
    tokio::select! {
        _ = stop => join_feishu(task).await,
        done = &mut task => match done {
            Ok(Err(e)) => Err(BotError::Feishu(e)),
            Ok(Ok(())) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "the Feishu task ended abnormally");
                Ok(())
            }
        },
    }
}

/// `/healthz`, `/readyz` and `/metrics` on `ops.listen`, when set.
async fn serve_ops(
    settings: &Settings,
    store: &Store,
    health: &Arc<Health>,
    shutdown: &watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>, BotError> {
    let Some(addr) = &settings.ops.listen else {
        return Ok(None);
    };
    let listener = ops::listen(addr).await?;
    let (store, health, shutdown) = (store.clone(), health.clone(), shutdown.clone());
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = ops::serve(listener, store, health, shutdown).await {
            tracing::error!(error = %e, "ops endpoints stopped");
        }
    })))
}

/// The scheduler, waiting until this instance leads (`leads`), then
/// running the jobs until shutdown.
fn spawn_scheduler<M: Messenger + 'static>(
    jobs: JobDeps,
    clock: Arc<dyn Clock>,
    messenger: M,
    mut shutdown: watch::Receiver<bool>,
    leads: tokio::sync::oneshot::Receiver<bot::Prepared>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let prepared = tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            lead = leads => match lead {
                Ok(prepared) => prepared,
                Err(_) => return,
            },
        };
        // The clock is read before the bot takes updates, so a test (or a
        // rehearsal with --now) that moves it next finds the jobs waiting.
        let start = match scheduler::prepare(&jobs, clock.as_ref()).await {
            Ok(start) => start,
            Err(e) => {
                tracing::error!(error = %e, "scheduler cannot start");
                return;
            }
        };
        if prepared.send(()).is_err() {
            tracing::debug!("the bot stopped before the scheduler was ready");
        }
        if let Err(e) = scheduler::run(jobs, start, &messenger, clock.as_ref(), shutdown).await {
            tracing::error!(error = %e, "scheduler stopped");
        }
    })
}

/// The dashboard on `web.listen`, when set: it reads the same database and
/// takes "now" from the bot's clock.
async fn serve_web(
    settings: &Arc<Settings>,
    store: &Store,
    clock: &Arc<dyn Clock>,
    shutdown: &watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>, BotError> {
    let Some(addr) = settings.web.listen else {
        return Ok(None);
    };
    let listener = web::listen(addr).await?;
    let state = web::Web::new(store.clone(), settings.clone(), clock.clone()).await?;
    let shutdown = shutdown.clone();
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = web::serve(listener, state, shutdown).await {
            tracing::error!(error = %e, "dashboard stopped");
        }
    })))
}
