//! Weekly reports with their history: at most one `current` report per
//! project and week (a partial unique index enforces it), every earlier one kept.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::{Conn, Op, Result, StoreError, from_ts, get, ts};
use crate::domain::ids::ChatRef;
use crate::domain::model::{DoneMilestone, Report};
use crate::domain::report::ParsedReport;
use crate::domain::time::ReportingWeek;

/// Column list shared by every SELECT of this table (a macro, so queries
/// stay `&'static str`).
macro_rules! columns {
    () => {
        "id, project_id, week, submitted_at, submitted_by, late, progress, \
    invested_week, invested_total, this_week, next_week, free_text"
    };
}

fn report(row: &AnyRow) -> Result<Report> {
    let week: String = get(row, "week")?;
    let free_text: String = get(row, "free_text")?;
    Ok(Report {
        id: get(row, "id")?,
        project_id: get(row, "project_id")?,
        week: week
            .parse()
            .map_err(|e: crate::domain::time::BadWeek| StoreError::Corrupt(e.to_string()))?,
        submitted_at: from_ts(get(row, "submitted_at")?)?,
        submitted_by: get(row, "submitted_by")?,
        late: get::<i64>(row, "late")? != 0,
        progress: get::<Option<i64>>(row, "progress")?.map(|p| p.clamp(0, 100) as u8),
        invested_week: get(row, "invested_week")?,
        invested_total: get(row, "invested_total")?,
        this_week: get(row, "this_week")?,
        next_week: get(row, "next_week")?,
        free_text: if free_text.is_empty() {
            Vec::new()
        } else {
            free_text.lines().map(str::to_string).collect()
        },
    })
}

/// What a new report carries into the table.
pub struct NewReport<'a> {
    pub project_id: i64,
    pub week: ReportingWeek,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: &'a str,
    pub late: bool,
    pub parsed: &'a ParsedReport,
    pub raw: &'a str,
    /// The message it came in, where it came in one (not a dialogue), so
    /// that an edit of that message corrects it.
    pub source: Option<(&'a ChatRef, i64)>,
}

/// Reports sent for `week` so far, and the one in force among them.
pub async fn of_week(
    conn: &mut Conn,
    project_id: i64,
    week: ReportingWeek,
) -> Result<(i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS sent, MAX(CASE WHEN current = 1 THEN id END) AS in_force \
         FROM reports WHERE project_id = $1 AND week = $2",
    )
    .bind(project_id)
    .bind(week.to_string())
    .fetch_one(&mut *conn)
    .await
    .op("reports::of_week")?;
    Ok((get(&row, "sent")?, get(&row, "in_force")?))
}

/// A report no longer in force: a later one replaced it.
pub async fn retire(conn: &mut Conn, report_id: i64) -> Result<()> {
    sqlx::query("UPDATE reports SET current = 0 WHERE id = $1")
        .bind(report_id)
        .execute(&mut *conn)
        .await
        .op("reports::retire")?;
    Ok(())
}

pub async fn insert(conn: &mut Conn, r: &NewReport<'_>) -> Result<i64> {
    let p = r.parsed;
    sqlx::query_scalar(
        "INSERT INTO reports (project_id, week, submitted_at, submitted_by, late, current, progress, \
         invested_week, invested_total, this_week, next_week, free_text, raw, source_chat, \
         source_message) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
    )
    .bind(r.project_id)
    .bind(r.week.to_string())
    .bind(ts(r.submitted_at))
    .bind(r.submitted_by)
    .bind(i64::from(r.late))
    .bind(p.progress.map(i64::from))
    .bind(p.invested_week)
    .bind(p.invested_total)
    .bind(p.this_week.clone())
    .bind(p.next_week.clone())
    .bind(p.free_text.join("\n"))
    .bind(r.raw)
    .bind(r.source.map(|(chat, _)| chat.key()))
    .bind(r.source.map(|(_, message)| message))
    .fetch_one(&mut *conn)
    .await
.op("reports::insert")
}

pub async fn add_done(
    conn: &mut Conn,
    report_id: i64,
    milestone_id: i64,
    done: &DoneMilestone,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO report_milestones (report_id, milestone_id, name, done_on) VALUES ($1, $2, $3, $4)",
    )
    .bind(report_id)
    .bind(milestone_id)
    .bind(&done.name)
    .bind(done.date.to_string())
    .execute(&mut *conn)
    .await
