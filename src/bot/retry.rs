//! The running bot's later tries: an update whose handling failed (its try
//! counted in `store/attempts.rs`) is handed to the lanes again once its
//! `retry_at` has passed on the bot's clock, rather than waiting for the
//! next start. Taking a due update moves its next try on in the same
//! statement, so a slow try is not handed over twice.

use std::sync::Arc;

use chrono::TimeDelta;
use tokio::sync::watch;

use crate::store::{StoreError, attempts};

use super::Deps;
use super::lanes::Lanes;
use super::poll::readable;

/// Hands due updates to the lanes until `shutdown`.
pub(super) async fn retry(deps: Arc<Deps>, lanes: Lanes, mut shutdown: watch::Receiver<bool>) {
    let every = TimeDelta::seconds(deps.settings.inbox.retry_after.as_secs() as i64);
    loop {
        let now = deps.clock.now();
        // Woken at the next try due, and at least every `retry_secs`, so a
        // failure recorded meanwhile is found on the next round.
        let wake = match next_due(&deps).await {
            Ok(Some(at)) => at.min(now + every),
            Ok(None) => now + every,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read when failed updates are due; trying later");
                now + every
            }
        };
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            _ = deps.clock.sleep_until(wake) => {}
        }
        match take_due(&deps, every).await {
            Ok(due) if due.is_empty() => {}
            Ok(due) => {
                tracing::info!(updates = due.len(), "trying failed updates again");
                lanes.forward(due);
            }
            Err(e) => tracing::warn!(error = %e, "cannot take failed updates to try again"),
        }
    }
}

async fn next_due(deps: &Deps) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    let mut conn = deps.store.conn().await?;
    attempts::next_due(&mut conn).await
}

async fn take_due(
    deps: &Deps,
    every: TimeDelta,
) -> Result<Vec<teloxide::types::Update>, StoreError> {
    let now = deps.clock.now();
    let mut conn = deps.store.conn().await?;
    let due = attempts::take_due(&mut conn, now, now + every).await?;
    readable(deps, &mut conn, due).await
}
