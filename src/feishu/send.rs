//! Platform-free [`Outgoing`] messages sent through Feishu
//! (../shared/feishu-wire-format.md, sections 5 to 7): chat HTML as rich
//! posts (mentions as `at` nodes) cut below the 30 KB limit, plain text as
//! text, a picture uploaded and sent as an image, a workbook as a file, an
//! answer as a reply to the message asked about.
//!
//! Every request carries a `uuid` made from the ledger row's key (or the
//! event's, for replies) and the part's place: Feishu shows a message with
//! a given uuid at most once within the hour, so a send retried after a
//! crash between the request and the ledger's record is not shown twice.
//!
//! A group the bot left or that was disbanded is marked inactive; a person
//! outside the app's availability scope gets the fallback (a mention in
//! the project's group) instead.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Feishu;
use super::api::{Api, ApiError, Body, code};
use super::convert::local_id;
use super::markup::{self, Paragraph};
use crate::domain::ids::{ChatRef, PersonRef, Platform};
use crate::domain::outgoing::{Delivery, Outgoing, OutgoingDocument};
use crate::outbound::pace::Target;
use crate::outbound::reach::{note_chat_gone, note_reachable};
use crate::outbound::split::split_message;
use crate::store::Store;
use crate::store::messages::{self, Remembered};

/// Below Feishu's 30 KB for a post's request body, with room for the rest
/// of the request.
const MAX_POST_BYTES: usize = 28 * 1024;

/// A text message's characters per part: Feishu takes 150 KB, but a
/// reader scrolls less through several.
const MAX_TEXT_CHARS: usize = 4000;

/// One message as Feishu takes it.
struct Part {
    msg_type: &'static str,
    content: String,
}

/// Sends `out`; `key` names it for Feishu's deduplication.
pub async fn deliver(fs: &Feishu, out: &Outgoing, key: &str) -> Delivery {
    let store = &fs.store;
    match send(fs, out, key).await {
        Ok(ids) => Delivery::Sent(ids),
        Err(e) if e.code() == Some(code::OUT_OF_SCOPE) => {
            if let Some(person) = person_of(&out.chat) {
                note_reachable(store, &person, false).await;
            }
            if out.fallback.is_empty() {
                return Delivery::Failed(e.to_string());
            }
            let mut ids = Vec::new();
            for (i, fb) in out.fallback.iter().enumerate() {
                match send(fs, fb, &format!("{key}/fallback{i}")).await {
                    Ok(sent) => ids.extend(sent),
                    Err(e) => return Delivery::Failed(e.to_string()),
                }
            }
            Delivery::Redirected(ids)
        }
        Err(e) if matches!(e.code(), Some(code::NOT_IN_GROUP | code::DISBANDED)) => {
            note_chat_gone(store, &out.chat).await;
            Delivery::Failed(e.to_string())
        }
        Err(e) => Delivery::Failed(e.to_string()),
    }
}

async fn send(fs: &Feishu, out: &Outgoing, key: &str) -> Result<Vec<i64>, ApiError> {
    let (api, store) = (&fs.api, &fs.store);
    let mut parts = Vec::new();
    if let Some(picture) = &out.picture {
        let image_key = upload_image(api, picture, key).await?;
        parts.extend(caption(out));
        parts.push(Part {
            msg_type: "image",
            content: json!({ "image_key": image_key }).to_string(),
        });
    } else if let Some(doc) = &out.document {
        let file_key = upload_file(api, doc).await?;
        parts.extend(caption(out));
        parts.push(Part {
            msg_type: "file",
            content: json!({ "file_key": file_key }).to_string(),
        });
    } else {
        parts = text_parts(out);
    }
    let parent = reply_target(store, out).await;
    let mut ids = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let uuid = uuid(key, i);
        let parent = parent.as_deref().filter(|_| i == 0);
        let message_id = post_one(api, &out.chat, parent, part, &uuid).await?;
        ids.push(remember_sent(store, &out.chat, &message_id, fs.clock.now()).await);
    }
    Ok(ids)
}

