//! Problems raised by reports or commands, open until resolved.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::{Conn, Op, Result, from_ts, get, ts};
use crate::domain::model::{Problem, ProblemLevel};

/// Column list shared by every SELECT of this table (a macro, so queries
/// stay `&'static str`).
macro_rules! columns {
    () => {
        "id, project_id, text, raised_by, raised_at, level, resolved_at, resolution"
    };
}

fn problem(row: &AnyRow) -> Result<Problem> {
    Ok(Problem {
        id: get(row, "id")?,
        project_id: get(row, "project_id")?,
        text: get(row, "text")?,
        raised_by: get(row, "raised_by")?,
        raised_at: from_ts(get(row, "raised_at")?)?,
        level: ProblemLevel::from_code(&get::<String>(row, "level")?),
        resolved_at: get::<Option<i64>>(row, "resolved_at")?
            .map(from_ts)
            .transpose()?,
        resolution: get(row, "resolution")?,
    })
}

pub async fn insert(
    conn: &mut Conn,
    project_id: i64,
    text: &str,
    raised_by: &str,
    raised_at: DateTime<Utc>,
    report_id: Option<i64>,
) -> Result<Problem> {
    let row = sqlx::query(concat!(
        "INSERT INTO problems (project_id, text, raised_by, raised_at, report_id, level) \
         VALUES ($1, $2, $3, $4, $5, 'zone') RETURNING ",
        columns!(),
        ""
    ))
    .bind(project_id)
    .bind(text)
    .bind(raised_by)
    .bind(ts(raised_at))
    .bind(report_id)
    .fetch_one(&mut *conn)
    .await
    .op("problems::insert")?;
    problem(&row)
}

/// The open problem of the project with exactly this text, if any.
pub async fn open_with_text(
    conn: &mut Conn,
    project_id: i64,
    text: &str,
) -> Result<Option<Problem>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM problems WHERE project_id = $1 AND text = $2 AND resolved_at IS NULL \
         ORDER BY id LIMIT 1"
    ))
    .bind(project_id)
    .bind(text)
    .fetch_optional(&mut *conn)
    .await
    .op("problems::open_with_text")?;
    row.as_ref().map(problem).transpose()
}

/// Removes the still-open problems a replaced report raised that its
/// replacement no longer mentions: the owner corrected them away. The
/// replaced report's text stays in the report history.
pub async fn withdraw_unrepeated(
    conn: &mut Conn,
    replaced_report_id: i64,
    repeated: &[String],
) -> Result<u64> {
    let rows =
        sqlx::query("SELECT id, text FROM problems WHERE report_id = $1 AND resolved_at IS NULL")
            .bind(replaced_report_id)
            .fetch_all(&mut *conn)
            .await
            .op("problems::withdraw_unrepeated (select)")?;
    let mut removed = 0;
    for row in &rows {
        let text: String = get(row, "text")?;
        if !repeated.contains(&text) {
            let id: i64 = get(row, "id")?;
            removed += sqlx::query("DELETE FROM problems WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await
                .op("problems::withdraw_unrepeated (delete)")?
                .rows_affected();
        }
    }
    Ok(removed)
}

/// Problems that matter to a period starting at `since`: every open one, and
/// those raised or resolved since.
pub async fn relevant_since(conn: &mut Conn, since: DateTime<Utc>) -> Result<Vec<Problem>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM problems WHERE resolved_at IS NULL OR raised_at >= $1 OR resolved_at >= $1 \
         ORDER BY id"
    ))
    .bind(ts(since))
    .fetch_all(&mut *conn)
    .await
    .op("problems::relevant_since")?;
    rows.iter().map(problem).collect()
}

pub async fn of_project(conn: &mut Conn, project_id: i64) -> Result<Vec<Problem>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM problems WHERE project_id = $1 ORDER BY id"
    ))
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await
    .op("problems::of_project")?;
    rows.iter().map(problem).collect()
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Problem>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM problems WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .op("problems::by_id")?;
    row.as_ref().map(problem).transpose()
}

/// Closes an open problem; false when it was already closed.
pub async fn resolve(
    conn: &mut Conn,
    id: i64,
    resolved_by: &str,
    resolution: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE problems SET resolved_at = $1, resolved_by = $2, resolution = $3 \
         WHERE id = $4 AND resolved_at IS NULL",
    )
    .bind(ts(now))
    .bind(resolved_by)
    .bind(resolution)
    .bind(id)
    .execute(&mut *conn)
    .await
    .op("problems::resolve")?;
    Ok(done.rows_affected() == 1)
}

/// Every problem, open or resolved, of the active projects, oldest first.
pub async fn of_active_projects(conn: &mut Conn) -> Result<Vec<Problem>> {
    let rows = sqlx::query(
        "SELECT pr.id, pr.project_id, pr.text, pr.raised_by, pr.raised_at, pr.level, \
         pr.resolved_at, pr.resolution FROM problems pr JOIN projects p ON p.id = pr.project_id \
         WHERE p.active = 1 ORDER BY pr.id",
    )
    .fetch_all(&mut *conn)
    .await
    .op("problems::of_active_projects")?;
    rows.iter().map(problem).collect()
}
