//! Telegram's `parse_mode=HTML`, following tdlib's `parse_html`: the same
//! tag set, the same leniency (a bare `&` or `>` is text) and the same
//! error texts, byte offsets included.

use serde_json::{Value, json};

/// A formatting entity, offsets in UTF-16 code units.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entity {
    pub kind: &'static str,
    pub offset: usize,
    pub length: usize,
    pub language: Option<String>,
}

impl Entity {
    pub fn to_json(&self) -> Value {
        let mut v = json!({ "type": self.kind, "offset": self.offset, "length": self.length });
        // Only `pre` carries a language in the Bot API; a stray key on
        // another kind is something teloxide need not tolerate.
        if let (Some(lang), "pre") = (&self.language, self.kind) {
            v["language"] = json!(lang);
        }
        v
    }
}

#[derive(Debug, PartialEq)]
pub(crate) struct Parsed {
    pub text: String,
    pub entities: Vec<Entity>,
}

const TAGS: [&str; 17] = [
    "a",
    "b",
    "strong",
    "i",
    "em",
    "s",
    "strike",
    "del",
    "u",
    "ins",
    "tg-spoiler",
    "tg-emoji",
    "tg-time",
    "span",
    "pre",
    "code",
    "blockquote",
];

struct Open {
    tag: String,
    argument: String,
    expandable: bool,
    utf16_start: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// tdlib reads a NUL-terminated buffer: past the end is 0.
fn byte_at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// Parses an HTML-formatted text; the error is what follows
/// "Bad Request: can't parse entities: ".
pub(crate) fn parse(text: &str) -> Result<Parsed, String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut utf16 = 0usize;
    let mut open: Vec<Open> = Vec::new();
    let mut entities = Vec::new();
    let mut i = 0usize;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'&'
            && let Some((ch, next)) = decode_entity(bytes, i)
        {
            out.push(ch);
            utf16 += ch.len_utf16();
            i = next;
            continue;
        }
        if c != b'<' {
            // Copy one whole UTF-8 character.
            let len = utf8_len(c);
            let s = &text[i..i + len];
            out.push_str(s);
            utf16 += utf16_units(s);
            i += len;
            continue;
        }
        if byte_at(bytes, i + 1) != b'/' {
            let (entry, next) = parse_start_tag(text, i, utf16)?;
            open.push(entry);
            i = next;
        } else {
            let (entry, next) = parse_end_tag(text, i, &mut open)?;
            if let Some(e) = entity_for(&entry, utf16, &mut entities) {
                entities.push(e);
            }
            i = next;
        }
    }
    if let Some(entry) = open.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            entry.tag
        ));
    }
    entities.sort_by_key(|e: &Entity| (e.offset, std::cmp::Reverse(e.length)));
    Ok(Parsed {
        text: out,
        entities,
    })
}

/// The start tag whose `<` is at `begin`, opened at UTF-16 offset `utf16`,
/// and the index just past its `>`.
fn parse_start_tag(text: &str, begin: usize, utf16: usize) -> Result<(Open, usize), String> {
    let bytes = text.as_bytes();
    let at = |i: usize| byte_at(bytes, i);
    let mut i = begin + 1;
    while !is_space(at(i)) && at(i) != b'>' && at(i) != 0 {
        i += 1;
    }
    if at(i) == 0 {
        return Err(format!("Unclosed start tag at byte offset {begin}"));
    }
    let tag = text[begin + 1..i].to_ascii_lowercase();
    if !TAGS.contains(&tag.as_str()) {
        return Err(format!(
            "Unsupported start tag \"{tag}\" at byte offset {begin}"
        ));
    }
    let mut argument = String::new();
    let mut expandable = false;
    while at(i) != b'>' {
        while at(i) != 0 && is_space(at(i)) {
            i += 1;
        }
        if at(i) == b'>' {
            break;
        }
        if at(i) == 0 {
            return Err(format!("Unclosed start tag at byte offset {begin}"));
        }
        let (attribute, next) = parse_attribute(text, &tag, begin, i)?;
        i = next;
        let Attribute::Pair(name, value) = attribute else {
            expandable = true;
            continue;
        };
        match (tag.as_str(), name) {
            ("a", "href") => argument = value,
            ("code", "class") if value.starts_with("language-") => {
                argument = value["language-".len()..].to_owned();
            }
            ("span", "class") if value.starts_with("tg-") => {
                argument = value[3..].to_owned();
            }
            ("tg-emoji", "emoji-id") => argument = value,
            ("blockquote", "expandable") => expandable = true,
            _ => {}
        }
    }
    if tag == "span" && argument != "spoiler" {
        return Err(format!(
            "Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"
        ));
    }
    let entry = Open {
        tag,
        argument,
        expandable,
        utf16_start: utf16,
    };
    Ok((entry, i + 1)) // past the '>'
}

/// One attribute of a start tag.
enum Attribute<'t> {
    Pair(&'t str, String),
    /// On a blockquote, the one attribute tdlib takes without a value.
    BareExpandable,
}

