//! Feishu's v2 event envelopes (../shared/feishu-wire-format.md, section 4)
//! as the conversation's platform-free events. Feishu's ids are parsed
//! into typed refs here: a person is their open_id (`ou_…`) for this app, a
//! group its chat_id (`oc_…`), and a person's private chat with the bot is
//! addressed by the person's open_id, as on Telegram, so that the jobs'
//! private messages and the person's own reach the same chat.
//!
//! What the envelope leaves out is looked up: a group's title and a
//! person's name as last recorded, and the message replied to in
//! `platform_messages`, under the number the core keeps for it.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::markup::{Mentioned, received_text};
use crate::chat::{ChatInfo, Event, IncomingMessage, ReplyTo, Sender};
use crate::domain::ids::{ChatKind, ChatRef, PersonRef, Platform};
use crate::store::{Conn, Result, chats, messages, people};

/// An envelope's header and body, read once.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub event_id: String,
    pub event_type: String,
    pub event: Value,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeShape {
    #[error("feishu event: not JSON")]
    NotJson,
    #[error("feishu event: no schema 2.0 header with event_id and event_type")]
    NoHeader,
}

impl Envelope {
    pub fn parse(raw: &str) -> Result<Envelope, EnvelopeShape> {
        let v: Value = serde_json::from_str(raw).map_err(|_| EnvelopeShape::NotJson)?;
        Envelope::from_value(v)
    }

    /// An envelope already read as JSON (the webhook reads it to check it).
    pub fn from_value(mut v: Value) -> Result<Envelope, EnvelopeShape> {
        let h = &v["header"];
        let (Some(id), Some(ty)) = (h["event_id"].as_str(), h["event_type"].as_str()) else {
            return Err(EnvelopeShape::NoHeader);
        };
        Ok(Envelope {
            event_id: id.to_string(),
            event_type: ty.to_string(),
            event: v["event"].take(),
        })
    }

    /// What makes a second delivery the same event: a message's id (Feishu
    /// asks receivers to dedupe messages by it, not by event id), else the
    /// event's id.
    pub fn key(&self) -> String {
        let message = self.event["message"]["message_id"].as_str();
        match (self.event_type.as_str(), message) {
            ("im.message.receive_v1", Some(m)) => m.to_string(),
            ("im.message.recalled_v1", _) => format!(
                "recalled:{}",
                self.event["message_id"].as_str().unwrap_or(&self.event_id)
            ),
            _ => self.event_id.clone(),
        }
    }
}

/// The number the core keeps for a Feishu message id: the first 63 bits of
/// its SHA-256, the same on every instance and after every restart.
pub fn local_id(message_id: &str) -> i64 {
    let h = Sha256::digest(message_id.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(b) >> 1) as i64
}

pub fn person(open_id: &str) -> PersonRef {
    PersonRef::new(Platform::Feishu, open_id)
}

fn group(chat_id: &str) -> ChatRef {
    ChatRef::new(Platform::Feishu, chat_id)
}

/// What the envelope does not say: the bot's identity, for its own
/// mentions, and people's names as Feishu's contact API gave them.
pub struct Me<'a> {
    pub open_id: &'a str,
    pub names: &'a std::collections::HashMap<String, String>,
}

/// The people an event names by open_id alone: its sender or operator.
pub fn people_in(env: &Envelope) -> Vec<String> {
    let e = &env.event;
    [
        e["sender"]["sender_id"]["open_id"].as_str(),
        e["operator_id"]["open_id"].as_str(),
    ]
    .into_iter()
    .flatten()
    .map(str::to_string)
    .collect()
}

/// The event the conversation handles; `None` for one it does not serve
/// (another bot's message, a sticker, an event type it does not know).
pub async fn event(conn: &mut Conn, env: &Envelope, me: &Me<'_>) -> Result<Option<Event>> {
    let e = &env.event;
    match env.event_type.as_str() {
        "im.message.receive_v1" => message(conn, e, me).await,
        "im.chat.member.bot.added_v1" => {
            let (chat, by) = membership(conn, e, me).await?;
            Ok(Some(Event::BotAdded { chat, by }))
        }
        "im.chat.member.bot.deleted_v1" | "im.chat.disbanded_v1" => {
            let (chat, by) = membership(conn, e, me).await?;
            Ok(Some(Event::BotRemoved { chat, by }))
        }
        "im.message.recalled_v1" => Ok(match (e["chat_id"].as_str(), e["message_id"].as_str()) {
            (Some(chat), Some(message)) => Some(Event::Recalled {
                chat: group(chat),
                message_id: local_id(message),
            }),
            _ => None,
        }),
        "im.chat.access_event.bot_p2p_chat_entered_v1" => {
            // A person opening the private chat is greeted as `/start` is.
            let Some(open_id) = e["operator_id"]["open_id"].as_str() else {
                return Ok(None);
            };
            let from = sender(conn, open_id, me).await?;
            Ok(Some(Event::Message(IncomingMessage {
                chat: private(&from),
                from,
                message_id: 0,
                thread: None,
                text: "/start".into(),
                reply_to: None,
                attachment: None,
            })))
        }
        _ => Ok(None),
    }
}

