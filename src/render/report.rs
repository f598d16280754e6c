//! What the bot says about a report: why one was refused, with the template
//! to try again with, and the echo of what was recorded.

use chrono_tz::Tz;

use crate::domain::lang::Lang;
use crate::domain::model::ReportEcho;
use crate::domain::money::format_money_exact;
use crate::domain::report::{ReportError, ReportErrorKind};

use super::text::{date_error, fmt_local, money_error, t};

/// What a report says in figures and words, as the echo and `/status`
/// show it: one line a field that was given.
pub struct Figures<'a> {
    pub progress: Option<u8>,
    pub invested_week: Option<i64>,
    pub invested_total: Option<i64>,
    pub this_week: Option<&'a str>,
    pub next_week: Option<&'a str>,
}

impl Figures<'_> {
    /// Every field given: the amounts, then the work.
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        let mut lines = self.amounts(lang);
        lines.extend(self.work(lang));
        lines
    }

    /// Progress and investment.
    fn amounts(&self, lang: Lang) -> Vec<String> {
        let money = |v: Option<i64>| v.map(|v| format_money_exact(v, lang));
        given(
            lang,
            [
                ("report.echo.progress", self.progress.map(|v| v.to_string())),
                ("report.echo.invested_week", money(self.invested_week)),
                ("report.echo.invested_total", money(self.invested_total)),
            ],
        )
    }

    /// This week's work and next week's plan.
    fn work(&self, lang: Lang) -> Vec<String> {
        given(
            lang,
            [
                ("report.echo.this_week", self.this_week.map(str::to_string)),
                ("report.echo.next_week", self.next_week.map(str::to_string)),
            ],
        )
    }
}

fn given<const N: usize>(lang: Lang, fields: [(&str, Option<String>); N]) -> Vec<String> {
    fields
        .into_iter()
        .filter_map(|(key, value)| value.map(|v| t(lang, key, &[("value", v)])))
        .collect()
}

/// Why the report was refused, which line, and the template to try again with.
pub fn report_error(e: &ReportError, lang: Lang) -> String {
    let why = match &e.kind {
        ReportErrorKind::NoFields => t(lang, "report.error.no_fields", &[]),
        ReportErrorKind::BadProgress => t(lang, "report.error.bad_progress", &[]),
        ReportErrorKind::SeveralPercentages => t(lang, "report.error.several_percentages", &[]),
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
        "{headline}\n{}\n\n{}\n{}",
        t(lang, "report.error.not_recorded", &[]),
        t(lang, "report.template", &[]),
        t(lang, "report.forms", &[])
    )
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
    let figures = Figures {
        progress: p.progress,
        invested_week: p.invested_week,
        invested_total: p.invested_total,
        this_week: p.this_week.as_deref(),
        next_week: p.next_week.as_deref(),
    };
    out.extend(figures.amounts(lang));
    for d in &e.done {
        out.push(t(
            lang,
            "report.echo.done",
            &[("name", d.name.clone()), ("date", d.date.to_string())],
        ));
    }
    out.extend(figures.work(lang));
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
