//! The battle map's figures (挂图作战): a traffic light per project, by the
//! rules in `lights.*`, each with its reasons, and the rates inspection
//! circulars (督查通报) judge a portfolio by: 开工率, 按期完成率, 报送率 and
//! 投资完成率 against 序时进度 (the share of the year gone). Pure: every
//! function takes `today` and the week and returns data.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::analysis::is_start_milestone;
use super::bulletin::{Policy, ProjectSnapshot};
use super::status::{MilestoneStatus, milestone_status};
use super::time::ReportingWeek;

/// When a project's light turns red or yellow (`lights.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LightRules {
    /// Red once a milestone is overdue by this many days or more.
    pub red_overdue_days: i64,
    /// Red once this many weeks running have no report.
    pub red_missing_weeks: i64,
    /// Yellow once year-to-date investment is this many percentage points
    /// or more below the share of the year gone.
    pub yellow_plan_gap: i64,
}

impl LightRules {
    /// `config/default.toml`'s rules.
    pub const DEFAULT: LightRules = LightRules {
        red_overdue_days: 30,
        red_missing_weeks: 2,
        yellow_plan_gap: 10,
    };
}

impl Default for LightRules {
    fn default() -> Self {
        LightRules::DEFAULT
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Light {
    Green,
    Yellow,
    Red,
}

impl Light {
    pub const ALL: [Light; 3] = [Light::Red, Light::Yellow, Light::Green];

    /// The name a link or a filter writes.
    pub fn code(self) -> &'static str {
        match self {
            Light::Red => "red",
            Light::Yellow => "yellow",
            Light::Green => "green",
        }
    }

    pub fn from_code(s: &str) -> Option<Light> {
        Light::ALL.into_iter().find(|l| l.code() == s)
    }
}

/// Which projects the battle map shows: each `None` lets all through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub zone: Option<String>,
    pub chain: Option<String>,
    pub stage: Option<super::model::Stage>,
    pub light: Option<Light>,
}

impl Filter {
    /// Whether the project is in, by all but its light (which needs judging).
    pub fn admits(&self, p: &super::model::Project) -> bool {
        self.zone.as_ref().is_none_or(|z| *z == p.zone)
            && self.chain.as_ref().is_none_or(|c| *c == p.industry_chain)
            && self.stage.is_none_or(|s| s == p.stage)
    }

    pub fn admits_light(&self, light: Light) -> bool {
        self.light.is_none_or(|l| l == light)
    }
}

/// Why a light is not green, in data; `render` says it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Red: a milestone overdue `days` ≥ `red_overdue_days`.
    LongOverdue { milestone: String, days: i64 },
    /// Red: a problem open past the escalation limit.
    Escalated { id: i64, days: i64 },
    /// Red: no report for `weeks` weeks running, this one included.
    Silent { weeks: i64 },
    /// Yellow: overdue, not yet for long.
    Overdue { milestone: String, days: i64 },
    /// Yellow: due within the warning window.
    AtRisk { milestone: String, days_left: i64 },
    /// Yellow: this week's report has not come.
    NoReport,
    /// Yellow: investment this year `gap` points below the year's pace.
    BelowPace { gap: i64 },
}

impl Reason {
    pub fn light(&self) -> Light {
        match self {
            Reason::LongOverdue { .. } | Reason::Escalated { .. } | Reason::Silent { .. } => {
                Light::Red
            }
            _ => Light::Yellow,
        }
    }
}

/// A project's light and every reason for it, the red ones first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectLight {
    pub light: Light,
    pub reasons: Vec<Reason>,
}

/// What a light is judged on: the instant, its local day and week.
#[derive(Debug, Clone, Copy)]
pub struct Judged {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub week: ReportingWeek,
    pub policy: Policy,
}

impl Judged {
    /// Judged at `now`: its day and reporting week in `tz`.
    pub fn at(now: DateTime<Utc>, tz: chrono_tz::Tz, policy: Policy) -> Judged {
        let today = super::time::local_date(now, tz);
        Judged {
            now,
            today,
            week: ReportingWeek::containing(today),
            policy,
        }
    }
}

/// The share of `today`'s year gone by the end of `today`, in percent: the
/// pace (序时进度) investment is measured against.
pub fn year_elapsed_percent(today: NaiveDate) -> f64 {
    let days_in_year = if today.leap_year() { 366.0 } else { 365.0 };
    f64::from(today.ordinal()) * 100.0 / days_in_year
}

