//! The Bot API methods the simulator answers, each a synchronous step on
//! the world (getUpdates waits, so it lives in http.rs).

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::files;
use super::html::Entity;
use super::validate::{self, MAX_CAPTION, MAX_TEXT, Rendered};
use super::webhook;
use super::world::World;
use super::{ChatKind, Sent, json as tg};

/// A file part of a multipart request.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    /// The part's name, which `attach://<name>` refers to.
    pub field: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

type Params = Map<String, Value>;

fn int(p: &Params, key: &str) -> Option<i64> {
    p.get(key).and_then(Value::as_i64)
}

fn string<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.get(key).and_then(Value::as_str)
}

fn flag(p: &Params, key: &str) -> bool {
    p.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// A chat_id as Telegram resolves it. `@username` only names public chats,
/// which the simulator has none of.
fn chat_id(p: &Params) -> Result<i64, ApiError> {
    match p.get("chat_id") {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(ApiError::chat_not_found),
        Some(Value::String(_)) => Err(ApiError::chat_not_found()),
        _ => Err(validate::empty_field("chat_id")),
    }
}

fn entities_json(entities: &[Entity]) -> Value {
    Value::Array(entities.iter().map(Entity::to_json).collect())
}

/// Runs one method; `None` when the simulator does not know it.
pub(crate) fn call(
    world: &mut World,
    method: &str,
    p: &Params,
    uploads: &[Upload],
) -> Option<Result<Value, ApiError>> {
    let result = match method {
        "getMe" => Ok(tg::me(&world.bot)),
        "getWebhookInfo" => Ok(webhook::info(world)),
        "setWebhook" => webhook::set_webhook(world, p),
        "deleteWebhook" => Ok(webhook::delete_webhook(world, p)),
        "sendMessage" => send_message(world, p),
        "editMessageText" => edit_message_text(world, p),
        "editMessageReplyMarkup" => edit_reply_markup(world, p),
        "sendDocument" => send_file(world, p, uploads, "sendDocument", "document"),
        "sendPhoto" => send_file(world, p, uploads, "sendPhoto", "photo"),
        "getFile" => files::get_file(world, p),
        "deleteMessage" => delete_message(world, p),
        "answerCallbackQuery" => answer_callback(world, p),
        "setMyCommands" => set_my_commands(world, p),
        "getMyCommands" => get_my_commands(world, p),
        "deleteMyCommands" => delete_my_commands(world, p),
        "getChat" => get_chat(world, p),
        "getChatMember" => get_chat_member(world, p),
        "getChatAdministrators" => get_chat_administrators(world, p),
        "getChatMemberCount" => get_chat_member_count(world, p),
        "sendChatAction" => send_chat_action(world, p),
        "leaveChat" => leave_chat(world, p),
        m if validate::TRUE_METHODS.contains(&m) => match p.get("chat_id") {
            Some(_) => chat_id(p).and_then(|id| world.writable(id).map(|_| json!(true))),
            None => Ok(json!(true)),
        },
        _ => return None,
    };
    Some(result)
}

struct Outgoing {
    chat_id: i64,
    thread: Option<i64>,
    reply_to: Option<i64>,
    markup: Option<Value>,
}

/// What every send shares: the chat must accept the bot, the replied-to
/// message must exist, the keyboard must parse.
fn outgoing(world: &World, p: &Params) -> Result<Outgoing, ApiError> {
    let chat_id = chat_id(p)?;
    let chat = world.writable(chat_id)?;
    let reply_to = p
        .get("reply_parameters")
        .and_then(|r| r.get("message_id"))
        .and_then(Value::as_i64)
        .or_else(|| int(p, "reply_to_message_id"));
    let allow_missing = flag(p, "allow_sending_without_reply")
        || p.get("reply_parameters")
            .and_then(|r| r.get("allow_sending_without_reply"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
    let reply_to = match reply_to {
        Some(r) if !chat.messages.contains_key(&r) => {
            if allow_missing {
                None
            } else {
                return Err(ApiError::bad_request("message to be replied not found"));
            }
        }
        other => other,
    };
    let thread = int(p, "message_thread_id");
    if let Some(t) = thread
        && chat.kind == ChatKind::Forum
        && !chat.topics.contains(&t)
    {
        return Err(ApiError::bad_request("message thread not found"));
    }
    let markup = p.get("reply_markup").cloned();
    if let Some(m) = &markup {
        validate::check_reply_markup(m)?;
    }
    Ok(Outgoing {
        chat_id,
        thread,
        reply_to,
        markup,
    })
}

/// Only inline keyboards come back in the Message; reply keyboards are
/// the client's business.
fn inline_markup(markup: &Option<Value>) -> Option<Value> {
    markup
        .as_ref()
        .filter(|m| m.get("inline_keyboard").is_some())
        .cloned()
}

fn send_message(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let out = outgoing(world, p)?;
    let text = string(p, "text").ok_or_else(|| validate::empty_field("text"))?;
    let parse_mode = validate::check_parse_mode(string(p, "parse_mode"))?;
    let rendered = validate::render(text, parse_mode.as_deref(), MAX_TEXT, false)?;
    let mut body = Map::new();
    body.insert("text".into(), json!(rendered.text));
    let entities = explicit_entities(p, "entities", parse_mode.is_some(), &rendered);
    if let Some(e) = entities {
        body.insert("entities".into(), e);
    }
    if let Some(m) = inline_markup(&out.markup) {
        body.insert("reply_markup".into(), m);
    }
    let thread = world.thread_for(out.chat_id, out.thread, out.reply_to);
    let from = tg::bot_user(&world.bot);
    let message = world.compose(out.chat_id, from, thread, out.reply_to, body);
    world.record_sent(Sent {
        accepted: std::time::Instant::now(),
        seq: 0,
        method: "sendMessage".into(),
        chat_id: out.chat_id,
        message_id: message["message_id"].as_i64().unwrap_or_default(),
        text: text.to_owned(),
        plain: rendered.text,
        parse_mode,
        thread_id: out.thread,
        reply_to: out.reply_to,
        reply_markup: out.markup,
        file_name: None,
        file_id: None,
    });
    Ok(message)
}

/// Entities for the stored message: parsed ones with a parse_mode, the
/// bot's own `entities` otherwise.
fn explicit_entities(p: &Params, key: &str, parsed: bool, rendered: &Rendered) -> Option<Value> {
    if parsed {
        return (!rendered.entities.is_empty()).then(|| entities_json(&rendered.entities));
    }
    p.get(key)
        .filter(|e| e.as_array().is_some_and(|a| !a.is_empty()))
        .cloned()
}

/// The bot's own message `message_id` in the chat, for editing.
fn own_message(world: &World, p: &Params) -> Result<(i64, i64), ApiError> {
    if p.contains_key("inline_message_id") {
        return Err(ApiError::bad_request(
            "inline messages are not supported by the simulator",
        ));
    }
    let chat_id = chat_id(p)?;
    let chat = world.writable(chat_id)?;
    let message_id = int(p, "message_id")
        .ok_or_else(|| ApiError::bad_request("message identifier is not specified"))?;
    let Some(message) = chat.messages.get(&message_id) else {
        return Err(ApiError::bad_request("message to edit not found"));
    };
    let from_bot = message
        .get("from")
        .and_then(|f| f.get("id"))
        .and_then(Value::as_i64)
        == Some(world.bot.id);
    if !from_bot || message.get("text").is_none() && message.get("caption").is_none() {
        return Err(ApiError::bad_request("message can't be edited"));
    }
    Ok((chat_id, message_id))
}

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply \
                            markup are exactly the same as a current content and reply markup of \
                            the message";

fn edit_message_text(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let (chat_id, message_id) = own_message(world, p)?;
    let text = string(p, "text").ok_or_else(|| validate::empty_field("text"))?;
    let parse_mode = validate::check_parse_mode(string(p, "parse_mode"))?;
    let rendered = validate::render(text, parse_mode.as_deref(), MAX_TEXT, false)?;
    let markup = p.get("reply_markup").cloned();
    if let Some(m) = &markup {
        validate::check_reply_markup(m)?;
    }
    let entities = explicit_entities(p, "entities", parse_mode.is_some(), &rendered);
    let new_markup = inline_markup(&markup);
    let now = world.now;
    let chat = world.chats.get_mut(&chat_id).expect("writable chat exists");
    let message = chat
        .messages
        .get_mut(&message_id)
        .expect("checked by own_message");
    let same = message.get("text").and_then(Value::as_str) == Some(rendered.text.as_str())
        && message.get("entities") == entities.as_ref()
        && message.get("reply_markup") == new_markup.as_ref();
    if same {
        return Err(ApiError::bad_request(NOT_MODIFIED));
    }
    let m = message.as_object_mut().expect("messages are objects");
    m.insert("text".into(), json!(rendered.text));
    set_or_remove(m, "entities", entities);
    // Telegram drops the keyboard of an edit that does not repeat it.
    set_or_remove(m, "reply_markup", new_markup);
    m.insert("edit_date".into(), json!(now));
    let edited = message.clone();
    let thread = edited.get("message_thread_id").and_then(Value::as_i64);
    world.record_sent(Sent {
        accepted: std::time::Instant::now(),
        seq: 0,
        method: "editMessageText".into(),
        chat_id,
        message_id,
        text: text.to_owned(),
        plain: rendered.text,
        parse_mode,
        thread_id: thread,
        reply_to: None,
        reply_markup: markup,
        file_name: None,
        file_id: None,
    });
    Ok(edited)
}

fn edit_reply_markup(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let (chat_id, message_id) = own_message(world, p)?;
    let markup = p.get("reply_markup").cloned();
    if let Some(m) = &markup {
        validate::check_reply_markup(m)?;
    }
    let new_markup = inline_markup(&markup);
    let now = world.now;
    let chat = world.chats.get_mut(&chat_id).expect("writable chat exists");
    let message = chat
        .messages
        .get_mut(&message_id)
        .expect("checked by own_message");
    if message.get("reply_markup") == new_markup.as_ref() {
        return Err(ApiError::bad_request(NOT_MODIFIED));
    }
    let m = message.as_object_mut().expect("messages are objects");
    set_or_remove(m, "reply_markup", new_markup);
    m.insert("edit_date".into(), json!(now));
    Ok(message.clone())
}

fn set_or_remove(m: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(v) => {
            m.insert(key.into(), v);
        }
        None => {
            m.remove(key);
        }
    }
}

/// sendDocument and sendPhoto: the file is an uploaded part (directly under
/// the field's name or via `attach://`), a file_id the simulator handed out
/// before, or a URL.
fn send_file(
    world: &mut World,
    p: &Params,
    uploads: &[Upload],
    method: &str,
    field: &str,
) -> Result<Value, ApiError> {
    let out = outgoing(world, p)?;
    let given = string(p, field).ok_or_else(|| validate::empty_field(field))?;
    let (file_name, size, bytes) = if let Some(part) = given.strip_prefix("attach://") {
        let upload = uploads
            .iter()
            .find(|u| u.field == part)
            .ok_or_else(|| ApiError::bad_request(format!("{field} must be a file or a file_id")))?;
        if upload.bytes.is_empty() {
            return Err(ApiError::bad_request("file must be non-empty"));
        }
        (
            (!upload.file_name.is_empty()).then(|| upload.file_name.clone()),
            upload.bytes.len(),
            Some(upload.bytes.clone()),
        )
    } else if let Some(known) = world.files.get(given) {
        (known.file_name.clone(), known.size, known.bytes.clone())
    } else if given.starts_with("http://") || given.starts_with("https://") {
        let name = given
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        (name, 0, None)
    } else {
        return Err(ApiError::bad_request(
            "wrong file identifier/HTTP URL specified",
        ));
    };
    let caption = string(p, "caption").unwrap_or("");
    let parse_mode = validate::check_parse_mode(string(p, "parse_mode"))?;
    let rendered = validate::render(caption, parse_mode.as_deref(), MAX_CAPTION, true)?;
    let (file_id, unique_id) = world.store_file(file_name.clone(), size, bytes);
    let mut body = Map::new();
    if field == "document" {
        let mut doc = json!({ "file_id": file_id, "file_unique_id": unique_id, "file_size": size });
        if let Some(name) = &file_name {
            doc["file_name"] = json!(name);
            doc["mime_type"] = json!(tg::mime_for(name));
        } else {
            doc["mime_type"] = json!("application/octet-stream");
        }
        body.insert("document".into(), doc);
    } else {
        body.insert(
            "photo".into(),
            json!([{ "file_id": file_id, "file_unique_id": unique_id, "file_size": size,
                     "width": 1280, "height": 720 }]),
        );
    }
    if !rendered.text.is_empty() {
        body.insert("caption".into(), json!(rendered.text));
        if let Some(e) = explicit_entities(p, "caption_entities", parse_mode.is_some(), &rendered) {
            body.insert("caption_entities".into(), e);
        }
    }
    if let Some(m) = inline_markup(&out.markup) {
        body.insert("reply_markup".into(), m);
    }
    let thread = world.thread_for(out.chat_id, out.thread, out.reply_to);
    let from = tg::bot_user(&world.bot);
    let message = world.compose(out.chat_id, from, thread, out.reply_to, body);
    world.record_sent(Sent {
        accepted: std::time::Instant::now(),
        seq: 0,
        method: method.into(),
        chat_id: out.chat_id,
        message_id: message["message_id"].as_i64().unwrap_or_default(),
        text: caption.to_owned(),
        plain: rendered.text,
        parse_mode,
        thread_id: out.thread,
        reply_to: out.reply_to,
        reply_markup: out.markup,
        file_name,
        file_id: Some(file_id),
    });
    Ok(message)
}

fn delete_message(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = chat_id(p)?;
    world.writable(chat_id)?;
    let message_id = int(p, "message_id").unwrap_or_default();
    let chat = world.chats.get_mut(&chat_id).expect("writable chat exists");
    match chat.messages.remove(&message_id) {
        Some(_) => Ok(json!(true)),
        None => Err(ApiError::bad_request("message to delete not found")),
    }
}

fn answer_callback(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let id = string(p, "callback_query_id").unwrap_or("");
    if !world.open_callbacks.remove(id) {
        return Err(ApiError::bad_request(
            "query is too old and response timeout expired or query id is invalid",
        ));
    }
    if string(p, "text").is_some_and(|t| t.chars().count() > 200) {
        return Err(ApiError::bad_request("MESSAGE_TOO_LONG"));
    }
    Ok(json!(true))
}

/// The scope as stored: `null` stands for the default scope.
fn scope(world: &World, p: &Params) -> Result<Value, ApiError> {
    let Some(scope) = p.get("scope") else {
        return Ok(Value::Null);
    };
    let kind = scope.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "default" => Ok(Value::Null),
        "all_private_chats" | "all_group_chats" | "all_chat_administrators" => Ok(scope.clone()),
        "chat" | "chat_administrators" | "chat_member" => {
            let id = scope.get("chat_id").and_then(Value::as_i64);
            if !id.is_some_and(|id| world.chats.contains_key(&id)) {
                return Err(ApiError::chat_not_found());
            }
            Ok(scope.clone())
        }
        _ => Err(ApiError::bad_request("can't parse BotCommandScope")),
    }
}

fn language(p: &Params) -> Result<Option<String>, ApiError> {
    match string(p, "language_code") {
        None | Some("") => Ok(None),
        Some(l) if l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()) => Ok(Some(l.into())),
        Some(_) => Err(ApiError::bad_request("invalid language code specified")),
    }
}

