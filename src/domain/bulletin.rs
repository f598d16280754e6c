//! The weekly bulletin (周动态): its figures, composed from a portfolio
//! snapshot, and its text.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::lang::Lang;
use super::model::{Milestone, Problem, Project, Report, Stage};
use super::money::{YI, format_money_short};
use super::ranking::{Performance, bottom, performance};
use super::status::{MilestoneStatus, milestone_status};
use super::text::{fmt_local, t, week_label};
use super::time::{ReportingWeek, local_date};

/// Everything the bulletin needs to know about one active project.
#[derive(Debug, Clone)]
pub struct ProjectSnapshot {
    pub project: Project,
    /// The liaison's name to print, if one is known.
    pub liaison: Option<String>,
    pub milestones: Vec<Milestone>,
    /// The report in force for the bulletin's week.
    pub report: Option<Report>,
    /// Open problems, and those raised or resolved during the week.
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub warning_days: i64,
    pub escalate_days: i64,
    pub bottom_count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneLine {
    pub project: ProjectRef,
    pub milestone: String,
    pub pledged: NaiveDate,
    /// The first pledged date, where the pledge has slipped since.
    pub original: Option<NaiveDate>,
    pub status: MilestoneStatus,
    pub liaison: Option<String>,
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
}

fn project_ref(p: &Project) -> ProjectRef {
    ProjectRef {
        code: p.code.clone(),
        name: p.name.clone(),
    }
}

/// Composes the bulletin for `week` as things stand at `now`.
pub fn compose(
    week: ReportingWeek,
    now: DateTime<Utc>,
    tz: Tz,
    snapshots: &[ProjectSnapshot],
    policy: Policy,
) -> Bulletin {
    let today = local_date(now, tz);
    let (week_start, week_end) = (week.start(tz), week.end(tz).min(now));
    let in_week = |t: DateTime<Utc>| t >= week_start && t < week_end.max(week_start);
    let mut b = Bulletin {
        week,
        as_of: now,
        warning_days: policy.warning_days,
        project_count: snapshots.len(),
        stage_counts: Stage::ALL.iter().map(|s| (*s, 0)).collect(),
        total_investment: 0,
        count_100m: 0,
        count_1b: 0,
        reports_received: 0,
        reports_expected: snapshots.len(),
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
    };
    let mut ranked = Vec::new();
    for snap in snapshots {
        let p = &snap.project;
        let pref = project_ref(p);
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
            None => b.missing.push(pref.clone()),
        }
        for m in &snap.milestones {
            let status = milestone_status(m, today, policy.warning_days);
            let line = || MilestoneLine {
                project: pref.clone(),
                milestone: m.name.clone(),
                pledged: m.pledged,
                original: m.slipped().then_some(m.pledged_original),
                status,
                liaison: snap.liaison.clone(),
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
        for pr in &snap.problems {
            b.problems_raised += usize::from(in_week(pr.raised_at));
            b.problems_resolved += usize::from(pr.resolved_at.is_some_and(in_week));
            let open_now = pr.raised_at <= now && pr.resolved_at.is_none_or(|r| r > now);
            b.problems_open += usize::from(open_now);
            if open_now && pr.is_escalated(now, policy.escalate_days) {
                b.escalated.push(ProblemLine {
                    id: pr.id,
                    project: pref.clone(),
                    text: pr.text.clone(),
                    days_open: pr.days_open(now),
                });
            }
        }
        if let Some(perf) = performance(&snap.milestones, today) {
            ranked.push((pref, perf));
        }
    }
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
    let keyed: Vec<((String, String), Performance)> = ranked
        .into_iter()
        .map(|(r, p)| ((r.code, r.name), p))
        .collect();
    b.bottom = bottom(&keyed, policy.bottom_count)
        .into_iter()
        .map(|((code, name), performance)| RankLine {
            project: ProjectRef { code, name },
            performance,
        })
        .collect();
    b
}

/// The bulletin as text: parts in a fixed order, one item a line, so a
/// splitter may cut it at line boundaries.
pub fn render(b: &Bulletin, lang: Lang, tz: Tz) -> String {
    let mut out: Vec<String> = Vec::new();
    let none = || format!("  {}", t(lang, "bulletin.none", &[]));
    let liaison = |l: &Option<String>| {
        l.clone()
            .unwrap_or_else(|| t(lang, "bulletin.liaison_unknown", &[]))
    };
    let slip = |o: &Option<NaiveDate>| match o {
        Some(d) => t(lang, "bulletin.slip", &[("original", d.to_string())]),
        None => String::new(),
    };
    out.push(t(
        lang,
        "bulletin.title",
        &[("week", week_label(b.week, lang))],
    ));
    out.push(t(
        lang,
        "bulletin.as_of",
        &[("time", fmt_local(b.as_of, tz))],
    ));
    out.push(String::new());

    out.push(t(lang, "bulletin.overview", &[]));
    let sep = if lang == Lang::En { ", " } else { " · " };
    let stages = b
        .stage_counts
        .iter()
        .map(|(s, n)| format!("{} {n}", t(lang, s.label_key(), &[])))
        .collect::<Vec<_>>()
        .join(sep);
    out.push(format!(
        "  {}",
        t(
            lang,
            "bulletin.projects",
            &[("count", b.project_count.to_string()), ("stages", stages)]
        )
    ));
    out.push(format!(
        "  {}",
        t(
            lang,
            "bulletin.investment",
            &[
                ("total", format_money_short(b.total_investment, lang)),
                ("yi", b.count_100m.to_string()),
                ("shiyi", b.count_1b.to_string()),
            ]
        )
    ));
    out.push(String::new());

    out.push(t(
        lang,
        "bulletin.reports",
        &[
            ("received", b.reports_received.to_string()),
            ("expected", b.reports_expected.to_string()),
            ("late", b.reports_late.to_string()),
        ],
    ));
    if !b.missing.is_empty() {
        let list = b
            .missing
            .iter()
            .map(|p| format!("{} {}", p.code, p.name))
            .collect::<Vec<_>>()
            .join(if lang == Lang::En { "; " } else { "；" });
        out.push(format!(
            "  {}",
            t(lang, "bulletin.missing", &[("list", list)])
        ));
    }
    out.push(String::new());

    let milestone_part =
        |out: &mut Vec<String>, title: String, key: &str, lines: &[MilestoneLine]| {
            out.push(title);
            if lines.is_empty() {
                out.push(none());
            }
            for l in lines {
                let days = match l.status {
                    MilestoneStatus::Overdue { days } => days,
                    MilestoneStatus::AtRisk { days_left } => days_left,
                    _ => 0,
                };
                out.push(format!(
                    "  {}",
                    t(
                        lang,
                        key,
                        &[
                            ("code", l.project.code.clone()),
                            ("project", l.project.name.clone()),
                            ("milestone", l.milestone.clone()),
                            ("pledged", l.pledged.to_string()),
                            ("slip", slip(&l.original)),
                            ("days", days.to_string()),
                            ("liaison", liaison(&l.liaison)),
                        ]
                    )
                ));
            }
            out.push(String::new());
        };
    milestone_part(
        &mut out,
        t(
            lang,
            "bulletin.overdue",
            &[("count", b.overdue.len().to_string())],
        ),
        "bulletin.overdue_line",
        &b.overdue,
    );
    milestone_part(
        &mut out,
        t(
            lang,
            "bulletin.at_risk",
            &[
                ("window", b.warning_days.to_string()),
                ("count", b.at_risk.len().to_string()),
            ],
        ),
        "bulletin.at_risk_line",
        &b.at_risk,
    );

    out.push(t(
        lang,
        "bulletin.completed",
        &[("count", b.completed.len().to_string())],
    ));
    if b.completed.is_empty() {
        out.push(none());
    }
    for c in &b.completed {
        let key = if c.late_days > 0 {
            "bulletin.completed_late"
        } else {
            "bulletin.completed_on_time"
        };
        out.push(format!(
            "  {}",
            t(
                lang,
                key,
                &[
                    ("code", c.project.code.clone()),
                    ("project", c.project.name.clone()),
                    ("milestone", c.milestone.clone()),
                    ("actual", c.actual.to_string()),
                    ("days", c.late_days.to_string()),
                ]
            )
        ));
    }
    out.push(String::new());

    out.push(t(
        lang,
        "bulletin.problems",
        &[
            ("raised", b.problems_raised.to_string()),
            ("resolved", b.problems_resolved.to_string()),
            ("open", b.problems_open.to_string()),
            ("escalated", b.escalated.len().to_string()),
        ],
    ));
    for p in &b.escalated {
        out.push(format!(
            "  {}",
            t(
                lang,
                "bulletin.escalated_line",
                &[
                    ("id", p.id.to_string()),
                    ("code", p.project.code.clone()),
                    ("project", p.project.name.clone()),
                    ("text", p.text.clone()),
                    ("days", p.days_open.to_string()),
                ]
            )
        ));
    }
    out.push(String::new());

    out.push(t(lang, "bulletin.bottom", &[]));
    if b.bottom.is_empty() {
        out.push(none());
    }
    for (i, r) in b.bottom.iter().enumerate() {
        let p = r.performance;
        out.push(format!(
            "  {}",
            t(
                lang,
                "bulletin.bottom_line",
                &[
                    ("rank", (i + 1).to_string()),
                    ("code", r.project.code.clone()),
                    ("project", r.project.name.clone()),
                    ("score", p.score.to_string()),
                    ("due", p.due.to_string()),
                    ("on_time", p.on_time.to_string()),
                    ("late", p.late.to_string()),
                    ("overdue", p.overdue.to_string()),
                    ("days", p.overdue_days.to_string()),
                ]
            )
        ));
    }
    out.join("\n")
}
