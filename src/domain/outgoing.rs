//! Messages to send, free of any chat platform: the bot's handlers and jobs
//! produce them, one adapter per platform delivers them.

use serde::{Deserialize, Serialize};

use super::ids::{ChatRef, PersonRef};

/// Stored as JSON in the outbox ledger and the inbox's replies, so fields
/// only ever get added, with defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The chat to post in (a person's private chat to write to them).
    pub chat: ChatRef,
    pub text: String,
    /// Message to reply to, when answering one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    /// Forum topic to post in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    /// Ask the client to open a reply to this message (guided dialogues).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_reply: bool,
    /// The text is Telegram HTML (mentions); every value in it is escaped.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub html: bool,
    /// What to say instead if the chat cannot be written to (a person who
    /// never opened a private chat with the bot): mentions in project groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback: Vec<Outgoing>,
    /// Replace the text of this earlier message of the bot's instead of
    /// posting a new one (a corrected report's echo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<i64>,
    /// This is the echo of the person's message with this id: the adapter
    /// remembers which message it became, so a correction can edit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo_of: Option<i64>,
}

impl Outgoing {
    pub fn to(chat: ChatRef, text: impl Into<String>) -> Self {
        Outgoing {
            chat,
            text: text.into(),
            reply_to: None,
            thread: None,
            force_reply: false,
            html: false,
            fallback: Vec::new(),
            edit: None,
            echo_of: None,
        }
    }
}

/// What became of an outgoing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Sent; the platform's ids of its parts.
    Sent(Vec<i64>),
    /// The target could not be written to; the fallback was sent instead.
    Redirected(Vec<i64>),
    /// Nothing could be sent; why (never containing a secret).
    Failed(String),
}

/// Someone to mention so that they are notified; the markup that does it
/// is written by `render::html`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub account: PersonRef,
    pub name: String,
    pub username: Option<String>,
}
