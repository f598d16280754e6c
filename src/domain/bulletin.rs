//! The weekly bulletin (周动态): its figures, composed from a portfolio
//! snapshot. `render::bulletin` writes its text.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use std::collections::BTreeMap;

use super::indicators::{BattleMap, Judged, Rates, battle_map};
use super::model::{Milestone, Problem, Project, Report, Stage};
use super::money::YI;
use super::ranking::{Performance, bottom, performance};
use super::status::{MilestoneStatus, milestone_status};
use super::time::{Due, ReportingWeek, local_date};

/// Everything the bulletin needs to know about one active project.
#[derive(Debug, Clone)]
pub struct ProjectSnapshot {
    pub project: Project,
    /// The liaison's name to print, if one is known.
    pub liaison: Option<String>,
    pub milestones: Vec<Milestone>,
    /// The report in force for the bulletin's week.
    pub report: Option<Report>,
    /// What earlier reports add up to: this year's investment, the last
    /// week reported.
    pub history: ReportHistory,
    /// Open problems, and those raised or resolved during the week.
    pub problems: Vec<Problem>,
}

/// A project's reports before and in the week, summed up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportHistory {
    /// `invested_week` of every report in force this (ISO) year, summed.
    pub invested_this_year: i64,
    /// The latest week with a report in force, up to the week asked about.
    pub last_report: Option<ReportingWeek>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub warning_days: i64,
    pub escalate_days: i64,
    pub bottom_count: usize,
    /// The most items a list in a message shows, worst first; the rest
    /// are counted (`bulletin.list_limit`).
    pub list_limit: usize,
    /// When a project's light turns red or yellow (`lights.*`).
    pub lights: super::indicators::LightRules,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProjectRef {
    pub code: String,
    pub name: String,
    /// The zone (园区) it belongs to; empty when the sheet named none.
    pub zone: String,
}

