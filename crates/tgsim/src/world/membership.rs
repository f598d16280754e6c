//! Who is in a chat: users joining as they write, the bot being added,
//! removed or told of a status change, and a basic group's migration to a
//! supergroup, each with the updates Telegram sends for it.

use serde_json::{Map, json};

use super::{ChatState, World};
use crate::{ChatKind, Pushed, json as tg};

impl World {
    pub(super) fn join_if_absent(&mut self, chat_id: i64, user_id: i64) {
        self.user(user_id);
        let chat = self.chat_mut(chat_id);
        if chat.kind == ChatKind::Private {
            assert_eq!(
                chat_id, user_id,
                "sim: only user {chat_id} writes in their private chat"
            );
        }
        chat.members
            .entry(user_id)
            .or_insert_with(|| "member".into());
    }

    /// `my_chat_member` for the bot; the new status applies at once.
    pub fn bot_status_change(&mut self, chat_id: i64, by: i64, new: &str) -> i64 {
        let old = self.bot_status(&self.chats[&chat_id]);
        self.bot_status_change_from(chat_id, by, &old, new)
    }

    fn bot_status_change_from(&mut self, chat_id: i64, by: i64, old: &str, new: &str) -> i64 {
        let bot_id = self.bot.id;
        self.chat_mut(chat_id)
            .members
            .insert(bot_id, new.to_owned());
        let bot = tg::bot_user(&self.bot);
        let update = json!({
            "my_chat_member": {
                "chat": self.chat_json(chat_id),
                "from": self.user_json(by),
                "date": self.now,
                "old_chat_member": tg::chat_member(bot.clone(), old),
                "new_chat_member": tg::chat_member(bot, new),
            }
        });
        self.enqueue(update)
    }

    pub fn push_bot_added(&mut self, chat_id: i64, by: i64) -> Pushed {
        self.join_if_absent(chat_id, by);
        // `add_chat` already made the bot a member so tests can start
        // mid-life; an "added" event still has to read as an arrival.
        let old = match self.bot_status(&self.chats[&chat_id]).as_str() {
            "kicked" => "kicked",
            _ => "left",
        };
        self.bot_status_change_from(chat_id, by, old, "member");
        let mut body = Map::new();
        body.insert("new_chat_members".into(), json!([tg::bot_user(&self.bot)]));
        let from = self.user_json(by);
        let m = self.compose(chat_id, from, None, None, body);
        let message_id = m["message_id"].as_i64().unwrap_or_default();
        let update_id = self.enqueue(json!({ "message": m }));
        Pushed {
            update_id,
            message_id,
        }
    }

    pub fn push_bot_removed(&mut self, chat_id: i64, by: i64) -> Pushed {
        self.join_if_absent(chat_id, by);
        let update_id = self.bot_status_change(chat_id, by, "kicked");
        Pushed {
            update_id,
            message_id: 0,
        }
    }

    /// Telegram's upgrade: the old group says where it went, the new
    /// supergroup says where it came from, members carry over, and the old
    /// id answers 400 with `migrate_to_chat_id` from then on.
    pub fn migrate(&mut self, old_id: i64, new_id: i64) -> Pushed {
        let old = self.chat_mut(old_id);
        assert!(
            old.kind == ChatKind::Group,
            "sim: only a basic group migrates"
        );
        old.migrated_to = Some(new_id);
        let title = old.title.clone();
        let members = old.members.clone();
        let by = members
            .iter()
            .find(|(id, s)| s.as_str() == "creator" && **id != self.bot.id)
            .map(|(id, _)| *id);
        let mut chat = ChatState::new(new_id, ChatKind::Supergroup, &title);
        chat.members = members;
        self.chats.insert(new_id, chat);
        let from = match by {
            Some(id) => self.user_json(id),
            // Telegram's stand-in for an anonymous group admin.
            None => {
                json!({ "id": 1_087_968_824, "is_bot": true, "first_name": "Group", "username": "GroupAnonymousBot" })
            }
        };
        let mut to = Map::new();
        to.insert("migrate_to_chat_id".into(), json!(new_id));
        let m = self.compose(old_id, from.clone(), None, None, to);
        self.enqueue(json!({ "message": m }));
        let mut from_body = Map::new();
        from_body.insert("migrate_from_chat_id".into(), json!(old_id));
        let m = self.compose(new_id, from, None, None, from_body);
        let message_id = m["message_id"].as_i64().unwrap_or_default();
        let update_id = self.enqueue(json!({ "message": m }));
        Pushed {
            update_id,
            message_id,
        }
    }
}
