//! A project: its facts, its light, its milestones against the original
//! pledge and every revision (a baseline Gantt), its reports week by week
//! and its problems.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::bulletin::ProjectSnapshot;
use crate::domain::indicators::ProjectLight;
use crate::domain::model::{Milestone, PledgeRevision, ProblemLevel, Report};
use crate::domain::money::format_money_short;
use crate::domain::status::{MilestoneStatus, milestone_status};
use crate::domain::time::Due;
use crate::render::lights::reason;
use crate::render::text::{due, fmt_local, status_label, week_label};

use super::{Frame, Nav, esc, figure, light_badge};
use crate::render::chart::{GanttRow, GanttWords, gantt, progress_line};

pub struct ProjectView<'a> {
    pub as_of: DateTime<Utc>,
    pub tz: Tz,
    pub today: NaiveDate,
    pub warning_days: i64,
    pub snap: &'a ProjectSnapshot,
    pub light: &'a ProjectLight,
    /// Each milestone's pledges as recorded, the first one included.
    pub revisions: &'a HashMap<i64, Vec<PledgeRevision>>,
    /// The reports in force, in week order.
    pub reports: &'a [Report],
    /// The names of the people who raised its problems, by account.
    pub names: &'a HashMap<String, String>,
}

pub fn render(f: &Frame, v: &ProjectView<'_>) -> String {
    let p = &v.snap.project;
    let mut body = String::new();
    body.push_str(&format!(
        "<p class=\"muted\">{}</p>",
        esc(&f.t("web.as_of", &[("time", fmt_local(v.as_of, v.tz))]))
    ));
    facts(&mut body, f, v);
    body.push_str(&format!("<h2>{}</h2>", esc(&f.t("web.milestones", &[]))));
    timeline(&mut body, f, v);
    milestones(&mut body, f, v);
    body.push_str(&format!("<h2>{}</h2>", esc(&f.t("web.reports", &[]))));
    reports(&mut body, f, v);
    body.push_str(&format!("<h2>{}</h2>", esc(&f.t("web.problems", &[]))));
    problems(&mut body, f, v);
    let title = format!("{} {}", p.code, p.name);
    f.page(Nav::Other, &title, &body)
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "-".to_string()
    } else {
        s.to_string()
    }
}

fn facts(body: &mut String, f: &Frame, v: &ProjectView<'_>) {
    let p = &v.snap.project;
    let sep = if f.lang == crate::domain::lang::Lang::En {
        "; "
    } else {
        "；"
    };
    let reasons: Vec<String> = v.light.reasons.iter().map(|r| reason(r, f.lang)).collect();
    let liaison = v
        .snap
        .liaison
        .clone()
        .unwrap_or_else(|| p.liaison_name.clone());
    let rows = [
        (
            "web.light",
            format!(
                "{} {}",
                light_badge(v.light.light, f.lang),
                esc(&reasons.join(sep))
            ),
        ),
        ("web.zone", esc(&or_dash(&p.zone))),
        ("web.chain", esc(&or_dash(&p.industry_chain))),
        ("web.stage", esc(&f.t(p.stage.label_key(), &[]))),
        ("web.owner_org", esc(&or_dash(&p.owner_org))),
        (
            "web.investment",
            esc(&format_money_short(p.investment, f.lang)),
        ),
        (
            "web.annual_plan",
            esc(&p
                .annual_plan
                .map_or_else(|| "-".to_string(), |a| format_money_short(a, f.lang))),
        ),
        (
            "web.invested_this_year",
            esc(&format_money_short(
                v.snap.history.invested_this_year,
                f.lang,
            )),
        ),
        ("web.liaison", esc(&or_dash(&liaison))),
        ("web.leader", esc(&or_dash(&p.leader))),
    ];
    body.push_str("<dl class=\"facts\">");
    for (key, value) in rows {
        body.push_str(&format!("<dt>{}</dt><dd>{value}</dd>", esc(&f.t(key, &[]))));
    }
    body.push_str("</dl>");
}

/// The pledges of `m` in the order they were made, the one in force last.
fn pledges(m: &Milestone, revisions: &HashMap<i64, Vec<PledgeRevision>>) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = revisions
        .get(&m.id)
        .map(|rs| rs.iter().map(|r| r.pledged).collect())
        .unwrap_or_default();
    if dates.first() != Some(&m.pledged_original) {
        dates.insert(0, m.pledged_original);
    }
    if dates.last() != Some(&m.pledged) {
        dates.push(m.pledged);
    }
    dates.dedup();
    dates
}

fn is_late(m: &Milestone, v: &ProjectView<'_>) -> bool {
    matches!(
        milestone_status(m, v.today, v.warning_days),
        MilestoneStatus::Overdue { .. } | MilestoneStatus::DoneLate { .. }
    )
}

