//! Weekly reports from the chat: `/report` with the lines, a reply to the
//! bot's prompt, or `/report` alone, which asks the seven questions one by
//! one (answers kept in the store, so a restart loses none; `/cancel` stops).

use chrono::{DateTime, Utc};

use crate::domain::commands::{Command, Parsed, parse_command};
use crate::domain::ids::ChatRef;
use crate::domain::outgoing::Outgoing;
use crate::domain::report::{Field, ReportErrorKind, parse_report};
use crate::domain::time::ReportingWeek;
use crate::render::report::{report_echo, report_error};
use crate::render::text::t;
use crate::service::reports::{self, Submission, SubmitError, Whose};
use crate::store::outbox::PromptAnswered;
use crate::store::{Conn, chats, dialogues, problems, projects, replies, reports as stored};

use super::context::{Here, InProject};
use super::{Env, Out};

/// `/report [lines]`: the report itself, or the start of the dialogue.
pub async fn command(
    tx: &mut Conn,
    env: &Env<'_>,
    p: InProject<'_>,
    args: &str,
    now: DateTime<Utc>,
) -> Out {
    if !args.trim().is_empty() {
        let source = Some(p.here.msg.message_id);
        return submit(
            tx,
            env,
            p,
            &Report {
                text: args,
                week: None,
                source,
            },
            now,
        )
        .await;
    }
    let here = p.here;
    let d = dialogues::Dialogue {
        project_id: p.project.id,
        step: 0,
        answers: String::new(),
    };
    dialogues::save(tx, &here.chat.address, &here.person.account, &d, now).await?;
    let intro = t(
        here.lang,
        "dialogue.start",
        &[("code", p.project.code.clone())],
    );
    Ok(vec![ask(here, 0, Some(intro))])
}

/// A reply to one of the bot's messages that is not a dialogue answer. A
/// reply to a week's prompt counts for that week until the next prompt is
/// out; one with no report in it gets a short hint, once a week.
pub async fn by_reply(
    tx: &mut Conn,
    env: &Env<'_>,
    p: InProject<'_>,
    prompt: Option<PromptAnswered>,
    now: DateTime<Utc>,
) -> Out {
    let here = p.here;
    let text = &here.msg.text;
    match parse_report(text) {
        // A "thanks" under the echo is conversation, not a malformed report.
        Err(e) if e.kind == ReportErrorKind::NoFields && prompt.is_none() => Ok(Vec::new()),
        // "收到", a sticker: said once a week, not the template each time.
        Err(e) if e.kind == ReportErrorKind::NoFields => {
            let week = ReportingWeek::of_instant(now, env.settings.timezone);
            let (chat, person) = (&here.chat.address, &here.person.account);
            if replies::first_hint(tx, chat, person, week, "no_report", now).await? {
                Ok(here.say("report.hint_no_fields", &[]))
            } else {
                Ok(Vec::new())
            }
        }
        _ => {
            let week = prompt.filter(|a| !a.superseded).map(|a| a.week);
            let source = Some(here.msg.message_id);
            submit(tx, env, p, &Report { text, week, source }, now).await
        }
    }
}

/// An edit of a message recorded as a report corrects that report, as a
/// second reply would, and the echo is edited in place; an edit that cannot
/// be read leaves the recorded report in force and says why.
pub async fn edited(tx: &mut Conn, env: &Env<'_>, p: InProject<'_>, now: DateTime<Utc>) -> Out {
    let here = p.here;
    let (chat, id) = (&here.chat.address, here.msg.message_id);
    let Some((project_id, week)) = stored::from_message(tx, chat, id).await? else {
        return Ok(Vec::new());
    };
    if project_id != p.project.id {
        return Ok(Vec::new());
    }
    // A `/report …` message keeps its command when edited.
    let text = match parse_command(&here.msg.text, env.bot_username) {
        Some(Parsed::Known(Command::Report, args)) => args,
        Some(_) => return Ok(Vec::new()),
        None => here.msg.text.clone(),
    };
    if let Err(e) = parse_report(&text) {
        let kept = t(here.lang, "report.edit_not_recorded", &[]);
        return Ok(vec![
            here.reply(format!("{kept}\n{}", report_error(&e, here.lang))),
        ]);
    }
    let report = Report {
        text: &text,
        week: Some(week),
        source: Some(id),
    };
    let mut out = submit(tx, env, p, &report, now).await?;
    if let Some(echo) = replies::echo_of(tx, chat, id).await? {
        for o in &mut out {
            o.edit = Some(echo);
        }
    }
    Ok(out)
}

