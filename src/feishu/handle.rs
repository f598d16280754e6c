//! Handling stored Feishu events exactly once (ARCHITECTURE.md rule 4), in
//! the order they were stored: each event's effects, the message's record
//! in `platform_messages` and its "handled" mark commit together; its
//! replies go out after the commit, each with a uuid from the event's key,
//! and are confirmed after. At start, replies recorded but not confirmed
//! are sent first (Feishu drops a repeat of a uuid within the hour).
//!
//! One worker keeps every chat's order, and sends each event's replies
//! before it takes the next: about 200 reports a second on SQLite
//! (BENCHMARKS.md §8), far above what people type, and Feishu allows a bot
//! only five messages a second per chat and fifty per app anyway.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, watch};
use tracing::Instrument;

use super::Feishu;
use super::convert::{self, Envelope, Me, local_id};
use super::send::deliver;
use crate::chat::{self, Env, Event, Prepared};
use crate::domain::ids::Platform;
use crate::domain::outgoing::{Delivery, Outgoing};
use crate::store::messages::{self, Remembered};
use crate::store::{Conn, Op, StoreError, events};

/// How often the inbox is read without being woken: a failed event's next
/// try, and events another instance stored.
const EVERY: Duration = Duration::from_secs(1);

/// The most events read at once.
const BATCH: i64 = 200;

