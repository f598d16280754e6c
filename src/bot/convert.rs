//! Telegram's updates as the conversation's platform-free events.

use teloxide::types::{ChatMemberKind, Message, Update, UpdateKind, User};

use crate::chat::{Attachment, ChatInfo, Event, IncomingMessage, ReplyTo, Sender};
use crate::domain::ids::{ChatKind, ChatRef, PersonRef, Platform};

/// A Telegram chat id as the core's typed ref.
pub fn chat_ref(id: teloxide::types::ChatId) -> ChatRef {
    ChatRef::new(Platform::Telegram, id.0.to_string())
}

/// The Telegram chat id a ref addresses; `None` for another platform's chat
/// or an id that is not Telegram's (a number).
pub fn chat_id(chat: &ChatRef) -> Option<teloxide::types::ChatId> {
    match chat.platform {
        Platform::Telegram => chat.id.parse().ok().map(teloxide::types::ChatId),
        Platform::Feishu => None,
    }
}

fn sender(u: &User) -> Sender {
    Sender {
        id: PersonRef::new(Platform::Telegram, u.id.0.to_string()),
        display_name: u.full_name(),
        username: u.username.clone(),
    }
}

fn chat_info(chat: &teloxide::types::Chat) -> Option<ChatInfo> {
    let kind = if chat.is_private() {
        ChatKind::Private
    } else if chat.is_supergroup() {
        ChatKind::Supergroup
    } else if chat.is_group() {
        ChatKind::Group
    } else {
        // Channels are not served.
        return None;
    };
    let title = chat
        .title()
        .map(str::to_string)
        .or_else(|| chat.first_name().map(str::to_string))
        .unwrap_or_default();
    Some(ChatInfo {
        id: chat_ref(chat.id),
        kind,
        title,
    })
}

/// The event an update carries for us, if any (edits, callbacks and the
/// like are acknowledged and dropped).
pub fn event(update: &Update, bot_id: u64) -> Option<Event> {
    match &update.kind {
        UpdateKind::Message(m) => {
            migration(m).or_else(|| message_event(m, bot_id).map(Event::Message))
        }
        UpdateKind::EditedMessage(m) => message_event(m, bot_id).map(Event::Edited),
        UpdateKind::MyChatMember(change) => {
            let chat = chat_info(&change.chat)?;
            if chat.kind == ChatKind::Private {
                return None;
            }
            let by = sender(&change.from);
            let was_in = is_present(&change.old_chat_member.kind);
            let is_in = is_present(&change.new_chat_member.kind);
            match (was_in, is_in) {
                (false, true) => Some(Event::BotAdded { chat, by }),
                (true, false) => Some(Event::BotRemoved { chat, by }),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_present(kind: &ChatMemberKind) -> bool {
    !matches!(kind, ChatMemberKind::Left | ChatMemberKind::Banned(_))
}

/// A group's move to a supergroup, announced in both chats.
fn migration(m: &Message) -> Option<Event> {
    if let Some(to) = m.migrate_to_chat_id() {
        return Some(Event::Migrated {
            from: chat_ref(m.chat.id),
            to: chat_ref(*to),
        });
    }
    m.migrate_from_chat_id().map(|from| Event::Migrated {
        from: chat_ref(*from),
        to: chat_ref(m.chat.id),
    })
}

/// A person's message: its text, or a picture's caption; a message with
/// neither (a sticker, a bare photo) only when it answers the bot, which
/// then says what it expects, or when it is a file sent privately (a
/// pledge sheet, fetched by `handle.rs` before the update is handled).
fn message_event(m: &Message, bot_id: u64) -> Option<IncomingMessage> {
    let from = m.from.as_ref()?;
    if from.is_bot {
        return None;
    }
    // In a forum topic every message "replies" to the topic's first message;
    // that is where it was written, not what it answers.
    let topic_root = m.thread_id.filter(|_| m.is_topic_message).map(|t| t.0.0);
    let reply_to = m
        .reply_to_message()
        .filter(|r| Some(r.id.0) != topic_root)
        .map(|r| ReplyTo {
            message_id: i64::from(r.id.0),
            from_bot: r.from.as_ref().is_some_and(|u| u.id.0 == bot_id),
            sender: r.from.as_ref().map(sender),
            text: r.text().unwrap_or_default().to_string(),
        });
    let attachment = m.document().map(|d| Attachment {
        file_name: d.file_name.clone().unwrap_or_default(),
        size: u64::from(d.file.size),
        bytes: None,
    });
    let text = match m.text().or(m.caption()) {
        Some(t) => t.to_string(),
        None if reply_to.as_ref().is_some_and(|r| r.from_bot) && is_content(m) => String::new(),
        None if attachment.is_some() && m.chat.is_private() => String::new(),
        None => return None,
    };
    Some(IncomingMessage {
        chat: chat_info(&m.chat)?,
        from: sender(from),
        message_id: i64::from(m.id.0),
        thread: m
            .thread_id
            .filter(|_| m.is_topic_message)
            .map(|t| i64::from(t.0.0)),
        text,
        reply_to,
        attachment,
    })
}

/// The Telegram file id of the document an update carries, which the
/// platform-free [`Attachment`] leaves out: only this adapter downloads.
pub fn document_file_id(update: &Update) -> Option<teloxide::types::FileId> {
    match &update.kind {
        UpdateKind::Message(m) => m.document().map(|d| d.file.id.clone()),
        _ => None,
    }
}

/// Something a person sent (a sticker, a picture, a file), not a service
/// message about the chat.
fn is_content(m: &Message) -> bool {
    m.sticker().is_some()
        || m.photo().is_some()
        || m.document().is_some()
        || m.voice().is_some()
        || m.video().is_some()
        || m.animation().is_some()
}
