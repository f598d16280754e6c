//! Which database errors are worth trying again at once, and the bounded
//! retry that does it: a deadlock or serialization failure on PostgreSQL,
//! a busy or locked SQLite file, a connection that was reset or a pool that
//! had no connection free. Anything else (a constraint, a corrupt value, a
//! bug) fails the same way every time, and is left to the inbox's later
//! tries (`attempts.rs`) and, in the end, to a person.

use std::time::Duration;

use super::{Result, StoreError};

/// Tries after the first, and the wait before the first of them; each
/// later wait is four times the one before (50, 200, 800 ms: under 1.1 s
/// in all, short enough for a person waiting on a reply).
const RETRIES: u32 = 3;
const FIRST_WAIT: Duration = Duration::from_millis(50);

impl StoreError {
    /// True when the same statement may well succeed if tried again.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Db { source, .. } => transient(source),
            _ => false,
        }
    }
}

fn transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| transient_code(&code)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs for a serialization failure, a deadlock, a lock
/// not available, an administrator's or crash shutdown, and every
/// connection exception (class 08); SQLite's BUSY and LOCKED with their
/// extended codes (the low byte is the primary code). A SQLSTATE is always
/// five characters, and every SQLite code has four digits at most.
fn transient_code(code: &str) -> bool {
    if code.len() < 5
        && let Ok(sqlite) = code.parse::<i32>()
    {
        return matches!(sqlite & 0xff, 5 | 6);
    }
    matches!(
        code,
        "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03"
    ) || code.starts_with("08")
}

/// Runs `attempt` until it succeeds, fails with an error that is not
/// transient, or has been tried [`RETRIES`] more times; `on_retry` hears of
/// each retry (for a log line and a counter).
pub async fn retrying<T, F, Fut>(
    mut attempt: F,
    mut on_retry: impl FnMut(&StoreError, u32),
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut wait = FIRST_WAIT;
    let mut retry = 0;
    loop {
        match attempt().await {
            Err(e) if e.is_transient() && retry < RETRIES => {
                retry += 1;
                on_retry(&e, retry);
                tokio::time::sleep(wait).await;
                wait *= 4;
            }
            done => return done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_busy_and_locked_are_transient_in_every_extended_form() {
        // SQLITE_BUSY, SQLITE_LOCKED, BUSY_SNAPSHOT, BUSY_TIMEOUT, LOCKED_SHAREDCACHE.
        for code in ["5", "6", "517", "773", "262"] {
            assert!(transient_code(code), "{code}");
        }
        // CONSTRAINT_UNIQUE, READONLY, CORRUPT.
        for code in ["2067", "8", "11"] {
            assert!(!transient_code(code), "{code}");
        }
    }

    #[test]
    fn postgres_deadlocks_serialization_and_lost_connections_are_transient_and_constraints_are_not()
    {
        for code in ["40001", "40P01", "55P03", "08006", "08003", "57P01"] {
            assert!(transient_code(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22P02"] {
            assert!(!transient_code(code), "{code}");
        }
    }
}
