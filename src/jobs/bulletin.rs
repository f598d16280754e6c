//! Friday: the weekly bulletin to every leadership chat, and after it its
//! picture (lights by zone, the longest-overdue milestones' days).

use crate::domain::bulletin::compose;
use crate::domain::rhythm::RunCtx;
use crate::domain::time::ReportingWeek;
use crate::render::picture::bulletin_chart;
use crate::render::rhythm::bulletin_html;
use crate::render::text::{t, week_label};
use crate::service::portfolio;
use crate::store::{Conn, Result};

use super::{JobDeps, Planned, leadership_chats, picture, to_each};

/// The bulletin of `week` (the week of its scheduled time), as things stand
/// now, or at the week's end when sent after it.
pub async fn plan(
    conn: &mut Conn,
    deps: &JobDeps,
    week: ReportingWeek,
    ctx: RunCtx,
) -> Result<Vec<Planned>> {
    let settings = &deps.settings;
    let as_of = ctx.now.min(week.end(ctx.tz) - chrono::Duration::seconds(1));
    let snaps = portfolio::snapshots_with(conn, settings, week).await?;
    let mut b = compose(week, as_of, ctx.tz, &snaps, ctx.policy);
    b.see_more = settings.see_more();
    if !settings.calendar.has_working_day(week) {
        // A week off is not expected to report: nobody is missing.
        b.reports_expected = 0;
        b.missing.clear();
    }
    let targets = leadership_chats(conn, settings).await?;
    let pictures = picture::each(&targets, "bulletin", |lang| {
        let chart = bulletin_chart(&b, lang)?;
        let caption = t(
            lang,
            "chart.bulletin_caption",
            &[("week", week_label(week, lang))],
        );
        Some((chart, caption, format!("duban-{week}.png")))
    });
    let texts = to_each(targets, ctx, |c| bulletin_html(&b, c)).collect();
    Ok(picture::after(texts, pictures))
}
