//! Reading one field's value as a person would: the number they meant, with
//! notes in brackets and "about" set aside, and the items of a list.

use super::super::lang::fold_width;
use super::super::money::{MoneyError, parse_money};

/// Why a progress value cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressError {
    /// No whole percentage from 0 to 100 in it.
    Unreadable,
    /// Two different percentages: which one is meant is a guess.
    Several,
}

/// The value without notes in brackets: `40%（上周35%）` is `40%`.
pub fn without_notes(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Words for "about" around a figure, which change nothing in what is
/// recorded (`约50%`, `300万元左右`, `approximately 40%`).
fn without_about(value: &str) -> &str {
    let mut v = value.trim();
    for prefix in [
        "大约",
        "约为",
        "约",
        "approximately",
        "approx.",
        "about",
        "~",
        "≈",
    ] {
        if let Some(rest) = v.strip_prefix(prefix) {
            v = rest.trim_start();
            break;
        }
        if prefix.is_ascii()
            && v.len() >= prefix.len()
            && v.is_char_boundary(prefix.len())
            && v[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            v = v[prefix.len()..].trim_start();
            break;
        }
    }
    v.strip_suffix("左右").map_or(v, str::trim_end)
}

/// Whether a value begins as a figure does (a digit, or "about" and one).
pub fn starts_as_figure(value: &str) -> bool {
    let v = fold_width(without_about(value));
    v.trim_start().starts_with(|c: char| c.is_ascii_digit())
}

/// Progress in whole percent: a bare number (`65`, `65%`), or the one
/// percentage written among words (`桩基完成，整体约50%`).
pub fn progress(value: &str) -> Result<u8, ProgressError> {
    let folded = fold_width(&without_notes(value));
    let bare = without_about(&folded);
    let number = bare.trim_end_matches('%').trim();
    if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
        return whole_percent(number).ok_or(ProgressError::Unreadable);
    }
    let mut found: Vec<&str> = percentages(&folded);
    found.dedup();
    match found.as_slice() {
        [one] => whole_percent(one).ok_or(ProgressError::Unreadable),
        [] => Err(ProgressError::Unreadable),
        _ => Err(ProgressError::Several),
    }
}

fn whole_percent(digits: &str) -> Option<u8> {
    if digits.len() > 3 {
        return None;
    }
    digits.parse::<u8>().ok().filter(|p| *p <= 100)
}

/// The numbers written with a `%` after them, in order; one with a decimal
/// point is taken whole (`45.5%`), so it is not read as `5%`.
fn percentages(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_ascii_digit() || c == '.', start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, Some(s)) => {
                if c == '%' {
                    out.push(&text[s..i]);
                }
                start = None;
            }
            (false, None) => {}
        }
    }
    out
}

/// An amount of money; notes in brackets and "about" do not count
/// (`2亿元（占总投资20%）` is 2亿).
pub fn money(value: &str) -> Result<i64, MoneyError> {
    let plain = without_notes(value);
    parse_money(without_about(&plain))
}

