//! What Telegram refuses before it looks at the world: unknown methods,
//! missing or mistyped fields (from the embedded Bot API schema), bad
//! `parse_mode`, texts that are empty or too long, malformed keyboards and
//! command lists.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::error::ApiError;
use super::html::{self, Entity};

/// Method name -> `[field, types, required]`, generated from the Bot API
/// description in /work/shared/telegram-bot-api (MIT, see the LICENSE file
/// next to it).
const METHODS_JSON: &str = include_str!("bot_api_methods.json");

/// Longest message text, in UTF-16 code units after entity parsing.
pub(crate) const MAX_TEXT: usize = 4096;
/// Longest media caption, same unit.
pub(crate) const MAX_CAPTION: usize = 1024;

#[derive(Debug)]
pub(crate) struct Field {
    pub name: String,
    pub types: Vec<String>,
    pub required: bool,
}

#[derive(Debug)]
pub(crate) struct Method {
    pub name: String,
    pub fields: Vec<Field>,
}

pub(crate) struct Schema {
    pub version: String,
    /// Keyed by the lower-cased name: teloxide sends `SendMessage`, curl
    /// users send `sendMessage`, Telegram accepts both.
    by_lower: HashMap<String, Method>,
}

impl Schema {
    pub fn method(&self, name: &str) -> Option<&Method> {
        self.by_lower.get(&name.to_ascii_lowercase())
    }
}

pub(crate) fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| parse_schema(METHODS_JSON))
}

fn parse_schema(text: &str) -> Schema {
    #[derive(serde::Deserialize)]
    struct Raw {
        version: String,
        methods: HashMap<String, Vec<(String, Vec<String>, bool)>>,
    }
    // The file is compiled in; a parse failure is a build defect, not input.
    let raw: Raw = serde_json::from_str(text).expect("embedded bot_api_methods.json is valid");
    let by_lower = raw
        .methods
        .into_iter()
        .map(|(name, fields)| {
            let fields = fields
                .into_iter()
                .map(|(name, types, required)| Field {
                    name,
                    types,
                    required,
                })
                .collect();
            (name.to_ascii_lowercase(), Method { name, fields })
        })
        .collect();
    Schema {
        version: raw.version,
        by_lower,
    }
}

/// Checks required fields and coerces every known field to its JSON type:
/// multipart and form bodies carry everything as strings, JSON bodies carry
/// objects inline, and the handlers want one shape.
pub(crate) fn normalize(
    method: &Method,
    raw: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let mut out = raw.clone();
    for field in &method.fields {
        let present = match raw.get(&field.name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(v),
        };
        let Some(value) = present else {
            out.remove(&field.name);
            if field.required {
                return Err(empty_field(&field.name));
            }
            continue;
        };
        let coerced = coerce(field, value)?;
        out.insert(field.name.clone(), coerced);
    }
    Ok(out)
}

pub(crate) fn empty_field(name: &str) -> ApiError {
    match name {
        "text" => ApiError::bad_request("message text is empty"),
        _ => ApiError::bad_request(format!("{name} is empty")),
    }
}

fn invalid(name: &str) -> ApiError {
    match name {
        // Telegram resolves a chat_id it cannot read as a name it cannot find.
        "chat_id" | "from_chat_id" => ApiError::chat_not_found(),
        _ => ApiError::bad_request(format!("invalid {name} specified")),
    }
}

fn coerce(field: &Field, value: &Value) -> Result<Value, ApiError> {
    let has = |t: &str| field.types.iter().any(|x| x == t);
    let name = field.name.as_str();
    if has("Integer") {
        match value {
            Value::Number(n) if n.is_i64() => return Ok(value.clone()),
            Value::String(s) => {
                if let Ok(n) = s.trim().parse::<i64>() {
                    return Ok(Value::from(n));
                }
                if has("String") {
                    return Ok(value.clone());
                }
            }
            _ => {}
        }
        return Err(invalid(name));
    }
    if has("Boolean") {
        return match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(s) => match s.trim() {
                "true" | "True" | "1" => Ok(Value::Bool(true)),
                "false" | "False" | "0" => Ok(Value::Bool(false)),
                _ => Err(invalid(name)),
            },
            Value::Number(n) => Ok(Value::Bool(n.as_i64().is_some_and(|n| n != 0))),
            _ => Err(invalid(name)),
        };
    }
    if has("Float") {
        return match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| invalid(name)),
            _ => Err(invalid(name)),
        };
    }
    if has("String") || has("InputFile") {
        return match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(invalid(name)),
        };
    }
    // Every remaining type is a JSON object or array, sent inline in JSON
    // bodies and as a JSON-serialised string in multipart/form bodies.
    let parsed = match value {
        Value::Object(_) | Value::Array(_) => value.clone(),
        Value::String(s) => serde_json::from_str(s)
            .map_err(|_| ApiError::bad_request(format!("can't parse {name} JSON object")))?,
        _ => {
            return Err(ApiError::bad_request(format!(
                "can't parse {name} JSON object"
            )));
        }
    };
    match parsed {
        Value::Object(_) | Value::Array(_) => Ok(parsed),
        _ => Err(ApiError::bad_request(format!(
            "can't parse {name} JSON object"
        ))),
    }
}

