//! The battle map (挂图作战): every project with its light and reasons,
//! by zone and industry chain, with the portfolio's counts and rates.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::analysis::percent;
use crate::domain::bulletin::{Bulletin, ProjectSnapshot};
use crate::domain::indicators::{BattleMap, Filter, Light, ProjectLight, Rates};
use crate::domain::model::Stage;
use crate::domain::money::format_money_short;
use crate::domain::time::local_date;
use crate::render::bulletin::rates_lines;
use crate::render::lights::reason;
use crate::render::text::{fmt_local, zone_label};

use super::{Frame, Nav, esc, figure, light_badge};
use crate::render::chart::lights_by_zone;
use crate::render::picture::zone_bars;

/// What the battle map shows: the projects the filter admits (all but
/// the light filter), their figures, and the filter's choices.
pub struct MapView<'a> {
    pub as_of: DateTime<Utc>,
    pub tz: Tz,
    pub snaps: &'a [ProjectSnapshot],
    pub map: &'a BattleMap,
    pub bulletin: &'a Bulletin,
    pub filter: &'a Filter,
    pub zones: &'a [String],
    pub chains: &'a [String],
}

pub fn render(f: &Frame, v: &MapView<'_>) -> String {
    let mut body = String::with_capacity(256 * v.snaps.len() + 4096);
    body.push_str(&format!(
        "<p class=\"muted\">{}</p>",
        esc(&f.t("web.as_of", &[("time", fmt_local(v.as_of, v.tz))]))
    ));
    filters(&mut body, f, v);
    summary(&mut body, f, v);
    let bars = zone_bars(&v.map.by_zone, f.lang);
    if !bars.is_empty() {
        let title = f.t("web.chart_lights", &[]);
        body.push_str(&figure(&lights_by_zone(&bars, &title), &title));
    }
    rows(&mut body, f, v);
    chains(&mut body, f, v);
    f.page(Nav::Map, &f.t("web.map_title", &[]), &body)
}

fn select(
    name: &str,
    label: &str,
    any: &str,
    options: &[(String, String)],
    chosen: Option<&str>,
) -> String {
    let mut s = format!(
        "<label>{}<select name=\"{name}\"><option value=\"\">{}</option>",
        esc(label),
        esc(any)
    );
    for (value, text) in options {
        let sel = if Some(value.as_str()) == chosen {
            " selected"
        } else {
            ""
        };
        s.push_str(&format!(
            "<option value=\"{}\"{sel}>{}</option>",
            esc(value),
            esc(text)
        ));
    }
    s.push_str("</select></label>");
    s
}

fn filters(body: &mut String, f: &Frame, v: &MapView<'_>) {
    let any = f.t("web.filter_any", &[]);
    let own = |xs: &[String]| -> Vec<(String, String)> {
        xs.iter()
            .map(|x| (x.clone(), zone_label(x, f.lang)))
            .collect()
    };
    let stages: Vec<(String, String)> = Stage::ALL
        .iter()
        .map(|s| (s.code().to_string(), f.t(s.label_key(), &[])))
        .collect();
    let lights: Vec<(String, String)> = Light::ALL
        .iter()
        .map(|l| {
            (
                l.code().to_string(),
                crate::render::lights::light_label(*l, f.lang),
            )
        })
        .collect();
    let fl = v.filter;
    body.push_str("<form class=\"filters\" method=\"get\" action=\"/\">");
    body.push_str(&select(
        "zone",
        &f.t("web.zone", &[]),
        &any,
        &own(v.zones),
        fl.zone.as_deref(),
    ));
    body.push_str(&select(
        "chain",
        &f.t("web.chain", &[]),
        &any,
        &own(v.chains),
        fl.chain.as_deref(),
    ));
    body.push_str(&select(
        "stage",
        &f.t("web.stage", &[]),
        &any,
        &stages,
        fl.stage.map(Stage::code),
    ));
    body.push_str(&select(
        "light",
        &f.t("web.light", &[]),
        &any,
        &lights,
        fl.light.map(Light::code),
    ));
    body.push_str(&format!(
        "<input type=\"hidden\" name=\"lang\" value=\"{}\"><button type=\"submit\">{}</button></form>",
        f.lang.code(),
        esc(&f.t("web.filter", &[]))
    ));
}

