//! The weekly bulletin (周动态) as text, one function a part; its figures
//! are composed in `domain::bulletin`.

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::domain::time::Due;

use crate::domain::analysis::percent;
use crate::domain::bulletin::{Bulletin, MilestoneLine, ProjectRef};
use crate::domain::indicators::{Rates, Ratio, points_behind, year_elapsed_percent};
use crate::domain::lang::Lang;
use crate::domain::money::format_money_short;
use crate::domain::time::local_date;

use super::text::{due, fmt_local, t, week_label};

/// The bulletin as text: parts in a fixed order, one item a line, so a
/// splitter may cut it at line boundaries.
pub fn render(b: &Bulletin, lang: Lang, tz: Tz) -> String {
    let mut out: Vec<String> = Vec::new();
    heading(&mut out, b, lang, tz);
    overview(&mut out, b, lang, tz);
    reports(&mut out, b, lang);
    milestones(
        &mut out,
        t(
            lang,
            "bulletin.overdue",
            &[("count", b.overdue.len().to_string())],
        ),
        "bulletin.overdue_line",
        &b.overdue,
        b,
        lang,
    );
    milestones(
        &mut out,
        t(
            lang,
            "bulletin.at_risk",
            &[
                ("window", b.warning_days.to_string()),
                ("count", b.at_risk.len().to_string()),
            ],
        ),
        "bulletin.at_risk_line",
        &b.at_risk,
        b,
        lang,
    );
    completed(&mut out, b, lang);
    problems(&mut out, b, lang);
    bottom(&mut out, b, lang);
    out.join("\n")
}

/// An indented item line.
fn item(text: String) -> String {
    format!("  {text}")
}

/// At most `limit` of `items` (they come worst first), a line each, then
/// one line counting the rest by zone: a leader reads the worst on a phone,
/// and the figures above each list count everything.
fn capped<T>(
    out: &mut Vec<String>,
    items: &[T],
    limit: usize,
    see_more: Option<&str>,
    project: impl Fn(&T) -> &ProjectRef,
    lang: Lang,
    line: impl Fn(&T) -> String,
) {
    out.extend(items.iter().take(limit).map(|i| item(line(i))));
    if let Some(rest) = items.get(limit..).filter(|r| !r.is_empty()) {
        out.push(item(more(rest.iter().map(project), see_more, lang)));
    }
}

/// "… and N more (zone A 12 · zone B 8)": the most first, then by name;
/// then where the whole list is.
pub(crate) fn more<'a>(
    rest: impl Iterator<Item = &'a ProjectRef>,
    see_more: Option<&str>,
    lang: Lang,
) -> String {
    let mut by_zone: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    let mut count = 0;
    for p in rest {
        *by_zone.entry(p.zone.as_str()).or_default() += 1;
        count += 1;
    }
    let mut zones: Vec<(&str, usize)> = by_zone.into_iter().collect();
    zones.sort_by(|(za, a), (zb, b)| b.cmp(a).then(za.cmp(zb)));
    let no_zone = t(lang, "bulletin.no_zone", &[]);
    let zones = zones
        .iter()
        .map(|(z, n)| format!("{} {n}", if z.is_empty() { no_zone.as_str() } else { z }))
        .collect::<Vec<_>>()
        .join(if lang == Lang::En { ", " } else { " · " });
    match see_more {
        Some(url) => t(
            lang,
            "bulletin.more_map",
            &[
                ("count", count.to_string()),
                ("zones", zones),
                ("url", url.to_string()),
            ],
        ),
        None => t(
            lang,
            "bulletin.more",
            &[("count", count.to_string()), ("zones", zones)],
        ),
    }
}

/// What an empty part says, so that a reader sees it was not forgotten.
fn none(lang: Lang) -> String {
    item(t(lang, "bulletin.none", &[]))
}

fn liaison(l: &Option<String>, lang: Lang) -> String {
    l.clone()
        .unwrap_or_else(|| t(lang, "bulletin.liaison_unknown", &[]))
}

