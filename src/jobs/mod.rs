//! The weekly rhythm's jobs. Each decides what to send (`plan`, from the
//! store and the pure domain), then [`run_once`] sends it through the outbox
//! ledger: claim, send, complete. The scheduler, the command line and the
//! demo all run jobs through here, so a manual run and the scheduler never
//! both send the same message.

pub mod analysis;
pub mod bulletin;
pub mod deadline;
pub mod nudge;
mod picture;
pub mod prompt;
pub mod prune;
pub mod scheduler;
mod targets;

pub(crate) use targets::{html, leadership_chats, mention, owners, project_chats, to_each};

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use tracing::Instrument;

use crate::config::Settings;
use crate::domain::outgoing::{Delivery, Outgoing};
use crate::domain::rhythm::RunCtx;
use crate::domain::schedule::{Job, fire_day, period};
use crate::domain::time::ReportingWeek;
use crate::store::{Op, Result, Store, StoreError, outbox};

/// A chat platform's way of sending: each platform's adapter in production.
pub trait Messenger: Send + Sync {
    /// Sends `out`. `key` names its ledger row, the same on every try and
    /// every instance: a platform that drops a repeated send by a key the
    /// sender gives (Feishu's `uuid`) uses it, so that a send retried after
    /// a crash between the request and the ledger's record is shown once.
    fn send<'a>(&'a self, out: &'a Outgoing, key: &'a str) -> BoxFuture<'a, Delivery>;
}

/// Each message sent by the adapter of its chat's platform.
#[derive(Default)]
pub struct ByPlatform {
    adapters: Vec<(crate::domain::ids::Platform, Box<dyn Messenger>)>,
}

impl ByPlatform {
    pub fn with(
        mut self,
        platform: crate::domain::ids::Platform,
        messenger: impl Messenger + 'static,
    ) -> Self {
        self.adapters.push((platform, Box::new(messenger)));
        self
    }
}

impl Messenger for ByPlatform {
    fn send<'a>(&'a self, out: &'a Outgoing, key: &'a str) -> BoxFuture<'a, Delivery> {
        match self.adapters.iter().find(|(p, _)| *p == out.chat.platform) {
            Some((_, m)) => m.send(out, key),
            None => Box::pin(std::future::ready(Delivery::Failed(format!(
                "{} is not among the platforms served (platforms)",
                out.chat.platform
            )))),
        }
    }
}

/// The key a ledger row's message is sent under.
fn ledger_key(job: Job, period: &str, chat_key: &str) -> String {
    format!("{}:{period}:{chat_key}", job.name())
}

#[derive(Clone)]
pub struct JobDeps {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Who holds claims made by this process (a fresh id per start).
    pub owner: String,
    pub hooks: Arc<crate::faults::Hooks>,
}

/// One message a job wants to send, keyed for the ledger by its chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub chat_key: String,
    pub out: Outgoing,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub job: String,
    pub period: String,
    pub late: bool,
    /// Messages the job wanted to send.
    pub planned: Vec<Planned>,
    pub sent: usize,
    /// Sent to a fallback (a group mention instead of a private message).
    pub redirected: usize,
    /// Found in the ledger already (sent, or being sent by another process).
    pub already: usize,
    pub failed: usize,
    /// Why nothing was planned (a week without working days), if so.
    pub skipped: Option<String>,
}

/// A run is late when it starts this long after its scheduled time.
pub const LATE_AFTER: Duration = Duration::minutes(5);

/// Runs `job` for its scheduled time `fire` at `now`. With no messenger it
/// only plans (a dry run): nothing is claimed, nothing sent.
pub async fn run_once(
    deps: &JobDeps,
    messenger: Option<&dyn Messenger>,
    job: Job,
    fire: DateTime<Utc>,
    now: DateTime<Utc>,
    late: bool,
) -> Result<Outcome> {
    let period = period(job, fire_day(fire, deps.settings.timezone));
    let span = tracing::info_span!("job", job = job.name(), period = %period, late);
    run_inner(deps, messenger, job, fire, now, late, period)
        .instrument(span)
        .await
}

