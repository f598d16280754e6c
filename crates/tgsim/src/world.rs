//! The simulated Telegram: users, chats and their messages, the update
//! queue, and the record of what the bot did. Plain data behind one mutex;
//! nothing here awaits.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::limits::RateLimiter;
use super::{ChatKind, Fault, Pushed, Sent, json as tg};

pub(crate) struct BotIdentity {
    pub id: i64,
    pub username: String,
    pub first_name: String,
}

pub(crate) struct UserState {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
    /// Pressed Start: the bot may write first.
    pub opened: bool,
    pub blocked: bool,
}

pub(crate) struct ChatState {
    pub id: i64,
    pub kind: ChatKind,
    /// Groups: the title; private chats: the user's first name.
    pub title: String,
    /// Status per user id, the bot included.
    pub members: HashMap<i64, String>,
    pub migrated_to: Option<i64>,
    pub next_message_id: i64,
    /// Every message, the user's and the bot's, as last delivered; replies
    /// embed them.
    pub messages: BTreeMap<i64, Value>,
    /// Forum topics by thread id (the id of their creation message).
    pub topics: HashSet<i64>,
}

impl ChatState {
    fn new(id: i64, kind: ChatKind, title: &str) -> Self {
        ChatState {
            id,
            kind,
            title: title.to_owned(),
            members: HashMap::new(),
            migrated_to: None,
            next_message_id: 1,
            messages: BTreeMap::new(),
            topics: HashSet::new(),
        }
    }

    /// Telegram names basic groups and supergroups differently in errors.
    pub fn group_word(&self) -> &'static str {
        match self.kind {
            ChatKind::Group => "group chat",
            _ => "supergroup chat",
        }
    }
}

pub(crate) struct CommandSet {
    /// `null` for the default scope.
    pub scope: Value,
    pub language_code: Option<String>,
    pub commands: Vec<(String, String)>,
}

pub(crate) struct PendingFault {
    pub method_lower: String,
    pub remaining: usize,
    pub fault: Fault,
}

pub(crate) struct StoredFile {
    pub file_name: Option<String>,
    pub size: usize,
}

pub(crate) struct World {
    pub now: i64,
    pub bot: BotIdentity,
    pub users: HashMap<i64, UserState>,
    pub chats: HashMap<i64, ChatState>,
    pub updates: VecDeque<(i64, Value)>,
    next_update_id: i64,
    /// The last `allowed_updates` a poll sent; `None` is Telegram's default.
    allowed_updates: Option<Vec<String>>,
    /// Bumped by every `getUpdates`; an older poll still waiting sees the
    /// change and ends with 409, as Telegram ends it.
    pub poll_generation: u64,
    /// getUpdates calls currently held open, waiting for an update.
    pub polls_held: usize,
    pub sent: Vec<Sent>,
    pub commands: Vec<CommandSet>,
    pub requests: Vec<(String, Value)>,
    pub errors: Vec<(String, u16, String)>,
    pub faults: Vec<PendingFault>,
    pub files: HashMap<String, StoredFile>,
    next_file: u64,
    pub open_callbacks: HashSet<String>,
    next_callback: u64,
    pub shutting_down: bool,
    /// Flood limits, when a test or benchmark asked for them.
    pub limiter: Option<RateLimiter>,
    /// The next confirmation is ignored once, so the batch it confirms is
    /// delivered again (Telegram does this after its own hiccups).
    pub redeliver_once: bool,
}

impl World {
    pub fn new(bot: BotIdentity, now: i64) -> Self {
        World {
            now,
            bot,
            users: HashMap::new(),
            chats: HashMap::new(),
            updates: VecDeque::new(),
            next_update_id: 100_000_001,
            allowed_updates: None,
            poll_generation: 0,
            polls_held: 0,
            sent: Vec::new(),
            commands: Vec::new(),
            requests: Vec::new(),
            errors: Vec::new(),
            faults: Vec::new(),
            files: HashMap::new(),
            next_file: 1,
            open_callbacks: HashSet::new(),
            next_callback: 1,
            shutting_down: false,
            limiter: None,
            redeliver_once: false,
        }
    }

