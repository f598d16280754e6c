//! The monthly analysis (月分析) and quarterly review (季通报) as posted:
//! Telegram HTML with every value escaped. The figures are composed in
//! `domain::analysis`.

use chrono_tz::Tz;

use crate::domain::analysis::{Analysis, percent, percent_i64};
use crate::domain::lang::Lang;
use crate::domain::money::format_money_short;

use super::html::escape_html;
use super::text::{fmt_local, t};

/// The analysis as posted (HTML, values escaped).
pub fn render_analysis(a: &Analysis, quarterly: bool, lang: Lang, tz: Tz, late: bool) -> String {
    let mut out = Vec::new();
    if late {
        out.push(escape_html(&t(lang, "rhythm.late", &[])));
    }
    heading(&mut out, a, quarterly, lang, tz);
    for (key, args) in figures(a, lang) {
        out.push(escape_html(&t(lang, key, &args)));
    }
    bottom(&mut out, a, lang);
    out.join("\n")
}

fn heading(out: &mut Vec<String>, a: &Analysis, quarterly: bool, lang: Lang, tz: Tz) {
    let title_key = if quarterly {
        "analysis.title_quarter"
    } else {
        "analysis.title_month"
    };
    out.push(format!(
        "<b>{}</b>",
        escape_html(&t(
            lang,
            title_key,
            &[
                ("period", a.period.clone()),
                ("from", a.from.to_string()),
                ("to", a.to.to_string()),
            ],
        ))
    ));
    out.push(escape_html(&t(
        lang,
        "bulletin.as_of",
        &[("time", fmt_local(a.as_of, tz))],
    )));
}

/// One catalogue entry and its values per line of figures.
fn figures(a: &Analysis, lang: Lang) -> [(&'static str, Vec<(&'static str, String)>); 4] {
    [
        (
            "analysis.investment",
            vec![
                ("period", format_money_short(a.invested_in_period, lang)),
                (
                    "cumulative",
                    format_money_short(a.invested_cumulative, lang),
                ),
                ("planned", format_money_short(a.planned_total, lang)),
                ("rate", percent_i64(a.invested_cumulative, a.planned_total)),
            ],
        ),
        (
            "analysis.milestones",
            vec![
                ("due", a.due.to_string()),
                ("on_time", a.on_time.to_string()),
                ("late", a.late.to_string()),
                ("missed", a.missed.to_string()),
                ("rate", percent(a.on_time, a.due)),
            ],
        ),
        (
            "analysis.start_rate",
            vec![
                ("started", a.started.to_string()),
                ("pledged", a.start_pledged.to_string()),
                ("rate", percent(a.started, a.start_pledged)),
            ],
        ),
        (
            "analysis.problems",
            vec![
                ("opened", a.problems_opened.to_string()),
                ("closed", a.problems_closed.to_string()),
            ],
        ),
    ]
}

fn bottom(out: &mut Vec<String>, a: &Analysis, lang: Lang) {
    out.push(escape_html(&t(lang, "analysis.bottom", &[])));
    if a.bottom.is_empty() {
        out.push(format!("  {}", escape_html(&t(lang, "bulletin.none", &[]))));
    }
    for (i, r) in a.bottom.iter().enumerate() {
        out.push(format!(
            "  {}",
            escape_html(&t(
                lang,
                "analysis.bottom_line",
                &[
                    ("rank", (i + 1).to_string()),
                    ("code", r.project.code.clone()),
                    ("project", r.project.name.clone()),
                    ("score", r.performance.score.to_string()),
                ],
            ))
        ));
    }
}
