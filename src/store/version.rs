//! Tokens that change whenever anything the portfolio's snapshots read may
//! have changed, so a reader can keep what it read until then (the
//! dashboard, `src/web/snapshots.rs`).
//!
//! SQLite: two counters the triggers of
//! migrations/sqlite/0011_data_version.sql move with every write, committed
//! with it: `portfolio` (projects, milestones, roles, people's names) and
//! `weekly` (reports, problems), so that a report coming in costs a re-read
//! of the week's reports only. PostgreSQL: the transaction snapshot
//! (`pg_current_snapshot()`), which names every transaction whose writes a
//! statement sees, so two equal tokens see the same data; it cannot tell
//! the tables apart, so both parts carry it. Either way, read the tokens
//! before the data: a write in between leaves the data newer than its
//! token, which costs one more read later, never a stale page.

use super::{Backend, Op, Result, Store, get};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub portfolio: String,
    pub weekly: String,
}

pub async fn current(store: &Store) -> Result<Version> {
    let mut conn = store.conn().await?;
    match store.backend() {
        Backend::Sqlite => {
            let row = sqlx::query(
                "SELECT CAST(MAX(CASE WHEN name = 'portfolio' THEN n END) AS TEXT) AS portfolio, \
                 CAST(MAX(CASE WHEN name = 'weekly' THEN n END) AS TEXT) AS weekly FROM data_version",
            )
            .fetch_one(&mut *conn)
            .await
            .op("version::current (sqlite)")?;
            Ok(Version {
                portfolio: get(&row, "portfolio")?,
                weekly: get(&row, "weekly")?,
            })
        }
        Backend::Postgres => {
            let snapshot: String = sqlx::query_scalar("SELECT CAST(pg_current_snapshot() AS TEXT)")
                .fetch_one(&mut *conn)
                .await
                .op("version::current (postgres)")?;
            Ok(Version {
                portfolio: snapshot.clone(),
                weekly: snapshot,
            })
        }
    }
}
