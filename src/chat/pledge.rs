//! `/pledge` with one `milestone YYYY-MM-DD` a line: the pledged schedule
//! (军令状). A changed date is a revision; the first date is never lost.

use chrono::{DateTime, Utc};

use crate::domain::commands::{PledgeError, PledgeLine, parse_pledge};
use crate::domain::model::Milestone;
use crate::domain::outgoing::Outgoing;
use crate::domain::report::find_milestone;
use crate::render::text::{date_error, due, t};
use crate::store::{Conn, Result, milestones};

use super::Out;
use super::context::{Here, InProject};

pub async fn pledge(tx: &mut Conn, p: InProject<'_>, args: &str, now: DateTime<Utc>) -> Out {
    let here = p.here;
    let lines = match parse_pledge(args) {
        Ok(l) => l,
        Err(e) => return Ok(refusal(here, &e)),
    };
    let existing = milestones::of_project(tx, p.project.id).await?;
    let next_position = existing.iter().map(|m| m.position + 1).max().unwrap_or(0);
    let source = format!("pledge by {}", here.person.display_name);
    let mut out = vec![t(
        here.lang,
        "pledge.done",
        &[("code", p.project.code.clone())],
    )];
    for (i, line) in lines.iter().enumerate() {
        let position = next_position + i as i64;
        let text = match find_milestone(&existing, &line.name) {
            None => {
                let new = milestones::NewMilestone {
                    project_id: p.project.id,
                    name: &line.name,
                    pledged: line.date,
                    actual: None,
                    position,
                };
                milestones::insert(tx, &new, &source, now).await?;
                said(here, "pledge.line_new", line)
            }
            Some(m) if m.pledge() == line.date => said(here, "pledge.line_same", line),
            Some(m) => revise(tx, here, m, line, &source, now).await?,
        };
        out.push(text);
    }
    Ok(vec![here.reply(out.join("\n"))])
}

fn said(here: &Here, key: &str, line: &PledgeLine) -> String {
    t(
        here.lang,
        key,
        &[
            ("name", line.name.clone()),
            ("date", due(line.date, here.lang)),
        ],
    )
}

/// A new date for a pledged milestone: recorded as a revision, and said with
/// the date it replaces and, once it has slipped before, the first one.
async fn revise(
    tx: &mut Conn,
    here: &Here,
    m: &Milestone,
    line: &PledgeLine,
    source: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    milestones::revise(tx, m.id, line.date, source, now).await?;
    let key = if m.pledged == m.pledged_original {
        "pledge.line_revised_first"
    } else {
        "pledge.line_revised"
    };
    Ok(t(
        here.lang,
        key,
        &[
            ("name", m.name.clone()),
            ("date", due(line.date, here.lang)),
            ("previous", due(m.pledge(), here.lang)),
            ("original", due(m.original_pledge(), here.lang)),
        ],
    ))
}

/// Why a pledge cannot be read: the line at fault and the usage.
fn refusal(here: &Here, e: &PledgeError) -> Vec<Outgoing> {
    let lang = here.lang;
    let why = match e {
        PledgeError::Empty => return here.say("pledge.usage", &[]),
        PledgeError::TooMany { limit } => {
            return here.say("pledge.too_many", &[("limit", limit.to_string())]);
        }
        PledgeError::Date { source, .. } => date_error(source, lang),
        PledgeError::Duplicate { .. } => t(lang, "pledge.duplicate", &[]),
        PledgeError::NameTooLong { limit, .. } => t(
            lang,
            "report.error.field_too_long",
            &[("limit", limit.to_string())],
        ),
        PledgeError::Shape { .. } => t(lang, "pledge.shape", &[]),
    };
    let (line, text) = match e {
        PledgeError::Shape { line, text }
        | PledgeError::Date { line, text, .. }
        | PledgeError::NameTooLong { line, text, .. }
        | PledgeError::Duplicate { line, text } => (*line, text.clone()),
        PledgeError::Empty | PledgeError::TooMany { .. } => (0, String::new()),
    };
    let head = t(
        lang,
        "report.error.line",
        &[("line", line.to_string()), ("text", text), ("why", why)],
    );
    vec![here.reply(format!("{head}\n{}", t(lang, "pledge.usage", &[])))]
}
