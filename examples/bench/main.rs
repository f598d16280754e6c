//! The end-to-end benchmarks: the bot's real code, the real teloxide client,
//! HTTP to `tgsim` on 127.0.0.1 and a fresh database. Each prints its
//! figures with the machine they were measured on and its load.
//!
//! ```text
//! cargo run --release --example bench -- ingest [GROUPS] [sqlite|postgres] [--no-limits]
//! cargo run --release --example bench -- fanout [GROUPS] [sqlite|postgres]
//! cargo build --release && cargo run --release --example bench -- idle [PROJECTS]
//! ```
//!
//! See BENCHMARKS.md for what each measures and the figures measured.

mod machine;
mod portfolio;
mod world;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use duban::clock::ManualClock;
use duban::domain::schedule::Job;
use duban::jobs::{JobDeps, run_once};
use duban::store::{Store, outbox};
use tgsim::{BotApiSim, Limits};
use tokio::sync::watch;
use tokio::time::Instant;

use world::{Backend, Db, group_of, owner_of};

const USAGE: &str = "usage: bench ingest [GROUPS] [sqlite|postgres] [--no-limits] [--old-schema]
       bench fanout [GROUPS] [sqlite|postgres] [--old-schema]
       bench idle [PROJECTS]
--old-schema drops the look-up indexes of migration 0004, for the figures before it";

/// Weeks of earlier prompts in the ledger when the ingest benchmark runs.
const HISTORY_WEEKS: u32 = 26;

/// A complete weekly report, as an owner types it in reply to the prompt.
const REPORT: &str = "进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n本周完成: 桩基施工完成80%\n下周计划: 主体结构施工\n问题: 临时用电未接通";

