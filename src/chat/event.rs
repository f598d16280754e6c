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
    /// A file sent with the message (a pledge sheet); its text is then the
    /// caption, or empty.
    pub attachment: Option<Attachment>,
}

/// A file a person sent, as the platform described it. The adapter fetches
/// the content before the update's transaction opens, so no transaction
/// waits on the network; `bytes` stays `None` when the file was too large
/// to fetch or the fetch failed, and the conversation says which.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    /// In bytes, as the platform reports it before any download.
    pub size: u64,
    pub bytes: Option<Vec<u8>>,
}

/// Name and sizes only: a logged event must not print a workbook.
impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("file_name", &self.file_name)
            .field("size", &self.size)
            .field("fetched", &self.bytes.as_ref().map(Vec::len))
            .finish()
    }
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
    /// Its author took a message back (Feishu's recall): a report it held
    /// is withdrawn.
    Recalled {
        chat: ChatRef,
        message_id: i64,
    },
    /// A group became a larger one under a new id (Telegram's upgrade to a
    /// supergroup); its binding follows.
    Migrated {
        from: ChatRef,
        to: ChatRef,
    },
}
