//! `status`: one project in detail, or the portfolio a line a project.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::bulletin::{Policy, ProjectSnapshot};
use super::lang::Lang;
use super::model::Report;
use super::money::format_money_exact;
use super::status::{MilestoneStatus, milestone_status};
use super::text::{fmt_local, status_label, t};
use super::time::local_date;

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
        let statuses: Vec<_> = s
            .milestones
            .iter()
            .map(|m| (m, milestone_status(m, today, policy.warning_days)))
            .collect();
        let worst_overdue = statuses
            .iter()
            .filter(|(_, st)| matches!(st, MilestoneStatus::Overdue { .. }))
            .max_by_key(|(_, st)| st.severity());
        let next_undone = statuses
            .iter()
            .filter(|(_, st)| !st.is_done())
            .min_by_key(|(m, _)| m.pledged);
        let next = match (worst_overdue, next_undone) {
            (Some((m, st)), _) => t(
                lang,
                "status.worst_milestone",
                &[
                    ("milestone", m.name.clone()),
                    ("status", status_label(*st, lang)),
                ],
            ),
            (None, Some((m, st))) => t(
                lang,
                "status.next_milestone",
                &[
                    ("milestone", m.name.clone()),
                    ("date", m.pledged.to_string()),
                    ("status", status_label(*st, lang)),
                ],
            ),
            (None, None) if s.milestones.is_empty() => t(lang, "status.no_milestones", &[]),
            (None, None) => t(lang, "status.all_done", &[]),
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
        out.push(t(
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
        ));
    }
    out.join("\n")
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
    let today = local_date(now, tz);
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
    out.push(t(lang, "status.milestones", &[]));
    if s.milestones.is_empty() {
        out.push(format!("  {}", t(lang, "status.no_milestones", &[])));
    }
    for m in &s.milestones {
        let st = milestone_status(m, today, policy.warning_days);
        out.push(format!(
            "  {}",
            t(
                lang,
                "status.milestone_line",
                &[
                    ("name", m.name.clone()),
                    ("pledged", m.pledged.to_string()),
                    (
                        "slip",
                        if m.slipped() {
                            t(
                                lang,
                                "bulletin.slip",
                                &[("original", m.pledged_original.to_string())],
                            )
                        } else {
                            String::new()
                        }
                    ),
                    (
                        "actual",
                        m.actual.map_or_else(String::new, |d| {
                            t(lang, "status.actual", &[("date", d.to_string())])
                        })
                    ),
                    ("status", status_label(st, lang)),
                ]
            )
        ));
    }
    out.push(match latest {
        Some(r) => t(
            lang,
            "status.latest_report",
            &[
                ("week", r.week.to_string()),
                ("time", fmt_local(r.submitted_at, tz)),
                (
                    "late",
                    if r.late {
                        t(lang, "status.latest_report_late", &[])
                    } else {
                        String::new()
                    },
                ),
            ],
        ),
        None => t(lang, "status.no_report", &[]),
    });
    let open: Vec<_> = s.problems.iter().filter(|p| p.is_open()).collect();
    if !open.is_empty() {
        out.push(t(lang, "status.open_problems", &[]));
        for pr in open {
            out.push(format!(
                "  {}",
                t(
                    lang,
                    "status.problem_line",
                    &[
                        ("id", pr.id.to_string()),
                        ("text", pr.text.clone()),
                        ("days", pr.days_open(now).to_string()),
                        (
                            "escalated",
                            if pr.is_escalated(now, policy.escalate_days) {
                                t(lang, "status.escalated", &[])
                            } else {
                                String::new()
                            }
                        ),
                    ]
                )
            ));
        }
    }
    out.join("\n")
}
