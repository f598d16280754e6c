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

/// Hands due updates to the lanes until `shutdown`. Sleeps on the bot's
/// clock only while a try is due; with none waiting it sleeps until a
/// failure is recorded, so an idle bot has no timer on the clock.
pub(super) async fn retry(deps: Arc<Deps>, lanes: Lanes, mut shutdown: watch::Receiver<bool>) {
    let every = TimeDelta::seconds(deps.settings.inbox.retry_after.as_secs() as i64);
    loop {
        let failed = deps.failed.notified();
        tokio::pin!(failed);
        failed.as_mut().enable();
        let due = match next_due(&deps).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read when failed updates are due; trying later");
                Some(deps.clock.now() + every)
            }
        };
        let wait = async {
            match due {
                Some(at) => deps.clock.sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            () = &mut failed => continue,
            () = wait => {}
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