    // ---- the cast -------------------------------------------------------

    pub fn add_user(&mut self, id: i64, first_name: &str, username: Option<&str>) {
        let user = self.users.entry(id).or_insert_with(|| UserState {
            id,
            first_name: String::new(),
            username: None,
            language_code: None,
            opened: false,
            blocked: false,
        });
        user.first_name = first_name.to_owned();
        user.username = username.map(str::to_owned);
        if let Some(chat) = self.chats.get_mut(&id) {
            chat.title = first_name.to_owned();
        }
    }

    fn user(&self, id: i64) -> &UserState {
        self.users
            .get(&id)
            .unwrap_or_else(|| panic!("sim: user {id} was never added (add_user)"))
    }

    pub fn user_json(&self, id: i64) -> Value {
        if id == self.bot.id {
            return tg::bot_user(&self.bot);
        }
        tg::user(self.user(id))
    }

    pub fn add_chat(&mut self, chat_id: i64, kind: ChatKind, title: &str) {
        let mut chat = ChatState::new(chat_id, kind, title);
        if kind == ChatKind::Private {
            if let Some(u) = self.users.get_mut(&chat_id) {
                u.opened = true;
                chat.title = u.first_name.clone();
            }
            chat.members.insert(chat_id, "member".into());
        }
        chat.members.insert(self.bot.id, "member".into());
        self.chats.insert(chat_id, chat);
    }

    pub fn open_private(&mut self, user_id: i64) {
        let first_name = self.user(user_id).first_name.clone();
        let user = self.users.get_mut(&user_id).expect("checked above");
        user.opened = true;
        let was_blocked = std::mem::replace(&mut user.blocked, false);
        if !self.chats.contains_key(&user_id) {
            self.add_chat(user_id, ChatKind::Private, &first_name);
        } else if was_blocked {
            self.bot_status_change(user_id, user_id, "member");
        }
    }

    pub fn block_bot(&mut self, user_id: i64) {
        self.user(user_id);
        let user = self.users.get_mut(&user_id).expect("checked above");
        if std::mem::replace(&mut user.blocked, true) {
            return;
        }
        if self.chats.contains_key(&user_id) {
            // Telegram tells the bot, in its own private chat.
            self.bot_status_change(user_id, user_id, "kicked");
        }
    }

    pub fn set_member(&mut self, chat_id: i64, user_id: i64, status: &str) {
        assert!(
            ["creator", "administrator", "member", "left", "kicked"].contains(&status),
            "sim: unknown member status {status:?}"
        );
        if user_id != self.bot.id {
            self.user(user_id);
        }
        self.chat_mut(chat_id)
            .members
            .insert(user_id, status.to_owned());
    }

    fn chat_mut(&mut self, chat_id: i64) -> &mut ChatState {
        self.chats
            .get_mut(&chat_id)
            .unwrap_or_else(|| panic!("sim: chat {chat_id} was never added (add_chat)"))
    }

    pub fn chat_json(&self, chat_id: i64) -> Value {
        tg::chat(&self.chats[&chat_id], &self.users)
    }

    pub fn bot_status(&self, chat: &ChatState) -> String {
        chat.members
            .get(&self.bot.id)
            .cloned()
            .unwrap_or_else(|| "left".into())
    }

    // ---- updates ----------------------------------------------------------

