//! Handling stored updates exactly once: a run of updates is handled in one
//! transaction whose commit also marks each handled, so a batch of reports
//! costs one commit, not one per report; their replies go out after
//! (`reply.rs`), and replies a crash left unconfirmed are sent at the next
//! start.
//!
//! A run that fails as a whole (a database error in any of its updates) is
//! rolled back and its updates handled again one at a time, so one update's
//! failure costs the others nothing. Alone, a transient error is retried at
//! once (`store/transient.rs`); an update that still fails stays unhandled,
//! its try counted, for the running bot to try again later (`retry.rs`)
//! until it is set aside as failed, and its sender is told.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use teloxide::net::Download;
use teloxide::prelude::Requester;
use teloxide::types::Update;
use tracing::Instrument;

use crate::chat::{self, Env, Event, Prepared};
use crate::domain::outgoing::{Delivery, Outgoing};
use crate::ops::names;
use crate::render::text::t;
use crate::store::{Conn, Op, StoreError, attempts, inbox, transient};

use super::Deps;
use super::deliver::{deliver, redact};
use super::reply::Replier;
use super::{convert, convert::chat_ref};

/// An update ready for its transaction: its event, with what had to be
/// fetched or made before any transaction opened.
struct Ready {
    update_id: i64,
    chat: Option<i64>,
    span: tracing::Span,
    event: Option<Event>,
    prepared: Prepared,
}

/// Handles `updates`, in their order, in as few transactions as their
/// events allow.
pub(super) async fn process(deps: &Arc<Deps>, replier: &Replier, updates: Vec<Update>) {
    let mut run: Vec<Ready> = Vec::with_capacity(updates.len());
    for update in updates {
        let span = span_of(&update);
        deps.hooks.handling().instrument(span.clone()).await;
        let mut event = convert::event(&update, deps.bot_id);
        if let Some(Event::Message(m)) = &mut event {
            fetch_attachment(deps, &update, m)
                .instrument(span.clone())
                .await;
        }
        let chat = update.chat().map(|c| c.id.0);
        let edit = matches!(event, Some(Event::Edited(_)));
        let prepares = event
            .as_ref()
            .is_some_and(|e| chat::needs_preparing(e, &deps.username));
        if edit || prepares {
            // A correction edits the echo on record, and a workbook reads
            // what the updates before it wrote: both wait for those first.
            handle_run(deps, replier, std::mem::take(&mut run)).await;
        }
        if edit && let Some(chat) = chat {
            replier.settled(chat).await;
        }
        let prepared = match (&event, prepares) {
            (Some(ev), true) => {
                let env = env(deps, None);
                let now = deps.clock.now();
                match chat::prepare(&deps.store, &env, ev, now)
                    .instrument(span.clone())
                    .await
                {
                    Ok(prepared) => prepared,
                    Err(e) => {
                        not_handled(deps, &span, i64::from(update.id.0), &e, event).await;
                        continue;
                    }
                }
            }
            _ => Prepared::default(),
        };
        run.push(Ready {
            update_id: i64::from(update.id.0),
            chat,
            span,
            event,
            prepared,
        });
    }
    handle_run(deps, replier, run).await;
}

fn span_of(update: &Update) -> tracing::Span {
    let span = tracing::info_span!(
        "update",
        update_id = update.id.0,
        chat = tracing::field::Empty,
        project = tracing::field::Empty
    );
    if let Some(c) = update.chat() {
        span.record("chat", tracing::field::display(chat_ref(c.id)));
    }
    span
}

fn env<'a>(deps: &'a Deps, prepared: Option<&'a Prepared>) -> Env<'a> {
    Env {
        settings: &deps.settings,
        bot_username: &deps.username,
        prepared,
    }
}

