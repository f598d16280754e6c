//! The player: moves the clock from one moment to the next, lets the
//! scheduler settle, then acts out each beat in its chat and waits for the
//! bot's answer before the next.

mod collect;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use futures::future::join_all;

use duban::domain::lang::Lang;
use duban::render::text::t;

use super::WAIT;
use super::clock::DemoClock;
use super::script::{self, Act, Beat, Person, Via, Where};
use super::stage::{BotMsg, MsgId, Stage};

/// A person's message, for the transcript.
struct Said {
    chat: i64,
    /// Its id on the platform, for replies to it; none for Feishu's
    /// "added the bot", which is no message.
    id: Option<MsgId>,
    /// The `seq` of the bot's latest send when it was said: the bot's
    /// messages up to it come before it in the chat, later ones after.
    after: u64,
    at: DateTime<Utc>,
    who: String,
    text: String,
}

pub struct Demo {
    stage: Stage,
    clock: DemoClock,
    lang: Lang,
    tz: Tz,
    first_monday: NaiveDate,
    said: Mutex<Vec<Said>>,
    /// Each moment played: the `seq` of the bot's latest send before it,
    /// and its time; the bot's later sends are dated by it.
    moments: Mutex<Vec<(u64, DateTime<Utc>)>>,
    /// The latest weekly prompt in each group: what owners reply to.
    prompts: Mutex<HashMap<i64, MsgId>>,
    missed: Mutex<usize>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Demo {
    pub fn new(
        stage: Stage,
        clock: DemoClock,
        lang: Lang,
        tz: Tz,
        first_monday: NaiveDate,
    ) -> Self {
        Demo {
            stage,
            clock,
            lang,
            tz,
            first_monday,
            said: Mutex::new(Vec::new()),
            moments: Mutex::new(Vec::new()),
            prompts: Mutex::new(HashMap::new()),
            missed: Mutex::new(0),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        duban::clock::Clock::now(&self.clock)
    }

    fn last_seq(&self) -> u64 {
        self.stage.last_seq()
    }

    /// One moment: the jobs due, then what people do, chat by chat.
    pub async fn step(&self, at: DateTime<Utc>, beats: &[Beat]) {
        let mark = self.last_seq();
        lock(&self.moments).push((mark, at));
        self.clock.set(at);
        self.stage.set_now(at);
        if !self.clock.wait_idle(WAIT).await {
            tracing::warn!(%at, "the scheduler did not settle in time");
            *lock(&self.missed) += 1;
        }
        self.note_prompts(mark);
        let mut by_chat: Vec<(i64, Vec<&Beat>)> = Vec::new();
        for b in beats {
            let chat = self.chat_of(b.place);
            match by_chat.iter_mut().find(|(c, _)| *c == chat) {
                Some((_, list)) => list.push(b),
                None => by_chat.push((chat, vec![b])),
            }
        }
        join_all(by_chat.into_iter().map(|(chat, list)| async move {
            for b in list {
                self.perform(chat, b).await;
            }
        }))
        .await;
    }

    fn chat_of(&self, place: Where) -> i64 {
        match place {
            Where::Group(code) => script::project(code).chat,
            Where::Private(p) => p.id,
            Where::Leadership => script::LEADERSHIP_CHAT,
        }
    }

    /// Remembers the prompts the scheduler just posted.
    fn note_prompts(&self, mark: u64) {
        let marker = t(self.lang, "prompt.ask", &[]);
        let mut prompts = lock(&self.prompts);
        for s in self.stage.sent() {
            if s.seq > mark && s.plain.contains(&marker) {
                prompts.insert(s.chat, s.id);
            }
        }
    }

    fn record(&self, chat: i64, id: Option<MsgId>, after: u64, who: &Person, text: &str) {
        lock(&self.said).push(Said {
            chat,
            id,
            after,
            at: self.now(),
            who: who.name.get(self.lang).to_string(),
            text: text.to_string(),
        });
    }

    async fn perform(&self, chat: i64, b: &Beat) {
        let lang = self.lang;
        let who = b.who;
        match b.act {
            Act::Forget => {}
            Act::AddBot => {
                let mark = self.last_seq();
                let id = self.stage.add_bot(chat, who).await;
                let note = match lang {
                    Lang::ZhCn => "（把机器人拉进群）",
                    Lang::En => "(adds the bot to the group)",
                };
                self.record(chat, id, mark, who, note);
                self.expect(chat, |s| s.chat == chat && s.seq > mark).await;
            }
            Act::Bind => {
                let code = match b.place {
                    Where::Group(code) => code,
                    _ => return,
                };
                self.say(chat, who, &format!("/bind {code}")).await;
            }
            Act::Say(text) => self.say(chat, who, text.get(lang)).await,
            // Said among people: not for the bot, which does not answer.
            Act::Chatter(text) => self.tell(chat, who, text.get(lang)).await,
            Act::Introduce => self.tell(chat, who, &introduction(b, lang)).await,
            Act::ReplyToLast(to, text) => {
                let target = lock(&self.said)
                    .iter()
                    .rev()
                    .find(|s| s.chat == chat && s.who == to.name.get(lang) && s.id.is_some())
                    .and_then(|s| s.id.clone());
                match target {
                    Some(id) => self.reply(chat, who, text.get(lang), &id).await,
                    None => tracing::warn!(chat, "nothing to reply to"),
                }
            }
            Act::Report(r) => {
                let Where::Group(code) = b.place else {
                    return;
                };
                let project = script::project(code);
                let week = self.week_index();
                let body = script::report_text(project, week, &r, lang);
                let prompt = lock(&self.prompts).get(&chat).cloned();
                match (r.via, prompt) {
                    (Via::Prompt, Some(id)) => self.reply(chat, who, &body, &id).await,
                    _ => self.say(chat, who, &format!("/report\n{body}")).await,
                }
            }
            Act::Resolve {
                group,
                needle,
                note,
            } => {
                let group_chat = script::project(group).chat;
                match problem_id(&self.stage.sent(), group_chat, needle.get(lang)) {
                    Some(id) => {
                        self.say(chat, who, &format!("/resolve {id} {}", note.get(lang)))
                            .await;
                    }
                    None => tracing::warn!(group, "no such problem to resolve"),
                }
            }
        }
    }

    fn week_index(&self) -> u32 {
        let today = duban::domain::time::local_date(self.now(), self.tz);
        u32::try_from((today - self.first_monday).num_days().max(0) / 7).unwrap_or(0)
    }

    /// A message for the bot, and its answer.
    async fn say(&self, chat: i64, who: &Person, text: &str) {
        self.ask(chat, who, text, None).await;
    }

    /// A reply (to the bot's prompt, or to a person's message that a
    /// command is about), and the bot's answer.
    async fn reply(&self, chat: i64, who: &Person, text: &str, to: &MsgId) {
        self.ask(chat, who, text, Some(to)).await;
    }

    async fn ask(&self, chat: i64, who: &Person, text: &str, to: Option<&MsgId>) {
        let mark = self.last_seq();
        let Some(posted) = self.stage.post(chat, who, text, to, true).await else {
            return;
        };
        self.record(chat, Some(posted.id.clone()), mark, who, &posted.text);
        let id = Some(posted.id);
        self.expect(chat, |s| s.chat == chat && s.reply_to == id)
            .await;
    }

    /// A message among people, which the bot does not answer.
    async fn tell(&self, chat: i64, who: &Person, text: &str) {
        let mark = self.last_seq();
        if let Some(posted) = self.stage.post(chat, who, text, None, false).await {
            self.record(chat, Some(posted.id), mark, who, &posted.text);
        }
    }

    async fn expect(&self, chat: i64, pred: impl Fn(&BotMsg) -> bool) {
        if !self.stage.wait_sent(WAIT, pred).await {
            tracing::warn!(chat, "no answer from the bot in time");
            *lock(&self.missed) += 1;
        }
    }
}

/// How a liaison or an owner greets the group when they join the project.
fn introduction(b: &Beat, lang: Lang) -> String {
    let Where::Group(code) = b.place else {
        return String::new();
    };
    let p = script::project(code);
    let name = b.who.name.get(lang);
    let is_owner = p.owner.id == b.who.id;
    match (lang, is_owner) {
        (Lang::ZhCn, false) => {
            format!("大家好，我是招商服务中心联络员{name}，负责本项目的服务对接。")
        }
        (Lang::ZhCn, true) => format!("收到。我是{}的项目负责人{name}。", p.owner_org.0),
        (Lang::En, false) => {
            format!("Hello all, I am {name}, the zone's liaison for this project.")
        }
        (Lang::En, true) => format!("Hi, {name} here, project lead at {}", p.owner_org.1),
    }
}

/// The number the bot gave the problem mentioning `needle` in `chat`
/// (it says `#7` when it records one).
fn problem_id(sent: &[BotMsg], chat: i64, needle: &str) -> Option<i64> {
    sent.iter().filter(|s| s.chat == chat).find_map(|s| {
        s.plain.lines().find(|l| l.contains(needle)).and_then(|l| {
            let (_, after) = l.split_once('#')?;
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    })
}
