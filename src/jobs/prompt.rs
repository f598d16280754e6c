//! Monday: the week's prompt in every active project group.

use crate::domain::rhythm::RunCtx;
use crate::domain::time::ReportingWeek;
use crate::render::rhythm::prompt_text;
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
        out.extend(to_each(chats, ctx, |c| {
            prompt_text(&snap, &owners, week, c)
        }));
    }
    Ok(out)
}
