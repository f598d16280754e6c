//! The weekly report as owners type it. Read as a liaison would read it
//! (`lines.rs`: list numbers, titles, any separator, several fields on one
//! line; `keys.rs`: the offices' words for each key; `values.rs`: the figure
//! meant, notes aside), and never guessed: a known key whose value cannot be
//! read refuses the whole report, with the line and why.

mod keys;
mod lines;
mod values;

use chrono::{Datelike, NaiveDate};

use super::lang::fold_width;
use super::model::{DoneMilestone, Milestone};
use super::money::MoneyError;
use super::time::{DateError, Due, Precision, parse_pledge_date};
use lines::{LineRead, read_line};
use values::ProgressError;

/// The fields of the report format (README.md, "A weekly report").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Progress,
    InvestedWeek,
    InvestedTotal,
    Done,
    ThisWeek,
    NextWeek,
    Problems,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Progress,
        Field::InvestedWeek,
        Field::InvestedTotal,
        Field::Done,
        Field::ThisWeek,
        Field::NextWeek,
        Field::Problems,
    ];

    pub fn zh(self) -> &'static str {
        match self {
            Field::Progress => "进度",
            Field::InvestedWeek => "本周投资",
            Field::InvestedTotal => "累计投资",
            Field::Done => "完成节点",
            Field::ThisWeek => "本周完成",
            Field::NextWeek => "下周计划",
            Field::Problems => "问题",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Field::Progress => "progress",
            Field::InvestedWeek => "invested_week",
            Field::InvestedTotal => "invested_total",
            Field::Done => "done",
            Field::ThisWeek => "this_week",
            Field::NextWeek => "next_week",
            Field::Problems => "problems",
        }
    }

    /// Recognises a key alone, in either language and any of the offices'
    /// words for it; English keys are matched without regard to case,
    /// spaces, hyphens or underscores.
    pub fn from_key(key: &str) -> Option<Field> {
        keys::field_named(key)
    }

    /// A field that holds one value; a second line of it is a mistake.
    fn single(self) -> bool {
        self.is_figure()
    }

    /// A field whose value is a figure (a percentage, an amount).
    fn is_figure(self) -> bool {
        matches!(
            self,
            Field::Progress | Field::InvestedWeek | Field::InvestedTotal
        )
    }

    /// A field whose value may go on over the lines below its key, as a
    /// numbered list (`存在问题：` then `1、…` `2、…`).
    fn takes_list(self) -> bool {
        matches!(self, Field::Problems | Field::ThisWeek | Field::NextWeek)
    }
}

/// A milestone completion as written, before it is checked against the pledge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneEntry {
    pub line: usize,
    pub name: String,
    pub date: Option<Due>,
}

/// What a report says, read but not yet checked against the project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedReport {
    pub progress: Option<u8>,
    pub invested_week: Option<i64>,
    pub invested_total: Option<i64>,
    pub done: Vec<DoneEntry>,
    pub this_week: Option<String>,
    pub next_week: Option<String>,
    pub problems: Vec<String>,
    /// Lines with unknown keys or no key, kept verbatim.
    pub free_text: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportErrorKind {
    /// Nothing in the message is a report field.
    NoFields,
    BadProgress,
    /// Two different percentages in one progress value.
    SeveralPercentages,
    BadMoney(MoneyError),
    BadDate(DateError),
    DuplicateField(Field),
    MissingMilestoneName,
    UnknownMilestone {
        known: Vec<String>,
    },
    FutureDate {
        today: NaiveDate,
    },
    TooLong {
        limit: usize,
    },
    /// One value is longer than the field allows.
    FieldTooLong {
        limit: usize,
    },
    TooManyProblems {
        limit: usize,
    },
}

/// Why a report was not recorded: the line (1-based) and its text where one
/// line is to blame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ReportError {
    pub line: Option<usize>,
    pub text: String,
    pub kind: ReportErrorKind,
}

impl ReportError {
    fn at(line: usize, text: &str, kind: ReportErrorKind) -> Self {
        ReportError {
            line: Some(line),
            text: text.trim().to_string(),
            kind,
        }
    }