/// The attribute of the start tag `tag` (whose `<` is at `begin`, for the
/// errors) that starts at `i`, and the index just past it.
fn parse_attribute<'t>(
    text: &'t str,
    tag: &str,
    begin: usize,
    mut i: usize,
) -> Result<(Attribute<'t>, usize), String> {
    let bytes = text.as_bytes();
    let at = |i: usize| byte_at(bytes, i);
    let name_begin = i;
    while at(i) != 0 && !is_space(at(i)) && at(i) != b'=' && at(i) != b'>' {
        i += 1;
    }
    let name = &text[name_begin..i];
    if name.is_empty() {
        return Err(format!(
            "Empty attribute name in the tag \"{tag}\" at byte offset {begin}"
        ));
    }
    while at(i) != 0 && is_space(at(i)) {
        i += 1;
    }
    if at(i) != b'=' {
        if tag == "blockquote" && name == "expandable" {
            return Ok((Attribute::BareExpandable, i));
        }
        if at(i) == 0 {
            return Err(format!("Unclosed start tag at byte offset {begin}"));
        }
        return Err(format!(
            "Expected equal sign in declaration of an attribute of the tag \"{tag}\" \
             at byte offset {begin}"
        ));
    }
    i += 1;
    while at(i) != 0 && is_space(at(i)) {
        i += 1;
    }
    if at(i) == 0 {
        return Err(format!("Unclosed start tag at byte offset {begin}"));
    }
    let (value, next) = parse_attribute_value(text, i)?;
    i = next;
    if at(i) == 0 {
        return Err(format!("Unclosed start tag at byte offset {begin}"));
    }
    Ok((Attribute::Pair(name, value), i))
}

/// An attribute value starting at `i`, and the index just past it: quoted
/// with `"` or `'` (entities decoded), or unquoted and then limited to
/// letters, digits, `_` and `-`, as in tdlib.
fn parse_attribute_value(text: &str, mut i: usize) -> Result<(String, usize), String> {
    let bytes = text.as_bytes();
    let at = |i: usize| byte_at(bytes, i);
    let mut value = String::new();
    let quote = at(i);
    if quote != b'"' && quote != b'\'' {
        while at(i).is_ascii_alphanumeric() || at(i) == b'_' || at(i) == b'-' {
            value.push(at(i) as char);
            i += 1;
        }
        if value.is_empty() {
            return Err(format!("Expected quote at byte offset {i}"));
        }
    } else {
        i += 1;
        while at(i) != quote && at(i) != 0 {
            if at(i) == b'&'
                && let Some((ch, next)) = decode_entity(bytes, i)
            {
                value.push(ch);
                i = next;
                continue;
            }
            let len = utf8_len(at(i));
            value.push_str(&text[i..i + len]);
            i += len;
        }
        if at(i) == quote {
            i += 1;
        }
    }
    Ok((value, i))
}

/// The end tag whose `</` is at `begin`: pops the innermost open tag, which
/// it must name unless it is the bare `</>`, and returns that tag and the
/// index just past the `>`.
fn parse_end_tag(text: &str, begin: usize, open: &mut Vec<Open>) -> Result<(Open, usize), String> {
    let bytes = text.as_bytes();
    let at = |i: usize| byte_at(bytes, i);
    let Some(entry) = open.pop() else {
        return Err(format!("Unexpected end tag at byte offset {begin}"));
    };
    let mut i = begin + 2;
    while at(i) != 0 && !is_space(at(i)) && at(i) != b'>' {
        i += 1;
    }
    let end_tag = &text[begin + 2..i];
    while at(i) != 0 && is_space(at(i)) {
        i += 1;
    }
    if at(i) != b'>' {
        return Err(format!("Unclosed end tag at byte offset {begin}"));
    }
    if !end_tag.is_empty() && end_tag != entry.tag {
        return Err(format!(
            "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \"</{end_tag}>\"",
            entry.tag
        ));
    }
    Ok((entry, i + 1))
}

/// The entity a closed tag yields. Links, custom emoji and times are not
/// reported back: their payloads need validation teloxide would otherwise
/// trip over (a `text_link` url it cannot parse fails the whole Message).
fn entity_for(open: &Open, end: usize, done: &mut Vec<Entity>) -> Option<Entity> {
    let length = end - open.utf16_start;
    if length == 0 {
        return None;
    }
    let kind = match open.tag.as_str() {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "tg-spoiler" | "span" => "spoiler",
        "code" => "code",
        "pre" => "pre",
        "blockquote" if open.expandable => "expandable_blockquote",
        "blockquote" => "blockquote",
        _ => return None,
    };
    let language = match kind {
        "code" => (!open.argument.is_empty()).then(|| open.argument.clone()),
        // `<pre><code class="language-x">…</code></pre>` is one pre entity
        // with a language, not two entities.
        "pre" => done
            .iter()
            .rposition(|e| e.kind == "code" && e.offset == open.utf16_start && e.length == length)
            .and_then(|at| done.remove(at).language),
        _ => None,
    };
    Some(Entity {
        kind,
        offset: open.utf16_start,
        length,
        language,
    })
}

