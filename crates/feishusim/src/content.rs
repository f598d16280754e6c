//! Message content, both ways (../shared/feishu-wire-format.md §4.1, §5).
//!
//! What the bot sends is checked as the send API checks it: `content` is a
//! JSON string that must parse for its `msg_type`; a post needs a locale
//! wrapper and known node tags, and the custom-bot `{"post":…}` wrapper is
//! refused with 230001. It is then rendered as a reader sees it (`<at>`
//! turned into "@Name", balanced style tags dropped) for the tests'
//! assertions, and as Feishu echoes it (`@_user_N` placeholders).
//!
//! What people type is split into text and "@Name" mentions, which events
//! carry as placeholders plus a `mentions` list.

use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// The style tags text messages may carry; nestable, and when they do not
/// match the text goes out raw.
const STYLES: [&str; 4] = ["b", "i", "u", "s"];

/// Post node tags and the string fields each needs.
const POST_TAGS: [(&str, &[&str]); 9] = [
    ("text", &["text"]),
    ("a", &["text", "href"]),
    ("at", &["user_id"]),
    ("img", &["image_key"]),
    ("media", &["file_key"]),
    ("emotion", &["emoji_type"]),
    ("hr", &[]),
    ("code_block", &["text"]),
    ("md", &["text"]),
];

/// A mention in a sent message: its placeholder key, the id as the bot
/// gave it, and the name shown.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mention {
    pub key: String,
    pub id: String,
    pub name: String,
}

/// A sent message's content, understood.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rendered {
    /// What a reader sees (see `Sent::plain`).
    pub plain: String,
    /// The content as the answer's `body.content` echoes it.
    pub echoed: Value,
    pub mentions: Vec<Mention>,
    /// Image and file keys the content refers to.
    pub images: Vec<String>,
    pub files: Vec<String>,
}

/// Looks up the name of an id (open id, "all") when an `<at>` has none.
pub(crate) type NameOf<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Checks `content` for `msg_type` and renders it.
pub(crate) fn render(msg_type: &str, content: &str, name_of: NameOf) -> Result<Rendered, ApiError> {
    let parsed: Value = serde_json::from_str(content)
        .map_err(|_| ApiError::param(&format!("invalid {msg_type} content: not JSON")))?;
    match msg_type {
        "text" => {
            let text = parsed
                .get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::param("invalid text content"))?;
            let mut next = 0;
            let (plain, echoed, mentions) = render_text(text, name_of, &mut next);
            Ok(Rendered {
                plain,
                echoed: json!({ "text": echoed }),
                mentions,
                images: Vec::new(),
                files: Vec::new(),
            })
        }
        "post" => render_post(&parsed, name_of),
        "image" | "file" => {
            let field = if msg_type == "image" {
                "image_key"
            } else {
                "file_key"
            };
            let key = parsed
                .get(field)
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::param(&format!("invalid {field}")))?;
            let (images, files) = if msg_type == "image" {
                (vec![key.to_owned()], Vec::new())
            } else {
                (Vec::new(), vec![key.to_owned()])
            };
            Ok(Rendered {
                plain: key.to_owned(),
                echoed: parsed.clone(),
                mentions: Vec::new(),
                images,
                files,
            })
        }
        _ => Err(ApiError::param("invalid msg_type")),
    }
}

/// What text is made of, for rendering.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    At { id: String, name: String },
    Style { tag: &'static str, open: bool },
}

