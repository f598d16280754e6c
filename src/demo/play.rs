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
use tgsim::{BotApiSim, Sent};

use super::WAIT;
use super::clock::DemoClock;
use super::script::{self, Act, Beat, Person, Via, Where};

/// A person's message, for the transcript.
struct Said {
    chat: i64,
    message_id: i64,
    at: DateTime<Utc>,
    who: String,
    text: String,
}

pub struct Demo {
    sim: BotApiSim,
    clock: DemoClock,
    lang: Lang,
    tz: Tz,
    first_monday: NaiveDate,
    said: Mutex<Vec<Said>>,
    /// The latest weekly prompt in each group: what owners reply to.
    prompts: Mutex<HashMap<i64, i64>>,
    missed: Mutex<usize>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Demo {
    pub fn new(
        sim: BotApiSim,
        clock: DemoClock,
        lang: Lang,
        tz: Tz,
        first_monday: NaiveDate,
    ) -> Self {
        Demo {
            sim,
            clock,
            lang,
            tz,
            first_monday,
            said: Mutex::new(Vec::new()),
            prompts: Mutex::new(HashMap::new()),
            missed: Mutex::new(0),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        duban::clock::Clock::now(&self.clock)
    }

    fn last_seq(&self) -> u64 {
        self.sim.sent().last().map_or(0, |s| s.seq)
    }

    /// One moment: the jobs due, then what people do, chat by chat.
    pub async fn step(&self, at: DateTime<Utc>, beats: &[Beat]) {
        let mark = self.last_seq();
        self.clock.set(at);
        self.sim.set_now(at.timestamp());
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
        for s in self.sim.sent() {
            if s.seq > mark && s.plain.contains(&marker) {
                prompts.insert(s.chat_id, s.message_id);
            }
        }
    }

    fn record(&self, chat: i64, message_id: i64, who: &Person, text: &str) {
        lock(&self.said).push(Said {
            chat,
            message_id,
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
                let p = self.sim.push_bot_added(chat, who.id);
                let note = match lang {
                    Lang::ZhCn => "（把机器人拉进群）",
                    Lang::En => "(adds the bot to the group)",
                };
                self.record(chat, p.message_id, who, note);
                self.expect(chat, |s| s.chat_id == chat && s.seq > mark)
                    .await;
            }
            Act::Bind => {
                let code = match b.place {
                    Where::Group(code) => code,
                    _ => return,
                };
                self.say(chat, who, &format!("/bind {code}")).await;
            }
            Act::Say(text) => self.say(chat, who, text.get(lang)).await,
            Act::Chatter(text) => {
                let p = self.sim.push_text(chat, who.id, text.get(lang));
                self.record(chat, p.message_id, who, text.get(lang));
            }
            Act::Introduce => {
                let text = introduction(b, lang);
                let p = self.sim.push_text(chat, who.id, &text);
                self.record(chat, p.message_id, who, &text);
            }
            Act::ReplyToLast(to, text) => {
                let target = lock(&self.said)
                    .iter()
                    .rev()
                    .find(|s| s.chat == chat && s.who == to.name.get(lang))
                    .map(|s| s.message_id);
                match target {
                    Some(id) => self.reply(chat, who, text.get(lang), id).await,
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
                let prompt = lock(&self.prompts).get(&chat).copied();
                match (r.via, prompt) {
                    (Via::Prompt, Some(id)) => self.reply(chat, who, &body, id).await,
                    _ => self.say(chat, who, &format!("/report\n{body}")).await,
                }
            }
            Act::Resolve {
                group,
                needle,
                note,
            } => {
                let group_chat = script::project(group).chat;
                match problem_id(&self.sim, group_chat, needle.get(lang)) {
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

    async fn say(&self, chat: i64, who: &Person, text: &str) {
        let p = self.sim.push_text(chat, who.id, text);
        self.record(chat, p.message_id, who, text);
        let id = p.message_id;
        self.expect(chat, |s| s.chat_id == chat && s.reply_to == Some(id))
            .await;
    }

    async fn reply(&self, chat: i64, who: &Person, text: &str, to: i64) {
        let p = self.sim.push_reply(chat, who.id, text, to);
        self.record(chat, p.message_id, who, text);
        let id = p.message_id;
        self.expect(chat, |s| s.chat_id == chat && s.reply_to == Some(id))
            .await;
    }

    async fn expect(&self, chat: i64, pred: impl Fn(&Sent) -> bool) {
        if self.sim.wait_sent(WAIT, pred).await.is_none() {
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
fn problem_id(sim: &BotApiSim, chat: i64, needle: &str) -> Option<i64> {
    sim.sent_to(chat).iter().find_map(|s| {
        s.plain.lines().find(|l| l.contains(needle)).and_then(|l| {
            let (_, after) = l.split_once('#')?;
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    })
}
