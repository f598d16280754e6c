//! Sends platform-free [`Outgoing`] messages through Telegram, respecting its
//! limits: split below 4096 characters, wait out `RetryAfter`, follow a
//! group's migration to a supergroup, and fall back when a person cannot be
//! written to first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use teloxide::RequestError;
use teloxide::payloads::{
    EditMessageTextSetters, SendDocumentSetters, SendMessageSetters, SendPhotoSetters,
};
use teloxide::prelude::*;
use teloxide::types::{ForceReply, InputFile, MessageId, ParseMode, ReplyParameters, ThreadId};

use crate::domain::ids::{ChatRef, PersonRef};
use crate::domain::outgoing::{Delivery, Outgoing, OutgoingDocument};
use crate::ops::names;
use crate::store::{Store, StoreError, chats};

use super::convert::{chat_id, chat_ref};
use crate::outbound::pace::{Pacer, Target};
use crate::outbound::reach::{note_chat_gone, note_reachable};
use crate::outbound::split::split_message;

/// Telegram's limit per message; texts are split below it.
pub const MAX_MESSAGE_CHARS: usize = 4096;

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
            // A private chat that took a message can be written to first
            // from now on.
            if let Some(person) = private_chat_of(&out.chat) {
                note_reachable(store, &person, true).await;
            }
            Delivery::Sent(ids)
        }
        Err(RequestError::Api(e)) if classify(&e) == Refused::Person => {
            if let Some(person) = private_chat_of(&out.chat) {
                note_reachable(store, &person, false).await;
            }
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
            note_chat_gone(store, &out.chat).await;
            Delivery::Failed(redact(&e.to_string(), token))
        }
        Err(e) => Delivery::Failed(redact(&e.to_string(), token)),
    }
}

/// A chat as the pacer counts it: Telegram's groups, supergroups and
/// channels have negative ids.
fn pace_target(chat: ChatId) -> Target {
    Target {
        chat: chat.0,
        group: chat.0 < 0,
    }
}

/// The person whose private chat this is: in Telegram a private chat's id
/// is the user's id, and only users' ids are positive.
fn private_chat_of(chat: &ChatRef) -> Option<PersonRef> {
    chat_id(chat)
        .filter(|id| id.0 > 0)
        .map(|_| PersonRef::new(chat.platform, chat.id.clone()))
}

async fn send_parts(
    tg: &Telegram,
    store: &Store,
    out: &Outgoing,
) -> Result<Vec<i64>, RequestError> {
    let mut chat = chat_id(&out.chat).ok_or(RequestError::Api(teloxide::ApiError::ChatNotFound))?;
    if let Some(doc) = &out.document {
        return send_file(tg, chat, out, doc, FileKind::Document)
            .await
            .map(|id| vec![id]);
    }
    if let Some(picture) = &out.picture {
        return send_file(tg, chat, out, picture, FileKind::Photo)
            .await
            .map(|id| vec![id]);
    }
    let parts = split_message(&out.text, MAX_MESSAGE_CHARS);
    if let (Some(id), [text]) = (out.edit, parts.as_slice()) {
        return edit(tg, chat, id, out, text).await.map(|id| vec![id]);
    }
    let last = parts.len() - 1;
    let mut ids = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let shape = Part {
            text: part,
            reply_to: out.reply_to.filter(|_| i == 0),
            force_reply: out.force_reply && i == last,
        };
        ids.push(send_part(tg, store, &mut chat, out, &shape).await?);
    }
    Ok(ids)
}

/// One part of a message as Telegram takes it: only the first answers the
/// message it replies to, only the last opens the reply field.
struct Part<'a> {
    text: &'a str,
    reply_to: Option<i64>,
    force_reply: bool,
}

