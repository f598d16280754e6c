//! What a platform's refusal says about where a message was going,
//! recorded the same way whichever platform refused: a person who cannot
//! be written to first (their deadline pings then go to the project's
//! group), a chat the bot is no longer in (inactive). A failure to record
//! costs only that knowledge, so it is logged, not fatal to the delivery.

use crate::domain::ids::{ChatRef, PersonRef};
use crate::store::{Result, Store, chats, people};

/// Records whether the bot may write to `person` first.
pub async fn note_reachable(store: &Store, person: &PersonRef, can: bool) {
    if let Err(e) = set_reachable(store, person, can).await {
        tracing::warn!(person = %person, can, error = %e, "reachability not recorded");
    }
}

/// Marks `chat` inactive: the bot was removed, or the group is gone.
pub async fn note_chat_gone(store: &Store, chat: &ChatRef) {
    if let Err(e) = set_gone(store, chat).await {
        tracing::warn!(chat = %chat, error = %e, "chat gone, but not marked inactive");
    }
}

async fn set_reachable(store: &Store, person: &PersonRef, can: bool) -> Result<()> {
    let mut conn = store.conn().await?;
    if let Some(p) = people::by_external(&mut conn, person).await?
        && p.can_dm != can
    {
        people::set_can_dm(&mut conn, p.id, can).await?;
    }
    Ok(())
}

async fn set_gone(store: &Store, chat: &ChatRef) -> Result<()> {
    let mut conn = store.conn().await?;
    if let Some(c) = chats::by_external(&mut conn, chat).await? {
        chats::set_active(&mut conn, c.id, false).await?;
    }
    Ok(())
}