/// Whole percentage points by which `done` (percent of the plan) is behind
/// the share of the year gone on `today`; 0 or less when on pace.
pub fn points_behind(done: f64, today: NaiveDate) -> i64 {
    (year_elapsed_percent(today) - done).floor() as i64
}

/// Year-to-date investment as a percentage of the annual plan; `None`
/// without a plan.
pub fn invested_percent(invested: i64, plan: Option<i64>) -> Option<f64> {
    plan.filter(|p| *p > 0)
        .map(|p| invested as f64 * 100.0 / p as f64)
}

/// One project's light.
pub fn light(snap: &ProjectSnapshot, j: Judged) -> ProjectLight {
    let mut reasons = Vec::new();
    for m in &snap.milestones {
        match milestone_status(m, j.today, j.policy.warning_days) {
            MilestoneStatus::Overdue { days } if days >= j.policy.lights.red_overdue_days => {
                reasons.push(Reason::LongOverdue {
                    milestone: m.name.clone(),
                    days,
                });
            }
            MilestoneStatus::Overdue { days } => reasons.push(Reason::Overdue {
                milestone: m.name.clone(),
                days,
            }),
            MilestoneStatus::AtRisk { days_left } => reasons.push(Reason::AtRisk {
                milestone: m.name.clone(),
                days_left,
            }),
            _ => {}
        }
    }
    let now = j.now;
    // `is_escalated` asks the problem to be open; one raised after `now`
    // (a rehearsal with --now) does not count yet, as in the bulletin.
    for p in snap.problems.iter().filter(|p| p.raised_at <= now) {
        if p.is_escalated(now, j.policy.escalate_days) {
            reasons.push(Reason::Escalated {
                id: p.id,
                days: p.days_open(now),
            });
        }
    }
    reporting_reasons(snap, j, &mut reasons);
    if let Some(done) = invested_percent(snap.history.invested_this_year, snap.project.annual_plan)
    {
        let gap = points_behind(done, j.today);
        if gap >= j.policy.lights.yellow_plan_gap {
            reasons.push(Reason::BelowPace { gap });
        }
    }
    reasons.sort_by_key(|r| std::cmp::Reverse(r.light()));
    let light = reasons
        .iter()
        .map(Reason::light)
        .max()
        .unwrap_or(Light::Green);
    ProjectLight { light, reasons }
}

/// Red after `red_missing_weeks` silent weeks running, counting this one;
/// yellow while only this week's report is missing. A project that never
/// reported counts as silent this week only: it may be new.
fn reporting_reasons(snap: &ProjectSnapshot, j: Judged, reasons: &mut Vec<Reason>) {
    if snap.report.is_some() {
        return;
    }
    let silent = match snap.history.last_report {
        Some(last) => weeks_between(last, j.week),
        None => 1,
    };
    if silent >= j.policy.lights.red_missing_weeks {
        reasons.push(Reason::Silent { weeks: silent });
    } else {
        reasons.push(Reason::NoReport);
    }
}

/// Weeks from `from` to `to`, `to` counted and `from` not.
fn weeks_between(from: ReportingWeek, to: ReportingWeek) -> i64 {
    (to.monday() - from.monday()).num_days().div_euclid(7)
}

/// A rate's parts: how many of how many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ratio {
    pub done: usize,
    pub of: usize,
}

impl Ratio {
    fn add(&mut self, done: bool) {
        self.of += 1;
        self.done += usize::from(done);
    }
}

/// The circulars' rates over a set of projects, and its lights.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rates {
    pub projects: usize,
    /// 开工率: projects whose start is pledged by today, and started.
    pub started: Ratio,
    /// 按期完成率: milestones due by today, and done by their pledge in force.
    pub on_time: Ratio,
    /// 报送率: this week's reports received of those expected.
    pub reported: Ratio,
    /// 投资完成率: investment this year, of the annual plans (yuan).
    pub invested_this_year: i64,
    pub annual_plan: i64,
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
}

impl Rates {
    /// Year-to-date investment against the plans, in percent.
    pub fn invested_percent(&self) -> Option<f64> {
        invested_percent(self.invested_this_year, Some(self.annual_plan))
    }