/// Renders text with `<at>` and style tags: (plain, echoed with
/// placeholders, mentions). `next` numbers placeholders across a post.
fn render_text(text: &str, name_of: NameOf, next: &mut usize) -> (String, String, Vec<Mention>) {
    let pieces = pieces(text);
    let styled = balanced(&pieces);
    let (mut plain, mut echoed, mut mentions) = (String::new(), String::new(), Vec::new());
    for piece in pieces {
        match piece {
            Piece::Text(t) => {
                plain.push_str(&t);
                echoed.push_str(&t);
            }
            Piece::At { id, name } => {
                let name = Some(name)
                    .filter(|n| !n.is_empty())
                    .or_else(|| name_of(&id))
                    .unwrap_or_else(|| id.clone());
                let key = placeholder(&id, next);
                plain.push('@');
                plain.push_str(&name);
                echoed.push_str(&key);
                mentions.push(Mention { key, id, name });
            }
            Piece::Style { tag, open } if !styled => {
                let raw = format!("<{}{tag}>", if open { "" } else { "/" });
                plain.push_str(&raw);
                echoed.push_str(&raw);
            }
            Piece::Style { .. } => {}
        }
    }
    (plain, echoed, mentions)
}

/// `@_user_1`, `@_user_2`, … in order; `@_all` for everyone.
fn placeholder(id: &str, next: &mut usize) -> String {
    if id == "all" {
        return "@_all".to_owned();
    }
    *next += 1;
    format!("@_user_{next}")
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('<') {
        buf.push_str(&rest[..i]);
        let tail = &rest[i..];
        match tag_at(tail) {
            Some((piece, len)) => {
                if !buf.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut buf)));
                }
                out.push(piece);
                rest = &tail[len..];
            }
            None => {
                buf.push('<');
                rest = &tail[1..];
            }
        }
    }
    buf.push_str(rest);
    if !buf.is_empty() {
        out.push(Piece::Text(buf));
    }
    out
}

/// The tag at the start of `s`, if it is one, and its length.
fn tag_at(s: &str) -> Option<(Piece, usize)> {
    for tag in STYLES {
        if s.strip_prefix('<')
            .and_then(|r| r.strip_prefix(tag))
            .and_then(|r| r.strip_prefix('>'))
            .is_some()
        {
            return Some((Piece::Style { tag, open: true }, tag.len() + 2));
        }
        if s.strip_prefix("</")
            .and_then(|r| r.strip_prefix(tag))
            .and_then(|r| r.strip_prefix('>'))
            .is_some()
        {
            return Some((Piece::Style { tag, open: false }, tag.len() + 3));
        }
    }
    let after = s.strip_prefix("<at")?;
    if !after.starts_with(char::is_whitespace) {
        return None;
    }
    let close = after.find('>')?;
    let attrs = &after[..close];
    if attrs.contains('<') {
        return None;
    }
    let id = attr(attrs, "user_id").or_else(|| attr(attrs, "id"))?;
    let inner = &after[close + 1..];
    let end = inner.find("</at>")?;
    let name = &inner[..end];
    if name.contains('<') {
        return None;
    }
    let len = 3 + close + 1 + end + "</at>".len();
    Some((
        Piece::At {
            id,
            name: name.to_owned(),
        },
        len,
    ))
}

/// `key=value` in a tag's attributes, quoted or not.
fn attr(attrs: &str, key: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = attrs[from..].find(key) {
        let at = from + i;
        let boundary = attrs[..at].ends_with(char::is_whitespace);
        let after = &attrs[at + key.len()..];
        if boundary && let Some(v) = after.strip_prefix('=') {
            let value = match v.chars().next() {
                Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
                _ => v.split(char::is_whitespace).next().unwrap_or(""),
            };
            return Some(value.to_owned());
        }
        from = at + key.len();
    }
    None
}

/// Whether the style tags nest properly.
fn balanced(pieces: &[Piece]) -> bool {
    let mut stack = Vec::new();
    for p in pieces {
        if let Piece::Style { tag, open } = p {
            if *open {
                stack.push(*tag);
            } else if stack.pop() != Some(*tag) {
                return false;
            }
        }
    }
    stack.is_empty()
}

fn invalid_post() -> ApiError {
    ApiError::param("invalid post content")
}

/// A locale key: `zh_cn`, `en_us`, `ja_jp`, …
fn is_locale(key: &str) -> bool {
    let b = key.as_bytes();
    b.len() == 5
        && b[2] == b'_'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_lowercase())
}

