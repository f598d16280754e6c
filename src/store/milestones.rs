//! Pledged milestones and their revision history. The first pledged date is
//! written once and never changed; each revision adds a history row.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;

use super::{Conn, Op, Result, StoreError, date, from_ts, get, opt_date, ts};
use crate::domain::model::{Milestone, PledgeRevision};
use crate::domain::time::{Due, Precision};

/// Column list shared by every SELECT of this table (a macro, so queries
/// stay `&'static str`).
macro_rules! columns {
    () => {
        "id, project_id, name, pledged_original, pledged, actual, position, original_precision, pledged_precision"
    };
}

fn milestone(row: &AnyRow) -> Result<Milestone> {
    Ok(Milestone {
        id: get(row, "id")?,
        project_id: get(row, "project_id")?,
        name: get(row, "name")?,
        pledged_original: date(&get::<String>(row, "pledged_original")?)?,
        pledged: date(&get::<String>(row, "pledged")?)?,
        actual: opt_date(get(row, "actual")?)?,
        position: get(row, "position")?,
        original_precision: precision(&get::<String>(row, "original_precision")?)?,
        pledged_precision: precision(&get::<String>(row, "pledged_precision")?)?,
    })
}

fn precision(s: &str) -> Result<Precision> {
    Precision::parse(s).ok_or_else(|| StoreError::Corrupt(format!("pledge precision '{s}'")))
}

pub async fn of_project(conn: &mut Conn, project_id: i64) -> Result<Vec<Milestone>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM milestones WHERE project_id = $1 ORDER BY position, id"
    ))
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await
    .op("milestones::of_project")?;
    rows.iter().map(milestone).collect()
}

/// Milestones of every active project, in pledge order.
pub async fn of_active_projects(conn: &mut Conn) -> Result<Vec<Milestone>> {
    let rows = sqlx::query(
        "SELECT m.id, m.project_id, m.name, m.pledged_original, m.pledged, m.actual, m.position, \
         m.original_precision, m.pledged_precision \
         FROM milestones m JOIN projects p ON p.id = m.project_id \
         WHERE p.active = 1 ORDER BY m.project_id, m.position, m.id",
    )
    .fetch_all(&mut *conn)
    .await
    .op("milestones::of_active_projects")?;
    rows.iter().map(milestone).collect()
}

/// A milestone about to be pledged.
pub struct NewMilestone<'a> {
    pub project_id: i64,
    pub name: &'a str,
    pub pledged: Due,
    pub actual: Option<NaiveDate>,
    pub position: i64,
}

/// Records a newly pledged milestone and the first entry of its history.
pub async fn insert(
    conn: &mut Conn,
    m: &NewMilestone<'_>,
    source: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO milestones (project_id, name, pledged_original, pledged, actual, position, created_at, updated_at, \
         original_precision, pledged_precision) \
         VALUES ($1, $2, $3, $3, $4, $5, $6, $6, $7, $7) RETURNING id",
    )
    .bind(m.project_id)
    .bind(m.name)
    .bind(m.pledged.date.to_string())
    .bind(m.actual.map(|d| d.to_string()))
    .bind(m.position)
    .bind(ts(now))
    .bind(m.pledged.precision.as_str())
    .fetch_one(&mut *conn)
    .await
.op("milestones::insert")?;
    add_revision(conn, id, m.pledged, source, now).await?;
    Ok(id)
}

/// Moves the pledged date in force; the original stays, history grows.
pub async fn revise(
    conn: &mut Conn,
    milestone_id: i64,
    pledged: Due,
    source: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE milestones SET pledged = $1, pledged_precision = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(pledged.date.to_string())
    .bind(pledged.precision.as_str())
    .bind(ts(now))
    .bind(milestone_id)
    .execute(&mut *conn)
    .await
    .op("milestones::revise")?;
    add_revision(conn, milestone_id, pledged, source, now).await
}

async fn add_revision(
    conn: &mut Conn,
    milestone_id: i64,
    pledged: Due,
    source: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO pledge_revisions (milestone_id, pledged, recorded_at, source, pledged_precision) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(milestone_id)
    .bind(pledged.date.to_string())
    .bind(ts(now))
    .bind(source)
    .bind(pledged.precision.as_str())
    .execute(&mut *conn)
    .await
    .op("milestones::add_revision")?;
    Ok(())
}

pub async fn set_actual(
    conn: &mut Conn,
    milestone_id: i64,
    actual: NaiveDate,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE milestones SET actual = $1, updated_at = $2 WHERE id = $3")
        .bind(actual.to_string())
        .bind(ts(now))
        .bind(milestone_id)
        .execute(&mut *conn)
        .await
        .op("milestones::set_actual")?;
    Ok(())
}

pub async fn set_position(conn: &mut Conn, milestone_id: i64, position: i64) -> Result<()> {
    sqlx::query("UPDATE milestones SET position = $1 WHERE id = $2")
        .bind(position)
        .bind(milestone_id)
        .execute(&mut *conn)
        .await
        .op("milestones::set_position")?;
    Ok(())
}

/// Every date the milestone has been pledged for, oldest first.
pub async fn revisions(conn: &mut Conn, milestone_id: i64) -> Result<Vec<PledgeRevision>> {
    let rows = sqlx::query(
        "SELECT milestone_id, pledged, recorded_at, source, pledged_precision FROM pledge_revisions \
         WHERE milestone_id = $1 ORDER BY id",
    )
    .bind(milestone_id)
    .fetch_all(&mut *conn)
    .await
    .op("milestones::revisions")?;
    rows.iter().map(revision_row).collect()
}

fn revision_row(r: &AnyRow) -> Result<PledgeRevision> {
    Ok(PledgeRevision {
        milestone_id: get(r, "milestone_id")?,
        pledged: date(&get::<String>(r, "pledged")?)?,
        precision: precision(&get::<String>(r, "pledged_precision")?)?,
        recorded_at: from_ts(get(r, "recorded_at")?)?,
        source: get(r, "source")?,
    })
}

/// Every pledge recorded for the active projects' milestones, oldest
/// first: the portfolio as it stood at an earlier week (`domain::history`).
pub async fn revisions_of_active(conn: &mut Conn) -> Result<Vec<PledgeRevision>> {
    let rows = sqlx::query(
        "SELECT r.milestone_id, r.pledged, r.recorded_at, r.source, r.pledged_precision \
         FROM pledge_revisions r JOIN milestones m ON m.id = r.milestone_id \
         JOIN projects p ON p.id = m.project_id WHERE p.active = 1 ORDER BY r.id",
    )
    .fetch_all(&mut *conn)
    .await
    .op("milestones::revisions_of_active")?;
    rows.iter().map(revision_row).collect()
}

/// How many times each milestone's pledge was moved: its history rows less
/// the first, which records the original pledge. Milestones never revised
/// are absent.
pub async fn revision_counts(conn: &mut Conn) -> Result<Vec<(i64, i64)>> {
    let rows = sqlx::query(
        "SELECT milestone_id, COUNT(*) AS n FROM pledge_revisions \
         GROUP BY milestone_id HAVING COUNT(*) > 1",
    )
    .fetch_all(&mut *conn)
    .await
    .op("milestones::revision_counts")?;
    rows.iter()
        .map(|r| Ok((get(r, "milestone_id")?, get::<i64>(r, "n")? - 1)))
        .collect()
}
