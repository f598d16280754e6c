//! What the demo shows: each chat's conversation as a reader would follow
//! it, and the last bulletin in full.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Utc, Weekday};
use chrono_tz::Tz;

use duban::domain::ids::Platform;
use duban::domain::lang::Lang;
use duban::render::text::t;

/// Bot messages longer than this are shortened in the chat logs (the
/// weekly prompt repeats its template every week); the last bulletin is
/// printed whole at the end.
const SHOWN_LINES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRole {
    ProjectGroup,
    /// A person's private chat with the bot.
    Private,
    Leadership,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub at: DateTime<Utc>,
    /// The person's name, or the bot's.
    pub who: String,
    pub from_bot: bool,
    /// What a reader sees (for the bot: markup removed).
    pub text: String,
    /// Order within the chat: the bot's sends by the platform's sequence,
    /// a person's message just after the send before it.
    pub order: u64,
}

#[derive(Debug, Clone)]
pub struct ChatLog {
    pub title: String,
    pub role: ChatRole,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone)]
pub struct Transcript {
    pub lang: Lang,
    /// The simulated platform it was played on.
    pub platform: Platform,
    pub tz: Tz,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub weeks: u32,
    /// Portfolio size, for the heading.
    pub projects: usize,
    pub groups: usize,
    /// Messages the bot sent in all chats, shown or not.
    pub bot_messages: usize,
    pub people_messages: usize,
    /// Replies that did not come within the wait (0 when all is well).
    pub missed_replies: usize,
    pub chats: Vec<ChatLog>,
    pub last_bulletin: Option<String>,
    /// Wall-clock seconds the run took.
    pub elapsed_secs: f64,
}

impl Transcript {
    #[cfg(test)]
    pub fn chat(&self, role: ChatRole) -> impl Iterator<Item = &ChatLog> {
        self.chats.iter().filter(move |c| c.role == role)
    }

    /// Every bot message in chats of `role`.
    #[cfg(test)]
    pub fn bot_texts(&self, role: ChatRole) -> impl Iterator<Item = &str> {
        self.chat(role)
            .flat_map(|c| c.lines.iter())
            .filter(|l| l.from_bot)
            .map(|l| l.text.as_str())
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let rule = "═".repeat(64);
        let _ = writeln!(out, "{rule}");
        self.render_heading(&mut out);
        let _ = writeln!(out, "{rule}");
        for chat in &self.chats {
            out.push('\n');
            self.render_chat(&mut out, chat);
        }
        self.render_last_bulletin(&mut out, &rule);
        let _ = writeln!(
            out,
            "\n{}",
            if self.lang == Lang::ZhCn {
                format!("（演示用时 {:.1} 秒）", self.elapsed_secs)
            } else {
                format!("(the demo took {:.1} s)", self.elapsed_secs)
            }
        );
        out
    }

    /// What was played, how much the bot and people said, what follows;
    /// and a warning when the bot left messages unanswered.
    fn render_heading(&self, out: &mut String) {
        let zh = self.lang == Lang::ZhCn;
        if zh {
            let _ = writeln!(
                out,
                "督办 duban 演示：真实的机器人与定时任务，本地模拟的{}，模拟时钟",
                match self.platform {
                    Platform::Telegram => " Telegram",
                    Platform::Feishu => "飞书",
                }
            );
            let _ = writeln!(
                out,
                "模拟时间 {} 至 {}（{}，{} 周），{} 个项目、{} 个项目群；机器人共发送 {} 条消息，参与者 {} 条。",
                full_stamp(self.from, self.tz, self.lang),
                full_stamp(self.until, self.tz, self.lang),
                self.tz,
                self.weeks,
                self.projects,
                self.groups,
                self.bot_messages,
                self.people_messages
            );
            let _ = writeln!(
                out,
                "下面是其中两个项目群、一位联络员与机器人的私聊、领导群的记录；最后是最近一期周动态全文。"
            );
        } else {
            let _ = writeln!(
                out,
                "duban demo: the real bot and scheduler, a simulated {} on 127.0.0.1, a simulated clock",
                match self.platform {
                    Platform::Telegram => "Telegram",
                    Platform::Feishu => "Feishu (飞书)",
                }
            );
            let _ = writeln!(
                out,
                "Simulated time {} to {} ({}, {} weeks); {} projects, {} project groups; the bot sent {} messages, people {}.",
                full_stamp(self.from, self.tz, self.lang),
                full_stamp(self.until, self.tz, self.lang),
                self.tz,
                self.weeks,
                self.projects,
                self.groups,
                self.bot_messages,
                self.people_messages
            );
            let _ = writeln!(
                out,
                "Below: two project groups, a liaison's private chat with the bot and the leadership chat; then the last weekly bulletin in full."
            );
        }
        if self.missed_replies > 0 {
            let _ = writeln!(
                out,
                "{}",
                if zh {
                    format!(
                        "注意：有 {} 条消息没有等到机器人的回复。",
                        self.missed_replies
                    )
                } else {
                    format!(
                        "Note: {} messages got no answer from the bot in time.",
                        self.missed_replies
                    )
                }
            );
        }
    }

