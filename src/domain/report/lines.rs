//! One line of a report as a liaison reads it: list numbers and titles set
//! aside, the key found whatever separates it from its value, and several
//! fields on one line told apart when each part starts with a key.

use super::Field;
use super::keys::{KeyMatch, field_named, keys_at};
use super::values::{list_prefix_len, starts_as_figure};

/// What one line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRead<'a> {
    /// Blank, or only a title (`【周报】`).
    Nothing,
    /// No field: kept as free text. `listed` when it began with a list
    /// marker, so it may continue the list of the field above.
    Free { listed: bool, body: &'a str },
    /// One field or more, each with its value as written.
    Fields(Vec<(Field, &'a str)>),
}

pub fn read_line(line: &str) -> LineRead<'_> {
    let line = line.trim();
    if line.is_empty() {
        return LineRead::Nothing;
    }
    let (body, listed) = without_markers(line);
    let body = match title(body) {
        Title::Key(field, value) => return LineRead::Fields(vec![(field, value)]),
        Title::Only => return LineRead::Nothing,
        Title::Before(rest) => without_markers(rest).0,
        Title::None => body,
    };
    if let Some(fields) = several_fields(body) {
        return LineRead::Fields(fields);
    }
    match field_at(body) {
        Some(field) => LineRead::Fields(vec![field]),
        None => LineRead::Free { listed, body },
    }
}

/// The line without its list markers (`2.`, `一、`, `•`, `> 1)` …), and
/// whether it had any.
fn without_markers(mut text: &str) -> (&str, bool) {
    let mut listed = false;
    while let Some(n) = list_prefix_len(text) {
        text = text[n..].trim_start();
        listed = true;
    }
    (text, listed)
}

enum Title<'a> {
    /// `【存在问题】…`: a key in title brackets, and its value.
    Key(Field, &'a str),
    /// `【周报】` and nothing else.
    Only,
    /// `【周报】进度：40%`: the rest after the title.
    Before(&'a str),
    None,
}

fn title(text: &str) -> Title<'_> {
    let Some(inner_and_rest) = text.strip_prefix('【') else {
        return Title::None;
    };
    let Some((inner, rest)) = inner_and_rest.split_once('】') else {
        return Title::None;
    };
    let rest = rest.trim();
    if let Some(field) = field_named(inner) {
        return Title::Key(field, rest.trim_start_matches(is_separator).trim());
    }
    if rest.is_empty() {
        Title::Only
    } else {
        Title::Before(rest)
    }
}

/// Punctuation that separates a key from its value.
fn is_separator(c: char) -> bool {
    matches!(c, ':' | '：' | '=' | '＝' | '-' | '—' | '－')
}

/// The field a text starts with, and its value, when the key is followed
/// by a separator; by a space after a Chinese key; or by nothing where the
/// key is specific enough or the value is a figure for a figure's field.
fn field_at(text: &str) -> Option<(Field, &str)> {
    keys_at(text).into_iter().find_map(|k| value_after(text, k))
}

fn value_after(text: &str, k: KeyMatch) -> Option<(Field, &str)> {
    let rest = &text[k.len..];
    let spaced = rest.trim_start();
    if let Some(c) = spaced.chars().next()
        && is_separator(c)
    {
        return Some((k.field, spaced[c.len_utf8()..].trim()));
    }
    // `为`/`是` read as "is" after a key, but `问题是否…` is a sentence: only
    // where the key is specific or a figure follows.
    let worded = spaced
        .strip_prefix('为')
        .or_else(|| spaced.strip_prefix('是'))
        .map(str::trim_start);
    let figure = |v: &str| k.field.is_figure() && starts_as_figure(v);
    if let Some(v) = worded
        && (k.specific || figure(v))
    {
        return Some((k.field, v.trim()));
    }
    if spaced.is_empty() {
        return k.specific.then_some((k.field, ""));
    }
    // A space separates a Chinese key (`进度 45%`); after an English word it
    // may be a sentence (`Done with the piling`), unless a figure follows.
    let spaced_key = rest.len() != spaced.len() && !k.english;
    (k.specific || spaced_key || figure(spaced)).then_some((k.field, spaced.trim()))
}

/// Several fields on one line, separated by `，` `,` `；` `;` `。`, when every
/// part starts with a key.
fn several_fields(text: &str) -> Option<Vec<(Field, &str)>> {
    let parts = parts(text);
    if parts.len() < 2 {
        return None;
    }
    parts.into_iter().map(field_at).collect()
}

/// The parts of a line between field separators; a comma between digits
/// (`1,200万`) separates thousands, not fields.
fn parts(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        let thousands = matches!(c, ',' | '，')
            && prev.is_some_and(|p| p.is_ascii_digit())
            && next.is_some_and(|n| n.is_ascii_digit());
        if matches!(c, '，' | ',' | '；' | ';' | '。') && !thousands {
            out.push(text[start..i].trim());
            start = i + c.len_utf8();
        }
        prev = Some(c);
    }
    out.push(text[start..].trim());
    out.retain(|p| !p.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<(Field, &str)> {
        match read_line(line) {
            LineRead::Fields(f) => f,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn keys_take_any_separator_and_list_markers_are_set_aside() {
        assert_eq!(fields("进度：30%"), vec![(Field::Progress, "30%")]);
        assert_eq!(fields("2. 进度：30%"), vec![(Field::Progress, "30%")]);
        assert_eq!(fields("进度 45%"), vec![(Field::Progress, "45%")]);
        assert_eq!(fields("进度为45%"), vec![(Field::Progress, "45%")]);
        assert_eq!(fields("形象进度=45%"), vec![(Field::Progress, "45%")]);
        assert_eq!(
            fields("(3) 存在问题 — 用电未通"),
            vec![(Field::Problems, "用电未通")]
        );
        assert_eq!(
            fields("Total invested: 35,000,000"),
            vec![(Field::InvestedTotal, "35,000,000")]
        );
    }

    #[test]
    fn a_line_of_several_fields_is_split_only_when_each_part_has_a_key() {
        assert_eq!(
            fields(
                "进度：完成基础施工40%，本周投资300万元，下周计划钢结构吊装，问题：施工用水未通"
            ),
            vec![
                (Field::Progress, "完成基础施工40%"),
                (Field::InvestedWeek, "300万元"),
                (Field::NextWeek, "钢结构吊装"),
                (Field::Problems, "施工用水未通"),
            ]
        );
        assert_eq!(
            fields("本周完成：桩基完成，承台开始施工"),
            vec![(Field::ThisWeek, "桩基完成，承台开始施工")]
        );
        assert_eq!(
            fields("本周投资：1,200万，累计投资：3.2亿"),
            vec![
                (Field::InvestedWeek, "1,200万"),
                (Field::InvestedTotal, "3.2亿")
            ]
        );
    }

    #[test]
    fn sentences_that_begin_like_a_key_stay_free_text() {
        for line in [
            "问题已解决",
            "进度正常",
            "本周天气晴",
            "下周一开会",
            "进度款已支付",
        ] {
            assert!(matches!(read_line(line), LineRead::Free { .. }), "{line}");
        }
    }

    #[test]
    fn titles_are_ignored_or_name_the_key() {
        assert_eq!(read_line("【周报】"), LineRead::Nothing);
        assert_eq!(fields("【周报】进度：40%"), vec![(Field::Progress, "40%")]);
        assert_eq!(
            fields("【存在问题】用电未通"),
            vec![(Field::Problems, "用电未通")]
        );
    }
}
