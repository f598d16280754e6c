//! The ledger of scheduled outgoing messages: claimed before sending,
//! completed with the platform's message id after.

use super::{Conn, Result};

/// Whether `message_id` in `chat_key` is a weekly prompt the bot posted.
pub async fn is_prompt(conn: &mut Conn, chat_key: &str, message_id: i64) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE job = 'prompt' AND chat_key = $1 AND message_id = $2",
    )
    .bind(chat_key)
    .bind(message_id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}
