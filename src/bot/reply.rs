//! Sending what handled updates answer, after their transaction commits and
//! without holding up the handling of later updates: each chat's replies go
//! out in the order its updates were handled, different chats' side by side,
//! and a confirmer records them sent, many in one commit.
//!
//! A chat's next replies wait until its previous ones are confirmed, so the
//! echo of a report is on record before anything after it in that chat is
//! sent; a correction (an edit) waits for the same ([`Replier::settled`]),
//! because it edits the echo it finds on record.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::domain::outgoing::{Delivery, Outgoing};
use crate::ops::names;
use crate::store::inbox::{self, Replied};

use super::Deps;
use super::deliver::deliver;

/// The most confirmations one commit records.
const MAX_CONFIRMED_AT_ONCE: usize = 500;

/// A chat's last replies in flight, done once they are confirmed.
type Chain = Shared<BoxFuture<'static, ()>>;

/// One update's replies, sent: its confirmation, and who waits for it.
struct Sent {
    replied: Replied,
    done: oneshot::Sender<()>,
}

/// Each chat's last replies in flight.
#[derive(Default)]
struct Chains {
    by_chat: HashMap<i64, Chain>,
    /// The size at which the chains that are done are dropped: twice what
    /// remained at the last pruning, so a pruning costs O(1) per reply.
    prune_at: usize,
}

/// Sends replies in order per chat; see the module's comment.
pub(super) struct Replier {
    deps: Arc<Deps>,
    chains: Mutex<Chains>,
    confirmations: mpsc::UnboundedSender<Sent>,
    confirmer: Mutex<Option<JoinHandle<()>>>,
}

impl Replier {
    pub(super) fn start(deps: Arc<Deps>) -> Arc<Replier> {
        let (confirmations, rx) = mpsc::unbounded_channel();
        let confirmer = tokio::spawn(confirm_loop(deps.clone(), rx));
        Arc::new(Replier {
            deps,
            chains: Mutex::new(Chains::default()),
            confirmations,
            confirmer: Mutex::new(Some(confirmer)),
        })
    }

    /// Sends update `update_id`'s replies after those of `chat`'s earlier
    /// updates, then confirms them.
    pub(super) fn send(
        &self,
        chat: Option<i64>,
        update_id: i64,
        replies: Vec<Outgoing>,
        span: tracing::Span,
    ) {
        let key = chat.unwrap_or_default();
        let mut chains = self.chains.lock().unwrap_or_else(PoisonError::into_inner);
        // Chains that are done are dropped as new ones come, so the map holds
        // about the chats with replies in flight.
        if chains.by_chat.len() >= chains.prune_at {
            chains.by_chat.retain(|_, c| c.peek().is_none());
            chains.prune_at = (2 * chains.by_chat.len()).max(1024);
        }
        let before = chains.by_chat.get(&key).cloned();
        let (deps, confirmations) = (self.deps.clone(), self.confirmations.clone());
        let task = tokio::spawn(
            async move {
                if let Some(before) = before {
                    before.await;
                }
                let replied = (update_id, send_all(&deps, &replies).await);
                let (done, confirmed) = oneshot::channel();
                if confirmations.send(Sent { replied, done }).is_ok() {
                    // An error means the confirmer stopped: nothing to wait for.
                    confirmed.await.ok();
                }
            }
            .instrument(span),
        );
        chains
            .by_chat
            .insert(key, task.map(|_| ()).boxed().shared());
    }

    /// Resolves once the replies of `chat`'s updates handled so far are
    /// confirmed.
    pub(super) async fn settled(&self, chat: i64) {
        let chain = self
            .chains
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_chat
            .get(&chat)
            .cloned();
        if let Some(chain) = chain {
            chain.await;
        }
    }

    /// Waits for every reply in flight to be sent and confirmed.
    pub(super) async fn finish(&self) {
        let chains: Vec<Chain> = self
            .chains
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_chat
            .drain()
            .map(|(_, c)| c)
            .collect();
        futures::future::join_all(chains).await;
        let confirmer = self
            .confirmer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(confirmer) = confirmer {
            // Its channel stays open while `self` lives; it has confirmed
            // everything the chains above sent once they are done.
            confirmer.abort();
            if let Err(e) = confirmer.await
                && !e.is_cancelled()
            {
                tracing::error!(error = %e, "the reply confirmer stopped abnormally");
            }
        }
    }
}

/// Sends one update's replies; the echoes of reports among them.
async fn send_all(
    deps: &Deps,
    replies: &[Outgoing],
) -> Vec<(crate::domain::ids::ChatRef, i64, i64)> {
    let mut echoes = Vec::new();
    for out in replies {
        match deliver(&deps.tg, &deps.store, &deps.token, out).await {
            Delivery::Failed(why) => tracing::warn!(chat = %out.chat, why, "reply not delivered"),
            Delivery::Sent(ids) => {
                metrics::counter!(names::MESSAGES_SENT, "job" => "reply").increment(1);
                if let (Some(source), Some(echo)) = (out.echo_of, ids.first()) {
                    echoes.push((out.chat.clone(), source, *echo));
                }
            }
            // Counted as sent, as the jobs count theirs (`jobs::tally`).
            Delivery::Redirected(_) => {
                metrics::counter!(names::MESSAGES_SENT, "job" => "reply").increment(1);
            }
        }
    }
    echoes
}

/// Records sent replies as they come, as many in one commit as are waiting.
/// Unconfirmed, replies are sent again at the next start; an echo not
/// recorded only means a correction posts a new echo instead of editing it.
async fn confirm_loop(deps: Arc<Deps>, mut rx: mpsc::UnboundedReceiver<Sent>) {
    let mut waiting = Vec::new();
    while rx.recv_many(&mut waiting, MAX_CONFIRMED_AT_ONCE).await > 0 {
        let (replied, done): (Vec<Replied>, Vec<_>) =
            waiting.drain(..).map(|s| (s.replied, s.done)).unzip();
        if let Err(e) = inbox::confirm(&deps.store, &replied, deps.clock.now()).await {
            let updates: Vec<i64> = replied.iter().map(|(id, _)| *id).collect();
            tracing::warn!(?updates, error = %e, "reply confirmation not recorded");
        }
        for d in done {
            // The sender stops waiting only when its task was cancelled.
            d.send(()).ok();
        }
    }
}