    /// Plain English description, for logs and the command line's stderr.
    fn describe(&self) -> String {
        let why = match &self.kind {
            ReportErrorKind::NoFields => "no report fields found".to_string(),
            ReportErrorKind::BadProgress => "progress must be a whole number from 0 to 100".into(),
            ReportErrorKind::SeveralPercentages => {
                "two different percentages: which is the progress?".into()
            }
            ReportErrorKind::BadMoney(e) => e.to_string(),
            ReportErrorKind::BadDate(e) => e.to_string(),
            ReportErrorKind::DuplicateField(f) => format!("'{}' appears twice", f.en()),
            ReportErrorKind::MissingMilestoneName => "milestone name missing".into(),
            ReportErrorKind::UnknownMilestone { known } => {
                format!("no such pledged milestone (pledged: {})", known.join(", "))
            }
            ReportErrorKind::FutureDate { today } => format!("date is after today ({today})"),
            ReportErrorKind::TooLong { limit } => format!("longer than {limit} characters"),
            ReportErrorKind::FieldTooLong { limit } => {
                format!("value longer than {limit} characters")
            }
            ReportErrorKind::TooManyProblems { limit } => {
                format!("more than {limit} problems in one report")
            }
        };
        match self.line {
            Some(n) => format!("line {n} '{}': {why}", self.text),
            None => why,
        }
    }
}

/// Longest report text accepted: a weekly report is a few lines, and a
/// message this long is a paste gone wrong.
pub const MAX_REPORT_CHARS: usize = 8_000;
/// Longest value of one field line.
pub const MAX_FIELD_CHARS: usize = 1_000;
/// Longest single problem; longer ones are descriptions, not problems.
pub const MAX_PROBLEM_CHARS: usize = 500;
/// Problems one report may raise.
pub const MAX_PROBLEMS: usize = 10;

/// Values meaning "nothing to say", as owners fill in a template.
fn is_nothing(v: &str) -> bool {
    matches!(
        v.trim().to_lowercase().as_str(),
        "" | "无" | "没有" | "暂无" | "无问题" | "none" | "n/a" | "na" | "-" | "—" | "/"
    )
}

/// Reads a report. Line numbers in errors count every line of `text`, blank
/// ones included, so they match what the owner sees.
pub fn parse_report(text: &str) -> Result<ParsedReport, ReportError> {
    if text.chars().count() > MAX_REPORT_CHARS {
        return Err(ReportError {
            line: None,
            text: String::new(),
            kind: ReportErrorKind::TooLong {
                limit: MAX_REPORT_CHARS,
            },
        });
    }
    let mut r = ParsedReport::default();
    let mut seen: Vec<Field> = Vec::new();
    let mut any_field = false;
    // The field whose list goes on below its key line, while it does.
    let mut open_list: Option<Field> = None;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        let fields = match read_line(line) {
            LineRead::Nothing => {
                open_list = None;
                continue;
            }
            LineRead::Free { listed: true, body } if open_list.is_some() => {
                let field = open_list.unwrap_or(Field::Problems);
                // A problem is its text; a week's work keeps its numbering.
                let value = if field == Field::Problems { body } else { line };
                read_field(&mut r, field, value, line_no, line)?;
                continue;
            }
            LineRead::Free { .. } => {
                open_list = None;
                r.free_text.push(line.to_string());
                continue;
            }
            LineRead::Fields(fields) => fields,
        };
        open_list = None;
        for (field, value) in fields {
            if field.single() && seen.contains(&field) {
                return Err(ReportError::at(
                    line_no,
                    line,
                    ReportErrorKind::DuplicateField(field),
                ));
            }
            seen.push(field);
            any_field = true;
            if value.is_empty() && field.takes_list() {
                open_list = Some(field);
            }
            if is_nothing(value) {
                continue;
            }
            read_field(&mut r, field, value, line_no, line)?;
        }
    }
    if !any_field {
        return Err(ReportError {
            line: None,
            text: String::new(),
            kind: ReportErrorKind::NoFields,
        });
    }
    Ok(r)
}

