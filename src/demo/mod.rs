//! `duban demo`: the real bot and scheduler on a fresh SQLite file, against
//! the local Bot API simulator (`tgsim`), with a sample portfolio and
//! simulated people, on a clock that runs a few weeks in seconds.
//!
//! The demo moves the clock from one moment of the script to the next. At
//! each, it first lets the scheduler run what is due (it knows the
//! scheduler is done when it goes back to sleep, see [`clock`]), then plays
//! what people do at that moment, chat by chat, waiting for the bot's
//! answer to each message before the next. Nothing waits on wall time, so a
//! slow machine gives the same transcript, only later.

pub mod clock;
mod script;
pub mod transcript;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use futures::future::join_all;
use secrecy::SecretString;
use tokio::sync::watch;

use duban::config::Settings;
use duban::domain::ids::{PersonRef, Platform};
use duban::domain::lang::Lang;
use duban::domain::schedule::{Job, effective_time, next_fire};
use duban::domain::time::local_to_utc;
use duban::render::text::t;
use duban::service::import;
use tgsim::{BotApiSim, ChatKind, Sent};
use duban::store::Store;

use clock::DemoClock;
use script::{Act, Beat, Habit, Person, Report, Via, When, Where};
pub use transcript::{ChatLog, ChatRole, Line, Transcript};

/// A token of the right shape for the simulator, which accepts any; it is
/// not a secret and reaches nothing but 127.0.0.1.
const TOKEN: &str = "7000000001:duban-demo-offline";

/// How long one answer of the bot may take before the demo notes it and
/// moves on. Generous: a busy machine is slow, not broken.
const WAIT: Duration = Duration::from_secs(20);

pub const MAX_WEEKS: u32 = 12;

/// The demo starts on Sunday evening, before the first Monday prompt; the
/// portfolio's dates are written for this day.
fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).expect("a valid date")
}

pub struct Options {
    /// The configuration to run with: its time zone, schedules and
    /// thresholds are used; the database, Telegram, people and chats are
    /// the demo's own.
    pub settings: Settings,
    /// How many reporting weeks to play.
    pub weeks: u32,
    /// The bot's language, and the one the simulated people write in.
    pub lang: Lang,
    /// Keep the SQLite file at this path (which must not exist yet)
    /// instead of a temporary one removed at the end.
    pub keep: Option<PathBuf>,
}

/// Logs at `warn` unless `RUST_LOG` says otherwise, so the transcript on
/// stdout is not buried in the bot's routine `info` lines; sqlx's
/// slow-statement warnings only say the machine is busy.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Plays the demo and returns what the chats saw.
pub async fn run(opts: Options) -> anyhow::Result<Transcript> {
    let started = std::time::Instant::now();
    if !(1..=MAX_WEEKS).contains(&opts.weeks) {
        bail!("--weeks must be between 1 and {MAX_WEEKS}");
    }
    let Options {
        mut settings,
        weeks,
        lang,
        keep,
    } = opts;
    let tz = settings.timezone;
    let first_monday = script::next_monday(start_date());
    let start = at_local(start_date(), 20, 0, tz)?;

    let db = DbFile::new(keep)?;
    settings.database.url = format!("sqlite://{}", db.path.display());
    let store = Store::open(&settings.database.url, 1)
        .await
        .context("creating the demo database")?;
    let csv = script::portfolio_csv(lang);
    let imported = import::import_csv(&store, csv.as_bytes(), "demo portfolio", start, tz).await;
    store.close().await;
    imported.context("importing the demo portfolio")?;

    let sim = BotApiSim::start(TOKEN)
        .await
        .context("starting the local Bot API simulator")?;
    sim.set_now(start.timestamp());
    cast(&sim, lang);

    settings.locale = lang;
    settings.telegram.api_url = sim.api_url();
    settings.telegram.token = Some(SecretString::from(TOKEN));
    // Only the simulator is talked to, and it has no rate limits.
    settings.telegram.throttle = false;
    let account = |p: &Person| PersonRef::new(Platform::Telegram, p.id.to_string());
    settings.admins = vec![account(&script::ADMIN)];
    settings.liaisons = [&script::ZHANG, &script::LI_NA, &script::WANG_QIANG]
        .into_iter()
        .map(account)
        .collect();
    // Subscribed in the chat, on screen.
    settings.leadership_chats = Vec::new();

    let clock = DemoClock::new(start);
    let (stop, shutdown) = watch::channel(false);
    let bot = tokio::spawn(duban::app::run(
        settings.clone(),
        Arc::new(clock.clone()),
        shutdown,
    ));
    if !sim.wait_polling(WAIT).await || !clock.wait_idle(WAIT).await {
        let _ = stop.send(true);
        let outcome = bot.await;
        bail!("the bot did not start: {outcome:?}");
    }

    let demo = Demo {
        sim: sim.clone(),
        clock,
        lang,
        tz,
        first_monday,
        said: Mutex::new(Vec::new()),
        prompts: Mutex::new(HashMap::new()),
        missed: Mutex::new(0),
    };
    let (steps, until) = timeline(&settings, first_monday, start, weeks)?;
    for (at, beats) in steps {
        demo.step(at, &beats).await;
    }

    let _ = stop.send(true);
    match tokio::time::timeout(WAIT, bot).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::warn!(error = %e, "the bot stopped with an error"),
        Ok(Err(e)) => tracing::warn!(error = %e, "the bot task failed"),
        Err(_) => tracing::warn!("the bot did not stop in time"),
    }
    let mut transcript = demo.transcript(start, until, weeks);
    transcript.elapsed_secs = started.elapsed().as_secs_f64();
    sim.shutdown().await;
    drop(db);
    Ok(transcript)
}

