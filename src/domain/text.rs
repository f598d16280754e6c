//! Catalogue look-up and the small texts shared by every reply: statuses,
//! weeks, times, report errors and the echo of a recorded report.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::lang::Lang;
use super::model::{DoneMilestone, Problem};
use super::money::{MoneyError, format_money_exact};
use super::report::{ParsedReport, ReportError, ReportErrorKind};
use super::status::MilestoneStatus;
use super::time::{DateError, ReportingWeek};

/// Looks `key` up in the catalogue of `lang` and fills its `%{name}`
/// placeholders. Values are inserted once, never re-read as placeholders.
pub fn t(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let raw = crate::_rust_i18n_translate(lang.code(), key);
    if args.is_empty() {
        return raw.into_owned();
    }
    let names: Vec<&str> = args.iter().map(|(n, _)| *n).collect();
    let values: Vec<String> = args.iter().map(|(_, v)| v.clone()).collect();
    rust_i18n::replace_patterns(&raw, &names, &values)
}

/// `2026-11-27 16:00` in the configured zone.
pub fn fmt_local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

pub fn week_label(w: ReportingWeek, lang: Lang) -> String {
    let fmt = |d: chrono::NaiveDate| match lang {
        Lang::ZhCn => d.format("%-m月%-d日").to_string(),
        Lang::En => d.format("%-d %b").to_string(),
    };
    t(
        lang,
        "week.label",
        &[
            ("year", w.year.to_string()),
            ("week", w.week.to_string()),
            ("from", fmt(w.monday())),
            ("to", fmt(w.sunday())),
        ],
    )
}

pub fn status_label(s: MilestoneStatus, lang: Lang) -> String {
    match s {
        MilestoneStatus::Done => t(lang, "status.done", &[]),
        MilestoneStatus::DoneLate { days } => {
            t(lang, "status.done_late", &[("days", days.to_string())])
        }
        MilestoneStatus::OnTrack => t(lang, "status.on_track", &[]),
        MilestoneStatus::AtRisk { days_left } => {
            t(lang, "status.at_risk", &[("days", days_left.to_string())])
        }
        MilestoneStatus::Overdue { days } => {
            t(lang, "status.overdue", &[("days", days.to_string())])
        }
    }
}

pub fn money_error(e: &MoneyError, lang: Lang) -> String {
    let value = match e {
        MoneyError::Invalid(v) | MoneyError::TooPrecise(v) | MoneyError::TooLarge(v) => v.clone(),
        MoneyError::Empty | MoneyError::Negative => String::new(),
    };
    t(lang, e.key(), &[("value", value)])
}

pub fn date_error(e: &DateError, lang: Lang) -> String {
    let (DateError::Invalid(v) | DateError::NoSuchDay(v)) = e;
    t(lang, e.key(), &[("value", v.clone())])
}

