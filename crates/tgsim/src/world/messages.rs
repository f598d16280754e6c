//! Messages and what carries them: composing a message as Telegram
//! delivers it (for the bot's sends too), forum topics, and the messages
//! and button presses the tests push in as a user.

use serde_json::{Map, Value, json};

use super::World;
use crate::{ChatKind, Pushed};

impl World {
    /// Creates a message in `chat_id` with the next id, fills in what
    /// Telegram adds (date, chat, thread, the replied-to message) and keeps
    /// it.
    pub fn compose(
        &mut self,
        chat_id: i64,
        from: Value,
        thread: Option<i64>,
        reply_to: Option<i64>,
        body: Map<String, Value>,
    ) -> Value {
        let chat_json = self.chat_json(chat_id);
        let now = self.now;
        let chat = self.chat_mut(chat_id);
        let id = chat.next_message_id;
        chat.next_message_id += 1;
        let mut m = json!({ "message_id": id, "from": from, "date": now, "chat": chat_json });
        let forum_thread = thread.filter(|_| chat.kind == ChatKind::Forum);
        if let Some(t) = forum_thread {
            m["message_thread_id"] = json!(t);
            m["is_topic_message"] = json!(true);
        }
        // In a topic, a message that replies to nothing replies to the
        // topic's creation message: bots that read `reply_to_message` must
        // cope, so the simulator does it too.
        if let Some(original) = reply_to
            .or(forum_thread)
            .and_then(|r| chat.messages.get(&r))
        {
            let mut original = original.clone();
            if let Some(o) = original.as_object_mut() {
                o.remove("reply_to_message");
            }
            m["reply_to_message"] = original;
        }
        if let Some(o) = m.as_object_mut() {
            o.extend(body);
        }
        chat.messages.insert(id, m.clone());
        m
    }

    /// The thread a new message lands in: the one asked for, or in a forum
    /// the one of the message it replies to.
    pub fn thread_for(
        &self,
        chat_id: i64,
        thread: Option<i64>,
        reply_to: Option<i64>,
    ) -> Option<i64> {
        let chat = &self.chats[&chat_id];
        if chat.kind != ChatKind::Forum {
            return None;
        }
        thread.or_else(|| {
            reply_to
                .and_then(|r| chat.messages.get(&r))
                .and_then(|m| m.get("message_thread_id"))
                .and_then(Value::as_i64)
        })
    }

    /// A topic the tests post into without creating it first gets a
    /// creation message, so replies and threads look as in Telegram.
    fn ensure_topic(&mut self, chat_id: i64, thread_id: i64, creator: i64) {
        let creator = self.user_json(creator);
        let chat_json = self.chat_json(chat_id);
        let now = self.now;
        let chat = self.chat_mut(chat_id);
        assert!(
            chat.kind == ChatKind::Forum,
            "sim: chat {chat_id} is not a forum (add_chat with ChatKind::Forum)"
        );
        if chat.topics.contains(&thread_id) {
            return;
        }
        chat.topics.insert(thread_id);
        chat.next_message_id = chat.next_message_id.max(thread_id + 1);
        chat.messages.entry(thread_id).or_insert_with(|| {
            json!({
                "message_id": thread_id,
                "message_thread_id": thread_id,
                "is_topic_message": true,
                "from": creator,
                "date": now,
                "chat": chat_json,
                "forum_topic_created": { "name": format!("Topic {thread_id}"), "icon_color": 7_322_096 },
            })
        });
    }

    pub fn create_topic(&mut self, chat_id: i64, name: &str, by: i64) -> Pushed {
        self.join_if_absent(chat_id, by);
        let from = self.user_json(by);
        let chat = self.chat_mut(chat_id);
        assert!(
            chat.kind == ChatKind::Forum,
            "sim: chat {chat_id} is not a forum"
        );
        let thread = chat.next_message_id;
        chat.topics.insert(thread);
        let mut body = Map::new();
        body.insert(
            "forum_topic_created".into(),
            json!({ "name": name, "icon_color": 7_322_096 }),
        );
        let mut m = self.compose(chat_id, from, None, None, body);
        m["message_thread_id"] = json!(thread);
        m["is_topic_message"] = json!(true);
        self.chat_mut(chat_id).messages.insert(thread, m.clone());
        let update_id = self.enqueue(json!({ "message": m }));
        Pushed {
            update_id,
            message_id: thread,
        }
    }

    /// A message from a user. Writing to the bot in private opens the chat.
    pub fn push_message(
        &mut self,
        chat_id: i64,
        from: i64,
        thread: Option<i64>,
        reply_to: Option<i64>,
        body: Map<String, Value>,
    ) -> Pushed {
        if chat_id > 0 && chat_id == from && !self.chats.contains_key(&chat_id) {
            self.open_private(from);
        }
        self.join_if_absent(chat_id, from);
        if let Some(t) = thread {
            self.ensure_topic(chat_id, t, from);
        }
        if let Some(r) = reply_to {
            assert!(
                self.chats[&chat_id].messages.contains_key(&r),
                "sim: no message {r} in chat {chat_id} to reply to"
            );
        }
        let thread = self.thread_for(chat_id, thread, reply_to);
        let from_json = self.user_json(from);
        let m = self.compose(chat_id, from_json, thread, reply_to, body);
        let message_id = m["message_id"].as_i64().unwrap_or_default();
        let update_id = self.enqueue(json!({ "message": m }));
        Pushed {
            update_id,
            message_id,
        }
    }

    pub fn push_edit(
        &mut self,
        chat_id: i64,
        from: i64,
        message_id: i64,
        body: Map<String, Value>,
    ) -> Pushed {
        let now = self.now;
        let stored = self
            .chats
            .get_mut(&chat_id)
            .and_then(|c| c.messages.get_mut(&message_id));
        let Some(stored) = stored else {
            panic!("sim: no message {message_id} in chat {chat_id} to edit");
        };
        assert_eq!(
            stored["from"]["id"].as_i64(),
            Some(from),
            "sim: only its author edits a message"
        );
        if let Some(o) = stored.as_object_mut() {
            o.remove("entities");
            o.extend(body);
            o.insert("edit_date".into(), json!(now));
        }
        let edited = stored.clone();
        let update_id = self.enqueue(json!({ "edited_message": edited }));
        Pushed {
            update_id,
            message_id,
        }
    }

    pub fn push_callback(
        &mut self,
        chat_id: i64,
        from: i64,
        message_id: i64,
        data: &str,
    ) -> Pushed {
        let message = self
            .chats
            .get(&chat_id)
            .and_then(|c| c.messages.get(&message_id))
            .cloned()
            .unwrap_or_else(|| panic!("sim: no message {message_id} in chat {chat_id}"));
        let id = format!("{}", 4_000_000_000_000_000_000u64 + self.next_callback);
        self.next_callback += 1;
        let update = json!({
            "callback_query": {
                "id": id,
                "from": self.user_json(from),
                "message": message,
                "chat_instance": format!("{}", chat_id.unsigned_abs()),
                "data": data,
            }
        });
        let update_id = self.enqueue(update);
        Pushed {
            update_id,
            message_id,
        }
    }
}
