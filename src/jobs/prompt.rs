//! Monday: the week's prompt in every active project group.

use crate::domain::rhythm::RunCtx;
use crate::domain::time::ReportingWeek;
use crate::render::html::escape_html;
use crate::render::rhythm::prompt_text;
use crate::render::text::t;
use crate::service::portfolio;
use crate::store::{Conn, Result};

use super::{JobDeps, Planned, owners, project_chats, to_each};

pub async fn plan(
    conn: &mut Conn,
    deps: &JobDeps,
    week: ReportingWeek,
    ctx: RunCtx,
) -> Result<Vec<Planned>> {
    let mut out = Vec::new();
    for snap in portfolio::snapshots_with(conn, &deps.settings, week).await? {
        let chats = project_chats(conn, &deps.settings, snap.project.id).await?;
        if chats.is_empty() {
            continue;
        }
        let owners = owners(conn, snap.project.id).await?;
        for chat in chats {
            // Where the bot sees only what mentions it, a plain reply
            // would never reach it: the prompt says so.
            let mention = deps.settings.sees_only_mentions(chat.chat.platform);
            out.extend(to_each(vec![chat], ctx, |c| {
                let text = prompt_text(&snap, &owners, week, c);
                if mention {
                    let ask = escape_html(&t(c.lang, "prompt.mention_bot", &[]));
                    format!("{text}\n{ask}")
                } else {
                    text
                }
            }));
        }
    }
    Ok(out)
}
