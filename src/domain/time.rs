//! Dates as owners write them, instants as the command line takes them, and
//! the ISO reporting week in the configured time zone.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::lang::fold_width;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("'{0}' is not a date (expected 2026-11-18, 2026/11/18 or 2026年11月18日)")]
    Invalid(String),
    #[error("{0} does not exist in the calendar")]
    NoSuchDay(String),
}

impl DateError {
    pub fn key(&self) -> &'static str {
        match self {
            DateError::Invalid(_) => "date.invalid",
            DateError::NoSuchDay(_) => "date.no_such_day",
        }
    }
}

/// Parses `2026-11-18`, `2026/11/18`, `2026.11.18` and `2026年11月18日`
/// (single-digit months and days allowed).
pub fn parse_date(input: &str) -> Result<NaiveDate, DateError> {
    let trimmed = input.trim();
    let folded = fold_width(trimmed);
    let s = folded.strip_suffix('日').unwrap_or(&folded);
    let unified: String = s
        .chars()
        .map(|c| match c {
            '年' | '月' | '/' | '.' => '-',
            c => c,
        })
        .collect();
    let invalid = || DateError::Invalid(trimmed.to_string());
    let parts: Vec<&str> = unified.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(invalid());
    };
    let num = |t: &str, max_len: usize| -> Result<u32, DateError> {
        if t.is_empty() || t.len() > max_len || !t.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        t.parse().map_err(|_| invalid())
    };
    if y.len() != 4 {
        return Err(invalid());
    }
    let (year, month, day) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| DateError::NoSuchDay(trimmed.to_string()))
}

/// How exactly a pledge was made: to the day, or to a month ("计划3月份入库").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    #[default]
    Day,
    Month,
}

impl Precision {
    /// As the store keeps it.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Day => "day",
            Precision::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Precision> {
        match s {
            "day" => Some(Precision::Day),
            "month" => Some(Precision::Month),
            _ => None,
        }
    }
}

/// A pledged date as it was made. A pledge to a month is due by that
/// month's last day, which `date` holds, so every rule that compares dates
/// needs nothing else; `precision` only says how to show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Due {
    pub date: NaiveDate,
    pub precision: Precision,
}

impl Due {
    pub fn day(date: NaiveDate) -> Due {
        Due {
            date,
            precision: Precision::Day,
        }
    }

    pub fn month(year: i32, month: u32) -> Option<Due> {
        let date = month_last_day(year, month)?;
        Some(Due {
            date,
            precision: Precision::Month,
        })
    }
}

/// `2026-11-20`, or `2027-03` for a pledge to a month: the import format's
/// text, which [`parse_pledge_date`] reads back to the same value (the
/// chat shows a month in its language: `src/render/text.rs`).
impl fmt::Display for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision {
            Precision::Day => write!(f, "{}", self.date),
            Precision::Month => write!(f, "{}", self.date.format("%Y-%m")),
        }
    }
}

/// A date as a pledge sheet holds it: any form [`parse_date`] reads, a
/// date-time at midnight (`2026-12-01 00:00:00`), eight digits
/// (`20261201`), or a month (`2027年3月`, `2027-03`, `2027.3`), which is a
/// pledge due by that month's last day.
pub fn parse_pledge_date(input: &str) -> Result<Due, DateError> {
    let trimmed = input.trim();
    let folded = fold_width(trimmed);
    let day_part = match folded.split_once(' ') {
        Some((day, time)) if time.trim().chars().all(|c| c.is_ascii_digit() || c == ':') => day,
        _ => folded.as_str(),
    };
    if day_part.len() == 8 && day_part.chars().all(|c| c.is_ascii_digit()) {
        let (y, rest) = day_part.split_at(4);
        let (m, d) = rest.split_at(2);
        return parse_date(&format!("{y}-{m}-{d}"))
            .map(Due::day)
            .map_err(|_| DateError::Invalid(trimmed.into()));
    }
    match parse_date(day_part) {
        Ok(d) => Ok(Due::day(d)),
        Err(DateError::Invalid(_)) => month(day_part).ok_or(DateError::Invalid(trimmed.into())),
        Err(e) => Err(e),
    }
}

/// A month written `2027年3月`, `2027-03` or `2027.3`.
fn month(s: &str) -> Option<Due> {
    let s = s.strip_suffix("份").unwrap_or(s);
    let s = s.strip_suffix('月').unwrap_or(s);
    let (y, m) = s.split_once(['年', '-', '/', '.'])?;
    if y.len() != 4 || m.is_empty() || m.len() > 2 {
        return None;
    }
    Due::month(y.parse().ok()?, m.parse().ok()?)
}

fn month_last_day(year: i32, month: u32) -> Option<NaiveDate> {
    if !(1..=12).contains(&month) {
        return None;
    }
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    Some(next - Duration::days(1))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstantError {
    #[error(
        "'{0}' is not a time (expected RFC 3339 such as 2026-11-27T16:00:00+08:00, or 'YYYY-MM-DD HH:MM' in the configured time zone)"
    )]
    Invalid(String),
    #[error("'{0}' does not exist in time zone {1} (a daylight-saving gap)")]
    Skipped(String, Tz),
}

/// Parses a `--now` value: RFC 3339, or a local `YYYY-MM-DD HH:MM[:SS]`
/// (also with `T`), or a bare date meaning its midnight, in `tz`.
pub fn parse_instant(input: &str, tz: Tz) -> Result<DateTime<Utc>, InstantError> {
    let s = input.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(|d| d.and_time(NaiveTime::MIN))
    })
    .ok_or_else(|| InstantError::Invalid(s.to_string()))?;
    local_to_utc(naive, tz).ok_or_else(|| InstantError::Skipped(s.to_string(), tz))
}

