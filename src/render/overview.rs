//! `status` as text: one project in detail, or the portfolio a line a
//! project. Which milestone a line names is decided in `domain::overview`.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::bulletin::{Bulletin, Policy, ProjectSnapshot};
use crate::domain::indicators::{Judged, light};
use crate::domain::lang::Lang;
use crate::domain::model::Report;
use crate::domain::money::format_money_exact;
use crate::domain::overview::{Focus, focus};
use crate::domain::status::{MilestoneStatus, milestone_status};
use crate::domain::time::local_date;

use super::bulletin::more;
use super::lights::light_line;
use super::report::Figures;
use super::text::{due, fmt_local, status_label, t};

/// One line a project: the milestone that most needs attention, this week's
/// report, and open problems. `snap.report` is this week's report.
pub fn render_portfolio(
    snaps: &[ProjectSnapshot],
    now: DateTime<Utc>,
    tz: Tz,
    policy: Policy,
    lang: Lang,
) -> String {
    let today = local_date(now, tz);
    let mut out = vec![t(
        lang,
        "status.portfolio_title",
        &[
            ("count", snaps.len().to_string()),
            ("time", fmt_local(now, tz)),
        ],
    )];
    for s in snaps {
        out.push(portfolio_line(s, today, policy, lang));
    }
    out.join("\n")
}

fn portfolio_line(s: &ProjectSnapshot, today: NaiveDate, policy: Policy, lang: Lang) -> String {
    let next = match focus(&s.milestones, today, policy.warning_days) {
        Focus::Overdue(m, st) => t(
            lang,
            "status.worst_milestone",
            &[
                ("milestone", m.name.clone()),
                ("status", status_label(st, lang)),
            ],
        ),
        Focus::Next(m, st) => t(
            lang,
            "status.next_milestone",
            &[
                ("milestone", m.name.clone()),
                ("date", due(m.pledge(), lang)),
                ("status", status_label(st, lang)),
            ],
        ),
        Focus::NoMilestones => t(lang, "status.no_milestones", &[]),
        Focus::AllDone => t(lang, "status.all_done", &[]),
    };
    let report = match &s.report {
        Some(r) => t(
            lang,
            "status.reported",
            &[(
                "progress",
                r.progress.map_or_else(|| "-".into(), |p| format!("{p}%")),
            )],
        ),
        None => t(lang, "status.not_reported", &[]),
    };
    let open = s.problems.iter().filter(|p| p.is_open()).count();
    t(
        lang,
        "status.portfolio_line",
        &[
            ("code", s.project.code.clone()),
            ("name", s.project.name.clone()),
            ("stage", t(lang, s.project.stage.label_key(), &[])),
            ("next", next),
            ("report", report),
            ("problems", open.to_string()),
        ],
    )
}

/// One project: its pledge with statuses and slips, its latest report, and
/// its open problems.
pub fn render_project(
    s: &ProjectSnapshot,
    latest: Option<&Report>,
    liaisons_without_dm: &[String],
    now: DateTime<Utc>,
    tz: Tz,
    policy: Policy,
    lang: Lang,
) -> String {
    let mut out = project_heading(s, liaisons_without_dm, lang);
    let judged = Judged::at(now, tz, policy);
    out.push(light_line(&light(s, judged), lang));
    project_milestones(&mut out, s, judged.today, policy, lang);
    out.push(latest_report(latest, tz, lang));
    open_problems(&mut out, s, now, policy, lang);
    out.join("\n")
}

fn project_heading(s: &ProjectSnapshot, liaisons_without_dm: &[String], lang: Lang) -> Vec<String> {
    let p = &s.project;
    let mut out = vec![
        t(
            lang,
            "status.project_title",
            &[
                ("code", p.code.clone()),
                ("name", p.name.clone()),
                ("stage", t(lang, p.stage.label_key(), &[])),
            ],
        ),
        t(
            lang,
            "status.project_owner",
            &[
                ("owner", p.owner_org.clone()),
                ("investment", format_money_exact(p.investment, lang)),
                (
                    "liaison",
                    s.liaison
                        .clone()
                        .unwrap_or_else(|| t(lang, "bulletin.liaison_unknown", &[])),
                ),
            ],
        ),
    ];
    if !liaisons_without_dm.is_empty() {
        out.push(t(
            lang,
            "status.liaison_no_dm",
            &[("names", liaisons_without_dm.join(", "))],
        ));
    }
    out
}

