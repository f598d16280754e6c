//! The portfolio's nouns: projects, milestones, reports, problems.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};

use super::ids::{ChatKind, ChatRef, PersonRef};
use super::lang::Lang;
use super::report::ParsedReport;
use super::time::{Due, Precision, ReportingWeek};

/// Where a project stands in its life; ordered as projects move through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Signed,
    Landed,
    Construction,
    Production,
    Registered,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Signed,
        Stage::Landed,
        Stage::Construction,
        Stage::Production,
        Stage::Registered,
    ];

    /// Stable name stored in the database and accepted in CSV.
    pub fn code(self) -> &'static str {
        match self {
            Stage::Signed => "signed",
            Stage::Landed => "landed",
            Stage::Construction => "construction",
            Stage::Production => "production",
            Stage::Registered => "registered",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Stage::Signed => "stage.signed",
            Stage::Landed => "stage.landed",
            Stage::Construction => "stage.construction",
            Stage::Production => "stage.production",
            Stage::Registered => "stage.registered",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown stage '{0}' (expected signed/签约, landed/落地, construction/在建, production/投产, registered/入库)"
)]
pub struct UnknownStage(pub String);

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_lowercase().as_str() {
            "signed" | "签约" | "已签约" => Stage::Signed,
            "landed" | "落地" | "已落地" | "前期" => Stage::Landed,
            "construction" | "under construction" | "在建" | "已开工" => Stage::Construction,
            "production" | "in production" | "投产" | "已投产" => Stage::Production,
            "registered" | "入库" | "已入库" => Stage::Registered,
            _ => return Err(UnknownStage(s.trim().to_string())),
        })
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub owner_org: String,
    pub zone: String,
    pub industry_chain: String,
    pub stage: Stage,
    /// Planned investment in whole yuan.
    pub investment: i64,
    /// Name of the zone's liaison as written in the import (people bound
    /// through the chat take precedence where known).
    pub liaison_name: String,
    /// The leader answerable for it (责任领导), as the pledge sheet names them.
    pub leader: String,
    /// This year's planned investment in yuan (年度计划投资), where known.
    pub annual_plan: Option<i64>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    /// The date first pledged; never overwritten by a revision.
    pub pledged_original: NaiveDate,
    /// The date in force after the latest revision.
    pub pledged: NaiveDate,
    pub actual: Option<NaiveDate>,
    pub position: i64,
    /// How exactly each pledge was made (a month is due by its last day,
    /// which the date holds).
    pub original_precision: Precision,
    pub pledged_precision: Precision,
}

impl Milestone {
    pub fn slipped(&self) -> bool {
        self.pledged != self.pledged_original
    }

    /// The pledge in force, as it was made.
    pub fn pledge(&self) -> Due {
        Due {
            date: self.pledged,
            precision: self.pledged_precision,
        }
    }

    /// The first pledge, as it was made.
    pub fn original_pledge(&self) -> Due {
        Due {
            date: self.pledged_original,
            precision: self.original_precision,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeRevision {
    pub milestone_id: i64,
    pub pledged: NaiveDate,
    pub precision: Precision,
    pub recorded_at: DateTime<Utc>,
    pub source: String,
}

/// A milestone reported complete in a weekly report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneMilestone {
    pub name: String,
    pub date: NaiveDate,
}

/// A report as stored; completed milestones and problems live in their own
/// tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub id: i64,
    pub project_id: i64,
    pub week: ReportingWeek,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: String,
    pub late: bool,
    pub progress: Option<u8>,
    pub invested_week: Option<i64>,
    pub invested_total: Option<i64>,
    pub this_week: Option<String>,
    pub next_week: Option<String>,
    pub free_text: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemLevel {
    Zone,
    Escalated,
}

impl ProblemLevel {
    pub fn code(self) -> &'static str {
        match self {
            ProblemLevel::Zone => "zone",
            ProblemLevel::Escalated => "escalated",
        }
    }

    pub fn from_code(s: &str) -> Self {
        if s == "escalated" {
            ProblemLevel::Escalated
        } else {
            ProblemLevel::Zone
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub id: i64,
    pub project_id: i64,
    pub text: String,
    pub raised_by: String,
    pub raised_at: DateTime<Utc>,
    pub level: ProblemLevel,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
}

impl Problem {
    pub fn is_open(&self) -> bool {
        self.resolved_at.is_none()
    }

    /// Whole days the problem has been open at `now` (or was, until resolved).
    pub fn days_open(&self, now: DateTime<Utc>) -> i64 {
        (self.resolved_at.unwrap_or(now) - self.raised_at)
            .num_days()
            .max(0)
    }

    /// Escalated by hand, or open past the configured limit.
    pub fn is_escalated(&self, now: DateTime<Utc>, escalate_days: i64) -> bool {
        self.is_open()
            && (self.level == ProblemLevel::Escalated || self.days_open(now) >= escalate_days)
    }
}

/// A problem recorded from a report: new, or an open one it repeated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedProblem {
    pub problem: Problem,
    pub already_open: bool,
}

/// What was recorded, for the echo to the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportEcho {
    pub code: String,
    pub name: String,
    pub week: ReportingWeek,
    pub submitted_at: DateTime<Utc>,
    pub replaced: bool,
    pub late_after: Option<DateTime<Utc>>,
    pub parsed: ParsedReport,
    pub done: Vec<DoneMilestone>,
    pub problems: Vec<RecordedProblem>,
}

/// Someone on a chat platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub account: PersonRef,
    pub display_name: String,
    pub username: Option<String>,
    /// The person opened a private chat with the bot, so it may write first.
    pub can_dm: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Liaison,
    Owner,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Liaison => "liaison",
            Role::Owner => "owner",
        }
    }

    /// The role a stored [`Role::code`] names; `None` for any other text.
    pub fn from_code(s: &str) -> Option<Self> {
        [Role::Liaison, Role::Owner]
            .into_iter()
            .find(|role| role.code() == s)
    }
}

/// A chat the bot is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chat {
    pub id: i64,
    pub address: ChatRef,
    pub kind: ChatKind,
    pub title: String,
    /// The language chosen with `/lang`; the configured one otherwise.
    pub locale: Option<Lang>,
    pub project_id: Option<i64>,
    pub is_leadership: bool,
    pub active: bool,
}

impl Chat {
    /// The language this chat is answered in.
    pub fn lang(&self, default: Lang) -> Lang {
        self.locale.unwrap_or(default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_parse_in_both_languages() {
        for s in Stage::ALL {
            assert_eq!(s.code().parse::<Stage>(), Ok(s));
        }
        assert_eq!("在建".parse::<Stage>(), Ok(Stage::Construction));
        assert_eq!(" 入库 ".parse::<Stage>(), Ok(Stage::Registered));
        assert!("building".parse::<Stage>().is_err());
    }
}
