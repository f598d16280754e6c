//! The portfolio as it stood at the end of an earlier week, rebuilt from
//! what is kept: each milestone's pledge in force then (from its
//! revisions), done only if done by then, the week's reports, this year's
//! investment up to it, the problems open then. The monthly analysis and
//! quarterly review compare their rates with the previous period's, and
//! draw them week by week, from these; a pledge revised since does not
//! rewrite how late it was then.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::bulletin::{Policy, ProjectSnapshot, ReportHistory};
use super::indicators::{Judged, Rates, battle_map};
use super::model::{Milestone, PledgeRevision, Report};
use super::time::ReportingWeek;

/// What the rebuilding reads: the present snapshots, every pledge ever
/// recorded, by milestone, and every report in force, by project. Indexed
/// once, so rebuilding a week reads each project's own rows, not all of
/// them: a period rebuilds five to fourteen weeks.
#[derive(Debug, Clone)]
pub struct Kept<'a> {
    snaps: &'a [ProjectSnapshot],
    revisions: HashMap<i64, Vec<&'a PledgeRevision>>,
    reports: HashMap<i64, Vec<&'a Report>>,
}

impl<'a> Kept<'a> {
    pub fn new(
        snaps: &'a [ProjectSnapshot],
        revisions: &'a [PledgeRevision],
        reports: &'a [Report],
    ) -> Kept<'a> {
        let mut by_milestone: HashMap<i64, Vec<&PledgeRevision>> = HashMap::new();
        for r in revisions {
            by_milestone.entry(r.milestone_id).or_default().push(r);
        }
        let mut by_project: HashMap<i64, Vec<&Report>> = HashMap::new();
        for r in reports {
            by_project.entry(r.project_id).or_default().push(r);
        }
        Kept {
            snaps,
            revisions: by_milestone,
            reports: by_project,
        }
    }

    /// The project's reports in force, in the order given.
    pub fn reports_of(&self, project_id: i64) -> &[&'a Report] {
        self.reports.get(&project_id).map_or(&[], Vec::as_slice)
    }
}

/// The rates as they stood at the end of `week` (its Sunday's last second).
pub fn rates_at(kept: &Kept<'_>, week: ReportingWeek, tz: Tz, policy: Policy) -> Rates {
    let end = week.end(tz) - chrono::Duration::seconds(1);
    let then = as_of(kept, week, end);
    let judged = Judged {
        now: end,
        today: week.sunday(),
        week,
        policy,
    };
    battle_map(&then, judged).overall
}

