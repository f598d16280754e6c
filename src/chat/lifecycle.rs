//! Group life: the bot added to a group, removed from it, and a group
//! moving to a new id (Telegram's upgrade to a supergroup).

use crate::domain::ids::ChatRef;
use crate::domain::model::Role;
use crate::domain::outgoing::Outgoing;
use crate::render::text::t;
use crate::store::{Conn, chats, people, projects};

use super::context::remember;
use super::event::{ChatInfo, Sender};
use super::{Env, Out};

/// Greets the group, and says how to bind it when it is not bound yet.
pub async fn added(tx: &mut Conn, env: &Env<'_>, chat: ChatInfo, by: Sender) -> Out {
    let row = chats::upsert(tx, &chat.id, chat.kind, &chat.title).await?;
    remember(tx, &by).await?;
    chats::set_active(tx, row.id, true).await?;
    let lang = row.lang(env.settings.locale);
    let project = match row.project_id {
        Some(id) => projects::by_id(tx, id).await?,
        None => None,
    };
    let text = match project {
        Some(p) => t(
            lang,
            "group.welcome_back",
            &[("code", p.code), ("name", p.name)],
        ),
        None => t(lang, "group.welcome", &[]),
    };
    Ok(vec![Outgoing::to(chat.id, text)])
}

/// The bot was removed: the chat goes inactive and the project's liaisons
/// hear of it privately (the group can no longer be written to).
pub async fn removed(tx: &mut Conn, env: &Env<'_>, chat: ChatInfo, by: Sender) -> Out {
    let Some(row) = chats::by_external(tx, &chat.id).await? else {
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
    tracing::warn!(chat = %chat.id, project = %project.code, "bot removed from project group");
    let lang = row.lang(env.settings.locale);
    let text = t(
        lang,
        "group.removed",
        &[
            ("code", project.code.clone()),
            ("name", project.name.clone()),
            ("title", chat.title.clone()),
            ("by", by.display_name.clone()),
        ],
    );
    // Tried even if they never wrote to the bot privately: they may have
    // opened the chat from their side; a refusal is only logged.
    let liaisons = people::with_role(tx, project.id, Role::Liaison).await?;
    Ok(liaisons
        .into_iter()
        .map(|l| Outgoing::to(l.account.private_chat(), text.clone()))
        .collect())
}

pub async fn migrated(tx: &mut Conn, from: &ChatRef, to: &ChatRef) -> Out {
    let moved = chats::migrate(tx, from, to).await?;
    tracing::info!(%from, %to, bound = ?moved.and_then(|c| c.project_id), "group migrated to supergroup");
    Ok(Vec::new())
}
