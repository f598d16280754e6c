//! What the bot says and does when people write to it: commands, reports by
//! reply or dialogue, and group life. Platform-free: events come in as plain
//! values, replies go out as [`Outgoing`] messages; all effects happen in the
//! caller's transaction, which also marks the update handled.

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::domain::bulletin::{MilestoneLine, compose};
use crate::domain::commands::{
    Command, Parsed, Place, PledgeError, Refusal, Roles, authorize, available, parse_command,
    parse_pledge,
};
use crate::domain::lang::Lang;
use crate::domain::model::{Chat, Person, Project, Role, Stage};
use crate::domain::outgoing::Outgoing;
use crate::domain::overview::{render_portfolio, render_project};
use crate::domain::report::{
    Field, MAX_PROBLEM_CHARS, ReportErrorKind, find_milestone, parse_report,
};
use crate::domain::status::MilestoneStatus;
use crate::domain::text::{date_error, report_echo, report_error, t};
use crate::domain::time::{ReportingWeek, local_date, parse_date};
use crate::service::{portfolio, reports};
use crate::store::{
    Conn, StoreError, chats, dialogues, milestones, outbox, people, problems, projects,
};

pub const PLATFORM: &str = "telegram";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    Private,
    Group,
    Supergroup,
}

impl ChatKind {
    pub fn code(self) -> &'static str {
        match self {
            ChatKind::Private => "private",
            ChatKind::Group => "group",
            ChatKind::Supergroup => "supergroup",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatInfo {
    pub external_id: String,
    pub kind: ChatKind,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub external_id: String,
    pub display_name: String,
    pub username: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTo {
    pub message_id: i64,
    pub from_bot: bool,
    pub sender: Option<Sender>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    pub chat: ChatInfo,
    pub from: Sender,
    pub message_id: i64,
    pub thread: Option<i64>,
    pub text: String,
    pub reply_to: Option<ReplyTo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Message(IncomingMessage),
    BotAdded { chat: ChatInfo, by: Sender },
    BotRemoved { chat: ChatInfo, by: Sender },
    Migrated { from: String, to: String },
}

/// What the conversation needs beyond the store.
pub struct Env<'a> {
    pub settings: &'a Settings,
    pub bot_username: &'a str,
}

type Out = Result<Vec<Outgoing>, StoreError>;

/// Handles one event; every reply is returned, none is sent here.
pub async fn handle(tx: &mut Conn, env: &Env<'_>, event: Event, now: DateTime<Utc>) -> Out {
    match event {
        Event::Message(m) => on_message(tx, env, m, now).await,
        Event::BotAdded { chat, by } => on_added(tx, env, chat, by).await,
        Event::BotRemoved { chat, by } => on_removed(tx, env, chat, by).await,
        Event::Migrated { from, to } => {
            let moved = chats::migrate(tx, PLATFORM, &from, &to).await?;
            tracing::info!(from, to, bound = ?moved.and_then(|c| c.project_id), "group migrated to supergroup");
            Ok(Vec::new())
        }
    }
}

/// Everything a message handler knows about where and who.
struct Here {
    chat: Chat,
    person: Person,
    project: Option<Project>,
    roles: Roles,
    place: Place,
    lang: Lang,
    msg: IncomingMessage,
}

impl Here {
    /// A reply in the same chat (and topic) to the message being handled.
    fn reply(&self, text: impl Into<String>) -> Outgoing {
        Outgoing {
            reply_to: Some(self.msg.message_id),
            thread: self.msg.thread,
            ..Outgoing::to(self.msg.chat.external_id.clone(), text)
        }
    }

    fn say(&self, key: &str, args: &[(&str, String)]) -> Vec<Outgoing> {
        vec![self.reply(t(self.lang, key, args))]
    }
}

fn lang_of(chat: &Chat, settings: &Settings) -> Lang {
    chat.locale
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(settings.locale)
}

async fn on_message(tx: &mut Conn, env: &Env<'_>, msg: IncomingMessage, now: DateTime<Utc>) -> Out {
    let settings = env.settings;
    let chat = chats::upsert(
        tx,
        PLATFORM,
        &msg.chat.external_id,
        msg.chat.kind.code(),
        &msg.chat.title,
    )
    .await?;
    let person = people::upsert(
        tx,
        PLATFORM,
        &msg.from.external_id,
        &msg.from.display_name,
        msg.from.username.as_deref(),
    )
    .await?;
    let project = match chat.project_id {
        Some(id) => projects::by_id(tx, id).await?,
        None => None,
    };
    let user_id: i64 = msg.from.external_id.parse().unwrap_or(0);
    let liaison_of = people::projects_with_role(tx, person.id, Role::Liaison).await?;
    let owner_of = people::projects_with_role(tx, person.id, Role::Owner).await?;
    let here_id = project.as_ref().map(|p| p.id);
    let roles = Roles {
        admin: settings.admins.contains(&user_id),
        liaison_here: here_id.is_some_and(|id| liaison_of.contains(&id)),
        liaison_anywhere: !liaison_of.is_empty() || settings.liaisons.contains(&user_id),
        owner_here: here_id.is_some_and(|id| owner_of.contains(&id)),
    };
    let chat_num: i64 = chat.external_id.parse().unwrap_or(0);
    let place = if chat.is_leadership || settings.leadership_chats.contains(&chat_num) {
        Place::Leadership
    } else if msg.chat.kind == ChatKind::Private {
        Place::Private
    } else if project.is_some() {
        Place::ProjectGroup
    } else {
        Place::Group
    };
    let lang = lang_of(&chat, settings);
    let here = Here {
        chat,
        person,
        project,
        roles,
        place,
        lang,
        msg,
    };
    if let Some(p) = &here.project {
        // The adapter's span declares the field; the project is known only here.
        tracing::Span::current().record("project", p.code.as_str());
    }
    if let Some(parsed) = parse_command(&here.msg.text, env.bot_username) {
        return match parsed {
            Parsed::OtherBot => Ok(Vec::new()),
            Parsed::Unknown(name) => Ok(here.say("unknown_command", &[("name", name)])),
            Parsed::Known(cmd, args) => match authorize(cmd, here.roles, here.place) {
                Err(refusal) => Ok(refuse(&here, refusal)),
                Ok(()) => run_command(tx, env, &here, cmd, &args, now).await,
            },
        };
    }
    if let Some(reply) = &here.msg.reply_to
        && reply.from_bot
        && here.place == Place::ProjectGroup
    {
        let key = (
            here.chat.external_id.clone(),
            here.person.external_id.clone(),
        );
        if let Some(d) = dialogues::get_for(tx, &key.0, &key.1).await? {
            return dialogue_answer(tx, env, &here, d, now).await;
        }
        // A reply to the weekly prompt is a report even when it cannot be
        // read, so its author learns why.
        let prompted = outbox::is_prompt(tx, &here.chat.external_id, reply.message_id).await?;
        return report_by_reply(tx, env, &here, prompted, now).await;
    }
    if here.place == Place::Private {
        return Ok(here.say("private_hint", &[]));
    }
    Ok(Vec::new())
}

fn refuse(here: &Here, refusal: Refusal) -> Vec<Outgoing> {
    // In an unbound group, the useful answer is how to bind it.
    if refusal == Refusal::ProjectGroupOnly && here.place == Place::Group {
        return here.say("refuse.unbound_group", &[]);
    }
    here.say(refusal.key(), &[])
}

async fn run_command(
    tx: &mut Conn,
    env: &Env<'_>,
    here: &Here,
    cmd: Command,
    args: &str,
    now: DateTime<Utc>,
) -> Out {
    tracing::info!(command = cmd.name(), "command");
    match cmd {
        Command::Start | Command::Help => {
            if here.place == Place::Private {
                people::set_can_dm(tx, here.person.id, true).await?;
            }
            Ok(vec![here.reply(help_text(here))])
        }
        Command::NewProject => new_project(tx, here, args, now).await,
        Command::Bind => bind(tx, here, args).await,
        Command::Pledge => pledge(tx, here, args, now).await,
        Command::Report => report_command(tx, env, here, args, now).await,
        Command::Done => done(tx, env, here, args, now).await,
        Command::Problem => problem(tx, here, args, now).await,
        Command::Resolve => resolve(tx, here, args, now).await,
        Command::Status => status(tx, env, here, now).await,
        Command::Overdue => overdue(tx, env, here, now).await,
        Command::SetOwner => set_role(tx, here, Role::Owner).await,
        Command::SetLiaison => set_role(tx, here, Role::Liaison).await,
        Command::Subscribe => {
            chats::set_leadership(tx, here.chat.id, true).await?;
            Ok(here.say("subscribe.done", &[]))
        }
        Command::Lang => match args.trim().parse::<Lang>() {
            Ok(lang) => {
                chats::set_locale(tx, here.chat.id, lang.code()).await?;
                Ok(vec![here.reply(t(lang, "lang.done", &[]))])
            }
            Err(_) => Ok(here.say("lang.usage", &[])),
        },
        Command::Cancel => {
            let ended =
                dialogues::end(tx, &here.chat.external_id, &here.person.external_id).await?;
            Ok(here.say(
                if ended {
                    "cancel.done"
                } else {
                    "cancel.nothing"
                },
                &[],
            ))
        }
    }
}

fn help_text(here: &Here) -> String {
    let lang = here.lang;
    let mut lines = vec![t(lang, "help.intro", &[])];
    if here.place == Place::Group {
        lines.push(t(lang, "refuse.unbound_group", &[]));
    }
    lines.push(t(lang, "help.commands_here", &[]));
    for c in available(here.roles, here.place) {
        lines.push(format!("/{} — {}", c.name(), t(lang, &c.help_key(), &[])));
    }
    lines.join("\n")
}

/// Longest project name accepted from a chat.
const MAX_PROJECT_NAME: usize = 200;

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.chars().count() <= 32
        && code
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

async fn new_project(tx: &mut Conn, here: &Here, args: &str, now: DateTime<Utc>) -> Out {
    let mut words = args.split_whitespace();
    let (Some(code), name) = (words.next(), words.collect::<Vec<_>>().join(" ")) else {
        return Ok(here.say("newproject.usage", &[]));
    };
    if name.is_empty() {
        return Ok(here.say("newproject.usage", &[]));
    }
    if name.chars().count() > MAX_PROJECT_NAME {
        return Ok(here.say(
            "report.error.field_too_long",
            &[("limit", MAX_PROJECT_NAME.to_string())],
        ));
    }
    if !valid_code(code) {
        return Ok(here.say("newproject.bad_code", &[("code", code.to_string())]));
    }
    if let Some(p) = &here.project {
        return Ok(here.say("newproject.already_bound", &[("code", p.code.clone())]));
    }
    if projects::by_code(tx, code).await?.is_some() {
        return Ok(here.say("newproject.exists", &[("code", code.to_string())]));
    }
    let project = Project {
        id: 0,
        code: code.to_string(),
        name: name.clone(),
        owner_org: String::new(),
        zone: String::new(),
        industry_chain: String::new(),
        stage: Stage::Signed,
        investment: 0,
        liaison_name: String::new(),
        active: true,
    };
    let id = projects::insert(tx, &project, now).await?;
    chats::bind(tx, here.chat.id, id).await?;
    if !here.roles.admin {
        people::add_role(tx, id, here.person.id, Role::Liaison).await?;
    }
    Ok(here.say(
        "newproject.done",
        &[("code", code.to_string()), ("name", name)],
    ))
}

async fn bind(tx: &mut Conn, here: &Here, args: &str) -> Out {
    let code = args.trim();
    if code.is_empty() || code.contains(char::is_whitespace) {
        return Ok(here.say("bind.usage", &[]));
    }
    let Some(project) = projects::by_code(tx, code).await? else {
        return Ok(here.say("bind.no_project", &[("code", code.to_string())]));
    };
    if here.project.as_ref().is_some_and(|p| p.id != project.id) && !here.roles.admin {
        let current = here
            .project
            .as_ref()
            .map(|p| p.code.clone())
            .unwrap_or_default();
        return Ok(here.say("newproject.already_bound", &[("code", current)]));
    }
    chats::bind(tx, here.chat.id, project.id).await?;
    Ok(here.say(
        "bind.done",
        &[("code", project.code), ("name", project.name)],
    ))
}

async fn pledge(tx: &mut Conn, here: &Here, args: &str, now: DateTime<Utc>) -> Out {
    let Some(project) = &here.project else {
        return Ok(refuse(here, Refusal::ProjectGroupOnly));
    };
    let lines = match parse_pledge(args) {
        Ok(l) => l,
        Err(PledgeError::Empty) => return Ok(here.say("pledge.usage", &[])),
        Err(PledgeError::TooMany { limit }) => {
            return Ok(here.say("pledge.too_many", &[("limit", limit.to_string())]));
        }
        Err(e) => {
            let why = match &e {
                PledgeError::Date { source, .. } => date_error(source, here.lang),
                PledgeError::Duplicate { .. } => t(here.lang, "pledge.duplicate", &[]),
                PledgeError::NameTooLong { limit, .. } => t(
                    here.lang,
                    "report.error.field_too_long",
                    &[("limit", limit.to_string())],
                ),
                _ => t(here.lang, "pledge.shape", &[]),
            };
            let (line, text) = match &e {
                PledgeError::Shape { line, text }
                | PledgeError::Date { line, text, .. }
                | PledgeError::NameTooLong { line, text, .. }
                | PledgeError::Duplicate { line, text } => (*line, text.clone()),
                PledgeError::Empty | PledgeError::TooMany { .. } => (0, String::new()),
            };
            let head = t(
                here.lang,
                "report.error.line",
                &[("line", line.to_string()), ("text", text), ("why", why)],
            );
            return Ok(vec![
                here.reply(format!("{head}\n{}", t(here.lang, "pledge.usage", &[]))),
            ]);
        }
    };
    let existing = milestones::of_project(tx, project.id).await?;
    let next_position = existing.iter().map(|m| m.position + 1).max().unwrap_or(0);
    let source = format!("pledge by {}", here.person.display_name);
    let mut out = vec![t(
        here.lang,
        "pledge.done",
        &[("code", project.code.clone())],
    )];
    for (i, line) in lines.iter().enumerate() {
        let key = match find_milestone(&existing, &line.name) {
            None => {
                milestones::insert(
                    tx,
                    &milestones::NewMilestone {
                        project_id: project.id,
                        name: &line.name,
                        pledged: line.date,
                        actual: None,
                        position: next_position + i as i64,
                    },
                    &source,
                    now,
                )
                .await?;
                "pledge.line_new"
            }
            Some(m) if m.pledged == line.date => "pledge.line_same",
            Some(m) => {
                milestones::revise(tx, m.id, line.date, &source, now).await?;
                let key = if m.pledged == m.pledged_original {
                    "pledge.line_revised_first"
                } else {
                    "pledge.line_revised"
                };
                out.push(t(
                    here.lang,
                    key,
                    &[
                        ("name", m.name.clone()),
                        ("date", line.date.to_string()),
                        ("previous", m.pledged.to_string()),
                        ("original", m.pledged_original.to_string()),
                    ],
                ));
                continue;
            }
        };
        out.push(t(
            here.lang,
            key,
            &[("name", line.name.clone()), ("date", line.date.to_string())],
        ));
    }
    Ok(vec![here.reply(out.join("\n"))])
}

async fn submit_report(
    tx: &mut Conn,
    env: &Env<'_>,
    here: &Here,
    text: &str,
    now: DateTime<Utc>,
) -> Out {
    let Some(project) = &here.project else {
        return Ok(refuse(here, Refusal::ProjectGroupOnly));
    };
    let by = format!("{}:{}", PLATFORM, here.person.external_id);
    match reports::submit_with(tx, env.settings, &project.code, text, &by, now).await {
        Ok(echo) => Ok(vec![here.reply(report_echo(
            &echo,
            here.lang,
            env.settings.timezone,
        ))]),
        Err(reports::SubmitError::Report(e)) => Ok(vec![here.reply(report_error(&e, here.lang))]),
        Err(reports::SubmitError::Store(e)) => Err(e),
        Err(reports::SubmitError::TooManyReports(limit)) => Ok(here.say(
            "report.error.too_many_reports",
            &[("limit", limit.to_string())],
        )),
        Err(reports::SubmitError::UnknownProject(_) | reports::SubmitError::Archived(_)) => {
            Ok(here.say("refuse.archived", &[("code", project.code.clone())]))
        }
    }
}

async fn report_command(
    tx: &mut Conn,
    env: &Env<'_>,
    here: &Here,
    args: &str,
    now: DateTime<Utc>,
) -> Out {
    if !args.trim().is_empty() {
        return submit_report(tx, env, here, args, now).await;
    }
    let Some(project) = &here.project else {
        return Ok(refuse(here, Refusal::ProjectGroupOnly));
    };
    let d = dialogues::Dialogue {
        project_id: project.id,
        step: 0,
        answers: String::new(),
    };
    dialogues::save(
        tx,
        &here.chat.external_id,
        &here.person.external_id,
        &d,
        now,
    )
    .await?;
    let intro = t(
        here.lang,
        "dialogue.start",
        &[("code", project.code.clone())],
    );
    Ok(vec![ask(here, 0, Some(intro))])
}

/// The question of dialogue step `step`, as a forced reply.
fn ask(here: &Here, step: usize, preface: Option<String>) -> Outgoing {
    let field = Field::ALL[step];
    let q = t(here.lang, &format!("dialogue.q.{}", field.en()), &[]);
    let text = match preface {
        Some(p) => format!("{p}\n{q}"),
        None => q,
    };
    Outgoing {
        force_reply: true,
        ..here.reply(text)
    }
}

fn is_skip(answer: &str) -> bool {
    matches!(
        answer.trim().to_lowercase().as_str(),
        "" | "-" | "—" | "无" | "跳过" | "skip" | "none" | "/skip"
    )
}

async fn dialogue_answer(
    tx: &mut Conn,
    env: &Env<'_>,
    here: &Here,
    mut d: dialogues::Dialogue,
    now: DateTime<Utc>,
) -> Out {
    let step = usize::try_from(d.step)
        .unwrap_or(0)
        .min(Field::ALL.len() - 1);
    let field = Field::ALL[step];
    let answer = here.msg.text.trim();
    if !is_skip(answer) {
        let line = format!("{}: {}", field.zh(), answer.replace('\n', " "));
        match parse_report(&line) {
            Ok(_) => {
                d.answers.push_str(&line);
                d.answers.push('\n');
            }
            Err(e) if e.kind != ReportErrorKind::NoFields => {
                let why = report_error(&e, here.lang);
                let first = why.lines().next().unwrap_or_default().to_string();
                return Ok(vec![ask(
                    here,
                    step,
                    Some(t(here.lang, "dialogue.bad_answer", &[("why", first)])),
                )]);
            }
            Err(_) => {}
        }
    }
    let next = step + 1;
    if next < Field::ALL.len() {
        d.step = next as i64;
        dialogues::save(
            tx,
            &here.chat.external_id,
            &here.person.external_id,
            &d,
            now,
        )
        .await?;
        return Ok(vec![ask(here, next, None)]);
    }
    dialogues::end(tx, &here.chat.external_id, &here.person.external_id).await?;
    if d.answers.trim().is_empty() {
        return Ok(here.say("dialogue.empty", &[]));
    }
    submit_report(tx, env, here, &d.answers, now).await
}

async fn report_by_reply(
    tx: &mut Conn,
    env: &Env<'_>,
    here: &Here,
    prompted: bool,
    now: DateTime<Utc>,
) -> Out {
    match parse_report(&here.msg.text) {
        // A "thanks" under the echo is conversation, not a malformed report.
        Err(e) if e.kind == ReportErrorKind::NoFields && !prompted => Ok(Vec::new()),
        _ => submit_report(tx, env, here, &here.msg.text, now).await,
    }
}

/// `/done 开工 [2026-11-25]`: the last word is the date when it reads as one.
async fn done(tx: &mut Conn, env: &Env<'_>, here: &Here, args: &str, now: DateTime<Utc>) -> Out {
    let Some(project) = &here.project else {
        return Ok(refuse(here, Refusal::ProjectGroupOnly));
    };
    let args = args.trim();
    if args.is_empty() {
        return Ok(here.say("done.usage", &[]));
    }
    let today = local_date(now, env.settings.timezone);
    let (name, date) = match args.rsplit_once(char::is_whitespace) {
        Some((name, last)) if last.starts_with(|c: char| c.is_ascii_digit()) => {
            match parse_date(last) {
                Ok(d) => (name.trim(), d),
                Err(e) => return Ok(vec![here.reply(date_error(&e, here.lang))]),
            }
        }
        _ => (args, today),
    };
    let ms = milestones::of_project(tx, project.id).await?;
    let Some(m) = find_milestone(&ms, name) else {
        let known = ms
            .iter()
            .map(|m| m.name.clone())
            .collect::<Vec<_>>()
            .join("、");
        return Ok(here.say(
            "done.unknown",
            &[("name", name.to_string()), ("known", known)],
        ));
    };
    if date > today {
        return Ok(here.say("done.future", &[("today", today.to_string())]));
    }
    milestones::set_actual(tx, m.id, date, now).await?;
    let late = (date - m.pledged).num_days();
    let key = if late > 0 {
        "done.recorded_late"
    } else {
        "done.recorded"
    };
    Ok(here.say(
        key,
        &[
            ("name", m.name.clone()),
            ("date", date.to_string()),
            ("days", late.to_string()),
        ],
    ))
}

async fn problem(tx: &mut Conn, here: &Here, args: &str, now: DateTime<Utc>) -> Out {
    let Some(project) = &here.project else {
        return Ok(refuse(here, Refusal::ProjectGroupOnly));
    };
    let text = args.trim();
    if text.is_empty() {
        return Ok(here.say("problem.usage", &[]));
    }
    if text.chars().count() > MAX_PROBLEM_CHARS {
        return Ok(here.say(
            "problem.too_long",
            &[("limit", MAX_PROBLEM_CHARS.to_string())],
        ));
    }
    let by = format!("{}:{}", PLATFORM, here.person.external_id);
    if let Some(p) = problems::open_with_text(tx, project.id, text).await? {
        return Ok(here.say("problem.known", &[("id", p.id.to_string())]));
    }
    let p = problems::insert(tx, project.id, text, &by, now, None).await?;
    Ok(here.say(
        "problem.recorded",
        &[("id", p.id.to_string()), ("text", p.text)],
    ))
}

async fn resolve(tx: &mut Conn, here: &Here, args: &str, now: DateTime<Utc>) -> Out {
    let args = args.trim();
    let (id_text, resolution) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let Ok(id) = id_text.trim_start_matches('#').parse::<i64>() else {
        return Ok(here.say("resolve.usage", &[]));
    };
    let Some(p) = problems::by_id(tx, id).await? else {
        return Ok(here.say("resolve.not_found", &[("id", id.to_string())]));
    };
    if !here.roles.admin {
        let mine = people::projects_with_role(tx, here.person.id, Role::Liaison).await?;
        if !mine.contains(&p.project_id) {
            return Ok(here.say("resolve.not_yours", &[("id", id.to_string())]));
        }
    }
    let by = format!("{}:{}", PLATFORM, here.person.external_id);
    if !problems::resolve(tx, id, &by, resolution.trim(), now).await? {
        return Ok(here.say("resolve.already", &[("id", id.to_string())]));
    }
    Ok(here.say("resolve.done", &[("id", id.to_string()), ("text", p.text)]))
}

async fn status(tx: &mut Conn, env: &Env<'_>, here: &Here, now: DateTime<Utc>) -> Out {
    let settings = env.settings;
    let (tz, policy) = (settings.timezone, settings.policy());
    let text = match (&here.project, here.place) {
        (Some(p), Place::ProjectGroup) => {
            match portfolio::project_with(tx, settings, &p.code, now).await? {
                Some((snap, latest, no_dm)) => {
                    render_project(&snap, latest.as_ref(), &no_dm, now, tz, policy, here.lang)
                }
                None => t(
                    here.lang,
                    "status.unknown_project",
                    &[("code", p.code.clone())],
                ),
            }
        }
        _ => {
            let week = ReportingWeek::of_instant(now, tz);
            let snaps = portfolio::snapshots_with(tx, settings, week).await?;
            render_portfolio(&snaps, now, tz, policy, here.lang)
        }
    };
    Ok(vec![here.reply(text)])
}

async fn overdue(tx: &mut Conn, env: &Env<'_>, here: &Here, now: DateTime<Utc>) -> Out {
    let settings = env.settings;
    let week = ReportingWeek::of_instant(now, settings.timezone);
    let snaps = portfolio::snapshots_with(tx, settings, week).await?;
    let b = compose(week, now, settings.timezone, &snaps, settings.policy());
    let lang = here.lang;
    let line = |l: &MilestoneLine| {
        let (key, days) = match l.status {
            MilestoneStatus::Overdue { days } => ("overdue.line_overdue", days),
            MilestoneStatus::AtRisk { days_left } => ("overdue.line_at_risk", days_left),
            _ => ("overdue.line_at_risk", 0),
        };
        t(
            lang,
            key,
            &[
                ("code", l.project.code.clone()),
                ("project", l.project.name.clone()),
                ("milestone", l.milestone.clone()),
                ("pledged", l.pledged.to_string()),
                ("days", days.to_string()),
            ],
        )
    };
    if b.overdue.is_empty() && b.at_risk.is_empty() {
        return Ok(here.say(
            "overdue.none",
            &[("window", settings.warning_days.to_string())],
        ));
    }
    let mut out = vec![t(
        lang,
        "overdue.title",
        &[
            ("overdue", b.overdue.len().to_string()),
            ("at_risk", b.at_risk.len().to_string()),
        ],
    )];
    out.extend(b.overdue.iter().chain(&b.at_risk).map(line));
    Ok(vec![here.reply(out.join("\n"))])
}

async fn set_role(tx: &mut Conn, here: &Here, role: Role) -> Out {
    let Some(project) = &here.project else {
        return Ok(refuse(here, Refusal::ProjectGroupOnly));
    };
    let target = here
        .msg
        .reply_to
        .as_ref()
        .filter(|r| !r.from_bot)
        .and_then(|r| r.sender.clone());
    let Some(target) = target else {
        return Ok(here.say(
            "setrole.usage",
            &[("command", format!("/set{}", role.code()))],
        ));
    };
    let person = people::upsert(
        tx,
        PLATFORM,
        &target.external_id,
        &target.display_name,
        target.username.as_deref(),
    )
    .await?;
    people::add_role(tx, project.id, person.id, role).await?;
    let key = match role {
        Role::Owner => "setrole.owner_done",
        Role::Liaison => "setrole.liaison_done",
    };
    Ok(here.say(
        key,
        &[
            ("name", person.display_name),
            ("code", project.code.clone()),
        ],
    ))
}

async fn on_added(tx: &mut Conn, env: &Env<'_>, chat: ChatInfo, by: Sender) -> Out {
    let row = chats::upsert(
        tx,
        PLATFORM,
        &chat.external_id,
        chat.kind.code(),
        &chat.title,
    )
    .await?;
    people::upsert(
        tx,
        PLATFORM,
        &by.external_id,
        &by.display_name,
        by.username.as_deref(),
    )
    .await?;
    chats::set_active(tx, row.id, true).await?;
    let lang = lang_of(&row, env.settings);
    let text = match row.project_id {
        Some(id) => match projects::by_id(tx, id).await? {
            Some(p) => t(
                lang,
                "group.welcome_back",
                &[("code", p.code), ("name", p.name)],
            ),
            None => t(lang, "group.welcome", &[]),
        },
        None => t(lang, "group.welcome", &[]),
    };
    Ok(vec![Outgoing::to(chat.external_id, text)])
}

/// The bot was removed: the chat goes inactive and the project's liaisons
/// hear of it privately (the group can no longer be written to).
async fn on_removed(tx: &mut Conn, env: &Env<'_>, chat: ChatInfo, by: Sender) -> Out {
    let Some(row) = chats::by_external(tx, PLATFORM, &chat.external_id).await? else {
        return Ok(Vec::new());
    };
    chats::set_active(tx, row.id, false).await?;
    let project = match row.project_id {
        Some(id) => projects::by_id(tx, id).await?,
        None => None,
    };
    let Some(project) = project else {
        return Ok(Vec::new());
    };
    tracing::warn!(chat = %chat.external_id, project = %project.code, "bot removed from project group");
    let lang = lang_of(&row, env.settings);
    let liaisons = people::with_role(tx, project.id, Role::Liaison).await?;
    // Tried even if they never wrote to the bot privately: they may have
    // opened the chat from their side; a refusal is only logged.
    Ok(liaisons
        .into_iter()
        .map(|l| {
            Outgoing::to(
                l.external_id,
                t(
                    lang,
                    "group.removed",
                    &[
                        ("code", project.code.clone()),
                        ("name", project.name.clone()),
                        ("title", chat.title.clone()),
                        ("by", by.display_name.clone()),
                    ],
                ),
            )
        })
        .collect())
}