fn summary(body: &mut String, f: &Frame, v: &MapView<'_>) {
    let b = v.bulletin;
    let card = |n: String, label: String| {
        format!(
            "<div class=\"card\"><b>{}</b><span>{}</span></div>",
            esc(&n),
            esc(&label)
        )
    };
    body.push_str("<div class=\"cards\">");
    body.push_str(&card(b.project_count.to_string(), f.t("web.projects", &[])));
    for (stage, n) in &b.stage_counts {
        body.push_str(&card(n.to_string(), f.t(stage.label_key(), &[])));
    }
    body.push_str(&card(
        format_money_short(b.total_investment, f.lang),
        f.t("web.investment", &[]),
    ));
    body.push_str(&card(b.count_100m.to_string(), f.t("web.count_100m", &[])));
    body.push_str(&card(b.count_1b.to_string(), f.t("web.count_1b", &[])));
    body.push_str("</div>");
    let [rates, lights] = rates_lines(&v.map.overall, local_date(v.as_of, v.tz), f.lang);
    body.push_str(&format!(
        "<p class=\"rates\">{}<br>{}</p>",
        esc(&rates),
        esc(&lights)
    ));
}

fn reasons(l: &ProjectLight, f: &Frame) -> String {
    let sep = if f.lang == crate::domain::lang::Lang::En {
        "; "
    } else {
        "；"
    };
    let words: Vec<String> = l.reasons.iter().map(|r| reason(r, f.lang)).collect();
    esc(&words.join(sep))
}

/// A table a zone, its projects by chain then code, the light filter
/// applied here (the figures above count every light).
fn rows(body: &mut String, f: &Frame, v: &MapView<'_>) {
    let lights: HashMap<i64, &ProjectLight> = v.map.lights.iter().map(|(id, l)| (*id, l)).collect();
    let mut by_zone: Vec<(&ProjectSnapshot, &ProjectLight)> = v
        .snaps
        .iter()
        .filter_map(|s| lights.get(&s.project.id).map(|l| (s, *l)))
        .filter(|(_, l)| v.filter.admits_light(l.light))
        .collect();
    by_zone.sort_by(|(a, _), (b, _)| {
        (&a.project.zone, &a.project.industry_chain, &a.project.code).cmp(&(
            &b.project.zone,
            &b.project.industry_chain,
            &b.project.code,
        ))
    });
    if by_zone.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&f.t("web.none", &[]))));
        return;
    }
    // One set of column widths for every zone's table, so they line up.
    let head = f.table_head_of(
        "zones",
        &[
            ("web.light", "col-light"),
            ("web.code", "col-code"),
            ("web.name", "col-name"),
            ("web.chain", "wide col-chain"),
            ("web.stage", "wide col-stage"),
            ("web.investment", "num wide col-money"),
            ("web.reasons", ""),
        ],
    );
    let mut zone: Option<&str> = None;
    for (s, l) in by_zone {
        let p = &s.project;
        if zone != Some(p.zone.as_str()) {
            if zone.is_some() {
                body.push_str("</tbody></table>");
            }
            zone = Some(&p.zone);
            body.push_str(&format!("<h2>{}</h2>", esc(&zone_label(&p.zone, f.lang))));
            if let Some(r) = v.map.by_zone.get(&p.zone) {
                body.push_str(&rates_note(r, f));
            }
            body.push_str(&head);
        }
        body.push_str(&format!(
            "<tr><td>{}</td><td><a href=\"{}\">{}</a></td><td>{}</td><td class=\"wide\">{}</td><td class=\"wide\">{}</td><td class=\"num wide\">{}</td><td class=\"reasons\">{}</td></tr>",
            light_badge(l.light, f.lang),
            f.href(&format!("/projects/{}", urlencode(&p.code))),
            esc(&p.code),
            esc(&p.name),
            esc(&p.industry_chain),
            esc(&f.t(p.stage.label_key(), &[])),
            esc(&format_money_short(p.investment, f.lang)),
            reasons(l, f),
        ));
    }
    body.push_str("</tbody></table>");
}

/// "开工率 80% · 按期完成率 … · 红 2 黄 1 绿 5" for a zone or a chain.
fn rates_note(r: &Rates, f: &Frame) -> String {
    format!(
        "<p class=\"muted\">{}</p>",
        esc(&f.t(
            "web.group_rates",
            &[
                ("projects", r.projects.to_string()),
                ("started", percent(r.started.done, r.started.of)),
                ("on_time", percent(r.on_time.done, r.on_time.of)),
                ("reported", percent(r.reported.done, r.reported.of)),
                ("red", r.red.to_string()),
                ("yellow", r.yellow.to_string()),
                ("green", r.green.to_string()),
            ]
        ))
    )
}

fn chains(body: &mut String, f: &Frame, v: &MapView<'_>) {
    if v.map.by_chain.is_empty() {
        return;
    }
    body.push_str(&format!(
        "<h2>{}</h2><table><tbody>",
        esc(&f.t("web.by_chain", &[]))
    ));
    for (chain, r) in &v.map.by_chain {
        body.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(&zone_label(chain, f.lang)),
            rates_note(r, f)
        ));
    }
    body.push_str("</tbody></table>");
}

/// What a path segment keeps as it is: RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A project code as a path segment: codes are the sheet's, and may hold
/// anything.
pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}
