//! What the weekly rhythm says: the Monday prompt, the Wednesday nudge, the
//! Thursday deadline ping to liaisons, and the bulletin as it is posted.
//! All texts are Telegram HTML with every value escaped, so mentions notify.

use chrono::{DateTime, Utc};

use crate::domain::bulletin::{Bulletin, ProjectSnapshot};
use crate::domain::lang::Lang;
use crate::domain::outgoing::Mention;
use crate::domain::rhythm::{LiaisonItem, RunCtx, upcoming};
use crate::domain::time::{ReportingWeek, local_date};

use super::bulletin::render;
use super::html::escape_html;
use super::text::{due, fmt_local, status_label, t, week_label};

/// How many upcoming milestones a prompt lists.
const PROMPT_MILESTONES: usize = 3;

fn mentions(people: &[Mention]) -> String {
    people
        .iter()
        .map(Mention::html)
        .collect::<Vec<_>>()
        .join(" ")
}

fn late_line(lang: Lang, late: bool) -> Option<String> {
    late.then(|| escape_html(&t(lang, "rhythm.late", &[])))
}

/// The week's prompt in a project group: who is asked, the template, what
/// is due next, and what is still open.
pub fn prompt_text(
    snap: &ProjectSnapshot,
    owners: &[Mention],
    week: ReportingWeek,
    c: RunCtx,
) -> String {
    let RunCtx {
        now,
        tz,
        policy,
        lang,
        late,
    } = c;
    let today = local_date(now, tz);
    let p = &snap.project;
    let mut out: Vec<String> = late_line(lang, late).into_iter().collect();
    out.push(format!(
        "<b>{}</b>",
        escape_html(&t(
            lang,
            "prompt.title",
            &[
                ("code", p.code.clone()),
                ("name", p.name.clone()),
                ("week", week_label(week, lang)),
            ],
        ))
    ));
    let ask = escape_html(&t(lang, "prompt.ask", &[]));
    out.push(if owners.is_empty() {
        ask
    } else {
        format!("{} {ask}", mentions(owners))
    });
    out.push(String::new());
    out.push(escape_html(&t(lang, "report.template", &[])));
    out.push(escape_html(&t(lang, "report.forms", &[])));
    let upcoming = upcoming(snap, today, policy.warning_days);
    if !upcoming.is_empty() {
        out.push(String::new());
        out.push(escape_html(&t(lang, "prompt.milestones", &[])));
        for (m, s) in upcoming.iter().take(PROMPT_MILESTONES) {
            out.push(escape_html(&format!(
                "· {} {} · {}",
                m.name,
                due(m.pledge(), lang),
                status_label(*s, lang)
            )));
        }
    }
    prompt_problems(&mut out, snap, now, lang);
    out.join("\n")
}

fn prompt_problems(out: &mut Vec<String>, snap: &ProjectSnapshot, now: DateTime<Utc>, lang: Lang) {
    let open: Vec<_> = snap.problems.iter().filter(|p| p.is_open()).collect();
    if open.is_empty() {
        return;
    }
    out.push(String::new());
    out.push(escape_html(&t(lang, "prompt.problems", &[])));
    for pr in open {
        out.push(escape_html(&t(
            lang,
            "prompt.problem_line",
            &[
                ("id", pr.id.to_string()),
                ("text", pr.text.clone()),
                ("days", pr.days_open(now).to_string()),
            ],
        )));
    }
}

/// The mid-week reminder, only where no report has arrived.
pub fn nudge_text(
    snap: &ProjectSnapshot,
    owners: &[Mention],
    deadline: Option<DateTime<Utc>>,
    c: RunCtx,
) -> String {
    let RunCtx { tz, lang, late, .. } = c;
    let mut out: Vec<String> = late_line(lang, late).into_iter().collect();
    let body = escape_html(&t(
        lang,
        "nudge.text",
        &[
            ("code", snap.project.code.clone()),
            ("name", snap.project.name.clone()),
            (
                "deadline",
                deadline.map_or_else(|| "-".into(), |d| fmt_local(d, tz)),
            ),
        ],
    ));
    out.push(if owners.is_empty() {
        body
    } else {
        format!("{} {body}", mentions(owners))
    });
    out.join("\n")
}

