//! The monthly analysis (月分析) and quarterly review (季通报): a period's
//! investment, milestones kept and missed, start rate, problems and ranking.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::bulletin::{Policy, ProjectRef, ProjectSnapshot, RankLine, rank_lines};
use super::history::{Kept, rates_at, weeks_ending_in};
use super::indicators::Rates;
use super::model::{PledgeRevision, Report};
use super::ranking::performance;
use super::time::ReportingWeek;

/// Names of the construction-start milestone, whose completion makes the
/// start rate (开工率), as pledges write it in either language.
pub fn is_start_milestone(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    matches!(
        n.as_str(),
        "开工" | "start" | "construction start" | "start of construction"
    )
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    pub period: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: DateTime<Utc>,
    pub project_count: usize,
    pub planned_total: i64,
    /// Investment reported for weeks beginning in the period.
    pub invested_in_period: i64,
    /// Latest cumulative investment each project reported, summed.
    pub invested_cumulative: i64,
    /// Milestones pledged for the period.
    pub due: usize,
    pub on_time: usize,
    pub late: usize,
    /// Due in the period and not done by its end.
    pub missed: usize,
    /// Projects with a start milestone pledged by the period's end, and how
    /// many of them have started.
    pub start_pledged: usize,
    pub started: usize,
    pub problems_opened: usize,
    pub problems_closed: usize,
    pub bottom: Vec<RankLine>,
    /// The circulars' rates at the end of each week ending in the period
    /// (the last is the period's figure), as they stood then.
    pub trend: Vec<(ReportingWeek, Rates)>,
    /// The previous period and its figure, to say what changed.
    pub previous: Option<(String, Rates)>,
}

impl Analysis {
    /// The rates at the period's end: those of its last week.
    pub fn rates(&self) -> Option<&(ReportingWeek, Rates)> {
        self.trend.last()
    }
}

/// The period before `period`, written the same way (`2026-10` before
/// `2026-11`, `2026-Q3` before `2026-Q4`, `2025-12` before `2026-01`).
pub fn previous_period(period: &str) -> Option<String> {
    let (from, _) = period_dates(period)?;
    let before = from - Duration::days(1);
    Some(if period.contains('Q') {
        format!(
            "{}-Q{}",
            chrono::Datelike::year(&before),
            chrono::Datelike::month(&before).div_ceil(3)
        )
    } else {
        before.format("%Y-%m").to_string()
    })
}

/// A whole-number rate, rounded half up, or `-` when nothing was due.
pub fn percent(n: usize, of: usize) -> String {
    (n * 100 + of / 2)
        .checked_div(of)
        .map_or_else(|| "-".into(), |p| format!("{p}%"))
}

/// The dates `period` (`2026-11` or `2026-Q4`) spans.
pub fn period_dates(period: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (y, rest) = period.split_once('-')?;
    let year: i32 = y.parse().ok()?;
    let (first_month, months) = match rest.strip_prefix('Q') {
        Some(q) => (
            q.parse::<u32>().ok().filter(|q| (1..=4).contains(q))? * 3 - 2,
            3,
        ),
        None => (
            rest.parse::<u32>().ok().filter(|m| (1..=12).contains(m))?,
            1,
        ),
    };
    let from = NaiveDate::from_ymd_opt(year, first_month, 1)?;
    let next = if first_month + months > 12 {
        NaiveDate::from_ymd_opt(year + 1, first_month + months - 12, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, first_month + months, 1)?
    };
    Some((from, next - Duration::days(1)))
}

