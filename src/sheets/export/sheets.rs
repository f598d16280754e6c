//! The workbook's four sheets, one function each: 项目 (a row a project),
//! 节点 (a row a milestone), 周报 (a row a report in force of the last 12
//! weeks), 问题 (a row a problem). Headers and labels come from the
//! catalogue of the export's language.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_xlsxwriter::{DocProperties, Workbook, XlsxError};

use super::table::{Formats, Value, write};
use super::{Activity, Portfolio};
use crate::config::Settings;
use crate::domain::lang::Lang;
use crate::domain::model::{Milestone, Project};
use crate::domain::status::{MilestoneStatus, milestone_status};
use crate::domain::time::local_date;
use crate::render::text::{status_label, t};

/// What every sheet is written against: the language, the clock, the policy.
pub struct Ctx {
    lang: Lang,
    tz: Tz,
    now: DateTime<Utc>,
    today: NaiveDate,
    warning_days: i64,
    escalate_days: i64,
}

impl Ctx {
    pub fn new(settings: &Settings, now: DateTime<Utc>, lang: Lang) -> Ctx {
        Ctx {
            lang,
            tz: settings.timezone,
            now,
            today: local_date(now, settings.timezone),
            warning_days: settings.warning_days,
            escalate_days: settings.problem_escalate_days,
        }
    }

    fn t(&self, key: &str) -> String {
        t(self.lang, key, &[])
    }

    fn headers(&self, keys: &[&str]) -> Vec<String> {
        keys.iter()
            .map(|k| self.t(&format!("export.col.{k}")))
            .collect()
    }

    fn yes_no(&self, yes: bool) -> Value {
        Value::Text(self.t(if yes { "export.yes" } else { "export.no" }))
    }

    fn status(&self, m: &Milestone) -> MilestoneStatus {
        milestone_status(m, self.today, self.warning_days)
    }
}

/// The whole workbook, sheets in the order leadership reads them.
pub fn workbook(cx: &Ctx, pf: &Portfolio, act: &Activity) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // Dated `now`, not the wall clock, so an export as of a given instant
    // is the same file each time.
    book.set_properties(&DocProperties::new().set_creation_datetime(&cx.now));
    let formats = Formats::new();
    projects(&mut book, &formats, cx, pf, act)?;
    milestones(&mut book, &formats, cx, pf, act)?;
    reports(&mut book, &formats, cx, pf, act)?;
    problems(&mut book, &formats, cx, pf, act)?;
    book.save_to_buffer()
}

/// The project's standing in one word: its worst milestone's status.
fn project_status(cx: &Ctx, ms: &[Milestone]) -> String {
    ms.iter()
        .map(|m| cx.status(m))
        .max_by_key(|s| s.severity())
        .map_or_else(
            || cx.t("status.no_milestones"),
            |s| status_label(s, cx.lang),
        )
}

fn projects(
    book: &mut Workbook,
    formats: &Formats,
    cx: &Ctx,
    pf: &Portfolio,
    act: &Activity,
) -> Result<(), XlsxError> {
    let headers = cx.headers(&[
        "code",
        "name",
        "owner",
        "zone",
        "industry",
        "stage",
        "investment",
        "annual_plan",
        "liaison",
        "leader",
        "latest_week",
        "latest_progress",
        "invested_total",
        "open_problems",
        "status",
    ]);
    let mut open: HashMap<i64, i64> = HashMap::new();
    for q in act.problems.iter().filter(|q| q.is_open()) {
        *open.entry(q.project_id).or_default() += 1;
    }
    let rows: Vec<Vec<Value>> = pf
        .projects
        .iter()
        .map(|p| {
            let latest = act.latest.get(&p.id);
            vec![
                Value::text(&p.code),
                Value::text(&p.name),
                Value::text(&p.owner_org),
                Value::text(&p.zone),
                Value::text(&p.industry_chain),
                Value::Text(cx.t(p.stage.label_key())),
                Value::Wan(p.investment),
                Value::wan(p.annual_plan),
                Value::text(act.liaisons.get(&p.id).map_or("", String::as_str)),
                Value::text(&p.leader),
                latest.map_or(Value::Empty, |r| Value::Text(r.week.to_string())),
                Value::int(latest.and_then(|r| r.progress).map(i64::from)),
                Value::wan(act.invested_total.get(&p.id).copied()),
                Value::Int(open.get(&p.id).copied().unwrap_or(0)),
                Value::Text(project_status(cx, pf.milestones_of(p.id))),
            ]
        })
        .collect();
    write(
        book,
        &cx.t("export.sheet.projects"),
        &headers,
        &rows,
        formats,
    )
}

