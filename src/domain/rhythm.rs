//! What the weekly rhythm says: the Monday prompt, the Wednesday nudge, the
//! Thursday deadline ping to liaisons, and the bulletin as it is posted.
//! All texts are Telegram HTML with every value escaped, so mentions notify.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::bulletin::{Bulletin, Policy, ProjectSnapshot, render};
use super::lang::Lang;
use super::outgoing::{Mention, escape_html};
use super::status::{MilestoneStatus, milestone_status};
use super::text::{fmt_local, status_label, t, week_label};
use super::time::{ReportingWeek, local_date};

/// How many upcoming milestones a prompt lists.
const PROMPT_MILESTONES: usize = 3;

/// The circumstances of one run: when, where, in what language, and
/// whether it comes late (the bot was down at the scheduled time).
#[derive(Debug, Clone, Copy)]
pub struct RunCtx {
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub policy: Policy,
    pub lang: Lang,
    pub late: bool,
}

fn mentions(people: &[Mention]) -> String {
    people
        .iter()
        .map(Mention::html)
        .collect::<Vec<_>>()
        .join(" ")
}

fn late_line(lang: Lang, late: bool) -> Option<String> {
    late.then(|| escape_html(&t(lang, "rhythm.late", &[])))
}

/// The week's prompt in a project group: who is asked, the template, what
/// is due next, and what is still open.
pub fn prompt_text(
    snap: &ProjectSnapshot,
    owners: &[Mention],
    week: ReportingWeek,
    c: RunCtx,
) -> String {
    let RunCtx {
        now,
        tz,
        policy,
        lang,
        late,
    } = c;
    let today = local_date(now, tz);
    let p = &snap.project;
    let mut out: Vec<String> = late_line(lang, late).into_iter().collect();
    out.push(format!(
        "<b>{}</b>",
        escape_html(&t(
            lang,
            "prompt.title",
            &[
                ("code", p.code.clone()),
                ("name", p.name.clone()),
                ("week", week_label(week, lang)),
            ],
        ))
    ));
    let ask = escape_html(&t(lang, "prompt.ask", &[]));
    out.push(if owners.is_empty() {
        ask
    } else {
        format!("{} {ask}", mentions(owners))
    });
    out.push(String::new());
    out.push(escape_html(&t(lang, "report.template", &[])));
    let mut upcoming: Vec<_> = snap
        .milestones
        .iter()
        .map(|m| (m, milestone_status(m, today, policy.warning_days)))
        .filter(|(_, s)| !s.is_done())
        .collect();
    upcoming.sort_by_key(|(m, _)| m.pledged);
    if !upcoming.is_empty() {
        out.push(String::new());
        out.push(escape_html(&t(lang, "prompt.milestones", &[])));
        for (m, s) in upcoming.iter().take(PROMPT_MILESTONES) {
            out.push(escape_html(&format!(
                "· {} {} · {}",
                m.name,
                m.pledged,
                status_label(*s, lang)
            )));
        }
    }
    let open: Vec<_> = snap.problems.iter().filter(|p| p.is_open()).collect();
    if !open.is_empty() {
        out.push(String::new());
        out.push(escape_html(&t(lang, "prompt.problems", &[])));
        for pr in open {
            out.push(escape_html(&t(
                lang,
                "prompt.problem_line",
                &[
                    ("id", pr.id.to_string()),
                    ("text", pr.text.clone()),
                    ("days", pr.days_open(now).to_string()),
                ],
            )));
        }
    }
    out.join("\n")
}

/// The mid-week reminder, only where no report has arrived.
pub fn nudge_text(
    snap: &ProjectSnapshot,
    owners: &[Mention],
    deadline: Option<DateTime<Utc>>,
    c: RunCtx,
) -> String {
    let RunCtx { tz, lang, late, .. } = c;
    let mut out: Vec<String> = late_line(lang, late).into_iter().collect();
    let body = escape_html(&t(
        lang,
        "nudge.text",
        &[
            ("code", snap.project.code.clone()),
            ("name", snap.project.name.clone()),
            (
                "deadline",
                deadline.map_or_else(|| "-".into(), |d| fmt_local(d, tz)),
            ),
        ],
    ));
    out.push(if owners.is_empty() {
        body
    } else {
        format!("{} {body}", mentions(owners))
    });
    out.join("\n")
}

/// What one project contributes to its liaison's deadline ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiaisonItem {
    pub code: String,
    pub name: String,
    pub missing_report: bool,
    /// (milestone, pledged date, status) overdue or at risk.
    pub milestones: Vec<(String, chrono::NaiveDate, MilestoneStatus)>,
    /// (id, text, days open) past the escalation limit.
    pub escalated: Vec<(i64, String, i64)>,
}

impl LiaisonItem {
    pub fn is_empty(&self) -> bool {
        !self.missing_report && self.milestones.is_empty() && self.escalated.is_empty()
    }
}

/// What needs a liaison's attention in one project; `None` when nothing does.
pub fn liaison_item(snap: &ProjectSnapshot, c: RunCtx, expect_report: bool) -> Option<LiaisonItem> {
    let RunCtx {
        now, tz, policy, ..
    } = c;
    let today = local_date(now, tz);
    let item = LiaisonItem {
        code: snap.project.code.clone(),
        name: snap.project.name.clone(),
        missing_report: expect_report && snap.report.is_none(),
        milestones: snap
            .milestones
            .iter()
            .map(|m| (m, milestone_status(m, today, policy.warning_days)))
            .filter(|(_, s)| {
                matches!(
                    s,
                    MilestoneStatus::Overdue { .. } | MilestoneStatus::AtRisk { .. }
                )
            })
            .map(|(m, s)| (m.name.clone(), m.pledged, s))
            .collect(),
        escalated: snap
            .problems
            .iter()
            .filter(|p| p.is_escalated(now, policy.escalate_days))
            .map(|p| (p.id, p.text.clone(), p.days_open(now)))
            .collect(),
    };
    (!item.is_empty()).then_some(item)
}