/// Why the report was refused, which line, and the template to try again with.
pub fn report_error(e: &ReportError, lang: Lang) -> String {
    let why = match &e.kind {
        ReportErrorKind::NoFields => t(lang, "report.error.no_fields", &[]),
        ReportErrorKind::BadProgress => t(lang, "report.error.bad_progress", &[]),
        ReportErrorKind::BadMoney(m) => money_error(m, lang),
        ReportErrorKind::BadDate(d) => date_error(d, lang),
        ReportErrorKind::DuplicateField(f) => t(
            lang,
            "report.error.duplicate",
            &[(
                "field",
                match lang {
                    Lang::ZhCn => f.zh(),
                    Lang::En => f.en(),
                }
                .to_string(),
            )],
        ),
        ReportErrorKind::MissingMilestoneName => {
            t(lang, "report.error.missing_milestone_name", &[])
        }
        ReportErrorKind::UnknownMilestone { known } => t(
            lang,
            "report.error.unknown_milestone",
            &[(
                "known",
                known.join(if lang == Lang::En { ", " } else { "、" }),
            )],
        ),
        ReportErrorKind::FutureDate { today } => t(
            lang,
            "report.error.future_date",
            &[("today", today.to_string())],
        ),
        ReportErrorKind::TooLong { limit } => t(
            lang,
            "report.error.too_long",
            &[("limit", limit.to_string())],
        ),
        ReportErrorKind::FieldTooLong { limit } => t(
            lang,
            "report.error.field_too_long",
            &[("limit", limit.to_string())],
        ),
        ReportErrorKind::TooManyProblems { limit } => t(
            lang,
            "report.error.too_many_problems",
            &[("limit", limit.to_string())],
        ),
    };
    let headline = match e.line {
        Some(line) => t(
            lang,
            "report.error.line",
            &[
                ("line", line.to_string()),
                ("text", e.text.clone()),
                ("why", why),
            ],
        ),
        None => why,
    };
    format!(
        "{headline}\n{}\n\n{}",
        t(lang, "report.error.not_recorded", &[]),
        t(lang, "report.template", &[])
    )
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

pub fn report_echo(e: &ReportEcho, lang: Lang, tz: Tz) -> String {
    let mut out = vec![t(
        lang,
        "report.echo.title",
        &[
            ("code", e.code.clone()),
            ("name", e.name.clone()),
            ("week", e.week.to_string()),
            ("time", fmt_local(e.submitted_at, tz)),
        ],
    )];
    let p = &e.parsed;
    let mut field = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            out.push(t(lang, key, &[("value", v)]));
        }
    };
    field("report.echo.progress", p.progress.map(|v| v.to_string()));
    field(
        "report.echo.invested_week",
        p.invested_week.map(|v| format_money_exact(v, lang)),
    );
    field(
        "report.echo.invested_total",
        p.invested_total.map(|v| format_money_exact(v, lang)),
    );
    for d in &e.done {
        out.push(t(
            lang,
            "report.echo.done",
            &[("name", d.name.clone()), ("date", d.date.to_string())],
        ));
    }
    let mut field = |key: &str, value: &Option<String>| {
        if let Some(v) = value {
            out.push(t(lang, key, &[("value", v.clone())]));
        }
    };
    field("report.echo.this_week", &p.this_week);
    field("report.echo.next_week", &p.next_week);
    for rp in &e.problems {
        let key = if rp.already_open {
            "report.echo.problem_known"
        } else {
            "report.echo.problem"
        };
        out.push(t(
            lang,
            key,
            &[
                ("id", rp.problem.id.to_string()),
                ("text", rp.problem.text.clone()),
            ],
        ));
    }
    for line in &p.free_text {
        out.push(t(lang, "report.echo.free_text", &[("value", line.clone())]));
    }
    if e.replaced {
        out.push(t(lang, "report.echo.replaced", &[]));
    }
    if let Some(deadline) = e.late_after {
        out.push(t(
            lang,
            "report.echo.late",
            &[("deadline", fmt_local(deadline, tz))],
        ));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::parse_report;
    use std::collections::BTreeSet;

    fn keys(src: &str) -> BTreeSet<String> {
        src.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('_') && l.contains(": "))
            .map(|l| l.split_once(": ").unwrap().0.to_string())
            .collect()
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let zh = keys(include_str!("../../locales/zh-CN.yml"));
        let en = keys(include_str!("../../locales/en.yml"));
        assert_eq!(
            zh.symmetric_difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new()
        );
        for k in &zh {
            for lang in [Lang::ZhCn, Lang::En] {
                assert_ne!(t(lang, k, &[]), format!("{}.{k}", lang.code()), "{k}");
            }
        }
    }

    #[test]
    fn placeholders_are_filled_once() {
        let s = t(
            Lang::En,
            "report.echo.progress",
            &[("value", "%{value}".into())],
        );
        assert_eq!(s, "Progress: %{value}%");
    }

    #[test]
    fn error_names_the_line_in_each_language() {
        let e = parse_report("进度: 65%\n本周投资: 12x万").unwrap_err();
        let zh = report_error(&e, Lang::ZhCn);
        assert!(
            zh.starts_with("第 2 行「本周投资: 12x万」有误：「12x万」不是金额"),
            "{zh}"
        );
        assert!(zh.contains("累计投资: 3.2亿"));
        let en = report_error(&e, Lang::En);
        assert!(
            en.starts_with("Line 2 '本周投资: 12x万': '12x万' is not an amount"),
            "{en}"
        );
    }

    #[test]
    fn template_is_itself_a_valid_report() {
        for lang in [Lang::ZhCn, Lang::En] {
            let r = parse_report(&t(lang, "report.template", &[])).unwrap();
            assert_eq!(r.progress, Some(65));
            assert_eq!(r.problems.len(), 2);
            assert!(r.free_text.is_empty());
        }
    }
}
