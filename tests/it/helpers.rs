//! Fresh databases for tests: an SQLite file in a temporary folder always,
//! and a freshly created PostgreSQL database when one is reachable at
//! `DUBAN_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use duban::config::Settings;
use duban::store::Store;
use sqlx::{Connection, Row};

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn pg_admin_url() -> String {
    std::env::var("DUBAN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_string())
}

/// A database that lives as long as the value: a temp folder for SQLite, a
/// created-and-dropped database for PostgreSQL.
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("duban.db").display());
        TestDb {
            url,
            label: "sqlite",
            _dir: Some(dir),
            pg_name: None,
        }
    }

    /// `None`, with a printed notice, when no PostgreSQL answers.
    pub async fn postgres() -> Option<TestDb> {
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = pg_admin_url();
        sqlx::any::install_default_drivers();
        let connect = sqlx::AnyConnection::connect(&admin);
        let mut conn = match tokio::time::timeout(Duration::from_secs(5), connect).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                eprintln!(
                    "NOTICE: PostgreSQL at {admin} unreachable ({e}); PostgreSQL half of this test skipped"
                );
                return None;
            }
            Err(_) => {
                eprintln!(
                    "NOTICE: PostgreSQL at {admin} timed out; PostgreSQL half of this test skipped"
                );
                return None;
            }
        };
        let name = format!(
            "duban_t_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_subsec_nanos()
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(TestDb {
            url: format!("{base}/{name}"),
            label: "postgres",
            _dir: None,
            pg_name: Some(name),
        })
    }

    /// SQLite, then PostgreSQL when reachable.
    pub async fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        v.extend(TestDb::postgres().await);
        v
    }

    pub async fn store(&self) -> Store {
        Store::open(&self.url, 4).await.expect("open store")
    }

    pub fn settings(&self) -> Settings {
        let empty = tempfile::NamedTempFile::new().unwrap();
        let env = vec![
            ("DUBAN__DATABASE__URL".to_string(), self.url.clone()),
            ("DUBAN__WEB__LISTEN".to_string(), String::new()),
        ];
        Settings::load_from(Some(empty.path()), &env).expect("settings")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = pg_admin_url();
        // Drop runs inside a test's runtime; a fresh thread may block.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = sqlx::AnyConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                }
            });
        })
        .join();
    }
}

/// Every row of every table, as text, in a stable order: two equal dumps
/// mean nothing was written.
pub async fn dump(store: &Store) -> Vec<String> {
    let tables = [
        "projects",
        "milestones",
        "pledge_revisions",
        "reports",
        "report_milestones",
        "problems",
        "people",
        "project_roles",
        "chats",
        "outbox",
    ];
    let mut out = Vec::new();
    for t in tables {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM {t} ORDER BY 1, 2"
        )))
        .fetch_all(store.pool())
        .await
        .unwrap();
        for row in rows {
            let cells: Vec<String> = (0..row.len())
                .map(|i| {
                    row.try_get::<Option<i64>, _>(i)
                        .map(|v| format!("{v:?}"))
                        .or_else(|_| {
                            row.try_get::<Option<String>, _>(i)
                                .map(|v| format!("{v:?}"))
                        })
                        .unwrap_or_else(|e| format!("<{e}>"))
                })
                .collect();
            out.push(format!("{t}: {}", cells.join(" | ")));
        }
    }
    out
}

/// A dump without the rows every message touches (who wrote, in which
/// chat): what a refused message must leave unchanged.
pub fn portfolio_rows(dump: &[String]) -> Vec<String> {
    dump.iter()
        .filter(|l| !l.starts_with("people") && !l.starts_with("chats"))
        .cloned()
        .collect()
}

/// A wall-clock time in Shanghai, as the tests' fixed clock.
pub fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

pub const EXAMPLE_CSV: &str = include_str!("../../examples/portfolio.csv");

/// The example with P2026-003's start pledge moved from 10-15 to 11-10.
pub fn revised_csv() -> String {
    let revised = EXAMPLE_CSV.replace(
        "P2026-003,生物医药研发中心,某生物医药公司,落地,8000万,开工,2026-10-15",
        "P2026-003,生物医药研发中心,某生物医药公司,落地,8000万,开工,2026-11-10",
    );
    assert_ne!(revised, EXAMPLE_CSV);
    revised
}

