//! Setting a project's group up: `/newproject`, `/bind`, and naming its
//! owner and liaison with `/setowner` and `/setliaison` in reply to them.

use chrono::{DateTime, Utc};

use crate::domain::model::{Project, Role, Stage};
use crate::store::{Conn, chats, people, projects};

use super::Out;
use super::context::{Here, InProject, remember};

/// Longest project name accepted from a chat.
const MAX_PROJECT_NAME: usize = 200;

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.chars().count() <= 32
        && code
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `/newproject CODE NAME`: creates the project and binds this group to it.
pub async fn new_project(tx: &mut Conn, here: &Here, args: &str, now: DateTime<Utc>) -> Out {
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
        leader: String::new(),
        annual_plan: None,
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

/// `/bind CODE`: binds this group to a project imported from a sheet.
pub async fn bind(tx: &mut Conn, here: &Here, args: &str) -> Out {
    let code = args.trim();
    if code.is_empty() || code.contains(char::is_whitespace) {
        return Ok(here.say("bind.usage", &[]));
    }
    let Some(project) = projects::by_code(tx, code).await? else {
        return Ok(here.say("bind.no_project", &[("code", code.to_string())]));
    };
    // Only an admin may move a group bound to another project.
    if let Some(current) = &here.project
        && current.id != project.id
        && !here.roles.admin
    {
        return Ok(here.say(
            "newproject.already_bound",
            &[("code", current.code.clone())],
        ));
    }
    chats::bind(tx, here.chat.id, project.id).await?;
    Ok(here.say(
        "bind.done",
        &[("code", project.code), ("name", project.name)],
    ))
}

/// `/setowner`, `/setliaison`: in reply to the person who takes the role.
pub async fn set_role(tx: &mut Conn, p: InProject<'_>, role: Role) -> Out {
    let here = p.here;
    let target = here
        .msg
        .reply_to
        .as_ref()
        .filter(|r| !r.from_bot)
        .and_then(|r| r.sender.as_ref());
    let Some(target) = target else {
        return Ok(here.say(
            "setrole.usage",
            &[("command", format!("/set{}", role.code()))],
        ));
    };
    let person = remember(tx, target).await?;
    people::add_role(tx, p.project.id, person.id, role).await?;
    let key = match role {
        Role::Owner => "setrole.owner_done",
        Role::Liaison => "setrole.liaison_done",
    };
    Ok(here.say(
        key,
        &[
            ("name", person.display_name),
            ("code", p.project.code.clone()),
        ],
    ))
}
