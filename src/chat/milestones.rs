//! `/done MILESTONE [DATE]`: a pledged milestone reached.

use chrono::{DateTime, Utc};

use crate::domain::report::find_milestone;
use crate::domain::time::{local_date, parse_date};
use crate::render::text::date_error;
use crate::store::{Conn, milestones};

use super::context::InProject;
use super::{Env, Out};

/// The last word is the date when it reads as one; today otherwise.
pub async fn done(
    tx: &mut Conn,
    env: &Env<'_>,
    p: InProject<'_>,
    args: &str,
    now: DateTime<Utc>,
) -> Out {
    let here = p.here;
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
    let ms = milestones::of_project(tx, p.project.id).await?;
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
