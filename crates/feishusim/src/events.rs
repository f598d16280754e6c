//! Event bodies as Feishu pushes them: the v2 envelope around the events of
//! ../shared/feishu-wire-format.md §4.1 and §4.2, with the ids the world
//! holds.

use serde_json::{Value, json};

use crate::world::World;
use crate::{Config, ids};

/// The tenant every simulated user belongs to.
pub(crate) const TENANT_KEY: &str = "sim_tenant";

pub(crate) const MESSAGE_RECEIVE: &str = "im.message.receive_v1";
pub(crate) const BOT_ADDED: &str = "im.chat.member.bot.added_v1";
pub(crate) const BOT_DELETED: &str = "im.chat.member.bot.deleted_v1";
pub(crate) const DISBANDED: &str = "im.chat.disbanded_v1";
pub(crate) const P2P_ENTERED: &str = "im.chat.access_event.bot_p2p_chat_entered_v1";
pub(crate) const RECALLED: &str = "im.message.recalled_v1";

/// `{"schema":"2.0","header":{…},"event":…}`, dated now (milliseconds, as
/// a string).
pub(crate) fn envelope(config: &Config, event_id: &str, event_type: &str, event: Value) -> Value {
    json!({
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "event_type": event_type,
            "create_time": ids::now_ms(),
            "token": config.verification_token,
            "app_id": config.app_id,
            "tenant_key": TENANT_KEY,
        },
        "event": event,
    })
}

/// `{"union_id","user_id","open_id"}` of a user (or of the bot, which has
/// no user_id).
pub(crate) fn user_ids(w: &World, open_id: &str) -> Value {
    if open_id == w.bot_open_id {
        return json!({ "union_id": w.bot_union_id, "user_id": "", "open_id": open_id });
    }
    match w.users.get(open_id) {
        Some(u) => json!({ "union_id": u.union_id, "user_id": u.user_id, "open_id": open_id }),
        None => json!({ "union_id": "", "user_id": "", "open_id": open_id }),
    }
}

/// The body shared by bot added, bot deleted and disbanded.
pub(crate) fn chat_event(w: &World, chat_id: &str, name: &str, by: &str) -> Value {
    json!({
        "chat_id": chat_id,
        "operator_id": user_ids(w, by),
        "external": false,
        "operator_tenant_key": TENANT_KEY,
        "name": name,
        "i18n_names": { "zh_cn": name, "en_us": name, "ja_jp": name },
    })
}

/// The user opened their p2p chat with the bot; the last message fields
/// are empty on a first visit.
pub(crate) fn p2p_entered(w: &World, open_id: &str) -> Value {
    let (chat_id, last) = w
        .users
        .get(open_id)
        .map(|u| (u.p2p_chat_id.clone(), u.last_p2p_message.clone()))
        .unwrap_or_default();
    let (last_id, last_time) = last.unwrap_or_default();
    json!({
        "chat_id": chat_id,
        "operator_id": user_ids(w, open_id),
        "last_message_id": last_id,
        "last_message_create_time": last_time,
    })
}

/// One entry of a received message's `mentions`.
pub(crate) fn mention(w: &World, key: &str, open_id: &str, name: &str) -> Value {
    json!({
        "key": key,
        "id": user_ids(w, open_id),
        "name": name,
        "tenant_key": TENANT_KEY,
    })
}

/// A received message's fields.
pub(crate) struct UserMessage {
    pub message_id: String,
    pub chat_id: String,
    /// "group" or "p2p".
    pub chat_type: &'static str,
    pub message_type: &'static str,
    /// The content JSON, as a string.
    pub content: String,
    pub create_time: String,
    /// (parent_id, root_id) of a reply.
    pub reply: Option<(String, String)>,
    pub mentions: Vec<Value>,
}

/// `im.message.receive_v1`'s event: sender and message. `mentions` is
/// left out when there are none, as Feishu leaves it out.
pub(crate) fn message_received(w: &World, from: &str, m: UserMessage) -> Value {
    let mut message = json!({
        "message_id": m.message_id,
        "create_time": m.create_time,
        "update_time": m.create_time,
        "chat_id": m.chat_id,
        "chat_type": m.chat_type,
        "message_type": m.message_type,
        "content": m.content,
    });
    if let Some((parent_id, root_id)) = m.reply {
        message["parent_id"] = json!(parent_id);
        message["root_id"] = json!(root_id);
    }
    if !m.mentions.is_empty() {
        message["mentions"] = Value::Array(m.mentions);
    }
    json!({
        "sender": {
            "sender_id": user_ids(w, from),
            "sender_type": "user",
            "tenant_key": TENANT_KEY,
        },
        "message": message,
    })
}

/// `im.message.recalled_v1`'s event; the author recalled it.
pub(crate) fn recalled(message_id: &str, chat_id: &str) -> Value {
    json!({
        "message_id": message_id,
        "chat_id": chat_id,
        "recall_time": ids::now_ms(),
        "recall_type": "message_owner",
    })
}
