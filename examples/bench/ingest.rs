//! Benchmark 1, ingest: `n` owners each reply to this week's prompt in their
//! group with a report, all at once. The bot is the release `duban run`
//! binary in a child process, so its CPU time is its own; the simulator
//! stays in this process, and its CPU time is printed beside.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use duban::domain::schedule::Job;
use duban::jobs::{JobDeps, run_once};
use duban::store::Store;
use tgsim::{BotApiSim, Limits, Sent};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::child::{self, Bot};
use crate::portfolio;
use crate::world::{self, Backend, Db, group_of, owner_of};

/// Weeks of earlier prompts in the ledger when the ingest benchmark runs.
const HISTORY_WEEKS: u32 = 26;

/// A complete weekly report, as an owner types it in reply to the prompt.
const REPORT: &str = "进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n本周完成: 桩基施工完成80%\n下周计划: 主体结构施工\n问题: 临时用电未接通";

const LONG: Duration = Duration::from_secs(900);

/// How the run is set up.
pub struct Options {
    pub n: usize,
    pub backend: Backend,
    pub limits: bool,
    pub old_schema: bool,
    /// Instances of `duban run` on the database (more than one: PostgreSQL).
    pub instances: usize,
    /// Updates by webhook (the simulator sending each delivery to the next
    /// instance, as a load balancer would) instead of long polling.
    pub webhook: bool,
}

/// The bot stores each report (inbox, report, problems) and echoes it.
/// Timed from the first push to the last report committed and to the last
/// echo the simulator accepted; every echo is checked to be the "recorded"
/// reply to its report. The ledger holds half a year of earlier prompts,
/// which the bot searches to recognise a reply to the prompt.
pub async fn run(o: &Options) -> Result<()> {
    let n = o.n;
    let db = Db::fresh(o.backend).await?;
    world::populate(&db.url, n).await?;
    if o.old_schema {
        world::drop_lookup_indexes(&db.url).await?;
    }
    world::prompt_history(&db.url, n, HISTORY_WEEKS).await?;
    let sim = world::sim(n).await?;
    let prompts = send_prompts(&db.url, &sim, n).await?;
    if o.limits {
        sim.enforce_limits(Limits::TELEGRAM);
    }
    let bots = start_bots(&db, &sim, o).await?;
    let counter = Store::connect(&db.url, 1).await?;
    let base = sim.sent_count();

    let (bot_cpu, own_cpu) = (cpu(&bots)?, child::own_cpu()?);
    let start = Instant::now();
    let pushed: Vec<(i64, i64, std::time::Instant)> = (0..n)
        .map(|i| {
            let p = sim.push_reply(group_of(i), owner_of(i), REPORT, prompts[i]);
            (group_of(i), p.message_id, std::time::Instant::now())
        })
        .collect();
    let stored = world::wait_count(
        &counter,
        "SELECT COUNT(*) FROM reports",
        i64::try_from(n)?,
        LONG,
    );
    let echoed = async {
        sim.wait_sent_count(base + n, LONG)
            .await
            .then(|| start.elapsed())
    };
    let (stored, echoed) = tokio::join!(stored, echoed);
    let (bot_cpu, own_cpu) = (cpu(&bots)? - bot_cpu, child::own_cpu()? - own_cpu);
    let stored = stored?;
    let echoed = echoed.with_context(|| {
        format!(
            "not every report was echoed; the leader's log:\n{}",
            bots[0].log()
        )
    })?;

    let latencies = latencies(&pushed, &sim.sent());
    if let Ok(path) = std::env::var("BENCH_KEEP_LOG") {
        std::fs::write(&path, bots[0].log()).with_context(|| format!("writing {path}"))?;
    }
    let mut stopped = Vec::new();
    for bot in bots {
        stopped.push(bot.stop().await?);
    }
    let stopped = stopped.join(", ");
    counter.close().await;
    let figures = Figures {
        n,
        good: latencies.len(),
        stored,
        echoed,
        bot_cpu,
        own_cpu,
        latencies,
        limited: sim.rate_limited(),
        stopped,
    };
    print(&figures, o);
    sim.shutdown().await;
    db.drop_db().await;
    if figures.good != n {
        bail!("{} reports were not echoed as recorded", n - figures.good);
    }
    Ok(())
}

