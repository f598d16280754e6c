//! What people do: the world changes and the event Feishu would push is
//! built and kept (by event id) for delivery. A misuse the real platform
//! could never produce (an unknown user, a message in a group the bot is
//! not in) is an `Err` naming it, which the test-facing call panics with.

use serde_json::{Value, json};

use crate::content::{Said, split_said};
use crate::events::{self, UserMessage};
use crate::ids;
use crate::world::{FileKind, Message, Place, StoredFile, World};

/// An event ready to push.
pub(crate) struct Prepared {
    pub event_id: String,
    pub message_id: Option<String>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum ChatChange {
    BotAdded,
    BotRemoved,
    Disbanded,
}

/// What a person sends.
pub(crate) enum Incoming<'a> {
    Text(&'a str),
    Post {
        title: &'a str,
        paragraphs: &'a [&'a str],
    },
    File {
        name: &'a str,
        bytes: Vec<u8>,
    },
}

impl World {
    /// Wraps `event` in an envelope under a fresh event id and keeps it.
    fn keep_event(&mut self, event_type: &str, event: Value) -> String {
        let event_id = ids::hex32();
        let body = events::envelope(&self.config, &event_id, event_type, event);
        self.store_event(&event_id, event_type, body);
        event_id
    }

    fn known_user(&self, open_id: &str) -> Result<(), String> {
        if self.users.contains_key(open_id) {
            Ok(())
        } else {
            Err(format!("no user {open_id} (add_user first)"))
        }
    }

    pub fn chat_change(
        &mut self,
        change: ChatChange,
        chat_id: &str,
        by: &str,
    ) -> Result<Prepared, String> {
        self.known_user(by)?;
        let group = self
            .groups
            .get_mut(chat_id)
            .ok_or_else(|| format!("no group {chat_id} (add_group first)"))?;
        let event_type = match change {
            ChatChange::BotAdded => {
                group.bot_member = true;
                events::BOT_ADDED
            }
            ChatChange::BotRemoved => {
                group.bot_member = false;
                events::BOT_DELETED
            }
            ChatChange::Disbanded => {
                group.disbanded = true;
                events::DISBANDED
            }
        };
        let name = group.name.clone();
        let event = events::chat_event(self, chat_id, &name, by);
        Ok(Prepared {
            event_id: self.keep_event(event_type, event),
            message_id: None,
        })
    }

    pub fn p2p_entered(&mut self, open_id: &str) -> Result<Prepared, String> {
        self.known_user(open_id)?;
        let event = events::p2p_entered(self, open_id);
        Ok(Prepared {
            event_id: self.keep_event(events::P2P_ENTERED, event),
            message_id: None,
        })
    }

    /// Where a person's message lands: a user's open id or p2p chat id
    /// means their p2p chat; a group must exist, stand, hold the bot and
    /// the sender, or Feishu would push nothing.
    fn place_for(&self, chat_id: &str, from: &str) -> Result<Place, String> {
        if chat_id.starts_with("ou_") {
            self.known_user(chat_id)?;
            return Ok(Place::P2p(chat_id.to_owned()));
        }
        if let Some(owner) = self.p2p_owner(chat_id) {
            return Ok(Place::P2p(owner));
        }
        let group = self
            .groups
            .get(chat_id)
            .ok_or_else(|| format!("no chat {chat_id}"))?;
        if group.disbanded {
            return Err(format!("{chat_id} is disbanded: nobody can speak in it"));
        }
        if !group.bot_member {
            return Err(format!(
                "the bot is not in {chat_id}: Feishu would push nothing (add_bot first)"
            ));
        }
        if !group.members.iter().any(|m| m == from) {
            return Err(format!(
                "{from} is not a member of {chat_id} (list them in add_group)"
            ));
        }
        Ok(Place::Group(chat_id.to_owned()))
    }