/// The weeks whose Sunday falls from `from` to `to`: the points of a
/// period's trend, the last one its figure.
pub fn weeks_ending_in(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Vec<ReportingWeek> {
    let mut week = ReportingWeek::containing(from);
    if week.sunday() < from {
        week = week.next();
    }
    let mut out = Vec::new();
    while week.sunday() <= to {
        out.push(week);
        week = week.next();
    }
    out
}

/// Each project as it stood at `end`, the last instant of `week`.
fn as_of(kept: &Kept<'_>, week: ReportingWeek, end: DateTime<Utc>) -> Vec<ProjectSnapshot> {
    let today = week.sunday();
    kept.snaps
        .iter()
        .map(|s| {
            let reports = kept.reports_of(s.project.id);
            let mine = || reports.iter().copied();
            let year = week.first_of_year();
            let history = ReportHistory {
                invested_this_year: mine()
                    .filter(|r| r.week >= year && r.week <= week)
                    .filter_map(|r| r.invested_week)
                    .sum(),
                last_report: mine().map(|r| r.week).filter(|w| *w <= week).max(),
            };
            ProjectSnapshot {
                project: s.project.clone(),
                liaison: s.liaison.clone(),
                milestones: s
                    .milestones
                    .iter()
                    .filter_map(|m| {
                        let recorded = kept.revisions.get(&m.id).map_or(&[][..], Vec::as_slice);
                        milestone_at(m, recorded, end, today)
                    })
                    .collect(),
                report: mine()
                    .find(|r| r.week == week && r.submitted_at <= end)
                    .cloned(),
                history,
                problems: s
                    .problems
                    .iter()
                    .filter(|p| p.raised_at <= end && p.resolved_at.is_none_or(|r| r > end))
                    .map(|p| super::model::Problem {
                        resolved_at: None,
                        ..p.clone()
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The milestone with the pledge in force at `end` and done only if done
/// by `today`; none if it was first pledged after `end`. A milestone
/// without recorded pledges (older data) is taken as it is now.
fn milestone_at(
    m: &Milestone,
    recorded: &[&PledgeRevision],
    end: DateTime<Utc>,
    today: chrono::NaiveDate,
) -> Option<Milestone> {
    let mut m = m.clone();
    m.actual = m.actual.filter(|a| *a <= today);
    if recorded.is_empty() {
        return Some(m);
    }
    let then = recorded
        .iter()
        .filter(|r| r.recorded_at <= end)
        .max_by_key(|r| r.recorded_at)?;
    m.pledged = then.pledged;
    m.pledged_precision = then.precision;
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::Precision;
    use chrono::{NaiveDate, TimeZone};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn snap(milestones: Vec<Milestone>) -> ProjectSnapshot {
        let mut s = crate::domain::rhythm::tests::snap();
        s.milestones = milestones;
        s.problems.clear();
        s
    }

    fn policy() -> Policy {
        crate::domain::rhythm::tests::ctx(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap())
            .policy
    }

    fn milestone(pledged: NaiveDate, actual: Option<NaiveDate>) -> Milestone {
        Milestone {
            id: 7,
            project_id: 1,
            name: "开工".into(),
            pledged_original: pledged,
            pledged,
            actual,
            position: 0,
            original_precision: Precision::Day,
            pledged_precision: Precision::Day,
        }
    }

    fn revision(pledged: NaiveDate, recorded: NaiveDate) -> PledgeRevision {
        PledgeRevision {
            milestone_id: 7,
            pledged,
            precision: Precision::Day,
            recorded_at: chrono_tz::Asia::Shanghai
                .from_local_datetime(&recorded.and_hms_opt(12, 0, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc),
            source: "test".into(),
        }
    }

    #[test]
    fn a_milestone_revised_after_it_was_overdue_was_overdue_then() {
        // Pledged for 1 October, moved on 15 November to 1 December.
        let mut m = milestone(d(10, 1), None);
        m.pledged = d(12, 1);
        let snaps = [snap(vec![m])];
        let revisions = [revision(d(10, 1), d(9, 1)), revision(d(12, 1), d(11, 15))];
        let kept = Kept::new(&snaps, &revisions, &[]);
        let policy = policy();
        let tz = chrono_tz::Asia::Shanghai;
        // End of October: due and not done, so 0 of 1 on time and started.
        let october = rates_at(&kept, ReportingWeek::containing(d(10, 25)), tz, policy);
        assert_eq!((october.on_time.done, october.on_time.of), (0, 1));
        assert_eq!((october.started.done, october.started.of), (0, 1));
        // End of November: the pledge in force is 1 December, not due yet.
        let november = rates_at(&kept, ReportingWeek::containing(d(11, 29)), tz, policy);
        assert_eq!(november.on_time.of, 0);
        // Before it was first pledged it did not exist.
        let august = rates_at(&kept, ReportingWeek::containing(d(8, 30)), tz, policy);
        assert_eq!(august.on_time.of + august.started.of, 0);
    }

    #[test]
    fn a_milestone_done_later_was_not_done_then() {
        let snaps = [snap(vec![milestone(d(10, 1), Some(d(11, 3)))])];
        let kept = Kept::new(&snaps, &[], &[]);
        let policy = policy();
        let tz = chrono_tz::Asia::Shanghai;
        let october = rates_at(&kept, ReportingWeek::containing(d(10, 25)), tz, policy);
        assert_eq!((october.started.done, october.started.of), (0, 1));
        let november = rates_at(&kept, ReportingWeek::containing(d(11, 29)), tz, policy);
        assert_eq!((november.started.done, november.started.of), (1, 1));
    }

    #[test]
    fn the_weeks_of_a_period_are_those_whose_sunday_is_in_it() {
        // November 2026: Sundays 1, 8, 15, 22 and 29.
        let weeks = weeks_ending_in(d(11, 1), d(11, 30));
        assert_eq!(weeks.len(), 5);
        assert_eq!(weeks[0].sunday(), d(11, 1));
        assert_eq!(weeks[4].sunday(), d(11, 29));
        // A year boundary: December 2026's last Sunday is the 27th; the
        // week of 28 December ends in January and belongs to it.
        let december = weeks_ending_in(d(12, 1), d(12, 31));
        assert_eq!(december.last().unwrap().sunday(), d(12, 27));
        let january = weeks_ending_in(
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
        );
        assert_eq!(
            january[0].sunday(),
            NaiveDate::from_ymd_opt(2027, 1, 3).unwrap()
        );
    }
}