/// Handles stored events until `stop`.
pub(super) async fn work(fs: Arc<Feishu>, stored: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    if let Err(e) = resend_unconfirmed(&fs).await {
        tracing::error!(error = %e, "Feishu replies left unconfirmed could not be read");
    }
    loop {
        match next_batch(&fs).await {
            Ok(0) => {}
            Ok(_) => continue,
            Err(e) => tracing::warn!(error = %e, "cannot read the Feishu inbox; trying again"),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = stored.notified() => {}
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// Handles what waits; how many events it took.
async fn next_batch(fs: &Feishu) -> Result<usize, StoreError> {
    let now = fs.clock.now();
    let mut conn = fs.store.conn().await?;
    let waiting = events::waiting(&mut conn, Platform::Feishu, now, BATCH).await?;
    drop(conn);
    let n = waiting.len();
    for stored in waiting {
        let span = tracing::info_span!(
            "feishu_event",
            seq = stored.seq,
            chat = tracing::field::Empty,
            project = tracing::field::Empty
        );
        one(fs, stored.seq, &stored.raw).instrument(span).await;
    }
    Ok(n)
}

/// One event: handled, then its replies sent and confirmed.
async fn one(fs: &Feishu, seq: i64, raw: &str) {
    let Ok(envelope) = Envelope::parse(raw) else {
        // Checked on receipt; a row that no longer reads is set aside.
        failed(
            fs,
            seq,
            &StoreError::Corrupt("unreadable Feishu event".into()),
            0,
        )
        .await;
        return;
    };
    match handle(fs, seq, &envelope).await {
        Ok(Some(replies)) => send_replies(fs, seq, &envelope.key(), &replies).await,
        Ok(None) => tracing::debug!("handled already"),
        Err(e) => failed(fs, seq, &e, fs.settings.inbox.max_attempts).await,
    }
}

/// The event's effects and its mark, in one transaction; its replies, or
/// `None` when it was handled already.
async fn handle(
    fs: &Feishu,
    seq: i64,
    envelope: &Envelope,
) -> Result<Option<Vec<Outgoing>>, StoreError> {
    let now = fs.clock.now();
    let names = fs.names(&convert::people_in(envelope)).await;
    let me = Me {
        open_id: &fs.bot_open_id,
        names: &names,
    };
    let mut conn = fs.store.conn().await?;
    let mut event = convert::event(&mut conn, envelope, &me).await?;
    drop(conn);
    if let Some(Event::Message(m)) = &mut event {
        tracing::Span::current().record("chat", tracing::field::display(&m.chat.id));
        fs.fetch_attachment(envelope, m).await;
    }
    let prepared = match &event {
        Some(ev) if chat::needs_preparing(ev, &fs.app_name) => {
            chat::prepare(&fs.store, &env(fs, None), ev, now).await?
        }
        _ => Prepared::default(),
    };
    let mut tx = fs.store.begin().await?;
    let replies = match &event {
        Some(ev) => {
            remember_incoming(&mut tx, envelope, ev, now).await?;
            chat::handle(&mut tx, &env(fs, Some(&prepared)), ev.clone(), now).await?
        }
        None => Vec::new(),
    };
    let json = serde_json::to_string(&replies).map_err(|source| StoreError::Encode {
        what: "replies",
        source,
    })?;
    if !events::claim(&mut tx, seq, &json, now).await? {
        return Ok(None);
    }
    tx.commit().await.op("feishu: commit a handled event")?;
    Ok(Some(replies))
}

fn env<'a>(fs: &'a Feishu, prepared: Option<&'a Prepared>) -> Env<'a> {
    Env {
        settings: &fs.settings,
        bot_username: &fs.app_name,
        prepared,
    }
}

/// A person's message, recorded so that a reply to it (`/setowner`) knows
/// who wrote it.
async fn remember_incoming(
    tx: &mut Conn,
    envelope: &Envelope,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (Event::Message(m), Some(id)) = (event, envelope.event["message"]["message_id"].as_str())
    else {
        return Ok(());
    };
    let seen = Remembered {
        message_id: id.to_string(),
        chat: m.chat.id.key(),
        sender: Some(m.from.id.clone()),
        sender_name: m.from.display_name.clone(),
        from_bot: false,
    };
    messages::remember(tx, Platform::Feishu, local_id(id), &seen, now).await
}

async fn send_replies(fs: &Feishu, seq: i64, key: &str, replies: &[Outgoing]) {
    for (i, out) in replies.iter().enumerate() {
        if let Delivery::Failed(why) = deliver(fs, out, &format!("reply:{key}:{i}")).await {
            tracing::warn!(why, chat = %out.chat, "a reply was not delivered");
        }
    }
    let confirmed = async {
        let mut conn = fs.store.conn().await?;
        events::mark_replied(&mut conn, seq, fs.clock.now()).await
    };
    if let Err(e) = confirmed.await {
        tracing::warn!(error = %e, "replies sent but not confirmed; sent again at the next start, once");
    }
}

/// Nothing was committed: the try is counted, and the event is tried
/// again after `inbox.retry_secs`, until `inbox.max_attempts`.
async fn failed(fs: &Feishu, seq: i64, e: &StoreError, max_attempts: u32) {
    let retry_at =
        fs.clock.now() + chrono::TimeDelta::seconds(fs.settings.inbox.retry_after.as_secs() as i64);
    match events::record_failure(&fs.store, seq, &e.to_string(), retry_at, max_attempts).await {
        Ok(true) => tracing::error!(error = %e, "Feishu event set aside as failed"),
        Ok(false) => tracing::warn!(error = %e, "Feishu event not handled; it will be tried again"),
        Err(record) => {
            tracing::error!(error = %e, record = %record, "Feishu event not handled, nor its try recorded");
        }
    }
}

/// Replies a stop left unconfirmed, sent with the same uuids as before.
async fn resend_unconfirmed(fs: &Feishu) -> Result<(), StoreError> {
    let mut conn = fs.store.conn().await?;
    let pending = events::unreplied(&mut conn, Platform::Feishu).await?;
    let keyed: Vec<(i64, String, String)> = pending
        .into_iter()
        .map(|(stored, json)| {
            let key =
                Envelope::parse(&stored.raw).map_or_else(|_| stored.seq.to_string(), |e| e.key());
            (stored.seq, key, json)
        })
        .collect();
    drop(conn);
    for (seq, key, json) in keyed {
        let replies: Vec<Outgoing> = serde_json::from_str(&json).unwrap_or_else(|e| {
            tracing::error!(seq, error = %e, "stored replies unreadable; dropped");
            Vec::new()
        });
        send_replies(fs, seq, &key, &replies).await;
    }
    Ok(())
}