    pub fn user_message(
        &mut self,
        chat_id: &str,
        from: &str,
        parent: Option<&str>,
        incoming: Incoming,
    ) -> Result<Prepared, String> {
        self.known_user(from)?;
        let place = self.place_for(chat_id, from)?;
        let reply = match parent {
            Some(parent_id) => {
                let parent = self
                    .messages
                    .get(parent_id)
                    .ok_or_else(|| format!("no message {parent_id} to reply to"))?;
                let root = parent
                    .root_id
                    .clone()
                    .unwrap_or_else(|| parent_id.to_owned());
                Some((parent_id.to_owned(), root))
            }
            None => None,
        };
        let (message_type, content, mentions, resources) = self.compose(incoming);
        let message_id = ids::id("om_");
        let create_time = ids::now_ms();
        self.messages.insert(
            message_id.clone(),
            Message {
                place: place.clone(),
                root_id: reply.as_ref().map(|(_, root)| root.clone()),
                resources,
                recalled: false,
            },
        );
        if let Place::P2p(open_id) = &place
            && let Some(user) = self.users.get_mut(open_id)
        {
            user.last_p2p_message = Some((message_id.clone(), create_time.clone()));
        }
        let fields = UserMessage {
            message_id: message_id.clone(),
            chat_id: self.chat_id_of(&place),
            chat_type: if matches!(place, Place::P2p(_)) {
                "p2p"
            } else {
                "group"
            },
            message_type,
            content: content.to_string(),
            create_time,
            reply,
            mentions,
        };
        let event = events::message_received(self, from, fields);
        Ok(Prepared {
            event_id: self.keep_event(events::MESSAGE_RECEIVE, event),
            message_id: Some(message_id),
        })
    }

    /// (message_type, content, mentions, resource keys) of what a person
    /// sends; "@Name" becomes `@_user_N` (text) or an at-node (post).
    fn compose(&mut self, incoming: Incoming) -> (&'static str, Value, Vec<Value>, Vec<String>) {
        let names = self.mentionable();
        let mut mentions = Vec::new();
        let mut mention = |w: &World, open_id: &str, name: &str| {
            let key = format!("@_user_{}", mentions.len() + 1);
            mentions.push(events::mention(w, &key, open_id, name));
            key
        };
        match incoming {
            Incoming::Text(text) => {
                let mut out = String::new();
                for said in split_said(text, &names) {
                    match said {
                        Said::Text(t) => out.push_str(&t),
                        Said::Mention { open_id, name } => {
                            out.push_str(&mention(self, &open_id, &name));
                        }
                    }
                }
                ("text", json!({ "text": out }), mentions, Vec::new())
            }
            Incoming::Post { title, paragraphs } => {
                let mut content = Vec::new();
                for paragraph in paragraphs {
                    let nodes: Vec<Value> = split_said(paragraph, &names)
                        .into_iter()
                        .map(|said| match said {
                            Said::Text(text) => json!({ "tag": "text", "text": text }),
                            Said::Mention { open_id, name } => json!({
                                "tag": "at",
                                "user_id": mention(self, &open_id, &name),
                                "user_name": name,
                            }),
                        })
                        .collect();
                    content.push(Value::Array(nodes));
                }
                let post = json!({ "title": title, "content": content });
                ("post", post, mentions, Vec::new())
            }
            Incoming::File { name, bytes } => {
                let key = ids::id("file_v2_");
                self.files.insert(
                    key.clone(),
                    StoredFile {
                        kind: FileKind::File,
                        name: Some(name.to_owned()),
                        bytes,
                    },
                );
                let content = json!({ "file_key": key, "file_name": name });
                ("file", content, Vec::new(), vec![key])
            }
        }
    }

    /// The message is recalled: replies to it are refused from now on.
    pub fn recall(&mut self, message_id: &str) -> Result<Prepared, String> {
        let message = self
            .messages
            .get_mut(message_id)
            .ok_or_else(|| format!("no message {message_id} to recall"))?;
        message.recalled = true;
        let place = message.place.clone();
        let event = events::recalled(message_id, &self.chat_id_of(&place));
        Ok(Prepared {
            event_id: self.keep_event(events::RECALLED, event),
            message_id: Some(message_id.to_owned()),
        })
    }

    /// A pushed event again, as it was.
    pub fn redeliverable(&self, event_id: &str) -> Result<Prepared, String> {
        let event = self
            .events
            .get(event_id)
            .ok_or_else(|| format!("no event {event_id} was pushed"))?;
        let message_id = event
            .body
            .pointer("/event/message/message_id")
            .or_else(|| event.body.pointer("/event/message_id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Prepared {
            event_id: event_id.to_owned(),
            message_id,
        })
    }
}