.op("reports::add_done")?;
    Ok(())
}

/// The reports in force for `week`, one per project at most.
pub async fn current_for_week(conn: &mut Conn, week: ReportingWeek) -> Result<Vec<Report>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM reports WHERE week = $1 AND current = 1"
    ))
    .bind(week.to_string())
    .fetch_all(&mut *conn)
    .await
    .op("reports::current_for_week")?;
    rows.iter().map(report).collect()
}

/// The project's most recent report in force, of any week.
pub async fn latest(conn: &mut Conn, project_id: i64) -> Result<Option<Report>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM reports WHERE project_id = $1 AND current = 1 \
         ORDER BY week DESC LIMIT 1"
    ))
    .bind(project_id)
    .fetch_optional(&mut *conn)
    .await
    .op("reports::latest")?;
    row.as_ref().map(report).transpose()
}

/// Every report of the project and week, oldest first (history included).
pub async fn history(conn: &mut Conn, project_id: i64, week: ReportingWeek) -> Result<Vec<Report>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM reports WHERE project_id = $1 AND week = $2 ORDER BY id"
    ))
    .bind(project_id)
    .bind(week.to_string())
    .fetch_all(&mut *conn)
    .await
    .op("reports::history")?;
    rows.iter().map(report).collect()
}

/// Every report in force, of every week (for period analyses).
pub async fn current_all(conn: &mut Conn) -> Result<Vec<Report>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM reports WHERE current = 1"
    ))
    .fetch_all(&mut *conn)
    .await
    .op("reports::current_all")?;
    rows.iter().map(report).collect()
}

/// A project's reports in force, every week, in week order: the
/// dashboard's progress line.
pub async fn in_force_of(conn: &mut Conn, project_id: i64) -> Result<Vec<Report>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM reports WHERE project_id = $1 AND current = 1 ORDER BY week"
    ))
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await
    .op("reports::in_force_of")?;
    rows.iter().map(report).collect()
}

/// What a withdrawal did: the report taken back, and whether an earlier
/// report of its week is in force again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    pub report_id: i64,
    pub project_id: i64,
    pub week: ReportingWeek,
    pub reinstated: bool,
}

/// Takes back the report in force recorded from message `message` of
/// `chat` (its author recalled the message): it leaves force, and the
/// week's latest report not withdrawn comes back into force. `None` when
/// that message holds no report in force.
pub async fn withdraw(
    conn: &mut Conn,
    chat: &ChatRef,
    message: i64,
    now: DateTime<Utc>,
) -> Result<Option<Withdrawn>> {
    let row = sqlx::query(
        "UPDATE reports SET current = 0, withdrawn_at = $3          WHERE source_chat = $1 AND source_message = $2 AND current = 1          RETURNING id, project_id, week",
    )
    .bind(chat.key())
    .bind(message)
    .bind(ts(now))
    .fetch_optional(&mut *conn)
    .await
    .op("reports::withdraw")?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (report_id, project_id): (i64, i64) = (get(&row, "id")?, get(&row, "project_id")?);
    let week: String = get(&row, "week")?;
    let reinstated = sqlx::query(
        "UPDATE reports SET current = 1 WHERE id = (SELECT MAX(id) FROM reports          WHERE project_id = $1 AND week = $2 AND withdrawn_at IS NULL)",
    )
    .bind(project_id)
    .bind(&week)
    .execute(&mut *conn)
    .await
    .op("reports::withdraw (reinstate)")?
    .rows_affected()
        == 1;
    let week = week
        .parse()
        .map_err(|e: crate::domain::time::BadWeek| StoreError::Corrupt(e.to_string()))?;
    Ok(Some(Withdrawn {
        report_id,
        project_id,
        week,
        reinstated,
    }))
}

