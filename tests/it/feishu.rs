//! duban on Feishu end to end: the real adapter over HTTP to `feishusim` on
//! 127.0.0.1, events POSTed to its webhook encrypted and signed, a fresh
//! database (SQLite, and PostgreSQL when reachable), a clock the test sets.

use std::sync::Arc;
use std::time::Duration;

use duban::clock::ManualClock;
use duban::config::Settings;
use feishusim::{Config, FeishuSim, Pushed, Sent};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::helpers::{TestDb, count, free_port, sh};

pub const WAIT: Duration = Duration::from_secs(15);

/// The people and chats every Feishu test starts from.
pub struct World {
    pub sim: FeishuSim,
    pub admin: String,
    pub owner: String,
    pub liaison: String,
    pub group: String,
    pub lead: String,
}

pub async fn world() -> World {
    let sim = FeishuSim::start(Config::default()).await.expect("sim");
    let admin = sim.add_user("管理员");
    let owner = sim.add_user("王业主");
    let liaison = sim.add_user("张伟");
    let group = sim.add_group("新能源项目群", &[&admin, &owner, &liaison]);
    let lead = sim.add_group("领导群", &[&admin]);
    World {
        sim,
        admin,
        owner,
        liaison,
        group,
        lead,
    }
}

/// The simulator's app as the bot's settings see it: its API, id and
/// secrets, its events by webhook on `port`.
pub fn app_env(sim: &FeishuSim, port: u16) -> Vec<(String, String)> {
    let c = sim.config();
    let mut env: Vec<(String, String)> = vec![
        ("DUBAN__FEISHU__API_URL".into(), sim.url()),
        ("DUBAN__FEISHU__APP_ID".into(), c.app_id.clone()),
        ("DUBAN__FEISHU__APP_SECRET".into(), c.app_secret.clone()),
        (
            "DUBAN__FEISHU__VERIFICATION_TOKEN".into(),
            c.verification_token.clone(),
        ),
        ("DUBAN__FEISHU__MODE".into(), "webhook".into()),
        (
            "DUBAN__FEISHU__WEBHOOK__LISTEN".into(),
            format!("127.0.0.1:{port}"),
        ),
    ];
    if let Some(key) = &c.encrypt_key {
        env.push(("DUBAN__FEISHU__ENCRYPT_KEY".into(), key.clone()));
    }
    env
}

/// Settings for a bot on Feishu alone, taking events on `port`.
pub fn settings_for(db: &TestDb, w: &World, port: u16, extra: &[(&str, &str)]) -> Settings {
    let empty = tempfile::NamedTempFile::new().unwrap();
    let mut env: Vec<(String, String)> = vec![
        ("DUBAN__DATABASE__URL".into(), db.url.clone()),
        ("DUBAN__WEB__LISTEN".into(), String::new()),
        ("DUBAN__PLATFORMS".into(), "feishu".into()),
        ("DUBAN__ADMINS".into(), format!("feishu:{}", w.admin)),
        ("DUBAN__LIAISONS".into(), format!("feishu:{}", w.liaison)),
        (
            "DUBAN__LEADERSHIP_CHATS".into(),
            format!("feishu:{}", w.lead),
        ),
    ];
    env.extend(app_env(&w.sim, port));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load_from(Some(empty.path()), &env).expect("settings")
}

/// The bot running in this process on a manual clock, its webhook verified
/// by the simulator and set as where events go.
pub struct Running {
    pub clock: ManualClock,
    pub stop: watch::Sender<bool>,
    pub task: JoinHandle<Result<(), duban::bot::BotError>>,
}

impl Running {
    pub async fn start(db: &TestDb, w: &World, now: chrono::DateTime<chrono::Utc>) -> Running {
        let port = free_port();
        Self::start_with(w, settings_for(db, w, port, &[]), port, now).await
    }

