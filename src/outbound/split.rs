//! The cut of a text longer than a platform takes into parts below its
//! limit. The limit is the platform's, so the adapter cuts (ARCHITECTURE.md
//! rule 6) and the platform-free messages never know it.

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
    fn splits_at_line_boundaries() {
        let text = format!(
            "{}\n{}\n{}",
            "a".repeat(3000),
            "b".repeat(1000),
            "c".repeat(3000)
        );
        let parts = split_message(&text, 4096);
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