/// The project and week of the report last recorded from message
/// `message` of `chat`, if one was.
pub async fn from_message(
    conn: &mut Conn,
    chat: &ChatRef,
    message: i64,
) -> Result<Option<(i64, ReportingWeek)>> {
    let row = sqlx::query(
        "SELECT project_id, week FROM reports WHERE source_chat = $1 AND source_message = $2 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(chat.key())
    .bind(message)
    .fetch_optional(&mut *conn)
    .await
    .op("reports::from_message")?;
    let Some(row) = row else {
        return Ok(None);
    };
    let week: String = get(&row, "week")?;
    let week = week
        .parse()
        .map_err(|e: crate::domain::time::BadWeek| StoreError::Corrupt(e.to_string()))?;
    Ok(Some((get(&row, "project_id")?, week)))
}

/// The reports in force for the weeks `from` to `to` (both included), a
/// project's in week order: the export's recent history.
pub async fn current_between(
    conn: &mut Conn,
    from: ReportingWeek,
    to: ReportingWeek,
) -> Result<Vec<Report>> {
    // Week keys are zero-padded (`2026-W05`), so text order is week order.
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM reports WHERE current = 1 AND week >= $1 AND week <= $2 \
         ORDER BY project_id, week"
    ))
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&mut *conn)
    .await
    .op("reports::current_between")?;
    rows.iter().map(report).collect()
}

/// Each project's latest report in force of a week up to `until`, one
/// query for the whole portfolio rather than [`latest`] per project.
pub async fn latest_each(conn: &mut Conn, until: ReportingWeek) -> Result<Vec<Report>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM reports WHERE current = 1 AND week = \
         (SELECT MAX(x.week) FROM reports x \
          WHERE x.project_id = reports.project_id AND x.current = 1 AND x.week <= $1)"
    ))
    .bind(until.to_string())
    .fetch_all(&mut *conn)
    .await
    .op("reports::latest_each")?;
    rows.iter().map(report).collect()
}

/// Each project's cumulative investment as last reported (weeks up to
/// `until`): the latest report in force that gave one, since a report may
/// leave the figure out.
pub async fn invested_totals(conn: &mut Conn, until: ReportingWeek) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT project_id, invested_total FROM reports WHERE current = 1 \
         AND invested_total IS NOT NULL AND week = \
         (SELECT MAX(x.week) FROM reports x WHERE x.project_id = reports.project_id \
          AND x.current = 1 AND x.invested_total IS NOT NULL AND x.week <= $1)",
    )
    .bind(until.to_string())
    .fetch_all(&mut *conn)
    .await
    .op("reports::invested_totals")?;
    rows.iter()
        .map(|r| Ok((get(r, "project_id")?, get(r, "invested_total")?)))
        .collect()
}

/// Per project, up to `week`: the `invested_week` of every report in force
/// from `year_start` on, summed, and the latest week with a report in force.
/// Weeks are ISO weeks written `YYYY-Www`, so they compare as text.
pub async fn year_to_date(
    conn: &mut Conn,
    year_start: ReportingWeek,
    week: ReportingWeek,
) -> Result<Vec<(i64, i64, ReportingWeek)>> {
    let rows = sqlx::query(
        "SELECT project_id, \
                CAST(COALESCE(SUM(CASE WHEN week >= $1 THEN invested_week ELSE 0 END), 0) AS BIGINT) \
                    AS invested, \
                MAX(week) AS last_week \
         FROM reports WHERE current = 1 AND week <= $2 GROUP BY project_id",
    )
    .bind(year_start.to_string())
    .bind(week.to_string())
    .fetch_all(&mut *conn)
    .await
    .op("reports::year_to_date")?;
    rows.iter()
        .map(|r| {
            let last: String = get(r, "last_week")?;
            Ok((
                get(r, "project_id")?,
                get(r, "invested")?,
                parse_week(&last)?,
            ))
        })
        .collect()
}

/// As [`year_to_date`], for one project.
pub async fn year_to_date_of(
    conn: &mut Conn,
    project_id: i64,
    year_start: ReportingWeek,
    week: ReportingWeek,
) -> Result<Option<(i64, ReportingWeek)>> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN week >= $1 THEN invested_week ELSE 0 END), 0) AS BIGINT) \
                    AS invested, \
                MAX(week) AS last_week \
         FROM reports WHERE current = 1 AND week <= $2 AND project_id = $3",
    )
    .bind(year_start.to_string())
    .bind(week.to_string())
    .bind(project_id)
    .fetch_one(&mut *conn)
    .await
    .op("reports::year_to_date_of")?;
    let Some(last) = get::<Option<String>>(&row, "last_week")? else {
        return Ok(None);
    };
    Ok(Some((get(&row, "invested")?, parse_week(&last)?)))
}

fn parse_week(text: &str) -> Result<ReportingWeek> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("reports.week = {text}")))
}
