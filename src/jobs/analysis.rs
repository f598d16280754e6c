//! The 1st of the month and of the quarter: the analysis of the period just
//! ended, to every leadership chat.

use crate::domain::analysis::{compose_analysis, period_dates};
use crate::domain::rhythm::RunCtx;
use crate::domain::schedule::Job;
use crate::domain::time::ReportingWeek;
use crate::render::analysis::render_analysis;
use crate::service::portfolio;
use crate::store::{Conn, Result, reports};

use super::{JobDeps, Planned, html, leadership_chats};

pub async fn plan(
    conn: &mut Conn,
    deps: &JobDeps,
    job: Job,
    period: &str,
    ctx: RunCtx,
) -> Result<Vec<Planned>> {
    let mut out = Vec::new();
    for t in leadership_chats(conn, &deps.settings).await? {
        if let Some(text) = text(
            conn,
            deps,
            job,
            period,
            RunCtx {
                lang: t.lang,
                ..ctx
            },
        )
        .await?
        {
            out.push(Planned {
                chat_key: t.chat.key(),
                out: html(t.chat, text),
            });
        }
    }
    Ok(out)
}

/// The analysis of `period` as posted (HTML).
pub async fn text(
    conn: &mut Conn,
    deps: &JobDeps,
    job: Job,
    period: &str,
    ctx: RunCtx,
) -> Result<Option<String>> {
    let settings = &deps.settings;
    let Some((from, _)) = period_dates(period) else {
        return Ok(None);
    };
    // Problems open at, or raised or closed since, the period's start.
    let snaps = portfolio::snapshots_with(conn, settings, ReportingWeek::containing(from)).await?;
    let all = reports::current_all(conn).await?;
    Ok(
        compose_analysis(period, &snaps, &all, ctx.now, ctx.tz, ctx.policy)
            .map(|a| render_analysis(&a, job == Job::Quarterly, ctx.lang, ctx.tz, ctx.late)),
    )
}