    pub async fn start_with(
        w: &World,
        settings: Settings,
        port: u16,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Running {
        let running = Self::launch(settings, now);
        listening(&w.sim, port, WAIT).await;
        assert!(!running.task.is_finished(), "the bot stopped at start");
        running
    }

    /// Starts the bot in this process, without waiting for it.
    pub fn launch(settings: Settings, now: chrono::DateTime<chrono::Utc>) -> Running {
        let clock = ManualClock::new(now);
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(duban::app::run_with(
            settings,
            Arc::new(clock.clone()),
            shutdown,
            Arc::default(),
        ));
        Running { clock, stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let r = tokio::time::timeout(WAIT, self.task)
            .await
            .expect("bot stops in time");
        r.expect("bot task").expect("bot ran cleanly");
    }
}

/// Waits for a message the bot sent that `pick` accepts.
pub async fn sent_where(sim: &FeishuSim, what: &str, pick: impl Fn(&Sent) -> bool) -> Sent {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(s) = sim.sent().into_iter().find(|s| pick(s)) {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never sent: {what}; sent: {:#?}",
            sim.sent()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The bot's answer to a pushed message (a reply to it).
pub async fn answer(sim: &FeishuSim, p: &Pushed) -> Sent {
    let id = p.message_id.clone().expect("a message was pushed");
    assert_eq!(p.status, Some(200), "the webhook took {p:?}");
    sent_where(sim, &format!("a reply to {id}"), |s| {
        s.reply_to.as_deref() == Some(id.as_str())
    })
    .await
}

/// A message from `from` in `chat`, and the bot's answer to it.
pub async fn ask(w: &World, chat: &str, from: &str, text: &str) -> Sent {
    let p = w.sim.say(chat, from, text).await;
    answer(&w.sim, &p).await
}

/// The bot joins the project group, the admin creates P1 and pledges two
/// milestones; the pledge's answer, which the owner replies to.
pub async fn setup_project(w: &World) -> Sent {
    w.sim.add_bot(&w.group, &w.admin).await;
    let greeting = sent_where(&w.sim, "a greeting", |s| s.chat_id == w.group).await;
    assert!(greeting.plain.contains("/bind"), "{}", greeting.plain);
    let r = ask(w, &w.group, &w.admin, "@督办 /newproject P1 新能源电池项目").await;
    assert!(
        r.plain.contains("已新建项目 P1 新能源电池项目"),
        "{}",
        r.plain
    );
    let r = ask(
        w,
        &w.group,
        &w.admin,
        "@督办 /pledge\n开工 2026-11-20\n竣工 2027-06-30",
    )
    .await;
    assert!(r.plain.contains("开工 2026-11-20（新增）"), "{}", r.plain);
    r
}

/// The owner's report, @ the bot, as the tests send it.
pub const REPORT: &str =
    "@督办 进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n完成节点: 开工 2026-11-23";

#[tokio::test]
async fn a_project_is_set_up_reported_by_reply_and_a_redelivery_changes_nothing() {
    for db in TestDb::all().await {
        let w = world().await;
        let bot = Running::start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
        let pledged = setup_project(&w).await;
        let p = w
            .sim
            .reply(&w.group, &w.owner, &pledged.message_id, REPORT)
            .await;
        let echo = answer(&w.sim, &p).await;
        assert!(
            echo.plain
                .starts_with("已记录 P1 新能源电池项目 2026-W48 周报"),
            "{}: {}",
            db.label,
            echo.plain
        );
        // Feishu delivers at least once: the same event again is stored
        // once, handled once, answered once.
        let before = w.sim.sent().len();
        let again = w.sim.redeliver(&p.event_id).await;
        assert_eq!(again.status, Some(200));
        let status = ask(&w, &w.group, &w.owner, "@督办 /status").await;
        assert!(status.plain.contains("进度：65%"), "{}", status.plain);
        assert_eq!(w.sim.sent().len(), before + 1, "{:#?}", w.sim.sent());
        assert_eq!(count(&db, "SELECT COUNT(*) FROM reports").await, 1);
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM platform_events WHERE handled_at IS NOT NULL"
            )
            .await,
            count(&db, "SELECT COUNT(*) FROM platform_events").await
        );
        // The owner is a Feishu person, recorded with the platform.
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM people WHERE platform = 'feishu' AND external_id LIKE 'ou_%'"
            )
            .await,
            2
        );
        bot.stop().await;
    }
}

#[tokio::test]
async fn the_bulletin_reaches_a_feishu_leadership_group_with_its_picture_once() {
    for db in TestDb::all().await {
        let w = world().await;
        w.sim.add_bot(&w.lead, &w.admin).await;
        let bot = Running::start(&db, &w, sh(2026, 11, 26, 19, 0)).await;
        setup_project(&w).await;
        bot.clock.set(sh(2026, 11, 27, 16, 0));
        let picture = sent_where(&w.sim, "the bulletin's picture", |s| {
            s.chat_id == w.lead && s.msg_type == "image"
        })
        .await;
        let png = w
            .sim
            .file_content(picture.file_key.as_deref().unwrap())
            .unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let text: Vec<Sent> = w
            .sim
            .sent()
            .into_iter()
            .filter(|s| s.chat_id == w.lead && s.msg_type == "post")
            .collect();
        assert!(text[0].plain.contains("督办周动态"), "{}", text[0].plain);
        assert!(text[0].seq < picture.seq, "the text comes first");
        assert!(
            text.iter().all(|s| s.uuid.is_some()),
            "every send has a uuid"
        );
        bot.stop().await;
        // A restart the same evening sends neither again.
        let bot = Running::start(&db, &w, sh(2026, 11, 27, 16, 30)).await;
        ask(&w, &w.group, &w.admin, "@督办 /help").await;
        bot.stop().await;
        let images = w
            .sim
            .sent()
            .iter()
            .filter(|s| s.msg_type == "image")
            .count();
        assert_eq!(images, 1, "{}", db.label);
    }
}

#[tokio::test]
async fn a_recalled_report_is_withdrawn_and_the_one_before_it_is_in_force_again() {
    for db in TestDb::all().await {
        let w = world().await;
        let bot = Running::start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
        let pledged = setup_project(&w).await;
        let first = w
            .sim
            .reply(&w.group, &w.owner, &pledged.message_id, REPORT)
            .await;
        answer(&w.sim, &first).await;
        let second = w
            .sim
            .say(&w.group, &w.owner, "@督办 /report\n进度: 80%")
            .await;
        let echo = answer(&w.sim, &second).await;
        assert!(echo.plain.contains("已用本次内容替换"), "{}", echo.plain);

        w.sim.recall(second.message_id.as_deref().unwrap()).await;
        let told = sent_where(&w.sim, "the withdrawal", |s| {
            s.chat_id == w.group && s.plain.contains("已被撤回")
        })
        .await;
        assert!(
            told.plain.contains("此前报送的本周周报恢复生效"),
            "{}",
            told.plain
        );
        let status = ask(&w, &w.group, &w.owner, "@督办 /status").await;
        assert!(
            status.plain.contains("进度：65%"),
            "{}: {}",
            db.label,
            status.plain
        );
        // Recalling the first too leaves the week without a report.
        w.sim.recall(first.message_id.as_deref().unwrap()).await;
        sent_where(&w.sim, "the second withdrawal", |s| {
            s.plain.contains("本周请重新报送")
        })
        .await;
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM reports WHERE current = 1").await,
            0
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM reports WHERE withdrawn_at IS NOT NULL"
            )
            .await,
            2
        );
        bot.stop().await;
    }
}