/// `{"zh_cn":{"title"?,"content":[[node…]…]}, …}`; the first of zh_cn,
/// en_us or any other locale is rendered.
fn render_post(parsed: &Value, name_of: NameOf) -> Result<Rendered, ApiError> {
    let locales = parsed.as_object().ok_or_else(invalid_post)?;
    if locales.is_empty() || locales.contains_key("post") {
        return Err(invalid_post());
    }
    for (key, body) in locales {
        if !is_locale(key) || !valid_locale_body(body) {
            return Err(invalid_post());
        }
    }
    let chosen = locales
        .get("zh_cn")
        .or_else(|| locales.get("en_us"))
        .or_else(|| locales.values().next())
        .and_then(Value::as_object)
        .ok_or_else(invalid_post)?;
    Ok(render_locale(chosen, name_of))
}

fn valid_locale_body(body: &Value) -> bool {
    let Some(body) = body.as_object() else {
        return false;
    };
    let title_ok = body.get("title").is_none_or(Value::is_string);
    let paragraphs = body.get("content").and_then(Value::as_array);
    title_ok
        && paragraphs.is_some_and(|ps| {
            ps.iter().all(|p| {
                p.as_array()
                    .is_some_and(|nodes| nodes.iter().all(valid_node))
            })
        })
}

fn valid_node(node: &Value) -> bool {
    let Some(tag) = node.get("tag").and_then(Value::as_str) else {
        return false;
    };
    POST_TAGS.iter().any(|(known, fields)| {
        *known == tag
            && fields
                .iter()
                .all(|f| node.get(*f).is_some_and(Value::is_string))
    })
}

fn render_locale(body: &Map<String, Value>, name_of: NameOf) -> Rendered {
    let mut rendered = Rendered {
        plain: String::new(),
        echoed: Value::Object(body.clone()),
        mentions: Vec::new(),
        images: Vec::new(),
        files: Vec::new(),
    };
    let mut lines = Vec::new();
    if let Some(title) = body.get("title").and_then(Value::as_str)
        && !title.is_empty()
    {
        lines.push(title.to_owned());
    }
    let mut next = 0;
    let paragraphs = body.get("content").and_then(Value::as_array);
    for paragraph in paragraphs.into_iter().flatten() {
        let mut line = String::new();
        for node in paragraph.as_array().into_iter().flatten() {
            line.push_str(&render_node(node, name_of, &mut next, &mut rendered));
        }
        lines.push(line);
    }
    rendered.plain = lines.join("\n");
    rendered
}

/// One node's text for `plain`, its mentions and keys noted in `into`.
/// Images, media, emotions and rules show nothing.
fn render_node(node: &Value, name_of: NameOf, next: &mut usize, into: &mut Rendered) -> String {
    let field = |k: &str| node.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    match node.get("tag").and_then(Value::as_str).unwrap_or("") {
        "text" | "a" | "code_block" => field("text"),
        "md" => {
            let (plain, _, mentions) = render_text(&field("text"), name_of, next);
            into.mentions.extend(mentions);
            plain
        }
        "at" => {
            let id = field("user_id");
            let name = Some(field("user_name"))
                .filter(|n| !n.is_empty())
                .or_else(|| name_of(&id))
                .unwrap_or_else(|| id.clone());
            let key = placeholder(&id, next);
            into.mentions.push(Mention {
                key,
                id,
                name: name.clone(),
            });
            format!("@{name}")
        }
        "img" => {
            into.images.push(field("image_key"));
            String::new()
        }
        "media" => {
            into.files.push(field("file_key"));
            if let Some(image) = node.get("image_key").and_then(Value::as_str) {
                into.images.push(image.to_owned());
            }
            String::new()
        }
        _ => String::new(),
    }
}

/// A piece of what a person typed.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Said {
    Text(String),
    Mention { open_id: String, name: String },
}

