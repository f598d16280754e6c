//! Lanes: stored updates handed to handlers, one chat's always to the same
//! lane, so they are handled one after another in `update_id` order, while
//! different chats' lanes work side by side where the database allows it.
//! SQLite has one writer, so it gets one lane; PostgreSQL several, each on
//! a connection of the pool, leaving the rest to the poller, the replies'
//! confirmer and the jobs.

use std::sync::Arc;

use teloxide::types::Update;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::store::Backend;

use super::Deps;
use super::handle;
use super::reply::Replier;

/// The most updates one transaction handles: a long outage's backlog is
/// handled in runs of this size, so jobs get the database in between.
const MAX_RUN: usize = 500;

/// The most lanes on PostgreSQL, however large the pool.
const MAX_LANES: u32 = 4;

/// Where stored updates go to be handled.
#[derive(Clone)]
pub(super) struct Lanes {
    lanes: Vec<mpsc::UnboundedSender<Vec<Update>>>,
}

impl Lanes {
    /// Starts the lanes; each stops at `shutdown` after the run in hand, or
    /// once every clone of the [`Lanes`] is dropped and its queue is empty.
    pub(super) fn start(
        deps: &Arc<Deps>,
        replier: &Arc<Replier>,
        shutdown: &watch::Receiver<bool>,
    ) -> (Lanes, Vec<JoinHandle<()>>) {
        let n = match deps.store.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => deps
                .settings
                .database
                .max_connections
                .saturating_sub(2)
                .clamp(1, MAX_LANES),
        };
        let (lanes, tasks) = (0..n)
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                let task = tokio::spawn(lane(deps.clone(), replier.clone(), rx, shutdown.clone()));
                (tx, task)
            })
            .unzip();
        (Lanes { lanes }, tasks)
    }

    /// Hands stored updates, in their order, to their chats' lanes.
    pub(super) fn forward(&self, updates: Vec<Update>) {
        let n = self.lanes.len();
        let mut split: Vec<Vec<Update>> = vec![Vec::new(); n];
        for u in updates {
            let lane = u.chat().map_or(0, |c| c.id.0.rem_euclid(n as i64) as usize);
            split[lane].push(u);
        }
        for (lane, updates) in self.lanes.iter().zip(split) {
            if updates.is_empty() {
                continue;
            }
            if let Err(e) = lane.send(updates) {
                // The lane stops only at shutdown; the updates stay in the
                // inbox for the next start.
                tracing::debug!(
                    updates = e.0.len(),
                    "lane stopped; updates left for the next start"
                );
            }
        }
    }
}

/// Handles what reaches it: batches waiting together are handled as one
/// run, up to [`MAX_RUN`] updates.
async fn lane(
    deps: Arc<Deps>,
    replier: Arc<Replier>,
    mut rx: mpsc::UnboundedReceiver<Vec<Update>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut batches = Vec::new();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.wait_for(|s| *s) => break,
            got = rx.recv_many(&mut batches, MAX_RUN) => if got == 0 { break },
        }
        let mut run: Vec<Update> = batches.drain(..).flatten().collect();
        while !run.is_empty() {
            let rest = run.split_off(run.len().min(MAX_RUN));
            handle::process(&deps, &replier, run).await;
            run = rest;
            if *shutdown.borrow() {
                return;
            }
        }
    }
}
