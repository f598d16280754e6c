//! What a chat platform's adapter hands the conversation: plain values,
//! with every id already parsed into a typed ref at the adapter's edge.

use crate::domain::ids::{ChatKind, ChatRef, PersonRef};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatInfo {
    pub id: ChatRef,
    pub kind: ChatKind,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub id: PersonRef,
    pub display_name: String,
    pub username: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTo {
    pub message_id: i64,
    pub from_bot: bool,
    pub sender: Option<Sender>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    pub chat: ChatInfo,
    pub from: Sender,
    pub message_id: i64,
    /// The forum topic it was written in, answered in the same.
    pub thread: Option<i64>,
    /// The text, or a picture's caption; empty for a sticker or a picture
    /// without one (passed on only when it answers the bot).
    pub text: String,
    pub reply_to: Option<ReplyTo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Message(IncomingMessage),
    /// Its author changed a message's text (a typo in a report fixed).
    Edited(IncomingMessage),
    BotAdded {
        chat: ChatInfo,
        by: Sender,
    },
    BotRemoved {
        chat: ChatInfo,
        by: Sender,
    },
    /// A group became a larger one under a new id (Telegram's upgrade to a
    /// supergroup); its binding follows.
    Migrated {
        from: ChatRef,
        to: ChatRef,
    },
}
