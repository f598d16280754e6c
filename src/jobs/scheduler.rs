//! The scheduler: sleeps (on the injected clock) until the next job is due,
//! runs it, remembers the fire it dealt with. At start-up a fire missed while
//! the bot was down is run once, marked late; a fire already dealt with is
//! never run again, and the ledger keeps a message from going out twice even
//! when two processes share the database.

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::domain::schedule::{Job, effective_time, latest_fire_between, next_fire};
use crate::store::{Result, outbox};

use super::{JobDeps, LATE_AFTER, Messenger, Outcome, run_once, sweep_stale};

fn shifted(deps: &JobDeps, job: Job, fire: DateTime<Utc>) -> DateTime<Utc> {
    let s = &deps.settings;
    effective_time(
        fire,
        s.timezone,
        &s.calendar,
        s.holiday_shift.contains(&job),
    )
}

/// What the scheduler found at start-up: the fire each job dealt with last,
/// and the missed fires to run once, late.
pub struct Start {
    now: DateTime<Utc>,
    last: Vec<(Job, DateTime<Utc>)>,
    missed: Vec<(Job, DateTime<Utc>)>,
}

/// Reads the jobs' marks as of the clock's now. Done before the bot starts
/// answering, so "now" at start-up is well defined.
pub async fn prepare(deps: &JobDeps, clock: &dyn Clock) -> Result<Start> {
    let now = clock.now();
    let mut start = Start {
        now,
        last: Vec::new(),
        missed: Vec::new(),
    };
    for job in Job::ALL {
        let mut conn = deps.store.conn().await?;
        let stored = outbox::last_fire(&mut conn, job).await?;
        drop(conn);
        let mark = match stored {
            // First start: nothing is owed from before the bot existed.
            None => {
                record(deps, job, now, now).await?;
                now
            }
            Some(since) => match missed_fire(deps, job, since, now) {
                Missed::Run(fire) => {
                    start.missed.push((job, fire));
                    fire
                }
                Missed::Later(before) => before,
                Missed::None => since,
            },
        };
        start.last.push((job, mark));
    }
    Ok(start)
}

/// Runs the missed fires once (late), then every job on time until
/// `shutdown`.
pub async fn run(
    deps: JobDeps,
    start: Start,
    messenger: &dyn Messenger,
    clock: &dyn Clock,
    mut shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let Start {
        now,
        mut last,
        missed,
    } = start;
    for (job, fire) in missed {
        let late = now - shifted(&deps, job, fire) > LATE_AFTER;
        run_logged(&deps, messenger, job, fire, now, late).await;
        record(&deps, job, fire, now).await?;
    }
    sweep_stale(&deps, messenger, now).await?;
    loop {
        let due = last
            .iter()
            .filter_map(|(job, after)| {
                let fire = next_fire(deps.settings.cron(*job), deps.settings.timezone, *after)?;
                Some((*job, fire, shifted(&deps, *job, fire)))
            })
            .min_by_key(|(_, _, at)| *at);
        // A claim left unsent by a crash elsewhere is retried when its lease
        // ends, not only when the next job happens to run.
        let stale_at = match next_stale(&deps).await {
            Ok(t) => t,
            Err(e) => {
                // The database is away for a moment: try again shortly.
                tracing::error!(error = %e, "scheduler cannot read the ledger");
                Some(clock.now() + chrono::Duration::seconds(30))
            }
        };
        let wake = match (due.map(|(_, _, at)| at), stale_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(wake) = wake else {
            // Nothing is ever due: wait for the stop (a dropped sender is one).
            if shutdown.wait_for(|s| *s).await.is_err() {
                tracing::debug!("shutdown signal dropped");
            }
            return Ok(());
        };
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return Ok(()),
            _ = clock.sleep_until(wake) => {}
        }
        let now = clock.now();
        if let Some((job, fire, at)) = due.filter(|(_, _, at)| *at <= now) {
            tracing::debug!(job = job.name(), %at, "job due");
            let late = now - at > LATE_AFTER;
            run_logged(&deps, messenger, job, fire, now, late).await;
            // Remembered in memory even if the database refuses it now: the
            // ledger keeps a rerun after a restart from sending twice.
            if let Err(e) = record(&deps, job, fire, now).await {
                tracing::error!(job = job.name(), error = %e, "cannot record the run");
            }
            if let Some(entry) = last.iter_mut().find(|(j, _)| *j == job) {
                entry.1 = fire;
            }
        }
        if let Err(e) = sweep_stale(&deps, messenger, now).await {
            tracing::error!(error = %e, "cannot retry unsent claims now");
        }
    }
}

async fn next_stale(deps: &JobDeps) -> Result<Option<DateTime<Utc>>> {
    let mut conn = deps.store.conn().await?;
    outbox::next_stale_at(&mut conn).await
}

enum Missed {
    /// Run this fire now, late.
    Run(DateTime<Utc>),
    /// The missed fire is shifted past now by a holiday: remember the fire
    /// before it, so the loop runs it when its time comes.
    Later(DateTime<Utc>),
    None,
}

/// The latest fire in `(since, now]`: a bot that was down runs it once,
/// not once per missed tick.
fn missed_fire(deps: &JobDeps, job: Job, since: DateTime<Utc>, now: DateTime<Utc>) -> Missed {
    let tz = deps.settings.timezone;
    let cron = deps.settings.cron(job);
    let Some(fire) = latest_fire_between(cron, tz, since, now) else {
        return Missed::None;
    };
    if shifted(deps, job, fire) > now {
        return Missed::Later(
            latest_fire_between(cron, tz, since, fire - chrono::Duration::seconds(1))
                .unwrap_or(since),
        );
    }
    Missed::Run(fire)
}

async fn run_logged(
    deps: &JobDeps,
    messenger: &dyn Messenger,
    job: Job,
    fire: DateTime<Utc>,
    now: DateTime<Utc>,
    late: bool,
) -> Option<Outcome> {
    // How far behind its (holiday-shifted) time the job starts: a caught-up
    // run after an outage shows the outage.
    let lag = (now - shifted(deps, job, fire)).num_milliseconds().max(0) as f64 / 1000.0;
    metrics::gauge!(crate::ops::names::JOB_LAG_SECONDS, "job" => job.name()).set(lag);
    match run_once(deps, Some(messenger), job, fire, now, late).await {
        Ok(o) => Some(o),
        Err(e) => {
            // The ledger makes a later retry safe; the next start catches up.
            tracing::error!(job = job.name(), error = %e, "job failed");
            None
        }
    }
}

async fn record(deps: &JobDeps, job: Job, fire: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    let mut conn = deps.store.conn().await?;
    outbox::set_last_fire(&mut conn, job, fire, now).await
}