fn set_my_commands(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let commands = validate::check_commands(p.get("commands").unwrap_or(&Value::Null))?;
    let scope = scope(world, p)?;
    let language_code = language(p)?;
    world
        .commands
        .retain(|c| !(c.scope == scope && c.language_code == language_code));
    if !commands.is_empty() {
        world.commands.push(super::world::CommandSet {
            scope,
            language_code,
            commands,
        });
    }
    Ok(json!(true))
}

fn get_my_commands(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let scope = scope(world, p)?;
    let language_code = language(p)?;
    let list = world
        .commands
        .iter()
        .find(|c| c.scope == scope && c.language_code == language_code)
        .map(|c| tg::bot_command_list(&c.commands))
        .unwrap_or_else(|| json!([]));
    Ok(list)
}

fn delete_my_commands(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let scope = scope(world, p)?;
    let language_code = language(p)?;
    world
        .commands
        .retain(|c| !(c.scope == scope && c.language_code == language_code));
    Ok(json!(true))
}

fn get_chat(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat = world.writable(chat_id(p)?)?;
    Ok(tg::chat_full_info(chat, &world.users))
}

fn member_status(world: &World, chat_id: i64, user_id: i64) -> Result<String, ApiError> {
    let chat = &world.chats[&chat_id];
    if user_id != world.bot.id && !world.users.contains_key(&user_id) {
        return Err(ApiError::bad_request("user not found"));
    }
    Ok(chat
        .members
        .get(&user_id)
        .cloned()
        .unwrap_or_else(|| "left".into()))
}

