//! The ledger of scheduled outgoing messages (ARCHITECTURE.md rule 3): a message is
//! claimed as `(job, period, chat)` before it is sent and completed with the
//! platform's message id after. A claim that exists is never sent again; one
//! left unsent (a crash between claim and send) is taken over once, when its
//! lease has run out. With several processes on one PostgreSQL the unique
//! claim is the lock.

use chrono::{DateTime, Duration, Utc};

use super::{Conn, Op, Result, StoreError, from_ts, get, ts};
use crate::domain::ids::ChatRef;
use crate::domain::outgoing::Posted;
use crate::domain::schedule::Job;
use crate::domain::time::ReportingWeek;

/// How long a claim is left to its holder before another may take it over.
pub const LEASE: Duration = Duration::minutes(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Ours to send; `retry` when taking over an unsent stale claim.
    Mine { id: i64, retry: bool },
    /// Sent already.
    Sent,
    /// Held by someone else (still within its lease), or already retried.
    Taken,
}

pub struct NewClaim<'a> {
    pub job: Job,
    pub period: &'a str,
    pub chat_key: &'a str,
    pub payload: &'a str,
    pub owner: &'a str,
    pub late: bool,
}

pub async fn claim(conn: &mut Conn, c: &NewClaim<'_>, now: DateTime<Utc>) -> Result<Claim> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO outbox (job, period, chat_key, claimed_at, attempts, late, owner, payload) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7) ON CONFLICT (job, period, chat_key) DO NOTHING RETURNING id",
    )
    .bind(c.job.name())
    .bind(c.period)
    .bind(c.chat_key)
    .bind(ts(now))
    .bind(i64::from(c.late))
    .bind(c.owner)
    .bind(c.payload)
    .fetch_optional(&mut *conn)
    .await
.op("outbox::claim (insert)")?;
    if let Some(id) = id {
        return Ok(Claim::Mine { id, retry: false });
    }
    let row = sqlx::query(
        "SELECT id, sent_at, attempts, claimed_at FROM outbox WHERE job = $1 AND period = $2 AND chat_key = $3",
    )
    .bind(c.job.name())
    .bind(c.period)
    .bind(c.chat_key)
    .fetch_one(&mut *conn)
    .await
.op("outbox::claim (existing)")?;
    let id: i64 = get(&row, "id")?;
    if get::<Option<i64>>(&row, "sent_at")?.is_some() {
        return Ok(Claim::Sent);
    }
    take_over(
        conn,
        id,
        get(&row, "attempts")?,
        from_ts(get(&row, "claimed_at")?)?,
        c.owner,
        now,
    )
    .await
}

