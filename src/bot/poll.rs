//! Long polling: every update is stored in the inbox before the next
//! `getUpdates` confirms it to Telegram (ARCHITECTURE.md rule 4), then handed
//! to the lanes (`lanes.rs`) that handle it.

use std::sync::Arc;
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::Update;
use tokio::sync::watch;

use crate::ops::names;
use crate::store::{Conn, StoreError, inbox};

use super::Deps;
use super::deliver::redact;
use super::lanes::Lanes;

/// Long-poll wait per getUpdates; below teloxide's HTTP timeout (17 s).
const POLL_TIMEOUT_SECS: u32 = 10;

/// Queues the updates a previous run stored but did not handle; the offset
/// to poll from.
pub(super) async fn replay_unhandled(deps: &Deps, lanes: &Lanes) -> Result<i64, StoreError> {
    let mut conn = deps.store.conn().await?;
    let stored = inbox::unhandled(&mut conn).await?;
    let readable = readable(deps, &mut conn, stored).await?;
    let offset = inbox::max_update_id(&mut conn).await?.map_or(0, |m| m + 1);
    lanes.forward(readable);
    Ok(offset)
}

/// Stored updates read back; one that cannot be read (stored by a version
/// that wrote another shape) is marked handled, so it is not read again.
pub(super) async fn readable(
    deps: &Deps,
    conn: &mut Conn,
    stored: Vec<(i64, String)>,
) -> Result<Vec<Update>, StoreError> {
    let mut readable = Vec::with_capacity(stored.len());
    for (update_id, raw) in stored {
        match serde_json::from_str::<Update>(&raw) {
            Ok(u) => readable.push(u),
            Err(e) => {
                tracing::error!(update_id, error = %e, "stored update unreadable; marked handled");
                inbox::claim(conn, update_id, "[]", deps.clock.now()).await?;
            }
        }
    }
    Ok(readable)
}

/// Polls until `shutdown`. A batch is stored whole, in one commit, before
/// the next `getUpdates` confirms it; a batch that cannot be stored is not
/// confirmed, so Telegram sends it again.
pub(super) async fn poll(
    deps: Arc<Deps>,
    mut offset: i64,
    lanes: Lanes,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(500);
    loop {
        let batch = tokio::select! {
            _ = shutdown.wait_for(|s| *s) => break,
            r = deps.tg.bot.get_updates().offset(offset as i32).timeout(POLL_TIMEOUT_SECS) => r,
        };
        match batch {
            Ok(updates) => {
                deps.health.telegram_answered(true);
                let Some(last) = updates.last().map(|u| i64::from(u.id.0)) else {
                    backoff = Duration::from_millis(500);
                    continue;
                };
                match store_batch(&deps, updates).await {
                    Ok(fresh) => {
                        metrics::counter!(names::UPDATES_RECEIVED).increment(fresh.len() as u64);
                        lanes.forward(fresh);
                        offset = last + 1;
                        backoff = Duration::from_millis(500);
                        continue;
                    }
                    // Not confirmed: Telegram sends the batch again.
                    Err(e) => {
                        tracing::error!(error = %e, "cannot store a batch of updates; polling it again");
                    }
                }
            }
            Err(e) => {
                deps.health.telegram_answered(false);
                tracing::warn!(error = %redact(&e.to_string(), &deps.token), "getUpdates failed; retrying");
            }
        }
        // Either failure waits, longer each time, before polling again.
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// Stores a batch in one durable commit; the updates newly stored, to
/// handle (one seen before was handled, or is being, already).
async fn store_batch(deps: &Deps, updates: Vec<Update>) -> Result<Vec<Update>, StoreError> {
    let raw = updates
        .iter()
        .map(|u| {
            let json = serde_json::to_string(u).map_err(|e| StoreError::Encode {
                what: "update",
                source: e,
            })?;
            Ok((i64::from(u.id.0), json))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let fresh = inbox::store_batch(&deps.store, &raw, deps.clock.now()).await?;
    Ok(updates
        .into_iter()
        .filter(|u| fresh.contains(&i64::from(u.id.0)))
        .collect())
}