/// A message recalled by its author: the report it held leaves force (an
/// earlier one of its week, if any, is in force again), the problems only
/// it raised are withdrawn, and the group is told.
pub async fn recalled(
    tx: &mut Conn,
    env: &Env<'_>,
    chat: &ChatRef,
    message: i64,
    now: DateTime<Utc>,
) -> Out {
    let Some(w) = stored::withdraw(tx, chat, message, now).await? else {
        return Ok(Vec::new());
    };
    problems::withdraw_unrepeated(tx, w.report_id, &[]).await?;
    let (Some(row), Some(project)) = (
        chats::by_external(tx, chat).await?,
        projects::by_id(tx, w.project_id).await?,
    ) else {
        return Ok(Vec::new());
    };
    tracing::info!(project = %project.code, week = %w.week, reinstated = w.reinstated, "report withdrawn: its message was recalled");
    let lang = row.lang(env.settings.locale);
    let key = if w.reinstated {
        "report.recalled_earlier_back"
    } else {
        "report.recalled"
    };
    let text = t(
        lang,
        key,
        &[
            ("code", project.code),
            ("name", project.name),
            ("week", w.week.to_string()),
        ],
    );
    Ok(vec![Outgoing::to(chat.clone(), text)])
}

/// `/cancel`: ends this person's dialogue in this chat.
pub async fn cancel(tx: &mut Conn, here: &Here) -> Out {
    let ended = dialogues::end(tx, &here.chat.address, &here.person.account).await?;
    let key = if ended {
        "cancel.done"
    } else {
        "cancel.nothing"
    };
    Ok(here.say(key, &[]))
}

/// A report from the chat: its text, the week it reports on where that is
/// not the current one, and the message it came in (not for a dialogue).
struct Report<'a> {
    text: &'a str,
    week: Option<ReportingWeek>,
    source: Option<i64>,
}

/// Records the report and echoes what was read, or says why it cannot be.
async fn submit(
    tx: &mut Conn,
    env: &Env<'_>,
    p: InProject<'_>,
    report: &Report<'_>,
    now: DateTime<Utc>,
) -> Out {
    let here = p.here;
    let by = here.person.account.to_string();
    let submission = Submission {
        whose: Whose::Project(p.project),
        text: report.text,
        submitted_by: &by,
        now,
        week: report.week,
        source: report.source.map(|m| (&here.chat.address, m)),
    };
    match reports::submit_in(tx, env.settings, &submission).await {
        Ok(echo) => Ok(vec![Outgoing {
            echo_of: report.source,
            ..here.reply(report_echo(&echo, here.lang, env.settings.timezone))
        }]),
        Err(SubmitError::Report(e)) => Ok(vec![here.reply(report_error(&e, here.lang))]),
        Err(SubmitError::Store(e)) => Err(e),
        Err(SubmitError::TooManyReports(limit)) => Ok(here.say(
            "report.error.too_many_reports",
            &[("limit", limit.to_string())],
        )),
        Err(SubmitError::UnknownProject(_) | SubmitError::Archived(_)) => {
            Ok(here.say("refuse.archived", &[("code", p.project.code.clone())]))
        }
    }
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

/// One answer of the guided dialogue: checked as the report line it makes,
/// kept, and followed by the next question or, after the last, the report.
pub async fn dialogue_answer(
    tx: &mut Conn,
    env: &Env<'_>,
    p: InProject<'_>,
    mut d: dialogues::Dialogue,
    now: DateTime<Utc>,
) -> Out {
    let here = p.here;
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
                let again = t(here.lang, "dialogue.bad_answer", &[("why", first)]);
                return Ok(vec![ask(here, step, Some(again))]);
            }
            Err(_) => {}
        }
    }
    let (chat, person) = (&here.chat.address, &here.person.account);
    let next = step + 1;
    if next < Field::ALL.len() {
        d.step = next as i64;
        dialogues::save(tx, chat, person, &d, now).await?;
        return Ok(vec![ask(here, next, None)]);
    }
    dialogues::end(tx, chat, person).await?;
    if d.answers.trim().is_empty() {
        return Ok(here.say("dialogue.empty", &[]));
    }
    let report = Report {
        text: &d.answers,
        week: None,
        source: None,
    };
    submit(tx, env, p, &report, now).await
}
