//! The end-to-end benchmarks: the bot's real code, the real teloxide client,
//! HTTP to `tgsim` on 127.0.0.1 and a fresh database. Each prints its
//! figures with the machine they were measured on and its load.
//!
//! ```text
//! cargo run --release --example bench -- ingest [GROUPS] [sqlite|postgres] [--no-limits] [--webhook] [--instances=K]
//! cargo run --release --example bench -- fanout [GROUPS] [sqlite|postgres]
//! cargo build --release && cargo run --release --example bench -- feishu-ingest [GROUPS] [sqlite|postgres] [--long-connection] [--throttle]
//! cargo build --release && cargo run --release --example bench -- idle [PROJECTS]
//! ```
//!
//! See BENCHMARKS.md for what each measures and the figures measured.

mod child;
mod dashboard;
mod feishu;
mod ingest;
mod machine;
mod portfolio;
mod takeover;
mod world;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use duban::domain::schedule::Job;
use duban::jobs::{JobDeps, run_once};
use duban::store::{Store, outbox};
use tgsim::{BotApiSim, Limits};
use tokio::sync::watch;
use tokio::time::Instant;

use world::{Backend, Db};

const USAGE: &str = "usage: bench ingest [GROUPS] [sqlite|postgres] [--no-limits] [--old-schema] [--webhook] [--instances=K]
       bench fanout [GROUPS] [sqlite|postgres] [--old-schema]
       bench feishu-ingest [GROUPS] [sqlite|postgres] [--long-connection] [--throttle]
       bench idle [PROJECTS]
       bench dashboard [PROJECTS]
       bench takeover [KILLS]
--old-schema drops the look-up indexes of migration 0004, for the figures before it
--webhook takes updates by webhook; --instances=K runs K instances on the database (PostgreSQL)
--long-connection takes Feishu's events over its WebSocket (default: its webhook); --throttle paces to Feishu's limits";

/// `--instances=K`, 1 when absent.
fn instances(args: &[String]) -> Result<usize> {
    match args.iter().find_map(|a| a.strip_prefix("--instances=")) {
        Some(k) => match k.parse() {
            Ok(k @ 1..=8) => Ok(k),
            _ => bail!("--instances={k}: a count from 1 to 8\n{USAGE}"),
        },
        None => Ok(1),
    }
}

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
        "ingest" => {
            let options = ingest::Options {
                n,
                backend,
                limits: !flag("--no-limits"),
                old_schema: flag("--old-schema"),
                instances: instances(&args)?,
                webhook: flag("--webhook"),
            };
            ingest::run(&options).await?;
        }
        "feishu-ingest" => {
            let options = feishu::Options {
                n,
                backend,
                long_connection: flag("--long-connection"),
                throttle: flag("--throttle"),
            };
            feishu::run(&options).await?;
        }
        "fanout" => fanout(n, backend, flag("--old-schema")).await?,
        // Here the count is of kills; the takeover time is the default's.
        "takeover" => takeover::run(positional.get(1).map_or(Ok(5), |v| v.parse())?, 15).await?,
        "idle" => idle(n).await?,
        "dashboard" => dashboard::run(n).await?,
        _ => bail!("{USAGE}"),
    }
    println!("after: {}", machine::load());
    Ok(())
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
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

/// Benchmark 4: the release `duban run` binary with `n` projects in its
/// database, connected to the sim and idle in its long poll.
async fn idle(n: usize) -> Result<()> {
    let db = Db::fresh(Backend::Sqlite).await?;
    world::populate(&db.url, n).await?;
    let sim = BotApiSim::start(world::TOKEN).await?;
    let bot = child::Bot::start(db.dir.path(), &world::env(&db.url, &sim, &[]), None)?;
    let pid = bot.pid();
    let polling = sim.wait_polling(Duration::from_secs(60)).await;
    let mut samples = Vec::new();
    if polling {
        // Let start-up work (migrations, the scheduler's marks) settle.
        tokio::time::sleep(Duration::from_secs(2)).await;
        for _ in 0..10 {
            samples.extend(child::status_kib(pid, "VmRSS:"));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let hwm = child::status_kib(pid, "VmHWM:");
    let log = bot.log();
    let stopped = bot.stop().await?;
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
    println!("  stopped by SIGTERM: {stopped}");
    Ok(())
}
