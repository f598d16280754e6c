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
    /// A file to send with the text as its caption (`/export`'s workbook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<OutgoingDocument>,
    /// A picture (PNG) to show with the text as its caption: the chart
    /// posted with the bulletin and the monthly analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<OutgoingDocument>,
}

/// A file as a message carries it: its name as the recipient sees it, and
/// its content, which the stored JSON keeps as base64 (a third larger,
/// where an array of numbers would be four times).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingDocument {
    pub file_name: String,
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

/// Name and size only: a log line or a failed assertion must not print a
/// workbook byte by byte.
impl std::fmt::Debug for OutgoingDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingDocument")
            .field("file_name", &self.file_name)
            .field("bytes", &self.bytes.len())
            .finish()
    }
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
            document: None,
            picture: None,
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

/// The stored JSON keeps a document's bytes as standard base64 (RFC 4648).
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(D::Error::custom)
    }
}

/// One message a job posted, as the ledger keeps it (the dashboard lists
/// them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub job: super::schedule::Job,
    pub period: String,
    pub sent_at: chrono::DateTime<chrono::Utc>,
    /// The message as claimed (`Outgoing` as JSON).
    pub payload: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::Platform;

    #[test]
    fn a_document_survives_the_stored_json_and_older_rows_read_without_one() {
        let out = Outgoing {
            document: Some(OutgoingDocument {
                file_name: "duban-2026-W48.xlsx".into(),
                bytes: vec![0x50, 0x4B, 3, 4, 0, 255],
            }),
            ..Outgoing::to(ChatRef::new(Platform::Telegram, "1".to_string()), "x")
        };
        let json = serde_json::to_string(&out).unwrap();
        assert!(json.contains(r#""bytes":"UEsDBAD/""#), "{json}");
        assert_eq!(serde_json::from_str::<Outgoing>(&json).unwrap(), out);
        let old = r#"{"chat":"1","text":"x"}"#;
        let read: Outgoing = serde_json::from_str(old).unwrap();
        assert_eq!(read.document, None);
        let plain = serde_json::to_string(&read).unwrap();
        assert!(!plain.contains("document"), "{plain}");
    }
}
