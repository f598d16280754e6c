//! Wednesday: mention the owners of projects that have not reported, and
//! only them.

use crate::domain::model::Role;
use crate::domain::rhythm::{RunCtx, nudge_text};
use crate::domain::schedule::report_deadline;
use crate::domain::time::ReportingWeek;
use crate::service::portfolio;
use crate::store::{Conn, Result, people};

use super::{JobDeps, Planned, html, mention, project_chats};

pub async fn plan(
    conn: &mut Conn,
    deps: &JobDeps,
    week: ReportingWeek,
    ctx: RunCtx,
) -> Result<Vec<Planned>> {
    let deadline = report_deadline(&deps.settings.deadline, ctx.tz, week);
    let mut out = Vec::new();
    for snap in portfolio::snapshots_with(conn, &deps.settings, week).await? {
        if snap.report.is_some() {
            continue;
        }
        let chats = project_chats(conn, &deps.settings, snap.project.id).await?;
        if chats.is_empty() {
            continue;
        }
        let owners: Vec<_> = people::with_role(conn, snap.project.id, Role::Owner)
            .await?
            .iter()
            .map(mention)
            .collect();
        out.extend(chats.into_iter().map(|t| Planned {
            out: html(
                t.chat.clone(),
                nudge_text(
                    &snap,
                    &owners,
                    deadline,
                    RunCtx {
                        lang: t.lang,
                        ..ctx
                    },
                ),
            ),
            chat_key: t.chat,
        }));
    }
    Ok(out)
}
