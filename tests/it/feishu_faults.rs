//! duban on Feishu when things go wrong or take a file: a rejected tenant
//! token renewed once, a rate limit waited out, a liaison outside the app's
//! availability scope mentioned in the project group instead, the bot
//! removed or the group disbanded, a pledge sheet sent privately and
//! `/export`'s workbook, a Feishu admin's role — and no secret in a log
//! line at trace level.

use std::process::{Command, Stdio};

use duban::domain::ids::{PersonRef, Platform};
use feishusim::{Fault, FeishuSim};

use crate::feishu::{Running, World, answer, ask, sent_where, setup_project, world};
use crate::helpers::{TestDb, count, dump, free_port, portfolio_rows, sh};

const SAMPLE: &[u8] = include_bytes!("../../examples/pledge-sheet.xlsx");

#[tokio::test]
async fn a_revoked_token_is_renewed_once_and_a_rate_limit_is_waited_out() {
    for db in TestDb::all().await {
        let w = world().await;
        let bot = Running::start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
        setup_project(&w).await;
        let tokens = w.sim.token_requests();
        w.sim.revoke_tokens();
        let r = ask(&w, &w.group, &w.admin, "@督办 /status").await;
        assert!(r.plain.contains("P1"), "{}", r.plain);
        assert_eq!(w.sim.token_requests(), tokens + 1, "{}", db.label);

        w.sim.fail_next(Fault::TooManyRequests { reset_secs: 1 });
        let started = std::time::Instant::now();
        let r = ask(&w, &w.group, &w.admin, "@督办 /help").await;
        assert!(!r.plain.is_empty());
        assert!(started.elapsed() >= std::time::Duration::from_millis(900));
        let limited = w.sim.errors().iter().filter(|e| e.2 == 99_991_400).count();
        assert_eq!(limited, 1, "{:?}", w.sim.errors());
        bot.stop().await;
    }
}

fn person(open_id: &str) -> PersonRef {
    PersonRef::new(Platform::Feishu, open_id)
}

/// A liaison for P1, appointed by the admin's reply to their message.
async fn appoint_liaison(w: &World) {
    let hello = w.sim.say(&w.group, &w.liaison, "大家好").await;
    let id = hello.message_id.clone().unwrap();
    let p = w
        .sim
        .reply(&w.group, &w.admin, &id, "@督办 /setliaison")
        .await;
    let r = answer(&w.sim, &p).await;
    assert!(r.plain.contains("张伟"), "{}", r.plain);
}

#[tokio::test]
async fn a_liaison_outside_the_availability_scope_is_mentioned_in_the_group() {
    for db in TestDb::all().await {
        let w = world().await;
        let bot = Running::start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
        setup_project(&w).await;
        appoint_liaison(&w).await;
        w.sim.set_in_scope(&w.liaison, false);
        // Thursday 18:00: P1 has not reported and 开工 is overdue.
        bot.clock.set(sh(2026, 11, 26, 18, 0));
        let fallback = sent_where(&w.sim, "the deadline fallback", |s| {
            s.chat_id == w.group && s.plain.contains("联络员请注意")
        })
        .await;
        assert!(fallback.mentions.contains(&w.liaison), "{fallback:#?}");
        assert!(
            fallback.plain.contains("本周周报未报送"),
            "{}",
            fallback.plain
        );
        let refused = w.sim.errors().iter().filter(|e| e.2 == 230_013).count();
        assert_eq!(refused, 1, "{:?}", w.sim.errors());
        let store = db.store().await;
        let mut conn = store.conn().await.unwrap();
        let liaison = duban::store::people::by_external(&mut conn, &person(&w.liaison))
            .await
            .unwrap()
            .unwrap();
        assert!(
            !liaison.can_dm,
            "{}: marked unreachable privately",
            db.label
        );
        assert_eq!(liaison.display_name, "张伟", "named from the contact API");
        drop(conn);
        store.close().await;
        bot.stop().await;
    }
}

#[tokio::test]
async fn a_removed_bot_or_a_disbanded_group_leaves_the_chat_inactive() {
    for db in TestDb::all().await {
        let w = world().await;
        let other = w.sim.add_group("另一个群", &[&w.admin]);
        let bot = Running::start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
        setup_project(&w).await;
        w.sim.add_bot(&other, &w.admin).await;
        sent_where(&w.sim, "a greeting", |s| s.chat_id == other).await;
        let active = "SELECT COUNT(*) FROM chats WHERE platform = 'feishu' AND active = 1 \
                      AND kind = 'group'";
        assert_eq!(count(&db, active).await, 2, "{}", db.label);
        w.sim.remove_bot(&w.group, &w.admin).await;
        w.sim.disband(&other, &w.admin).await;
        crate::helpers::eventually("both groups inactive", async || {
            count(&db, active).await == 0
        })
        .await;
        bot.stop().await;
    }
}

#[tokio::test]
async fn a_sheet_sent_privately_is_imported_and_export_answers_with_a_file() {
    for db in TestDb::all().await {
        let w = world().await;
        let bot = Running::start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
        setup_project(&w).await;
        let store = db.store().await;
        let before = portfolio_rows(&dump(&store).await);
        let p = w
            .sim
            .send_file(&w.admin, "承诺表.xlsx", SAMPLE.to_vec())
            .await;
        assert_eq!(p.status, Some(200));
        let r = sent_where(&w.sim, "the import's summary", |s| {
            s.chat_id == w.admin && s.plain.starts_with("已导入")
        })
        .await;
        assert!(r.plain.contains("项目"), "{}", r.plain);
        assert_ne!(portfolio_rows(&dump(&store).await), before, "{}", db.label);

        let asked = w.sim.say(&w.admin, &w.admin, "/export").await;
        assert_eq!(asked.status, Some(200));
        let file = sent_where(&w.sim, "the workbook", |s| {
            s.chat_id == w.admin && s.msg_type == "file"
        })
        .await;
        let bytes = w
            .sim
            .file_content(file.file_key.as_deref().unwrap())
            .unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
        store.close().await;
        bot.stop().await;
    }
}

