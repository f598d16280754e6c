//! The send APIs: `POST /open-apis/im/v1/messages?receive_id_type=…` and
//! `POST /open-apis/im/v1/messages/:message_id/reply`, checked in the
//! order ../shared/feishu-wire-format.md §10 lists (a queued fault first),
//! and recorded as `Sent` once accepted. A uuid seen within the hour gets
//! the first answer again and records nothing, the way "the same uuid
//! succeeds at most once" reads.

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};

use crate::Fault;
use crate::content::{self, Rendered};
use crate::error::ApiError;
use crate::events::TENANT_KEY;
use crate::world::{FileKind, Message, Place, World};
use crate::{Sent, ids};

/// How long a uuid is remembered (wall clock).
const UUID_WINDOW: Duration = Duration::from_secs(60 * 60);

const MAX_UUID_CHARS: usize = 50;

/// The request body limits by type; beyond them, 230025.
const MAX_TEXT_BODY: usize = 150 * 1024;
const MAX_POST_BODY: usize = 30 * 1024;

/// A send on its way: where it goes and how it was addressed.
struct Outgoing<'a> {
    receive_id_type: &'a str,
    place: Place,
    /// (parent_id, root_id) for the reply endpoint.
    reply: Option<(String, String)>,
    request: Map<String, Value>,
    body_len: usize,
}

/// `POST /open-apis/im/v1/messages`.
pub(crate) fn create(
    w: &mut World,
    receive_id_type: Option<&str>,
    body: &[u8],
    now: Instant,
) -> Result<Value, ApiError> {
    let lost = take_fault(w)?;
    let request = parse(body)?;
    let receive_id = request
        .get("receive_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let place = match receive_id_type {
        Some("chat_id") if w.groups.contains_key(receive_id) => Place::Group(receive_id.to_owned()),
        Some("chat_id") => Place::P2p(
            w.p2p_owner(receive_id)
                .ok_or_else(|| ApiError::param("invalid receive_id"))?,
        ),
        Some("open_id") if w.users.contains_key(receive_id) => Place::P2p(receive_id.to_owned()),
        Some("open_id") => return Err(ApiError::param("invalid receive_id")),
        _ => return Err(ApiError::param("invalid receive_id_type")),
    };
    let receive_id_type = receive_id_type.unwrap_or("");
    let accepted = accept(
        w,
        Outgoing {
            receive_id_type,
            place,
            reply: None,
            request,
            body_len: body.len(),
        },
        now,
    );
    answered(accepted, lost)
}

/// The next queued fault: `Ok(true)` when the call is to be carried out
/// and its answer lost, the refusal for any other.
fn take_fault(w: &mut World) -> Result<bool, ApiError> {
    match w.faults.pop_front() {
        Some(Fault::AnswerLost) => Ok(true),
        Some(fault) => Err(fault.into()),
        None => Ok(false),
    }
}

/// What the sender hears of a call carried out.
fn answered(accepted: Result<Value, ApiError>, lost: bool) -> Result<Value, ApiError> {
    match (accepted, lost) {
        (Ok(_), true) => Err(Fault::AnswerLost.into()),
        (other, _) => other,
    }
}

/// `POST /open-apis/im/v1/messages/:message_id/reply`: lands in the
/// parent's chat.
pub(crate) fn reply(
    w: &mut World,
    parent_id: &str,
    body: &[u8],
    now: Instant,
) -> Result<Value, ApiError> {
    let lost = take_fault(w)?;
    let request = parse(body)?;
    let parent = w
        .messages
        .get(parent_id)
        .ok_or_else(|| ApiError::param("invalid message_id"))?;
    if parent.recalled {
        return Err(ApiError::new(400, 230011, "The message was withdrawn."));
    }
    let root = parent
        .root_id
        .clone()
        .unwrap_or_else(|| parent_id.to_owned());
    let place = parent.place.clone();
    let accepted = accept(
        w,
        Outgoing {
            receive_id_type: "reply",
            place,
            reply: Some((parent_id.to_owned(), root)),
            request,
            body_len: body.len(),
        },
        now,
    );
    answered(accepted, lost)
}

fn parse(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::new(
            400,
            9499,
            "Bad Request: the body is not a JSON object",
        )),
    }
}

/// The checks after the target is known, then the record.
fn accept(w: &mut World, out: Outgoing, now: Instant) -> Result<Value, ApiError> {
    check_place(w, &out.place)?;
    let field = |k: &str| out.request.get(k).and_then(Value::as_str);
    let msg_type = field("msg_type").ok_or_else(|| ApiError::param("invalid msg_type"))?;
    let content = field("content").ok_or_else(|| ApiError::param("content is not a string"))?;
    let rendered = content::render(msg_type, content, &|id| w.name_of(id))?;
    check_keys(w, &rendered)?;
    let max = match msg_type {
        "text" => Some(MAX_TEXT_BODY),
        "post" => Some(MAX_POST_BODY),
        _ => None,
    };
    if max.is_some_and(|max| out.body_len > max) {
        return Err(ApiError::new(
            400,
            230025,
            "The length of the message content reaches its limit.",
        ));
    }
    let uuid = match out.request.get("uuid") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) if u.is_empty() => None,
        Some(Value::String(u)) if u.chars().count() <= MAX_UUID_CHARS => Some(u.clone()),
        Some(_) => return Err(ApiError::param("invalid uuid")),
    };
    if let Some(uuid) = &uuid
        && let Some((at, data)) = w.uuids.get(uuid)
        && at.elapsed().unwrap_or_default() < UUID_WINDOW
    {
        return Ok(data.clone());
    }
    let chat_key = match &out.place {
        Place::Group(chat_id) => chat_id.clone(),
        Place::P2p(open_id) => open_id.clone(),
    };
    if w.config.enforce_limits {
        w.limiter.check(&chat_key, now)?;
        w.limiter.record(&chat_key, now);
    }
    let (msg_type, content) = (msg_type.to_owned(), content.to_owned());
    Ok(record(w, out, chat_key, msg_type, content, rendered, uuid))
}