/// The text with a file or picture, sent before it (Feishu has no caption).
fn caption(out: &Outgoing) -> Option<Part> {
    (!out.text.trim().is_empty()).then(|| text_parts(out).remove(0))
}

fn text_parts(out: &Outgoing) -> Vec<Part> {
    if !out.html {
        return split_message(&out.text, MAX_TEXT_CHARS)
            .iter()
            .map(|t| Part {
                msg_type: "text",
                content: markup::text(t),
            })
            .collect();
    }
    posts(markup::paragraphs(&out.text))
        .iter()
        .map(|p| Part {
            msg_type: "post",
            content: markup::post(p),
        })
        .collect()
}

/// Paragraphs packed into posts whose request stays below the limit; a
/// paragraph never straddles two posts.
fn posts(paragraphs: Vec<Paragraph>) -> Vec<Vec<Paragraph>> {
    let mut out: Vec<Vec<Paragraph>> = vec![Vec::new()];
    let mut size = 0;
    for p in paragraphs {
        // The content is sent as a JSON string inside JSON: escaped twice.
        let bytes = json!(json!(p).to_string()).to_string().len();
        if size + bytes > MAX_POST_BYTES && out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
            size = 0;
        }
        size += bytes;
        if let Some(last) = out.last_mut() {
            last.push(p);
        }
    }
    out
}

/// A uuid of at most 50 characters, the same for the same message on every
/// try and every instance.
fn uuid(key: &str, part: usize) -> String {
    let h = Sha256::digest(format!("{key}#{part}").as_bytes());
    h[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The Feishu id of the message answered, when the bot saw it; without it
/// the answer is posted plainly, which loses only the quote.
async fn reply_target(store: &Store, out: &Outgoing) -> Option<String> {
    let local = out.reply_to.filter(|id| *id != 0)?;
    let found = async {
        let mut conn = store.conn().await?;
        messages::find(&mut conn, Platform::Feishu, local).await
    };
    match found.await {
        Ok(found) => found.map(|m| m.message_id),
        Err(e) => {
            tracing::warn!(error = %e, "the message to answer could not be looked up; posting instead");
            None
        }
    }
}

async fn post_one(
    api: &Api,
    chat: &ChatRef,
    parent: Option<&str>,
    part: &Part,
    uuid: &str,
) -> Result<String, ApiError> {
    api.pacer.wait(pace_target(chat)).await;
    let (path, body) = match parent {
        Some(parent) => (
            format!("/open-apis/im/v1/messages/{parent}/reply"),
            json!({"msg_type": part.msg_type, "content": part.content, "uuid": uuid}),
        ),
        None => (
            format!(
                "/open-apis/im/v1/messages?receive_id_type={}",
                receive_id_type(chat)
            ),
            json!({"receive_id": chat.id, "msg_type": part.msg_type, "content": part.content,
                   "uuid": uuid}),
        ),
    };
    let op = if parent.is_some() { "reply" } else { "send" };
    let answer = api.call(op, Method::POST, &path, Body::Json(body)).await;
    let answer = match answer {
        // The message answered was recalled meanwhile: post it plainly.
        Err(e) if parent.is_some() && e.code() == Some(code::REPLY_RECALLED) => {
            return Box::pin(post_one(api, chat, None, part, uuid)).await;
        }
        other => other?,
    };
    Ok(answer["message_id"].as_str().unwrap_or("").to_string())
}

/// The person whose private chat this is: on Feishu a private chat is
/// addressed by the person's open_id (`ou_…`), a group by its chat_id.
fn person_of(chat: &ChatRef) -> Option<PersonRef> {
    chat.id
        .starts_with("ou_")
        .then(|| PersonRef::new(Platform::Feishu, chat.id.clone()))
}

/// How Feishu is told which kind of id `receive_id` is.
fn receive_id_type(chat: &ChatRef) -> &'static str {
    if person_of(chat).is_some() {
        "open_id"
    } else {
        "chat_id"
    }
}

/// A chat as the pacer counts it: Feishu's per-chat limit is the same for
/// groups and people, and it has no per-minute one for groups.
fn pace_target(chat: &ChatRef) -> Target {
    Target {
        chat: local_id(&chat.id),
        group: person_of(chat).is_none(),
    }
}

async fn upload_image(
    api: &Api,
    picture: &OutgoingDocument,
    key: &str,
) -> Result<String, ApiError> {
    let bytes = picture.bytes.clone();
    let name = picture.file_name.clone();
    let form = move || {
        reqwest::multipart::Form::new()
            .text("image_type", "message")
            .part(
                "image",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()),
            )
    };
    tracing::debug!(key, "uploading a picture");
    let v = api
        .call(
            "upload image",
            Method::POST,
            "/open-apis/im/v1/images",
            Body::Form(Box::new(form)),
        )
        .await?;
    Ok(field(&v, "image_key"))
}