/// Days past the pledge in force: a done milestone's lateness (0 when on
/// time), an open one's days overdue, or the days left as a negative number.
fn days_late(m: &Milestone, today: NaiveDate) -> i64 {
    match m.actual {
        Some(done) => (done - m.pledged).num_days().max(0),
        None => (today - m.pledged).num_days(),
    }
}

fn milestone_row(cx: &Ctx, act: &Activity, p: &Project, m: &Milestone) -> Vec<Value> {
    vec![
        Value::text(&p.code),
        Value::text(&p.name),
        Value::text(&m.name),
        Value::due(m.original_pledge()),
        Value::due(m.pledge()),
        Value::Int(act.revisions.get(&m.id).copied().unwrap_or(0)),
        Value::date(m.actual),
        Value::Text(status_label(cx.status(m), cx.lang)),
        Value::Int(days_late(m, cx.today)),
    ]
}

fn milestones(
    book: &mut Workbook,
    formats: &Formats,
    cx: &Ctx,
    pf: &Portfolio,
    act: &Activity,
) -> Result<(), XlsxError> {
    let headers = cx.headers(&[
        "code",
        "name",
        "milestone",
        "pledged_original",
        "pledged",
        "revisions",
        "actual",
        "status",
        "days_late",
    ]);
    let rows: Vec<Vec<Value>> = pf
        .projects
        .iter()
        .flat_map(|p| {
            pf.milestones_of(p.id)
                .iter()
                .map(move |m| milestone_row(cx, act, p, m))
        })
        .collect();
    write(
        book,
        &cx.t("export.sheet.milestones"),
        &headers,
        &rows,
        formats,
    )
}

fn reports(
    book: &mut Workbook,
    formats: &Formats,
    cx: &Ctx,
    pf: &Portfolio,
    act: &Activity,
) -> Result<(), XlsxError> {
    let headers = cx.headers(&[
        "code",
        "name",
        "week",
        "submitted_at",
        "submitted_by",
        "progress",
        "invested_week",
        "invested_total",
        "this_week",
        "next_week",
        "late",
    ]);
    let rows: Vec<Vec<Value>> = act
        .reports
        .iter()
        .map(|r| {
            let p = pf.project(r.project_id);
            vec![
                Value::text(p.map_or("", |p| p.code.as_str())),
                Value::text(p.map_or("", |p| p.name.as_str())),
                Value::Text(r.week.to_string()),
                Value::Time(r.submitted_at.with_timezone(&cx.tz).naive_local()),
                Value::text(&r.submitted_by),
                Value::int(r.progress.map(i64::from)),
                Value::wan(r.invested_week),
                Value::wan(r.invested_total),
                Value::text(r.this_week.as_deref().unwrap_or("")),
                Value::text(r.next_week.as_deref().unwrap_or("")),
                cx.yes_no(r.late),
            ]
        })
        .collect();
    write(
        book,
        &cx.t("export.sheet.reports"),
        &headers,
        &rows,
        formats,
    )
}

fn problems(
    book: &mut Workbook,
    formats: &Formats,
    cx: &Ctx,
    pf: &Portfolio,
    act: &Activity,
) -> Result<(), XlsxError> {
    let headers = cx.headers(&[
        "problem_id",
        "code",
        "problem",
        "raised",
        "status",
        "days_open",
        "escalated",
        "resolution",
    ]);
    let code = |id: i64| pf.project(id).map_or("", |p| p.code.as_str());
    let rows: Vec<Vec<Value>> = act
        .problems
        .iter()
        .map(|q| {
            let state = if q.is_open() {
                "export.open"
            } else {
                "export.resolved"
            };
            vec![
                Value::Int(q.id),
                Value::text(code(q.project_id)),
                Value::text(&q.text),
                Value::Date(local_date(q.raised_at, cx.tz)),
                Value::Text(cx.t(state)),
                Value::Int(q.days_open(cx.now)),
                cx.yes_no(q.is_escalated(cx.now, cx.escalate_days)),
                Value::text(q.resolution.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    write(
        book,
        &cx.t("export.sheet.problems"),
        &headers,
        &rows,
        formats,
    )
}
