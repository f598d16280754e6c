//! The daily housekeeping job: handled updates older than
//! `inbox.keep_days` and ledger claims older than `outbox.keep_days` are
//! deleted (`store/retention.rs`). It sends nothing, so it needs no chat
//! platform, and a dry run only counts.

use chrono::{DateTime, Utc};

use crate::store::Result;
use crate::store::retention::{self, Cutoffs, Pruned};

use super::JobDeps;

pub async fn run(deps: &JobDeps, now: DateTime<Utc>, dry_run: bool) -> Result<Pruned> {
    let keep = deps.settings.retention;
    let cut = Cutoffs::at(now, keep.inbox_days, keep.outbox_days);
    let pruned = if dry_run {
        retention::count(&deps.store, cut).await?
    } else {
        retention::prune(&deps.store, cut).await?
    };
    tracing::info!(
        inbox = pruned.inbox,
        outbox = pruned.outbox,
        freed_pages = pruned.freed_pages,
        dry_run,
        "pruned"
    );
    Ok(pruned)
}