fn item_lines(item: &LiaisonItem, lang: Lang) -> Vec<String> {
    let mut out = vec![escape_html(&format!("{} {}", item.code, item.name))];
    if item.missing_report {
        out.push(escape_html(&format!(
            "· {}",
            t(lang, "deadline.missing", &[])
        )));
    }
    for (name, pledged, status) in &item.milestones {
        out.push(escape_html(&format!(
            "· {name} {} · {}",
            due(*pledged, lang),
            status_label(*status, lang)
        )));
    }
    for (id, text, days) in &item.escalated {
        out.push(escape_html(&format!(
            "· {}",
            t(
                lang,
                "deadline.escalated",
                &[
                    ("id", id.to_string()),
                    ("text", text.clone()),
                    ("days", days.to_string()),
                ]
            )
        )));
    }
    out
}

/// The private ping to one liaison, covering all their projects: the first
/// `list_limit` of `items` (sorted by `rhythm::worst_first`), then a count.
/// `see_more`: where the rest of a capped list is (the dashboard's late
/// page, which shows a liaison their projects), if it is served.
pub fn deadline_text(
    items: &[LiaisonItem],
    week: ReportingWeek,
    c: RunCtx,
    see_more: Option<&str>,
) -> String {
    let RunCtx { lang, late, .. } = c;
    let mut out: Vec<String> = late_line(lang, late).into_iter().collect();
    out.push(format!(
        "<b>{}</b>",
        escape_html(&t(
            lang,
            "deadline.title",
            &[("week", week_label(week, lang))]
        ))
    ));
    let limit = c.policy.list_limit;
    for item in items.iter().take(limit) {
        out.push(String::new());
        out.extend(item_lines(item, lang));
    }
    if items.len() > limit {
        out.push(String::new());
        let count = (items.len() - limit).to_string();
        out.push(escape_html(&match see_more {
            Some(url) => t(
                lang,
                "deadline.more_map",
                &[("count", count), ("url", url.to_string())],
            ),
            None => t(lang, "deadline.more", &[("count", count)]),
        }));
    }
    out.join("\n")
}

/// Where the liaison cannot be written to privately: a mention in the
/// project's own group, with that project's part only.
pub fn deadline_fallback_text(liaison: &Mention, item: &LiaisonItem, lang: Lang) -> String {
    let mut out = vec![format!(
        "{} {}",
        liaison.html(),
        escape_html(&t(lang, "deadline.fallback", &[]))
    )];
    out.extend(item_lines(item, lang));
    out.join("\n")
}

