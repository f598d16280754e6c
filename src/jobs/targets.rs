//! Where the jobs post and whom they mention: a project's groups and the
//! leadership chats, each with the language it is answered in.

use crate::config::Settings;
use crate::domain::ids::ChatRef;
use crate::domain::lang::Lang;
use crate::domain::model::{Person, Role};
use crate::domain::outgoing::{Mention, Outgoing};
use crate::domain::rhythm::RunCtx;
use crate::store::{Conn, Result, chats, people};

use super::Planned;

/// A chat to post in, with the language it is answered in.
pub(crate) struct Target {
    pub chat: ChatRef,
    pub lang: Lang,
}

pub(crate) fn mention(p: &Person) -> Mention {
    Mention {
        account: p.account.clone(),
        name: p.display_name.clone(),
        username: p.username.clone(),
    }
}

/// The chats to post a project's messages in.
pub(crate) async fn project_chats(
    conn: &mut Conn,
    settings: &Settings,
    project_id: i64,
) -> Result<Vec<Target>> {
    Ok(chats::of_project(conn, project_id)
        .await?
        .into_iter()
        .map(|c| Target {
            lang: c.lang(settings.locale),
            chat: c.address,
        })
        .collect())
}

/// Leadership chats: configured ones, then those subscribed with
/// `/subscribe`, each once.
pub(crate) async fn leadership_chats(conn: &mut Conn, settings: &Settings) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    for chat in &settings.leadership_chats {
        let row = chats::by_external(conn, chat).await?;
        targets.push(Target {
            lang: row.map_or(settings.locale, |c| c.lang(settings.locale)),
            chat: chat.clone(),
        });
    }
    for c in chats::leadership(conn).await? {
        if !targets.iter().any(|t| t.chat == c.address) {
            targets.push(Target {
                lang: c.lang(settings.locale),
                chat: c.address,
            });
        }
    }
    Ok(targets)
}

/// The owners of a project, to mention.
pub(crate) async fn owners(conn: &mut Conn, project_id: i64) -> Result<Vec<Mention>> {
    Ok(people::with_role(conn, project_id, Role::Owner)
        .await?
        .iter()
        .map(mention)
        .collect())
}

/// One message per target chat, each in the chat's language.
pub(crate) fn to_each(
    targets: Vec<Target>,
    ctx: RunCtx,
    text: impl Fn(RunCtx) -> String,
) -> impl Iterator<Item = Planned> {
    targets.into_iter().map(move |t| Planned {
        chat_key: t.chat.key(),
        out: html(
            t.chat,
            text(RunCtx {
                lang: t.lang,
                ..ctx
            }),
        ),
    })
}

pub(crate) fn html(chat: ChatRef, text: String) -> Outgoing {
    Outgoing {
        html: true,
        ..Outgoing::to(chat, text)
    }
}