fn slip(o: &Option<Due>, lang: Lang) -> String {
    match o {
        Some(d) => t(lang, "bulletin.slip", &[("original", due(*d, lang))]),
        None => String::new(),
    }
}

fn leader(l: &Option<String>, lang: Lang) -> String {
    match l {
        Some(name) => t(lang, "bulletin.leader", &[("name", name.clone())]),
        None => String::new(),
    }
}

fn heading(out: &mut Vec<String>, b: &Bulletin, lang: Lang, tz: Tz) {
    out.push(t(
        lang,
        "bulletin.title",
        &[("week", week_label(b.week, lang))],
    ));
    out.push(t(
        lang,
        "bulletin.as_of",
        &[("time", fmt_local(b.as_of, tz))],
    ));
    out.push(String::new());
}

fn overview(out: &mut Vec<String>, b: &Bulletin, lang: Lang, tz: Tz) {
    out.push(t(lang, "bulletin.overview", &[]));
    let sep = if lang == Lang::En { ", " } else { " · " };
    let stages = b
        .stage_counts
        .iter()
        .map(|(s, n)| format!("{} {n}", t(lang, s.label_key(), &[])))
        .collect::<Vec<_>>()
        .join(sep);
    out.push(item(t(
        lang,
        "bulletin.projects",
        &[("count", b.project_count.to_string()), ("stages", stages)],
    )));
    out.push(item(t(
        lang,
        "bulletin.investment",
        &[
            ("total", format_money_short(b.total_investment, lang)),
            ("yi", b.count_100m.to_string()),
            ("shiyi", b.count_1b.to_string()),
        ],
    )));
    rates(out, b, lang, tz);
    out.push(String::new());
}

/// The circulars' rates in one line, and the lights' counts in another.
fn rates(out: &mut Vec<String>, b: &Bulletin, lang: Lang, tz: Tz) {
    let [rates, lights] = rates_lines(&b.rates, local_date(b.as_of, tz), lang);
    out.push(item(rates));
    out.push(item(lights));
}

/// "开工率 … 投资完成率 …（序时进度 …）" and "红灯 … 黄灯 … 绿灯 …" on
/// `today`: the bulletin's lines, and the battle map's.
pub fn rates_lines(r: &Rates, today: NaiveDate, lang: Lang) -> [String; 2] {
    let ratio = |x: Ratio| percent(x.done, x.of);
    let pace = year_elapsed_percent(today);
    let (invested, gap) = match r.invested_percent() {
        Some(done) => {
            let gap = points_behind(done, today);
            let below = if gap > 0 {
                t(lang, "bulletin.below_pace", &[("points", gap.to_string())])
            } else {
                String::new()
            };
            (format!("{done:.0}%"), below)
        }
        None => ("-".to_string(), String::new()),
    };
    let rates = t(
        lang,
        "bulletin.rates",
        &[
            ("started", ratio(r.started)),
            ("on_time", ratio(r.on_time)),
            ("reported", ratio(r.reported)),
            ("invested", invested),
            ("pace", format!("{pace:.0}%")),
            ("gap", gap),
        ],
    );
    let lights = t(
        lang,
        "bulletin.lights",
        &[
            ("red", r.red.to_string()),
            ("yellow", r.yellow.to_string()),
            ("green", r.green.to_string()),
        ],
    );
    [rates, lights]
}

fn reports(out: &mut Vec<String>, b: &Bulletin, lang: Lang) {
    out.push(t(
        lang,
        "bulletin.reports",
        &[
            ("received", b.reports_received.to_string()),
            ("expected", b.reports_expected.to_string()),
            ("late", b.reports_late.to_string()),
        ],
    ));
    if !b.missing.is_empty() {
        let list = b
            .missing
            .iter()
            .take(b.list_limit)
            .map(|p| format!("{} {}", p.code, p.name))
            .collect::<Vec<_>>()
            .join(if lang == Lang::En { "; " } else { "；" });
        out.push(item(t(lang, "bulletin.missing", &[("list", list)])));
        if let Some(rest) = b.missing.get(b.list_limit..).filter(|r| !r.is_empty()) {
            out.push(item(more(rest.iter(), b.see_more.as_deref(), lang)));
        }
    }
    out.push(String::new());
}