/// Composes the analysis of `period`; `reports` are the reports in force of
/// every week, at least those up to the period's end, and `revisions`
/// every pledge recorded (the rates as they stood each week).
pub fn compose_analysis(
    period: &str,
    snaps: &[ProjectSnapshot],
    reports: &[Report],
    revisions: &[PledgeRevision],
    now: DateTime<Utc>,
    tz: Tz,
    policy: Policy,
) -> Option<Analysis> {
    let (from, to) = period_dates(period)?;
    let kept = Kept::new(snaps, revisions, reports);
    let at = |w: ReportingWeek| (w, rates_at(&kept, w, tz, policy));
    let trend = weeks_ending_in(from, to).into_iter().map(at).collect();
    let previous = previous_period(period).and_then(|p| {
        let (pf, pt) = period_dates(&p)?;
        let last = *weeks_ending_in(pf, pt).last()?;
        Some((p, at(last).1))
    });
    let mut a = Analysis {
        period: period.to_string(),
        from,
        to,
        as_of: now,
        project_count: snaps.len(),
        planned_total: snaps.iter().map(|s| s.project.investment).sum(),
        trend,
        previous,
        ..Analysis::default()
    };
    for s in snaps {
        add_project(&mut a, s, kept.reports_of(s.project.id), tz);
    }
    let ranked: Vec<_> = snaps
        .iter()
        .filter_map(|s| performance(&s.milestones, to).map(|p| (ProjectRef::of(&s.project), p)))
        .collect();
    a.bottom = rank_lines(&ranked, policy.bottom_count);
    Some(a)
}

/// Adds one project's investment, milestones, start and problems to the
/// figures of the period `a` spans.
fn add_project(a: &mut Analysis, s: &ProjectSnapshot, mine: &[&Report], tz: Tz) {
    let (from, to) = (a.from, a.to);
    let in_period = |d: NaiveDate| d >= from && d <= to;
    let mine = mine.iter().copied();
    a.invested_in_period += mine
        .clone()
        .filter(|r| in_period(r.week.monday()))
        .filter_map(|r| r.invested_week)
        .sum::<i64>();
    a.invested_cumulative += mine
        .filter(|r| r.week.monday() <= to)
        .max_by_key(|r| r.week)
        .and_then(|r| r.invested_total)
        .unwrap_or(0);
    for m in s.milestones.iter().filter(|m| in_period(m.pledged)) {
        a.due += 1;
        match m.actual.filter(|d| *d <= to) {
            Some(d) if d <= m.pledged => a.on_time += 1,
            Some(_) => a.late += 1,
            None => a.missed += 1,
        }
    }
    if let Some(start) = s
        .milestones
        .iter()
        .find(|m| is_start_milestone(&m.name) && m.pledged <= to)
    {
        a.start_pledged += 1;
        a.started += usize::from(start.actual.is_some_and(|d| d <= to));
    }
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive();
    a.problems_opened += s
        .problems
        .iter()
        .filter(|p| in_period(local(p.raised_at)))
        .count();
    a.problems_closed += s
        .problems
        .iter()
        .filter(|p| p.resolved_at.is_some_and(|r| in_period(local(r))))
        .count();
}

/// The share of the plan invested, rounded half up, or `-` without a plan.
pub fn percent_i64(n: i64, of: i64) -> String {
    if of <= 0 {
        "-".into()
    } else {
        format!("{}%", (n as i128 * 100 + of as i128 / 2) / of as i128)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_spans() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            period_dates("2026-11"),
            Some((d(2026, 11, 1), d(2026, 11, 30)))
        );
        assert_eq!(
            period_dates("2026-12"),
            Some((d(2026, 12, 1), d(2026, 12, 31)))
        );
        assert_eq!(
            period_dates("2026-Q4"),
            Some((d(2026, 10, 1), d(2026, 12, 31)))
        );
        assert_eq!(
            period_dates("2026-Q1"),
            Some((d(2026, 1, 1), d(2026, 3, 31)))
        );
        assert_eq!(period_dates("2026-13"), None);
        assert_eq!(period_dates("2026-Q5"), None);
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(0, 0), "-");
        assert!(is_start_milestone("开工") && is_start_milestone("Start"));
        assert!(!is_start_milestone("竣工"));
    }

    #[test]
    fn the_previous_period_crosses_a_year_boundary() {
        assert_eq!(previous_period("2026-11").as_deref(), Some("2026-10"));
        assert_eq!(previous_period("2026-01").as_deref(), Some("2025-12"));
        assert_eq!(previous_period("2026-Q1").as_deref(), Some("2025-Q4"));
        assert_eq!(previous_period("2026-Q4").as_deref(), Some("2026-Q3"));
        assert_eq!(previous_period("2026-13"), None);
    }
}