/// Takes over an unsent claim whose lease ran out. `attempts` counts sends
/// started, so a claim whose holder died before sending stays retriable, and
/// one whose send was in the air at a crash is retried once more only.
async fn take_over(
    conn: &mut Conn,
    id: i64,
    attempts: i64,
    claimed_at: DateTime<Utc>,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<Claim> {
    if attempts >= 2 || claimed_at + LEASE > now {
        return Ok(Claim::Taken);
    }
    let done = sqlx::query(
        "UPDATE outbox SET claimed_at = $1, owner = $2, late = 1 \
         WHERE id = $3 AND attempts = $4 AND sent_at IS NULL",
    )
    .bind(ts(now))
    .bind(owner)
    .bind(id)
    .bind(attempts)
    .execute(&mut *conn)
    .await
    .op("outbox::take_over")?;
    Ok(if done.rows_affected() == 1 {
        Claim::Mine { id, retry: true }
    } else {
        Claim::Taken
    })
}

/// Records that the sends of these claims are starting (in one transaction).
pub async fn sending(conn: &mut Conn, ids: &[i64]) -> Result<()> {
    for id in ids {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1 WHERE id = $1")
            .bind(*id)
            .execute(&mut *conn)
            .await
            .op("outbox::sending")?;
    }
    Ok(())
}

/// Records the message id of a sent claim (and how it went, e.g. via a
/// group mention instead of a private message).
pub async fn complete(
    conn: &mut Conn,
    id: i64,
    message_id: &str,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE outbox SET sent_at = $1, message_id = $2, note = $3 WHERE id = $4")
        .bind(ts(now))
        .bind(message_id)
        .bind(note)
        .bind(id)
        .execute(&mut *conn)
        .await
        .op("outbox::complete")?;
    Ok(())
}

/// Records why a claim could not be sent; it stays unsent.
pub async fn note_failure(conn: &mut Conn, id: i64, note: &str) -> Result<()> {
    sqlx::query("UPDATE outbox SET note = $1 WHERE id = $2")
        .bind(note)
        .bind(id)
        .execute(&mut *conn)
        .await
        .op("outbox::note_failure")?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub id: i64,
    pub job: Job,
    pub period: String,
    pub chat_key: String,
    pub payload: String,
}

/// Unsent claims another run may take over now (their lease is over and
/// they have not been retried yet).
pub async fn stale(conn: &mut Conn, now: DateTime<Utc>) -> Result<Vec<Stale>> {
    let rows = sqlx::query(
        "SELECT id, job, period, chat_key, payload FROM outbox \
         WHERE sent_at IS NULL AND attempts < 2 AND claimed_at <= $1 ORDER BY id",
    )
    .bind(ts(now - LEASE))
    .fetch_all(&mut *conn)
    .await
    .op("outbox::stale")?;
    rows.iter()
        .map(|r| {
            Ok(Stale {
                id: get(r, "id")?,
                job: job(&get::<String>(r, "job")?)?,
                period: get(r, "period")?,
                chat_key: get(r, "chat_key")?,
                payload: get(r, "payload")?,
            })
        })
        .collect()
}

/// The job a stored row names; a name no [`Job`] has means the row was not
/// written by this program (or by a version with jobs since removed).
fn job(name: &str) -> Result<Job> {
    Job::from_name(name).ok_or_else(|| StoreError::Corrupt(format!("job '{name}'")))
}

/// When the oldest unsent claim that may still be retried becomes stale.
pub async fn next_stale_at(conn: &mut Conn) -> Result<Option<DateTime<Utc>>> {
    let oldest: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(claimed_at) FROM outbox WHERE sent_at IS NULL AND attempts < 2",
    )
    .fetch_one(&mut *conn)
    .await
    .op("outbox::next_stale_at")?;
    oldest.map(|t| Ok(from_ts(t)? + LEASE)).transpose()
}

/// Takes over a stale claim found by [`stale`].
pub async fn take_stale(
    conn: &mut Conn,
    s: &Stale,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<Claim> {
    let row = sqlx::query("SELECT attempts, claimed_at, sent_at FROM outbox WHERE id = $1")
        .bind(s.id)
        .fetch_one(&mut *conn)
        .await
        .op("outbox::take_stale")?;
    if get::<Option<i64>>(&row, "sent_at")?.is_some() {
        return Ok(Claim::Sent);
    }
    take_over(
        conn,
        s.id,
        get(&row, "attempts")?,
        from_ts(get(&row, "claimed_at")?)?,
        owner,
        now,
    )
    .await
}

/// A weekly prompt the bot posted, as a reply to it finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptAnswered {
    /// The week the prompt asked about.
    pub week: ReportingWeek,
    /// A later week's prompt has been posted in the chat since: a reply to
    /// this one now counts for the current week.
    pub superseded: bool,
}

/// Whether `message_id` in `chat` is a weekly prompt the bot posted, and
/// for which week.
pub async fn prompt_answered(
    conn: &mut Conn,
    chat: &ChatRef,
    message_id: i64,
) -> Result<Option<PromptAnswered>> {
    let key = chat.key();
    let period: Option<String> = sqlx::query_scalar(
        "SELECT period FROM outbox WHERE job = $1 AND chat_key = $2 AND message_id = $3",
    )
    .bind(Job::Prompt.name())
    .bind(&key)
    .bind(message_id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .op("outbox::prompt_answered (prompt)")?;
    let Some(period) = period else {
        return Ok(None);
    };
    let week: ReportingWeek = period
        .parse()
        .map_err(|e: crate::domain::time::BadWeek| StoreError::Corrupt(e.to_string()))?;
    // ISO week keys (`2026-W48`) sort as the weeks do.
    let later: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE job = $1 AND chat_key = $2 AND period > $3 \
         AND sent_at IS NOT NULL LIMIT 1",
    )
    .bind(Job::Prompt.name())
    .bind(&key)
    .bind(&period)
    .fetch_optional(&mut *conn)
    .await
    .op("outbox::prompt_answered (later prompt)")?;
    Ok(Some(PromptAnswered {
        week,
        superseded: later.is_some(),
    }))
}

