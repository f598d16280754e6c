//! Cron schedules evaluated in the configured time zone.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::time::ReportingWeek;

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
