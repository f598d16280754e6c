//! The Telegram adapter: the only module that knows teloxide. It turns
//! updates into the conversation's events and delivers its replies.
//!
//! Updates are durable before they are acknowledged (DESIGN rule 4): the
//! poller stores each raw update in the inbox before it asks Telegram for the
//! next batch (which is what confirms the previous one), and a handler marks
//! its update handled in the same transaction as its effects. At start-up,
//! updates stored but not handled are handled first, and replies recorded but
//! not confirmed sent are sent.

pub mod convert;
pub mod deliver;
pub mod pace;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use secrecy::ExposeSecret;
use teloxide::dispatching::Dispatcher;
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::{BotCommand, Update};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use teloxide::{ApiError, RequestError};
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::commands::Command;
use crate::domain::outgoing::Delivery;
use crate::domain::outgoing::Outgoing;
use crate::domain::text::t;
use crate::jobs::Messenger;
use crate::service::conversation::{self, Env};
use crate::store::{Store, StoreError, inbox};
use deliver::{Telegram, deliver, redact};
use pace::{PaceLimits, Pacer};

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
}

/// Long-poll wait per getUpdates; below teloxide's HTTP timeout (17 s).
const POLL_TIMEOUT_SECS: u32 = 10;

struct Deps {
    hooks: Arc<crate::faults::Hooks>,
    store: Store,
    settings: Arc<Settings>,
    clock: Arc<dyn Clock>,
    tg: Telegram,
    token: String,
    bot_id: u64,
    username: String,
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
    fn send<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Delivery> {
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
        Pacer::new(PaceLimits::TELEGRAM)
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

/// Serves updates until `shutdown` turns true.
pub async fn serve(
    connected: Connected,
    settings: Arc<Settings>,
    store: Store,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
    hooks: Arc<crate::faults::Hooks>,
) -> Result<(), BotError> {
    let Connected {
        tg,
        token,
        bot_id,
        username,
    } = connected;
    register_commands(&tg.bot, &settings).await;

    let deps = Arc::new(Deps {
        hooks,
        store: store.clone(),
        settings,
        clock,
        tg: tg.clone(),
        token: token.clone(),
        bot_id,
        username,
    });
    resend_unconfirmed(&deps).await?;

    let (sender, receiver) = mpsc::unbounded_channel::<Update>();
    let mut conn = store.pool().acquire().await.map_err(StoreError::from)?;
    for (update_id, raw) in inbox::unhandled(&mut conn).await? {
        match serde_json::from_str::<Update>(&raw) {
            Ok(u) => {
                let _ = sender.send(u);
            }
            Err(e) => {
                tracing::error!(update_id, error = %e, "stored update unreadable; marked handled");
                inbox::claim(&mut conn, update_id, "[]", deps.clock.now()).await?;
            }
        }
    }
    let mut offset = inbox::max_update_id(&mut conn).await?.map_or(0, |m| m + 1);
    drop(conn);

    let handler = dptree::entry().endpoint(|update: Update, deps: Arc<Deps>| async move {
        process(&deps, update).await;
        Ok::<(), Infallible>(())
    });
    let mut dispatcher = Dispatcher::builder(tg.bot.clone(), handler)
        .dependencies(dptree::deps![deps.clone()])
        .default_handler(|_| async {})
        .build();
    let dispatch_token = dispatcher.shutdown_token();
    let poll_deps = deps.clone();
    let mut poll_shutdown = shutdown.clone();
    let poller = tokio::spawn(async move {
        let mut backoff = Duration::from_millis(500);
        loop {
            let batch = tokio::select! {
                _ = poll_shutdown.wait_for(|s| *s) => break,
                r = tg.bot.get_updates().offset(offset as i32).timeout(POLL_TIMEOUT_SECS) => r,
            };
            match batch {
                Ok(updates) => {
                    backoff = Duration::from_millis(500);
                    for u in updates {
                        let id = i64::from(u.id.0);
                        match store_update(&poll_deps, &u).await {
                            Ok(true) => {
                                let _ = sender.send(u);
                            }
                            Ok(false) => {}
                            Err(e) => {
                                // Not stored: do not confirm it; Telegram sends it again.
                                tracing::error!(update_id = id, error = %e, "cannot store update");
                                break;
                            }
                        }
                        offset = id + 1;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %redact(&e.to_string(), &poll_deps.token), "getUpdates failed; retrying");
                    tokio::select! {
                        _ = poll_shutdown.wait_for(|s| *s) => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    });
    let stopper = tokio::spawn(async move {
        let _ = shutdown.wait_for(|s| *s).await;
        if let Ok(done) = dispatch_token.shutdown() {
            done.await;
        }
    });
    dispatcher
        .dispatch_with_listener(
            ChannelListener::new(receiver),
            LoggingErrorHandler::with_custom_text("update handling failed"),
        )
        .await;
    let _ = poller.await;
    stopper.abort();
    Ok(())
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

async fn register_commands(bot: &Bot, settings: &Settings) {
    let lang = settings.locale;
    let commands: Vec<BotCommand> = Command::ALL
        .into_iter()
        .map(|c| BotCommand::new(c.name(), t(lang, &c.help_key(), &[])))
        .collect();
    if let Err(e) = bot.set_my_commands(commands).await {
        tracing::warn!(error = %e, "setMyCommands failed; commands still work");
    }
}

async fn store_update(deps: &Deps, u: &Update) -> Result<bool, StoreError> {
    let raw = serde_json::to_string(u).unwrap_or_default();
    let mut conn = deps.store.pool().acquire().await?;
    inbox::store(&mut conn, i64::from(u.id.0), &raw, deps.clock.now()).await
}

/// Handles one update exactly once: effects and the handled mark commit
/// together; replies go out after, and are confirmed.
async fn process(deps: &Deps, update: Update) {
    let update_id = i64::from(update.id.0);
    let chat = update.chat().map(|c| c.id.0).unwrap_or_default();
    let span = tracing::info_span!("update", update_id, chat, project = tracing::field::Empty);
    async {
        deps.hooks.handling().await;
        let event = convert::event(&update, deps.bot_id);
        let now = deps.clock.now();
        let env = Env {
            settings: &deps.settings,
            bot_username: &deps.username,
        };
        let result: Result<Option<Vec<Outgoing>>, StoreError> = async {
            let mut tx = deps.store.begin().await?;
            if inbox::is_handled(&mut tx, update_id).await? {
                return Ok(None);
            }
            let replies = match event.clone() {
                Some(ev) => conversation::handle(&mut tx, &env, ev, now).await?,
                None => Vec::new(),
            };
            let json = serde_json::to_string(&replies).unwrap_or_else(|_| "[]".into());
            if !inbox::claim(&mut tx, update_id, &json, now).await? {
                return Ok(None);
            }
            tx.commit().await?;
            Ok(Some(replies))
        }
        .await;
        match result {
            Ok(Some(replies)) => send_and_confirm(deps, update_id, &replies).await,
            Ok(None) => tracing::debug!("already handled"),
            Err(e) => {
                // Nothing was committed: the update stays unhandled and is
                // handled again at the next start. Say so to the person.
                tracing::error!(error = %e, "update not handled");
                if let Some(conversation::Event::Message(m)) = event {
                    let sorry = Outgoing {
                        reply_to: Some(m.message_id),
                        thread: m.thread,
                        ..Outgoing::to(
                            m.chat.external_id,
                            t(deps.settings.locale, "error.internal", &[]),
                        )
                    };
                    let _ = deliver(&deps.tg, &deps.store, &deps.token, &sorry).await;
                }
            }
        }
    }
    .instrument(span)
    .await
}

async fn send_and_confirm(deps: &Deps, update_id: i64, replies: &[Outgoing]) {
    for out in replies {
        if let Delivery::Failed(why) = deliver(&deps.tg, &deps.store, &deps.token, out).await {
            tracing::warn!(chat = %out.chat, why, "reply not delivered");
        }
    }
    if let Ok(mut conn) = deps.store.pool().acquire().await
        && let Err(e) = inbox::mark_replied(&mut conn, update_id, deps.clock.now()).await
    {
        tracing::warn!(error = %e, "reply confirmation not recorded");
    }
}

/// Replies recorded by a run that stopped before confirming them.
async fn resend_unconfirmed(deps: &Deps) -> Result<(), StoreError> {
    let mut conn = deps.store.pool().acquire().await?;
    let pending = inbox::unreplied(&mut conn).await?;
    drop(conn);
    for (update_id, json) in pending {
        let replies: Vec<Outgoing> = serde_json::from_str(&json).unwrap_or_default();
        send_and_confirm(deps, update_id, &replies).await;
    }
    Ok(())
}

/// Feeds the dispatcher from the poller (and the start-up replay) instead of
/// letting teloxide poll, so every update is stored first.
struct ChannelListener {
    receiver: mpsc::UnboundedReceiver<Update>,
    token: StopToken,
    flag: StopFlag,
}

impl ChannelListener {
    fn new(receiver: mpsc::UnboundedReceiver<Update>) -> Self {
        let (token, flag) = mk_stop_token();
        ChannelListener {
            receiver,
            token,
            flag,
        }
    }
}

impl UpdateListener for ChannelListener {
    type Err = Infallible;

    fn stop_token(&mut self) -> StopToken {
        self.token.clone()
    }
}

impl<'a> AsUpdateStream<'a> for ChannelListener {
    type StreamErr = Infallible;
    type Stream = BoxStream<'a, Result<Update, Infallible>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let flag = self.flag.clone();
        futures::stream::unfold(&mut self.receiver, |rx| async move {
            rx.recv().await.map(|u| (Ok(u), rx))
        })
        .take_until(flag.map(|_| ()))
        .boxed()
    }
}
