//! People (their platform accounts) and their roles in projects.

use sqlx::any::AnyRow;

use super::{Conn, Op, Result, StoreError, get};
use crate::domain::ids::{PersonRef, Platform};
use crate::domain::model::{Person, Role};

macro_rules! columns {
    () => {
        "id, platform, external_id, display_name, username, can_dm"
    };
}

fn person(row: &AnyRow) -> Result<Person> {
    let platform: String = get(row, "platform")?;
    Ok(Person {
        id: get(row, "id")?,
        account: PersonRef::new(
            platform
                .parse::<Platform>()
                .map_err(|e| StoreError::Corrupt(format!("people: {e}")))?,
            get::<String>(row, "external_id")?,
        ),
        display_name: get(row, "display_name")?,
        username: get(row, "username")?,
        can_dm: get::<i64>(row, "can_dm")? != 0,
    })
}

/// Records the person as last seen (name and username change over time).
pub async fn upsert(
    conn: &mut Conn,
    account: &PersonRef,
    display_name: &str,
    username: Option<&str>,
) -> Result<Person> {
    let row = sqlx::query(concat!(
        "INSERT INTO people (platform, external_id, display_name, username) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (platform, external_id) DO UPDATE SET display_name = excluded.display_name, \
         username = excluded.username RETURNING ",
        columns!()
    ))
    .bind(account.platform.code())
    .bind(&account.id)
    .bind(display_name)
    .bind(username)
    .fetch_one(&mut *conn)
    .await
.op("people::upsert")?;
    person(&row)
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Person>> {
    let row = sqlx::query(concat!("SELECT ", columns!(), " FROM people WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .op("people::by_id")?;
    row.as_ref().map(person).transpose()
}

pub async fn by_external(conn: &mut Conn, account: &PersonRef) -> Result<Option<Person>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        columns!(),
        " FROM people WHERE platform = $1 AND external_id = $2"
    ))
    .bind(account.platform.code())
    .bind(&account.id)
    .fetch_optional(&mut *conn)
    .await
    .op("people::by_external")?;
    row.as_ref().map(person).transpose()
}

pub async fn set_can_dm(conn: &mut Conn, person_id: i64, can: bool) -> Result<()> {
    sqlx::query("UPDATE people SET can_dm = $1 WHERE id = $2")
        .bind(i64::from(can))
        .bind(person_id)
        .execute(&mut *conn)
        .await
        .op("people::set_can_dm")?;
    Ok(())
}

/// Adds a role; true when it is new.
pub async fn add_role(
    conn: &mut Conn,
    project_id: i64,
    person_id: i64,
    role: Role,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO project_roles (project_id, person_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(project_id)
    .bind(person_id)
    .bind(role.code())
    .execute(&mut *conn)
    .await
.op("people::add_role")?;
    Ok(done.rows_affected() == 1)
}

/// Projects where the person holds `role`.
pub async fn projects_with_role(conn: &mut Conn, person_id: i64, role: Role) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT project_id FROM project_roles WHERE person_id = $1 AND role = $2 ORDER BY project_id",
    )
    .bind(person_id)
    .bind(role.code())
    .fetch_all(&mut *conn)
    .await
.op("people::projects_with_role")
}

/// The projects the account is liaison of; none for an account never seen.
pub async fn liaison_projects_of(conn: &mut Conn, account: &PersonRef) -> Result<Vec<i64>> {
    match by_external(conn, account).await? {
        Some(p) => projects_with_role(conn, p.id, Role::Liaison).await,
        None => Ok(Vec::new()),
    }
}

/// Every role the person holds, with its project: one look-up for what a
/// message needs to know of its sender.
pub async fn roles_of(conn: &mut Conn, person_id: i64) -> Result<Vec<(i64, Role)>> {
    let rows = sqlx::query(
        "SELECT project_id, role FROM project_roles WHERE person_id = $1 ORDER BY project_id",
    )
    .bind(person_id)
    .fetch_all(&mut *conn)
    .await
    .op("people::roles_of")?;
    rows.iter()
        .map(|r| {
            let code: String = get(r, "role")?;
            let role = Role::from_code(&code)
                .ok_or_else(|| StoreError::Corrupt(format!("role '{code}'")))?;
            Ok((get(r, "project_id")?, role))
        })
        .collect()
}

/// The people holding `role` in the project.
pub async fn with_role(conn: &mut Conn, project_id: i64, role: Role) -> Result<Vec<Person>> {
    let rows = sqlx::query(
        "SELECT p.id, p.platform, p.external_id, p.display_name, p.username, p.can_dm \
         FROM people p JOIN project_roles r ON r.person_id = p.id \
         WHERE r.project_id = $1 AND r.role = $2 ORDER BY p.id",
    )
    .bind(project_id)
    .bind(role.code())
    .fetch_all(&mut *conn)
    .await
    .op("people::with_role")?;
    rows.iter().map(person).collect()
}
