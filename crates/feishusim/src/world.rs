//! What the simulator knows: people, groups, messages, tokens, uploaded
//! files, what the bot sent, and the events pushed. Everything lives under
//! one mutex in `Inner`; nothing here awaits.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::error::ApiError;
use crate::limits::Limiter;
use crate::{Config, Delivery, Fault, Sent, ids};

/// A token with less than this left is replaced on the next request
/// (../shared/feishu-wire-format.md §1).
const TOKEN_REUSE_MARGIN: Duration = Duration::from_secs(30 * 60);

pub(crate) struct User {
    pub name: String,
    pub union_id: String,
    /// The tenant's employee id (filled, as with
    /// `contact:user.employee_id:readonly`).
    pub user_id: String,
    pub in_scope: bool,
    /// The user's p2p chat with the bot: stable, as in Feishu.
    pub p2p_chat_id: String,
    /// The last message in that chat, for `bot_p2p_chat_entered_v1`.
    pub last_p2p_message: Option<(String, String)>,
}

pub(crate) struct Group {
    pub name: String,
    pub members: Vec<String>,
    pub bot_member: bool,
    pub disbanded: bool,
}

/// Where a message is: a group, or a user's p2p chat with the bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    Group(String),
    /// By the user's open id.
    P2p(String),
}

pub(crate) struct Message {
    pub place: Place,
    /// The first message of the reply chain, for `root_id`.
    pub root_id: Option<String>,
    /// Image and file keys the message carries; only these download
    /// through it.
    pub resources: Vec<String>,
    pub recalled: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    Image,
    File,
}

pub(crate) struct StoredFile {
    pub kind: FileKind,
    pub name: Option<String>,
    pub bytes: Vec<u8>,
}

struct Token {
    expires: Instant,
    revoked: bool,
}

/// A pushed event, kept for `redeliver`.
pub(crate) struct Event {
    pub event_type: String,
    pub body: Value,
}

pub(crate) struct World {
    pub config: Config,
    pub bot_open_id: String,
    pub bot_union_id: String,
    pub users: HashMap<String, User>,
    /// Open ids in the order users were added (names are matched in it).
    pub user_order: Vec<String>,
    pub groups: HashMap<String, Group>,
    pub messages: HashMap<String, Message>,
    pub files: HashMap<String, StoredFile>,
    pub sent: Vec<Sent>,
    /// uuid -> (when first accepted, the answer's `data`).
    pub uuids: HashMap<String, (SystemTime, Value)>,
    pub faults: VecDeque<Fault>,
    pub limiter: Limiter,
    pub events: HashMap<String, Event>,
    /// Event ids pushed while no webhook was set, oldest first.
    pub queued: VecDeque<String>,
    pub webhook: Option<String>,
    pub deliveries: Vec<Delivery>,
    /// Refused API calls: (path, HTTP status, code).
    pub errors: Vec<(String, u16, i64)>,
    tokens: HashMap<String, Token>,
    current_token: Option<String>,
    /// Calls of the token endpoint, refused ones included.
    pub token_requests: usize,
}

impl World {
    pub fn new(config: Config) -> World {
        World {
            config,
            bot_open_id: ids::id("ou_bot"),
            bot_union_id: ids::id("on_bot"),
            users: HashMap::new(),
            user_order: Vec::new(),
            groups: HashMap::new(),
            messages: HashMap::new(),
            files: HashMap::new(),
            sent: Vec::new(),
            uuids: HashMap::new(),
            faults: VecDeque::new(),
            limiter: Limiter::default(),
            events: HashMap::new(),
            queued: VecDeque::new(),
            webhook: None,
            deliveries: Vec::new(),
            errors: Vec::new(),
            tokens: HashMap::new(),
            current_token: None,
            token_requests: 0,
        }
    }

    pub fn add_user(&mut self, name: &str) -> String {
        let open_id = ids::id("ou_");
        self.users.insert(
            open_id.clone(),
            User {
                name: name.to_owned(),
                union_id: ids::id("on_"),
                user_id: ids::hex32()[..8].to_owned(),
                in_scope: true,
                p2p_chat_id: ids::id("oc_p2p"),
                last_p2p_message: None,
            },
        );
        self.user_order.push(open_id.clone());
        open_id
    }

    pub fn add_group(&mut self, name: &str, members: &[&str]) -> String {
        let chat_id = ids::id("oc_");
        self.groups.insert(
            chat_id.clone(),
            Group {
                name: name.to_owned(),
                members: members.iter().map(|m| (*m).to_owned()).collect(),
                bot_member: false,
                disbanded: false,
            },
        );
        chat_id
    }

    /// The user whose p2p chat this is.
    pub fn p2p_owner(&self, chat_id: &str) -> Option<String> {
        self.users
            .iter()
            .find(|(_, u)| u.p2p_chat_id == chat_id)
            .map(|(id, _)| id.clone())
    }

