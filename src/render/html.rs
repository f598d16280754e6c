//! Telegram-safe HTML: escaping values, mentions that notify, and the plain
//! text a reader sees, for the command line that prints what the bot posts.

use crate::domain::ids::Platform;
use crate::domain::outgoing::Mention;

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

// An inherent impl outside the type's module keeps `mention.html()` working
// for every caller while the markup itself stays out of the domain.
impl Mention {
    /// `@username` where there is one (it notifies and reads well), else a
    /// link to the user's id, which notifies them too: `tg://user?id=` on
    /// Telegram, whose clients read it so; `PLATFORM://user?id=` on the
    /// others, whose adapter turns it into the platform's own mention
    /// (Feishu's `<at user_id="…">`).
    pub fn html(&self) -> String {
        let scheme = match self.account.platform {
            Platform::Telegram => "tg",
            other => other.code(),
        };
        match &self.username {
            Some(u) if !u.is_empty() => format!("@{}", escape_html(u)),
            _ => format!(
                "<a href=\"{scheme}://user?id={}\">{}</a>",
                escape_html(&self.account.id),
                escape_html(&self.name)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::PersonRef;

    #[test]
    fn escapes_and_mentions() {
        assert_eq!(escape_html("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
        let m = Mention {
            account: PersonRef::new(Platform::Telegram, "42"),
            name: "王<总>".into(),
            username: None,
        };
        assert_eq!(m.html(), "<a href=\"tg://user?id=42\">王&lt;总&gt;</a>");
        let m = Mention {
            username: Some("wang".into()),
            ..m
        };
        assert_eq!(m.html(), "@wang");
        let feishu = Mention {
            account: PersonRef::new(Platform::Feishu, "ou_7"),
            name: "李".into(),
            username: None,
        };
        assert_eq!(feishu.html(), "<a href=\"feishu://user?id=ou_7\">李</a>");
    }

    #[test]
    fn plain_text_of_html() {
        let html = format!(
            "<b>{}</b> {}",
            escape_html("a<b>&c"),
            Mention {
                account: PersonRef::new(Platform::Telegram, "1"),
                name: "N".into(),
                username: None
            }
            .html()
        );
        assert_eq!(html_to_plain(&html), "a<b>&c N");
        assert_eq!(html_to_plain(&escape_html("&amp;lt;")), "&amp;lt;");
    }
}