/// The bulletin as posted: escaped, its title in bold.
pub fn bulletin_html(b: &Bulletin, c: RunCtx) -> String {
    let RunCtx { lang, tz, late, .. } = c;
    let text = render(b, lang, tz);
    let mut lines = text.lines();
    let title = lines.next().unwrap_or_default();
    let mut out: Vec<String> = late_line(lang, late).into_iter().collect();
    out.push(format!("<b>{}</b>", escape_html(title)));
    out.extend(lines.map(escape_html));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{PersonRef, Platform};
    use crate::domain::rhythm::tests::{ctx, snap};
    use chrono::TimeZone;

    #[test]
    fn prompt_mentions_owners_and_escapes_everything_else() {
        let tz = chrono_tz::Asia::Shanghai;
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap();
        let owners = vec![Mention {
            account: PersonRef::new(Platform::Telegram, "42"),
            name: "王总".into(),
            username: None,
        }];
        let text = prompt_text(
            &snap(),
            &owners,
            ReportingWeek::of_instant(now, tz),
            ctx(now),
        );
        assert!(text.starts_with("<b>P1 电池&lt;材料&gt; · "), "{text}");
        assert!(
            text.contains("<a href=\"tg://user?id=42\">王总</a>"),
            "{text}"
        );
        assert!(text.contains("· 开工 2026-11-20 · 逾期 3 天"), "{text}");
        assert!(text.contains("#7 用电 &amp; 用水"), "{text}");
    }

    /// `n` copies of the shared project, each overdue and with an escalated
    /// problem, in three zones.
    fn portfolio(n: usize) -> Vec<ProjectSnapshot> {
        (0..n)
            .map(|i| {
                let mut s = snap();
                s.project.id = i as i64 + 1;
                s.project.code = format!("P{i:04}");
                s.project.zone = ["园区A", "园区B", "园区C"][i % 3].to_string();
                s
            })
            .collect()
    }

    #[test]
    fn a_five_thousand_project_bulletin_lists_the_worst_twenty_counts_the_rest_by_zone_and_fits_three_messages()
     {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
        let c = ctx(now);
        let week = ReportingWeek::of_instant(now, c.tz);
        let b = crate::domain::bulletin::compose(week, now, c.tz, &portfolio(5000), c.policy);
        let text = bulletin_html(&b, c);
        assert!(
            text.contains("三、逾期节点（5000）"),
            "the figure counts all"
        );
        let overdue_lines = text.lines().filter(|l| l.contains("逾期 7 天")).count();
        assert_eq!(overdue_lines, 20, "{text}");
        assert!(
            text.contains("另有 4980 条（园区A 1660 · 园区B 1660 · 园区C 1660）"),
            "{text}"
        );
        let messages = crate::outbound::split::split_message(&text, 4096);
        assert!(messages.len() <= 3, "{} messages", messages.len());
        assert!(text.contains("完整清单见 /export 导出的工作簿"), "{text}");
        // Where the dashboard is served, the rest is on the battle map.
        let mut b = b;
        b.see_more = Some("https://duban.example/late".into());
        let text = bulletin_html(&b, c);
        assert!(
            text.contains("另有 4980 条（园区A 1660 · 园区B 1660 · 园区C 1660），完整清单见挂图作战：https://duban.example/late"),
            "{text}"
        );
    }

    #[test]
    fn overdue_of_five_thousand_projects_lists_the_worst_twenty_of_each_and_counts_the_rest() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
        let c = ctx(now);
        let week = ReportingWeek::of_instant(now, c.tz);
        let mut b = crate::domain::bulletin::compose(week, now, c.tz, &portfolio(5000), c.policy);
        b.see_more = Some("https://duban.example/late".into());
        let text = crate::render::overview::render_overdue(&b, 14, Lang::ZhCn);
        assert!(text.starts_with("逾期节点 5000 个"), "{text}");
        assert_eq!(text.lines().filter(|l| l.contains("逾期 7 天")).count(), 20);
        assert!(
            text.contains("另有 4980 条（园区A 1660 · 园区B 1660 · 园区C 1660），完整清单见挂图作战：https://duban.example/late"),
            "{text}"
        );
    }

    #[test]
    fn a_small_portfolio_bulletin_lists_everything() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
        let c = ctx(now);
        let week = ReportingWeek::of_instant(now, c.tz);
        let b = crate::domain::bulletin::compose(week, now, c.tz, &portfolio(12), c.policy);
        let text = bulletin_html(&b, c);
        assert_eq!(text.lines().filter(|l| l.contains("逾期 7 天")).count(), 12);
        assert!(!text.contains("另有"), "{text}");
    }

    #[test]
    fn a_liaison_with_two_hundred_projects_gets_the_worst_twenty_and_a_count() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let c = ctx(now);
        let week = ReportingWeek::of_instant(now, c.tz);
        let mut items: Vec<LiaisonItem> = portfolio(200)
            .iter()
            .filter_map(|s| crate::domain::rhythm::liaison_item(s, c, true))
            .collect();
        // One project much later than the rest: it comes first.
        items[150].milestones[0].2 = crate::domain::status::MilestoneStatus::Overdue { days: 90 };
        crate::domain::rhythm::worst_first(&mut items);
        let text = deadline_text(&items, week, c, None);
        let listed: Vec<&str> = text.lines().filter(|l| l.starts_with('P')).collect();
        assert_eq!(listed.len(), 20, "{text}");
        assert!(listed[0].starts_with("P0150"), "{text}");
        assert!(
            text.contains("另有 180 个项目需要关注，完整清单见 /export"),
            "{text}"
        );
        let text = deadline_text(&items, week, c, Some("https://duban.example/late"));
        assert!(
            text.contains(
                "另有 180 个项目需要关注，完整清单见挂图作战：https://duban.example/late"
            ),
            "{text}"
        );
    }
}