async fn run_inner(
    deps: &JobDeps,
    messenger: Option<&dyn Messenger>,
    job: Job,
    fire: DateTime<Utc>,
    now: DateTime<Utc>,
    late: bool,
    period: String,
) -> Result<Outcome> {
    let settings = &deps.settings;
    let tz = settings.timezone;
    let day = fire_day(fire, tz);
    let mut outcome = Outcome {
        job: job.name().into(),
        period: period.clone(),
        late,
        ..Outcome::default()
    };
    if !job.sends() {
        // What it deleted is in its log line; the command line calls it
        // directly to print the counts.
        prune::run(deps, now, messenger.is_none()).await?;
        return Ok(outcome);
    }
    let week = ReportingWeek::containing(day);
    if job.is_weekly_chase() && !settings.calendar.has_working_day(week) {
        outcome.skipped = Some(format!("{week} has no working day"));
        tracing::info!("skipped: no working day this week");
        return Ok(outcome);
    }
    let ctx = RunCtx {
        now,
        tz,
        policy: settings.policy(),
        lang: settings.locale,
        late,
    };
    let mut conn = deps.store.conn().await?;
    outcome.planned = match job {
        Job::Prompt => prompt::plan(&mut conn, deps, week, ctx).await?,
        Job::Nudge => nudge::plan(&mut conn, deps, week, ctx).await?,
        Job::Deadline => deadline::plan(&mut conn, deps, week, ctx).await?,
        Job::Bulletin => bulletin::plan(&mut conn, deps, week, ctx).await?,
        Job::Monthly | Job::Quarterly => analysis::plan(&mut conn, deps, job, &period, ctx).await?,
        Job::Prune => Vec::new(),
    };
    drop(conn);
    let Some(messenger) = messenger else {
        return Ok(outcome);
    };
    let planned = std::mem::take(&mut outcome.planned);
    send_all(deps, messenger, job, &planned, &mut outcome, now).await?;
    outcome.planned = planned;
    tracing::info!(
        planned = outcome.planned.len(),
        sent = outcome.sent,
        redirected = outcome.redirected,
        already = outcome.already,
        failed = outcome.failed,
        "job run"
    );
    Ok(outcome)
}

/// Claims and sends `planned` in batches, counting into `outcome` what
/// became of each.
async fn send_all(
    deps: &JobDeps,
    messenger: &dyn Messenger,
    job: Job,
    planned: &[Planned],
    outcome: &mut Outcome,
    now: DateTime<Utc>,
) -> Result<()> {
    for batch in planned.chunks(SEND_BATCH) {
        let mine = claim_batch(deps, job, &outcome.period, batch, outcome.late, now).await?;
        outcome.already += batch.len() - mine.len();
        for _ in &mine {
            deps.hooks.claim_made().await;
        }
        let ids: Vec<i64> = mine.iter().map(|(id, _)| *id).collect();
        mark_sending(deps, &ids).await?;
        // Telegram is waited on concurrently (the pacer spaces the batch);
        // each send is completed in the ledger as soon as it is answered, so
        // a crash can leave at most the sends then in the air to retry.
        let period = &outcome.period;
        let sent = futures::future::join_all(mine.iter().map(|(id, p)| async move {
            let key = ledger_key(job, period, &p.chat_key);
            let delivery = messenger.send(&p.out, &key).await;
            record(deps, *id, &delivery, now).await.map(|()| delivery)
        }))
        .await;
        for delivery in sent {
            tally(outcome, &delivery?);
        }
    }
    Ok(())
}

/// Messages claimed together, then sent together: one second of Telegram's
/// overall limit (30 a second), so the pacer always has the next second's
/// messages to place, where one message at a time would wait for each
/// answer.
const SEND_BATCH: usize = 30;

