//! Leading: of the instances on one database, the one holding the leader's
//! lock (`store/leader.rs`) takes updates from Telegram (polling) or tells
//! it the webhook, handles every update, runs the jobs and sends every
//! message; the others wait, taking webhook deliveries meanwhile, and one
//! of them takes over within `telegram.poll_takeover_secs` of the leader's
//! death. One handler keeps each chat's updates and replies in order and
//! one sender keeps Telegram's per-bot limits, with no coordination beyond
//! the lock (ARCHITECTURE.md says why this beats sharing the work).

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Updates;
use crate::ops::Role;
use crate::store::StoreError;
use crate::store::leader::{self, Leadership};

use super::webhook::Receiving;
use super::{BotError, Deps, handle, lanes, poll, register_commands, reply, retry, tail, webhook};

/// How long a new leader sends nothing after taking over: Telegram's
/// per-chat limit is one message a second.
const TAKEOVER_QUIET: std::time::Duration = std::time::Duration::from_secs(1);

/// Waits until this instance leads; `None` when stopped first.
pub(super) async fn wait(deps: &Deps, stop: &mut watch::Receiver<bool>) -> Option<Leadership> {
    let every = deps.settings.telegram.takeover / 3;
    let mut told = false;
    loop {
        match leader::try_lead(&deps.store).await {
            Ok(Some(leadership)) => {
                tracing::info!("this instance leads");
                if told {
                    // Taking over: the last leader's sends of the past
                    // second still count against Telegram's limits (and
                    // one it sent without recording is sent again), so
                    // nothing leaves for a second.
                    deps.tg
                        .pacer
                        .hold_until(std::time::Instant::now() + TAKEOVER_QUIET);
                }
                return Some(leadership);
            }
            Ok(None) if !told => {
                tracing::info!(
                    takeover_secs = deps.settings.telegram.takeover.as_secs(),
                    "another instance leads; this one waits to take over"
                );
                told = true;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot try the leader's lock; trying again"),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return None,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Everything a leader does, until `stop` or until the lead is lost (then
/// `stop_all` stops the rest of the instance, and the error says why).
pub(super) async fn run(
    deps: Arc<Deps>,
    receiving: Option<Receiving>,
    leadership: Leadership,
    stop: watch::Receiver<bool>,
    stop_all: &watch::Sender<bool>,
) -> Result<(), BotError> {
    register_commands(&deps.tg.bot, &deps.settings).await;
    let replier = reply::Replier::start(deps.clone());
    handle::resend_unconfirmed(&deps, &replier).await?;
    let (lanes, handlers) = lanes::Lanes::start(&deps, &replier, &stop);
    let mut tasks: Vec<(JoinHandle<()>, &str)> = Vec::new();
    match (&deps.settings.telegram.updates, receiving) {
        (Updates::Webhook(hook), Some(receiving)) => {
            deps.health.set_role(Role::Webhook);
            // Any instance may have stored an update: the tail hands out
            // every one in order, those stored before this start included.
            let tail = tail::tail(deps.clone(), lanes.clone(), stop.clone());
            tasks.push((tokio::spawn(tail), "tail"));
            let mut lead_stop = stop.clone();
            if receiving.lead(&deps, hook, &mut lead_stop).await {
                tasks.push((tokio::spawn(receiving.join()), "webhook"));
            }
        }
        _ => {
            let offset = poll::replay_unhandled(&deps, &lanes).await?;
            webhook::leave_webhook(&deps).await;
            deps.health.set_role(Role::Poller);
            let poller = poll::poll(deps.clone(), offset, lanes.clone(), stop.clone());
            tasks.push((tokio::spawn(poller), "poller"));
        }
    }
    tasks.push((
        tokio::spawn(retry::retry(deps.clone(), lanes, stop.clone())),
        "retrier",
    ));
    let held = hold(&deps, leadership, stop).await;
    if held.is_err() && stop_all.send(true).is_err() {
        tracing::debug!("the instance had stopped already");
    }
    for (task, what) in tasks {
        if let Err(e) = task.await {
            tracing::error!(error = %e, what, "a task stopped abnormally");
        }
    }
    for handler in handlers {
        if let Err(e) = handler.await {
            tracing::error!(error = %e, "a lane stopped abnormally");
        }
    }
    replier.finish().await;
    match held {
        Ok(leadership) => {
            leadership.release().await;
            Ok(())
        }
        Err(e) => Err(BotError::LeadershipLost(e)),
    }
}

/// Checks the lock a third of the takeover time apart until `stop`; an
/// error when it was lost (another instance may lead already).
async fn hold(
    deps: &Deps,
    mut leadership: Leadership,
    mut stop: watch::Receiver<bool>,
) -> Result<Leadership, StoreError> {
    let every = deps.settings.telegram.takeover / 3;
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(leadership),
            () = tokio::time::sleep(every) => {}
        }
        if let Err(e) = leadership.check().await {
            tracing::error!(error = %e, "the leader's lock is lost; stopping so that one instance leads");
            return Err(e);
        }
    }
}
