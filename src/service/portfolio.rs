//! Reading the portfolio as the bulletin and `status` see it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::domain::analysis::{Analysis, compose_analysis, period_dates};
use crate::domain::bulletin::{Bulletin, ProjectSnapshot, ReportHistory, compose};
use crate::domain::model::{Problem, Report, Role};
use crate::domain::time::ReportingWeek;
use crate::store::{Conn, Result, Store, milestones, people, problems, projects, reports};

/// A project's snapshot, latest report, and liaisons not reachable privately.
pub type ProjectView = (ProjectSnapshot, Option<Report>, Vec<String>);

/// Every active project with its pledge, its report in force for `week`, and
/// the problems open or changed since the week began.
pub async fn snapshots(
    store: &Store,
    settings: &Settings,
    week: ReportingWeek,
) -> Result<Vec<ProjectSnapshot>> {
    snapshots_with(&mut *store.conn().await?, settings, week).await
}

pub async fn snapshots_with(
    conn: &mut Conn,
    settings: &Settings,
    week: ReportingWeek,
) -> Result<Vec<ProjectSnapshot>> {
    let projects = projects::active(&mut *conn).await?;
    let mut liaisons = projects::liaison_names(&mut *conn, &projects).await?;
    let mut ms: HashMap<i64, Vec<_>> = HashMap::new();
    for m in milestones::of_active_projects(&mut *conn).await? {
        ms.entry(m.project_id).or_default().push(m);
    }
    let mut weekly = weekly(conn, settings, week).await?;
    Ok(projects
        .into_iter()
        .map(|p| {
            let mut snap = ProjectSnapshot {
                liaison: liaisons.remove(&p.id),
                milestones: ms.remove(&p.id).unwrap_or_default(),
                report: None,
                problems: Vec::new(),
                history: ReportHistory::default(),
                project: p,
            };
            weekly.fill(&mut snap);
            snap
        })
        .collect())
}

/// What of the snapshots changes all week, by project: the report in
/// force for the week, the reports up to it summed up, and the problems
/// open or changed since the week began. The dashboard re-reads these
/// alone when only they have changed (`src/web/snapshots.rs`).
pub struct Weekly {
    reports: HashMap<i64, Report>,
    histories: HashMap<i64, ReportHistory>,
    problems: HashMap<i64, Vec<Problem>>,
}

impl Weekly {
    /// Puts the project's weekly parts into its snapshot, in place of
    /// what it had.
    pub fn fill(&mut self, snap: &mut ProjectSnapshot) {
        let id = snap.project.id;
        snap.report = self.reports.remove(&id);
        snap.history = self.histories.remove(&id).unwrap_or_default();
        snap.problems = self.problems.remove(&id).unwrap_or_default();
    }
}

pub async fn weekly(conn: &mut Conn, settings: &Settings, week: ReportingWeek) -> Result<Weekly> {
    let reports = reports::current_for_week(&mut *conn, week)
        .await?
        .into_iter()
        .map(|r| (r.project_id, r))
        .collect();
    let mut problems: HashMap<i64, Vec<_>> = HashMap::new();
    for p in problems::relevant_since(&mut *conn, week.start(settings.timezone)).await? {
        problems.entry(p.project_id).or_default().push(p);
    }
    Ok(Weekly {
        reports,
        histories: histories(conn, week).await?,
        problems,
    })
}

/// One project's reports up to `week` summed up, for its light.
async fn history_of(
    conn: &mut Conn,
    project_id: i64,
    week: ReportingWeek,
) -> Result<ReportHistory> {
    Ok(
        reports::year_to_date_of(conn, project_id, week.first_of_year(), week)
            .await?
            .map(|(invested, last)| ReportHistory {
                invested_this_year: invested,
                last_report: Some(last),
            })
            .unwrap_or_default(),
    )
}

/// Each project's reports up to `week` summed up; the year is the week's
/// ISO year.
async fn histories(conn: &mut Conn, week: ReportingWeek) -> Result<HashMap<i64, ReportHistory>> {
    Ok(reports::year_to_date(conn, week.first_of_year(), week)
        .await?
        .into_iter()
        .map(|(id, invested, last)| {
            let h = ReportHistory {
                invested_this_year: invested,
                last_report: Some(last),
            };
            (id, h)
        })
        .collect())
}

/// The bulletin of the week containing `now`, as things stand at `now`.
pub async fn bulletin(store: &Store, settings: &Settings, now: DateTime<Utc>) -> Result<Bulletin> {
    bulletin_with(&mut *store.conn().await?, settings, now).await
}

pub async fn bulletin_with(
    conn: &mut Conn,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Bulletin> {
    let week = ReportingWeek::of_instant(now, settings.timezone);
    let snaps = snapshots_with(conn, settings, week).await?;
    let mut b = compose(week, now, settings.timezone, &snaps, settings.policy());
    b.see_more = settings.see_more();
    Ok(b)
}

/// The monthly analysis or quarterly review of `period` (`2026-11`,
/// `2026-Q4`) as it stands at `now`; none for a period that does not parse.
pub async fn analysis(
    conn: &mut Conn,
    settings: &Settings,
    period: &str,
    now: DateTime<Utc>,
) -> Result<Option<Analysis>> {
    let Some((from, _)) = period_dates(period) else {
        return Ok(None);
    };
    // Problems open at, or raised or closed since, the period's start.
    let snaps = snapshots_with(conn, settings, ReportingWeek::containing(from)).await?;
    let all = reports::current_all(conn).await?;
    let revisions = milestones::revisions_of_active(conn).await?;
    Ok(compose_analysis(
        period,
        &snaps,
        &all,
        &revisions,
        now,
        settings.timezone,
        settings.policy(),
    ))
}

/// One project in full: its snapshot for the week of `now` (all of its
/// problems), its latest report of any week, and the liaisons the bot may
/// not write to first (their pings go to the group instead).
pub async fn project(
    store: &Store,
    settings: &Settings,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<ProjectView>> {
    project_with(&mut *store.conn().await?, settings, code, now).await
}

pub async fn project_with(
    conn: &mut Conn,
    settings: &Settings,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<ProjectView>> {
    let Some(p) = projects::by_code(&mut *conn, code).await? else {
        return Ok(None);
    };
    let week = ReportingWeek::of_instant(now, settings.timezone);
    let liaison = projects::liaison_names(&mut *conn, std::slice::from_ref(&p))
        .await?
        .remove(&p.id);
    let latest = reports::latest(&mut *conn, p.id).await?;
    let report = latest.clone().filter(|r| r.week == week);
    let snap = ProjectSnapshot {
        liaison,
        milestones: milestones::of_project(&mut *conn, p.id).await?,
        report,
        problems: problems::of_project(&mut *conn, p.id).await?,
        history: history_of(conn, p.id, week).await?,
        project: p,
    };
    let no_dm = people::with_role(conn, snap.project.id, Role::Liaison)
        .await?
        .into_iter()
        .filter(|l| !l.can_dm)
        .map(|l| l.display_name)
        .collect();
    Ok(Some((snap, latest, no_dm)))
}
