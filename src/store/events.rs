//! The inbox of platforms whose deliveries carry no ordered numeric id
//! (Feishu): each event stored before it is acknowledged, made power-loss
//! durable as Telegram's batches are (`inbox.rs`), handled once in the
//! order it was stored, its replies confirmed after they went out
//! (ARCHITECTURE.md rule 4). A second delivery of the same key is a no-op.

use chrono::{DateTime, Utc};

use super::{Conn, Op, Result, Store, get, ts};
use crate::domain::ids::Platform;

/// An event as stored: its place in the order and its raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub seq: i64,
    pub raw: String,
}

/// Stores an event unless its key is there already, in a commit that
/// survives a power loss; its `seq` when newly stored.
pub async fn store(
    db: &Store,
    platform: Platform,
    key: &str,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let mut conn = db.conn().await?;
    super::inbox::durably(&mut conn, db.backend(), async |conn| {
        sqlx::query_scalar(
            "INSERT INTO platform_events (platform, key, raw, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (platform, key) DO NOTHING RETURNING seq",
        )
        .bind(platform.code())
        .bind(key)
        .bind(raw)
        .bind(ts(now))
        .fetch_optional(&mut *conn)
        .await
        .op("events::store")
    })
    .await
}

/// Events waiting to be handled, in order, at most `limit`: never tried,
/// or failed and due for another try.
pub async fn waiting(
    conn: &mut Conn,
    platform: Platform,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Stored>> {
    let rows = sqlx::query(
        "SELECT seq, raw FROM platform_events \
         WHERE platform = $1 AND handled_at IS NULL AND failed_at IS NULL \
           AND (retry_at IS NULL OR retry_at <= $2) \
         ORDER BY seq LIMIT $3",
    )
    .bind(platform.code())
    .bind(ts(now))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .op("events::waiting")?;
    rows.iter()
        .map(|r| {
            Ok(Stored {
                seq: get(r, "seq")?,
                raw: get(r, "raw")?,
            })
        })
        .collect()
}

/// Marks the event handled, with its replies, inside the caller's
/// transaction: false when it was handled already.
pub async fn claim(conn: &mut Conn, seq: i64, replies: &str, now: DateTime<Utc>) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE platform_events SET handled_at = $1, replies = $2 WHERE seq = $3 AND handled_at IS NULL",
    )
    .bind(ts(now))
    .bind(replies)
    .bind(seq)
    .execute(&mut *conn)
    .await
    .op("events::claim")?;
    Ok(done.rows_affected() == 1)
}

/// Handled events whose replies were not confirmed sent: (the event, its
/// replies).
pub async fn unreplied(conn: &mut Conn, platform: Platform) -> Result<Vec<(Stored, String)>> {
    let rows = sqlx::query(
        "SELECT seq, raw, replies FROM platform_events WHERE platform = $1 AND handled_at IS NOT NULL \
         AND replied_at IS NULL AND replies IS NOT NULL ORDER BY seq",
    )
    .bind(platform.code())
    .fetch_all(&mut *conn)
    .await
    .op("events::unreplied")?;
    rows.iter()
        .map(|r| {
            let event = Stored {
                seq: get(r, "seq")?,
                raw: get(r, "raw")?,
            };
            Ok((event, get(r, "replies")?))
        })
        .collect()
}

pub async fn mark_replied(conn: &mut Conn, seq: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE platform_events SET replied_at = $1 WHERE seq = $2")
        .bind(ts(now))
        .bind(seq)
        .execute(&mut *conn)
        .await
        .op("events::mark_replied")?;
    Ok(())
}

/// Counts a failed try and when to try again; after `max_attempts` the
/// event is set aside as failed, with its error. True when set aside.
pub async fn record_failure(
    db: &Store,
    seq: i64,
    error: &str,
    retry_at: DateTime<Utc>,
    max_attempts: u32,
) -> Result<bool> {
    let mut conn = db.conn().await?;
    let failed: Option<Option<i64>> = sqlx::query_scalar(
        "UPDATE platform_events SET attempts = attempts + 1, last_error = $2, retry_at = $3, \
             failed_at = CASE WHEN attempts + 1 >= $4 THEN $3 ELSE NULL END \
         WHERE seq = $1 AND handled_at IS NULL RETURNING failed_at",
    )
    .bind(seq)
    .bind(error)
    .bind(ts(retry_at))
    .bind(i64::from(max_attempts))
    .fetch_optional(&mut *conn)
    .await
    .op("events::record_failure")?;
    Ok(failed.flatten().is_some())
}
