//! Weekly reports from the chat: `/report` with the lines, a reply to the
//! bot's prompt, or `/report` alone, which asks the seven questions one by
//! one (answers kept in the store, so a restart loses none; `/cancel` stops).

use chrono::{DateTime, Utc};

use crate::domain::outgoing::Outgoing;
use crate::domain::report::{Field, ReportErrorKind, parse_report};
use crate::render::report::{report_echo, report_error};
use crate::render::text::t;
use crate::service::reports::{self, SubmitError};
use crate::store::{Conn, dialogues};

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
        return submit(tx, env, p, args, now).await;
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

/// A reply to one of the bot's messages that is not a dialogue answer.
pub async fn by_reply(
    tx: &mut Conn,
    env: &Env<'_>,
    p: InProject<'_>,
    prompted: bool,
    now: DateTime<Utc>,
) -> Out {
    let text = &p.here.msg.text;
    match parse_report(text) {
        // A "thanks" under the echo is conversation, not a malformed report.
        Err(e) if e.kind == ReportErrorKind::NoFields && !prompted => Ok(Vec::new()),
        _ => submit(tx, env, p, text, now).await,
    }
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

/// Records the report and echoes what was read, or says why it cannot be.
async fn submit(
    tx: &mut Conn,
    env: &Env<'_>,
    p: InProject<'_>,
    text: &str,
    now: DateTime<Utc>,
) -> Out {
    let here = p.here;
    let by = here.person.account.to_string();
    match reports::submit_with(tx, env.settings, &p.project.code, text, &by, now).await {
        Ok(echo) => Ok(vec![here.reply(report_echo(
            &echo,
            here.lang,
            env.settings.timezone,
        ))]),
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
    submit(tx, env, p, &d.answers, now).await
}