/// Claims a batch in one transaction; the messages this run now holds, with
/// their ledger ids. Every claim is committed before any of them is sent.
///
/// A message that cannot be encoded fails the run rather than being skipped:
/// the failure is one of the type, not of a chat's text, so it would strike
/// every message alike, and a claim must carry the payload a takeover resends.
async fn claim_batch<'p>(
    deps: &JobDeps,
    job: Job,
    period: &str,
    batch: &'p [Planned],
    late: bool,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, &'p Planned)>> {
    let mut tx = deps.store.begin().await?;
    let mut mine = Vec::with_capacity(batch.len());
    for p in batch {
        let payload = serde_json::to_string(&p.out).map_err(|source| {
            tracing::error!(chat = %p.chat_key, error = %source, "cannot encode the message");
            StoreError::Encode {
                what: "outbox payload",
                source,
            }
        })?;
        let claim = outbox::claim(
            &mut tx,
            &outbox::NewClaim {
                job,
                period,
                chat_key: &p.chat_key,
                payload: &payload,
                owner: &deps.owner,
                late,
            },
            now,
        )
        .await?;
        if let outbox::Claim::Mine { id, .. } = claim {
            mine.push((id, p));
        }
    }
    tx.commit().await.op("jobs::claim_batch (commit)")?;
    Ok(mine)
}

async fn mark_sending(deps: &JobDeps, ids: &[i64]) -> Result<()> {
    let mut tx = deps.store.begin().await?;
    outbox::sending(&mut tx, ids).await?;
    tx.commit().await.op("jobs::mark_sending (commit)")?;
    Ok(())
}

fn tally(outcome: &mut Outcome, delivery: &Delivery) {
    if matches!(delivery, Delivery::Sent(_) | Delivery::Redirected(_)) {
        let job = outcome.job.clone();
        metrics::counter!(crate::ops::names::MESSAGES_SENT, "job" => job).increment(1);
    }
    match delivery {
        Delivery::Sent(_) => outcome.sent += 1,
        Delivery::Redirected(_) => outcome.redirected += 1,
        Delivery::Failed(_) => outcome.failed += 1,
    }
}

/// Said in the ledger of a message sent without the platform returning its
/// id, so an empty `message_id` reads as known rather than as lost.
const NO_MESSAGE_ID: &str = "no message id returned";

async fn record(deps: &JobDeps, id: i64, delivery: &Delivery, now: DateTime<Utc>) -> Result<()> {
    let mut conn = deps.store.conn().await?;
    match delivery {
        Delivery::Sent(ids) => {
            let (first, note) = match ids.first() {
                Some(m) => (m.to_string(), String::new()),
                None => (String::new(), NO_MESSAGE_ID.to_string()),
            };
            outbox::complete(&mut conn, id, &first, &note, now).await
        }
        Delivery::Redirected(ids) => {
            let fallback = "fallback: mentioned in the project group";
            let (first, note) = match ids.first() {
                Some(m) => (m.to_string(), fallback.to_string()),
                None => (String::new(), format!("{fallback}; {NO_MESSAGE_ID}")),
            };
            outbox::complete(&mut conn, id, &first, &note, now).await
        }
        Delivery::Failed(why) => {
            tracing::warn!(why, "not delivered; will be retried once");
            outbox::note_failure(&mut conn, id, why).await
        }
    }
}

/// Sends, once, what a crashed or failed run claimed but never sent.
pub async fn sweep_stale(
    deps: &JobDeps,
    messenger: &dyn Messenger,
    now: DateTime<Utc>,
) -> Result<usize> {
    let mut conn = deps.store.conn().await?;
    let stale = outbox::stale(&mut conn, now).await?;
    let mut sent = 0;
    for s in stale {
        if !matches!(
            outbox::take_stale(&mut conn, &s, &deps.owner, now).await?,
            outbox::Claim::Mine { .. }
        ) {
            continue;
        }
        let Ok(out) = serde_json::from_str::<Outgoing>(&s.payload) else {
            outbox::note_failure(&mut conn, s.id, "unreadable payload").await?;
            continue;
        };
        tracing::info!(
            job = s.job.name(),
            period = s.period,
            chat = s.chat_key,
            "sending a claim left unsent"
        );
        drop(conn);
        mark_sending(deps, &[s.id]).await?;
        let key = ledger_key(s.job, &s.period, &s.chat_key);
        let delivery = messenger.send(&out, &key).await;
        record(deps, s.id, &delivery, now).await?;
        sent += usize::from(!matches!(delivery, Delivery::Failed(_)));
        conn = deps.store.conn().await?;
    }
    Ok(sent)
}