/// The items of a list value: separated by `;`/`；`, or numbered inside the
/// value (`1、用电未通 2、许可证延迟`, `①…②…`).
pub fn items(value: &str) -> Vec<&str> {
    value
        .split([';', '；'])
        .flat_map(split_numbered)
        .map(|s| strip_list_prefix(s).trim())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Splits before each list number that starts an item: at the start of the
/// text, or after a space or punctuation.
fn split_numbered(text: &str) -> Vec<&str> {
    let mut cuts = vec![0];
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let at_item_start = prev.is_none_or(|p| p.is_whitespace() || is_soft_stop(p));
        // Only numbers start an item inside a value; a dash there is text.
        let numbered = c.is_ascii_digit() || is_chinese_numeral(c) || matches!(c, '(' | '（');
        let numbered_item = at_item_start && numbered && list_prefix_len(&text[i..]).is_some();
        if i > 0 && (numbered_item || is_circled(c)) {
            cuts.push(i);
        }
        prev = Some(c);
    }
    cuts.push(text.len());
    cuts.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

fn is_soft_stop(c: char) -> bool {
    matches!(c, ',' | '，' | '。' | '、')
}

fn is_circled(c: char) -> bool {
    ('\u{2460}'..='\u{2473}').contains(&c)
}

/// The text after one list marker (`1.`, `1、`, `(1)`, `①`, `一、`, `-`,
/// `•`, `*`, `>`), or the text itself.
pub fn strip_list_prefix(text: &str) -> &str {
    match list_prefix_len(text) {
        Some(n) => text[n..].trim_start(),
        None => text,
    }
}

/// Bytes a list marker takes at the start of `text`.
pub fn list_prefix_len(text: &str) -> Option<usize> {
    let mut chars = text.char_indices().peekable();
    let (_, first) = *chars.peek()?;
    if is_circled(first) {
        return Some(first.len_utf8());
    }
    if matches!(first, '-' | '•' | '*' | '>' | '·' | '●' | '▪') {
        // `-100万` is a negative figure, not a list item.
        let rest = &text[first.len_utf8()..];
        return (!rest.starts_with(|c: char| c.is_ascii_digit())).then_some(first.len_utf8());
    }
    if matches!(first, '(' | '（') {
        let inner: String = text[first.len_utf8()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || is_chinese_numeral(*c))
            .collect();
        let after = first.len_utf8() + inner.len();
        let close = text[after..].chars().next()?;
        return (!inner.is_empty() && matches!(close, ')' | '）'))
            .then(|| after + close.len_utf8());
    }
    let numeral: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || is_chinese_numeral(*c))
        .collect();
    if numeral.is_empty() || numeral.chars().count() > 3 {
        return None;
    }
    let after = numeral.len();
    let mark = text[after..].chars().next()?;
    let chinese = numeral.chars().all(is_chinese_numeral);
    let follows = text[after + mark.len_utf8()..].chars().next();
    // `1.5亿` is a figure and `1、2号楼` two buildings, not list items.
    let before_digit = follows.is_some_and(|c| c.is_ascii_digit());
    let ok = match mark {
        '、' => !before_digit,
        '.' | '．' | ')' | '）' => !chinese && !before_digit,
        _ => false,
    };
    ok.then(|| after + mark.len_utf8())
}

fn is_chinese_numeral(c: char) -> bool {
    matches!(
        c,
        '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_takes_the_figure_a_person_would() {
        assert_eq!(progress("65"), Ok(65));
        assert_eq!(progress("65%"), Ok(65));
        assert_eq!(progress("大约60％"), Ok(60));
        assert_eq!(progress("40%（上周35%）"), Ok(40));
        assert_eq!(progress("桩基完成，整体约50%"), Ok(50));
        assert_eq!(progress("完成基础施工40%"), Ok(40));
        assert_eq!(progress("40%，较上周提高40%"), Ok(40));
    }

    #[test]
    fn progress_never_guesses() {
        assert_eq!(progress("六成左右"), Err(ProgressError::Unreadable));
        assert_eq!(progress("165%"), Err(ProgressError::Unreadable));
        assert_eq!(progress("45.5%"), Err(ProgressError::Unreadable));
        assert_eq!(progress("主体40%，装修10%"), Err(ProgressError::Several));
    }

    #[test]
    fn money_sets_notes_and_about_aside() {
        assert_eq!(money("2亿元（占总投资20%）"), Ok(200_000_000));
        assert_eq!(money("约300万"), Ok(3_000_000));
        assert_eq!(money("300万元左右"), Ok(3_000_000));
        assert_eq!(money("35,000,000"), Ok(35_000_000));
        assert_eq!(money("-100万"), Err(MoneyError::Negative));
    }

    #[test]
    fn list_items_split_at_numbers_and_semicolons() {
        assert_eq!(
            items("用电未通; 许可证延迟"),
            vec!["用电未通", "许可证延迟"]
        );
        assert_eq!(
            items("1、用电未通 2、许可证延迟"),
            vec!["用电未通", "许可证延迟"]
        );
        assert_eq!(
            items("①用电未通②许可证延迟"),
            vec!["用电未通", "许可证延迟"]
        );
        assert_eq!(
            items("(1)用电未通；(2)许可证延迟"),
            vec!["用电未通", "许可证延迟"]
        );
        assert_eq!(items("3号楼封顶延迟"), vec!["3号楼封顶延迟"]);
        assert_eq!(items("资金缺口2.5亿"), vec!["资金缺口2.5亿"]);
        assert_eq!(items("1、2号楼进度滞后"), vec!["1、2号楼进度滞后"]);
    }

    #[test]
    fn list_markers_are_told_from_figures() {
        assert_eq!(strip_list_prefix("2. 进度：30%"), "进度：30%");
        assert_eq!(strip_list_prefix("一、进度"), "进度");
        assert_eq!(strip_list_prefix("(3) 问题"), "问题");
        assert_eq!(strip_list_prefix("• 问题"), "问题");
        assert_eq!(strip_list_prefix("1.5亿"), "1.5亿");
        assert_eq!(strip_list_prefix("-100万"), "-100万");
        assert_eq!(strip_list_prefix("2026-11-18"), "2026-11-18");
    }
}