fn timeline(body: &mut String, f: &Frame, v: &ProjectView<'_>) {
    let ms = &v.snap.milestones;
    if ms.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&f.t("web.no_pledge", &[]))));
        return;
    }
    let rows: Vec<GanttRow> = ms
        .iter()
        .map(|m| GanttRow {
            name: m.name.clone(),
            pledges: pledges(m, v.revisions),
            actual: m.actual,
            late: is_late(m, v),
        })
        .collect();
    let (title, original, revised, actual, today) = (
        f.t("web.chart_timeline", &[]),
        f.t("web.original", &[]),
        f.t("web.revised", &[]),
        f.t("web.actual", &[]),
        f.t("web.today", &[]),
    );
    let words = GanttWords {
        title: &title,
        original: &original,
        revised: &revised,
        actual: &actual,
        today: &today,
    };
    body.push_str(&figure(
        &gantt(&rows, v.today, &words),
        &f.t("web.timeline_legend", &[]),
    ));
}

fn milestones(body: &mut String, f: &Frame, v: &ProjectView<'_>) {
    if v.snap.milestones.is_empty() {
        return;
    }
    body.push_str(&f.table_head(&[
        ("web.milestone", ""),
        ("web.original", ""),
        ("web.revisions", ""),
        ("web.in_force", ""),
        ("web.actual", ""),
        ("web.status", ""),
    ]));
    for m in &v.snap.milestones {
        let original = due(
            Due {
                date: m.pledged_original,
                precision: m.original_precision,
            },
            f.lang,
        );
        let revisions: Vec<String> = v
            .revisions
            .get(&m.id)
            .map(|rs| {
                rs.iter()
                    .skip(1)
                    .map(|r| {
                        let when = fmt_local(r.recorded_at, v.tz);
                        esc(&format!(
                            "{} ({when}, {})",
                            due(
                                Due {
                                    date: r.pledged,
                                    precision: r.precision
                                },
                                f.lang
                            ),
                            r.source
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let status = status_label(milestone_status(m, v.today, v.warning_days), f.lang);
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&m.name),
            esc(&original),
            if revisions.is_empty() {
                "-".to_string()
            } else {
                revisions.join("<br>")
            },
            esc(&due(m.pledge(), f.lang)),
            esc(&m.actual.map_or_else(|| "-".to_string(), |a| a.to_string())),
            esc(&status),
        ));
    }
    body.push_str("</tbody></table>");
}

fn money(v: Option<i64>, f: &Frame) -> String {
    esc(&v.map_or_else(|| "-".to_string(), |m| format_money_short(m, f.lang)))
}

fn reports(body: &mut String, f: &Frame, v: &ProjectView<'_>) {
    if v.reports.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&f.t("web.no_reports", &[]))));
        return;
    }
    let points: Vec<(String, u8)> = v
        .reports
        .iter()
        .filter_map(|r| r.progress.map(|p| (r.week.to_string(), p)))
        .collect();
    if !points.is_empty() {
        let title = f.t("web.chart_progress", &[]);
        body.push_str(&figure(&progress_line(&points, &title), &title));
    }
    body.push_str(&f.table_head(&[
        ("web.week", ""),
        ("web.progress", "num"),
        ("web.invested_week", "num"),
        ("web.invested_total", "num wide"),
        ("web.this_week", ""),
        ("web.next_week", "wide"),
        ("web.submitted", "wide"),
    ]));
    for r in v.reports.iter().rev() {
        let late = if r.late {
            f.t("web.late", &[])
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num wide\">{}</td><td>{}</td><td class=\"wide\">{}</td><td class=\"wide\">{} {}</td></tr>",
            esc(&week_label(r.week, f.lang)),
            r.progress.map_or_else(|| "-".to_string(), |p| format!("{p}%")),
            money(r.invested_week, f),
            money(r.invested_total, f),
            esc(r.this_week.as_deref().unwrap_or("-")),
            esc(r.next_week.as_deref().unwrap_or("-")),
            esc(&fmt_local(r.submitted_at, v.tz)),
            esc(&late),
        ));
    }
    body.push_str("</tbody></table>");
}

fn problems(body: &mut String, f: &Frame, v: &ProjectView<'_>) {
    let ps = &v.snap.problems;
    if ps.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&f.t("web.no_problems", &[]))));
        return;
    }
    body.push_str(&f.table_head(&[
        ("web.number", ""),
        ("web.problem", ""),
        ("web.raised", ""),
        ("web.level", ""),
        ("web.resolved", ""),
    ]));
    for p in ps {
        let level = match p.level {
            ProblemLevel::Escalated => f.t("web.level_escalated", &[]),
            ProblemLevel::Zone => f.t("web.level_zone", &[]),
        };
        let resolved = match (&p.resolved_at, &p.resolution) {
            (Some(at), res) => format!("{} {}", fmt_local(*at, v.tz), res.as_deref().unwrap_or("")),
            (None, _) => f.t(
                "web.open_days",
                &[("days", p.days_open(v.as_of).to_string())],
            ),
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{} · {}</td><td>{}</td><td>{}</td></tr>",
            p.id,
            esc(&p.text),
            esc(&fmt_local(p.raised_at, v.tz)),
            esc(v.names.get(&p.raised_by).unwrap_or(&p.raised_by)),
            esc(&level),
            esc(&resolved),
        ));
    }
    body.push_str("</tbody></table>");
}