/// Sends one part, waiting out `retry_after`, following a migrated group
/// (`chat` then holds the new id for the parts after) and retrying a
/// dropped connection, up to [`MAX_ATTEMPTS`] tries.
async fn send_part(
    tg: &Telegram,
    store: &Store,
    chat: &mut ChatId,
    out: &Outgoing,
    part: &Part<'_>,
) -> Result<i64, RequestError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        tg.pacer.wait(pace_target(*chat)).await;
        let mut req = tg.bot.send_message(*chat, part.text.to_string());
        if let Some(r) = part.reply_to.and_then(|r| i32::try_from(r).ok()) {
            req = req.reply_parameters(ReplyParameters {
                allow_sending_without_reply: Some(true),
                ..ReplyParameters::new(MessageId(r))
            });
        }
        if let Some(t) = out.thread.and_then(|t| i32::try_from(t).ok()) {
            req = req.message_thread_id(ThreadId(MessageId(t)));
        }
        if out.html {
            req = req.parse_mode(ParseMode::Html);
        }
        if part.force_reply {
            req = req.reply_markup(ForceReply::new().selective());
        }
        match req.await {
            Ok(m) => return Ok(i64::from(m.id.0)),
            Err(RequestError::RetryAfter(wait)) if attempt < MAX_ATTEMPTS => {
                tracing::warn!(
                    chat = chat.0,
                    seconds = wait.seconds(),
                    "Telegram asks to wait"
                );
                wait_out(tg, wait);
            }
            Err(RequestError::MigrateToChatId(new)) if attempt < MAX_ATTEMPTS => {
                tracing::info!(chat = chat.0, new = new.0, "chat migrated; following it");
                follow_migration(store, *chat, new)
                    .await
                    .map_err(io_error)?;
                *chat = new;
            }
            Err(RequestError::Network(_)) if attempt < MAX_ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Replaces the text of the bot's message `id` (a corrected report's
/// echo). The same text again is no error: the message already says it.
async fn edit(
    tg: &Telegram,
    chat: ChatId,
    id: i64,
    out: &Outgoing,
    text: &str,
) -> Result<i64, RequestError> {
    let message = MessageId(i32::try_from(id).map_err(io_error)?);
    paced(tg, chat, || {
        let mut req = tg.bot.edit_message_text(chat, message, text.to_string());
        if out.html {
            req = req.parse_mode(ParseMode::Html);
        }
        async move {
            match req.await {
                Ok(_) | Err(RequestError::Api(teloxide::ApiError::MessageNotModified)) => Ok(id),
                Err(e) => Err(e),
            }
        }
    })
    .await
}

/// How a file is shown: as a file to download, or as a picture.
#[derive(Debug, Clone, Copy)]
enum FileKind {
    Document,
    Photo,
}

/// A file with the text as its caption: `/export`'s workbook as a
/// document, a bulletin's chart as a photo. Only private and leadership
/// chats get files, and neither migrates, so a migration is not followed
/// here.
async fn send_file(
    tg: &Telegram,
    chat: ChatId,
    out: &Outgoing,
    file: &OutgoingDocument,
    kind: FileKind,
) -> Result<i64, RequestError> {
    let reply = out
        .reply_to
        .and_then(|r| i32::try_from(r).ok())
        .map(|r| ReplyParameters {
            allow_sending_without_reply: Some(true),
            ..ReplyParameters::new(MessageId(r))
        });
    let parse = out.html.then_some(ParseMode::Html);
    paced(tg, chat, || {
        let input = InputFile::memory(file.bytes.clone()).file_name(file.file_name.clone());
        let caption = out.text.clone();
        let reply = reply.clone();
        async move {
            let sent = match kind {
                FileKind::Document => {
                    let mut req = tg.bot.send_document(chat, input).caption(caption);
                    if let Some(r) = reply {
                        req = req.reply_parameters(r);
                    }
                    if let Some(p) = parse {
                        req = req.parse_mode(p);
                    }
                    req.await
                }
                FileKind::Photo => {
                    let mut req = tg.bot.send_photo(chat, input).caption(caption);
                    if let Some(r) = reply {
                        req = req.reply_parameters(r);
                    }
                    if let Some(p) = parse {
                        req = req.parse_mode(p);
                    }
                    req.await
                }
            };
            sent.map(|m| i64::from(m.id.0))
        }
    })
    .await
}

/// Runs a request to `chat` at the pacer's pace, waiting out `retry_after`
/// and retrying a dropped connection, up to [`MAX_ATTEMPTS`] tries.
async fn paced<T, F, Fut>(tg: &Telegram, chat: ChatId, mut request: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RequestError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        tg.pacer.wait(pace_target(chat)).await;
        match request().await {
            Err(RequestError::RetryAfter(wait)) if attempt < MAX_ATTEMPTS => wait_out(tg, wait),
            Err(RequestError::Network(_)) if attempt < MAX_ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
            }
            done => return done,
        }
    }
}

/// A 429: Telegram's wait applies to the bot, so nothing else leaves
/// before it is over either; counted for `/metrics`.
fn wait_out(tg: &Telegram, wait: teloxide::types::Seconds) {
    metrics::counter!(names::TELEGRAM_429).increment(1);
    metrics::counter!(names::RETRY_AFTER_SECONDS).increment(u64::from(wait.seconds()));
    tg.pacer.hold_until(Instant::now() + wait.duration());
}

async fn follow_migration(store: &Store, old: ChatId, new: ChatId) -> Result<(), StoreError> {
    let mut conn = store.conn().await?;
    chats::migrate(&mut conn, &chat_ref(old), &chat_ref(new)).await?;
    Ok(())
}

fn io_error(e: impl std::fmt::Display) -> RequestError {
    RequestError::Io(std::sync::Arc::new(std::io::Error::other(e.to_string())))
}
