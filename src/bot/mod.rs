//! The Telegram adapter: the only module that knows teloxide. It turns
//! updates into the conversation's events and delivers its replies.
//!
//! Updates are durable before they are acknowledged (ARCHITECTURE.md rule
//! 4): the poller (`poll.rs`) stores each `getUpdates` batch in the inbox,
//! in one commit, before it asks Telegram for the next batch (which is what
//! confirms the previous one); in webhook mode (`webhook.rs`) each POST is
//! answered 200 only once its update is committed, and the tail
//! (`tail.rs`) hands what every instance stored to the lanes. The lanes
//! (`lanes.rs`) hand stored updates to the handler (`handle.rs`), one
//! chat's always in order, which handles a run of them in one transaction
//! that also marks each handled; their replies go out after the commit
//! (`reply.rs`). Of several instances on one database only the leader
//! (`lead.rs`) does all this. When it starts to lead, replies recorded but
//! not confirmed sent are sent, then updates stored but not handled are
//! handled, before polling starts; an update whose handling fails is tried
//! again while the bot runs (`retry.rs`).
//!
//! Telegram's conventions (numeric ids, negative for groups, a private
//! chat's id being its user's) are known here and nowhere else.

pub mod convert;
pub mod deliver;
mod handle;
mod lanes;
mod lead;

mod poll;
mod reply;
mod retry;

mod tail;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use secrecy::ExposeSecret;
use teloxide::prelude::*;
use teloxide::types::BotCommand;
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::{Settings, Updates};
use crate::domain::commands::Command;
use crate::domain::outgoing::{Delivery, Outgoing};
use crate::jobs::Messenger;
use crate::ops::Role;
use crate::outbound::pace::{PaceLimits, Pacer};
use crate::render::text::t;
use crate::store::{Store, StoreError};
use deliver::{Telegram, deliver, redact};