/// `&lt;` `&gt;` `&amp;` `&quot;` and numeric references; anything else is
/// not an entity and the `&` stays as text, as in tdlib.
fn decode_entity(bytes: &[u8], start: usize) -> Option<(char, usize)> {
    let mut i = start + 1;
    let code = if bytes.get(i) == Some(&b'#') {
        i += 1;
        let hex = matches!(bytes.get(i), Some(b'x' | b'X'));
        if hex {
            i += 1;
        }
        let digits_begin = i;
        let mut value: u32 = 0;
        while let Some(&b) = bytes.get(i) {
            let digit = if hex {
                (b as char).to_digit(16)
            } else {
                (b as char).to_digit(10)
            };
            let Some(d) = digit else { break };
            value = value
                .checked_mul(if hex { 16 } else { 10 })?
                .checked_add(d)?;
            if value >= 0x11_0000 {
                return None;
            }
            i += 1;
        }
        if i == digits_begin {
            return None;
        }
        value
    } else {
        let name_begin = i;
        while bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
        }
        match &bytes[name_begin..i] {
            b"lt" => u32::from('<'),
            b"gt" => u32::from('>'),
            b"amp" => u32::from('&'),
            b"quot" => u32::from('"'),
            _ => return None,
        }
    };
    if bytes.get(i) != Some(&b';') || code == 0 {
        return None;
    }
    char::from_u32(code).map(|c| (c, i + 1))
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

fn utf16_units(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        parse(s).unwrap_err()
    }

    #[test]
    fn plain_and_escapes() {
        let p = parse("a &lt;b&gt; &amp; &quot;c&quot; &#36;&#x4e2d; & x > y").unwrap();
        assert_eq!(p.text, "a <b> & \"c\" $中 & x > y");
        assert!(p.entities.is_empty());
        assert_eq!(parse("&amp").unwrap().text, "&amp");
        assert_eq!(parse("&nbsp;").unwrap().text, "&nbsp;");
    }

    #[test]
    fn allowed_tags_make_entities() {
        let p = parse(
            "<b>督办</b> <i>i</i><u>u</u><s>s</s><tg-spoiler>x</tg-spoiler>\
             <span class=\"tg-spoiler\">y</span><a href=\"https://t.me\">l</a>\
             <code>c</code><pre><code class=\"language-rust\">fn</code></pre>\
             <blockquote expandable>q</blockquote><strong>B</strong><em>E</em>",
        )
        .unwrap();
        assert_eq!(p.text, "督办 iusxylcfnqBE");
        let kinds: Vec<_> = p
            .entities
            .iter()
            .map(|e| (e.kind, e.offset, e.length))
            .collect();
        assert!(kinds.contains(&("bold", 0, 2)));
        assert!(kinds.contains(&("italic", 3, 1)));
        assert!(kinds.contains(&("spoiler", 6, 1)));
        assert!(kinds.contains(&("spoiler", 7, 1)));
        assert!(kinds.contains(&("code", 9, 1)));
        assert!(kinds.contains(&("pre", 10, 2)));
        assert!(!kinds.contains(&("code", 10, 2)));
        assert!(kinds.contains(&("expandable_blockquote", 12, 1)));
        let pre = p.entities.iter().find(|e| e.kind == "pre").unwrap();
        assert_eq!(pre.language.as_deref(), Some("rust"));
        assert!(!p.entities.iter().any(|e| e.kind == "text_link"));
    }

    #[test]
    fn offsets_count_utf16() {
        let p = parse("😀<b>x</b>").unwrap();
        assert_eq!((p.entities[0].offset, p.entities[0].length), (2, 1));
    }

    #[test]
    fn refusals_match_telegram() {
        assert_eq!(
            err("hi <x>y</x>"),
            "Unsupported start tag \"x\" at byte offset 3"
        );
        assert_eq!(err("a < b"), "Unsupported start tag \"\" at byte offset 2");
        assert_eq!(
            err("<br/>"),
            "Unsupported start tag \"br/\" at byte offset 0"
        );
        assert_eq!(
            err("<b>x"),
            "Can't find end tag corresponding to start tag \"b\""
        );
        assert_eq!(err("x</b>"), "Unexpected end tag at byte offset 1");
        assert_eq!(
            err("<b>x</i>"),
            "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\""
        );
        assert_eq!(err("<b"), "Unclosed start tag at byte offset 0");
        assert_eq!(err("<b>x</b"), "Unclosed end tag at byte offset 4");
        assert_eq!(
            err("<span>x</span>"),
            "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"
        );
        assert_eq!(
            err("<a href>x</a>"),
            "Expected equal sign in declaration of an attribute of the tag \"a\" at byte offset 0"
        );
        assert_eq!(err("<a href=>x</a>"), "Expected quote at byte offset 8");
        assert!(err("中<x>").ends_with("byte offset 3"));
    }

    #[test]
    fn attributes() {
        assert_eq!(parse("<a href=abc>x</a>").unwrap().text, "x");
        assert_eq!(parse("<a href='a&amp;b' >x</a >").unwrap().text, "x");
        assert_eq!(parse("<B>x</b>").unwrap().text, "x");
    }
}