impl ProjectRef {
    pub fn of(p: &Project) -> ProjectRef {
        ProjectRef {
            code: p.code.clone(),
            name: p.name.clone(),
            zone: p.zone.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneLine {
    pub project: ProjectRef,
    pub milestone: String,
    pub pledged: Due,
    /// The first pledge, where the pledge has slipped since.
    pub original: Option<Due>,
    pub status: MilestoneStatus,
    pub liaison: Option<String>,
    /// The project's 责任领导, when the pledge sheet names one.
    pub leader: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedLine {
    pub project: ProjectRef,
    pub milestone: String,
    pub actual: NaiveDate,
    /// Days after the pledged date in force; 0 when on time.
    pub late_days: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemLine {
    pub id: i64,
    pub project: ProjectRef,
    pub text: String,
    pub days_open: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankLine {
    pub project: ProjectRef,
    pub performance: Performance,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulletin {
    pub week: ReportingWeek,
    pub as_of: DateTime<Utc>,
    pub warning_days: i64,
    /// The most items each list shows (`Policy::list_limit`).
    pub list_limit: usize,
    pub project_count: usize,
    /// Every stage, in order, with its count (zero included).
    pub stage_counts: Vec<(Stage, usize)>,
    pub total_investment: i64,
    pub count_100m: usize,
    pub count_1b: usize,
    pub reports_received: usize,
    pub reports_expected: usize,
    pub reports_late: usize,
    pub missing: Vec<ProjectRef>,
    pub overdue: Vec<MilestoneLine>,
    pub at_risk: Vec<MilestoneLine>,
    pub completed: Vec<CompletedLine>,
    pub problems_raised: usize,
    pub problems_resolved: usize,
    pub problems_open: usize,
    pub escalated: Vec<ProblemLine>,
    pub bottom: Vec<RankLine>,
    /// The circulars' rates over the portfolio and its lights' counts.
    pub rates: Rates,
    /// The same for each zone (the picture's lights by zone).
    pub by_zone: BTreeMap<String, Rates>,
    /// Where a capped list continues: the dashboard's page of late
    /// milestones, when one is served (else the `/export` workbook).
    pub see_more: Option<String>,
}

/// Composes the bulletin for `week` as things stand at `now`.
pub fn compose(
    week: ReportingWeek,
    now: DateTime<Utc>,
    tz: Tz,
    snapshots: &[ProjectSnapshot],
    policy: Policy,
) -> Bulletin {
    let judged = Judged {
        now,
        today: local_date(now, tz),
        week,
        policy,
    };
    compose_with(judged, tz, snapshots, &battle_map(snapshots, judged))
}

/// The bulletin of the portfolio whose lights and rates `map` holds
/// already (the battle map page judges every project once for both).
pub fn compose_with(
    judged: Judged,
    tz: Tz,
    snapshots: &[ProjectSnapshot],
    map: &BattleMap,
) -> Bulletin {
    let Judged {
        now,
        today,
        week,
        policy,
    } = judged;
    let (week_start, week_end) = (week.start(tz), week.end(tz).min(now));
    let in_week = |t: DateTime<Utc>| t >= week_start && t < week_end.max(week_start);
    let mut b = empty(week, now, policy, snapshots.len());
    let mut ranked = Vec::new();
    for snap in snapshots {
        count_project(&mut b, snap);
        add_milestones(&mut b, snap, week, today, policy.warning_days);
        add_problems(&mut b, snap, now, policy.escalate_days, &in_week);
        if let Some(perf) = performance(&snap.milestones, today) {
            ranked.push((ProjectRef::of(&snap.project), perf));
        }
    }
    sort_lines(&mut b);
    b.bottom = rank_lines(&ranked, policy.bottom_count);
    b.rates = map.overall.clone();
    b.by_zone = map.by_zone.clone();
    b
}

fn empty(week: ReportingWeek, now: DateTime<Utc>, policy: Policy, projects: usize) -> Bulletin {
    Bulletin {
        week,
        as_of: now,
        warning_days: policy.warning_days,
        list_limit: policy.list_limit,
        project_count: projects,
        stage_counts: Stage::ALL.iter().map(|s| (*s, 0)).collect(),
        total_investment: 0,
        count_100m: 0,
        count_1b: 0,
        reports_received: 0,
        reports_expected: projects,
        reports_late: 0,
        missing: Vec::new(),
        overdue: Vec::new(),
        at_risk: Vec::new(),
        completed: Vec::new(),
        problems_raised: 0,
        problems_resolved: 0,
        problems_open: 0,
        escalated: Vec::new(),
        bottom: Vec::new(),
        rates: Rates::default(),
        by_zone: BTreeMap::new(),
        see_more: None,
    }
}

/// The project's stage, investment and report in the overview counts.
fn count_project(b: &mut Bulletin, snap: &ProjectSnapshot) {
    let p = &snap.project;
    if let Some((_, n)) = b.stage_counts.iter_mut().find(|(s, _)| *s == p.stage) {
        *n += 1;
    }
    b.total_investment = b.total_investment.saturating_add(p.investment);
    b.count_100m += usize::from(p.investment >= YI);
    b.count_1b += usize::from(p.investment >= 10 * YI);
    match &snap.report {
        Some(r) => {
            b.reports_received += 1;
            b.reports_late += usize::from(r.late);
        }
        None => b.missing.push(ProjectRef::of(p)),
    }
}

fn add_milestones(
    b: &mut Bulletin,
    snap: &ProjectSnapshot,
    week: ReportingWeek,
    today: NaiveDate,
    warning_days: i64,
) {
    let pref = ProjectRef::of(&snap.project);
    for m in &snap.milestones {
        let status = milestone_status(m, today, warning_days);
        let line = || MilestoneLine {
            project: pref.clone(),
            milestone: m.name.clone(),
            pledged: m.pledge(),
            original: m.slipped().then(|| m.original_pledge()),
            status,
            liaison: snap.liaison.clone(),
            leader: Some(snap.project.leader.clone()).filter(|l| !l.is_empty()),
        };
        match status {
            MilestoneStatus::Overdue { .. } => b.overdue.push(line()),
            MilestoneStatus::AtRisk { .. } => b.at_risk.push(line()),
            _ => {}
        }
        if let Some(actual) = m.actual.filter(|a| week.contains(*a) && *a <= today) {
            b.completed.push(CompletedLine {
                project: pref.clone(),
                milestone: m.name.clone(),
                actual,
                late_days: (actual - m.pledged).num_days().max(0),
            });
        }
    }
}

fn add_problems(
    b: &mut Bulletin,
    snap: &ProjectSnapshot,
    now: DateTime<Utc>,
    escalate_days: i64,
    in_week: &impl Fn(DateTime<Utc>) -> bool,
) {
    for pr in &snap.problems {
        b.problems_raised += usize::from(in_week(pr.raised_at));
        b.problems_resolved += usize::from(pr.resolved_at.is_some_and(in_week));
        let open_now = pr.raised_at <= now && pr.resolved_at.is_none_or(|r| r > now);
        b.problems_open += usize::from(open_now);
        if open_now && pr.is_escalated(now, escalate_days) {
            b.escalated.push(ProblemLine {
                id: pr.id,
                project: ProjectRef::of(&snap.project),
                text: pr.text.clone(),
                days_open: pr.days_open(now),
            });
        }
    }
}

/// Worst first, then by code, so the same portfolio always reads the same.
fn sort_lines(b: &mut Bulletin) {
    let worst_first = |a: &MilestoneLine, b: &MilestoneLine| {
        b.status
            .severity()
            .cmp(&a.status.severity())
            .then_with(|| a.project.code.cmp(&b.project.code))
            .then_with(|| a.milestone.cmp(&b.milestone))
    };
    b.overdue.sort_by(worst_first);
    b.at_risk.sort_by(worst_first);
    b.completed.sort_by(|x, y| {
        (x.actual, &x.project.code, &x.milestone).cmp(&(y.actual, &y.project.code, &y.milestone))
    });
    b.escalated
        .sort_by(|x, y| y.days_open.cmp(&x.days_open).then(x.id.cmp(&y.id)));
    b.missing.sort_by(|x, y| x.code.cmp(&y.code));
}

/// The `count` worst performers of `ranked`.
pub fn rank_lines(ranked: &[(ProjectRef, Performance)], count: usize) -> Vec<RankLine> {
    bottom(ranked, count)
        .into_iter()
        .map(|(project, performance)| RankLine {
            project,
            performance,
        })
        .collect()
}
