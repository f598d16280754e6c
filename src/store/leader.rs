//! One leader among the instances sharing a PostgreSQL database: the one
//! holding a session advisory lock. PostgreSQL releases the lock the moment
//! the holder's connection ends, so a process that dies (killed, crashed,
//! its machine gone and the connection with it) hands over at once, and a
//! waiting instance takes it at its next try. The lock lives on a
//! connection of its own, taken out of the pool for as long as it is held.
//!
//! SQLite needs no election: its file has one writer at a time, and every
//! process on it leads as before.

use sqlx::Connection;

use super::{Backend, Conn, Op, Result, Store};

/// The advisory lock's key: "duban", then 1 for the leader (other locks
/// may take other numbers).
const LEADER_KEY: i64 = 0x6475_6261_6e00_0001;

/// Held while this instance leads; dropped or released, it leads no more.
#[derive(Debug)]
pub struct Leadership {
    /// The connection holding the lock; `None` on SQLite.
    conn: Option<Conn>,
}

impl Leadership {
    /// Whether the lock is still held: its connection still answers. A
    /// connection lost (the database restarted, the network cut) has lost
    /// the lock with it, and another instance may lead already.
    pub async fn check(&mut self) -> Result<()> {
        if let Some(conn) = self.conn.as_mut() {
            conn.ping().await.op("leader: the lock's connection")?;
        }
        Ok(())
    }

    /// Lets the next instance lead at once, rather than after this
    /// connection times out.
    pub async fn release(mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(LEADER_KEY)
            .execute(&mut conn)
            .await
            .op("leader: unlock");
        if let Err(e) = unlocked {
            tracing::warn!(error = %e, "cannot release the leader's lock; closing its connection ends it");
        }
        if let Err(e) = conn.close().await {
            tracing::debug!(error = %e, "closing the leader's connection");
        }
    }
}

/// Takes the lead if no other instance holds it; `None` when one does.
pub async fn try_lead(store: &Store) -> Result<Option<Leadership>> {
    if store.backend() == Backend::Sqlite {
        return Ok(Some(Leadership { conn: None }));
    }
    let mut conn = store.conn().await?.detach();
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(LEADER_KEY)
        .fetch_one(&mut conn)
        .await
        .op("leader: try the lock")?;
    if got {
        return Ok(Some(Leadership { conn: Some(conn) }));
    }
    if let Err(e) = conn.close().await {
        tracing::debug!(error = %e, "closing a connection that did not get the lock");
    }
    Ok(None)
}
