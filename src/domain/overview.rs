//! `status`: which milestone of a project most needs attention. The texts of
//! one project in detail and of the portfolio are in `render::overview`.

use chrono::NaiveDate;

use super::model::Milestone;
use super::status::{MilestoneStatus, milestone_status};

/// The milestone a portfolio line names for its project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus<'a> {
    /// The worst overdue milestone: it comes before anything due next.
    Overdue(&'a Milestone, MilestoneStatus),
    /// Nothing is overdue: the undone milestone pledged soonest.
    Next(&'a Milestone, MilestoneStatus),
    NoMilestones,
    AllDone,
}

/// What needs attention first among `milestones` on `today`.
pub fn focus(milestones: &[Milestone], today: NaiveDate, warning_days: i64) -> Focus<'_> {
    let statuses: Vec<_> = milestones
        .iter()
        .map(|m| (m, milestone_status(m, today, warning_days)))
        .collect();
    let worst_overdue = statuses
        .iter()
        .filter(|(_, st)| matches!(st, MilestoneStatus::Overdue { .. }))
        .max_by_key(|(_, st)| st.severity());
    let next_undone = statuses
        .iter()
        .filter(|(_, st)| !st.is_done())
        .min_by_key(|(m, _)| m.pledged);
    match (worst_overdue, next_undone) {
        (Some((m, st)), _) => Focus::Overdue(m, *st),
        (None, Some((m, st))) => Focus::Next(m, *st),
        (None, None) if milestones.is_empty() => Focus::NoMilestones,
        (None, None) => Focus::AllDone,
    }
}
