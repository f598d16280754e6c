//! Benchmark 4, takeover: two `duban run` instances poll on one PostgreSQL
//! database, one leading; the leader is killed (SIGKILL, no goodbye) and a
//! message is sent at once. Timed from the kill to the bot's answer, which
//! only the next leader can give: the lock's release when the killed
//! connection ends, the waiting instance's next try (a third of
//! `telegram.poll_takeover_secs`), and its start as leader. The killed
//! instance is started again as the new waiting one, and so on; the kills
//! fall at moments spread evenly over the waiting one's period of tries.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::time::Instant;

use crate::child::Bot;
use crate::portfolio;
use crate::world::{self, Backend, Db, group_of, owner_of};

pub async fn run(runs: usize, takeover_secs: u64) -> Result<()> {
    let db = Db::fresh(Backend::Postgres).await?;
    world::populate(&db.url, 1).await?;
    let sim = world::sim(1).await?;
    let takeover = takeover_secs.to_string();
    let env = world::env(
        &db.url,
        &sim,
        &[("DUBAN__TELEGRAM__POLL_TAKEOVER_SECS", &takeover)],
    );
    let now = portfolio::sh(2026, 11, 24, 10, 0).to_rfc3339();
    let mut started = 0;
    let mut start = || -> Result<Bot> {
        let dir = db.dir.path().join(format!("instance-{started}"));
        started += 1;
        std::fs::create_dir_all(&dir)?;
        Bot::start(&dir, &env, Some(&now))
    };
    let mut leader = start()?;
    if !sim.wait_polling(Duration::from_secs(60)).await {
        bail!(
            "the first instance never polled; its log:\n{}",
            leader.log()
        );
    }
    let mut waiting = start()?;
    // Long enough for the second to find the lock taken and wait.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut times = Vec::new();
    let period = Duration::from_secs(takeover_secs) / 3;
    for run in 0..runs {
        // Killed at an even spread of moments within the waiting one's
        // period of tries, so the figures are not those of one phase.
        let phase = period.mul_f64((run as f64 + 0.5) / runs as f64);
        tokio::time::sleep(phase).await;
        leader.kill().await?;
        let killed = Instant::now();
        let asked = sim.push_text(group_of(0), owner_of(0), "/help");
        sim.wait_sent(Duration::from_secs(120), |s| {
            s.reply_to == Some(asked.message_id)
        })
        .await
        .with_context(|| {
            format!(
                "no answer after the kill; the waiting one's log:\n{}",
                waiting.log()
            )
        })?;
        times.push(killed.elapsed());
        leader = waiting;
        waiting = start()?;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    for bot in [leader, waiting] {
        bot.stop().await?;
    }
    sim.shutdown().await;
    db.drop_db().await;
    times.sort();
    let secs = |d: Duration| d.as_secs_f64();
    println!(
        "takeover: 2 instances polling on PostgreSQL, telegram.poll_takeover_secs = {takeover_secs} (tries every {:.1} s), {runs} kills of the leader",
        takeover_secs as f64 / 3.0
    );
    println!(
        "  kill to the next leader's answer: median {:.2} s, min {:.2} s, max {:.2} s",
        secs(times[times.len() / 2]),
        secs(times[0]),
        secs(times[times.len() - 1])
    );
    Ok(())
}
