//! The monthly analysis (月分析) and quarterly review (季通报) as posted:
//! Telegram HTML with every value escaped. The figures are composed in
//! `domain::analysis`.

use chrono_tz::Tz;

use crate::domain::analysis::{Analysis, percent, percent_i64};
use crate::domain::indicators::{Rates, Ratio};
use crate::domain::lang::Lang;
use crate::domain::money::format_money_short;

use super::bulletin::rates_lines;
use super::chart::{Chart, Series};
use super::html::escape_html;
use super::picture::trend_chart;
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
    rates(&mut out, a, lang);
    bottom(&mut out, a, lang);
    out.join("\n")
}

/// The circulars' rates at the period's end, and how far each moved since
/// the previous period's end.
fn rates(out: &mut Vec<String>, a: &Analysis, lang: Lang) {
    let Some((week, now)) = a.rates() else {
        return;
    };
    out.push(escape_html(&t(
        lang,
        "analysis.rates_heading",
        &[("to", week.sunday().to_string())],
    )));
    for line in rates_lines(now, week.sunday(), lang) {
        out.push(format!("  {}", escape_html(&line)));
    }
    let line = match &a.previous {
        Some((period, before)) if before.projects > 0 => t(
            lang,
            "analysis.change",
            &[
                ("previous", period.clone()),
                ("started", points(now.started, before.started)),
                ("on_time", points(now.on_time, before.on_time)),
                ("reported", points(now.reported, before.reported)),
                (
                    "invested",
                    signed_points(now.invested_percent(), before.invested_percent()),
                ),
                ("red", signed(now.red as i64 - before.red as i64)),
                ("yellow", signed(now.yellow as i64 - before.yellow as i64)),
                ("green", signed(now.green as i64 - before.green as i64)),
            ],
        ),
        Some((period, _)) => t(
            lang,
            "analysis.change_none",
            &[("previous", period.clone())],
        ),
        None => return,
    };
    out.push(format!("  {}", escape_html(&line)));
}

fn share(r: Ratio) -> Option<f64> {
    (r.of > 0).then(|| r.done as f64 * 100.0 / r.of as f64)
}

/// Percentage points from `before` to `now`, or `-` where either had
/// nothing to count.
fn points(now: Ratio, before: Ratio) -> String {
    signed_points(share(now), share(before))
}

fn signed_points(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(n), Some(b)) => signed((n - b).round() as i64),
        _ => "-".into(),
    }
}

fn signed(n: i64) -> String {
    match n {
        0 => "0".into(),
        n if n > 0 => format!("+{n}"),
        n => format!("−{}", -n),
    }
}

/// The period's picture: each rate week by week; none without weeks.
pub fn trend_picture(a: &Analysis, lang: Lang) -> Option<Chart> {
    // Week numbers: a whole week label per point would not fit the axis.
    let labels: Vec<String> = a
        .trend
        .iter()
        .map(|(w, _)| format!("W{:02}", w.week))
        .collect();
    let series_of = |key: &str, f: fn(&Rates) -> Option<f64>| Series {
        name: t(lang, key, &[]),
        points: a.trend.iter().map(|(_, r)| f(r)).collect(),
    };
    let series = [
        series_of("rate.started", |r| share(r.started)),
        series_of("rate.on_time", |r| share(r.on_time)),
        series_of("rate.reported", |r| share(r.reported)),
        series_of("rate.invested", Rates::invested_percent),
    ];
    let title = t(lang, "chart.trend_title", &[("period", a.period.clone())]);
    trend_chart(&title, &labels, &series)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::Ratio;
    use chrono::{NaiveDate, TimeZone};

    fn rates(started: usize, red: usize) -> Rates {
        Rates {
            projects: 4,
            started: Ratio {
                done: started,
                of: 4,
            },
            on_time: Ratio { done: 1, of: 2 },
            reported: Ratio::default(),
            red,
            yellow: 4 - red,
            ..Rates::default()
        }
    }

    fn november() -> Analysis {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let weeks = crate::domain::history::weeks_ending_in(d(11, 1), d(11, 30));
        Analysis {
            period: "2026-11".into(),
            from: d(11, 1),
            to: d(11, 30),
            as_of: chrono::Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
            project_count: 4,
            trend: weeks
                .iter()
                .enumerate()
                .map(|(i, w)| (*w, rates(i.min(3), 1)))
                .collect(),
            previous: Some(("2026-10".into(), rates(1, 3))),
            ..Analysis::default()
        }
    }

    #[test]
    fn the_analysis_gives_the_rates_at_its_end_and_their_change_since_the_previous_period() {
        let text = render_analysis(
            &november(),
            false,
            Lang::ZhCn,
            chrono_tz::Asia::Shanghai,
            false,
        );
        assert!(text.contains("【指标】截至 2026-11-29"), "{text}");
        assert!(text.contains("开工率 75%"), "{text}");
        // 3 of 4 started against 1 of 4: 50 points up; red down from 3 to 1.
        assert!(
            text.contains("较上期（2026-10，百分点）：开工率 +50 · 按期完成率 0 · 报送率 -"),
            "{text}"
        );
        assert!(text.contains("红灯 −2 · 黄灯 +2"), "{text}");
        let mut none = november();
        none.previous = Some(("2026-10".into(), Rates::default()));
        let text = render_analysis(&none, false, Lang::En, chrono_tz::Asia::Shanghai, false);
        assert!(
            text.contains("Nothing to compare with in 2026-10"),
            "{text}"
        );
    }

    #[test]
    fn the_trend_picture_has_a_point_a_week_and_a_line_a_rate() {
        let chart = trend_picture(&november(), Lang::ZhCn).unwrap();
        for name in ["开工率", "按期完成率", "报送率", "投资完成率"] {
            assert!(chart.svg.contains(name), "{name}");
        }
        // November's weeks end on Sundays 1 to 29: W44 to W48.
        assert!(chart.svg.contains(">W44<") && chart.svg.contains(">W48<"));
        // Started and on time have a point each week; reported and
        // invested had nothing to count and draw none.
        assert_eq!(chart.svg.matches("<circle").count(), 2 * 5, "{}", chart.svg);
        let png = crate::render::picture::png(&chart, "trend").unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/pictures");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("monthly.png"), png).unwrap();
    }
}