/// Handles a run together; when that fails, each of its updates alone.
async fn handle_run(deps: &Arc<Deps>, replier: &Replier, run: Vec<Ready>) {
    if run.is_empty() {
        return;
    }
    let started = std::time::Instant::now();
    let together = match run.len() {
        1 => None,
        n => Some(
            handle_together(deps, &run)
                .instrument(tracing::debug_span!("run", updates = n))
                .await,
        ),
    };
    match together {
        Some(Ok(Some(all))) => {
            metrics::counter!(names::UPDATES_HANDLED).increment(all.len() as u64);
            for (ready, replies) in run.into_iter().zip(all) {
                replier.send(ready.chat, ready.update_id, replies, ready.span);
            }
        }
        failed => {
            if let Some(Err(e)) = &failed {
                tracing::warn!(error = %e, "a run of updates failed; handling them one by one");
            }
            for ready in run {
                handle_alone(deps, replier, ready).await;
            }
        }
    }
    metrics::histogram!(names::HANDLING_SECONDS).record(started.elapsed().as_secs_f64());
}

/// The run's replies, update by update; `None` when one of them was
/// handled already (by another run), which rolls the run back.
async fn handle_together(
    deps: &Deps,
    run: &[Ready],
) -> Result<Option<Vec<Vec<Outgoing>>>, StoreError> {
    let mut tx = deps.store.begin().await?;
    let mut all = Vec::with_capacity(run.len());
    for ready in run {
        match handle_in(&mut tx, deps, ready)
            .instrument(ready.span.clone())
            .await?
        {
            Some(replies) => all.push(replies),
            None => return Ok(None),
        }
    }
    tx.commit()
        .await
        .op("inbox: commit a run of handled updates")?;
    Ok(Some(all))
}

async fn handle_alone(deps: &Deps, replier: &Replier, ready: Ready) {
    let span = ready.span.clone();
    // A transient error (a deadlock, a busy file) is tried again at once;
    // each try is a transaction of its own, so a failed one left nothing.
    let handled = transient::retrying(
        || handle_once(deps, &ready),
        |e, retry| {
            metrics::counter!(names::UPDATES_RETRIED).increment(1);
            tracing::warn!(error = %e, retry, "transient database error; trying again");
        },
    )
    .instrument(span.clone())
    .await;
    match handled {
        Ok(Some(replies)) => {
            metrics::counter!(names::UPDATES_HANDLED).increment(1);
            replier.send(ready.chat, ready.update_id, replies, span);
        }
        Ok(None) => span.in_scope(|| tracing::debug!("already handled")),
        Err(e) => not_handled(deps, &span, ready.update_id, &e, ready.event).await,
    }
}

/// One try at an update, in a transaction of its own.
async fn handle_once(deps: &Deps, ready: &Ready) -> Result<Option<Vec<Outgoing>>, StoreError> {
    let mut tx = deps.store.begin().await?;
    let replies = handle_in(&mut tx, deps, ready).await?;
    if replies.is_some() {
        tx.commit().await.op("inbox: commit a handled update")?;
    }
    Ok(replies)
}

/// Nothing was committed: the update stays unhandled, its failed try is
/// counted, and the running bot tries it again after `inbox.retry_secs`,
/// until `inbox.max_attempts` sets it aside. The person hears of it once
/// when it first fails, and again if it is set aside.
async fn not_handled(
    deps: &Deps,
    span: &tracing::Span,
    update_id: i64,
    e: &StoreError,
    event: Option<Event>,
) {
    metrics::counter!(names::UPDATES_FAILED).increment(1);
    let now = deps.clock.now();
    let policy = deps.settings.inbox;
    let retry_at = now + chrono::TimeDelta::seconds(policy.retry_after.as_secs() as i64);
    let why = e.to_string();
    let recorded = attempts::record_failure(
        &deps.store,
        update_id,
        &why,
        now,
        retry_at,
        policy.max_attempts,
    )
    .await;
    deps.failed.notify_one();
    let say = span.in_scope(|| match recorded {
        Ok(Some(a)) if a.set_aside => {
            tracing::error!(error = why, attempts = a.attempts, "update set aside as failed; duban status --health lists it");
            Some(("error.set_aside", a.attempts))
        }
        Ok(Some(a)) => {
            tracing::warn!(error = why, attempts = a.attempts, "update not handled; it will be tried again");
            (a.attempts == 1).then_some(("error.internal", a.attempts))
        }
        Ok(None) => {
            tracing::debug!("handled meanwhile by another try");
            None
        }
        Err(record) => {
            tracing::error!(error = why, record = %record, "update not handled, nor its try recorded; it is tried at the next start");
            Some(("error.internal", 1))
        }
    });
    if let (Some((key, attempts)), Some(Event::Message(m))) = (say, event) {
        apologise(deps, m, key, attempts)
            .instrument(span.clone())
            .await;
    }
}