const LONG: Duration = Duration::from_secs(900);

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let positional: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(&what) = positional.first() else {
        bail!("{USAGE}");
    };
    let n: usize = match positional.get(1) {
        Some(v) => v
            .parse()
            .with_context(|| format!("'{v}' is not a count\n{USAGE}"))?,
        None => 1_000,
    };
    let backend = Backend::parse(positional.get(2).copied().unwrap_or("sqlite"))?;
    println!("machine: {}", machine::describe());
    println!("before: {}", machine::load());
    match what {
        "ingest" => ingest(n, backend, !flag("--no-limits"), flag("--old-schema")).await?,
        "fanout" => fanout(n, backend, flag("--old-schema")).await?,
        "idle" => idle(n).await?,
        _ => bail!("{USAGE}"),
    }
    println!("after: {}", machine::load());
    Ok(())
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Benchmark 1: `n` owners each reply to this week's prompt in their
/// group with a report, all at once; the bot stores each (inbox, report,
/// problems) and echoes it. Timed from the first push to the last report
/// committed, and to the last echo the simulator accepted. The ledger holds
/// half a year of earlier prompts, which the bot searches to recognise a
/// reply to the prompt.
async fn ingest(n: usize, backend: Backend, limits: bool, old_schema: bool) -> Result<()> {
    let db = Db::fresh(backend).await?;
    world::populate(&db.url, n).await?;
    if old_schema {
        world::drop_lookup_indexes(&db.url).await?;
    }
    world::prompt_history(&db.url, n, HISTORY_WEEKS).await?;
    let sim = world::sim(n).await?;
    let prompts = send_prompts(&db.url, &sim, n).await?;
    let mut extra = Vec::new();
    if limits {
        sim.enforce_limits(Limits::TELEGRAM);
    } else {
        // Without Telegram's limits the bot must not pace itself either.
        extra.push(("DUBAN__TELEGRAM__THROTTLE", "false"));
    }
    let settings = world::settings(&db.url, &sim, &extra)?;
    let clock = ManualClock::new(portfolio::sh(2026, 11, 24, 10, 0));
    let (stop, shutdown) = watch::channel(false);
    let app = tokio::spawn(duban::app::run(settings, Arc::new(clock), shutdown));
    if !sim.wait_polling(Duration::from_secs(60)).await {
        bail!("the bot never started polling");
    }
    let counter = Store::connect(&db.url, 1).await?;
    let base = sim.sent_count();

    let start = Instant::now();
    let pushed: Vec<(i64, i64)> = (0..n)
        .map(|i| {
            let p = sim.push_reply(group_of(i), owner_of(i), REPORT, prompts[i]);
            (group_of(i), p.message_id)
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
    let stored = stored?;
    let echoed = echoed.context("not every report was echoed in time")?;

    let sent = sim.sent();
    let good = pushed
        .iter()
        .filter(|(chat, id)| {
            sent.iter().any(|s| {
                s.chat_id == *chat && s.reply_to == Some(*id) && s.text.starts_with("已记录")
            })
        })
        .count();
    let _ = stop.send(true);
    tokio::time::timeout(Duration::from_secs(60), app)
        .await
        .context("the bot did not stop")???;
    counter.close().await;

    let figures = IngestFigures {
        n,
        good,
        stored,
        echoed,
        limited: sim.rate_limited(),
    };
    print_ingest(&figures, backend, limits, old_schema);
    sim.shutdown().await;
    db.drop_db().await;
    if good != n {
        bail!("{} reports were not echoed as recorded", n - good);
    }
    Ok(())
}

/// What one ingest run measured.
struct IngestFigures {
    n: usize,
    good: usize,
    stored: Duration,
    echoed: Duration,
    limited: usize,
}

fn print_ingest(f: &IngestFigures, backend: Backend, limits: bool, old_schema: bool) {
    let n = f.n;
    println!(
        "ingest: {n} groups, {}{}, {}",
        backend.name(),
        if old_schema {
            " without migration 0004's indexes"
        } else {
            ""
        },
        if limits {
            "Telegram's limits enforced by the sim, bot paced by its pacer (src/bot/pace.rs)"
        } else {
            "no limits in the sim, pacer off"
        }
    );
    println!(
        "  stored: all {n} reports committed {:.2} s after the first push: {:.0} reports/s",
        secs(f.stored),
        n as f64 / secs(f.stored)
    );
    println!(
        "  end to end: last echo {:.2} s after the first push: {:.1} reports/s ({}/{n} echoes correct, {} 429s)",
        secs(f.echoed),
        n as f64 / secs(f.echoed),
        f.good,
        f.limited
    );
    if limits {
        println!(
            "  floor set by 30 messages/s: {:.2} s for {n} echoes",
            n as f64 / 30.0
        );
    }
}

/// This week's prompt in every group, sent by the prompt job without
/// pacing (set-up, not measured); the prompt's message id per group.
async fn send_prompts(url: &str, sim: &BotApiSim, n: usize) -> Result<Vec<i64>> {
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

/// Benchmark 2: the weekly prompt to `n` groups through the job runner
/// (ledger claim, send, completion), the sim enforcing Telegram's limits.
async fn fanout(n: usize, backend: Backend, old_schema: bool) -> Result<()> {
    let db = Db::fresh(backend).await?;
    world::populate(&db.url, n).await?;
    if old_schema {
        world::drop_lookup_indexes(&db.url).await?;
    }
    let sim = world::sim(n).await?;
    sim.enforce_limits(Limits::TELEGRAM);
    let settings = Arc::new(world::settings(&db.url, &sim, &[])?);
    let store = Store::open(&settings.database.url, settings.database.max_connections).await?;
    let (_stop, mut shutdown) = watch::channel(false);
    let connected = duban::bot::connect(&settings, &mut shutdown)
        .await?
        .context("shut down while connecting")?;
    let messenger = connected.messenger(store.clone());
    let deps = JobDeps {
        store: store.clone(),
        settings,
        owner: "bench".into(),
        hooks: Arc::default(),
    };
    let fire = portfolio::sh(2026, 11, 23, 9, 0);

    let start = Instant::now();
    let plan = run_once(&deps, None, Job::Prompt, fire, fire, false).await?;
    let planning = start.elapsed();
    if plan.planned.len() != n {
        bail!("planned {} prompts for {n} groups", plan.planned.len());
    }

    let start = Instant::now();
    let outcome = run_once(&deps, Some(&messenger), Job::Prompt, fire, fire, false).await?;
    let took = start.elapsed();
    let minimum = n as f64 / 30.0;
    let mut conn = store.conn().await?;
    let ledger = outbox::of_period(&mut conn, Job::Prompt, "2026-W48").await?;
    drop(conn);
    let completed = ledger.iter().filter(|row| row.sent).count();
    println!(
        "fanout: weekly prompt to {n} groups, {}{}, Telegram's limits enforced by the sim",
        backend.name(),
        if old_schema {
            " without migration 0004's indexes"
        } else {
            ""
        },
    );
    println!(
        "  took {:.2} s; theoretical minimum {n} / 30 per s = {minimum:.2} s; ratio {:.3}",
        secs(took),
        secs(took) / minimum
    );
    println!(
        "  sent {} (sim accepted {}), failed {}, already {}; ledger: {completed}/{} completed; 429s received: {}",
        outcome.sent,
        sim.sent_count(),
        outcome.failed,
        outcome.already,
        ledger.len(),
        sim.rate_limited()
    );
    println!(
        "  of which planning (a dry run of the same job): {:.2} s",
        secs(planning)
    );
    store.close().await;
    sim.shutdown().await;
    db.drop_db().await;
    if outcome.sent != n || completed != n {
        bail!("not every prompt was sent and recorded");
    }
    Ok(())
}

fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Benchmark 4: the release `duban run` binary with `n` projects in its
/// database, connected to the sim and idle in its long poll.
async fn idle(n: usize) -> Result<()> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(|examples| examples.parent())
        .map(|dir| dir.join("duban"))
        .context("no folder for the duban binary")?;
    if !bin.exists() {
        bail!(
            "{} not found: build it first with `cargo build --release`",
            bin.display()
        );
    }
    let db = Db::fresh(Backend::Sqlite).await?;
    world::populate(&db.url, n).await?;
    let sim = BotApiSim::start(world::TOKEN).await?;
    let log = std::fs::File::create(db.dir.path().join("duban.log"))?;
    let mut child = Command::new(&bin)
        .arg("run")
        .current_dir(db.dir.path())
        .env("DUBAN__DATABASE__URL", &db.url)
        .env("DUBAN__TELEGRAM__API_URL", sim.api_url())
        .env("TELOXIDE_TOKEN", world::TOKEN)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let pid = child.id();
    let polling = sim.wait_polling(Duration::from_secs(60)).await;
    let mut samples = Vec::new();
    if polling {
        // Let start-up work (migrations, the scheduler's marks) settle.
        tokio::time::sleep(Duration::from_secs(2)).await;
        for _ in 0..10 {
            samples.extend(status_kib(pid, "VmRSS:"));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let hwm = status_kib(pid, "VmHWM:");
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() > deadline {
            child.kill()?;
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let log = std::fs::read_to_string(db.dir.path().join("duban.log")).unwrap_or_default();
    sim.shutdown().await;
    if !polling || samples.is_empty() {
        bail!("duban run never polled; its log:\n{log}");
    }
    let mib = |kib: u64| kib as f64 / 1024.0;
    let max = samples.iter().copied().max().unwrap_or(0);
    println!("idle: `duban run` (release) with {n} projects on SQLite, long-polling the sim");
    println!(
        "  VmRSS {:.1} MiB (max of {} samples over 5 s: {:.1} MiB); VmHWM (peak since start) {:.1} MiB",
        mib(*samples.last().unwrap_or(&0)),
        samples.len(),
        mib(max),
        mib(hwm.unwrap_or(0)),
    );
    println!(
        "  stopped by SIGTERM: {}",
        match exit {
            Some(s) if s.success() => "exited cleanly".to_string(),
            Some(s) => format!("exited with {s}"),
            None => "did not stop in 20 s; killed".to_string(),
        }
    );
    Ok(())
}
