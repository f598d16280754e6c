//! `duban status --health`: the inbox and the ledger as an operator needs
//! them: what waits to be handled or confirmed, what claims are pending,
//! and every update set aside as failed, with its error. Exit 1 when any
//! is set aside, so a monitoring script needs only the exit code.

use chrono_tz::Tz;

use duban::domain::lang::Lang;
use duban::render::text::t;
use duban::store::{Store, attempts, inbox, outbox};

use crate::Refused;

pub async fn health(store: &Store, tz: Tz, lang: Lang) -> anyhow::Result<()> {
    let mut conn = store.conn().await?;
    let depth = inbox::depth(&mut conn).await?;
    let pending = outbox::pending(&mut conn).await?;
    let failed = attempts::failed(&mut conn).await?;
    drop(conn);
    let n = |v: i64| v.to_string();
    println!(
        "{}",
        t(
            lang,
            "health.summary",
            &[
                ("unhandled", n(depth.unhandled)),
                ("unreplied", n(depth.unreplied)),
                ("failed", n(depth.failed)),
                ("pending", n(pending)),
            ],
        )
    );
    // Events of other platforms set aside count too, though only
    // Telegram's updates are listed one by one.
    if failed.is_empty() && depth.failed == 0 {
        return Ok(());
    }
    let at = |i: chrono::DateTime<chrono::Utc>| {
        i.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
    };
    for f in &failed {
        println!(
            "{}",
            t(
                lang,
                "health.failed",
                &[
                    ("update", f.update_id.to_string()),
                    ("attempts", n(f.attempts)),
                    ("received", at(f.received_at)),
                    ("failed", at(f.failed_at)),
                    ("error", f.last_error.clone().unwrap_or_else(|| "-".into())),
                ],
            )
        );
    }
    Err(anyhow::Error::new(Refused(t(
        lang,
        "health.unhealthy",
        &[("failed", depth.failed.to_string())],
    ))))
}