    /// The chat id Feishu reports for a place (the p2p chat's own id for a
    /// user).
    pub fn chat_id_of(&self, place: &Place) -> String {
        match place {
            Place::Group(chat_id) => chat_id.clone(),
            Place::P2p(open_id) => self
                .users
                .get(open_id)
                .map_or_else(String::new, |u| u.p2p_chat_id.clone()),
        }
    }

    /// The name a reader sees for an id in an `<at>` or at-node.
    pub fn name_of(&self, id: &str) -> Option<String> {
        if id == self.bot_open_id {
            return Some(self.config.bot_name.clone());
        }
        if id == "all" {
            return Some("所有人".to_owned());
        }
        self.users.get(id).map(|u| u.name.clone())
    }

    /// Names "@Name" in what people type can mention: the bot's and every
    /// user's, longest first so that a longer name wins over its prefix.
    pub fn mentionable(&self) -> Vec<(String, String)> {
        let mut names: Vec<(String, String)> =
            vec![(self.config.bot_name.clone(), self.bot_open_id.clone())];
        for open_id in &self.user_order {
            if let Some(u) = self.users.get(open_id) {
                names.push((u.name.clone(), open_id.clone()));
            }
        }
        names.retain(|(name, _)| !name.is_empty());
        names.sort_by_key(|(name, _)| std::cmp::Reverse(name.chars().count()));
        names
    }

    // ---- tokens -----------------------------------------------------------

    /// A tenant token for a correct app id and secret: the current one while
    /// it has more than 30 minutes left, a new one otherwise (the old one
    /// stays valid until it expires). Returns (token, seconds left).
    pub fn issue_token(&mut self, now: Instant) -> (String, u64) {
        if let Some(current) = &self.current_token
            && let Some(t) = self.tokens.get(current)
            && !t.revoked
            && t.expires.saturating_duration_since(now) > TOKEN_REUSE_MARGIN
        {
            return (
                current.clone(),
                t.expires.saturating_duration_since(now).as_secs(),
            );
        }
        let token = ids::id("t-");
        let ttl = Duration::from_secs(self.config.token_ttl_secs);
        self.tokens.insert(
            token.clone(),
            Token {
                expires: now + ttl,
                revoked: false,
            },
        );
        self.current_token = Some(token.clone());
        (token, ttl.as_secs())
    }

    pub fn revoke_tokens(&mut self) {
        for t in self.tokens.values_mut() {
            t.revoked = true;
        }
        self.current_token = None;
    }

    /// The `Authorization` header's check: 99991661 without a bearer token,
    /// 99991663 for one not issued, revoked or expired.
    pub fn check_token(&self, authorization: Option<&str>, now: Instant) -> Result<(), ApiError> {
        let given = authorization
            .and_then(|h| h.trim().strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::missing_token)?;
        match self.tokens.get(given) {
            Some(t) if !t.revoked && now < t.expires => Ok(()),
            _ => Err(ApiError::invalid_token()),
        }
    }

    // ---- events -----------------------------------------------------------

    /// Keeps an event body for pushing (now or on `redeliver`).
    pub fn store_event(&mut self, event_id: &str, event_type: &str, body: Value) {
        self.events.insert(
            event_id.to_owned(),
            Event {
                event_type: event_type.to_owned(),
                body,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_reused_while_more_than_half_an_hour_is_left() {
        let mut w = World::new(Config::default());
        let t0 = Instant::now();
        let (a, left) = w.issue_token(t0);
        assert_eq!(left, 7200);
        let (b, _) = w.issue_token(t0 + Duration::from_secs(60 * 60));
        assert_eq!(a, b);
        let (c, left) = w.issue_token(t0 + Duration::from_secs(95 * 60));
        assert_ne!(a, c);
        assert_eq!(left, 7200);
        // The old one stays valid until it expires.
        let bearer = format!("Bearer {a}");
        assert!(
            w.check_token(Some(&bearer), t0 + Duration::from_secs(100 * 60))
                .is_ok()
        );
        let expired = w.check_token(Some(&bearer), t0 + Duration::from_secs(7200));
        assert_eq!(expired.map_err(|e| e.code), Err(99991663));
    }

    #[test]
    fn names_are_matched_longest_first() {
        let mut w = World::new(Config::default());
        w.add_user("张三");
        let long = w.add_user("张三丰");
        let names = w.mentionable();
        let first = names.iter().position(|(n, _)| n == "张三丰");
        let second = names.iter().position(|(n, _)| n == "张三");
        assert!(first < second, "{names:?}");
        assert_eq!(w.name_of(&long).as_deref(), Some("张三丰"));
    }
}
