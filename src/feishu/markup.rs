//! Text between the conversation and Feishu (../shared/feishu-wire-format.md,
//! sections 4.1 and 5): the chat HTML the core writes (`render::html`)
//! becomes a rich post, whose text nodes show what they hold verbatim,
//! with bold kept, links as links and mentions as `at` nodes; and a
//! received text or post becomes the plain text the conversation reads,
//! the bot's own mention taken out and other people's written `@Name`.

use serde_json::{Value, json};

/// A mention the core wrote for a Feishu account (`render::html`).
const MENTION_HREF: &str = "feishu://user?id=";

/// One paragraph of a post: its nodes.
pub type Paragraph = Vec<Value>;

/// The chat HTML's lines as a post's paragraphs.
pub fn paragraphs(html: &str) -> Vec<Paragraph> {
    html.split('\n').map(paragraph).collect()
}

/// A post's `content` for these paragraphs (one locale: Feishu shows it to
/// every reader whatever their language).
pub fn post(paragraphs: &[Paragraph]) -> String {
    json!({"zh_cn": {"title": "", "content": paragraphs}}).to_string()
}

/// A text message's `content`.
pub fn text(plain: &str) -> String {
    json!({ "text": plain }).to_string()
}

/// Inline state while a line is read: bold on, and the link being read.
#[derive(Default)]
struct Inline {
    bold: bool,
    link: Option<String>,
    buf: String,
}

fn paragraph(line: &str) -> Paragraph {
    let mut nodes = Vec::new();
    let mut st = Inline::default();
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        st.buf.push_str(&unescape(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            st.buf.push_str(&unescape(&rest[open..]));
            rest = "";
            break;
        };
        tag(&rest[open + 1..open + close], &mut st, &mut nodes);
        rest = &rest[open + close + 1..];
    }
    st.buf.push_str(&unescape(rest));
    flush(&mut st, &mut nodes);
    nodes
}

/// Acts on one tag's inside (`b`, `/b`, `a href="…"`, `/a`); others
/// (`pre`, `code`, `i`) leave their text plain.
fn tag(inside: &str, st: &mut Inline, nodes: &mut Vec<Value>) {
    let name = inside.split_whitespace().next().unwrap_or("");
    match name {
        "b" | "strong" | "/b" | "/strong" => {
            flush(st, nodes);
            st.bold = !name.starts_with('/');
        }
        "a" => {
            flush(st, nodes);
            st.link = Some(href(inside));
        }
        "/a" => {
            let text = std::mem::take(&mut st.buf);
            match st.link.take() {
                Some(h) if h.starts_with(MENTION_HREF) => {
                    nodes.push(json!({"tag": "at", "user_id": &h[MENTION_HREF.len()..]}));
                }
                Some(h) => nodes.push(json!({"tag": "a", "href": h, "text": text})),
                None => st.buf = text,
            }
        }
        _ => {}
    }
}

fn flush(st: &mut Inline, nodes: &mut Vec<Value>) {
    if st.buf.is_empty() || st.link.is_some() {
        return;
    }
    let text = std::mem::take(&mut st.buf);
    nodes.push(if st.bold {
        json!({"tag": "text", "text": text, "style": ["bold"]})
    } else {
        json!({"tag": "text", "text": text})
    });
}