/// Reads one field's value (not empty, not "none") into the report.
fn read_field(
    r: &mut ParsedReport,
    field: Field,
    value: &str,
    line_no: usize,
    line: &str,
) -> Result<(), ReportError> {
    let err = |kind| ReportError::at(line_no, line, kind);
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(err(ReportErrorKind::FieldTooLong {
            limit: MAX_FIELD_CHARS,
        }));
    }
    match field {
        Field::Progress => {
            r.progress = Some(values::progress(value).map_err(|e| match e {
                ProgressError::Unreadable => err(ReportErrorKind::BadProgress),
                ProgressError::Several => err(ReportErrorKind::SeveralPercentages),
            })?)
        }
        Field::InvestedWeek => {
            r.invested_week =
                Some(values::money(value).map_err(|e| err(ReportErrorKind::BadMoney(e)))?)
        }
        Field::InvestedTotal => {
            r.invested_total =
                Some(values::money(value).map_err(|e| err(ReportErrorKind::BadMoney(e)))?)
        }
        Field::Done => {
            for item in split_items(value) {
                r.done.push(parse_done(line_no, line, item)?);
            }
        }
        Field::ThisWeek => append(&mut r.this_week, value),
        Field::NextWeek => append(&mut r.next_week, value),
        Field::Problems => {
            for item in split_items(value) {
                if item.chars().count() > MAX_PROBLEM_CHARS {
                    return Err(err(ReportErrorKind::FieldTooLong {
                        limit: MAX_PROBLEM_CHARS,
                    }));
                }
                r.problems.push(item.to_string());
                if r.problems.len() > MAX_PROBLEMS {
                    return Err(err(ReportErrorKind::TooManyProblems {
                        limit: MAX_PROBLEMS,
                    }));
                }
            }
        }
    }
    Ok(())
}

fn split_items(value: &str) -> impl Iterator<Item = &str> {
    values::items(value).into_iter().filter(|s| !is_nothing(s))
}

fn append(slot: &mut Option<String>, value: &str) {
    match slot {
        Some(existing) => {
            existing.push('\n');
            existing.push_str(value);
        }
        None => *slot = Some(value.to_string()),
    }
}

/// The day a completion counts from: the day written, or for a month
/// (`开工 2026年11月`) its last day, or today while that month lasts.
fn done_on(d: Due, today: NaiveDate) -> NaiveDate {
    let month_started = d.date.with_day(1).is_some_and(|first| first <= today);
    match d.precision {
        Precision::Month if d.date > today && month_started => today,
        _ => d.date,
    }
}

/// `开工 2026-11-18`: a name, then optionally a date as the last word.
fn parse_done(line_no: usize, line: &str, item: &str) -> Result<DoneEntry, ReportError> {
    let (name, date) = match item.rsplit_once(char::is_whitespace) {
        Some((name, last)) if looks_like_date(last) => {
            let date = parse_pledge_date(last)
                .map_err(|e| ReportError::at(line_no, line, ReportErrorKind::BadDate(e)))?;
            (name.trim(), Some(date))
        }
        _ if looks_like_date(item) => ("", None),
        _ => (item.trim(), None),
    };
    if name.is_empty() {
        return Err(ReportError::at(
            line_no,
            line,
            ReportErrorKind::MissingMilestoneName,
        ));
    }
    Ok(DoneEntry {
        line: line_no,
        name: name.to_string(),
        date,
    })
}

/// A word that starts with a digit and is meant as a date (so a milestone
/// named `3号楼封顶` is a name, but `2026-13-01` is a bad date).
fn looks_like_date(word: &str) -> bool {
    let w = fold_width(word);
    w.len() >= 6
        && w.chars().next().is_some_and(|c| c.is_ascii_digit())
        && w.contains(['-', '/', '.', '年'])
}

/// A milestone named in a report or a command, matched to the pledge: exact,
/// then ignoring case and spaces.
pub fn find_milestone<'a>(milestones: &'a [Milestone], name: &str) -> Option<&'a Milestone> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    milestones.iter().find(|m| m.name == name).or_else(|| {
        let wanted = squash(name);
        milestones.iter().find(|m| squash(&m.name) == wanted)
    })
}

/// Checks the completed milestones against the pledge: each must be pledged
/// and not dated after `today`; an undated one was done `today`.
pub fn resolve_done(
    parsed: &ParsedReport,
    milestones: &[Milestone],
    today: NaiveDate,
) -> Result<Vec<(i64, DoneMilestone)>, ReportError> {
    parsed
        .done
        .iter()
        .map(|entry| {
            let err = |kind| ReportError {
                line: Some(entry.line),
                text: entry.name.clone(),
                kind,
            };
            let m = find_milestone(milestones, &entry.name).ok_or_else(|| {
                err(ReportErrorKind::UnknownMilestone {
                    known: milestones.iter().map(|m| m.name.clone()).collect(),
                })
            })?;
            let date = entry.date.map_or(today, |d| done_on(d, today));
            if date > today {
                return Err(err(ReportErrorKind::FutureDate { today }));
            }
            Ok((
                m.id,
                DoneMilestone {
                    name: m.name.clone(),
                    date,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests;
