//! Secrets the server generates for itself and keeps, so that every
//! instance on the database and every restart signs with the same one.

use super::{Conn, Op, Result};

/// The secret stored as `name`; when there is none yet, `fresh` is stored
/// and returned. Two instances racing both end with the first one's.
pub async fn get_or_insert(conn: &mut Conn, name: &str, fresh: &str) -> Result<String> {
    sqlx::query("INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fresh)
        .execute(&mut *conn)
        .await
        .op("secrets::insert")?;
    sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .op("secrets::get")
}
