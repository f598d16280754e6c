//! Messages to send, free of any chat platform: the bot's handlers and jobs
//! produce them, one adapter per platform delivers them.

use serde::{Deserialize, Serialize};

/// Telegram's limit per message; texts are split below it.
pub const MAX_MESSAGE_CHARS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The chat's external id on its platform.
    pub chat: String,
    pub text: String,
    /// Message to reply to, when answering one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    /// Forum topic to post in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    /// Ask the client to open a reply to this message (guided dialogues).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_reply: bool,
    /// The text is Telegram HTML (mentions); every value in it is escaped.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub html: bool,
    /// What to say instead if the chat cannot be written to (a person who
    /// never opened a private chat with the bot): mentions in project groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fallback: Vec<Outgoing>,
}

impl Outgoing {
    pub fn to(chat: impl Into<String>, text: impl Into<String>) -> Self {
        Outgoing {
            chat: chat.into(),
            text: text.into(),
            reply_to: None,
            thread: None,
            force_reply: false,
            html: false,
            fallback: Vec::new(),
        }
    }
}

/// What became of an outgoing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Sent; the platform's ids of its parts.
    Sent(Vec<i64>),
    /// The target could not be written to; the fallback was sent instead.
    Redirected(Vec<i64>),
    /// Nothing could be sent; why (never containing a secret).
    Failed(String),
}

/// Escapes text for Telegram's HTML parse mode.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The text of an HTML message as a reader sees it: tags dropped, the
/// entities [`escape_html`] writes turned back.
pub fn html_to_plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Someone to mention so that they are notified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub external_id: String,
    pub name: String,
    pub username: Option<String>,
}

impl Mention {
    /// `@username` where there is one (it notifies and reads well), else a
    /// link to the user's id, which notifies them too.
    pub fn html(&self) -> String {
        match &self.username {
            Some(u) if !u.is_empty() => format!("@{}", escape_html(u)),
            _ => format!(
                "<a href=\"tg://user?id={}\">{}</a>",
                escape_html(&self.external_id),
                escape_html(&self.name)
            ),
        }
    }
}

/// Splits `text` into parts of at most `limit` characters (UTF-16 units, as
/// Telegram counts), cutting at line boundaries; a single longer line is cut
/// where it must be.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    let units = |s: &str| s.encode_utf16().count();
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in text.split('\n') {
        let extra = usize::from(!current.is_empty());
        if !current.is_empty() && units(&current) + extra + units(line) > limit {
            parts.push(std::mem::take(&mut current));
        }
        if units(line) > limit {
            let mut chunk = String::new();
            for c in line.chars() {
                if units(&chunk) + c.len_utf16() > limit {
                    parts.push(std::mem::take(&mut chunk));
                }
                chunk.push(c);
            }
            current = chunk;
            continue;
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
    }
    if !current.trim().is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_and_mentions() {
        assert_eq!(escape_html("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
        let m = Mention {
            external_id: "42".into(),
            name: "王<总>".into(),
            username: None,
        };
        assert_eq!(m.html(), "<a href=\"tg://user?id=42\">王&lt;总&gt;</a>");
        let m = Mention {
            username: Some("wang".into()),
            ..m
        };
        assert_eq!(m.html(), "@wang");
    }

    #[test]
    fn plain_text_of_html() {
        let html = format!(
            "<b>{}</b> {}",
            escape_html("a<b>&c"),
            Mention {
                external_id: "1".into(),
                name: "N".into(),
                username: None
            }
            .html()
        );
        assert_eq!(html_to_plain(&html), "a<b>&c N");
        assert_eq!(html_to_plain(&escape_html("&amp;lt;")), "&amp;lt;");
    }

    #[test]
    fn splits_at_line_boundaries() {
        let text = format!(
            "{}\n{}\n{}",
            "a".repeat(3000),
            "b".repeat(1000),
            "c".repeat(3000)
        );
        let parts = split_message(&text, MAX_MESSAGE_CHARS);
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            format!("{}\n{}", "a".repeat(3000), "b".repeat(1000))
        );
        assert_eq!(parts[1], "c".repeat(3000));
        assert_eq!(split_message("short", 4096), vec!["short"]);
    }

    proptest! {
        #[test]
        fn parts_fit_and_keep_every_character(
            lines in proptest::collection::vec("[a-z中文]{0,60}", 0..80),
            limit in 20usize..200,
        ) {
            let text = lines.join("\n");
            let parts = split_message(&text, limit);
            for p in &parts {
                prop_assert!(p.encode_utf16().count() <= limit);
            }
            let joined: String = parts.concat();
            let strip = |s: &str| s.chars().filter(|c| *c != '\n').collect::<String>();
            prop_assert_eq!(strip(&joined), strip(&text));
        }
    }
}
