//! Failed tries of an update: counted on its inbox row, tried again by the
//! running bot once `retry_at` has passed, and after `inbox.max_attempts`
//! set aside as failed with its last error, kept and listed, never dropped.

use chrono::{DateTime, Utc};

use super::{Conn, Op, Result, Store, from_ts, get, ts};

/// What a failed try left on the update's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// Tries so far, this one included.
    pub attempts: i64,
    /// True once the tries are used up: the update is set aside as failed.
    pub set_aside: bool,
}

/// Counts a failed try of an unhandled update and when it may be tried
/// again; `None` when the update was handled meanwhile (nothing to count).
pub async fn record_failure(
    db: &Store,
    update_id: i64,
    error: &str,
    now: DateTime<Utc>,
    retry_at: DateTime<Utc>,
    max_attempts: u32,
) -> Result<Option<Attempt>> {
    let mut conn = db.conn().await?;
    let row = sqlx::query(
        "UPDATE inbox SET attempts = attempts + 1, last_error = $2, retry_at = $3, \
             failed_at = CASE WHEN attempts + 1 >= $4 THEN $5 ELSE NULL END \
         WHERE update_id = $1 AND handled_at IS NULL \
         RETURNING attempts, failed_at",
    )
    .bind(update_id)
    .bind(error)
    .bind(ts(retry_at))
    .bind(i64::from(max_attempts))
    .bind(ts(now))
    .fetch_optional(&mut *conn)
    .await
    .op("attempts::record_failure")?;
    row.map(|r| {
        Ok(Attempt {
            attempts: get(&r, "attempts")?,
            set_aside: get::<Option<i64>>(&r, "failed_at")?.is_some(),
        })
    })
    .transpose()
}

/// Takes the failed updates due for another try, oldest first, moving their
/// next try to `next_try` in the same statement, so that a slow try is not
/// taken twice and each due update goes to one taker.
pub async fn take_due(
    conn: &mut Conn,
    now: DateTime<Utc>,
    next_try: DateTime<Utc>,
) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "UPDATE inbox SET retry_at = $2 \
         WHERE handled_at IS NULL AND failed_at IS NULL AND attempts > 0 AND retry_at <= $1 \
         RETURNING update_id, raw",
    )
    .bind(ts(now))
    .bind(ts(next_try))
    .fetch_all(&mut *conn)
    .await
    .op("attempts::take_due")?;
    let mut due = rows
        .iter()
        .map(|r| Ok((get(r, "update_id")?, get(r, "raw")?)))
        .collect::<Result<Vec<(i64, String)>>>()?;
    // RETURNING promises no order; a chat's updates go in update_id order.
    due.sort_unstable_by_key(|(id, _)| *id);
    Ok(due)
}

/// When the next failed update is due for another try, if any is waiting.
pub async fn next_due(conn: &mut Conn) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(retry_at) FROM inbox \
         WHERE handled_at IS NULL AND failed_at IS NULL AND attempts > 0",
    )
    .fetch_one(&mut *conn)
    .await
    .op("attempts::next_due")?;
    at.map(from_ts).transpose()
}

/// An update set aside after its tries were used up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub update_id: i64,
    pub attempts: i64,
    pub received_at: DateTime<Utc>,
    pub failed_at: DateTime<Utc>,
    /// The last try's error (always written with the failure).
    pub last_error: Option<String>,
}

/// Every update set aside as failed, oldest first.
pub async fn failed(conn: &mut Conn) -> Result<Vec<Failed>> {
    let rows = sqlx::query(
        "SELECT update_id, attempts, received_at, failed_at, last_error FROM inbox \
         WHERE failed_at IS NOT NULL AND handled_at IS NULL ORDER BY update_id",
    )
    .fetch_all(&mut *conn)
    .await
    .op("attempts::failed")?;
    rows.iter()
        .map(|r| {
            Ok(Failed {
                update_id: get(r, "update_id")?,
                attempts: get(r, "attempts")?,
                received_at: from_ts(get(r, "received_at")?)?,
                failed_at: from_ts(get(r, "failed_at")?)?,
                last_error: get(r, "last_error")?,
            })
        })
        .collect()
}
