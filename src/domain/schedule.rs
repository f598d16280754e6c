//! The scheduled jobs, their cron schedules evaluated in the configured
//! time zone, the periods they report on, and the working-day calendar's
//! say over when they run.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::calendar::WorkCalendar;
use super::time::{ReportingWeek, local_date, local_to_utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    Prompt,
    Nudge,
    Deadline,
    Bulletin,
    Monthly,
    Quarterly,
    /// Housekeeping: old inbox and ledger rows deleted; sends nothing.
    Prune,
}

impl Job {
    pub const ALL: [Job; 7] = [
        Job::Prompt,
        Job::Nudge,
        Job::Deadline,
        Job::Bulletin,
        Job::Monthly,
        Job::Quarterly,
        Job::Prune,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::Prompt => "prompt",
            Job::Nudge => "nudge",
            Job::Deadline => "deadline",
            Job::Bulletin => "bulletin",
            Job::Monthly => "monthly",
            Job::Quarterly => "quarterly",
            Job::Prune => "prune",
        }
    }

    pub fn from_name(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }

    /// Jobs that ask owners to report: pointless in a week without a working day.
    pub fn is_weekly_chase(self) -> bool {
        matches!(self, Job::Prompt | Job::Nudge | Job::Deadline)
    }

    /// Jobs that post messages (all but housekeeping).
    pub fn sends(self) -> bool {
        !matches!(self, Job::Prune)
    }
}

/// The period a run at local date `day` is about, as the ledger's key: the
/// ISO week for weekly jobs, the month or quarter just ended for the
/// analyses (the 1 December run analyses November).
pub fn period(job: Job, day: NaiveDate) -> String {
    match job {
        Job::Prompt | Job::Nudge | Job::Deadline | Job::Bulletin => {
            ReportingWeek::containing(day).to_string()
        }
        Job::Monthly => {
            let prev = day.with_day(1).unwrap_or(day) - Duration::days(1);
            format!("{}-{:02}", prev.year(), prev.month())
        }
        Job::Quarterly => {
            let q_start_month = (day.month() - 1) / 3 * 3 + 1;
            let q_start = NaiveDate::from_ymd_opt(day.year(), q_start_month, 1).unwrap_or(day);
            let prev = q_start - Duration::days(1);
            format!("{}-Q{}", prev.year(), (prev.month() - 1) / 3 + 1)
        }
        Job::Prune => day.to_string(),
    }
}

/// When a fire at `fire` actually runs: on a holiday it moves to the next
/// working day at the same local time (when `shift` is set).
pub fn effective_time(
    fire: DateTime<Utc>,
    tz: Tz,
    calendar: &WorkCalendar,
    shift: bool,
) -> DateTime<Utc> {
    if !shift {
        return fire;
    }
    let local = fire.with_timezone(&tz);
    let day = local.date_naive();
    let moved = calendar.next_working_day(day);
    if moved == day {
        return fire;
    }
    local_to_utc(moved.and_time(local.time()), tz).unwrap_or(fire)
}

/// The next fire strictly after `after`.
pub fn next_fire(schedule: &cron::Schedule, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule
        .after(&after.with_timezone(&tz))
        .next()
        .map(|t| t.with_timezone(&Utc))
}

/// The latest fire in `(after, until]`: what a bot that was down missed, to
/// be run once, not once per missed tick.
pub fn latest_fire_between(
    schedule: &cron::Schedule,
    tz: Tz,
    after: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut last = None;
    for t in schedule.after(&after.with_timezone(&tz)) {
        let t = t.with_timezone(&Utc);
        if t > until {
            break;
        }
        last = Some(t);
    }
    last
}

/// The local date a fire falls on.
pub fn fire_day(fire: DateTime<Utc>, tz: Tz) -> NaiveDate {
    local_date(fire, tz)
}

/// The first time `schedule` fires in `[from, to)`.
pub fn first_fire_between(
    schedule: &cron::Schedule,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    // `after` is exclusive; step back a second so a fire exactly at `from` counts.
    let start = (from - Duration::seconds(1)).with_timezone(&tz);
    schedule
        .after(&start)
        .next()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| *t >= from && *t < to)
}

/// The week's report deadline: when the deadline job fires in that week.
/// Reports sent after it are late; a week where it never fires has none.
pub fn report_deadline(
    deadline: &cron::Schedule,
    tz: Tz,
    week: ReportingWeek,
) -> Option<DateTime<Utc>> {
    first_fire_between(deadline, tz, week.start(tz), week.end(tz))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::str::FromStr;

    fn sh(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn periods() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(period(Job::Bulletin, d(2026, 11, 27)), "2026-W48");
        assert_eq!(period(Job::Monthly, d(2026, 12, 1)), "2026-11");
        assert_eq!(period(Job::Monthly, d(2027, 1, 1)), "2026-12");
        assert_eq!(period(Job::Quarterly, d(2026, 10, 1)), "2026-Q3");
        assert_eq!(period(Job::Quarterly, d(2027, 1, 1)), "2026-Q4");
        assert_eq!(period(Job::Quarterly, d(2026, 11, 15)), "2026-Q3");
    }

    #[test]
    fn missed_fires_collapse_to_the_latest() {
        let tz = chrono_tz::Asia::Shanghai;
        let s = cron::Schedule::from_str("0 0 16 * * Fri").unwrap();
        let down = sh(2026, 11, 12, 10);
        let back = sh(2026, 11, 27, 17);
        assert_eq!(
            latest_fire_between(&s, tz, down, back),
            Some(sh(2026, 11, 27, 16))
        );
        assert_eq!(
            latest_fire_between(&s, tz, sh(2026, 11, 27, 16), back),
            None
        );
        assert_eq!(
            next_fire(&s, tz, sh(2026, 11, 27, 16)),
            Some(sh(2026, 12, 4, 16))
        );
    }

    #[test]
    fn a_holiday_moves_the_run_to_the_next_working_day() {
        let tz = chrono_tz::Asia::Shanghai;
        let cal = WorkCalendar::from_lists(&["2026-10-01..2026-10-07".to_string()], &[]).unwrap();
        // Monday 5 October 09:00 moves to Thursday 8 October 09:00.
        assert_eq!(
            effective_time(sh(2026, 10, 5, 9), tz, &cal, true),
            sh(2026, 10, 8, 9)
        );
        assert_eq!(
            effective_time(sh(2026, 10, 5, 9), tz, &cal, false),
            sh(2026, 10, 5, 9)
        );
        assert_eq!(
            effective_time(sh(2026, 11, 23, 9), tz, &cal, true),
            sh(2026, 11, 23, 9)
        );
    }

    #[test]
    fn thursday_deadline_in_shanghai() {
        let tz = chrono_tz::Asia::Shanghai;
        let s = cron::Schedule::from_str("0 0 18 * * Thu").unwrap();
        let week: ReportingWeek = "2026-W48".parse().unwrap();
        assert_eq!(
            report_deadline(&s, tz, week),
            Some(Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap())
        );
    }

    #[test]
    fn fire_at_the_window_start_counts() {
        let tz = chrono_tz::Asia::Shanghai;
        let s = cron::Schedule::from_str("0 0 0 * * Mon").unwrap();
        let week: ReportingWeek = "2026-W48".parse().unwrap();
        assert_eq!(report_deadline(&s, tz, week), Some(week.start(tz)));
        let monthly = cron::Schedule::from_str("0 0 9 31 2 *");
        assert!(monthly.is_err() || report_deadline(&monthly.unwrap(), tz, week).is_none());
    }
}
