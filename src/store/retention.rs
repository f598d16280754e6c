//! Keeping the database from growing forever: handled updates and old
//! ledger claims deleted once they have served, SQLite's free pages given
//! back, and an online copy of an SQLite database.

use std::path::Path;

use super::{Backend, Op, Result, Store, StoreError, ts};
use chrono::{DateTime, Duration, Utc};

/// What a prune deleted (or, dry, would delete).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Telegram's updates and the other platforms' events.
    pub inbox: u64,
    /// Ledger claims, and the message ids the other platforms write as
    /// text (`platform_messages`), kept as long.
    pub outbox: u64,
    /// Pages SQLite gave back to the file system afterwards.
    pub freed_pages: i64,
}

/// The cut-offs of one prune: rows older than these go.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    pub inbox_before: DateTime<Utc>,
    pub outbox_before: DateTime<Utc>,
}

impl Cutoffs {
    pub fn at(now: DateTime<Utc>, inbox_days: i64, outbox_days: i64) -> Cutoffs {
        Cutoffs {
            inbox_before: now - Duration::days(inbox_days),
            outbox_before: now - Duration::days(outbox_days),
        }
    }
}

// An update not handled yet is never deleted, and neither is the newest
// one: the poller asks Telegram for what comes after the highest update id
// on record (`inbox::max_update_id`).
// (Macros, not consts: sqlx takes only literal SQL, and `concat!` only literals.)
macro_rules! old_inbox {
    () => {
        "FROM inbox WHERE handled_at IS NOT NULL AND received_at < $1 \
         AND update_id < (SELECT MAX(update_id) FROM inbox)"
    };
}
macro_rules! old_outbox {
    () => {
        "FROM outbox WHERE claimed_at < $1"
    };
}
// The other platforms' events carry no ordered id, so none is kept back.
macro_rules! old_events {
    () => {
        "FROM platform_events WHERE handled_at IS NOT NULL AND received_at < $1"
    };
}
macro_rules! old_messages {
    () => {
        "FROM platform_messages WHERE created_at < $1"
    };
}

/// Deletes, in one transaction, handled updates received before the inbox
/// cut-off and ledger claims made before the outbox cut-off; then, on
/// SQLite, checkpoints the WAL and gives free pages back.
pub async fn prune(db: &Store, cut: Cutoffs) -> Result<Pruned> {
    let mut tx = db.begin().await?;
    let inbox = sqlx::query(concat!("DELETE ", old_inbox!()))
        .bind(ts(cut.inbox_before))
        .execute(&mut *tx)
        .await
        .op("retention::prune (inbox)")?
        .rows_affected();
    let outbox = sqlx::query(concat!("DELETE ", old_outbox!()))
        .bind(ts(cut.outbox_before))
        .execute(&mut *tx)
        .await
        .op("retention::prune (outbox)")?
        .rows_affected();
    let events = sqlx::query(concat!("DELETE ", old_events!()))
        .bind(ts(cut.inbox_before))
        .execute(&mut *tx)
        .await
        .op("retention::prune (platform_events)")?
        .rows_affected();
    let messages = sqlx::query(concat!("DELETE ", old_messages!()))
        .bind(ts(cut.outbox_before))
        .execute(&mut *tx)
        .await
        .op("retention::prune (platform_messages)")?
        .rows_affected();
    tx.commit().await.op("retention::prune (commit)")?;
    let freed_pages = match db.backend() {
        Backend::Sqlite => compact_sqlite(db).await?,
        // PostgreSQL's autovacuum reuses the space.
        Backend::Postgres => 0,
    };
    Ok(Pruned {
        inbox: inbox + events,
        outbox: outbox + messages,
        freed_pages,
    })
}

