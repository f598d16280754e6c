//! Webhook mode from outside: the simulator POSTs updates to the bot as
//! Telegram does (with the secret header, again until a 2xx), the bot
//! answers 200 only once an update is stored, refuses what is not
//! Telegram's, and deletes the webhook when it goes back to polling.

use std::sync::Arc;

use duban::config::Settings;
use tgsim::BotApiSim;

use crate::bot::{ADMIN, GROUP, Running, ask, reply_to, settings_for, world};
use crate::helpers::{TestDb, count, eventually, free_port, http_post, sh};

const SECRET: &str = "hook-Secret_42";

fn webhook_settings(db: &TestDb, sim: &BotApiSim, port: u16) -> Settings {
    let listen = format!("127.0.0.1:{port}");
    let url = format!("http://127.0.0.1:{port}/telegram");
    settings_for(
        db,
        sim,
        &[
            ("DUBAN__TELEGRAM__MODE", "webhook"),
            ("DUBAN__TELEGRAM__WEBHOOK__LISTEN", &listen),
            ("DUBAN__TELEGRAM__WEBHOOK__URL", &url),
            ("DUBAN__TELEGRAM__WEBHOOK__MAX_CONNECTIONS", "8"),
            ("DUBAN__TELEGRAM__WEBHOOK__SECRET", SECRET),
        ],
    )
}

/// Starts the bot in webhook mode and waits for it to set the webhook.
async fn start_webhook(sim: &BotApiSim, settings: Settings) -> Running {
    let bot = Running::launch(settings, sh(2026, 11, 24, 10, 0), Arc::default());
    eventually("the webhook is set", async || {
        sim.webhook_info()["url"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
    })
    .await;
    bot
}

async fn inbox_rows(db: &TestDb) -> i64 {
    count(db, "SELECT COUNT(*) FROM inbox").await
}

#[tokio::test]
async fn updates_arrive_by_webhook_are_delivered_again_while_the_bot_is_down_and_polling_deletes_the_webhook()
 {
    for db in TestDb::all().await {
        let sim = world().await;
        let port = free_port();
        let bot = start_webhook(&sim, webhook_settings(&db, &sim, port)).await;
        let info = sim.webhook_info();
        assert_eq!(
            info["url"],
            format!("http://127.0.0.1:{port}/telegram"),
            "{}",
            db.label
        );
        assert_eq!(info["max_connections"], 8);
        let setting = sim
            .requests()
            .into_iter()
            .find(|(m, _)| m == "setWebhook")
            .expect("setWebhook was called")
            .1;
        assert_eq!(setting["secret_token"], SECRET);
        // Sent as the form field's JSON text.
        let allowed: serde_json::Value = match &setting["allowed_updates"] {
            serde_json::Value::String(s) => serde_json::from_str(s).unwrap(),
            v => v.clone(),
        };
        assert_eq!(
            allowed,
            serde_json::json!(["message", "edited_message", "my_chat_member"])
        );

        let r = ask(&sim, GROUP, ADMIN, "/newproject P1 新能源电池项目").await;
        assert!(r.text.contains("已新建项目 P1"), "{}: {}", db.label, r.text);
        assert_eq!(sim.webhook_deliveries().len(), 1);
        assert_eq!(sim.webhook_info()["pending_update_count"], 0);

        // Down: Telegram keeps the update and tries again until a 2xx.
        bot.stop().await;
        let asked = sim.push_text(GROUP, ADMIN, "/status");
        eventually("a delivery fails", async || {
            sim.webhook_info()["last_error_message"]
                .as_str()
                .is_some_and(|m| m.contains("Connection refused"))
        })
        .await;
        assert_eq!(sim.webhook_info()["pending_update_count"], 1);
        let bot = start_webhook(&sim, webhook_settings(&db, &sim, port)).await;
        reply_to(&sim, GROUP, asked.message_id).await;
        assert_eq!(sim.webhook_info()["pending_update_count"], 0);
        bot.stop().await;

        // Back to polling: the webhook is deleted, and updates are polled.
        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 11, 24, 11, 0)).await;
        assert_eq!(sim.webhook_info()["url"], "", "{}", db.label);
        let r = ask(&sim, GROUP, ADMIN, "/status").await;
        assert!(r.text.contains("P1"), "{}: {}", db.label, r.text);
        bot.stop().await;
        assert_eq!(
            inbox_rows(&db).await,
            3,
            "{}: each update stored once",
            db.label
        );
    }
}

