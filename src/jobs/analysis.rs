//! The 1st of the month and of the quarter: the analysis of the period just
//! ended, to every leadership chat, and after it its picture (the rates
//! week by week).

use crate::domain::analysis::Analysis;
use crate::domain::rhythm::RunCtx;
use crate::domain::schedule::Job;
use crate::render::analysis::{render_analysis, trend_picture};
use crate::render::text::t;
use crate::service::portfolio;
use crate::store::{Conn, Result};

use super::{JobDeps, Planned, html, leadership_chats, picture};

pub async fn plan(
    conn: &mut Conn,
    deps: &JobDeps,
    job: Job,
    period: &str,
    ctx: RunCtx,
) -> Result<Vec<Planned>> {
    let Some(a) = analysis(conn, deps, period, ctx).await? else {
        return Ok(Vec::new());
    };
    let targets = leadership_chats(conn, &deps.settings).await?;
    let pictures = picture::each(&targets, "trend", |lang| {
        let chart = trend_picture(&a, lang)?;
        let caption = t(lang, "chart.trend_caption", &[("period", a.period.clone())]);
        Some((chart, caption, format!("duban-{period}.png")))
    });
    let quarterly = job == Job::Quarterly;
    let texts = targets
        .into_iter()
        .map(|t| Planned {
            chat_key: t.chat.key(),
            out: html(
                t.chat,
                render_analysis(&a, quarterly, t.lang, ctx.tz, ctx.late),
            ),
        })
        .collect();
    Ok(picture::after(texts, pictures))
}

/// The analysis of `period` as posted (HTML).
pub async fn text(
    conn: &mut Conn,
    deps: &JobDeps,
    job: Job,
    period: &str,
    ctx: RunCtx,
) -> Result<Option<String>> {
    Ok(analysis(conn, deps, period, ctx)
        .await?
        .map(|a| render_analysis(&a, job == Job::Quarterly, ctx.lang, ctx.tz, ctx.late)))
}

async fn analysis(
    conn: &mut Conn,
    deps: &JobDeps,
    period: &str,
    ctx: RunCtx,
) -> Result<Option<Analysis>> {
    portfolio::analysis(conn, &deps.settings, period, ctx.now).await
}