/// What [`prune`] would delete, deleting nothing.
pub async fn count(db: &Store, cut: Cutoffs) -> Result<Pruned> {
    let mut conn = db.conn().await?;
    let queries: [(&'static str, DateTime<Utc>, &'static str); 4] = [
        (
            concat!("SELECT COUNT(*) ", old_inbox!()),
            cut.inbox_before,
            "retention::count (inbox)",
        ),
        (
            concat!("SELECT COUNT(*) ", old_events!()),
            cut.inbox_before,
            "retention::count (platform_events)",
        ),
        (
            concat!("SELECT COUNT(*) ", old_outbox!()),
            cut.outbox_before,
            "retention::count (outbox)",
        ),
        (
            concat!("SELECT COUNT(*) ", old_messages!()),
            cut.outbox_before,
            "retention::count (platform_messages)",
        ),
    ];
    let mut n = [0u64; 4];
    for (slot, (sql, before, op)) in n.iter_mut().zip(queries) {
        let rows: i64 = sqlx::query_scalar(sql)
            .bind(ts(before))
            .fetch_one(&mut *conn)
            .await
            .op(op)?;
        *slot = u64::try_from(rows).map_err(|_| StoreError::Corrupt(format!("count {rows}")))?;
    }
    Ok(Pruned {
        inbox: n[0] + n[1],
        outbox: n[2] + n[3],
        freed_pages: 0,
    })
}

/// Free pages are given back once they are a quarter (1 / this) of the file.
const FREE_SHARE_TO_COMPACT: i64 = 4;

/// `PRAGMA auto_vacuum`'s value for INCREMENTAL.
const AUTO_VACUUM_INCREMENTAL: i64 = 2;

/// Checkpoints the WAL into the main file and, after a large prune, gives
/// the free pages back: incrementally where the file was created so, by
/// one `VACUUM` (which also switches it to incremental) where it was not.
async fn compact_sqlite(db: &Store) -> Result<i64> {
    let mut conn = db.conn().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut *conn)
        .await
        .op("retention::compact (checkpoint)")?;
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&mut *conn)
        .await
        .op("retention::compact (page_count)")?;
    let free: i64 = sqlx::query_scalar("PRAGMA freelist_count")
        .fetch_one(&mut *conn)
        .await
        .op("retention::compact (freelist_count)")?;
    if free == 0 || free * FREE_SHARE_TO_COMPACT < pages {
        return Ok(0);
    }
    let mode: i64 = sqlx::query_scalar("PRAGMA auto_vacuum")
        .fetch_one(&mut *conn)
        .await
        .op("retention::compact (auto_vacuum)")?;
    let steps: &[&'static str] = if mode == AUTO_VACUUM_INCREMENTAL {
        &["PRAGMA incremental_vacuum"]
    } else {
        &["PRAGMA auto_vacuum = INCREMENTAL", "VACUUM"]
    };
    for &step in steps {
        sqlx::query(step)
            .execute(&mut *conn)
            .await
            .op("retention::compact (vacuum)")?;
    }
    Ok(free)
}

/// Writes a consistent copy of an SQLite database to `file` while the bot
/// may be writing (`VACUUM INTO` reads one snapshot). The file must not
/// exist yet. PostgreSQL is backed up with its own tools.
pub async fn backup(db: &Store, file: &Path) -> std::result::Result<(), BackupError> {
    if db.backend() != Backend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if file.exists() {
        return Err(BackupError::Exists(file.display().to_string()));
    }
    let path = file
        .to_str()
        .ok_or_else(|| BackupError::Path(file.display().to_string()))?;
    let mut conn = db.conn().await?;
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(&mut *conn)
        .await
        .op("retention::backup (vacuum into)")?;
    // The copy is only known good once SQLite has read it through.
    sqlx::query("ATTACH DATABASE $1 AS copy")
        .bind(path)
        .execute(&mut *conn)
        .await
        .op("retention::backup (attach the copy)")?;
    let check: std::result::Result<String, _> = sqlx::query_scalar("PRAGMA copy.quick_check")
        .fetch_one(&mut *conn)
        .await
        .op("retention::backup (check the copy)");
    sqlx::query("DETACH DATABASE copy")
        .execute(&mut *conn)
        .await
        .op("retention::backup (detach the copy)")?;
    let check = check?;
    if check != "ok" {
        return Err(BackupError::Check(check));
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backup: the database is PostgreSQL; back it up with pg_dump (see the README)")]
    NotSqlite,
    #[error("backup: {0} exists already; give a new file name")]
    Exists(String),
    #[error("backup: the path {0} is not valid UTF-8")]
    Path(String),
    #[error("backup: the copy failed SQLite's check: {0}")]
    Check(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
