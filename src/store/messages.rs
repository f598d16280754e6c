//! Message ids a platform writes as text (Feishu's `om_…`), kept under the
//! number the core uses for a message (replies, echoes, the ledger's sent
//! ids), with who wrote it, so that a reply's target is known by its id.
//! The adapter chooses the number; this only records the pair.

use chrono::{DateTime, Utc};

use super::{Conn, Op, Result, get, ts};
use crate::domain::ids::{PersonRef, Platform};

/// A message as remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// The platform's own id.
    pub message_id: String,
    /// The chat's key (`ChatRef::key`).
    pub chat: String,
    /// Who wrote it; `None` for the bot's own.
    pub sender: Option<PersonRef>,
    pub sender_name: String,
    pub from_bot: bool,
}

/// Records a message under `local_id`; a second record of it changes
/// nothing.
pub async fn remember(
    conn: &mut Conn,
    platform: Platform,
    local_id: i64,
    m: &Remembered,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO platform_messages \
             (platform, local_id, message_id, chat, sender, sender_name, from_bot, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (platform, local_id) DO NOTHING",
    )
    .bind(platform.code())
    .bind(local_id)
    .bind(&m.message_id)
    .bind(&m.chat)
    .bind(m.sender.as_ref().map(PersonRef::key))
    .bind(&m.sender_name)
    .bind(i64::from(m.from_bot))
    .bind(ts(now))
    .execute(&mut *conn)
    .await
    .op("messages::remember")?;
    Ok(())
}

/// The message kept under `local_id`, if any.
pub async fn find(
    conn: &mut Conn,
    platform: Platform,
    local_id: i64,
) -> Result<Option<Remembered>> {
    let row = sqlx::query(
        "SELECT message_id, chat, sender, sender_name, from_bot FROM platform_messages \
         WHERE platform = $1 AND local_id = $2",
    )
    .bind(platform.code())
    .bind(local_id)
    .fetch_optional(&mut *conn)
    .await
    .op("messages::find")?;
    let Some(r) = row else {
        return Ok(None);
    };
    let sender: Option<String> = get(&r, "sender")?;
    Ok(Some(Remembered {
        message_id: get(&r, "message_id")?,
        chat: get(&r, "chat")?,
        sender: sender
            .map(|s| s.parse())
            .transpose()
            .map_err(|e| super::StoreError::Corrupt(format!("platform_messages.sender: {e}")))?,
        sender_name: get(&r, "sender_name")?,
        from_bot: get::<i64>(&r, "from_bot")? != 0,
    }))
}
