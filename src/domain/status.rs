//! Where a pledged milestone stands on a given day.

use chrono::NaiveDate;

use super::model::Milestone;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MilestoneStatus {
    Done,
    /// Done, this many days after the pledged date in force.
    DoneLate {
        days: i64,
    },
    OnTrack,
    /// Not done and due within the warning window; `days_left` may be 0 (due today).
    AtRisk {
        days_left: i64,
    },
    /// Not done and past due by `days` (at least 1).
    Overdue {
        days: i64,
    },
}

impl MilestoneStatus {
    /// The days a list of open milestones shows: overdue by, or left; 0
    /// for the others.
    pub fn open_days(self) -> i64 {
        match self {
            MilestoneStatus::Overdue { days } => days,
            MilestoneStatus::AtRisk { days_left } => days_left,
            _ => 0,
        }
    }

    /// Orders statuses from healthy to worst, so "monotone in time" is testable
    /// and lists can put the worst first.
    pub fn severity(self) -> (u8, i64) {
        match self {
            MilestoneStatus::Done => (0, 0),
            MilestoneStatus::DoneLate { days } => (1, days),
            MilestoneStatus::OnTrack => (2, 0),
            MilestoneStatus::AtRisk { days_left } => (3, -days_left),
            MilestoneStatus::Overdue { days } => (4, days),
        }
    }

    pub fn is_done(self) -> bool {
        matches!(
            self,
            MilestoneStatus::Done | MilestoneStatus::DoneLate { .. }
        )
    }
}

/// Status of a milestone pledged for `due` (the date in force), completed on
/// `actual` if at all, seen on `today`, with an at-risk window of
/// `warning_days`.
pub fn status_on(
    due: NaiveDate,
    actual: Option<NaiveDate>,
    today: NaiveDate,
    warning_days: i64,
) -> MilestoneStatus {
    match actual {
        Some(done) if done <= due => MilestoneStatus::Done,
        Some(done) => MilestoneStatus::DoneLate {
            days: (done - due).num_days(),
        },
        None if today > due => MilestoneStatus::Overdue {
            days: (today - due).num_days(),
        },
        None => {
            let days_left = (due - today).num_days();
            if days_left <= warning_days {
                MilestoneStatus::AtRisk { days_left }
            } else {
                MilestoneStatus::OnTrack
            }
        }
    }
}

pub fn milestone_status(m: &Milestone, today: NaiveDate, warning_days: i64) -> MilestoneStatus {
    status_on(m.pledged, m.actual, today, warning_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn each_status() {
        let due = d(2026, 12, 1);
        assert_eq!(
            status_on(due, Some(d(2026, 11, 30)), d(2027, 1, 1), 14),
            MilestoneStatus::Done
        );
        assert_eq!(status_on(due, Some(due), due, 14), MilestoneStatus::Done);
        assert_eq!(
            status_on(due, Some(d(2026, 12, 6)), d(2027, 1, 1), 14),
            MilestoneStatus::DoneLate { days: 5 }
        );
        assert_eq!(
            status_on(due, None, d(2026, 11, 1), 14),
            MilestoneStatus::OnTrack
        );
        assert_eq!(
            status_on(due, None, d(2026, 11, 17), 14),
            MilestoneStatus::AtRisk { days_left: 14 }
        );
        assert_eq!(
            status_on(due, None, due, 14),
            MilestoneStatus::AtRisk { days_left: 0 }
        );
        assert_eq!(
            status_on(due, None, d(2026, 12, 2), 14),
            MilestoneStatus::Overdue { days: 1 }
        );
    }

    proptest! {
        /// For a milestone not done, later days never look better.
        #[test]
        fn undone_status_is_monotone_in_time(
            due_offset in 0i64..3000,
            a in 0i64..3000,
            step in 0i64..400,
            warning in 0i64..60,
        ) {
            let origin = d(2020, 1, 1);
            let due = origin + Duration::days(due_offset);
            let t1 = origin + Duration::days(a);
            let t2 = t1 + Duration::days(step);
            let s1 = status_on(due, None, t1, warning);
            let s2 = status_on(due, None, t2, warning);
            prop_assert!(s1.severity() <= s2.severity(), "{s1:?} then {s2:?}");
        }

        /// Once done, the status no longer depends on the day it is looked at.
        #[test]
        fn done_status_is_fixed(due_offset in 0i64..3000, done in 0i64..3000, t in 0i64..6000) {
            let origin = d(2020, 1, 1);
            let due = origin + Duration::days(due_offset);
            let actual = Some(origin + Duration::days(done));
            let s = status_on(due, actual, origin + Duration::days(t), 14);
            prop_assert!(s.is_done());
            prop_assert_eq!(s, status_on(due, actual, origin, 14));
        }
    }
}