/// Starts the instances, each in a folder of its own (its log), and
/// returns once the first leads and the others wait.
async fn start_bots(db: &Db, sim: &BotApiSim, o: &Options) -> Result<Vec<Bot>> {
    // Without Telegram's limits the bot must not pace itself either.
    let mut common: Vec<(String, String)> = Vec::new();
    if !o.limits {
        common.push(("DUBAN__TELEGRAM__THROTTLE".into(), "false".into()));
    }
    let ports: Vec<u16> = (0..o.instances)
        .map(|_| free_port())
        .collect::<Result<_>>()?;
    if o.webhook {
        sim.balance_webhook(
            ports
                .iter()
                .map(|p| format!("http://127.0.0.1:{p}"))
                .collect(),
        );
        common.extend([
            ("DUBAN__TELEGRAM__MODE".into(), "webhook".into()),
            (
                "DUBAN__TELEGRAM__WEBHOOK__URL".into(),
                format!("http://127.0.0.1:{}/telegram", ports[0]),
            ),
            (
                "DUBAN__TELEGRAM__WEBHOOK__SECRET".into(),
                "bench-secret".into(),
            ),
        ]);
    }
    let now = portfolio::sh(2026, 11, 24, 10, 0).to_rfc3339();
    let mut bots = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let dir = db.dir.path().join(format!("instance-{i}"));
        std::fs::create_dir_all(&dir)?;
        let mut env = common.clone();
        env.push((
            "DUBAN__TELEGRAM__WEBHOOK__LISTEN".into(),
            format!("127.0.0.1:{port}"),
        ));
        let extra: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        bots.push(Bot::start(
            &dir,
            &world::env(&db.url, sim, &extra),
            Some(&now),
        )?);
        if i == 0 {
            let leads = if o.webhook {
                wait_webhook(sim).await
            } else {
                sim.wait_polling(Duration::from_secs(60)).await
            };
            if !leads {
                bail!("duban run never took updates; its log:\n{}", bots[0].log());
            }
        }
    }
    // Let start-up work (migrations, the scheduler's catch-up, the others
    // finding a leader) settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(bots)
}

