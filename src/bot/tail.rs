//! The leader's tail of the inbox, in webhook mode: every instance stores
//! the deliveries it takes, and the leader hands each
//! stored update to its lanes, whichever instance stored it, in `update_id`
//! order. An update handed out stays known until it is handled, so it is
//! handed out once; a scan every [`EVERY`] keeps the added latency small.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::store::{StoreError, inbox};

use super::Deps;
use super::lanes::Lanes;
use super::poll::readable;

/// How often the inbox is read for updates another instance stored.
const EVERY: Duration = Duration::from_millis(50);

/// The most updates one scan looks at: a backlog larger than this is
/// handed out over several scans.
const SCAN: i64 = 5_000;

/// Hands stored updates to the lanes until `stop`.
pub(super) async fn tail(deps: Arc<Deps>, lanes: Lanes, mut stop: watch::Receiver<bool>) {
    let mut known: HashSet<i64> = HashSet::new();
    loop {
        match scan(&deps, &mut known).await {
            Ok(fresh) if fresh.is_empty() => {}
            Ok(fresh) => lanes.forward(fresh),
            Err(e) => tracing::warn!(error = %e, "cannot read the inbox for stored updates"),
        }
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// The updates waiting that were not handed out yet. Those handed out and
/// no longer waiting (handled, or tried and failed) are forgotten.
async fn scan(
    deps: &Deps,
    known: &mut HashSet<i64>,
) -> Result<Vec<teloxide::types::Update>, StoreError> {
    let mut conn = deps.store.conn().await?;
    let waiting = inbox::waiting_ids(&mut conn, SCAN).await?;
    let full = waiting.len() as i64 == SCAN;
    let waiting_set: HashSet<i64> = waiting.iter().copied().collect();
    if !full {
        known.retain(|id| waiting_set.contains(id));
    }
    let new: Vec<i64> = waiting
        .into_iter()
        .filter(|id| !known.contains(id))
        .collect();
    let (Some(&from), Some(&to)) = (new.first(), new.last()) else {
        return Ok(Vec::new());
    };
    let rows = inbox::waiting_between(&mut conn, from, to).await?;
    let rows: Vec<(i64, String)> = rows
        .into_iter()
        .filter(|(id, _)| !known.contains(id))
        .collect();
    known.extend(rows.iter().map(|(id, _)| *id));
    readable(deps, &mut conn, rows).await
}