/// The overdue part and the at-risk part share their shape; `key` is the
/// catalogue entry of one line.
fn milestones(
    out: &mut Vec<String>,
    title: String,
    key: &str,
    lines: &[MilestoneLine],
    b: &Bulletin,
    lang: Lang,
) {
    out.push(title);
    if lines.is_empty() {
        out.push(none(lang));
    }
    capped(
        out,
        lines,
        b.list_limit,
        b.see_more.as_deref(),
        |l| &l.project,
        lang,
        |l| {
            t(
                lang,
                key,
                &[
                    ("code", l.project.code.clone()),
                    ("project", l.project.name.clone()),
                    ("milestone", l.milestone.clone()),
                    ("pledged", due(l.pledged, lang)),
                    ("slip", slip(&l.original, lang)),
                    ("days", l.status.open_days().to_string()),
                    ("liaison", liaison(&l.liaison, lang)),
                    ("leader", leader(&l.leader, lang)),
                ],
            )
        },
    );
    out.push(String::new());
}

fn completed(out: &mut Vec<String>, b: &Bulletin, lang: Lang) {
    out.push(t(
        lang,
        "bulletin.completed",
        &[("count", b.completed.len().to_string())],
    ));
    if b.completed.is_empty() {
        out.push(none(lang));
    }
    capped(
        out,
        &b.completed,
        b.list_limit,
        b.see_more.as_deref(),
        |c| &c.project,
        lang,
        |c| {
            let key = if c.late_days > 0 {
                "bulletin.completed_late"
            } else {
                "bulletin.completed_on_time"
            };
            t(
                lang,
                key,
                &[
                    ("code", c.project.code.clone()),
                    ("project", c.project.name.clone()),
                    ("milestone", c.milestone.clone()),
                    ("actual", c.actual.to_string()),
                    ("days", c.late_days.to_string()),
                ],
            )
        },
    );
    out.push(String::new());
}

fn problems(out: &mut Vec<String>, b: &Bulletin, lang: Lang) {
    out.push(t(
        lang,
        "bulletin.problems",
        &[
            ("raised", b.problems_raised.to_string()),
            ("resolved", b.problems_resolved.to_string()),
            ("open", b.problems_open.to_string()),
            ("escalated", b.escalated.len().to_string()),
        ],
    ));
    capped(
        out,
        &b.escalated,
        b.list_limit,
        b.see_more.as_deref(),
        |p| &p.project,
        lang,
        |p| {
            t(
                lang,
                "bulletin.escalated_line",
                &[
                    ("id", p.id.to_string()),
                    ("code", p.project.code.clone()),
                    ("project", p.project.name.clone()),
                    ("text", p.text.clone()),
                    ("days", p.days_open.to_string()),
                ],
            )
        },
    );
    out.push(String::new());
}

/// The last part: no blank line follows it.
fn bottom(out: &mut Vec<String>, b: &Bulletin, lang: Lang) {
    out.push(t(lang, "bulletin.bottom", &[]));
    if b.bottom.is_empty() {
        out.push(none(lang));
    }
    for (i, r) in b.bottom.iter().enumerate() {
        let p = r.performance;
        out.push(item(t(
            lang,
            "bulletin.bottom_line",
            &[
                ("rank", (i + 1).to_string()),
                ("code", r.project.code.clone()),
                ("project", r.project.name.clone()),
                ("score", p.score.to_string()),
                ("due", p.due.to_string()),
                ("on_time", p.on_time.to_string()),
                ("late", p.late.to_string()),
                ("overdue", p.overdue.to_string()),
                ("days", p.overdue_days.to_string()),
            ],
        )));
    }
}