fn project_milestones(
    out: &mut Vec<String>,
    s: &ProjectSnapshot,
    today: NaiveDate,
    policy: Policy,
    lang: Lang,
) {
    out.push(t(lang, "status.milestones", &[]));
    if s.milestones.is_empty() {
        out.push(format!("  {}", t(lang, "status.no_milestones", &[])));
    }
    for m in &s.milestones {
        let st = milestone_status(m, today, policy.warning_days);
        let slip = if m.slipped() {
            t(
                lang,
                "bulletin.slip",
                &[("original", due(m.original_pledge(), lang))],
            )
        } else {
            String::new()
        };
        let actual = m.actual.map_or_else(String::new, |d| {
            t(lang, "status.actual", &[("date", d.to_string())])
        });
        out.push(format!(
            "  {}",
            t(
                lang,
                "status.milestone_line",
                &[
                    ("name", m.name.clone()),
                    ("pledged", due(m.pledge(), lang)),
                    ("slip", slip),
                    ("actual", actual),
                    ("status", status_label(st, lang)),
                ]
            )
        ));
    }
}

/// The latest report: its week, when it came (and whether late), and what
/// it said, a line a field.
fn latest_report(latest: Option<&Report>, tz: Tz, lang: Lang) -> String {
    let Some(r) = latest else {
        return t(lang, "status.no_report", &[]);
    };
    let late = if r.late {
        t(lang, "status.latest_report_late", &[])
    } else {
        String::new()
    };
    let mut out = vec![t(
        lang,
        "status.latest_report",
        &[
            ("week", r.week.to_string()),
            ("time", fmt_local(r.submitted_at, tz)),
            ("late", late),
        ],
    )];
    let figures = Figures {
        progress: r.progress,
        invested_week: r.invested_week,
        invested_total: r.invested_total,
        this_week: r.this_week.as_deref(),
        next_week: r.next_week.as_deref(),
    };
    out.extend(figures.lines(lang).into_iter().map(|l| format!("  {l}")));
    out.extend(r.free_text.iter().map(|l| {
        format!(
            "  {}",
            t(lang, "report.echo.free_text", &[("value", l.clone())])
        )
    }));
    out.join("\n")
}

fn open_problems(
    out: &mut Vec<String>,
    s: &ProjectSnapshot,
    now: DateTime<Utc>,
    policy: Policy,
    lang: Lang,
) {
    let open: Vec<_> = s.problems.iter().filter(|p| p.is_open()).collect();
    if open.is_empty() {
        return;
    }
    out.push(t(lang, "status.open_problems", &[]));
    for pr in open {
        let escalated = if pr.is_escalated(now, policy.escalate_days) {
            t(lang, "status.escalated", &[])
        } else {
            String::new()
        };
        out.push(format!(
            "  {}",
            t(
                lang,
                "status.problem_line",
                &[
                    ("id", pr.id.to_string()),
                    ("text", pr.text.clone()),
                    ("days", pr.days_open(now).to_string()),
                    ("escalated", escalated),
                ]
            )
        ));
    }
}
/// `/overdue`: the overdue and at-risk milestones of the bulletin's week,
/// or that there are none within the warning window.
pub fn render_overdue(b: &Bulletin, warning_days: i64, lang: Lang) -> String {
    if b.overdue.is_empty() && b.at_risk.is_empty() {
        return t(
            lang,
            "overdue.none",
            &[("window", warning_days.to_string())],
        );
    }
    let mut out = vec![t(
        lang,
        "overdue.title",
        &[
            ("overdue", b.overdue.len().to_string()),
            ("at_risk", b.at_risk.len().to_string()),
        ],
    )];
    // Each list as the bulletin caps it: the worst first, the rest counted
    // by zone with where to find them all.
    for part in [&b.overdue, &b.at_risk] {
        for l in part.iter().take(b.list_limit) {
            let key = match l.status {
                MilestoneStatus::Overdue { .. } => "overdue.line_overdue",
                _ => "overdue.line_at_risk",
            };
            out.push(t(
                lang,
                key,
                &[
                    ("code", l.project.code.clone()),
                    ("project", l.project.name.clone()),
                    ("milestone", l.milestone.clone()),
                    ("pledged", due(l.pledged, lang)),
                    ("days", l.status.open_days().to_string()),
                ],
            ));
        }
        if let Some(rest) = part.get(b.list_limit..).filter(|r| !r.is_empty()) {
            let rest = rest.iter().map(|l| &l.project);
            out.push(more(rest, b.see_more.as_deref(), lang));
        }
    }
    out.join("\n")
}
