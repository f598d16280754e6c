//! The operations endpoints from outside, over HTTP on 127.0.0.1: health,
//! readiness (with Telegram gone), and the Prometheus text.

use std::time::{Duration, Instant};

use tgsim::Fault;

use crate::bot::{ADMIN, GROUP, Running, ask, settings_for, world};
use crate::helpers::{TestDb, free_port, http_get as get, sh};

/// The value of an unlabelled sample in Prometheus text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn health_readiness_and_metrics_are_served_on_ops_listen() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let settings = settings_for(&db, &sim, &[("DUBAN__OPS__LISTEN", &listen)]);
    let bot = Running::start_with(&sim, settings, sh(2026, 11, 24, 10, 0)).await;

    assert_eq!(get(port, "/healthz").await, (200, "ok\n".to_string()));
    let (code, body) = get(port, "/readyz").await;
    assert_eq!(code, 200, "{body}");
    assert!(body.starts_with("ready\n"), "{body}");
    assert!(
        body.contains("database: ok") && body.contains("telegram: ok"),
        "{body}"
    );
    assert!(body.contains("role: poller"), "{body}");

    ask(&sim, GROUP, ADMIN, "/help").await;
    sim.fail_next("sendMessage", 1, Fault::TooManyRequests { retry_after: 1 });
    ask(&sim, GROUP, ADMIN, "/newproject P1 新能源电池项目").await;
    let (code, text) = get(port, "/metrics").await;
    assert_eq!(code, 200);
    assert!(
        sample(&text, "duban_updates_received_total") >= Some(2.0),
        "{text}"
    );
    assert!(
        sample(&text, "duban_updates_handled_total") >= Some(2.0),
        "{text}"
    );
    assert_eq!(sample(&text, "duban_inbox_unhandled"), Some(0.0), "{text}");
    assert_eq!(
        sample(&text, "duban_outbox_claims_pending"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(sample(&text, "duban_telegram_up"), Some(1.0), "{text}");
    assert!(
        text.contains("duban_messages_sent_total{job=\"reply\"}"),
        "{text}"
    );
    assert!(
        text.contains("# HELP duban_updates_handled_total"),
        "{text}"
    );
    assert!(
        !text.contains(crate::bot::TOKEN),
        "no secret in the metrics"
    );

    // A job run a minute after its time reports its lag.
    bot.clock.set(sh(2026, 11, 25, 9, 1));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, text) = get(port, "/metrics").await;
        if text.contains("duban_job_lag_seconds{job=\"nudge\"}") {
            break;
        }
        assert!(Instant::now() < deadline, "no job lag: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Telegram gone: not ready, and the page says which part is missing.
    sim.shutdown().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let body = loop {
        let (code, body) = get(port, "/readyz").await;
        if code == 503 {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "still ready without Telegram: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        body.contains("telegram: unreachable") && body.contains("database: ok"),
        "{body}"
    );
    bot.stop().await;
}

#[test]
fn an_ops_listen_that_is_not_ip_and_port_is_refused_with_its_key() {
    let empty = tempfile::NamedTempFile::new().unwrap();
    let env = vec![("DUBAN__OPS__LISTEN".to_string(), "localhost".to_string())];
    let e = duban::config::Settings::load_from(Some(empty.path()), &env).unwrap_err();
    assert!(e.to_string().contains("ops.listen"), "{e}");
}

#[tokio::test]
async fn sigterm_finishes_what_is_in_hand_and_exits_zero_within_shutdown_secs() {
    use std::process::{Command, Stdio};
    let db = TestDb::sqlite();
    let sim = world().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_duban"))
        .arg("run")
        .env("DUBAN__DATABASE__URL", &db.url)
        .env("DUBAN__WEB__LISTEN", "")
        .env("DUBAN__TELEGRAM__API_URL", sim.api_url())
        .env("TELOXIDE_TOKEN", crate::bot::TOKEN)
        .env("DUBAN__ADMINS", ADMIN.to_string())
        .env("DUBAN__SHUTDOWN_SECS", "5")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn duban run");
    assert!(sim.wait_polling(Duration::from_secs(15)).await);
    let asked = sim.push_text(GROUP, ADMIN, "/newproject P1 新能源电池项目");
    crate::bot::reply_to(&sim, GROUP, asked.message_id).await;
    let stopping = Instant::now();
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut logs = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
        (status, logs)
    })
    .await
    .unwrap();
    let (status, logs) = status;
    assert_eq!(status.code(), Some(0), "{logs}");
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "stopped in {:?}",
        stopping.elapsed()
    );
    assert!(
        logs.contains("stopping; finishing what is in hand"),
        "{logs}"
    );
    let store = db.store().await;
    let mut conn = store.conn().await.unwrap();
    let unhandled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(unhandled, 0, "the update in hand was finished");
}