fn at_local(day: NaiveDate, hour: u32, minute: u32, tz: Tz) -> anyhow::Result<DateTime<Utc>> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).context("a time of day")?;
    local_to_utc(day.and_time(time), tz).with_context(|| format!("{day} {time} in {tz}"))
}

/// The SQLite file: a fresh one in a temporary folder removed afterwards,
/// or the one the user asked to keep.
struct DbFile {
    path: PathBuf,
    temp_dir: Option<PathBuf>,
}

impl DbFile {
    fn new(keep: Option<PathBuf>) -> anyhow::Result<DbFile> {
        if let Some(path) = keep {
            if path.exists() {
                bail!(
                    "{} exists already; the demo starts from a fresh database",
                    path.display()
                );
            }
            return Ok(DbFile {
                path,
                temp_dir: None,
            });
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!("duban-demo-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the temporary folder {}", dir.display()))?;
        Ok(DbFile {
            path: dir.join("duban.db"),
            temp_dir: Some(dir),
        })
    }
}

impl Drop for DbFile {
    fn drop(&mut self) {
        if let Some(dir) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The people and chats of the simulated Telegram.
fn cast(sim: &BotApiSim, lang: Lang) {
    let staff = [
        &script::ADMIN,
        &script::ZHANG,
        &script::LI_NA,
        &script::WANG_QIANG,
        &script::LEADER,
        &script::ENGINEER,
    ];
    for p in staff
        .into_iter()
        .chain(script::PROJECTS.iter().map(|p| &p.owner))
    {
        sim.add_user(p.id, p.name.get(lang), Some(p.username));
    }
    for p in &script::PROJECTS {
        sim.add_chat(p.chat, ChatKind::Group, p.group_title.get(lang));
    }
    sim.add_chat(
        script::LEADERSHIP_CHAT,
        ChatKind::Group,
        script::LEADERSHIP_TITLE.get(lang),
    );
    // They pressed Start in the bot's chat (and say /start on screen).
    for p in script::OPENED_PRIVATE {
        sim.open_private(p.id);
    }
}

type Steps = Vec<(DateTime<Utc>, Vec<Beat>)>;

/// Every moment at which something happens, in order, with what people do
/// then; and the moment the demo ends (the last week's bulletin).
fn timeline(
    settings: &Settings,
    first_monday: NaiveDate,
    start: DateTime<Utc>,
    weeks: u32,
) -> anyhow::Result<(Steps, DateTime<Utc>)> {
    let tz = settings.timezone;
    let horizon = at_local(
        first_monday + chrono::Duration::days(7 * i64::from(weeks)),
        0,
        0,
        tz,
    )?;
    // The scheduler must find the clock exactly at each fire: a fire seen
    // late is marked late in the chat.
    let mut fires = Vec::new();
    for job in Job::ALL {
        let mut after = start;
        while let Some(fire) = next_fire(settings.cron(job), tz, after) {
            let at = effective_time(
                fire,
                tz,
                &settings.calendar,
                settings.holiday_shift.contains(&job),
            );
            if fire > horizon {
                break;
            }
            if at <= horizon {
                fires.push((job, at));
            }
            after = fire;
        }
    }
    let until = fires
        .iter()
        .filter(|(job, _)| *job == Job::Bulletin)
        .map(|(_, at)| *at)
        .max()
        .unwrap_or(horizon);

    let mut beats = setup_beats();
    beats.extend(
        script::EVENTS
            .iter()
            .filter(|b| b.when.week < weeks as i32)
            .copied(),
    );
    beats.extend(habit_beats(weeks));
    let mut steps: Vec<(DateTime<Utc>, Vec<Beat>)> = fires
        .iter()
        .filter(|(_, at)| *at <= until)
        .map(|(_, at)| (*at, Vec::new()))
        .collect();
    for b in beats {
        let day = b.when.date(first_monday);
        let at = at_local(day, b.when.hour, b.when.minute, tz)?;
        if at < start || at > until {
            continue;
        }
        steps.push((at, vec![b]));
    }
    // Stable: beats at one moment keep the script's order.
    steps.sort_by_key(|(at, _)| *at);
    let mut merged: Steps = Vec::new();
    for (at, beats) in steps {
        match merged.last_mut() {
            Some((last, list)) if *last == at => list.extend(beats),
            _ => merged.push((at, beats)),
        }
    }
    Ok((merged, until))
}

/// Sunday evening, in every group: the bot is added and bound to its
/// project, and the liaison and the owner are named.
fn setup_beats() -> Vec<Beat> {
    let when = When::new(-1, chrono::Weekday::Sun, 20, 0);
    let mut out = Vec::new();
    for p in &script::PROJECTS {
        let place = Where::Group(p.code);
        let admin = &script::ADMIN;
        let mut add = |who: &'static Person, act: Act| {
            out.push(Beat {
                when,
                place,
                who,
                act,
            })
        };
        add(admin, Act::AddBot);
        add(admin, Act::Bind);
        add(p.liaison, Act::Introduce);
        add(
            admin,
            Act::ReplyToLast(p.liaison, script::Tr("/setliaison", "/setliaison")),
        );
        add(&p.owner, Act::Introduce);
        add(
            admin,
            Act::ReplyToLast(&p.owner, script::Tr("/setowner", "/setowner")),
        );
    }
    out
}

/// Each owner's weekly report, on their usual day, unless the script has
/// something else for them that week.
fn habit_beats(weeks: u32) -> Vec<Beat> {
    let mut out = Vec::new();
    for week in 0..weeks as i32 {
        for p in &script::PROJECTS {
            let Habit::Reply(day, hour, minute) = p.habit else {
                continue;
            };
            let scripted = script::EVENTS.iter().any(|b| {
                b.when.week == week
                    && matches!(b.place, Where::Group(code) if code == p.code)
                    && matches!(b.act, Act::Report(_) | Act::Forget)
            });
            if scripted {
                continue;
            }
            out.push(Beat {
                when: When::new(week, day, hour, minute),
                place: Where::Group(p.code),
                who: &p.owner,
                act: Act::Report(Report {
                    via: Via::Prompt,
                    extra: None,
                    adjust: 0,
                    broken: false,
                }),
            });
        }
    }
    out
}

/// A person's message, for the transcript.
struct Said {
    chat: i64,
    message_id: i64,
    at: DateTime<Utc>,
    who: String,
    text: String,
}

struct Demo {
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
    fn now(&self) -> DateTime<Utc> {
        duban::clock::Clock::now(&self.clock)
    }