/// Splits typed text at every "@Name" for a name in `names` (name, open
/// id), longest names first as `World::mentionable` orders them.
pub(crate) fn split_said(text: &str, names: &[(String, String)]) -> Vec<Said> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('@') {
        buf.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match names
            .iter()
            .find(|(name, _)| after.starts_with(name.as_str()))
        {
            Some((name, open_id)) => {
                if !buf.is_empty() {
                    out.push(Said::Text(std::mem::take(&mut buf)));
                }
                out.push(Said::Mention {
                    open_id: open_id.clone(),
                    name: name.clone(),
                });
                rest = &after[name.len()..];
            }
            None => {
                buf.push('@');
                rest = after;
            }
        }
    }
    buf.push_str(rest);
    if !buf.is_empty() {
        out.push(Said::Text(buf));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(id: &str) -> Option<String> {
        (id == "ou_tom").then(|| "Tom".to_owned())
    }

    #[test]
    fn an_at_becomes_at_name_with_the_worlds_name_when_empty() {
        let r = render(
            "text",
            r#"{"text":"<at user_id=\"ou_tom\"></at> hi <at user_id=\"ou_x\">X</at>"}"#,
            &names,
        )
        .unwrap();
        assert_eq!(r.plain, "@Tom hi @X");
        assert_eq!(r.echoed, json!({"text": "@_user_1 hi @_user_2"}));
        let ids: Vec<_> = r.mentions.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["ou_tom", "ou_x"]);
    }

    #[test]
    fn balanced_styles_are_dropped_and_unbalanced_ones_go_out_raw() {
        let r = render(
            "text",
            r#"{"text":"<b>进度</b> <i><u>65%</u></i>"}"#,
            &names,
        )
        .unwrap();
        assert_eq!(r.plain, "进度 65%");
        let r = render("text", r#"{"text":"<b>进度<i></b></i>"}"#, &names).unwrap();
        assert_eq!(r.plain, "<b>进度<i></b></i>");
        let r = render("text", r#"{"text":"a < b <at>x</at>"}"#, &names).unwrap();
        assert_eq!(r.plain, "a < b <at>x</at>");
    }

    #[test]
    fn a_post_renders_title_and_paragraphs_and_refuses_the_webhook_wrapper() {
        let post = json!({"zh_cn": {"title": "周报", "content": [
            [{"tag": "text", "text": "请 "}, {"tag": "at", "user_id": "ou_tom"}],
            [{"tag": "a", "text": "看板", "href": "https://x"}, {"tag": "md", "text": "**ok** <at user_id=\"ou_tom\"></at>"}],
        ]}});
        let r = render("post", &post.to_string(), &names).unwrap();
        assert_eq!(r.plain, "周报\n请 @Tom\n看板**ok** @Tom");
        assert_eq!(r.mentions.len(), 2);
        let wrapped = json!({"post": post});
        let e = render("post", &wrapped.to_string(), &names).unwrap_err();
        assert_eq!(e.code, 230001);
        assert!(e.msg.contains("ext=invalid post content"), "{}", e.msg);
        let bad_tag = json!({"en_us": {"content": [[{"tag": "bold", "text": "x"}]]}});
        assert!(render("post", &bad_tag.to_string(), &names).is_err());
        assert!(render("post", "{}", &names).is_err());
    }

    #[test]
    fn typed_mentions_split_longest_name_first() {
        let names = vec![
            ("张三丰".to_owned(), "ou_b".to_owned()),
            ("张三".to_owned(), "ou_a".to_owned()),
        ];
        let said = split_said("@张三丰 和 @张三 好, a@b", &names);
        assert_eq!(
            said,
            vec![
                Said::Mention {
                    open_id: "ou_b".into(),
                    name: "张三丰".into()
                },
                Said::Text(" 和 ".into()),
                Said::Mention {
                    open_id: "ou_a".into(),
                    name: "张三".into()
                },
                Said::Text(" 好, a@b".into()),
            ]
        );
    }
}
