//! The `projects` table, and liaison names for printing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

use super::{Conn, Op, Result, StoreError, get, ts};
use crate::domain::model::{Project, Stage};

/// Column list shared by every SELECT of this table (a macro, so queries
/// stay `&'static str`).
macro_rules! columns {
    () => {
        "id, code, name, owner_org, zone, industry_chain, stage, investment, liaison_name, leader, annual_plan, active"
    };
}

fn project(row: &AnyRow) -> Result<Project> {
    let stage: String = get(row, "stage")?;
    Ok(Project {
        id: get(row, "id")?,
        code: get(row, "code")?,
        name: get(row, "name")?,
        owner_org: get(row, "owner_org")?,
        zone: get(row, "zone")?,
        industry_chain: get(row, "industry_chain")?,
        stage: stage
            .parse::<Stage>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        investment: get(row, "investment")?,
        liaison_name: get(row, "liaison_name")?,
        leader: get(row, "leader")?,
        annual_plan: get(row, "annual_plan")?,
        active: get::<i64>(row, "active")? != 0,
    })
}

pub async fn by_code(conn: &mut Conn, code: &str) -> Result<Option<Project>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM projects WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(&mut *conn)
    .await
    .op("projects::by_code")?;
    row.as_ref().map(project).transpose()
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Project>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM projects WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
    .op("projects::by_id")?;
    row.as_ref().map(project).transpose()
}

pub async fn active(conn: &mut Conn) -> Result<Vec<Project>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM projects WHERE active = 1 ORDER BY code"
    ))
    .fetch_all(&mut *conn)
    .await
    .op("projects::active")?;
    rows.iter().map(project).collect()
}

/// Inserts a project; `p.id` is ignored. Returns the new id.
pub async fn insert(conn: &mut Conn, p: &Project, now: DateTime<Utc>) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO projects (code, name, owner_org, zone, industry_chain, stage, investment, liaison_name, \
         leader, annual_plan, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(&p.code)
    .bind(&p.name)
    .bind(&p.owner_org)
    .bind(&p.zone)
    .bind(&p.industry_chain)
    .bind(p.stage.code())
    .bind(p.investment)
    .bind(&p.liaison_name)
    .bind(&p.leader)
    .bind(p.annual_plan)
    .bind(i64::from(p.active))
    .bind(ts(now))
    .fetch_one(&mut *conn)
    .await
.op("projects::insert")?;
    Ok(id)
}

/// Overwrites the descriptive fields of project `p.id`.
pub async fn update(conn: &mut Conn, p: &Project, now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE projects SET name = $1, owner_org = $2, zone = $3, industry_chain = $4, stage = $5, \
         investment = $6, liaison_name = $7, active = $8, updated_at = $9, leader = $11, \
         annual_plan = $12 WHERE id = $10",
    )
    .bind(&p.name)
    .bind(&p.owner_org)
    .bind(&p.zone)
    .bind(&p.industry_chain)
    .bind(p.stage.code())
    .bind(p.investment)
    .bind(&p.liaison_name)
    .bind(i64::from(p.active))
    .bind(ts(now))
    .bind(p.id)
    .bind(&p.leader)
    .bind(p.annual_plan)
    .execute(&mut *conn)
    .await
.op("projects::update")?;
    Ok(())
}

/// The liaison to name for each project: a person bound through the chat if
/// any, else the name given in the import.
pub async fn liaison_names(conn: &mut Conn, projects: &[Project]) -> Result<HashMap<i64, String>> {
    let mut names: HashMap<i64, String> = projects
        .iter()
        .filter(|p| !p.liaison_name.is_empty())
        .map(|p| (p.id, p.liaison_name.clone()))
        .collect();
    let rows = sqlx::query(
        "SELECT r.project_id, p.display_name FROM project_roles r JOIN people p ON p.id = r.person_id \
         WHERE r.role = 'liaison' ORDER BY r.project_id, p.id",
    )
    .fetch_all(&mut *conn)
    .await
.op("projects::liaison_names")?;
    let mut bound: HashMap<i64, Vec<String>> = HashMap::new();
    for row in &rows {
        bound
            .entry(get(row, "project_id")?)
            .or_default()
            .push(get(row, "display_name")?);
    }
    for (id, people) in bound {
        names.insert(id, people.join("、"));
    }
    Ok(names)
}