    fn last_seq(&self) -> u64 {
        self.sim.sent().last().map_or(0, |s| s.seq)
    }

    /// One moment: the jobs due, then what people do, chat by chat.
    async fn step(&self, at: DateTime<Utc>, beats: &[Beat]) {
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

    fn transcript(&self, from: DateTime<Utc>, until: DateTime<Utc>, weeks: u32) -> Transcript {
        let lang = self.lang;
        let bot_name = match lang {
            Lang::ZhCn => "督办 bot",
            Lang::En => "duban bot",
        };
        let sent: Vec<Sent> = self
            .sim
            .sent()
            .into_iter()
            .filter(|s| s.method == "sendMessage")
            .collect();
        let said = lock(&self.said);
        let shown: Vec<(i64, String, ChatRole)> = script::SHOWN_GROUPS
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
            .collect();
        let chats: Vec<ChatLog> = shown
            .into_iter()
            .map(|(chat_id, title, role)| {
                let mut lines: Vec<Line> = said
                    .iter()
                    .filter(|s| s.chat == chat_id)
                    .map(|s| Line {
                        at: s.at,
                        who: s.who.clone(),
                        from_bot: false,
                        text: s.text.clone(),
                        message_id: s.message_id,
                    })
                    .chain(sent.iter().filter(|s| s.chat_id == chat_id).map(|s| Line {
                        at: self.sent_at(s),
                        who: bot_name.to_string(),
                        from_bot: true,
                        text: s.plain.clone(),
                        message_id: s.message_id,
                    }))
                    .collect();
                lines.sort_by_key(|l| l.message_id);
                ChatLog {
                    title,
                    role,
                    lines,
                }
            })
            .collect();
        let title = t(lang, "bulletin.title", &[("week", String::new())]);
        let title = title.trim_end_matches([' ', '·']).to_string();
        let last_bulletin = chats
            .iter()
            .find(|c| c.role == ChatRole::Leadership)
            .and_then(|c| {
                let lines = &c.lines;
                let first = lines.iter().rposition(|l| {
                    l.from_bot && l.text.lines().take(2).any(|x| x.contains(&title))
                })?;
                // A long bulletin comes in parts, one after the other.
                let parts: Vec<&str> = lines[first..]
                    .iter()
                    .take_while(|l| l.from_bot && l.at == lines[first].at)
                    .map(|l| l.text.as_str())
                    .collect();
                Some(parts.join("\n"))
            });
        Transcript {
            lang,
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

    /// When the simulated Telegram dated the bot's message.
    fn sent_at(&self, s: &Sent) -> DateTime<Utc> {
        self.sim
            .message(s.chat_id, s.message_id)
            .and_then(|m| m.get("date").and_then(serde_json::Value::as_i64))
            .and_then(|secs| DateTime::from_timestamp(secs, 0))
            .unwrap_or_else(|| self.now())
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