/// 232009 for a disbanded group, 230002 when the bot is not in it, 230013
/// for a user outside the app's availability scope.
fn check_place(w: &World, place: &Place) -> Result<(), ApiError> {
    match place {
        Place::Group(chat_id) => match w.groups.get(chat_id) {
            Some(g) if g.disbanded => Err(ApiError::new(
                400,
                232009,
                "Your request specifies a chat which has already been dissolved.",
            )),
            Some(g) if !g.bot_member => Err(ApiError::new(
                400,
                230002,
                "The bot can not be outside the group.",
            )),
            Some(_) => Ok(()),
            None => Err(ApiError::param("invalid receive_id")),
        },
        Place::P2p(open_id) => match w.users.get(open_id) {
            Some(u) if !u.in_scope => Err(ApiError::new(
                400,
                230013,
                "Bot has NO availability to this user.",
            )),
            Some(_) => Ok(()),
            None => Err(ApiError::param("invalid receive_id")),
        },
    }
}

/// Image keys must be uploaded images, file keys uploaded files.
fn check_keys(w: &World, r: &Rendered) -> Result<(), ApiError> {
    let is = |key: &String, kind| w.files.get(key).is_some_and(|f| f.kind == kind);
    if !r.images.iter().all(|k| is(k, FileKind::Image)) {
        return Err(ApiError::param("invalid image_key"));
    }
    if !r.files.iter().all(|k| is(k, FileKind::File)) {
        return Err(ApiError::param("invalid file_key"));
    }
    Ok(())
}

/// Stores the message, records it as sent, remembers its uuid, and
/// answers with the message as Feishu describes it.
fn record(
    w: &mut World,
    out: Outgoing,
    chat_key: String,
    msg_type: String,
    content: String,
    rendered: Rendered,
    uuid: Option<String>,
) -> Value {
    let message_id = ids::id("om_");
    let create_time = ids::now_ms();
    let mut resources = rendered.images.clone();
    resources.extend(rendered.files.iter().cloned());
    let file_key = match msg_type.as_str() {
        "image" => rendered.images.first().cloned(),
        "file" => rendered.files.first().cloned(),
        _ => None,
    };
    // An image or file shows its name, or its key when it has none.
    let plain = file_key
        .as_ref()
        .and_then(|k| w.files.get(k))
        .and_then(|f| f.name.clone())
        .unwrap_or_else(|| rendered.plain.clone());
    w.messages.insert(
        message_id.clone(),
        Message {
            place: out.place.clone(),
            root_id: out.reply.as_ref().map(|(_, root)| root.clone()),
            resources,
            recalled: false,
        },
    );
    if let Place::P2p(open_id) = &out.place
        && let Some(user) = w.users.get_mut(open_id)
    {
        user.last_p2p_message = Some((message_id.clone(), create_time.clone()));
    }
    let data = answer(w, &out, &message_id, &msg_type, &create_time, &rendered);
    let seq = u64::try_from(w.sent.len()).unwrap_or(u64::MAX - 1) + 1;
    w.sent.push(Sent {
        seq,
        message_id,
        chat_id: chat_key,
        receive_id_type: out.receive_id_type.to_owned(),
        msg_type,
        content,
        plain,
        mentions: rendered.mentions.iter().map(|m| m.id.clone()).collect(),
        reply_to: out.reply.map(|(parent, _)| parent),
        uuid: uuid.clone(),
        file_key,
    });
    if let Some(uuid) = uuid {
        w.uuids.insert(uuid, (SystemTime::now(), data.clone()));
    }
    data
}

/// The success answer's `data`.
fn answer(
    w: &World,
    out: &Outgoing,
    message_id: &str,
    msg_type: &str,
    create_time: &str,
    rendered: &Rendered,
) -> Value {
    let mentions: Vec<Value> = rendered
        .mentions
        .iter()
        .map(|m| {
            json!({
                "key": m.key, "id": m.id, "id_type": "open_id",
                "name": m.name, "tenant_key": TENANT_KEY,
            })
        })
        .collect();
    let mut data = json!({
        "message_id": message_id,
        "msg_type": msg_type,
        "create_time": create_time,
        "update_time": create_time,
        "deleted": false,
        "updated": false,
        "chat_id": w.chat_id_of(&out.place),
        "sender": {
            "id": w.config.app_id, "id_type": "app_id",
            "sender_type": "app", "tenant_key": TENANT_KEY,
        },
        "body": { "content": rendered.echoed.to_string() },
        "mentions": mentions,
    });
    if let Some((parent, root)) = &out.reply {
        data["parent_id"] = json!(parent);
        data["root_id"] = json!(root);
    }
    data
}