async fn message(conn: &mut Conn, e: &Value, me: &Me<'_>) -> Result<Option<Event>> {
    let m = &e["message"];
    let (Some(open_id), Some(message_id)) = (
        e["sender"]["sender_id"]["open_id"].as_str(),
        m["message_id"].as_str(),
    ) else {
        return Ok(None);
    };
    if e["sender"]["sender_type"].as_str() != Some("user") {
        return Ok(None);
    }
    let mentions = mentioned(&m["mentions"]);
    let kind = m["message_type"].as_str().unwrap_or("");
    let content: Value = m["content"]
        .as_str()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or(Value::Null);
    let from = sender(conn, open_id, me).await?;
    let chat = match m["chat_type"].as_str() {
        Some("p2p") => private(&from),
        _ => {
            let id = group(m["chat_id"].as_str().unwrap_or(""));
            let title = stored_title(conn, &id).await?;
            ChatInfo {
                id,
                kind: ChatKind::Group,
                title,
            }
        }
    };
    let reply_to = match m["parent_id"].as_str() {
        Some(parent) => Some(replied(conn, parent).await?),
        None => None,
    };
    let attachment = (kind == "file").then(|| crate::chat::Attachment {
        file_name: content["file_name"].as_str().unwrap_or("").to_string(),
        size: 0,
        bytes: None,
    });
    Ok(Some(Event::Message(IncomingMessage {
        chat,
        from,
        message_id: local_id(message_id),
        thread: None,
        text: received_text(&content, kind, &mentions, me.open_id),
        reply_to,
        attachment,
    })))
}

fn mentioned(v: &Value) -> Vec<Mentioned> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            Some(Mentioned {
                key: m["key"].as_str()?.to_string(),
                open_id: m["id"]["open_id"].as_str()?.to_string(),
                name: m["name"].as_str().unwrap_or("").to_string(),
            })
        })
        .collect()
}

/// The message replied to, as far as it was seen.
async fn replied(conn: &mut Conn, parent: &str) -> Result<ReplyTo> {
    let id = local_id(parent);
    let seen = messages::find(conn, Platform::Feishu, id).await?;
    Ok(match seen {
        Some(m) => ReplyTo {
            message_id: id,
            from_bot: m.from_bot,
            sender: m.sender.map(|p| Sender {
                id: p,
                display_name: m.sender_name,
                username: None,
            }),
            text: String::new(),
        },
        None => ReplyTo {
            message_id: id,
            from_bot: false,
            sender: None,
            text: String::new(),
        },
    })
}

/// A person, with the name Feishu's contact API gave (an event carries
/// only the open_id), else the one last recorded, else the open_id.
async fn sender(conn: &mut Conn, open_id: &str, me: &Me<'_>) -> Result<Sender> {
    let id = person(open_id);
    let display_name = match me.names.get(open_id) {
        Some(n) if !n.is_empty() => n.clone(),
        _ => people::by_external(conn, &id)
            .await?
            .map(|p| p.display_name)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| open_id.to_string()),
    };
    Ok(Sender {
        id,
        display_name,
        username: None,
    })
}

fn private(from: &Sender) -> ChatInfo {
    ChatInfo {
        id: from.id.private_chat(),
        kind: ChatKind::Private,
        title: from.display_name.clone(),
    }
}

async fn stored_title(conn: &mut Conn, chat: &ChatRef) -> Result<String> {
    Ok(chats::by_external(conn, chat)
        .await?
        .map(|c| c.title)
        .unwrap_or_default())
}

/// A membership event's group (with the name it carries) and who did it.
async fn membership(conn: &mut Conn, e: &Value, me: &Me<'_>) -> Result<(ChatInfo, Sender)> {
    let id = group(e["chat_id"].as_str().unwrap_or(""));
    let title = match e["name"].as_str() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => stored_title(conn, &id).await?,
    };
    let by = sender(conn, e["operator_id"]["open_id"].as_str().unwrap_or(""), me).await?;
    Ok((
        ChatInfo {
            id,
            kind: ChatKind::Group,
            title,
        },
        by,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_keyed_by_its_id_and_other_events_by_theirs() {
        let raw = r#"{"schema":"2.0","header":{"event_id":"e1","event_type":"im.message.receive_v1"},
            "event":{"message":{"message_id":"om_1"}}}"#;
        let env = Envelope::parse(raw).unwrap();
        assert_eq!(env.key(), "om_1");
        let raw = r#"{"schema":"2.0","header":{"event_id":"e2","event_type":"im.chat.disbanded_v1"},"event":{}}"#;
        assert_eq!(Envelope::parse(raw).unwrap().key(), "e2");
        assert_eq!(Envelope::parse("[").unwrap_err(), EnvelopeShape::NotJson);
        assert_eq!(Envelope::parse("{}").unwrap_err(), EnvelopeShape::NoHeader);
    }

    #[test]
    fn local_ids_are_stable_positive_and_distinct() {
        let a = local_id("om_5ce6d572455d361153b7cb51da133945");
        assert_eq!(a, local_id("om_5ce6d572455d361153b7cb51da133945"));
        assert!(a > 0);
        assert_ne!(a, local_id("om_5ce6d572455d361153b7cb51da133946"));
    }
}
