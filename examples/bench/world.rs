//! What the end-to-end benchmarks share: a fresh database (SQLite in a
//! temporary folder, or a PostgreSQL database created for the run and
//! dropped after), a portfolio of `n` projects each bound to its own
//! supergroup with an owner, and the simulator that knows those groups.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use duban::config::Settings;
use duban::domain::ids::{ChatKind as StoredKind, ChatRef, PersonRef, Platform};
use duban::domain::model::Role;
use duban::service::import::import_csv;
use duban::store::{Store, chats, people, projects};
use sqlx::Connection;
use tgsim::{BotApiSim, ChatKind};

use crate::portfolio;

pub const TOKEN: &str = "123456:AAbench-token";
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The supergroup of project `i` (Telegram's `-100…` form, which teloxide's
/// pacer and the simulator count as a group).
pub fn group_of(i: usize) -> i64 {
    -(1_000_000_000_000 + 1_000_000 + i as i64)
}

/// The owner who reports for project `i`.
pub fn owner_of(i: usize) -> i64 {
    2_000_000 + i as i64
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn parse(s: &str) -> Result<Backend> {
        Ok(match s {
            "sqlite" => Backend::Sqlite,
            "postgres" | "pg" | "postgresql" => Backend::Postgres,
            _ => bail!("unknown database '{s}': sqlite or postgres"),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database for one run; dropped (PostgreSQL) or deleted (SQLite) with
/// the value.
pub struct Db {
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

fn pg_admin() -> String {
    std::env::var("DUBAN_TEST_PG_URL").unwrap_or_else(|_| PG_ADMIN.to_string())
}

impl Db {
    pub async fn fresh(backend: Backend) -> Result<Db> {
        let dir = tempfile::tempdir()?;
        match backend {
            Backend::Sqlite => Ok(Db {
                url: format!("sqlite://{}", dir.path().join("duban.db").display()),
                dir,
                pg: None,
            }),
            Backend::Postgres => {
                let admin = pg_admin();
                sqlx::any::install_default_drivers();
                let mut conn = sqlx::AnyConnection::connect(&admin)
                    .await
                    .with_context(|| format!("PostgreSQL at {admin}"))?;
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                let name = format!("duban_bench_{}_{nanos}", std::process::id());
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                Ok(Db {
                    url: format!("{base}/{name}"),
                    dir,
                    pg: Some((admin.clone(), name)),
                })
            }
        }
    }

    /// Drops a PostgreSQL database (an SQLite file goes with its folder).
    pub async fn drop_db(mut self) {
        if let Some((admin, name)) = self.pg.take()
            && let Ok(mut c) = sqlx::AnyConnection::connect(&admin).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await;
        }
    }
}

/// Imports `n` projects and binds project `i` to [`group_of`]`(i)`, with
/// [`owner_of`]`(i)` as its owner: what `/bind` and `/setowner` would
/// record, without the chat round trips.
pub async fn populate(url: &str, n: usize) -> Result<()> {
    populate_with(url, n, |i| Seat {
        group: ChatRef::new(Platform::Telegram, group_of(i).to_string()),
        kind: StoredKind::Supergroup,
        owner: PersonRef::new(Platform::Telegram, owner_of(i).to_string()),
        username: Some(format!("owner{i}")),
    })
    .await
}

/// Project `i`'s group and owner, on whichever platform.
pub struct Seat {
    pub group: ChatRef,
    pub kind: StoredKind,
    pub owner: PersonRef,
    pub username: Option<String>,
}

/// Imports `n` projects and binds project `i` to `seat(i)`'s group, with
/// its owner.
pub async fn populate_with(url: &str, n: usize, seat: impl Fn(usize) -> Seat) -> Result<()> {
    let store = Store::open(url, 5).await?;
    if n == 0 {
        store.close().await;
        return Ok(());
    }
    let as_of = portfolio::sh(2026, 11, 23, 8, 0);
    let csv = portfolio::csv(n, as_of.with_timezone(&portfolio::TZ).date_naive());
    import_csv(&store, csv.as_bytes(), "bench.csv", as_of, portfolio::TZ).await?;
    let mut tx = store.begin().await?;
    let by_code: std::collections::HashMap<String, i64> = projects::active(&mut tx)
        .await?
        .into_iter()
        .map(|p| (p.code, p.id))
        .collect();
    for i in 0..n {
        let project = by_code[&portfolio::code(i)];
        let s = seat(i);
        let chat = chats::upsert(&mut tx, &s.group, s.kind, &format!("项目群{i}")).await?;
        chats::bind(&mut tx, chat.id, project).await?;
        let owner = people::upsert(
            &mut tx,
            &s.owner,
            &format!("业主{i}"),
            s.username.as_deref(),
        )
        .await?;
        people::add_role(&mut tx, project, owner.id, Role::Owner).await?;
    }
    tx.commit().await?;
    store.close().await;
    Ok(())
}

/// The schema as it was before migration 0004, for before/after figures
/// from one binary: the migration stays recorded, so nothing re-creates them.
pub async fn drop_lookup_indexes(url: &str) -> Result<()> {
    let store = Store::connect(url, 1).await?;
    for index in ["chats_project", "outbox_message"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX {index}")))
            .execute(store.pool())
            .await?;
    }
    store.close().await;
    Ok(())
}

/// The ledger of `weeks` weekly prompts already sent to every group, as
/// after half a year of use: replies to this week's prompt are looked up
/// among them.
pub async fn prompt_history(url: &str, n: usize, weeks: u32) -> Result<()> {
    let store = Store::connect(url, 1).await?;
    let mut tx = store.begin().await?;
    let first = portfolio::sh(2026, 11, 23, 9, 0);
    for w in 1..=weeks {
        let fire = first - chrono::Duration::weeks(i64::from(w));
        let period =
            duban::domain::time::ReportingWeek::of_instant(fire, portfolio::TZ).to_string();
        for i in 0..n {
            sqlx::query(
                "INSERT INTO outbox (job, period, chat_key, claimed_at, attempts, late, sent_at, message_id, owner, payload, note) \
                 VALUES ('prompt', $1, $2, $3, 1, 0, $3, $4, 'bench', '', '')",
            )
            .bind(&period)
            .bind(group_of(i).to_string())
            .bind(fire.timestamp())
            .bind(i64::from(w).to_string())
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    store.close().await;
    Ok(())
}

/// The simulator with the bot in every group and each owner a member.
pub async fn sim(n: usize) -> Result<BotApiSim> {
    let sim = BotApiSim::start(TOKEN).await?;
    sim.set_now(portfolio::sh(2026, 11, 24, 10, 0).timestamp());
    for i in 0..n {
        sim.add_user(owner_of(i), &format!("业主{i}"), Some(&format!("owner{i}")));
        sim.add_chat(group_of(i), ChatKind::Supergroup, &format!("项目群{i}"));
        sim.set_member(group_of(i), owner_of(i), "member");
    }
    Ok(sim)
}

/// The environment that points `duban run` at this database and
/// simulator, with `extra` settings after.
pub fn env(url: &str, sim: &BotApiSim, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![
        ("DUBAN__DATABASE__URL".into(), url.into()),
        ("DUBAN__WEB__LISTEN".into(), String::new()),
        ("DUBAN__TELEGRAM__API_URL".into(), sim.api_url()),
        ("DUBAN__TELEGRAM__TOKEN".into(), TOKEN.into()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

/// The bot's settings for this database and simulator, as `duban run`
/// reads them from [`env`].
pub fn settings(url: &str, sim: &BotApiSim, extra: &[(&str, &str)]) -> Result<Settings> {
    let empty = tempfile::NamedTempFile::new()?;
    Ok(Settings::load_from(
        Some(empty.path()),
        &env(url, sim, extra),
    )?)
}

/// Polls `sql` (a count) until it reaches `n`; the time it took.
pub async fn wait_count(
    store: &Store,
    sql: &'static str,
    n: i64,
    limit: Duration,
) -> Result<Duration> {
    let start = tokio::time::Instant::now();
    loop {
        let got: i64 = sqlx::query_scalar(sql).fetch_one(store.pool()).await?;
        if got >= n {
            return Ok(start.elapsed());
        }
        if start.elapsed() > limit {
            bail!("{sql}: {got} of {n} after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
