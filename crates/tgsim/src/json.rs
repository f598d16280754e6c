//! Telegram objects as JSON, shaped so that teloxide 0.17 deserialises
//! them: the fields its types require (without `#[serde(default)]`) are
//! always present, nothing it would reject is ever added.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::ChatKind;
use super::world::{BotIdentity, ChatState, UserState};

pub(crate) fn user(u: &UserState) -> Value {
    let mut v = json!({ "id": u.id, "is_bot": false, "first_name": u.first_name });
    if let Some(name) = &u.username {
        v["username"] = json!(name);
    }
    if let Some(lang) = &u.language_code {
        v["language_code"] = json!(lang);
    }
    v
}

pub(crate) fn bot_user(bot: &BotIdentity) -> Value {
    json!({
        "id": bot.id,
        "is_bot": true,
        "first_name": bot.first_name,
        "username": bot.username,
    })
}

/// `getMe`: teloxide's `Me` requires every one of these booleans except
/// `can_connect_to_business`, and unwraps `username`.
pub(crate) fn me(bot: &BotIdentity) -> Value {
    let mut v = bot_user(bot);
    v["can_join_groups"] = json!(true);
    v["can_read_all_group_messages"] = json!(false);
    v["supports_inline_queries"] = json!(false);
    v["can_connect_to_business"] = json!(false);
    v["has_main_web_app"] = json!(false);
    v
}

/// A `Chat`: private chats carry the user's names, groups a title; a forum
/// is a supergroup with `is_forum`.
pub(crate) fn chat(c: &ChatState, users: &HashMap<i64, UserState>) -> Value {
    match c.kind {
        ChatKind::Private => {
            let mut v = json!({ "id": c.id, "type": "private", "first_name": c.title });
            if let Some(name) = users.get(&c.id).and_then(|u| u.username.as_ref()) {
                v["username"] = json!(name);
            }
            v
        }
        ChatKind::Group => json!({ "id": c.id, "type": "group", "title": c.title }),
        ChatKind::Supergroup => json!({ "id": c.id, "type": "supergroup", "title": c.title }),
        ChatKind::Forum => {
            json!({ "id": c.id, "type": "supergroup", "title": c.title, "is_forum": true })
        }
    }
}

/// `getChat`: teloxide's `ChatFullInfo` additionally requires
/// `accepted_gift_types` (all four booleans) and `max_reaction_count`.
pub(crate) fn chat_full_info(c: &ChatState, users: &HashMap<i64, UserState>) -> Value {
    let mut v = chat(c, users);
    v["accent_color_id"] = json!(0);
    v["max_reaction_count"] = json!(11);
    v["accepted_gift_types"] = json!({
        "unlimited_gifts": false,
        "limited_gifts": false,
        "unique_gifts": false,
        "premium_subscription": false,
    });
    if c.kind != ChatKind::Private {
        v["permissions"] = json!({
            "can_send_messages": true,
            "can_send_audios": true,
            "can_send_documents": true,
            "can_send_photos": true,
            "can_send_videos": true,
            "can_send_video_notes": true,
            "can_send_voice_notes": true,
            "can_send_polls": true,
            "can_send_other_messages": true,
            "can_add_web_page_previews": true,
            "can_change_info": false,
            "can_invite_users": true,
            "can_pin_messages": false,
            "can_manage_topics": false,
        });
    }
    v
}

/// A `ChatMember` in one of the statuses the world knows. Administrators
/// and creators need their non-defaulted booleans; `kicked` needs
/// `until_date` (0 = forever).
pub(crate) fn chat_member(user: Value, status: &str) -> Value {
    let mut v = json!({ "user": user, "status": status });
    match status {
        "creator" => {
            v["is_anonymous"] = json!(false);
        }
        "administrator" => {
            for key in [
                "can_be_edited",
                "is_anonymous",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
                "can_promote_members",
                "can_change_info",
            ] {
                v[key] = json!(false);
            }
            for key in [
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_invite_users",
                "can_restrict_members",
                "can_pin_messages",
                "can_manage_topics",
            ] {
                v[key] = json!(true);
            }
        }
        "kicked" => {
            v["until_date"] = json!(0);
        }
        _ => {}
    }
    v
}

pub(crate) fn bot_command_list(commands: &[(String, String)]) -> Value {
    Value::Array(
        commands
            .iter()
            .map(|(c, d)| json!({ "command": c, "description": d }))
            .collect(),
    )
}

/// A guess good enough for `Document.mime_type`, which teloxide parses as a
/// `Mime` and Telegram always fills in.
pub(crate) fn mime_for(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => "text/csv",
        "txt" | "log" => "text/plain",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_guesses() {
        assert_eq!(mime_for("周报.CSV"), "text/csv");
        assert_eq!(mime_for("noext"), "application/octet-stream");
    }

    #[test]
    fn members_carry_their_required_fields() {
        let u = json!({"id": 1, "is_bot": false, "first_name": "a"});
        assert_eq!(chat_member(u.clone(), "kicked")["until_date"], 0);
        assert_eq!(chat_member(u.clone(), "creator")["is_anonymous"], false);
        assert_eq!(
            chat_member(u, "administrator")["can_promote_members"],
            false
        );
    }
}