#[tokio::test]
async fn a_webhook_request_without_the_secret_or_with_a_bad_or_oversized_body_is_refused_and_stores_nothing()
 {
    let db = TestDb::sqlite();
    let sim = world().await;
    let port = free_port();
    let bot = start_webhook(&sim, webhook_settings(&db, &sim, port)).await;
    let update = serde_json::json!({
        "update_id": 5,
        "message": {
            "message_id": 1, "date": 1_764_000_000,
            "chat": {"id": GROUP, "type": "group", "title": "项目群"},
            "from": {"id": ADMIN, "is_bot": false, "first_name": "管理员"},
            "text": "/help"
        }
    })
    .to_string();
    let secret = ("X-Telegram-Bot-Api-Secret-Token", SECRET);
    let wrong = ("X-Telegram-Bot-Api-Secret-Token", "hook-Secret_43");
    let big = format!("{{\"update_id\": 6, \"pad\": \"{}\"}}", "x".repeat(1 << 20));
    for (what, headers, body, code) in [
        ("no secret", vec![], update.as_bytes(), 401),
        ("a wrong secret", vec![wrong], update.as_bytes(), 401),
        (
            "a body that is not JSON",
            vec![secret],
            b"{not json".as_slice(),
            400,
        ),
        (
            "JSON that is not an update",
            vec![secret],
            b"{\"hello\": 1}".as_slice(),
            400,
        ),
        ("a body over 1 MB", vec![secret], big.as_bytes(), 413),
    ] {
        let (status, _) = http_post(port, "/telegram", &headers, body).await;
        assert_eq!(status, code, "{what}");
        assert_eq!(inbox_rows(&db).await, 0, "{what}: nothing stored");
    }
    let (status, _) = http_post(port, "/elsewhere", &[secret], update.as_bytes()).await;
    assert_eq!(status, 404, "only the webhook URL's path is served");

    // The right secret and an update: stored, then answered.
    let (status, _) = http_post(port, "/telegram", &[secret], update.as_bytes()).await;
    assert_eq!(status, 200);
    assert_eq!(inbox_rows(&db).await, 1);
    // Delivered twice (Telegram's retry after a lost answer): stored once.
    let (status, _) = http_post(port, "/telegram", &[secret], update.as_bytes()).await;
    assert_eq!(status, 200);
    assert_eq!(inbox_rows(&db).await, 1);
    bot.stop().await;
}

#[test]
fn webhook_mode_without_a_secret_or_a_url_is_refused_with_its_key() {
    let empty = tempfile::NamedTempFile::new().unwrap();
    let base = [
        ("DUBAN__TELEGRAM__MODE", "webhook"),
        (
            "DUBAN__TELEGRAM__WEBHOOK__URL",
            "https://bot.example.org/telegram",
        ),
    ];
    let load = |extra: &[(&str, &str)]| {
        let env: Vec<(String, String)> = base
            .iter()
            .chain(extra)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        duban::config::Settings::load_from(Some(empty.path()), &env)
    };
    let e = load(&[]).unwrap_err().to_string();
    assert!(e.contains("telegram.webhook.secret"), "{e}");
    let e = load(&[("DUBAN__TELEGRAM__WEBHOOK__SECRET", "has space")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("telegram.webhook.secret"), "{e}");
    let e = load(&[
        ("DUBAN__TELEGRAM__WEBHOOK__SECRET", SECRET),
        ("DUBAN__TELEGRAM__WEBHOOK__URL", "bot.example.org"),
    ])
    .unwrap_err()
    .to_string();
    assert!(e.contains("telegram.webhook.url"), "{e}");
    let e = load(&[
        ("DUBAN__TELEGRAM__WEBHOOK__SECRET", SECRET),
        ("DUBAN__TELEGRAM__MODE", "carrier-pigeon"),
    ])
    .unwrap_err()
    .to_string();
    assert!(e.contains("telegram.mode"), "{e}");
    let s = load(&[("DUBAN__TELEGRAM__WEBHOOK__SECRET", SECRET)]).unwrap();
    assert!(
        !format!("{s:?}").contains(SECRET),
        "the secret is never printed"
    );
}