    fn add(&mut self, snap: &ProjectSnapshot, light: Light, today: NaiveDate) {
        self.projects += 1;
        let due = || snap.milestones.iter().filter(|m| m.pledged <= today);
        if let Some(start) = due().find(|m| is_start_milestone(&m.name)) {
            self.started.add(start.actual.is_some_and(|a| a <= today));
        }
        for m in due() {
            self.on_time.add(m.actual.is_some_and(|a| a <= m.pledged));
        }
        self.reported.add(snap.report.is_some());
        if let Some(plan) = snap.project.annual_plan.filter(|p| *p > 0) {
            self.annual_plan += plan;
            self.invested_this_year += snap.history.invested_this_year;
        }
        match light {
            Light::Red => self.red += 1,
            Light::Yellow => self.yellow += 1,
            Light::Green => self.green += 1,
        }
    }
}

/// The battle map's figures: every project's light, the rates over the
/// whole portfolio, and the same per zone and per industry chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BattleMap {
    pub lights: Vec<(i64, ProjectLight)>,
    pub overall: Rates,
    pub by_zone: BTreeMap<String, Rates>,
    pub by_chain: BTreeMap<String, Rates>,
}

pub fn battle_map(snaps: &[ProjectSnapshot], j: Judged) -> BattleMap {
    let mut map = BattleMap::default();
    for snap in snaps.iter().filter(|s| s.project.active) {
        let l = light(snap, j);
        map.overall.add(snap, l.light, j.today);
        let p = &snap.project;
        map.by_zone
            .entry(p.zone.clone())
            .or_default()
            .add(snap, l.light, j.today);
        map.by_chain
            .entry(p.industry_chain.clone())
            .or_default()
            .add(snap, l.light, j.today);
        map.lights.push((p.id, l));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rhythm::tests::{ctx, snap};
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Judged at noon, Shanghai, on `day`.
    fn on(day: NaiveDate) -> Judged {
        let now = chrono_tz::Asia::Shanghai
            .from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        Judged {
            now,
            today: day,
            week: ReportingWeek::containing(day),
            policy: ctx(now).policy,
        }
    }

    /// The shared project with nothing wrong this week: reported, no
    /// problem, milestones far off.
    fn calm(today: NaiveDate) -> ProjectSnapshot {
        let mut s = snap();
        s.problems.clear();
        for m in &mut s.milestones {
            m.pledged = today + chrono::Duration::days(100);
        }
        let week = ReportingWeek::containing(today);
        s.report = Some(crate::domain::model::Report {
            id: 1,
            project_id: 1,
            week,
            submitted_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            submitted_by: "x".into(),
            late: false,
            progress: Some(50),
            invested_week: None,
            invested_total: None,
            this_week: None,
            next_week: None,
            free_text: Vec::new(),
        });
        s.history.last_report = Some(week);
        s
    }

    #[test]
    fn a_project_with_nothing_wrong_is_green_with_no_reasons() {
        let today = d(2026, 11, 26);
        assert_eq!(
            light(&calm(today), on(today)),
            ProjectLight {
                light: Light::Green,
                reasons: Vec::new()
            }
        );
    }

    #[test]
    fn overdue_exactly_red_overdue_days_is_red_and_a_day_less_is_yellow() {
        let today = d(2026, 11, 26);
        let mut s = calm(today);
        s.milestones[0].pledged = today - chrono::Duration::days(30);
        let l = light(&s, on(today));
        assert_eq!(l.light, Light::Red);
        assert_eq!(
            l.reasons,
            vec![Reason::LongOverdue {
                milestone: "开工".into(),
                days: 30
            }]
        );
        s.milestones[0].pledged = today - chrono::Duration::days(29);
        let l = light(&s, on(today));
        assert_eq!(l.light, Light::Yellow);
        assert_eq!(
            l.reasons,
            vec![Reason::Overdue {
                milestone: "开工".into(),
                days: 29
            }]
        );
    }

    #[test]
    fn a_milestone_revised_after_it_was_overdue_is_judged_by_its_pledge_in_force() {
        let today = d(2026, 11, 26);
        let mut s = calm(today);
        s.milestones[0].pledged_original = today - chrono::Duration::days(60);
        s.milestones[0].pledged = today + chrono::Duration::days(5);
        let l = light(&s, on(today));
        assert_eq!(
            l.reasons,
            vec![Reason::AtRisk {
                milestone: "开工".into(),
                days_left: 5
            }]
        );
        assert_eq!(l.light, Light::Yellow);
    }

    #[test]
    fn an_escalated_problem_is_red_and_one_open_a_day_less_is_not() {
        let today = d(2026, 11, 26);
        let j = on(today);
        let mut s = snap();
        s.report = calm(today).report;
        s.history.last_report = Some(j.week);
        s.milestones.clear();
        s.problems[0].raised_at = j.now - chrono::Duration::days(14);
        assert_eq!(
            light(&s, j).reasons,
            vec![Reason::Escalated { id: 7, days: 14 }]
        );
        s.problems[0].raised_at = j.now - chrono::Duration::days(13);
        assert_eq!(light(&s, j).light, Light::Green);
    }

    #[test]
    fn two_silent_weeks_running_are_red_one_is_yellow_and_a_project_never_reported_is_yellow() {
        let today = d(2026, 11, 26);
        let j = on(today);
        let mut s = calm(today);
        s.report = None;
        s.history.last_report = Some(j.week.previous());
        assert_eq!(light(&s, j).reasons, vec![Reason::NoReport]);
        s.history.last_report = Some(j.week.previous().previous());
        assert_eq!(light(&s, j).reasons, vec![Reason::Silent { weeks: 2 }]);
        s.history.last_report = None;
        assert_eq!(light(&s, j).reasons, vec![Reason::NoReport]);
    }

    #[test]
    fn silence_is_counted_across_a_year_boundary() {
        // 2026 has 53 ISO weeks: W52 to 2027-W01 is two weeks.
        let last = ReportingWeek {
            year: 2026,
            week: 52,
        };
        let now = ReportingWeek {
            year: 2027,
            week: 1,
        };
        assert_eq!(weeks_between(last, now), 2);
    }

    #[test]
    fn investment_ten_points_behind_the_years_pace_is_yellow_nine_is_not_and_no_plan_is_never() {
        // 1 July 2026: day 182 of 365, 49.9 % of the year gone.
        let today = d(2026, 7, 1);
        let mut s = calm(today);
        s.project.annual_plan = Some(1_000);
        s.history.invested_this_year = 398; // 39.8 %: 10.06 points behind
        assert_eq!(
            light(&s, on(today)).reasons,
            vec![Reason::BelowPace { gap: 10 }]
        );
        s.history.invested_this_year = 400; // 9.86 points behind
        assert_eq!(light(&s, on(today)).light, Light::Green);
        s.project.annual_plan = None;
        s.history.invested_this_year = 0;
        assert_eq!(light(&s, on(today)).light, Light::Green);
    }

    #[test]
    fn the_years_pace_starts_again_on_the_first_of_january() {
        assert!((year_elapsed_percent(d(2026, 12, 31)) - 100.0).abs() < 1e-9);
        assert!(year_elapsed_percent(d(2027, 1, 1)) < 0.3);
        assert!((year_elapsed_percent(d(2028, 12, 31)) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn rates_count_starts_milestones_reports_and_planned_investment_per_zone() {
        let today = d(2026, 11, 26);
        let j = on(today);
        let mut a = calm(today);
        a.project.zone = "园区A".into();
        a.milestones[0].pledged = d(2026, 11, 1);
        a.milestones[0].actual = Some(d(2026, 10, 30));
        a.project.annual_plan = Some(1_000);
        a.history.invested_this_year = 950;
        let mut b = calm(today);
        b.project.id = 2;
        b.project.zone = "园区B".into();
        b.milestones[0].pledged = d(2026, 11, 1);
        b.milestones[0].actual = Some(d(2026, 11, 10));
        b.milestones[1].pledged = d(2026, 11, 20);
        b.report = None;
        let map = battle_map(&[a, b], j);
        let r = &map.overall;
        assert_eq!(r.started, Ratio { done: 2, of: 2 });
        assert_eq!(r.on_time, Ratio { done: 1, of: 3 });
        assert_eq!(r.reported, Ratio { done: 1, of: 2 });
        assert_eq!((r.invested_this_year, r.annual_plan), (950, 1_000));
        assert_eq!((r.red, r.yellow, r.green), (0, 1, 1));
        assert_eq!(map.by_zone["园区B"].on_time, Ratio { done: 0, of: 2 });
        assert_eq!(map.by_zone["园区A"].invested_percent(), Some(95.0));
        assert_eq!(map.by_zone["园区B"].invested_percent(), None);
    }
}