/// One update's effects and its "handled" mark, in the caller's
/// transaction; its replies, or `None` when it was handled already.
async fn handle_in(
    tx: &mut Conn,
    deps: &Deps,
    ready: &Ready,
) -> Result<Option<Vec<Outgoing>>, StoreError> {
    if let Some(injected) = deps.hooks.handling_fault() {
        return Err(injected);
    }
    let now: DateTime<Utc> = deps.clock.now();
    let env = env(deps, Some(&ready.prepared));
    let replies = match &ready.event {
        Some(ev) => chat::handle(tx, &env, ev.clone(), now).await?,
        None => Vec::new(),
    };
    let json = serde_json::to_string(&replies).map_err(|e| StoreError::Encode {
        what: "replies",
        source: e,
    })?;
    // A second delivery of a handled update is caught here; redeliveries
    // are rare, so they are not worth a look-up on every update.
    Ok(inbox::claim(tx, ready.update_id, &json, now)
        .await?
        .then_some(replies))
}

/// Downloads a sheet sent privately (`getFile`, then the file URL) before
/// the update's transaction opens, so no transaction waits on the network.
/// A file over the limit is not fetched, and a failed fetch leaves the
/// content out: the conversation says which to the sender.
async fn fetch_attachment(deps: &Deps, update: &Update, m: &mut chat::IncomingMessage) {
    if !chat::is_upload(m) {
        return;
    }
    let (Some(file), Some(file_id)) = (m.attachment.as_mut(), convert::document_file_id(update))
    else {
        return;
    };
    if file.size > chat::MAX_SHEET_BYTES {
        return;
    }
    let fetched = async {
        let info = deps.tg.bot.get_file(file_id).await?;
        let mut bytes = Vec::with_capacity(info.size as usize);
        deps.tg.bot.download_file(&info.path, &mut bytes).await?;
        Ok::<_, FetchError>(bytes)
    };
    match fetched.await {
        Ok(bytes) => file.bytes = Some(bytes),
        Err(e) => {
            let why = redact(&e.to_string(), &deps.token);
            tracing::warn!(file = %file.file_name, why, "the sent file could not be fetched");
        }
    }
}

/// Either step of a file's fetch.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("getFile: {0}")]
    Info(#[from] teloxide::RequestError),
    #[error("download: {0}")]
    Download(#[from] teloxide::DownloadError),
}

async fn apologise(deps: &Deps, m: chat::IncomingMessage, key: &str, attempts: i64) {
    let text = t(
        deps.settings.locale,
        key,
        &[("attempts", attempts.to_string())],
    );
    let sorry = Outgoing {
        reply_to: Some(m.message_id),
        thread: m.thread,
        ..Outgoing::to(m.chat.id, text)
    };
    if let Delivery::Failed(why) = deliver(&deps.tg, &deps.store, &deps.token, &sorry).await {
        tracing::warn!(why, "the apology was not delivered either");
    }
}

/// Replies recorded by a run that stopped before confirming them.
pub(super) async fn resend_unconfirmed(deps: &Deps, replier: &Replier) -> Result<(), StoreError> {
    let mut conn = deps.store.conn().await?;
    let pending = inbox::unreplied(&mut conn).await?;
    drop(conn);
    for (update_id, raw, json) in pending {
        let span = tracing::info_span!("update", update_id);
        // In the chat's chain, so that the replies of its later updates
        // (handled from now on) go out after these.
        let chat = serde_json::from_str::<Update>(&raw)
            .ok()
            .and_then(|u| u.chat().map(|c| c.id.0));
        let replies = serde_json::from_str::<Vec<Outgoing>>(&json).unwrap_or_else(|e| {
            // Unreadable replies cannot be sent; confirming them keeps
            // every later start from tripping over them again.
            span.in_scope(|| tracing::error!(error = %e, "stored replies unreadable; dropped"));
            Vec::new()
        });
        replier.send(chat, update_id, replies, span);
    }
    Ok(())
}
