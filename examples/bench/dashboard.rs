//! Benchmark 7: the dashboard of `duban run` (release) for N projects on
//! SQLite: each page's time over loopback (request written to last byte
//! read, so server time plus a loopback round trip), its size, and the
//! process's memory with the dashboard on.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use duban::service::links::{Grant, Scope, Signer};
use sqlx::Connection;
use tgsim::BotApiSim;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::world::{self, Backend, Db};
use crate::{child, portfolio};

const SECRET: &str = "bench-dashboard-secret-0123456789";
const RUNS: usize = 15;
const CHANGED_RUNS: usize = 7;

/// A write as a report makes (retired at once, so each run's is the same).
const REPORT: &str = "INSERT INTO reports (project_id, week, submitted_at, submitted_by, current, raw) \
     VALUES (1, '2026-W48', 0, 'bench', 0, 'bench')";
/// Each project's report of the bulletin's week.
const WEEK_REPORTS: &str = "INSERT INTO reports (project_id, week, submitted_at, submitted_by, progress, \
     invested_week, invested_total, this_week, next_week, raw) \
     SELECT id, '2026-W48', 1764230400, 'bench', 50, 1000000, 30000000, '主体结构施工', '设备进场', 'bench' FROM projects";
/// A write as a revised pledge makes.
const PLEDGE: &str = "UPDATE milestones SET position = position WHERE id = 1";

/// `runs` GETs of `path`, each after a write through `writer` if given;
/// their times, sorted, and the body's size.
async fn timed(
    port: u16,
    path: &str,
    token: &str,
    runs: usize,
    mut writer: Option<(&mut sqlx::AnyConnection, &'static str)>,
) -> Result<(Vec<Duration>, usize)> {
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        if let Some((w, sql)) = writer.as_mut() {
            sqlx::query(*sql).execute(&mut **w).await?;
        }
        let (took, status, body) = get(port, path, token).await?;
        if status != 200 {
            bail!("{path}: status {status}");
        }
        times.push(took);
        size = body;
    }
    times.sort();
    Ok((times, size))
}

/// One GET with the session cookie: the time to the last byte, the status
/// and the body's length.
async fn get(port: u16, path: &str, token: &str) -> Result<(Duration, u16, usize)> {
    let start = Instant::now();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: duban_session={token}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let took = start.elapsed();
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map_or(0, |(_, b)| b.len());
    Ok((took, status, body))
}

pub async fn run(n: usize) -> Result<()> {
    let db = Db::fresh(Backend::Sqlite).await?;
    world::populate(&db.url, n).await?;
    // Every project's report of the week in, so the pages (and a re-read
    // of the week's reports) carry them as on a Friday.
    let mut conn = sqlx::AnyConnection::connect(&db.url).await?;
    sqlx::query(WEEK_REPORTS).execute(&mut conn).await?;
    conn.close().await?;
    let sim = BotApiSim::start(world::TOKEN).await?;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let listen = format!("127.0.0.1:{port}");
    let env = world::env(
        &db.url,
        &sim,
        &[
            ("DUBAN__WEB__LISTEN", &listen),
            ("DUBAN__WEB__SECRET", SECRET),
        ],
    );
    let now = portfolio::bulletin_time().to_rfc3339();
    let bot = child::Bot::start(db.dir.path(), &env, Some(&now))?;
    let pid = bot.pid();
    if !sim.wait_polling(Duration::from_secs(120)).await {
        let log = bot.log();
        bot.kill().await?;
        bail!("duban run never polled; its log:\n{log}");
    }
    let token = Signer::new(SECRET).sign(&Grant {
        person: "telegram:1".parse().context("a person")?,
        scope: Scope::All,
        // Far off: the bot's clock is the bench's fixed instant.
        expires: Utc::now() + chrono::Duration::days(3650),
    });
    let rss_before = child::status_kib(pid, "VmRSS:").unwrap_or(0);
    println!(
        "dashboard: `duban run` (release) with {n} projects on SQLite; {RUNS} GETs a page, one at a time"
    );
    let code = portfolio::code(n / 2);
    let mut writer = sqlx::AnyConnection::connect(&db.url).await?;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for path in ["/", "/late", &format!("/projects/{code}")] {
        // Kept: nothing changed since the last page read the portfolio.
        get(port, path, &token).await?;
        let (kept, size) = timed(port, path, &token, RUNS, None).await?;
        // A report before each GET (one retired at once, so the portfolio
        // stays the same): the week's reports are read again.
        let report = Some((&mut writer, REPORT));
        let (reported, _) = timed(port, path, &token, CHANGED_RUNS, report).await?;
        // A pledge moved before each GET: the whole portfolio is read again.
        let pledge = Some((&mut writer, PLEDGE));
        let (pledged, _) = timed(port, path, &token, CHANGED_RUNS, pledge).await?;
        let figures = |t: &[Duration]| {
            format!(
                "median {:.1} ms (min {:.1}, max {:.1})",
                ms(t[t.len() / 2]),
                ms(t[0]),
                ms(t[t.len() - 1])
            )
        };
        println!(
            "  {path:<22} {:.0} KiB of HTML\n    kept: {}\n    after a report: {}\n    after a pledge: {}",
            size as f64 / 1024.0,
            figures(&kept),
            figures(&reported),
            figures(&pledged),
        );
    }
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "  VmRSS before the pages {:.1} MiB, after {:.1} MiB; VmHWM (peak since start) {:.1} MiB",
        mib(rss_before),
        mib(child::status_kib(pid, "VmRSS:").unwrap_or(0)),
        mib(child::status_kib(pid, "VmHWM:").unwrap_or(0)),
    );
    bot.stop().await?;
    sim.shutdown().await;
    Ok(())
}
