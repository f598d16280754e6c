//! The bot token never reaches a log line or an error text, even at the
//! most verbose level and when requests fail (teloxide's request URLs carry
//! the token).

use std::process::{Command, Stdio};
use std::time::Duration;

use tgsim::Fault;

use crate::bot::{GROUP, MEMBER};
use crate::helpers::TestDb;

const SECRET_TOKEN: &str = "777000:AAsecret-TOKEN-never-logged";

/// A project group and its member in a simulator that knows the secret token.
async fn world() -> tgsim::BotApiSim {
    let sim = tgsim::BotApiSim::start(SECRET_TOKEN).await.unwrap();
    sim.add_user(MEMBER, "李工", None);
    sim.add_chat(GROUP, tgsim::ChatKind::Group, "项目群");
    sim
}

/// `duban run` on `db` and `sim`, logging at trace level, with `env`.
fn run_at_trace(db: &TestDb, sim: &tgsim::BotApiSim, env: &[(&str, &str)]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_duban"))
        .arg("run")
        .env("DUBAN__DATABASE__URL", &db.url)
        .env("DUBAN__WEB__LISTEN", "")
        .env("DUBAN__TELEGRAM__API_URL", sim.api_url())
        .env("TELOXIDE_TOKEN", SECRET_TOKEN)
        .env("RUST_LOG", "trace")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Stops `duban run` with SIGTERM; its log (checked to be at trace level)
/// and its standard output.
async fn stop_for_its_trace(child: std::process::Child) -> (String, String) {
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let logs = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        logs.lines().count() > 50,
        "trace logging was on: {} lines",
        logs.lines().count()
    );
    (logs, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test]
async fn the_token_is_in_no_log_line_at_trace_level() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let child = run_at_trace(&db, &sim, &[]);
    assert!(sim.wait_polling(Duration::from_secs(15)).await);
    // A failing send, then a dropped connection while polling, then a
    // normal exchange.
    sim.fail_next(
        "sendMessage",
        1,
        Fault::Status {
            code: 400,
            description: "Bad Request: chat not found".into(),
        },
    );
    sim.fail_next("getUpdates", 1, Fault::Disconnect);
    sim.push_text(GROUP, MEMBER, "/help");
    let second = sim.push_text(GROUP, MEMBER, "/help");
    sim.wait_sent(Duration::from_secs(20), |s| {
        s.reply_to == Some(second.message_id)
    })
    .await
    .expect("the second /help is answered");
    assert!(
        sim.errors()
            .iter()
            .any(|(m, code, _)| m == "sendMessage" && *code == 400),
        "the failing request happened: {:?}",
        sim.errors()
    );
    let (logs, stdout) = stop_for_its_trace(child).await;
    assert!(
        logs.contains("reply not delivered"),
        "the failure was logged"
    );
    let secret_part = SECRET_TOKEN.split_once(':').unwrap().1;
    for (i, line) in logs.lines().enumerate() {
        assert!(
            !line.contains(secret_part),
            "line {i} leaks the token: {line}"
        );
    }
    assert!(!stdout.contains(secret_part));
}

#[tokio::test]
async fn the_webhook_secret_is_in_no_log_line_at_trace_level() {
    const WEBHOOK_SECRET: &str = "webhook-Secret-never-logged_77";
    let db = TestDb::sqlite();
    let sim = world().await;
    let port = crate::helpers::free_port();
    let (listen, url) = (
        format!("127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}/telegram"),
    );
    let child = run_at_trace(
        &db,
        &sim,
        &[
            ("DUBAN__TELEGRAM__MODE", "webhook"),
            ("DUBAN__TELEGRAM__WEBHOOK__LISTEN", &listen),
            ("DUBAN__TELEGRAM__WEBHOOK__URL", &url),
            ("DUBAN__TELEGRAM__WEBHOOK__SECRET", WEBHOOK_SECRET),
        ],
    );
    // A delivery with the secret, and one with a wrong one.
    let asked = sim.push_text(GROUP, MEMBER, "/help");
    sim.wait_sent(Duration::from_secs(20), |s| {
        s.reply_to == Some(asked.message_id)
    })
    .await
    .expect("the /help delivered by webhook is answered");
    let (status, _) = crate::helpers::http_post(
        port,
        "/telegram",
        &[(
            "X-Telegram-Bot-Api-Secret-Token",
            "webhook-Secret-never-logged_78",
        )],
        b"{}",
    )
    .await;
    assert_eq!(status, 401);
    let (logs, _) = stop_for_its_trace(child).await;
    for (i, line) in logs.lines().enumerate() {
        assert!(
            !line.contains("never-logged_77") && !line.contains("never-logged_78"),
            "line {i} leaks a webhook secret: {line}"
        );
    }
}

#[tokio::test]
async fn the_web_secret_and_the_links_it_signs_are_in_no_log_line_at_trace_level() {
    const WEB_SECRET: &str = "web-Secret-never-logged_0042";
    let db = TestDb::sqlite();
    let sim = world().await;
    let port = crate::helpers::free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = run_at_trace(
        &db,
        &sim,
        &[
            ("DUBAN__WEB__LISTEN", &listen),
            ("DUBAN__WEB__SECRET", WEB_SECRET),
        ],
    );
    crate::helpers::eventually("the dashboard answers", async || {
        crate::helpers::try_http_get(port, "/style.css")
            .await
            .is_ok()
    })
    .await;
    let signer = duban::service::links::Signer::new(WEB_SECRET);
    let token = signer.sign(&duban::service::links::Grant {
        person: crate::helpers::tg_person(1001),
        scope: duban::service::links::Scope::All,
        expires: chrono::Utc::now() + chrono::Duration::days(1),
    });
    let (status, _) = crate::helpers::http_get(port, &format!("/login?t={token}")).await;
    assert_eq!(status, 303, "the link opens");
    let cookie = format!("duban_session={token}");
    let (status, _, _) = crate::helpers::http_get_with(port, "/", &[("Cookie", &cookie)]).await;
    assert_eq!(status, 200);
    let forged = format!("{}x", token);
    let (status, _) = crate::helpers::http_get(port, &format!("/login?t={forged}")).await;
    assert_eq!(status, 401);
    let (logs, stdout) = stop_for_its_trace(child).await;
    assert!(logs.contains("session opened"), "the requests were logged");
    let (claims, mac) = token.split_once('.').unwrap();
    for (i, line) in logs.lines().enumerate() {
        for secret in [WEB_SECRET, claims, mac] {
            assert!(!line.contains(secret), "line {i} leaks {secret}: {line}");
        }
    }
    assert!(!stdout.contains(mac));
}