    /// Queues an update unless the bot's `allowed_updates` exclude its kind:
    /// Telegram filters when it creates updates, so a bot that forgot to ask
    /// for `my_chat_member` never sees one.
    pub fn enqueue(&mut self, mut update: Value) -> i64 {
        let id = self.next_update_id;
        self.next_update_id += 1;
        let kind = update
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "update_id").cloned())
            .unwrap_or_default();
        if !self.allowed(&kind) {
            tracing::warn!(
                update_id = id,
                kind,
                "sim: update dropped, not in allowed_updates"
            );
            return id;
        }
        update["update_id"] = json!(id);
        if let Some(cb) = update
            .get("callback_query")
            .and_then(|c| c.get("id"))
            .and_then(Value::as_str)
        {
            self.open_callbacks.insert(cb.to_owned());
        }
        self.updates.push_back((id, update));
        id
    }

    fn allowed(&self, kind: &str) -> bool {
        match &self.allowed_updates {
            Some(list) => list.iter().any(|k| k == kind),
            None => !matches!(
                kind,
                "chat_member" | "message_reaction" | "message_reaction_count"
            ),
        }
    }

    pub fn set_allowed_updates(&mut self, list: &Value) {
        let kinds: Vec<String> = list
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        self.allowed_updates = (!kinds.is_empty()).then_some(kinds);
    }

    /// `offset` confirms every update below it; a negative one keeps only
    /// the last `-offset`.
    pub fn confirm(&mut self, offset: i64) {
        if self.redeliver_once && offset > 0 && self.updates.iter().any(|(id, _)| *id < offset) {
            self.redeliver_once = false;
            return;
        }
        if offset > 0 {
            self.updates.retain(|(id, _)| *id >= offset);
        } else if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while self.updates.len() > keep {
                self.updates.pop_front();
            }
        }
    }

    pub fn batch(&self, limit: usize) -> Vec<Value> {
        self.updates
            .iter()
            .take(limit)
            .map(|(_, u)| u.clone())
            .collect()
    }

    // ---- messages ---------------------------------------------------------

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

    fn join_if_absent(&mut self, chat_id: i64, user_id: i64) {
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

    // ---- what the bot may do ---------------------------------------------

    /// Telegram's answer to a bot that writes to `chat_id`.
    pub fn writable(&self, chat_id: i64) -> Result<&ChatState, ApiError> {
        let Some(chat) = self.chats.get(&chat_id) else {
            return Err(match self.users.get(&chat_id) {
                Some(u) if u.blocked => ApiError::forbidden("bot was blocked by the user"),
                Some(_) => ApiError::forbidden("bot can't initiate conversation with a user"),
                None => ApiError::chat_not_found(),
            });
        };
        if let Some(to) = chat.migrated_to {
            return Err(ApiError::migrated(to));
        }
        if chat.kind == ChatKind::Private {
            if self.users.get(&chat_id).is_some_and(|u| u.blocked) {
                return Err(ApiError::forbidden("bot was blocked by the user"));
            }
            return Ok(chat);
        }
        match self.bot_status(chat).as_str() {
            "kicked" => Err(ApiError::forbidden(format!(
                "bot was kicked from the {}",
                chat.group_word()
            ))),
            "left" => Err(ApiError::forbidden(format!(
                "bot is not a member of the {}",
                chat.group_word()
            ))),
            _ => Ok(chat),
        }
    }

    pub fn record_sent(&mut self, mut sent: Sent) {
        sent.seq = self.sent.len() as u64 + 1;
        self.sent.push(sent);
    }

    pub fn store_file(&mut self, file_name: Option<String>, size: usize) -> (String, String) {
        let n = self.next_file;
        self.next_file += 1;
        let id = format!("BQACAgIAAxkBAAI{n:08}");
        let unique = format!("AgAD{n:08}");
        self.files
            .insert(id.clone(), StoredFile { file_name, size });
        (id, unique)
    }

    /// Consumes the method's next fault if it is a disconnect, which the
    /// HTTP layer must act on before it answers anything.
    pub fn take_disconnect(&mut self, method: &str) -> bool {
        let lower = method.to_ascii_lowercase();
        let next = self.faults.iter().find(|f| f.method_lower == lower);
        if matches!(next.map(|f| &f.fault), Some(Fault::Disconnect)) {
            self.take_fault(method);
            return true;
        }
        false
    }

    pub fn take_fault(&mut self, method: &str) -> Option<Fault> {
        let lower = method.to_ascii_lowercase();
        let at = self.faults.iter().position(|f| f.method_lower == lower)?;
        let fault = self.faults[at].fault.clone();
        self.faults[at].remaining -= 1;
        if self.faults[at].remaining == 0 {
            self.faults.remove(at);
        }
        Some(fault)
    }
}