#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error("no bot token: set TELOXIDE_TOKEN or DUBAN__TELEGRAM__TOKEN")]
    NoToken,
    #[error(
        "Telegram rejected the bot token (401 Unauthorized): check TELOXIDE_TOKEN or DUBAN__TELEGRAM__TOKEN"
    )]
    TokenRejected,
    #[error("configuration key `telegram.api_url`: {0}")]
    BadApiUrl(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The operations endpoints could not listen on `ops.listen`.
    #[error(transparent)]
    Ops(#[from] crate::ops::OpsError),
    /// The dashboard could not listen on `web.listen`, or read its secret.
    #[error(transparent)]
    Web(#[from] crate::web::WebError),
    /// The leader's lock was lost with its connection: this instance
    /// stops, so that no two lead at once.
    #[error("the leader's lock was lost ({0}); stopped so that another instance leads")]
    LeadershipLost(StoreError),
    /// Feishu refused the app, or its events could not be taken.
    #[error(transparent)]
    Feishu(#[from] crate::feishu::FeishuError),
    #[error("configuration key `telegram.webhook.listen`: cannot listen on {addr}: {source}")]
    WebhookListen {
        addr: String,
        source: std::io::Error,
    },
}

struct Deps {
    hooks: Arc<crate::faults::Hooks>,
    store: Store,
    settings: Arc<Settings>,
    clock: Arc<dyn Clock>,
    tg: Telegram,
    token: String,
    bot_id: u64,
    username: String,
    health: Arc<crate::ops::Health>,
    /// Rung when an update's failed try is recorded: wakes the retrier.
    failed: tokio::sync::Notify,
}

/// A bot whose token Telegram accepted.
pub struct Connected {
    tg: Telegram,
    token: String,
    bot_id: u64,
    username: String,
}

impl Connected {
    /// The sender the jobs use.
    pub fn messenger(&self, store: Store) -> TelegramMessenger {
        TelegramMessenger {
            tg: self.tg.clone(),
            store,
            token: self.token.clone(),
        }
    }
}

/// Delivers the jobs' messages through Telegram.
pub struct TelegramMessenger {
    tg: Telegram,
    store: Store,
    token: String,
}

impl Messenger for TelegramMessenger {
    /// Telegram takes no key: a send retried after a crash in the air may
    /// show twice (README, "Exactly once").
    fn send<'a>(&'a self, out: &'a Outgoing, _key: &'a str) -> BoxFuture<'a, Delivery> {
        Box::pin(deliver(&self.tg, &self.store, &self.token, out))
    }
}

/// Checks the token with Telegram. Fails at once, with a clear error, when
/// there is none or Telegram refuses it; waits and retries while Telegram
/// cannot be reached; `None` when shut down while waiting.
pub async fn connect(
    settings: &Settings,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Option<Connected>, BotError> {
    let token = settings
        .telegram
        .token
        .as_ref()
        .map(|t| t.expose_secret().trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or(BotError::NoToken)?;
    let url = url::Url::parse(&settings.telegram.api_url)
        .map_err(|e| BotError::BadApiUrl(e.to_string()))?;
    let plain = Bot::new(token.clone()).set_api_url(url);
    let Some(me) = get_me(&plain, &token, shutdown).await? else {
        return Ok(None);
    };
    tracing::info!(username = %me.username(), "connected to Telegram");
    let pacer = if settings.telegram.throttle {
        Pacer::new(TELEGRAM_LIMITS)
    } else {
        Pacer::unlimited()
    };
    Ok(Some(Connected {
        tg: Telegram {
            bot: plain,
            pacer: Arc::new(pacer),
        },
        token,
        bot_id: me.id.0,
        username: me.username().to_string(),
    }))
}

/// Telegram's published limits (30 messages a second overall, one a
/// second per chat, 20 a minute per group), with a 2 % margin: 20 ms of
/// jitter between two messages a second apart is tolerated.
pub const TELEGRAM_LIMITS: PaceLimits = PaceLimits {
    per_sec_overall: 30,
    per_sec_chat: 1,
    per_min_group: 20,
    margin_permille: 20,
};

/// Told by whoever runs the jobs once they have read the clock: updates
/// are taken only after that.
pub type Prepared = tokio::sync::oneshot::Sender<()>;

/// Serves updates until `shutdown` turns true: at once on SQLite; with
/// several instances on PostgreSQL, once this one leads (`lead.rs`), and
/// `led` says when. In webhook mode deliveries are taken from the start.
#[allow(clippy::too_many_arguments)]
pub async fn serve(
    connected: Connected,
    settings: Arc<Settings>,
    store: Store,
    clock: Arc<dyn Clock>,
    shutdown: watch::Receiver<bool>,
    hooks: Arc<crate::faults::Hooks>,
    health: Arc<crate::ops::Health>,
    led: tokio::sync::oneshot::Sender<Prepared>,
) -> Result<(), BotError> {
    // getMe was answered on connecting.
    health.telegram_answered(true);
    health.set_role(Role::Standby);
    let Connected {
        tg,
        token,
        bot_id,
        username,
    } = connected;
    let deps = Arc::new(Deps {
        hooks,
        store,
        settings,
        clock,
        tg,
        token,
        bot_id,
        username,
        health,
        failed: tokio::sync::Notify::new(),
    });
    // Stopped from outside, or by a lead lost: everything stops with it.
    let (stop_all, stop) = watch::channel(false);
    let forward = {
        let (mut shutdown, stop_all) = (shutdown, stop_all.clone());
        tokio::spawn(async move {
            if shutdown.wait_for(|s| *s).await.is_err() {
                tracing::debug!("shutdown signal dropped");
            }
            if stop_all.send(true).is_err() {
                tracing::debug!("the bot had stopped already");
            }
        })
    };
    let receiving = match &deps.settings.telegram.updates {
        Updates::Webhook(hook) => Some(webhook::start(&deps, hook, stop.clone()).await?),
        Updates::Polling => None,
    };
    let mut waiting = stop.clone();
    let Some(leadership) = lead::wait(&deps, &mut waiting).await else {
        if let Some(receiving) = receiving {
            receiving.join().await;
        }
        forward.abort();
        return Ok(());
    };
    let (prepared, ready) = tokio::sync::oneshot::channel();
    if led.send(prepared).is_ok() && ready.await.is_err() {
        tracing::debug!("the scheduler did not start; serving updates all the same");
    }
    let result = lead::run(deps, receiving, leadership, stop, &stop_all).await;
    forward.abort();
    result
}

/// `getMe`, retried while Telegram is unreachable (the bot may start before
/// the network); `None` when shut down while waiting.
async fn get_me(
    bot: &Bot,
    token: &str,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Option<teloxide::types::Me>, BotError> {
    let mut wait = Duration::from_millis(500);
    loop {
        match bot.get_me().await {
            Ok(me) => return Ok(Some(me)),
            Err(RequestError::Api(ApiError::InvalidToken)) => return Err(BotError::TokenRejected),
            Err(RequestError::Api(ApiError::Unknown(text))) if text.contains("Unauthorized") => {
                return Err(BotError::TokenRejected);
            }
            Err(e) => {
                tracing::warn!(error = %redact(&e.to_string(), token), "Telegram not reachable; retrying");
            }
        }
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return Ok(None),
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

pub(super) async fn register_commands(bot: &Bot, settings: &Settings) {
    let lang = settings.locale;
    let commands: Vec<BotCommand> = Command::ALL
        .into_iter()
        .map(|c| BotCommand::new(c.name(), t(lang, &c.help_key(), &[])))
        .collect();
    if let Err(e) = bot.set_my_commands(commands).await {
        tracing::warn!(error = %e, "setMyCommands failed; commands still work");
    }
}