async fn wait_webhook(sim: &BotApiSim) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if sim.webhook_info()["url"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Every instance's user+system CPU time so far.
fn cpu(bots: &[Bot]) -> Result<Duration> {
    bots.iter().map(Bot::cpu).sum()
}

/// Arrival to echo, per report echoed as recorded, in the order the
/// simulator accepted the echoes.
fn latencies(pushed: &[(i64, i64, std::time::Instant)], sent: &[Sent]) -> Vec<Duration> {
    let echoes: std::collections::HashMap<(i64, i64), &Sent> = sent
        .iter()
        .filter(|s| s.text.starts_with("已记录"))
        .filter_map(|s| Some(((s.chat_id, s.reply_to?), s)))
        .collect();
    let mut found: Vec<(std::time::Instant, Duration)> = pushed
        .iter()
        .filter_map(|(chat, id, at)| {
            let echo = echoes.get(&(*chat, *id))?;
            Some((echo.accepted, echo.accepted.saturating_duration_since(*at)))
        })
        .collect();
    found.sort_by_key(|(accepted, _)| *accepted);
    found.into_iter().map(|(_, l)| l).collect()
}

/// What one ingest run measured.
struct Figures {
    n: usize,
    good: usize,
    stored: Duration,
    echoed: Duration,
    bot_cpu: Duration,
    own_cpu: Duration,
    /// Arrival to echo, in the order the echoes were accepted.
    latencies: Vec<Duration>,
    limited: usize,
    stopped: String,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `q` quantile (0..1) of `sorted`, nearest rank.
pub(crate) fn quantile(sorted: &[Duration], q: f64) -> (usize, Duration) {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    (rank, sorted.get(rank - 1).copied().unwrap_or_default())
}

fn print(f: &Figures, o: &Options) {
    let n = f.n;
    println!(
        "ingest: {n} groups, {}{}, `duban run` (release) as {} child process(es) taking updates by {}, {}",
        o.backend.name(),
        if o.old_schema {
            " without migration 0004's indexes"
        } else {
            ""
        },
        o.instances,
        if o.webhook { "webhook" } else { "long polling" },
        if o.limits {
            "Telegram's limits enforced by the sim, bot paced by its pacer (src/outbound/pace.rs)"
        } else {
            "no limits in the sim, pacer off"
        }
    );
    let secs = |d: Duration| d.as_secs_f64();
    println!(
        "  stored: all {n} reports committed {:.2} s after the first push: {:.0} reports/s",
        secs(f.stored),
        n as f64 / secs(f.stored)
    );
    println!(
        "  end to end: last echo {:.2} s after the first push: {:.0} reports/s ({}/{n} echoes correct, {} 429s)",
        secs(f.echoed),
        n as f64 / secs(f.echoed),
        f.good,
        f.limited
    );
    println!(
        "  CPU: bot (all instances) {:.3} ms per report ({:.2} s user+system in all); simulator and benchmark {:.3} ms per report ({:.0} % of the bot's)",
        ms(f.bot_cpu) / n as f64,
        secs(f.bot_cpu),
        ms(f.own_cpu) / n as f64,
        100.0 * secs(f.own_cpu) / secs(f.bot_cpu).max(1e-9)
    );
    let mut sorted = f.latencies.clone();
    sorted.sort();
    let (_, p50) = quantile(&sorted, 0.50);
    let (_, p99) = quantile(&sorted, 0.99);
    println!(
        "  arrival to echo: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        ms(p50),
        ms(p99),
        ms(sorted.last().copied().unwrap_or_default())
    );
    if o.limits {
        // The k-th echo cannot leave before k / 30 s: the pacer's floor.
        let (rank, p99_in_order) = quantile(&f.latencies, 0.99);
        let floor = rank as f64 / 30.0;
        println!(
            "  floor set by 30 messages/s: {:.2} s for {n} echoes; the echo at p99 (position {rank}) after {:.2} s, {:.3} × its floor of {floor:.2} s",
            n as f64 / 30.0,
            secs(p99_in_order),
            secs(p99_in_order) / floor
        );
    }
    println!("  bot stopped by SIGTERM: {}", f.stopped);
}

/// This week's prompt in every group, sent by the prompt job without
/// pacing (set-up, not measured); the prompt's message id per group.
pub async fn send_prompts(url: &str, sim: &BotApiSim, n: usize) -> Result<Vec<i64>> {
    let settings = Arc::new(world::settings(
        url,
        sim,
        &[("DUBAN__TELEGRAM__THROTTLE", "false")],
    )?);
    let store = Store::open(url, settings.database.max_connections).await?;
    let (_stop, mut shutdown) = watch::channel(false);
    let connected = duban::bot::connect(&settings, &mut shutdown)
        .await?
        .context("shut down while connecting")?;
    let deps = JobDeps {
        store: store.clone(),
        settings,
        owner: "bench-setup".into(),
        hooks: Arc::default(),
    };
    let fire = portfolio::sh(2026, 11, 23, 9, 0);
    let messenger = connected.messenger(store.clone());
    let outcome = run_once(&deps, Some(&messenger), Job::Prompt, fire, fire, false).await?;
    store.close().await;
    if outcome.sent != n {
        bail!("set-up: {} prompts sent for {n} groups", outcome.sent);
    }
    let sent = sim.sent();
    (0..n)
        .map(|i| {
            sent.iter()
                .find(|s| s.chat_id == group_of(i))
                .map(|s| s.message_id)
                .with_context(|| format!("no prompt in group {i}"))
        })
        .collect()
}