    fn render_last_bulletin(&self, out: &mut String, rule: &str) {
        let zh = self.lang == Lang::ZhCn;
        if let Some(b) = &self.last_bulletin {
            out.push('\n');
            let _ = writeln!(out, "{rule}");
            let _ = writeln!(
                out,
                "{}",
                if zh {
                    "最近一期周动态（全文）"
                } else {
                    "The last weekly bulletin, in full"
                }
            );
            let _ = writeln!(out, "{rule}");
            let _ = writeln!(out, "{b}");
        }
    }

    fn render_chat(&self, out: &mut String, chat: &ChatLog) {
        let zh = self.lang == Lang::ZhCn;
        let _ = writeln!(out, "┌─ {}", chat.title);
        let mut week = None;
        for line in &chat.lines {
            let local = line.at.with_timezone(&self.tz);
            let iso = local.iso_week();
            if week != Some(iso) {
                week = Some(iso);
                let _ = writeln!(
                    out,
                    "│\n│ ── {} ──",
                    if zh {
                        format!("{}年第{}周", iso.year(), iso.week())
                    } else {
                        format!("week {} of {}", iso.week(), iso.year())
                    }
                );
            }
            let is_last_bulletin = line.from_bot
                && self
                    .last_bulletin
                    .as_deref()
                    .is_some_and(|b| b.starts_with(line.text.as_str()));
            let text = if line.from_bot {
                shorten(&self.fold_template(&line.text), is_last_bulletin, self.lang)
            } else {
                line.text.clone()
            };
            let mut lines = text.lines();
            let first = lines.next().unwrap_or_default();
            let _ = writeln!(
                out,
                "│ {}  {}: {first}",
                stamp(line.at, self.tz, self.lang),
                line.who
            );
            for more in lines {
                let _ = writeln!(out, "│       {more}");
            }
        }
        let _ = writeln!(out, "└─");
    }
}

impl Transcript {
    /// The report template the bot repeats in every prompt and refusal,
    /// as one line: the reader has seen it, the owners' replies show it.
    fn fold_template(&self, text: &str) -> String {
        let template = t(self.lang, "report.template", &[]);
        let lines = template.lines().count();
        let note = match self.lang {
            Lang::ZhCn => format!("〔周报模板，{lines} 行，略〕"),
            Lang::En => format!("[the {lines}-line report template]"),
        };
        text.replace(&template, &note)
    }
}

impl std::fmt::Display for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

fn shorten(text: &str, printed_below: bool, lang: Lang) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= SHOWN_LINES {
        return text.to_string();
    }
    let keep = if printed_below { 3 } else { SHOWN_LINES - 2 };
    let left = lines.len() - keep;
    let note = match (lang, printed_below) {
        (Lang::ZhCn, true) => format!("…（另 {left} 行，全文见文末）"),
        (Lang::ZhCn, false) => format!("…（另 {left} 行）"),
        (Lang::En, true) => format!("… ({left} more lines, in full at the end)"),
        (Lang::En, false) => format!("… ({left} more lines)"),
    };
    let mut out = lines[..keep].join("\n");
    out.push('\n');
    out.push_str(&note);
    out
}

/// With the year, for the heading.
fn full_stamp(at: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let local = at.with_timezone(&tz);
    match lang {
        Lang::ZhCn => format!(
            "{} {} {}",
            local.format("%Y-%m-%d"),
            zh_weekday(local.weekday()),
            local.format("%H:%M")
        ),
        Lang::En => local.format("%a %d %b %Y %H:%M").to_string(),
    }
}

/// `11-23 周一 09:00` or `Mon 23 Nov 09:00`, in the configured zone.
pub fn stamp(at: DateTime<Utc>, tz: Tz, lang: Lang) -> String {
    let local = at.with_timezone(&tz);
    match lang {
        Lang::ZhCn => format!(
            "{} {} {}",
            local.format("%m-%d"),
            zh_weekday(local.weekday()),
            local.format("%H:%M")
        ),
        Lang::En => local.format("%a %d %b %H:%M").to_string(),
    }
}

fn zh_weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stamps_read_as_local_time() {
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        assert_eq!(stamp(t, tz, Lang::ZhCn), "11-23 周一 09:00");
        assert_eq!(stamp(t, tz, Lang::En), "Mon 23 Nov 09:00");
    }

    #[test]
    fn long_messages_are_shortened_with_a_count() {
        let text: Vec<String> = (1..=20).map(|i| format!("line {i}")).collect();
        let short = shorten(&text.join("\n"), false, Lang::En);
        assert_eq!(short.lines().count(), SHOWN_LINES - 1);
        assert!(short.ends_with("… (10 more lines)"), "{short}");
    }
}