/// A text as the recipient sees it, with the entities Telegram derived.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rendered {
    pub text: String,
    pub entities: Vec<Entity>,
}

/// Length in UTF-16 code units, the unit of every Telegram limit and offset.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

pub(crate) fn check_parse_mode(parse_mode: Option<&str>) -> Result<Option<String>, ApiError> {
    match parse_mode {
        None | Some("") => Ok(None),
        Some(p) => match p.to_ascii_lowercase().as_str() {
            "html" => Ok(Some("HTML".into())),
            "markdownv2" => Ok(Some("MarkdownV2".into())),
            "markdown" => Ok(Some("Markdown".into())),
            _ => Err(ApiError::bad_request("unsupported parse_mode")),
        },
    }
}

/// Parses `text` per `parse_mode` (already checked), trims it as Telegram
/// does and checks it against `max`. `what` picks the wording: message texts
/// and captions have different errors.
pub(crate) fn render(
    text: &str,
    parse_mode: Option<&str>,
    max: usize,
    caption: bool,
) -> Result<Rendered, ApiError> {
    let (plain, entities) = match parse_mode {
        Some("HTML") => {
            let parsed = html::parse(text)
                .map_err(|e| ApiError::bad_request(format!("can't parse entities: {e}")))?;
            (parsed.text, parsed.entities)
        }
        // Markdown flavours are passed through unparsed: duban sends HTML.
        _ => (text.to_owned(), Vec::new()),
    };
    let rendered = trim(plain, entities);
    if rendered.text.is_empty() && !caption {
        return Err(ApiError::bad_request("message text is empty"));
    }
    if utf16_len(&rendered.text) > max {
        return Err(ApiError::bad_request(if caption {
            "message caption is too long"
        } else {
            "message is too long"
        }));
    }
    Ok(rendered)
}

/// Telegram strips surrounding white space from texts and captions and
/// moves the entities with it.
fn trim(text: String, entities: Vec<Entity>) -> Rendered {
    let start = text.len() - text.trim_start().len();
    let lead = utf16_len(&text[..start]);
    let trimmed = text.trim().to_owned();
    let total = utf16_len(&trimmed);
    let entities = entities
        .into_iter()
        .filter_map(|mut e| {
            let begin = e.offset.saturating_sub(lead);
            let end = (e.offset + e.length).saturating_sub(lead).min(total);
            (end > begin).then(|| {
                e.offset = begin;
                e.length = end - begin;
                e
            })
        })
        .collect();
    Rendered {
        text: trimmed,
        entities,
    }
}

/// Inline keyboards are what Telegram checks hardest; the reply-keyboard
/// kinds are accepted as given.
pub(crate) fn check_reply_markup(markup: &Value) -> Result<(), ApiError> {
    let Some(rows) = markup.get("inline_keyboard") else {
        return Ok(());
    };
    let Some(rows) = rows.as_array() else {
        return Err(ApiError::bad_request(
            "can't parse inline keyboard JSON object",
        ));
    };
    const ACTIONS: [&str; 10] = [
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    ];
    for row in rows {
        let Some(buttons) = row.as_array() else {
            return Err(ApiError::bad_request(
                "can't parse inline keyboard: inline keyboard row is not an array",
            ));
        };
        for button in buttons {
            if button
                .get("text")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(ApiError::bad_request("BUTTON_TEXT_INVALID"));
            }
            let actions = ACTIONS.iter().filter(|a| button.get(**a).is_some()).count();
            if actions == 0 {
                return Err(ApiError::bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the \
                     inline keyboard",
                ));
            }
            if let Some(data) = button.get("callback_data") {
                let len = data.as_str().map_or(0, str::len);
                if !(1..=64).contains(&len) {
                    return Err(ApiError::bad_request("BUTTON_DATA_INVALID"));
                }
            }
            if let Some(url) = button.get("url")
                && url
                    .as_str()
                    .is_none_or(|u| u.trim().is_empty() || u.contains(char::is_whitespace))
            {
                return Err(ApiError::bad_request("BUTTON_URL_INVALID"));
            }
        }
    }
    Ok(())
}

