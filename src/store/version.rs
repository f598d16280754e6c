//! A token that changes whenever anything the portfolio's snapshots read
//! may have changed, so a reader can keep what it read until then (the
//! dashboard, `src/web/mod.rs`).
//!
//! SQLite: a counter the triggers of migrations/sqlite/0011_data_version.sql
//! move on every write to projects, milestones, reports, problems, roles
//! and people; it is committed with the write. PostgreSQL: the transaction
//! snapshot (`pg_current_snapshot()`), which names every transaction whose
//! writes a statement sees, so two equal tokens see the same data. Either
//! way, read the token before the data: a write in between leaves the data
//! newer than its token, which costs one more read later, never a stale page.

use super::{Backend, Op, Result, Store};

pub async fn current(store: &Store) -> Result<String> {
    let mut conn = store.conn().await?;
    match store.backend() {
        Backend::Sqlite => {
            sqlx::query_scalar("SELECT CAST(n AS TEXT) FROM data_version WHERE id = 1")
                .fetch_one(&mut *conn)
                .await
                .op("version::current (sqlite)")
        }
        Backend::Postgres => sqlx::query_scalar("SELECT CAST(pg_current_snapshot() AS TEXT)")
            .fetch_one(&mut *conn)
            .await
            .op("version::current (postgres)"),
    }
}
