//! The working-day calendar: weekends, public holidays and the make-up
//! working days (调休) that move them, as published each year.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::time::{ReportingWeek, parse_date};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("holidays file, {list}: '{entry}' is not a date or a range YYYY-MM-DD..YYYY-MM-DD")]
    Entry { list: &'static str, entry: String },
    #[error("holidays file: {0} is both a holiday and a make-up working day")]
    Both(NaiveDate),
}

fn expand(list: &'static str, entries: &[String]) -> Result<Vec<NaiveDate>, CalendarError> {
    let mut out = Vec::new();
    for e in entries {
        let bad = || CalendarError::Entry {
            list,
            entry: e.clone(),
        };
        let (from, to) = match e.split_once("..") {
            Some((a, b)) => (
                parse_date(a).map_err(|_| bad())?,
                parse_date(b).map_err(|_| bad())?,
            ),
            None => {
                let d = parse_date(e).map_err(|_| bad())?;
                (d, d)
            }
        };
        if to < from || (to - from).num_days() > 366 {
            return Err(bad());
        }
        let mut d = from;
        while d <= to {
            out.push(d);
            d += Duration::days(1);
        }
    }
    Ok(out)
}

impl WorkCalendar {
    /// Builds the calendar from the `holidays` and `workdays` lists of the
    /// holidays file (dates, or ranges `YYYY-MM-DD..YYYY-MM-DD`).
    pub fn from_lists(
        holidays: &[String],
        workdays: &[String],
    ) -> Result<WorkCalendar, CalendarError> {
        let holidays: BTreeSet<NaiveDate> = expand("holidays", holidays)?.into_iter().collect();
        let workdays: BTreeSet<NaiveDate> = expand("workdays", workdays)?.into_iter().collect();
        if let Some(d) = holidays.intersection(&workdays).next() {
            return Err(CalendarError::Both(*d));
        }
        Ok(WorkCalendar { holidays, workdays })
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        !self.holidays.contains(&d) && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// `d` itself when it is a working day, else the next one.
    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        // A year of holidays in a row is a broken file; stop looking then.
        for _ in 0..400 {
            if self.is_working_day(day) {
                return day;
            }
            day += Duration::days(1);
        }
        d
    }

    /// A week with no working day is not expected to report.
    pub fn has_working_day(&self, week: ReportingWeek) -> bool {
        (0..7).any(|i| self.is_working_day(week.monday() + Duration::days(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::from_lists(
            &strings(&["2026-10-01..2026-10-07", "2026-02-15..2026-02-23"]),
            &strings(&["2026-09-20", "2026-10-10", "2026-02-14", "2026-02-28"]),
        )
        .unwrap()
    }

    #[test]
    fn holidays_and_make_up_days() {
        let c = cal();
        assert!(!c.is_working_day(d(2026, 10, 1)));
        assert!(
            c.is_working_day(d(2026, 10, 10)),
            "a Saturday made a working day"
        );
        assert!(!c.is_working_day(d(2026, 11, 28)), "an ordinary Saturday");
        assert!(c.is_working_day(d(2026, 11, 27)));
        assert_eq!(c.next_working_day(d(2026, 10, 2)), d(2026, 10, 8));
        assert_eq!(c.next_working_day(d(2026, 11, 27)), d(2026, 11, 27));
        // The week of 16–22 February 2026 is all Spring Festival.
        assert!(!c.has_working_day("2026-W08".parse().unwrap()));
        assert!(c.has_working_day("2026-W40".parse().unwrap()));
    }

    #[test]
    fn bad_files_are_refused_with_the_entry() {
        let e = WorkCalendar::from_lists(&strings(&["2026-13-01"]), &[]).unwrap_err();
        assert!(e.to_string().contains("'2026-13-01'"), "{e}");
        let e = WorkCalendar::from_lists(&strings(&["2026-10-05..2026-10-01"]), &[]).unwrap_err();
        assert!(matches!(
            e,
            CalendarError::Entry {
                list: "holidays",
                ..
            }
        ));
        let e = WorkCalendar::from_lists(&strings(&["2026-10-01"]), &strings(&["2026-10-01"]))
            .unwrap_err();
        assert_eq!(e, CalendarError::Both(d(2026, 10, 1)));
        assert_eq!(
            WorkCalendar::from_lists(&[], &[]).unwrap(),
            WorkCalendar::default()
        );
    }
}
