//! Problems tracked until solved (闭环管理): `/problem TEXT` raises one,
//! `/resolve ID [TEXT]` closes it.

use chrono::{DateTime, Utc};

use crate::domain::model::Role;
use crate::domain::report::MAX_PROBLEM_CHARS;
use crate::store::{Conn, people, problems};

use super::Out;
use super::context::{Here, InProject};

pub async fn raise(tx: &mut Conn, p: InProject<'_>, args: &str, now: DateTime<Utc>) -> Out {
    let here = p.here;
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
    if let Some(known) = problems::open_with_text(tx, p.project.id, text).await? {
        return Ok(here.say("problem.known", &[("id", known.id.to_string())]));
    }
    let by = here.person.account.to_string();
    let raised = problems::insert(tx, p.project.id, text, &by, now, None).await?;
    Ok(here.say(
        "problem.recorded",
        &[("id", raised.id.to_string()), ("text", raised.text)],
    ))
}

/// A liaison may resolve their own projects' problems; an admin any.
pub async fn resolve(tx: &mut Conn, here: &Here, args: &str, now: DateTime<Utc>) -> Out {
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
    let by = here.person.account.to_string();
    if !problems::resolve(tx, id, &by, resolution.trim(), now).await? {
        return Ok(here.say("resolve.already", &[("id", id.to_string())]));
    }
    Ok(here.say("resolve.done", &[("id", id.to_string()), ("text", p.text)]))
}
