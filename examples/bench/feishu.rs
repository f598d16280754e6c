//! Benchmark 8, Feishu ingest: `n` owners each send `@督办 /report` with a
//! complete report in their Feishu group, all at once. The bot is the
//! release `duban run` binary in a child process, on Feishu alone; the
//! simulator (`crates/feishusim`) stays in this process and delivers the
//! events by webhook (encrypted and signed) or over the long connection,
//! one after the other, as Feishu does per app.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use duban::domain::ids::{ChatKind, ChatRef, PersonRef, Platform};
use duban::store::Store;
use feishusim::{Config, FeishuSim, Pushed, Sent};
use std::time::Instant;
use tokio::task::JoinSet;

use crate::child::{self, Bot};
use crate::ingest::{free_port, quantile};
use crate::portfolio;
use crate::world::{self, Backend, Db};

/// The report each owner sends, addressed to the bot as a command.
const REPORT: &str = "@督办 /report\n进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n本周完成: 桩基施工完成80%\n下周计划: 主体结构施工\n问题: 临时用电未接通";

const LONG: Duration = Duration::from_secs(900);

/// How the run is set up.
pub struct Options {
    pub n: usize,
    pub backend: Backend,
    /// Events over the long connection instead of the webhook.
    pub long_connection: bool,
    /// The bot paces itself to Feishu's limits and the simulator enforces
    /// them; otherwise neither.
    pub throttle: bool,
}

/// The people and groups of the run, in the simulator and the database.
struct Tenant {
    sim: FeishuSim,
    admin: String,
    owners: Vec<String>,
    groups: Vec<String>,
}

/// One report pushed: its group, its message, when the push began and when
/// the simulator had it acknowledged (HTTP 200, or the long connection's ACK).
struct Push {
    message_id: String,
    began: Instant,
    acked: Instant,
    status: Option<u16>,
}

/// Set-up (not timed): the tenant in the simulator, the portfolio in the
/// database bound to the groups, the bot started and in every group. Then
/// every owner's report is pushed at once; timed from the first push to
/// the last report committed and to the last echo seen.
pub async fn run(o: &Options) -> Result<()> {
    let n = o.n;
    let db = Db::fresh(o.backend).await?;
    let t = tenant(n).await?;
    populate(&db.url, &t).await?;
    if o.throttle {
        t.sim.set_enforce_limits(true);
    }
    let bot = start_bot(&db, &t, o).await?;
    join_groups(&t, &bot).await?;
    let counter = Store::connect(&db.url, 1).await?;
    let base = t.sim.sent().len();

    let (bot_cpu, own_cpu) = (bot.cpu()?, child::own_cpu()?);
    let start = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..n {
        let (sim, group, owner) = (t.sim.clone(), t.groups[i].clone(), t.owners[i].clone());
        set.spawn(async move {
            let began = Instant::now();
            let p: Pushed = sim.say(&group, &owner, REPORT).await;
            (i, p, began, Instant::now())
        });
    }
    let stored = world::wait_count(
        &counter,
        "SELECT COUNT(*) FROM reports",
        i64::try_from(n)?,
        LONG,
    );
    let (stored, echoes, pushes) = tokio::join!(stored, watch_echoes(&t.sim, base, n), async {
        let mut pushes: Vec<Option<Push>> = (0..n).map(|_| None).collect();
        while let Some(done) = set.join_next().await {
            let (i, p, began, acked) = done?;
            pushes[i] = Some(Push {
                message_id: p.message_id.context("a message was pushed")?,
                began,
                acked,
                status: p.status,
            });
        }
        anyhow::Ok(pushes.into_iter().flatten().collect::<Vec<_>>())
    });
    let (bot_cpu, own_cpu) = (bot.cpu()? - bot_cpu, child::own_cpu()? - own_cpu);
    let hwm = child::status_kib(bot.pid(), "VmHWM:");
    let (stored, pushes) = (stored?, pushes?);
    let echoes =
        echoes.with_context(|| format!("not every report was echoed; log:\n{}", bot.log()))?;
    let log = bot.log();
    let stopped = bot.stop().await?;
    counter.close().await;
    let mut figures = figures(n, start, stored, &pushes, &echoes, (bot_cpu, own_cpu), hwm);
    figures.api_errors = t.sim.errors().len();
    print(&figures, o, &stopped);
    t.sim.stop().await;
    db.drop_db().await;
    if figures.good != n {
        bail!(
            "{} reports were not echoed as recorded; log:\n{log}",
            n - figures.good
        );
    }
    Ok(())
}

