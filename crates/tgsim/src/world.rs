//! The simulated Telegram: users, chats and their messages, the update
//! queue, and the record of what the bot did. Plain data behind one mutex;
//! nothing here awaits. The methods that make messages and change who is
//! in a chat live in the submodules, as further `impl World` blocks.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use serde_json::{Value, json};

use super::error::ApiError;
use super::limits::RateLimiter;
use super::{ChatKind, Fault, Sent, json as tg};

mod membership;
mod messages;

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
    /// The content, when the simulator has it: what a user sent and what
    /// the bot uploaded (a file sent by URL has none).
    pub bytes: Option<Vec<u8>>,
    /// Where `getFile` says the content is: `documents/file_N.ext`.
    pub path: String,
    pub unique_id: String,
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
    /// The webhook the bot set; while there is one, getUpdates is refused.
    pub webhook: Option<crate::webhook::Webhook>,
    /// Where webhook deliveries go in turn, when a test balances them.
    pub balance: crate::webhook::Balance,
    /// Update ids a webhook acknowledged, in order.
    pub deliveries: Vec<i64>,
}

impl World {
    pub fn new(bot: BotIdentity, now: i64) -> Self {
        World {
            now,
            bot,
            users: HashMap::new(),
            chats: HashMap::new(),
            updates: VecDeque::new(),
            webhook: None,
            balance: crate::webhook::Balance::default(),
            deliveries: Vec::new(),
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

    pub fn store_file(
        &mut self,
        file_name: Option<String>,
        size: usize,
        bytes: Option<Vec<u8>>,
    ) -> (String, String) {
        let n = self.next_file;
        self.next_file += 1;
        let id = format!("BQACAgIAAxkBAAI{n:08}");
        let unique = format!("AgAD{n:08}");
        let ext = file_name
            .as_deref()
            .and_then(|f| f.rsplit_once('.'))
            .map(|(_, e)| format!(".{e}"))
            .unwrap_or_default();
        let path = format!("documents/file_{n}{ext}");
        let file = StoredFile {
            file_name,
            size,
            bytes,
            path,
            unique_id: unique.clone(),
        };
        self.files.insert(id.clone(), file);
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
