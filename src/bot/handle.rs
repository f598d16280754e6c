//! Handling one stored update exactly once: its effects and the inbox's
//! "handled" mark commit together, its replies go out after and are
//! confirmed, and replies a crash left unconfirmed are sent at the next start.

use teloxide::net::Download;
use teloxide::prelude::Requester;
use teloxide::types::Update;
use tracing::Instrument;

use crate::chat::{self, Env, Event};
use crate::domain::outgoing::{Delivery, Outgoing};
use crate::render::text::t;
use crate::store::{Op, StoreError, inbox};

use super::Deps;
use super::deliver::{deliver, redact};
use super::{convert, convert::chat_ref};

pub(super) async fn process(deps: &Deps, update: Update) {
    let update_id = i64::from(update.id.0);
    let span = tracing::info_span!(
        "update",
        update_id,
        chat = tracing::field::Empty,
        project = tracing::field::Empty
    );
    if let Some(c) = update.chat() {
        span.record("chat", tracing::field::display(chat_ref(c.id)));
    }
    async {
        deps.hooks.handling().await;
        let mut event = convert::event(&update, deps.bot_id);
        if let Some(Event::Message(m)) = &mut event {
            fetch_attachment(deps, &update, m).await;
        }
        match handle(deps, update_id, event.clone()).await {
            Ok(Some(replies)) => send_and_confirm(deps, update_id, &replies).await,
            Ok(None) => tracing::debug!("already handled"),
            Err(e) => {
                // Nothing was committed: the update stays unhandled and is
                // handled again at the next start. Say so to the person.
                tracing::error!(error = %e, "update not handled");
                if let Some(Event::Message(m)) = event {
                    apologise(deps, m).await;
                }
            }
        }
    }
    .instrument(span)
    .await
}

/// The update's effects and its "handled" mark, in one transaction; the
/// replies to send, or `None` when another run handled it first.
async fn handle(
    deps: &Deps,
    update_id: i64,
    event: Option<Event>,
) -> Result<Option<Vec<Outgoing>>, StoreError> {
    let now = deps.clock.now();
    let mut env = Env {
        settings: &deps.settings,
        bot_username: &deps.username,
        prepared: None,
    };
    let prepared = match &event {
        Some(ev) => chat::prepare(&deps.store, &env, ev, now).await?,
        None => chat::Prepared::default(),
    };
    env.prepared = Some(&prepared);
    // A second delivery of a handled update is caught by the claim below,
    // which rolls the transaction back; redeliveries are rare, so they are
    // not worth a look-up on every update.
    let mut tx = deps.store.begin().await?;
    let replies = match event {
        Some(ev) => chat::handle(&mut tx, &env, ev, now).await?,
        None => Vec::new(),
    };
    let json = serde_json::to_string(&replies).map_err(|e| StoreError::Encode {
        what: "replies",
        source: e,
    })?;
    if !inbox::claim(&mut tx, update_id, &json, now).await? {
        return Ok(None);
    }
    tx.commit().await.op("inbox: commit a handled update")?;
    Ok(Some(replies))
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

async fn apologise(deps: &Deps, m: chat::IncomingMessage) {
    let sorry = Outgoing {
        reply_to: Some(m.message_id),
        thread: m.thread,
        ..Outgoing::to(m.chat.id, t(deps.settings.locale, "error.internal", &[]))
    };
    if let Delivery::Failed(why) = deliver(&deps.tg, &deps.store, &deps.token, &sorry).await {
        tracing::warn!(why, "the apology was not delivered either");
    }
}

/// Sends the replies, then confirms them and records a report's echo (which
/// message a correction of the report edits) in one commit. Unconfirmed,
/// the replies are sent again at the next start; an echo not recorded only
/// means a correction posts a new echo instead of editing this one.
async fn send_and_confirm(deps: &Deps, update_id: i64, replies: &[Outgoing]) {
    let mut echoes = Vec::new();
    for out in replies {
        match deliver(&deps.tg, &deps.store, &deps.token, out).await {
            Delivery::Failed(why) => tracing::warn!(chat = %out.chat, why, "reply not delivered"),
            Delivery::Sent(ids) => {
                if let (Some(source), Some(echo)) = (out.echo_of, ids.first()) {
                    echoes.push((out.chat.clone(), source, *echo));
                }
            }
            Delivery::Redirected(_) => {}
        }
    }
    if let Err(e) = inbox::confirm(&deps.store, update_id, &echoes, deps.clock.now()).await {
        tracing::warn!(update_id, error = %e, "reply confirmation not recorded");
    }
}

/// Replies recorded by a run that stopped before confirming them.
pub(super) async fn resend_unconfirmed(deps: &Deps) -> Result<(), StoreError> {
    let mut conn = deps.store.conn().await?;
    let pending = inbox::unreplied(&mut conn).await?;
    drop(conn);
    for (update_id, json) in pending {
        match serde_json::from_str::<Vec<Outgoing>>(&json) {
            Ok(replies) => send_and_confirm(deps, update_id, &replies).await,
            Err(e) => {
                // Unreadable replies cannot be sent; confirming them keeps
                // every later start from tripping over them again.
                tracing::error!(update_id, error = %e, "stored replies unreadable; dropped");
                send_and_confirm(deps, update_id, &[]).await;
            }
        }
    }
    Ok(())
}
