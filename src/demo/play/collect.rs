//! Turning what the simulated platform carried into the [`Transcript`]:
//! the shown chats with people's and the bot's messages interleaved, and
//! the last bulletin whole.

use chrono::{DateTime, Utc};

use duban::domain::lang::Lang;
use duban::render::text::t;

use super::{Demo, Said, lock};
use crate::demo::script;
use crate::demo::stage::BotMsg;
use crate::demo::{ChatLog, ChatRole, Line, Transcript};

impl Demo {
    pub fn transcript(&self, from: DateTime<Utc>, until: DateTime<Utc>, weeks: u32) -> Transcript {
        let lang = self.lang;
        let sent: Vec<BotMsg> = self.stage.sent().into_iter().filter(|s| s.shown).collect();
        let said = lock(&self.said);
        let moments = lock(&self.moments);
        let chats: Vec<ChatLog> = shown_chats(lang)
            .into_iter()
            .map(|(chat_id, title, role)| ChatLog {
                title,
                role,
                lines: lines_of(lang, chat_id, &said, &sent, &moments, from),
            })
            .collect();
        let last_bulletin = last_bulletin(lang, &chats);
        Transcript {
            lang,
            platform: self.stage.platform(),
            tz: self.tz,
            from,
            until,
            weeks,
            projects: script::PROJECTS.len(),
            groups: script::PROJECTS.len(),
            bot_messages: sent.len(),
            people_messages: said.len(),
            missed_replies: *lock(&self.missed),
            chats,
            last_bulletin,
            elapsed_secs: 0.0,
        }
    }
}

/// People's and the bot's messages in `chat_id`, in the order the chat
/// shows them: a person's message after the bot's sends up to the one
/// before it was said, and before the later ones.
fn lines_of(
    lang: Lang,
    chat_id: i64,
    said: &[Said],
    sent: &[BotMsg],
    moments: &[(u64, DateTime<Utc>)],
    from: DateTime<Utc>,
) -> Vec<Line> {
    let bot_name = bot_name(lang);
    let mut lines: Vec<Line> = said
        .iter()
        .filter(|s| s.chat == chat_id)
        .map(|s| Line {
            at: s.at,
            who: s.who.clone(),
            from_bot: false,
            text: s.text.clone(),
            order: 2 * s.after + 1,
        })
        .chain(sent.iter().filter(|s| s.chat == chat_id).map(|s| Line {
            at: sent_at(moments, s.seq).unwrap_or(from),
            who: bot_name.to_string(),
            from_bot: true,
            text: s.plain.clone(),
            order: 2 * s.seq,
        }))
        .collect();
    // Stable: people's messages between the same two sends keep the order
    // they were said in.
    lines.sort_by_key(|l| l.order);
    lines
}

/// When the bot sent its `seq`-th message: at the moment being played
/// then, the last one that began before it.
fn sent_at(moments: &[(u64, DateTime<Utc>)], seq: u64) -> Option<DateTime<Utc>> {
    moments
        .iter()
        .take_while(|(mark, _)| *mark < seq)
        .last()
        .map(|(_, at)| *at)
}

fn bot_name(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => "督办 bot",
        Lang::En => "duban bot",
    }
}

/// The chats the transcript shows, in order, with their headings.
fn shown_chats(lang: Lang) -> Vec<(i64, String, ChatRole)> {
    let bot_name = bot_name(lang);
    script::SHOWN_GROUPS
        .iter()
        .map(|code| {
            let p = script::project(code);
            (
                p.chat,
                match lang {
                    Lang::ZhCn => format!("{}（{}）", p.group_title.0, p.code),
                    Lang::En => format!("{} ({})", p.group_title.1, p.code),
                },
                ChatRole::ProjectGroup,
            )
        })
        .chain([
            (
                script::SHOWN_LIAISON.id,
                match lang {
                    Lang::ZhCn => format!(
                        "{}（联络员）与 {bot_name} 的私聊",
                        script::SHOWN_LIAISON.name.0
                    ),
                    Lang::En => format!(
                        "{}'s (liaison) private chat with {bot_name}",
                        script::SHOWN_LIAISON.name.1
                    ),
                },
                ChatRole::Private,
            ),
            (
                script::LEADERSHIP_CHAT,
                script::LEADERSHIP_TITLE.get(lang).to_string(),
                ChatRole::Leadership,
            ),
        ])
        .collect()
}

/// The latest bulletin in the leadership chat, all its parts joined.
fn last_bulletin(lang: Lang, chats: &[ChatLog]) -> Option<String> {
    let title = t(lang, "bulletin.title", &[("week", String::new())]);
    let title = title.trim_end_matches([' ', '·']).to_string();
    chats
        .iter()
        .find(|c| c.role == ChatRole::Leadership)
        .and_then(|c| {
            let lines = &c.lines;
            let first = lines
                .iter()
                .rposition(|l| l.from_bot && l.text.lines().take(2).any(|x| x.contains(&title)))?;
            // A long bulletin comes in parts, one after the other.
            let parts: Vec<&str> = lines[first..]
                .iter()
                .take_while(|l| l.from_bot && l.at == lines[first].at)
                .map(|l| l.text.as_str())
                .collect();
            Some(parts.join("\n"))
        })
}