#[tokio::test]
async fn the_week_on_feishu_a_tolerant_report_a_nudge_and_a_kill_between_claim_and_send() {
    for db in TestDb::all().await {
        let w = world().await;
        let port = free_port();
        let settings = settings_for(&db, &w, port, &[]);
        let clock = ManualClock::new(sh(2026, 11, 23, 8, 0));
        let bot = crate::instance::Instance::start(settings.clone(), clock.clone());
        listening(&w.sim, port, WAIT).await;
        setup_project(&w).await;
        let other = w.sim.add_group("二号项目群", &[&w.admin, &w.owner]);
        w.sim.add_bot(&other, &w.admin).await;
        ask(&w, &other, &w.admin, "@督办 /newproject P2 二号项目").await;

        // Monday 09:00: the prompt, which asks for an @ (the app sees only
        // mentions); the owner answers it in a tolerant form.
        clock.set(sh(2026, 11, 23, 9, 0));
        let prompt = sent_where(&w.sim, "P1's prompt", |s| {
            s.chat_id == w.group && s.plain.contains("2026年第48周")
        })
        .await;
        assert!(prompt.plain.contains("@ 本机器人"), "{}", prompt.plain);
        let p = w
            .sim
            .reply(
                &w.group,
                &w.owner,
                &prompt.message_id,
                "@督办 进度65%，本周投资1200万元，累计投资3.2亿",
            )
            .await;
        let echo = answer(&w.sim, &p).await;
        assert!(echo.plain.starts_with("已记录 P1"), "{}", echo.plain);

        // Wednesday 09:00: only P2 is nudged. The bot freezes once the
        // nudge is claimed, before it is sent, and is killed there.
        bot.hooks.stall_after_claims(1);
        clock.set(sh(2026, 11, 25, 9, 0));
        tokio::time::timeout(WAIT, bot.hooks.stalled())
            .await
            .expect("stalled after the nudge's claim");
        bot.kill();
        let nudged = |s: &Sent| s.plain.contains("本周周报还没有收到");
        assert!(!w.sim.sent().iter().any(nudged));

        // Back after the claim's lease, on another port: sent once.
        let port = free_port();
        clock.set(sh(2026, 11, 25, 9, 3));
        let bot = crate::instance::Instance::start(settings_for(&db, &w, port, &[]), clock.clone());
        listening(&w.sim, port, WAIT).await;
        let nudge = sent_where(&w.sim, "the nudge", nudged).await;
        assert_eq!(nudge.chat_id, other, "{}", nudge.plain);
        ask(&w, &w.group, &w.admin, "@督办 /help").await;
        bot.kill();
        let nudges = w.sim.sent().iter().filter(|s| nudged(s)).count();
        assert_eq!(nudges, 1, "{}", db.label);
    }
}

/// Points the simulator's events at the bot's webhook on `port`, and waits
/// up to `within` until it answers its challenge.
pub async fn listening(sim: &FeishuSim, port: u16, within: Duration) {
    sim.set_webhook(&format!("http://127.0.0.1:{port}/feishu/events"));
    let deadline = std::time::Instant::now() + within;
    while let Err(e) = sim.verify_url().await {
        assert!(std::time::Instant::now() < deadline, "never listened: {e}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
