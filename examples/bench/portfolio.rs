//! A synthetic portfolio, the same every run: project `i` always has the
//! same stage, investment, milestones, report and problems, so two runs of a
//! benchmark compare like with like.

#![allow(dead_code)] // each benchmark target uses its own half of this file

use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use duban::domain::bulletin::ProjectSnapshot;
use duban::domain::model::{Milestone, Problem, ProblemLevel, Project, Report, Stage};
use duban::domain::time::{Precision, ReportingWeek};

pub const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// A wall-clock time in Shanghai.
pub fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a valid Shanghai time")
        .with_timezone(&Utc)
}

/// Friday of ISO week 48 of 2026, at the bulletin's hour.
pub fn bulletin_time() -> DateTime<Utc> {
    sh(2026, 11, 27, 16, 0)
}

/// A small deterministic generator (SplitMix64): no dependency, same
/// sequence everywhere.
struct Mix(u64);

impl Mix {
    fn new(seed: u64) -> Self {
        Mix(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0 ..= n-1.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const MILESTONES: [&str; 4] = ["开工", "主体完工", "竣工验收", "投产"];
const ZONES: [&str; 5] = ["高新区", "经开区", "临港园区", "综保区", "城东片区"];
const CHAINS: [&str; 4] = ["新能源", "生物医药", "智能装备", "新材料"];

pub fn code(i: usize) -> String {
    format!("P{i:06}")
}

fn name(i: usize) -> String {
    format!("{}产业项目{i}号", CHAINS[i % CHAINS.len()])
}

fn stage(r: &mut Mix) -> Stage {
    Stage::ALL[r.below(Stage::ALL.len() as u64) as usize]
}

/// Planned investment in yuan: 5 million to 5 billion, most in the tens of
/// millions to a few hundred million.
fn investment(r: &mut Mix) -> i64 {
    let wan = match r.below(10) {
        0 => 500 + r.below(4_500),
        1..=6 => 5_000 + r.below(45_000),
        7 | 8 => 50_000 + r.below(150_000),
        _ => 200_000 + r.below(300_000),
    };
    i64::try_from(wan).unwrap_or(0) * 10_000
}

/// Pledged dates around the bulletin's week: some long past, some due soon,
/// most ahead.
fn pledges(r: &mut Mix, today: NaiveDate) -> Vec<(NaiveDate, NaiveDate, Option<NaiveDate>)> {
    let mut day = today - Duration::days(i64::try_from(r.below(240)).unwrap_or(0));
    (0..MILESTONES.len())
        .map(|_| {
            day += Duration::days(20 + i64::try_from(r.below(120)).unwrap_or(0));
            let original = if r.chance(15) {
                day - Duration::days(10 + i64::try_from(r.below(60)).unwrap_or(0))
            } else {
                day
            };
            let actual = (day < today && r.chance(60)).then(|| {
                let late = i64::try_from(r.below(30)).unwrap_or(0) - 10;
                (day + Duration::days(late)).min(today)
            });
            (original, day, actual)
        })
        .collect()
}

/// Snapshots of `n` active projects as the bulletin sees them at
/// [`bulletin_time`]: about 75 % reported this week, a third with problems.
pub fn snapshots(n: usize) -> Vec<ProjectSnapshot> {
    let now = bulletin_time();
    let today = now.with_timezone(&TZ).date_naive();
    let week = ReportingWeek::of_instant(now, TZ);
    (0..n)
        .map(|i| {
            let mut r = Mix::new(i as u64);
            let id = i as i64 + 1;
            let project = Project {
                id,
                code: code(i),
                name: name(i),
                owner_org: format!("业主单位{}", i % 997),
                zone: ZONES[i % ZONES.len()].into(),
                industry_chain: CHAINS[i % CHAINS.len()].into(),
                stage: stage(&mut r),
                investment: investment(&mut r),
                liaison_name: format!("联络员{}", i % 61),
                leader: String::new(),
                annual_plan: None,
                active: true,
            };
            let milestones = pledges(&mut r, today)
                .into_iter()
                .zip(MILESTONES)
                .enumerate()
                .map(|(pos, ((original, pledged, actual), m))| Milestone {
                    id: id * 10 + pos as i64,
                    project_id: id,
                    name: m.into(),
                    pledged_original: original,
                    pledged,
                    actual,
                    position: pos as i64,
                    original_precision: Precision::Day,
                    pledged_precision: Precision::Day,
                })
                .collect();
            let report = r.chance(75).then(|| Report {
                id,
                project_id: id,
                week,
                submitted_at: now - Duration::hours(30),
                submitted_by: format!("业主{i}"),
                late: r.chance(7),
                progress: Some(u8::try_from(r.below(101)).unwrap_or(0)),
                invested_week: Some(12_000_000),
                invested_total: Some(320_000_000),
                this_week: Some("桩基施工完成80%".into()),
                next_week: Some("主体结构施工".into()),
                free_text: Vec::new(),
            });
            let problems = (0..if r.chance(33) { 1 + r.below(2) } else { 0 })
                .map(|k| {
                    let raised = now - Duration::days(i64::try_from(r.below(40)).unwrap_or(0));
                    Problem {
                        id: id * 10 + k as i64,
                        project_id: id,
                        text: "临时用电未接通，影响夜间施工".into(),
                        raised_by: format!("业主{i}"),
                        raised_at: raised,
                        level: if r.chance(10) {
                            ProblemLevel::Escalated
                        } else {
                            ProblemLevel::Zone
                        },
                        resolved_at: r.chance(20).then(|| now - Duration::hours(20)),
                        resolution: None,
                    }
                })
                .collect();
            ProjectSnapshot {
                project,
                liaison: (i % 10 != 0).then(|| format!("联络员{}", i % 61)),
                milestones,
                report,
                problems,
                history: Default::default(),
            }
        })
        .collect()
}

/// The same portfolio's projects and pledges as an import CSV, as known on
/// `as_of` (an import refuses completions in its future).
pub fn csv(n: usize, as_of: NaiveDate) -> String {
    let mut out = String::from(
        "code,name,owner,stage,investment,milestone,pledged,actual,zone,industry,liaison\n",
    );
    for s in snapshots(n) {
        let p = &s.project;
        for m in &s.milestones {
            // Revisions are a separate import; the CSV states the date in force.
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                p.code,
                p.name,
                p.owner_org,
                p.stage.code(),
                p.investment,
                m.name,
                m.pledged,
                m.actual
                    .filter(|d| *d <= as_of)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                p.zone,
                p.industry_chain,
                p.liaison_name,
            );
        }
    }
    out
}
