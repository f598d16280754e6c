//! Schedule performance, and the bottom-ranked projects (末位) it names.
//!
//! Only milestones already due (or done) count. Each scores 100 when done by
//! its pledged date, 50 when done late and 0 while overdue; a project's score
//! is their mean. Ties go against the project with more days overdue, then by
//! code so the order never depends on load order.

use chrono::NaiveDate;

use super::model::Milestone;
use super::status::{MilestoneStatus, milestone_status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Performance {
    /// Milestones due by today or already done.
    pub due: u32,
    pub on_time: u32,
    pub late: u32,
    pub overdue: u32,
    /// Sum of days overdue over the overdue milestones.
    pub overdue_days: i64,
    /// 0–100, the mean milestone score.
    pub score: u32,
}

/// `None` when nothing is due yet: such a project has no record to rank.
pub fn performance(milestones: &[Milestone], today: NaiveDate) -> Option<Performance> {
    let mut p = Performance::default();
    for m in milestones {
        // The warning window does not matter here: at-risk counts as not due.
        match milestone_status(m, today, 0) {
            MilestoneStatus::Done => p.on_time += 1,
            MilestoneStatus::DoneLate { .. } => p.late += 1,
            MilestoneStatus::Overdue { days } => {
                p.overdue += 1;
                p.overdue_days += days;
            }
            _ => continue,
        }
        p.due += 1;
    }
    if p.due == 0 {
        return None;
    }
    p.score = (p.on_time * 100 + p.late * 50) / p.due;
    Some(p)
}

/// The `n` worst performers among those short of a perfect record.
pub fn bottom<K: Ord + Clone>(ranked: &[(K, Performance)], n: usize) -> Vec<(K, Performance)> {
    let mut v: Vec<_> = ranked
        .iter()
        .filter(|(_, p)| p.score < 100)
        .cloned()
        .collect();
    v.sort_by(|(ka, a), (kb, b)| {
        a.score
            .cmp(&b.score)
            .then(b.overdue_days.cmp(&a.overdue_days))
            .then(ka.cmp(kb))
    });
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn ms(items: &[(NaiveDate, Option<NaiveDate>)]) -> Vec<Milestone> {
        items
            .iter()
            .enumerate()
            .map(|(i, (due, actual))| Milestone {
                id: i as i64,
                project_id: 1,
                name: format!("m{i}"),
                pledged_original: *due,
                pledged: *due,
                actual: *actual,
                position: i as i64,
                original_precision: Default::default(),
                pledged_precision: Default::default(),
            })
            .collect()
    }

    #[test]
    fn scores_on_time_late_and_overdue() {
        let today = d(2026, 11, 27);
        let p = performance(
            &ms(&[
                (d(2026, 3, 1), Some(d(2026, 2, 20))),
                (d(2026, 6, 1), Some(d(2026, 6, 11))),
                (d(2026, 11, 17), None),
                (d(2027, 6, 1), None),
            ]),
            today,
        )
        .unwrap();
        assert_eq!(
            p,
            Performance {
                due: 3,
                on_time: 1,
                late: 1,
                overdue: 1,
                overdue_days: 10,
                score: 50
            }
        );
        assert_eq!(performance(&ms(&[(d(2027, 1, 1), None)]), today), None);
    }

    #[test]
    fn bottom_orders_worst_first_and_skips_perfect_records() {
        let p = |score, overdue_days| Performance {
            score,
            overdue_days,
            due: 1,
            ..Default::default()
        };
        let ranked = vec![
            ("A", p(100, 0)),
            ("B", p(50, 3)),
            ("C", p(0, 10)),
            ("D", p(50, 9)),
            ("E", p(0, 10)),
        ];
        let keys: Vec<_> = bottom(&ranked, 3).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec!["C", "E", "D"]);
        assert_eq!(bottom(&ranked[..1], 3), vec![]);
    }

    proptest! {
        #[test]
        fn score_is_bounded_and_counts_add_up(
            items in proptest::collection::vec((0i64..400, proptest::option::of(0i64..400)), 0..20),
            t in 0i64..400,
        ) {
            let origin = d(2026, 1, 1);
            let day = |n: i64| origin + chrono::Duration::days(n);
            let today = day(t);
            // A milestone cannot be done after today.
            let list: Vec<_> = items
                .iter()
                .map(|(due, a)| (day(*due), a.map(day).filter(|x| *x <= today)))
                .collect();
            if let Some(p) = performance(&ms(&list), today) {
                prop_assert!(p.score <= 100);
                prop_assert_eq!(p.due, p.on_time + p.late + p.overdue);
            }
        }
    }
}
