//! Sends platform-free [`Outgoing`] messages through Telegram, respecting its
//! limits: split below 4096 characters, wait out `RetryAfter`, follow a
//! group's migration to a supergroup, and fall back when a person cannot be
//! written to first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use teloxide::RequestError;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::*;
use teloxide::types::{ForceReply, MessageId, ReplyParameters, ThreadId};

use crate::domain::outgoing::{Delivery, MAX_MESSAGE_CHARS, Outgoing, split_message};
use crate::service::conversation::PLATFORM;
use crate::store::{Store, chats, people};

use super::pace::Pacer;

/// Telegram as the bot sends to it: the client, and the pace every message
/// keeps (one pacer for the whole process, replies and jobs alike).
#[derive(Clone)]
pub struct Telegram {
    pub bot: Bot,
    pub pacer: Arc<Pacer>,
}

/// How many times one part is tried when Telegram asks us to wait.
const MAX_ATTEMPTS: usize = 5;

/// Telegram errors that say where a message cannot go, whatever teloxide
/// names them (it knows only some of Telegram's current wordings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// The person never opened a chat with the bot, blocked it, or is gone.
    Person,
    /// The bot is no longer in the chat, or the chat does not exist.
    Chat,
    Other,
}

fn classify(e: &teloxide::ApiError) -> Refused {
    let text = e.to_string();
    if text.contains("initiate conversation")
        || text.contains("blocked by the user")
        || text.contains("user is deactivated")
    {
        Refused::Person
    } else if text.contains("kicked")
        || text.contains("chat not found")
        || text.contains("not a member")
    {
        Refused::Chat
    } else {
        Refused::Other
    }
}

/// Removes the bot token from an error text (teloxide's request URLs carry it).
pub fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token, "<token>")
    }
}

pub async fn deliver(tg: &Telegram, store: &Store, token: &str, out: &Outgoing) -> Delivery {
    match send_parts(tg, store, out).await {
        Ok(ids) => {
            // A private chat (a person's id) that took a message can be
            // written to first from now on.
            if out.chat.parse::<i64>().is_ok_and(|id| id > 0) {
                let _ = mark_person_reachable(store, &out.chat, true).await;
            }
            Delivery::Sent(ids)
        }
        Err(RequestError::Api(e)) if classify(&e) == Refused::Person => {
            let _ = mark_person_reachable(store, &out.chat, false).await;
            if out.fallback.is_empty() {
                return Delivery::Failed(redact(&e.to_string(), token));
            }
            let mut ids = Vec::new();
            for fb in &out.fallback {
                match send_parts(tg, store, fb).await {
                    Ok(sent) => ids.extend(sent),
                    Err(e) => return Delivery::Failed(redact(&e.to_string(), token)),
                }
            }
            Delivery::Redirected(ids)
        }
        Err(RequestError::Api(e)) if classify(&e) == Refused::Chat => {
            let _ = mark_chat_gone(store, &out.chat).await;
            Delivery::Failed(redact(&e.to_string(), token))
        }
        Err(e) => Delivery::Failed(redact(&e.to_string(), token)),
    }
}

async fn send_parts(
    tg: &Telegram,
    store: &Store,
    out: &Outgoing,
) -> Result<Vec<i64>, RequestError> {
    let mut chat: i64 = out
        .chat
        .parse()
        .map_err(|_| RequestError::Api(teloxide::ApiError::ChatNotFound))?;
    let parts = split_message(&out.text, MAX_MESSAGE_CHARS);
    let last = parts.len() - 1;
    let mut ids = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let mut attempt = 0;
        loop {
            attempt += 1;
            tg.pacer.wait(chat).await;
            let mut req = tg.bot.send_message(ChatId(chat), part.clone());
            if let Some(r) = out.reply_to.and_then(|r| i32::try_from(r).ok())
                && i == 0
            {
                req = req.reply_parameters(ReplyParameters {
                    allow_sending_without_reply: Some(true),
                    ..ReplyParameters::new(MessageId(r))
                });
            }
            if let Some(t) = out.thread.and_then(|t| i32::try_from(t).ok()) {
                req = req.message_thread_id(ThreadId(MessageId(t)));
            }
            if out.html {
                req = req.parse_mode(teloxide::types::ParseMode::Html);
            }
            if out.force_reply && i == last {
                req = req.reply_markup(ForceReply::new().selective());
            }
            match req.await {
                Ok(m) => {
                    ids.push(i64::from(m.id.0));
                    break;
                }
                Err(RequestError::RetryAfter(wait)) if attempt < MAX_ATTEMPTS => {
                    // Telegram's wait applies to the bot: nothing else leaves
                    // before it is over either.
                    tracing::warn!(chat, seconds = wait.seconds(), "Telegram asks to wait");
                    tg.pacer.hold_until(Instant::now() + wait.duration());
                }
                Err(RequestError::MigrateToChatId(new)) if attempt < MAX_ATTEMPTS => {
                    tracing::info!(chat, new = new.0, "chat migrated; following it");
                    let mut conn = store.pool().acquire().await.map_err(io_error)?;
                    chats::migrate(&mut conn, PLATFORM, &chat.to_string(), &new.0.to_string())
                        .await
                        .map_err(io_error)?;
                    chat = new.0;
                }
                Err(RequestError::Network(_)) if attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(ids)
}

fn io_error(e: impl std::fmt::Display) -> RequestError {
    RequestError::Io(std::sync::Arc::new(std::io::Error::other(e.to_string())))
}

async fn mark_person_reachable(
    store: &Store,
    external_id: &str,
    can: bool,
) -> crate::store::Result<()> {
    let mut conn = store.pool().acquire().await?;
    if let Some(p) = people::by_external(&mut conn, PLATFORM, external_id).await?
        && p.can_dm != can
    {
        people::set_can_dm(&mut conn, p.id, can).await?;
    }
    Ok(())
}

async fn mark_chat_gone(store: &Store, external_id: &str) -> crate::store::Result<()> {
    let mut conn = store.pool().acquire().await?;
    if let Some(c) = chats::by_external(&mut conn, PLATFORM, external_id).await? {
        chats::set_active(&mut conn, c.id, false).await?;
    }
    Ok(())
}