fn get_chat_member(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat_id = world.writable(chat_id(p)?)?.id;
    let user_id = int(p, "user_id").unwrap_or_default();
    let status = member_status(world, chat_id, user_id)?;
    Ok(tg::chat_member(world.user_json(user_id), &status))
}

fn get_chat_administrators(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat = world.writable(chat_id(p)?)?;
    if chat.kind == ChatKind::Private {
        return Err(ApiError::bad_request(
            "method is available only for supergroups and channel",
        ));
    }
    let mut admins: Vec<(i64, String)> = chat
        .members
        .iter()
        .filter(|(_, s)| matches!(s.as_str(), "creator" | "administrator"))
        .map(|(id, s)| (*id, s.clone()))
        .collect();
    admins.sort();
    Ok(Value::Array(
        admins
            .into_iter()
            .map(|(id, s)| tg::chat_member(world.user_json(id), &s))
            .collect(),
    ))
}

fn get_chat_member_count(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat = world.writable(chat_id(p)?)?;
    let count = chat
        .members
        .values()
        .filter(|s| matches!(s.as_str(), "creator" | "administrator" | "member"))
        .count();
    Ok(json!(count))
}

const CHAT_ACTIONS: [&str; 11] = [
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

fn send_chat_action(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    world.writable(chat_id(p)?)?;
    if !CHAT_ACTIONS.contains(&string(p, "action").unwrap_or("")) {
        return Err(ApiError::bad_request("wrong parameter action in request"));
    }
    Ok(json!(true))
}

fn leave_chat(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let chat = world.writable(chat_id(p)?)?;
    if chat.kind == ChatKind::Private {
        return Err(ApiError::bad_request(
            "chat member status can't be changed in private chats",
        ));
    }
    let (id, bot) = (chat.id, world.bot.id);
    world.bot_status_change(id, bot, "left");
    Ok(json!(true))
}