/// Binds project `code` to group `group`, in the simulator and in the
/// store, as `/bind` would (without the chat round trip); the project's id.
pub async fn bind_group(
    tx: &mut duban::store::Conn,
    sim: &tgsim::BotApiSim,
    group: i64,
    kind: tgsim::ChatKind,
    code: &str,
) -> i64 {
    use duban::domain::ids::ChatKind;
    use duban::store::{chats, projects};
    let kind_name = match kind {
        tgsim::ChatKind::Supergroup => ChatKind::Supergroup,
        _ => ChatKind::Group,
    };
    sim.add_chat(group, kind, &format!("{code}群"));
    let chat = chats::upsert(tx, &tg_chat(group), kind_name, "g")
        .await
        .unwrap();
    let p = projects::by_code(tx, code).await.unwrap().unwrap();
    chats::bind(tx, chat.id, p.id).await.unwrap();
    p.id
}

/// A Telegram chat, as the bot's adapter would hand it to the core.
pub fn tg_chat(id: impl ToString) -> duban::domain::ids::ChatRef {
    duban::domain::ids::ChatRef::new(duban::domain::ids::Platform::Telegram, id.to_string())
}

/// A Telegram account, as the bot's adapter would hand it to the core.
pub fn tg_person(id: impl ToString) -> duban::domain::ids::PersonRef {
    duban::domain::ids::PersonRef::new(duban::domain::ids::Platform::Telegram, id.to_string())
}

/// The `duban` binary run from outside in `dir`, on `db`'s database.
pub fn duban(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_duban"))
        .args(args)
        .current_dir(dir)
        .env("DUBAN__DATABASE__URL", &db.url)
        .env("DUBAN__WEB__LISTEN", "")
        .env_remove("RUST_LOG")
        .output()
        .expect("run duban")
}

/// A port nobody listens on now (the OS's choice, released at once).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `GET path`: the status code and the body.
pub async fn http_get(port: u16, path: &str) -> (u16, String) {
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    http(port, req.as_bytes()).await
}

/// `POST path` with extra header lines and a body: the status and the body.
pub async fn http_post(
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut raw = req.into_bytes();
    raw.extend_from_slice(body);
    http(port, &raw).await
}

/// One request on a fresh connection; the status code and the body.
async fn http(port: u16, request: &[u8]) -> (u16, String) {
    try_http(port, request).await.expect("the endpoint answers")
}

/// `GET path`, or the error when nothing answers (a port of an instance
/// that is starting or dying).
pub async fn try_http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    try_http(port, req.as_bytes()).await
}

async fn try_http(port: u16, request: &[u8]) -> std::io::Result<(u16, String)> {
    let (status, _, body) = try_http_whole(port, request).await?;
    Ok((status, body))
}

/// `GET path` with extra header lines: the status, the header block and
/// the body (as lossy UTF-8).
pub async fn http_get_with(
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    try_http_whole(port, req.as_bytes())
        .await
        .expect("the endpoint answers")
}

async fn try_http_whole(port: u16, request: &[u8]) -> std::io::Result<(u16, String, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    // A server may answer (413) before it has read the whole body.
    if let Err(e) = s.write_all(request).await
        && !matches!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        )
    {
        return Err(e);
    }
    let mut bytes = Vec::new();
    // What was read before a reset (the server closing on an unread body)
    // is kept, and is the answer.
    if let Err(e) = s.read_to_end(&mut bytes).await
        && (e.kind() != std::io::ErrorKind::ConnectionReset || bytes.is_empty())
    {
        return Err(e);
    }
    let raw = String::from_utf8_lossy(&bytes);
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    Ok((status, head.to_string(), body.to_string()))
}

/// One number the database answers `sql` with (a count, a maximum).
pub async fn count(db: &TestDb, sql: &'static str) -> i64 {
    let store = db.store().await;
    let n: i64 = sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap();
    store.close().await;
    n
}

/// Waits up to 15 s for `cond`, looking every 20 ms; fails naming `what`.
pub async fn eventually(what: &str, cond: impl AsyncFn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !cond().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