fn item_lines(item: &LiaisonItem, lang: Lang) -> Vec<String> {
    let mut out = vec![escape_html(&format!("{} {}", item.code, item.name))];
    if item.missing_report {
        out.push(escape_html(&format!(
            "· {}",
            t(lang, "deadline.missing", &[])
        )));
    }
    for (name, pledged, status) in &item.milestones {
        out.push(escape_html(&format!(
            "· {name} {pledged} · {}",
            status_label(*status, lang)
        )));
    }
    for (id, text, days) in &item.escalated {
        out.push(escape_html(&format!(
            "· {}",
            t(
                lang,
                "deadline.escalated",
                &[
                    ("id", id.to_string()),
                    ("text", text.clone()),
                    ("days", days.to_string()),
                ]
            )
        )));
    }
    out
}

/// The private ping to one liaison, covering all their projects.
pub fn deadline_text(items: &[LiaisonItem], week: ReportingWeek, c: RunCtx) -> String {
    let RunCtx { lang, late, .. } = c;
    let mut out: Vec<String> = late_line(lang, late).into_iter().collect();
    out.push(format!(
        "<b>{}</b>",
        escape_html(&t(
            lang,
            "deadline.title",
            &[("week", week_label(week, lang))]
        ))
    ));
    for item in items {
        out.push(String::new());
        out.extend(item_lines(item, lang));
    }
    out.join("\n")
}

/// Where the liaison cannot be written to privately: a mention in the
/// project's own group, with that project's part only.
pub fn deadline_fallback_text(liaison: &Mention, item: &LiaisonItem, lang: Lang) -> String {
    let mut out = vec![format!(
        "{} {}",
        liaison.html(),
        escape_html(&t(lang, "deadline.fallback", &[]))
    )];
    out.extend(item_lines(item, lang));
    out.join("\n")
}

/// The bulletin as posted: escaped, its title in bold.
pub fn bulletin_html(b: &Bulletin, c: RunCtx) -> String {
    let RunCtx { lang, tz, late, .. } = c;
    let text = render(b, lang, tz);
    let mut lines = text.lines();
    let title = lines.next().unwrap_or_default();
    let mut out: Vec<String> = late_line(lang, late).into_iter().collect();
    out.push(format!("<b>{}</b>", escape_html(title)));
    out.extend(lines.map(escape_html));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{Milestone, Problem, ProblemLevel, Project, Stage};
    use chrono::{NaiveDate, TimeZone};

    fn snap() -> ProjectSnapshot {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        ProjectSnapshot {
            project: Project {
                id: 1,
                code: "P1".into(),
                name: "电池<材料>".into(),
                owner_org: String::new(),
                zone: String::new(),
                industry_chain: String::new(),
                stage: Stage::Construction,
                investment: 0,
                liaison_name: String::new(),
                active: true,
            },
            liaison: None,
            milestones: vec![
                Milestone {
                    id: 1,
                    project_id: 1,
                    name: "开工".into(),
                    pledged_original: d(11, 20),
                    pledged: d(11, 20),
                    actual: None,
                    position: 0,
                },
                Milestone {
                    id: 2,
                    project_id: 1,
                    name: "竣工".into(),
                    pledged_original: d(12, 30),
                    pledged: d(12, 30),
                    actual: None,
                    position: 1,
                },
            ],
            report: None,
            problems: vec![Problem {
                id: 7,
                project_id: 1,
                text: "用电 & 用水".into(),
                raised_by: "x".into(),
                raised_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
                level: ProblemLevel::Zone,
                resolved_at: None,
                resolution: None,
            }],
        }
    }

    fn ctx(now: DateTime<Utc>) -> RunCtx {
        RunCtx {
            now,
            tz: chrono_tz::Asia::Shanghai,
            policy: Policy {
                warning_days: 14,
                escalate_days: 14,
                bottom_count: 3,
            },
            lang: Lang::ZhCn,
            late: false,
        }
    }

    #[test]
    fn prompt_mentions_owners_and_escapes_everything_else() {
        let tz = chrono_tz::Asia::Shanghai;
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap();
        let owners = vec![Mention {
            external_id: "42".into(),
            name: "王总".into(),
            username: None,
        }];
        let text = prompt_text(
            &snap(),
            &owners,
            ReportingWeek::of_instant(now, tz),
            ctx(now),
        );
        assert!(text.starts_with("<b>P1 电池&lt;材料&gt; · "), "{text}");
        assert!(
            text.contains("<a href=\"tg://user?id=42\">王总</a>"),
            "{text}"
        );
        assert!(text.contains("· 开工 2026-11-20 · 逾期 3 天"), "{text}");
        assert!(text.contains("#7 用电 &amp; 用水"), "{text}");
    }

    #[test]
    fn liaison_items_are_empty_when_nothing_needs_attention() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let item = liaison_item(&snap(), ctx(now), true).unwrap();
        assert!(item.missing_report);
        assert_eq!(item.milestones.len(), 1, "竣工 is 34 days away");
        assert_eq!(item.escalated.len(), 1);
        let mut quiet = snap();
        quiet.milestones.clear();
        quiet.problems.clear();
        assert_eq!(liaison_item(&quiet, ctx(now), false), None);
    }
}