/// `duban run` on Feishu alone, logging at trace level.
fn run_at_trace(db: &TestDb, sim: &FeishuSim, port: u16, admin: &str) -> std::process::Child {
    let c = sim.config();
    Command::new(env!("CARGO_BIN_EXE_duban"))
        .arg("run")
        .env("DUBAN__DATABASE__URL", &db.url)
        .env("DUBAN__WEB__LISTEN", "")
        .env("DUBAN__PLATFORMS", "feishu")
        .env("DUBAN__ADMINS", format!("feishu:{admin}"))
        .env("DUBAN__FEISHU__API_URL", sim.url())
        .env("DUBAN__FEISHU__APP_ID", &c.app_id)
        .env("DUBAN__FEISHU__APP_SECRET", &c.app_secret)
        .env("DUBAN__FEISHU__VERIFICATION_TOKEN", &c.verification_token)
        .env(
            "DUBAN__FEISHU__ENCRYPT_KEY",
            c.encrypt_key.as_deref().unwrap(),
        )
        .env("DUBAN__FEISHU__MODE", "webhook")
        .env(
            "DUBAN__FEISHU__WEBHOOK__LISTEN",
            format!("127.0.0.1:{port}"),
        )
        .env("RUST_LOG", "trace")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn no_feishu_secret_nor_tenant_token_is_in_a_log_line_at_trace_level() {
    let db = TestDb::sqlite();
    let w = world().await;
    let port = free_port();
    let mut child = run_at_trace(&db, &w.sim, port, &w.admin);
    // Read as it comes: at trace level the log fills a pipe's buffer long
    // before the end, and a child blocked on writing it answers nothing.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut logs = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut logs).unwrap();
        logs
    });
    crate::feishu::listening(&w.sim, port, crate::feishu::WAIT).await;
    w.sim.add_bot(&w.group, &w.admin).await;
    ask(&w, &w.group, &w.admin, "@督办 /help").await;
    // A bad signature is refused, and its log line says so without a key.
    let (status, _) = crate::helpers::http_post(
        port,
        "/feishu/events",
        &[("X-Lark-Signature", "00")],
        br#"{"encrypt":"AAAA"}"#,
    )
    .await;
    assert!(status == 400 || status == 401, "{status}");
    // The tenant token in use: asked again within its life, Feishu gives
    // the same one.
    let token = tenant_token(&w.sim).await;
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let logs = tokio::task::spawn_blocking(move || {
        child.wait().unwrap();
        reader.join().unwrap()
    })
    .await
    .unwrap();
    assert!(logs.lines().count() > 50, "trace logging was on");
    let c = w.sim.config();
    for (what, secret) in [
        ("app secret", c.app_secret.as_str()),
        ("encrypt key", c.encrypt_key.as_deref().unwrap()),
        ("verification token", c.verification_token.as_str()),
        ("tenant token", token.as_str()),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the log");
    }
}

async fn tenant_token(sim: &FeishuSim) -> String {
    let c = sim.config();
    let body = serde_json::json!({"app_id": c.app_id, "app_secret": c.app_secret}).to_string();
    let port = sim.addr().port();
    let (status, text) = crate::helpers::http_post(
        port,
        "/open-apis/auth/v3/tenant_access_token/internal",
        &[],
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["tenant_access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_bulletin_whose_answer_was_lost_is_sent_again_and_shown_once_thanks_to_its_uuid() {
    for db in TestDb::all().await {
        let w = world().await;
        w.sim.add_bot(&w.lead, &w.admin).await;
        let bot = Running::start(&db, &w, sh(2026, 11, 27, 15, 0)).await;
        setup_project(&w).await;
        // Feishu shows the bulletin, but its answer never reaches the bot:
        // the window in which a crash, too, leaves a sent message unrecorded.
        w.sim.fail_next(Fault::AnswerLost);
        bot.clock.set(sh(2026, 11, 27, 16, 0));
        sent_where(&w.sim, "the bulletin", |s| {
            s.chat_id == w.lead && s.msg_type == "post"
        })
        .await;
        let unrecorded = "SELECT COUNT(*) FROM outbox WHERE job = 'bulletin' AND sent_at IS NULL";
        crate::helpers::eventually("the bulletin's claim noted failed", async || {
            count(
                &db,
                "SELECT COUNT(*) FROM outbox WHERE job = 'bulletin' AND note <> ''",
            )
            .await
                > 0
        })
        .await;

        // After the claim's lease the ledger sends it again, under the
        // same uuid: Feishu answers with the message it already shows.
        bot.clock.set(sh(2026, 11, 27, 16, 5));
        crate::helpers::eventually("the claim completed", async || {
            count(&db, unrecorded).await == 0
        })
        .await;
        let posts: Vec<_> = w
            .sim
            .sent()
            .into_iter()
            .filter(|s| s.chat_id == w.lead && s.msg_type == "post")
            .collect();
        assert_eq!(posts.len(), 1, "{}: {posts:#?}", db.label);
        sent_where(&w.sim, "the picture, after its text", |s| {
            s.chat_id == w.lead && s.msg_type == "image"
        })
        .await;
        let lost = w.sim.errors().iter().filter(|e| e.1 == 502).count();
        assert_eq!(lost, 1, "{:?}", w.sim.errors());
        bot.stop().await;
    }
}