/// `setMyCommands`' list: 1–32 lower-case letters, digits or underscores,
/// a description of 1–256 characters, at most 100 of them.
pub(crate) fn check_commands(commands: &Value) -> Result<Vec<(String, String)>, ApiError> {
    let Some(list) = commands.as_array() else {
        return Err(ApiError::bad_request("can't parse commands JSON object"));
    };
    if list.len() > 100 {
        return Err(ApiError::bad_request("too many commands specified"));
    }
    list.iter()
        .map(|c| {
            let command = c.get("command").and_then(Value::as_str).unwrap_or("");
            let description = c.get("description").and_then(Value::as_str).unwrap_or("");
            let command_ok = (1..=32).contains(&command.len())
                && command
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !command_ok {
                return Err(ApiError::bad_request("BOT_COMMAND_INVALID"));
            }
            let description = description.trim();
            if !(1..=256).contains(&description.chars().count()) {
                return Err(ApiError::bad_request("command description is empty"));
            }
            Ok((command.to_owned(), description.to_owned()))
        })
        .collect()
}

/// Methods that return a bare `True` and change nothing the simulator
/// models: answering `true` is what Telegram would do and what teloxide
/// expects (`"returns": ["Boolean"]` in the Bot API description). Webhooks,
/// `logOut` and `close` are left out on purpose: pretending to honour them
/// would hide a bot that depends on them.
pub(crate) const TRUE_METHODS: &[&str] = &[
    "setMessageReaction",
    "banChatMember",
    "unbanChatMember",
    "restrictChatMember",
    "promoteChatMember",
    "setChatAdministratorCustomTitle",
    "banChatSenderChat",
    "unbanChatSenderChat",
    "setChatPermissions",
    "approveChatJoinRequest",
    "declineChatJoinRequest",
    "setChatPhoto",
    "deleteChatPhoto",
    "setChatTitle",
    "setChatDescription",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "setChatStickerSet",
    "deleteChatStickerSet",
    "editForumTopic",
    "closeForumTopic",
    "reopenForumTopic",
    "deleteForumTopic",
    "unpinAllForumTopicMessages",
    "editGeneralForumTopic",
    "closeGeneralForumTopic",
    "reopenGeneralForumTopic",
    "hideGeneralForumTopic",
    "unhideGeneralForumTopic",
    "unpinAllGeneralForumTopicMessages",
    "setMyName",
    "setMyDescription",
    "setMyShortDescription",
    "setChatMenuButton",
    "setMyDefaultAdministratorRights",
    "deleteMessages",
];

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn schema_knows_methods_case_insensitively() {
        let s = schema();
        assert!(s.version.starts_with("Bot API"));
        assert_eq!(s.method("SendMessage").unwrap().name, "sendMessage");
        assert_eq!(s.method("getupdates").unwrap().name, "getUpdates");
        assert!(s.method("sendTelepathy").is_none());
        for m in TRUE_METHODS {
            assert!(s.method(m).is_some(), "{m} is not a Bot API method");
        }
    }

    #[test]
    fn required_fields_in_schema_order() {
        let m = schema().method("sendMessage").unwrap();
        let e = normalize(m, &obj(json!({"text": "hi"}))).unwrap_err();
        assert_eq!(e.description, "Bad Request: chat_id is empty");
        let e = normalize(m, &obj(json!({"chat_id": 1}))).unwrap_err();
        assert_eq!(e.description, "Bad Request: message text is empty");
        let e = normalize(m, &obj(json!({"chat_id": 1, "text": ""}))).unwrap_err();
        assert_eq!(e.description, "Bad Request: message text is empty");
        let e = normalize(
            schema().method("getChatMember").unwrap(),
            &obj(json!({"chat_id": 1})),
        )
        .unwrap_err();
        assert_eq!(e.description, "Bad Request: user_id is empty");
    }

    #[test]
    fn form_strings_are_coerced() {
        let m = schema().method("sendDocument").unwrap();
        let p = normalize(
            m,
            &obj(json!({
                "chat_id": "-100", "document": "attach://x", "disable_notification": "true",
                "message_thread_id": "7", "reply_parameters": "{\"message_id\":3}",
            })),
        )
        .unwrap();
        assert_eq!(p["chat_id"], json!(-100));
        assert_eq!(p["disable_notification"], json!(true));
        assert_eq!(p["message_thread_id"], json!(7));
        assert_eq!(p["reply_parameters"], json!({"message_id": 3}));
        let p = normalize(m, &obj(json!({"chat_id": "@channel", "document": "x"}))).unwrap();
        assert_eq!(p["chat_id"], json!("@channel"));
    }

    #[test]
    fn mistyped_fields_are_refused() {
        let m = schema().method("sendMessage").unwrap();
        let e = normalize(
            m,
            &obj(json!({"chat_id": 1, "text": "a", "message_thread_id": "x"})),
        )
        .unwrap_err();
        assert_eq!(
            e.description,
            "Bad Request: invalid message_thread_id specified"
        );
        let e = normalize(
            m,
            &obj(json!({"chat_id": 1, "text": "a", "reply_markup": "{"})),
        )
        .unwrap_err();
        assert_eq!(
            e.description,
            "Bad Request: can't parse reply_markup JSON object"
        );
        let e = normalize(m, &obj(json!({"chat_id": 1.5, "text": "a"}))).unwrap_err();
        assert_eq!(e.description, "Bad Request: chat not found");
    }

    #[test]
    fn lengths_count_utf16_after_parsing() {
        assert_eq!(utf16_len("督办"), 2);
        assert_eq!(utf16_len("😀"), 2);
        let max = "a".repeat(MAX_TEXT);
        assert!(render(&max, None, MAX_TEXT, false).is_ok());
        let over = format!("{max}a");
        let e = render(&over, None, MAX_TEXT, false).unwrap_err();
        assert_eq!(e.description, "Bad Request: message is too long");
        // Tags and entities do not count, only what the reader sees.
        let tagged = format!("<b>{}</b>&amp;", "a".repeat(MAX_TEXT - 1));
        assert_eq!(
            render(&tagged, Some("HTML"), MAX_TEXT, false)
                .unwrap()
                .text
                .len(),
            MAX_TEXT
        );
        let emoji = "😀".repeat(MAX_TEXT / 2 + 1);
        assert!(render(&emoji, None, MAX_TEXT, false).is_err());
        let e = render("  \n ", None, MAX_TEXT, false).unwrap_err();
        assert_eq!(e.description, "Bad Request: message text is empty");
        let e = render("<b></b>", Some("HTML"), MAX_TEXT, false).unwrap_err();
        assert_eq!(e.description, "Bad Request: message text is empty");
    }

    #[test]
    fn trimming_moves_entities() {
        let r = render("  <b>hi</b> ", Some("HTML"), MAX_TEXT, false).unwrap();
        assert_eq!(r.text, "hi");
        assert_eq!((r.entities[0].offset, r.entities[0].length), (0, 2));
    }

    #[test]
    fn parse_modes() {
        assert_eq!(
            check_parse_mode(Some("html")).unwrap().as_deref(),
            Some("HTML")
        );
        assert_eq!(
            check_parse_mode(Some("MarkdownV2")).unwrap().as_deref(),
            Some("MarkdownV2")
        );
        assert_eq!(check_parse_mode(None).unwrap(), None);
        assert_eq!(
            check_parse_mode(Some("BBCode")).unwrap_err().description,
            "Bad Request: unsupported parse_mode"
        );
    }

    #[test]
    fn keyboards() {
        let ok = json!({"inline_keyboard": [[{"text": "a", "callback_data": "x"}]]});
        assert!(check_reply_markup(&ok).is_ok());
        let long = json!({"inline_keyboard": [[{"text": "a", "callback_data": "x".repeat(65)}]]});
        assert_eq!(
            check_reply_markup(&long).unwrap_err().description,
            "Bad Request: BUTTON_DATA_INVALID"
        );
        let bare = json!({"inline_keyboard": [[{"text": "a"}]]});
        assert!(check_reply_markup(&bare).is_err());
        assert!(check_reply_markup(&json!({"force_reply": true})).is_ok());
    }

    #[test]
    fn commands() {
        let ok = json!([{"command": "report", "description": "提交周报"}]);
        assert_eq!(
            check_commands(&ok).unwrap(),
            vec![("report".into(), "提交周报".into())]
        );
        let upper = json!([{"command": "Report", "description": "x"}]);
        assert_eq!(
            check_commands(&upper).unwrap_err().description,
            "Bad Request: BOT_COMMAND_INVALID"
        );
        let slash = json!([{"command": "/report", "description": "x"}]);
        assert!(check_commands(&slash).is_err());
        let empty = json!([{"command": "report", "description": " "}]);
        assert!(check_commands(&empty).is_err());
    }
}