/// An admin, and `n` owners each in a group of their own with the admin.
async fn tenant(n: usize) -> Result<Tenant> {
    let sim = FeishuSim::start(Config::default()).await?;
    let admin = sim.add_user("管理员");
    let mut owners = Vec::with_capacity(n);
    let mut groups = Vec::with_capacity(n);
    for i in 0..n {
        let owner = sim.add_user(&format!("业主{i}"));
        groups.push(sim.add_group(&format!("项目群{i}"), &[&admin, &owner]));
        owners.push(owner);
    }
    Ok(Tenant {
        sim,
        admin,
        owners,
        groups,
    })
}

/// Imports the portfolio and binds project `i` to Feishu group `i` with
/// owner `i`: what `/newproject` in each group would record, written
/// directly (as `world::populate` does for Telegram).
async fn populate(url: &str, t: &Tenant) -> Result<()> {
    world::populate_with(url, t.groups.len(), |i| world::Seat {
        group: ChatRef::new(Platform::Feishu, t.groups[i].clone()),
        kind: ChatKind::Group,
        owner: PersonRef::new(Platform::Feishu, t.owners[i].clone()),
        username: None,
    })
    .await
}

/// `duban run` on Feishu alone, with `--now` on the benchmark's week;
/// returns once it takes events (its webhook verified, or its long
/// connection counted by the simulator).
async fn start_bot(db: &Db, t: &Tenant, o: &Options) -> Result<Bot> {
    let c = t.sim.config();
    let port = free_port()?;
    let mut env: Vec<(String, String)> = vec![
        ("DUBAN__DATABASE__URL".into(), db.url.clone()),
        ("DUBAN__WEB__LISTEN".into(), String::new()),
        ("DUBAN__PLATFORMS".into(), "feishu".into()),
        ("DUBAN__FEISHU__API_URL".into(), t.sim.url()),
        ("DUBAN__FEISHU__APP_ID".into(), c.app_id.clone()),
        ("DUBAN__FEISHU__APP_SECRET".into(), c.app_secret.clone()),
        (
            "DUBAN__FEISHU__VERIFICATION_TOKEN".into(),
            c.verification_token.clone(),
        ),
        ("DUBAN__FEISHU__THROTTLE".into(), o.throttle.to_string()),
        (
            "DUBAN__FEISHU__WEBHOOK__LISTEN".into(),
            format!("127.0.0.1:{port}"),
        ),
        ("DUBAN__ADMINS".into(), format!("feishu:{}", t.admin)),
    ];
    if let Some(key) = &c.encrypt_key {
        env.push(("DUBAN__FEISHU__ENCRYPT_KEY".into(), key.clone()));
    }
    let mode = if o.long_connection {
        t.sim.use_long_connection();
        "long_connection"
    } else {
        "webhook"
    };
    env.push(("DUBAN__FEISHU__MODE".into(), mode.into()));
    let now = portfolio::sh(2026, 11, 24, 10, 0).to_rfc3339();
    let bot = Bot::start(db.dir.path(), &env, Some(&now))?;
    if !o.long_connection {
        t.sim
            .set_webhook(&format!("http://127.0.0.1:{port}/feishu/events"));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = if o.long_connection {
            t.sim.ws_connections() == 1
        } else {
            t.sim.verify_url().await.is_ok()
        };
        if ready {
            return Ok(bot);
        }
        if Instant::now() > deadline {
            bail!("duban run never took events; its log:\n{}", bot.log());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The admin adds the bot to every group (set-up, not timed); returns once
/// the bot has stopped answering (its greetings) for a second.
async fn join_groups(t: &Tenant, bot: &Bot) -> Result<()> {
    let mut set = JoinSet::new();
    for group in &t.groups {
        let (sim, group, admin) = (t.sim.clone(), group.clone(), t.admin.clone());
        set.spawn(async move { sim.add_bot(&group, &admin).await });
    }
    while let Some(p) = set.join_next().await {
        if !matches!(p?.status, Some(200)) {
            bail!(
                "the bot did not take a bot-added event; log:\n{}",
                bot.log()
            );
        }
    }
    let mut last = usize::MAX;
    loop {
        let sent = t.sim.sent().len();
        if sent == last {
            return Ok(());
        }
        last = sent;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Polls the simulator every 20 ms until `n` messages beyond `base` were
/// sent; each new message with the time it was first seen.
async fn watch_echoes(sim: &FeishuSim, base: usize, n: usize) -> Result<Vec<(Sent, Instant)>> {
    let deadline = Instant::now() + LONG;
    let mut seen: Vec<(Sent, Instant)> = Vec::with_capacity(n);
    while seen.len() < n {
        let sent = sim.sent();
        let at = Instant::now();
        seen.extend(sent.into_iter().skip(base + seen.len()).map(|s| (s, at)));
        if Instant::now() > deadline {
            bail!("{} of {n} echoes after {LONG:?}", seen.len());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(seen)
}

/// What one run measured.
struct Figures {
    n: usize,
    good: usize,
    pushed: Duration,
    stored: Duration,
    echoed: Duration,
    bot_cpu: Duration,
    own_cpu: Duration,
    hwm_kib: Option<u64>,
    /// Push begun to echo seen, and acknowledged to echo seen, sorted.
    from_push: Vec<Duration>,
    from_ack: Vec<Duration>,
    refused: usize,
    /// API calls the simulator refused (its limits, when enforced).
    api_errors: usize,
}

fn figures(
    n: usize,
    start: Instant,
    stored: Duration,
    pushes: &[Push],
    echoes: &[(Sent, Instant)],
    (bot_cpu, own_cpu): (Duration, Duration),
    hwm_kib: Option<u64>,
) -> Figures {
    let by_parent: std::collections::HashMap<&str, Instant> = echoes
        .iter()
        .filter(|(s, _)| s.plain.starts_with("已记录"))
        .filter_map(|(s, at)| Some((s.reply_to.as_deref()?, *at)))
        .collect();
    let mut from_push = Vec::new();
    let mut from_ack = Vec::new();
    for p in pushes {
        if let Some(at) = by_parent.get(p.message_id.as_str()) {
            from_push.push(at.saturating_duration_since(p.began));
            from_ack.push(at.saturating_duration_since(p.acked));
        }
    }
    from_push.sort();
    from_ack.sort();
    let last = |f: fn(&Push) -> Instant| pushes.iter().map(f).max().unwrap_or(start);
    Figures {
        n,
        good: from_push.len(),
        pushed: last(|p| p.acked).saturating_duration_since(start),
        stored,
        echoed: echoes
            .iter()
            .map(|(_, at)| *at)
            .max()
            .unwrap_or(start)
            .saturating_duration_since(start),
        bot_cpu,
        own_cpu,
        hwm_kib,
        from_push,
        from_ack,
        refused: pushes.iter().filter(|p| p.status != Some(200)).count(),
        api_errors: 0,
    }
}

fn print(f: &Figures, o: &Options, stopped: &str) {
    let (n, secs, ms) = (
        f.n,
        |d: Duration| d.as_secs_f64(),
        |d: Duration| d.as_secs_f64() * 1000.0,
    );
    println!(
        "feishu-ingest: {n} groups, {}, `duban run` (release) as a child process taking events by {}, {}",
        o.backend.name(),
        if o.long_connection {
            "the long connection"
        } else {
            "webhook (encrypted and signed)"
        },
        if o.throttle {
            "Feishu's limits enforced by the sim, bot paced (feishu.throttle = true)"
        } else {
            "no limits in the sim, pacer off (feishu.throttle = false)"
        }
    );
    println!(
        "  delivered: the sim's last delivery acknowledged {:.2} s after the first push ({} answered other than 200)",
        secs(f.pushed),
        f.refused
    );
    println!(
        "  stored: all {n} reports committed {:.2} s after the first push: {:.0} reports/s",
        secs(f.stored),
        n as f64 / secs(f.stored)
    );
    println!(
        "  end to end: last echo seen {:.2} s after the first push: {:.0} reports/s ({}/{n} echoes correct, {} API calls refused)",
        secs(f.echoed),
        n as f64 / secs(f.echoed),
        f.good,
        f.api_errors
    );
    println!(
        "  CPU: bot {:.3} ms per report ({:.2} s user+system); simulator and benchmark {:.3} ms per report ({:.0} % of the bot's); bot's VmHWM {:.1} MiB",
        ms(f.bot_cpu) / n as f64,
        secs(f.bot_cpu),
        ms(f.own_cpu) / n as f64,
        100.0 * secs(f.own_cpu) / secs(f.bot_cpu).max(1e-9),
        f.hwm_kib.unwrap_or(0) as f64 / 1024.0
    );
    for (what, l) in [
        ("push begun", &f.from_push),
        ("delivery acknowledged", &f.from_ack),
    ] {
        println!(
            "  {what} to echo seen (20 ms polls): p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
            ms(quantile(l, 0.50).1),
            ms(quantile(l, 0.95).1),
            ms(l.last().copied().unwrap_or_default())
        );
    }
    println!("  bot stopped by SIGTERM: {stopped}");
}
