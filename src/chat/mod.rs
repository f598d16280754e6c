//! What the bot says and does when people write to it: commands, reports by
//! reply or dialogue, and group life. Platform-free (ARCHITECTURE.md rule 8):
//! events come in as plain values with typed ids, replies go out as
//! [`Outgoing`] messages; all effects happen in the caller's transaction,
//! which also marks the update handled (ARCHITECTURE.md rule 4). The one
//! thing made before it, `/export`'s workbook, only reads ([`prepare`]).
//!
//! One file per group of commands; this one only routes.

mod context;
pub mod event;
mod help;
mod lifecycle;
mod milestones;
mod pledge;
mod problems;
mod report;
mod settings;
mod setup;
mod sheets;
mod views;
mod web;

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::domain::commands::{Command, Parsed, Place, Refusal, authorize, parse_command};
use crate::domain::model::Role;
use crate::domain::outgoing::Outgoing;
use crate::store::{Conn, StoreError, dialogues, outbox};

use context::{Here, InProject};
pub use event::{Attachment, ChatInfo, Event, IncomingMessage, ReplyTo, Sender};
pub use sheets::{MAX_SHEET_BYTES, Prepared, is_upload, needs_preparing, prepare};

/// What the conversation needs beyond the store.
pub struct Env<'a> {
    pub settings: &'a Settings,
    pub bot_username: &'a str,
    /// What [`prepare`] made for this event before its transaction opened
    /// (`/export`'s workbook); `None` when nothing was prepared.
    pub prepared: Option<&'a Prepared>,
}

/// Every handler's answer: the replies to send once the transaction commits.
type Out = Result<Vec<Outgoing>, StoreError>;

/// Handles one event; every reply is returned, none is sent here.
pub async fn handle(tx: &mut Conn, env: &Env<'_>, event: Event, now: DateTime<Utc>) -> Out {
    match event {
        Event::Message(m) => on_message(tx, env, m, now).await,
        Event::Edited(m) => on_edit(tx, env, m, now).await,
        Event::BotAdded { chat, by } => lifecycle::added(tx, env, chat, by).await,
        Event::BotRemoved { chat, by } => lifecycle::removed(tx, env, chat, by).await,
        Event::Migrated { from, to } => lifecycle::migrated(tx, &from, &to).await,
        Event::Recalled { chat, message_id } => {
            report::recalled(tx, env, &chat, message_id, now).await
        }
    }
}

async fn on_message(tx: &mut Conn, env: &Env<'_>, msg: IncomingMessage, now: DateTime<Utc>) -> Out {
    let here = Here::load(tx, env.settings, msg).await?;
    if let Some(p) = &here.project {
        // The adapter's span declares the field; the project is known only here.
        tracing::Span::current().record("project", p.code.as_str());
    }
    // A file sent privately is a pledge sheet, whatever its caption says.
    if is_upload(&here.msg) {
        return sheets::upload(tx, env, &here, now).await;
    }
    if let Some(parsed) = parse_command(&here.msg.text, env.bot_username) {
        return match parsed {
            Parsed::OtherBot => Ok(Vec::new()),
            // In a group, a command for no bot in particular may be another
            // bot's: only one addressed to us, or in private, is answered.
            Parsed::Unknown(_) if here.place != Place::Private => Ok(Vec::new()),
            Parsed::Unknown(name) | Parsed::UnknownToUs(name) => {
                Ok(here.say("unknown_command", &[("name", name)]))
            }
            Parsed::Known(cmd, args) => match authorize(cmd, here.roles, here.place) {
                Err(refusal) => Ok(here.refuse(refusal)),
                Ok(()) => run_command(tx, env, &here, cmd, &args, now).await,
            },
        };
    }
    if let Some(reply) = &here.msg.reply_to
        && reply.from_bot
        && here.place == Place::ProjectGroup
        && let Some(p) = here.in_project()
    {
        let (chat, person) = (&here.chat.address, &here.person.account);
        if let Some(d) = dialogues::get_for(tx, chat, person).await? {
            // A sticker is no answer to a question.
            if here.msg.text.trim().is_empty() {
                return Ok(Vec::new());
            }
            return report::dialogue_answer(tx, env, p, d, now).await;
        }
        // A reply to the weekly prompt is a report even when it cannot be
        // read, so its author learns why.
        let prompt = outbox::prompt_answered(tx, chat, reply.message_id).await?;
        return report::by_reply(tx, env, p, prompt, now).await;
    }
    if here.place == Place::Private {
        return Ok(here.say("private_hint", &[]));
    }
    Ok(Vec::new())
}

/// An edited message: a correction when it was recorded as a report, in a
/// project group; nothing otherwise.
async fn on_edit(tx: &mut Conn, env: &Env<'_>, msg: IncomingMessage, now: DateTime<Utc>) -> Out {
    let here = Here::load(tx, env.settings, msg).await?;
    match here.in_project() {
        Some(p) if here.place == Place::ProjectGroup => report::edited(tx, env, p, now).await,
        _ => Ok(Vec::new()),
    }
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
        Command::Start | Command::Help => help::help(tx, here).await,
        Command::NewProject => setup::new_project(tx, here, args, now).await,
        Command::Bind => setup::bind(tx, here, args).await,
        Command::Resolve => problems::resolve(tx, here, args, now).await,
        Command::Status => views::status(tx, env, here, now).await,
        Command::Overdue => views::overdue(tx, env, here, now).await,
        Command::Export => sheets::export_command(tx, env, here).await,
        Command::Web => web::web(tx, env, here, now).await,
        Command::Subscribe => settings::subscribe(tx, here).await,
        Command::Lang => settings::lang(tx, here, args).await,
        Command::Cancel => report::cancel(tx, here).await,
        Command::Pledge => with_project(here, |p| pledge::pledge(tx, p, args, now)).await,
        Command::Report => with_project(here, |p| report::command(tx, env, p, args, now)).await,
        Command::Done => with_project(here, |p| milestones::done(tx, env, p, args, now)).await,
        Command::Problem => with_project(here, |p| problems::raise(tx, p, args, now)).await,
        Command::SetOwner => with_project(here, |p| setup::set_role(tx, p, Role::Owner)).await,
        Command::SetLiaison => with_project(here, |p| setup::set_role(tx, p, Role::Liaison)).await,
    }
}

/// Runs a command that acts on the chat's project. `authorize` allows those
/// in project groups only, so the refusal is for a group unbound between
/// the check and here.
async fn with_project<'h, F>(here: &'h Here, command: impl FnOnce(InProject<'h>) -> F) -> Out
where
    F: Future<Output = Out>,
{
    match here.in_project() {
        Some(p) => command(p).await,
        None => Ok(here.refuse(Refusal::ProjectGroupOnly)),
    }
}