async fn upload_file(api: &Api, doc: &OutgoingDocument) -> Result<String, ApiError> {
    let bytes = doc.bytes.clone();
    let name = doc.file_name.clone();
    let kind = file_type(&name);
    let form = move || {
        reqwest::multipart::Form::new()
            .text("file_type", kind)
            .text("file_name", name.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()),
            )
    };
    let v = api
        .call(
            "upload file",
            Method::POST,
            "/open-apis/im/v1/files",
            Body::Form(Box::new(form)),
        )
        .await?;
    Ok(field(&v, "file_key"))
}

/// Feishu's `file_type` for a file name: its own kinds, else `stream`.
fn file_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "xls" | "xlsx" | "csv" => "xls",
        "doc" | "docx" => "doc",
        "pdf" => "pdf",
        "ppt" | "pptx" => "ppt",
        _ => "stream",
    }
}

fn field(v: &Value, name: &str) -> String {
    v[name].as_str().unwrap_or("").to_string()
}

/// Records a message the bot sent, so a reply to it is known as one; its
/// number for the core. A failure costs only that knowledge: logged.
async fn remember_sent(
    store: &Store,
    chat: &ChatRef,
    message_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> i64 {
    let local = local_id(message_id);
    let m = Remembered {
        message_id: message_id.to_string(),
        chat: chat.key(),
        sender: None,
        sender_name: String::new(),
        from_bot: true,
    };
    let remembered = async {
        let mut conn = store.conn().await?;
        messages::remember(&mut conn, Platform::Feishu, local, &m, now).await
    };
    if let Err(e) = remembered.await {
        tracing::warn!(error = %e, "a sent message was not recorded; a reply to it reads as plain");
    }
    local
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_post_is_cut_between_paragraphs_below_the_limit() {
        let line = "项目进展良好，".repeat(200);
        let html = vec![line; 40].join("\n");
        let posts = posts(markup::paragraphs(&html));
        assert!(posts.len() > 1, "{}", posts.len());
        for p in &posts {
            let body =
                json!({"msg_type": "post", "content": markup::post(p), "uuid": uuid("k", 0)});
            assert!(body.to_string().len() < 30 * 1024);
        }
        assert_eq!(posts.iter().map(Vec::len).sum::<usize>(), 40);
    }

    #[test]
    fn uuids_fit_feishus_limit_and_differ_by_part() {
        assert_eq!(uuid("bulletin:2026-W49:feishu:oc_1", 0).len(), 32);
        assert_ne!(uuid("k", 0), uuid("k", 1));
        assert_eq!(uuid("k", 1), uuid("k", 1));
        let chat = |id: &str| ChatRef::new(Platform::Feishu, id);
        assert_eq!(receive_id_type(&chat("ou_1")), "open_id");
        assert_eq!(receive_id_type(&chat("oc_1")), "chat_id");
        assert_eq!(file_type("duban-2026-W49.xlsx"), "xls");
    }
}
