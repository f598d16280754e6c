//! What is late across the portfolio (or a liaison's part of it): every
//! overdue and at-risk milestone, worst first, and the bottom-ranked
//! projects; uncapped, unlike the bulletin's lists.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::bulletin::{Bulletin, MilestoneLine};
use crate::render::chart::overdue_days;
use crate::render::picture::{overdue_bars, overdue_title};
use crate::render::text::{due, fmt_local, status_label};

use super::map::urlencode;
use super::{Frame, Nav, esc, figure};

pub fn render(f: &Frame, b: &Bulletin, as_of: DateTime<Utc>, tz: Tz) -> String {
    let mut body = format!(
        "<p class=\"muted\">{}</p>",
        esc(&f.t("web.as_of", &[("time", fmt_local(as_of, tz))]))
    );
    let bars = overdue_bars(b, f.lang);
    if !bars.is_empty() {
        let title = overdue_title(b, bars.len(), f.lang);
        body.push_str(&figure(&overdue_days(&bars, &title), &title));
    }
    let overdue = f.t("web.overdue", &[("count", b.overdue.len().to_string())]);
    lines(&mut body, f, &overdue, &b.overdue);
    let at_risk = f.t(
        "web.at_risk",
        &[
            ("count", b.at_risk.len().to_string()),
            ("days", b.warning_days.to_string()),
        ],
    );
    lines(&mut body, f, &at_risk, &b.at_risk);
    body.push_str(&format!("<h2>{}</h2>", esc(&f.t("web.bottom", &[]))));
    if b.bottom.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&f.t("web.none", &[]))));
    } else {
        body.push_str(&f.table_head(&[
            ("web.project", ""),
            ("web.score", "num"),
            ("web.overdue_count", "num"),
            ("web.overdue_days", "num"),
        ]));
        for r in &b.bottom {
            body.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                project_link(f, &r.project.code, &r.project.name),
                r.performance.score,
                r.performance.overdue,
                r.performance.overdue_days,
            ));
        }
        body.push_str("</tbody></table>");
    }
    f.page(Nav::Late, &f.t("web.late_title", &[]), &body)
}

pub fn project_link(f: &Frame, code: &str, name: &str) -> String {
    format!(
        "<a href=\"{}\">{} {}</a>",
        f.href(&format!("/projects/{}", urlencode(code))),
        esc(code),
        esc(name)
    )
}

fn lines(body: &mut String, f: &Frame, heading: &str, ls: &[MilestoneLine]) {
    body.push_str(&format!("<h2>{}</h2>", esc(heading)));
    if ls.is_empty() {
        body.push_str(&format!("<p>{}</p>", esc(&f.t("web.none", &[]))));
        return;
    }
    body.push_str(&f.table_head(&[
        ("web.project", ""),
        ("web.zone", "wide"),
        ("web.milestone", ""),
        ("web.in_force", ""),
        ("web.status", ""),
        ("web.liaison", "wide"),
        ("web.leader", "wide"),
    ]));
    for l in ls {
        let pledged = match &l.original {
            Some(o) => format!("{} ← {}", due(l.pledged, f.lang), due(*o, f.lang)),
            None => due(l.pledged, f.lang),
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td class=\"wide\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"wide\">{}</td><td class=\"wide\">{}</td></tr>",
            project_link(f, &l.project.code, &l.project.name),
            esc(&l.project.zone),
            esc(&l.milestone),
            esc(&pledged),
            esc(&status_label(l.status, f.lang)),
            esc(l.liaison.as_deref().unwrap_or("-")),
            esc(l.leader.as_deref().unwrap_or("-")),
        ));
    }
    body.push_str("</tbody></table>");
}
