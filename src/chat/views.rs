//! `/status` and `/overdue`: the project or the portfolio as things stand.

use chrono::{DateTime, Utc};

use crate::domain::bulletin::compose;
use crate::domain::commands::Place;
use crate::domain::time::ReportingWeek;
use crate::render::overview::{render_overdue, render_portfolio, render_project};
use crate::render::text::t;
use crate::service::portfolio;
use crate::store::Conn;

use super::context::Here;
use super::{Env, Out};

/// In a project group, the project; anywhere else, the portfolio.
pub async fn status(tx: &mut Conn, env: &Env<'_>, here: &Here, now: DateTime<Utc>) -> Out {
    let settings = env.settings;
    let (tz, policy) = (settings.timezone, settings.policy());
    let text = match (&here.project, here.place) {
        (Some(p), Place::ProjectGroup) => {
            match portfolio::project_with(tx, settings, &p.code, now).await? {
                Some((snap, latest, no_dm)) => {
                    render_project(&snap, latest.as_ref(), &no_dm, now, tz, policy, here.lang)
                }
                None => t(
                    here.lang,
                    "status.unknown_project",
                    &[("code", p.code.clone())],
                ),
            }
        }
        _ => {
            let week = ReportingWeek::of_instant(now, tz);
            let snaps = portfolio::snapshots_with(tx, settings, week).await?;
            render_portfolio(&snaps, now, tz, policy, here.lang)
        }
    };
    Ok(vec![here.reply(text)])
}

/// The portfolio's overdue and at-risk milestones.
pub async fn overdue(tx: &mut Conn, env: &Env<'_>, here: &Here, now: DateTime<Utc>) -> Out {
    let settings = env.settings;
    let week = ReportingWeek::of_instant(now, settings.timezone);
    let snaps = portfolio::snapshots_with(tx, settings, week).await?;
    let mut b = compose(week, now, settings.timezone, &snaps, settings.policy());
    b.see_more = settings.see_more();
    let text = render_overdue(&b, settings.warning_days, here.lang);
    Ok(vec![here.reply(text)])
}