fn href(inside: &str) -> String {
    inside
        .split_once("href=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(h, _)| unescape(h))
        .unwrap_or_default()
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// A mention in a received message: its placeholder (`@_user_1`), the
/// person's open_id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mentioned {
    pub key: String,
    pub open_id: String,
    pub name: String,
}

/// A received message's text as people read it: placeholders turned into
/// `@Name`, the bot's own mention removed (so `@督办 /report …` reads as
/// `/report …`).
pub fn received_text(content: &Value, kind: &str, mentions: &[Mentioned], bot: &str) -> String {
    let raw = match kind {
        "text" => content["text"].as_str().unwrap_or("").to_string(),
        "post" => post_text(content, mentions),
        _ => String::new(),
    };
    resolve(&raw, mentions, bot)
}

/// A received post's title and paragraphs as lines; a post may come with
/// or without a locale around it.
fn post_text(content: &Value, mentions: &[Mentioned]) -> String {
    let body = if content.get("content").is_some() {
        content
    } else {
        content
            .as_object()
            .and_then(|o| o.values().find(|v| v.get("content").is_some()))
            .unwrap_or(content)
    };
    let mut lines = Vec::new();
    if let Some(title) = body["title"].as_str().filter(|t| !t.is_empty()) {
        lines.push(title.to_string());
    }
    for para in body["content"].as_array().into_iter().flatten() {
        let mut line = String::new();
        for node in para.as_array().into_iter().flatten() {
            match node["tag"].as_str() {
                Some("text" | "a" | "md") => line.push_str(node["text"].as_str().unwrap_or("")),
                Some("at") => {
                    let id = node["user_id"].as_str().unwrap_or("");
                    // Either the placeholder or the open_id itself.
                    let key = mentions
                        .iter()
                        .find(|m| m.key == id || m.open_id == id)
                        .map_or(id, |m| m.key.as_str());
                    line.push_str(key);
                }
                _ => {}
            }
        }
        lines.push(line);
    }
    lines.join("\n")
}

fn resolve(raw: &str, mentions: &[Mentioned], bot: &str) -> String {
    let mut text = raw.to_string();
    // Longest keys first: `@_user_10` before `@_user_1`.
    let mut sorted: Vec<&Mentioned> = mentions.iter().collect();
    sorted.sort_by_key(|m| std::cmp::Reverse(m.key.len()));
    for m in sorted {
        if m.open_id == bot {
            text = text.replace(&format!("{} ", m.key), "").replace(&m.key, "");
        } else {
            text = text.replace(&m.key, &format!("@{}", m.name));
        }
    }
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_html_becomes_post_nodes_with_bold_links_and_mentions() {
        let html = "<b>周动态</b> &lt;1&gt;\n<a href=\"feishu://user?id=ou_7\">王</a> 请填报 \
                    <a href=\"https://x.example/late\">清单</a>";
        let p = paragraphs(html);
        assert_eq!(
            p[0],
            vec![
                json!({"tag": "text", "text": "周动态", "style": ["bold"]}),
                json!({"tag": "text", "text": " <1>"}),
            ]
        );
        assert_eq!(
            p[1],
            vec![
                json!({"tag": "at", "user_id": "ou_7"}),
                json!({"tag": "text", "text": " 请填报 "}),
                json!({"tag": "a", "href": "https://x.example/late", "text": "清单"}),
            ]
        );
        let content: Value = serde_json::from_str(&post(&p)).unwrap();
        assert!(content.get("post").is_none());
        assert_eq!(content["zh_cn"]["content"][1][0]["user_id"], "ou_7");
    }

    #[test]
    fn a_received_text_loses_the_bots_mention_and_names_the_others() {
        let mentions = vec![
            Mentioned {
                key: "@_user_1".into(),
                open_id: "ou_bot".into(),
                name: "督办".into(),
            },
            Mentioned {
                key: "@_user_2".into(),
                open_id: "ou_li".into(),
                name: "李四".into(),
            },
        ];
        let content = json!({"text": "@_user_1 /problem 等 @_user_2 签字"});
        assert_eq!(
            received_text(&content, "text", &mentions, "ou_bot"),
            "/problem 等 @李四 签字"
        );
        let post = json!({"title": "", "content": [[{"tag": "at", "user_id": "@_user_1"},
            {"tag": "text", "text": " 进度: 50%"}], [{"tag": "text", "text": "本周: 浇筑"}]]});
        assert_eq!(
            received_text(&post, "post", &mentions, "ou_bot"),
            "进度: 50%\n本周: 浇筑"
        );
        let wrapped = json!({"zh_cn": post});
        assert_eq!(
            received_text(&wrapped, "post", &mentions, "ou_bot"),
            "进度: 50%\n本周: 浇筑"
        );
    }
}
