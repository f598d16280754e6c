//! The report's keys as offices write them, in both languages: one table,
//! and the matching of a key at the start of a line.

use super::Field;

/// Every key a field is known by. Chinese keys match exactly; English ones
/// without regard to case, spaces, hyphens or underscores (`Invested week`,
/// `invested_week`). Where one key begins another (`本周完成` and
/// `本周完成投资`), the longer is tried first.
const SYNONYMS: &[(Field, &str)] = &[
    (Field::Progress, "进度"),
    (Field::Progress, "工程进度"),
    (Field::Progress, "形象进度"),
    (Field::Progress, "总体进度"),
    (Field::Progress, "完成进度"),
    (Field::Progress, "progress"),
    (Field::InvestedWeek, "本周投资"),
    (Field::InvestedWeek, "本周完成投资"),
    (Field::InvestedWeek, "本周投资额"),
    (Field::InvestedWeek, "本周完成投资额"),
    (Field::InvestedWeek, "invested this week"),
    (Field::InvestedWeek, "invested week"),
    (Field::InvestedWeek, "investment week"),
    (Field::InvestedWeek, "investment this week"),
    (Field::InvestedTotal, "累计投资"),
    (Field::InvestedTotal, "累计完成投资"),
    (Field::InvestedTotal, "累计投资额"),
    (Field::InvestedTotal, "累计完成投资额"),
    (Field::InvestedTotal, "已完成投资"),
    (Field::InvestedTotal, "invested in total"),
    (Field::InvestedTotal, "total invested"),
    (Field::InvestedTotal, "invested total"),
    (Field::InvestedTotal, "investment total"),
    (Field::InvestedTotal, "total investment"),
    (Field::Done, "完成节点"),
    (Field::Done, "done"),
    (Field::Done, "milestone done"),
    (Field::Done, "milestones done"),
    (Field::Done, "completed"),
    (Field::ThisWeek, "本周完成"),
    (Field::ThisWeek, "本周工作"),
    (Field::ThisWeek, "本周进展"),
    (Field::ThisWeek, "本周"),
    (Field::ThisWeek, "this week"),
    (Field::NextWeek, "下周计划"),
    (Field::NextWeek, "下步计划"),
    (Field::NextWeek, "下周工作"),
    (Field::NextWeek, "下周"),
    (Field::NextWeek, "next week"),
    (Field::Problems, "问题"),
    (Field::Problems, "存在问题"),
    (Field::Problems, "困难问题"),
    (Field::Problems, "问题及建议"),
    (Field::Problems, "需协调事项"),
    (Field::Problems, "需协调解决的问题"),
    (Field::Problems, "problems"),
    (Field::Problems, "problem"),
    (Field::Problems, "issues"),
    (Field::Problems, "blockers"),
];

/// A key found at the start of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyMatch {
    pub field: Field,
    /// Bytes of the text the key takes.
    pub len: usize,
    /// A key of four Chinese characters or more (`下周计划`), or of several
    /// English words (`next week`): specific enough to be a key with no
    /// separator after it. Short ones (`进度`, `问题`, `done`) begin
    /// ordinary sentences too.
    pub specific: bool,
    pub english: bool,
}

/// Every key the text starts with, longest first.
pub fn keys_at(text: &str) -> Vec<KeyMatch> {
    let mut found: Vec<KeyMatch> = SYNONYMS
        .iter()
        .filter_map(|(field, key)| {
            let len = match_key(text, key)?;
            let specific = if key.is_ascii() {
                key.contains(' ')
            } else {
                key.chars().count() >= 4
            };
            Some(KeyMatch {
                field: *field,
                len,
                specific,
                english: key.is_ascii(),
            })
        })
        .collect();
    found.sort_by_key(|k| std::cmp::Reverse(k.len));
    found
}

/// The field a whole text names, as a key alone (`问题`, `invested_week`).
pub fn field_named(text: &str) -> Option<Field> {
    let text = text.trim();
    keys_at(text)
        .into_iter()
        .find(|k| k.len == text.len())
        .map(|k| k.field)
}

/// Bytes of `text` that `key` takes at its start, if it does.
fn match_key(text: &str, key: &str) -> Option<usize> {
    if !key.is_ascii() {
        return text.starts_with(key).then_some(key.len());
    }
    // Every line is tried against every key: no allocation per try.
    let mut wanted = key.bytes().filter(|b| *b != b' ').peekable();
    let mut started = false;
    for (i, c) in text.char_indices() {
        let Some(&w) = wanted.peek() else {
            // A whole word: `progressive` is not `progress`.
            return (!c.is_ascii_alphanumeric()).then_some(i);
        };
        if started && matches!(c, ' ' | '_' | '-') {
            continue;
        }
        if !c.eq_ignore_ascii_case(&char::from(w)) {
            return None;
        }
        wanted.next();
        started = true;
    }
    wanted.peek().is_none().then_some(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_key_comes_first() {
        let keys = keys_at("本周完成投资额：300万");
        assert_eq!(keys[0].field, Field::InvestedWeek);
        assert_eq!(keys[0].len, "本周完成投资额".len());
        assert!(keys.iter().any(|k| k.field == Field::ThisWeek));
    }

    #[test]
    fn english_keys_ignore_case_spaces_and_underscores_but_not_word_ends() {
        assert_eq!(field_named("Invested_Week"), Some(Field::InvestedWeek));
        assert_eq!(field_named("total invested"), Some(Field::InvestedTotal));
        assert_eq!(field_named("TOTAL-INVESTED"), Some(Field::InvestedTotal));
        assert!(keys_at("progressive work").is_empty());
        assert_eq!(keys_at("Progress: 40%")[0].len, "Progress".len());
    }

    #[test]
    fn short_chinese_keys_are_not_specific() {
        assert!(!keys_at("问题已解决")[0].specific);
        assert!(keys_at("下周计划钢结构吊装")[0].specific);
    }
}