/// A local wall-clock time in `tz` as an instant; an ambiguous time (clocks
/// turned back) takes the earlier instant, a skipped one has none.
pub fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The calendar day of `now` in `tz`.
pub fn local_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// One ISO week: the unit owners report in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportingWeek {
    pub year: i32,
    pub week: u32,
}

impl ReportingWeek {
    pub fn containing(date: NaiveDate) -> Self {
        let iso = date.iso_week();
        ReportingWeek {
            year: iso.year(),
            week: iso.week(),
        }
    }

    pub fn of_instant(now: DateTime<Utc>, tz: Tz) -> Self {
        Self::containing(local_date(now, tz))
    }

    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, chrono::Weekday::Mon)
            .expect("a ReportingWeek is always a valid ISO week")
    }

    pub fn sunday(self) -> NaiveDate {
        self.monday() + Duration::days(6)
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        (self.monday()..=self.sunday()).contains(&date)
    }

    /// Instant the week begins (Monday 00:00 local).
    pub fn start(self, tz: Tz) -> DateTime<Utc> {
        local_to_utc(self.monday().and_time(NaiveTime::MIN), tz)
            .unwrap_or_else(|| Utc.from_utc_datetime(&self.monday().and_time(NaiveTime::MIN)))
    }

    /// Instant the week ends (next Monday 00:00 local, exclusive).
    pub fn end(self, tz: Tz) -> DateTime<Utc> {
        self.next().start(tz)
    }

    pub fn next(self) -> Self {
        Self::containing(self.monday() + Duration::days(7))
    }

    /// Week 1 of this week's ISO year.
    pub fn first_of_year(self) -> Self {
        ReportingWeek {
            year: self.year,
            week: 1,
        }
    }

    pub fn previous(self) -> Self {
        Self::containing(self.monday() - Duration::days(7))
    }
}

impl fmt::Display for ReportingWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a reporting week (expected 2026-W48)")]
pub struct BadWeek(pub String);

impl FromStr for ReportingWeek {
    type Err = BadWeek;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadWeek(s.to_string());
        let (y, w) = s.split_once("-W").ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon).ok_or_else(bad)?;
        Ok(ReportingWeek { year, week })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_the_date_forms_owners_write() {
        for s in [
            "2026-11-18",
            "2026/11/18",
            "2026年11月18日",
            "2026.11.18",
            "２０２６－１１－１８",
        ] {
            let s = s.replace('－', "-");
            assert_eq!(parse_date(&s), Ok(d(2026, 11, 18)), "{s}");
        }
        assert_eq!(parse_date("2026-1-5"), Ok(d(2026, 1, 5)));
        assert_eq!(parse_date("2026年1月5日"), Ok(d(2026, 1, 5)));
    }

    #[test]
    fn refuses_non_dates() {
        assert!(matches!(
            parse_date("18/11/2026"),
            Err(DateError::Invalid(_))
        ));
        assert!(matches!(parse_date("tomorrow"), Err(DateError::Invalid(_))));
        assert!(matches!(parse_date("2026-11"), Err(DateError::Invalid(_))));
        assert!(matches!(
            parse_date("2026-02-30"),
            Err(DateError::NoSuchDay(_))
        ));
    }

    #[test]
    fn parses_now_in_the_configured_zone() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let expected = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
        assert_eq!(parse_instant("2026-11-27 16:00", tz), Ok(expected));
        assert_eq!(parse_instant("2026-11-27T16:00:00+08:00", tz), Ok(expected));
        assert_eq!(parse_instant("2026-11-27T08:00:00Z", tz), Ok(expected));
        assert!(parse_instant("next friday", tz).is_err());
        let ny: Tz = "America/New_York".parse().unwrap();
        assert!(matches!(
            parse_instant("2026-03-08 02:30", ny),
            Err(InstantError::Skipped(..))
        ));
    }

    #[test]
    fn reporting_week_follows_the_local_calendar() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        // Sunday 20:00 UTC is already Monday in Shanghai: the next ISO week.
        let sunday_night_utc = Utc.with_ymd_and_hms(2026, 11, 22, 20, 0, 0).unwrap();
        let w = ReportingWeek::of_instant(sunday_night_utc, tz);
        assert_eq!(w.to_string(), "2026-W48");
        assert_eq!(w.monday(), d(2026, 11, 23));
        assert_eq!(w.sunday(), d(2026, 11, 29));
        assert_eq!("2026-W48".parse::<ReportingWeek>(), Ok(w));
        assert_eq!(w.next().previous(), w);
        // ISO years: 2026-12-31 is in 2026-W53, 2027-01-04 starts 2027-W01.
        assert_eq!(
            ReportingWeek::containing(d(2026, 12, 31)).to_string(),
            "2026-W53"
        );
        assert_eq!(
            ReportingWeek::containing(d(2027, 1, 4)).to_string(),
            "2027-W01"
        );
    }

    proptest! {
        #[test]
        fn date_parser_never_panics(s in ".{0,30}") {
            let _ = parse_date(&s);
        }

        #[test]
        fn every_day_lies_in_its_week(days in 0i64..40_000) {
            let day = d(1990, 1, 1) + Duration::days(days);
            let w = ReportingWeek::containing(day);
            prop_assert!(w.contains(day));
            prop_assert_eq!(w.to_string().parse::<ReportingWeek>(), Ok(w));
        }
    }
}
