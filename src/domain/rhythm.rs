//! The weekly rhythm's decisions: the circumstances of a run, which
//! milestones a prompt lists, and what needs a liaison's attention. Its
//! texts are in `render::rhythm`.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::bulletin::{Policy, ProjectSnapshot};
use super::lang::Lang;
use super::model::Milestone;
use super::status::{MilestoneStatus, milestone_status};
use super::time::{Due, local_date};

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

/// The milestones still to be done, soonest pledged first.
pub fn upcoming(
    snap: &ProjectSnapshot,
    today: NaiveDate,
    warning_days: i64,
) -> Vec<(&Milestone, MilestoneStatus)> {
    let mut upcoming: Vec<_> = snap
        .milestones
        .iter()
        .map(|m| (m, milestone_status(m, today, warning_days)))
        .filter(|(_, s)| !s.is_done())
        .collect();
    upcoming.sort_by_key(|(m, _)| m.pledged);
    upcoming
}

/// What one project contributes to its liaison's deadline ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiaisonItem {
    pub code: String,
    pub name: String,
    pub missing_report: bool,
    /// (milestone, pledged date, status) overdue or at risk.
    pub milestones: Vec<(String, Due, MilestoneStatus)>,
    /// (id, text, days open) past the escalation limit.
    pub escalated: Vec<(i64, String, i64)>,
}

impl LiaisonItem {
    pub fn is_empty(&self) -> bool {
        !self.missing_report && self.milestones.is_empty() && self.escalated.is_empty()
    }

    /// How badly it needs attention, to list the worst first: its worst
    /// milestone, then its escalated problems, then a missing report.
    fn severity(&self) -> ((u8, i64), usize, bool) {
        let worst = self
            .milestones
            .iter()
            .map(|(_, _, s)| s.severity())
            .max()
            .unwrap_or((0, 0));
        (worst, self.escalated.len(), self.missing_report)
    }
}

/// A liaison's items, worst first (ties by project code).
pub fn worst_first(items: &mut [LiaisonItem]) {
    items.sort_by(|a, b| {
        b.severity()
            .cmp(&a.severity())
            .then_with(|| a.code.cmp(&b.code))
    });
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
            .map(|(m, s)| (m.name.clone(), m.pledge(), s))
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::model::{Milestone, Problem, ProblemLevel, Project, Stage};
    use chrono::{NaiveDate, TimeZone};

    // Shared with `render::rhythm`'s tests, which render this same project.
    pub(crate) fn snap() -> ProjectSnapshot {
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
                leader: String::new(),
                annual_plan: None,
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
                    original_precision: Default::default(),
                    pledged_precision: Default::default(),
                },
                Milestone {
                    id: 2,
                    project_id: 1,
                    name: "竣工".into(),
                    pledged_original: d(12, 30),
                    pledged: d(12, 30),
                    actual: None,
                    position: 1,
                    original_precision: Default::default(),
                    pledged_precision: Default::default(),
                },
            ],
            report: None,
            history: Default::default(),
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

    pub(crate) fn ctx(now: DateTime<Utc>) -> RunCtx {
        RunCtx {
            now,
            tz: chrono_tz::Asia::Shanghai,
            policy: Policy {
                warning_days: 14,
                escalate_days: 14,
                bottom_count: 3,
                list_limit: 20,
                lights: crate::domain::indicators::LightRules::default(),
            },
            lang: Lang::ZhCn,
            late: false,
        }
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
