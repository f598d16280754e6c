//! Storage on sqlx's `Any` driver: one query code path for SQLite (the
//! embedded default) and PostgreSQL, chosen by the URL scheme. Instants are
//! i64 UTC seconds and dates ISO `TEXT`, because `Any` carries no chrono
//! types; `$1` placeholders work on both.

pub mod attempts;
pub mod chats;
pub mod dialogues;
pub mod events;
pub mod inbox;
pub mod leader;
pub mod messages;
pub mod milestones;
pub mod outbox;
pub mod people;
pub mod problems;
pub mod projects;
pub mod replies;
pub mod reports;
pub mod retention;
pub mod secrets;
pub mod transient;
pub mod version;

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::{AnyPool, Row};

pub use sqlx::AnyConnection as Conn;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A query, connection or transaction step failed; `op` names which one
    /// (`"chats::upsert"`), so a log line says where without a backtrace.
    #[error("database, {op}: {source}")]
    Db {
        op: &'static str,
        source: sqlx::Error,
    },
    /// A column of a fetched row could not be read as the type asked for.
    #[error("database, decoding column {column}: {source}")]
    Decode {
        column: &'static str,
        source: sqlx::Error,
    },
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("stored value is corrupt: {0}")]
    Corrupt(String),
    /// A value could not be written as the JSON the store keeps of it (an
    /// update, a reply, a ledger payload).
    #[error("cannot encode {what} as JSON: {source}")]
    Encode {
        what: &'static str,
        source: serde_json::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Names the operation of a sqlx result, so every query site reads
/// `.await.op("chats::upsert")?` instead of a bare `?` that would lose where
/// the error came from.
pub trait Op<T> {
    fn op(self, op: &'static str) -> Result<T>;
}

impl<T> Op<T> for std::result::Result<T, sqlx::Error> {
    fn op(self, op: &'static str) -> Result<T> {
        STATEMENTS.with(|n| n.set(n.get() + 1));
        self.map_err(|source| StoreError::Db { op, source })
    }
}

thread_local! {
    static STATEMENTS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many statements (queries, begins, commits) the store has run for
/// tasks polled on this thread: every one passes through [`Op::op`]. A test
/// on a current-thread runtime reads its own bot's count, whatever other
/// tests run beside it; the cost is one thread-local add per statement.
pub fn statements_on_this_thread() -> u64 {
    STATEMENTS.with(std::cell::Cell::get)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens the database at `url`, creating an SQLite file (and its folder)
    /// on first use. Does not migrate.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend) = if url.starts_with("sqlite:") {
            (prepare_sqlite_url(url)?, Backend::Sqlite)
        } else {
            (url.to_string(), Backend::Postgres)
        };
        let options: AnyConnectOptions = url.parse().op("connect (parse url)")?;
        // SQLite allows one writer; a single connection serialises writes
        // in-process instead of failing them with SQLITE_BUSY.
        let max = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => max_connections,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 10000")
                            .execute(&mut *conn)
                            .await?;
                        // With WAL, NORMAL keeps every commit across a crash
                        // of the process (what the exactly-once rules need)
                        // and gives up only the last ones on a power loss,
                        // for one fsync per checkpoint instead of per commit.
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .op("connect")?;
        if backend == Backend::Sqlite {
            // A new file gives free pages back a little at a time after a
            // prune (`retention.rs`); on an existing one this only takes
            // effect at its next VACUUM.
            sqlx::query("PRAGMA auto_vacuum = INCREMENTAL")
                .execute(&pool)
                .await
                .op("connect (auto_vacuum)")?;
            // WAL lets readers in other processes (a CLI `status` while the
            // bot runs) proceed during a write; the setting persists in the file.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .op("connect (journal_mode)")?;
        }
        Ok(Store { pool, backend })
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Connects and migrates: what every command does first.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store> {
        let store = Store::connect(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        self.pool.begin().await.op("begin")
    }

    /// A connection from the pool; callers outside the store use this rather
    /// than `pool().acquire()` so a failure is a named [`StoreError`].
    pub async fn conn(&self) -> Result<PoolConnection<sqlx::Any>> {
        self.pool.acquire().await.op("acquire")
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .op("ping")?;
        Ok(())
    }
}

/// Creates the folder of an SQLite file and asks for the file to be created
/// when missing (`mode=rwc`) unless the URL says otherwise.
fn prepare_sqlite_url(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && let Some(parent) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::Folder {
            path: parent.display().to_string(),
            source,
        })?;
    }
    if query.split('&').any(|kv| kv.starts_with("mode=")) {
        Ok(url.to_string())
    } else if query.is_empty() {
        Ok(format!("{url}?mode=rwc"))
    } else {
        Ok(format!("{url}&mode=rwc"))
    }
}

pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(secs: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| StoreError::Corrupt(format!("instant {secs}")))
}

pub(crate) fn date(s: &str) -> Result<NaiveDate> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("date '{s}'")))
}

pub(crate) fn opt_date(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.as_deref().map(date).transpose()
}

/// Reads column `col` of a fetched row; a failure names the column.
pub(crate) fn get<'r, T>(row: &'r AnyRow, col: &'static str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(col).map_err(|source| StoreError::Decode {
        column: col,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub/dir/x.db");
        let url = format!("sqlite://{}", file.display());
        assert_eq!(prepare_sqlite_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(file.parent().unwrap().is_dir());
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").unwrap(),
            "sqlite::memory:?mode=rwc"
        );
        let ro = format!("{url}?mode=ro");
        assert_eq!(prepare_sqlite_url(&ro).unwrap(), ro);
    }
}