/// One claim of a job and period, as [`of_period`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub chat_key: String,
    /// Completed with a message id.
    pub sent: bool,
    /// Claimed by a late run, or taken over after a lease ran out.
    pub late: bool,
    /// Sends started.
    pub attempts: i64,
    /// How it went (a fallback, a failure), empty when plainly sent.
    pub note: String,
}

/// Every ledger row of a job and period, by chat.
pub async fn of_period(conn: &mut Conn, job: Job, period: &str) -> Result<Vec<LedgerRow>> {
    let rows = sqlx::query(
        "SELECT chat_key, sent_at, late, attempts, note FROM outbox WHERE job = $1 AND period = $2 ORDER BY chat_key",
    )
    .bind(job.name())
    .bind(period)
    .fetch_all(&mut *conn)
    .await
.op("outbox::of_period")?;
    rows.iter()
        .map(|r| {
            Ok(LedgerRow {
                chat_key: get(r, "chat_key")?,
                sent: get::<Option<i64>>(r, "sent_at")?.is_some(),
                late: get::<i64>(r, "late")? != 0,
                attempts: get(r, "attempts")?,
                note: get(r, "note")?,
            })
        })
        .collect()
}

pub async fn last_fire(conn: &mut Conn, job: Job) -> Result<Option<DateTime<Utc>>> {
    let v: Option<i64> = sqlx::query_scalar("SELECT last_fire FROM job_runs WHERE job = $1")
        .bind(job.name())
        .fetch_optional(&mut *conn)
        .await
        .op("outbox::last_fire")?;
    v.map(from_ts).transpose()
}

/// Moves the job's last dealt-with fire forward (never back: two processes
/// may both record it).
pub async fn set_last_fire(
    conn: &mut Conn,
    job: Job,
    fire: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO job_runs (job, last_fire, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (job) DO UPDATE SET last_fire = excluded.last_fire, updated_at = excluded.updated_at \
         WHERE job_runs.last_fire < excluded.last_fire",
    )
    .bind(job.name())
    .bind(ts(fire))
    .bind(ts(now))
    .execute(&mut *conn)
    .await
.op("outbox::set_last_fire")?;
    Ok(())
}

/// Ledger claims not sent yet (in the air, failed, or waiting for a retry).
pub async fn pending(conn: &mut Conn) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(&mut *conn)
        .await
        .op("outbox::pending")
}

/// The messages of `job` sent (to any chat), newest period first; one per
/// period, the first chat's, since every leadership chat gets the same.
/// Pictures (keys ending as `jobs::picture::SUFFIX` says) are left out:
/// their text is only a caption.
pub async fn posted(conn: &mut Conn, job: Job) -> Result<Vec<Posted>> {
    let rows = sqlx::query(
        "SELECT period, sent_at, payload FROM outbox WHERE job = $1 AND sent_at IS NOT NULL \
         AND chat_key NOT LIKE '%#picture' ORDER BY period DESC, chat_key",
    )
    .bind(job.name())
    .fetch_all(&mut *conn)
    .await
    .op("outbox::posted")?;
    let mut out: Vec<Posted> = Vec::new();
    for r in &rows {
        let period: String = get(r, "period")?;
        if out.last().is_some_and(|p| p.period == period) {
            continue;
        }
        out.push(Posted {
            job,
            period,
            sent_at: from_ts(get(r, "sent_at")?)?,
            payload: get(r, "payload")?,
        });
    }
    Ok(out)
}

/// The picture of `job`'s message of `period` as sent (`Outgoing` as
/// JSON), the first chat's; none if it was posted without one.
pub async fn posted_picture(conn: &mut Conn, job: Job, period: &str) -> Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE job = $1 AND period = $2 AND sent_at IS NOT NULL \
         AND chat_key LIKE '%#picture' ORDER BY chat_key LIMIT 1",
    )
    .bind(job.name())
    .bind(period)
    .fetch_optional(&mut *conn)
    .await
    .op("outbox::posted_picture")
}
