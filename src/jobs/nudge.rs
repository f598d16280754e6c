//! Wednesday: mention the owners of projects that have not reported, and
//! only them.

use crate::domain::rhythm::RunCtx;
use crate::domain::schedule::report_deadline;
use crate::domain::time::ReportingWeek;
use crate::render::rhythm::nudge_text;
use crate::service::portfolio;
use crate::store::{Conn, Result};

use super::{JobDeps, Planned, owners, project_chats, to_each};

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
        let owners = owners(conn, snap.project.id).await?;
        out.extend(to_each(chats, ctx, |c| {
            nudge_text(&snap, &owners, deadline, c)
        }));
    }
    Ok(out)
}
