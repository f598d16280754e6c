//! The bot end to end: the real teloxide client over HTTP to `tgsim` on
//! 127.0.0.1, a fresh database (SQLite, and PostgreSQL when reachable), a
//! clock the test sets. People are simulated users pushing updates.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use duban::bot::BotError;
use duban::clock::ManualClock;
use duban::config::Settings;
use sqlx::Row;
use tgsim::{BotApiSim, ChatKind, Sent};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::helpers::{TestDb, count, dump, portfolio_rows, sh};

pub const TOKEN: &str = "123456:AAtest-SECRET-token";
pub const ADMIN: i64 = 1001;
pub const LIAISON: i64 = 1002;
pub const OWNER: i64 = 1003;
pub const MEMBER: i64 = 1004;
pub const STRANGER: i64 = 1005;
pub const LEADER: i64 = 1006;
pub const GROUP: i64 = -1001;
pub const OTHER_GROUP: i64 = -1002;
pub const LEAD_CHAT: i64 = -1009;

pub const WAIT: Duration = Duration::from_secs(15);

/// The world every test starts from: people, a project group, a leadership chat.
pub async fn world() -> BotApiSim {
    let sim = BotApiSim::start(TOKEN).await.expect("sim");
    for (id, name, user) in [
        (ADMIN, "管理员", "admin"),
        (LIAISON, "张伟", "zhangwei"),
        (OWNER, "王业主", "owner"),
        (MEMBER, "李工", "member"),
        (STRANGER, "路人", "stranger"),
        (LEADER, "刘主任", "leader"),
    ] {
        sim.add_user(id, name, Some(user));
    }
    sim.add_chat(GROUP, ChatKind::Group, "新能源项目群");
    sim.add_chat(OTHER_GROUP, ChatKind::Group, "另一个群");
    sim.add_chat(LEAD_CHAT, ChatKind::Group, "领导群");
    sim.open_private(LIAISON);
    sim.set_now(sh(2026, 11, 24, 10, 0).timestamp());
    sim
}

pub fn settings_for(db: &TestDb, sim: &BotApiSim, extra: &[(&str, &str)]) -> Settings {
    let empty = tempfile::NamedTempFile::new().unwrap();
    let mut env: Vec<(String, String)> = vec![
        ("DUBAN__DATABASE__URL".into(), db.url.clone()),
        // Off unless a test asks: many bots run side by side.
        ("DUBAN__WEB__LISTEN".into(), String::new()),
        ("DUBAN__TELEGRAM__API_URL".into(), sim.api_url()),
        ("DUBAN__TELEGRAM__TOKEN".into(), TOKEN.into()),
        ("DUBAN__ADMINS".into(), ADMIN.to_string()),
        ("DUBAN__LIAISONS".into(), LIAISON.to_string()),
        ("DUBAN__LEADERSHIP_CHATS".into(), LEAD_CHAT.to_string()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load_from(Some(empty.path()), &env).expect("settings")
}

/// The bot running in this process on a manual clock.
pub struct Running {
    pub clock: ManualClock,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), BotError>>,
}

impl Running {
    pub async fn start(db: &TestDb, sim: &BotApiSim) -> Running {
        Self::start_with(sim, settings_for(db, sim, &[]), sh(2026, 11, 24, 10, 0)).await
    }

    /// Starts the bot and returns once it listens for updates (by then the
    /// scheduler has read the clock).
    pub async fn start_with(
        sim: &BotApiSim,
        settings: Settings,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Running {
        Self::start_hooked(sim, settings, now, Arc::default()).await
    }

    /// As [`Running::start_with`], with fault hooks the test arms.
    pub async fn start_hooked(
        sim: &BotApiSim,
        settings: Settings,
        now: chrono::DateTime<chrono::Utc>,
        hooks: Arc<duban::faults::Hooks>,
    ) -> Running {
        let running = Self::launch(settings, now, hooks);
        assert!(
            sim.wait_polling(WAIT).await,
            "the bot never started polling"
        );
        running
    }

    /// Starts the bot without waiting for it to poll (in webhook mode it
    /// never does).
    pub fn launch(
        settings: Settings,
        now: chrono::DateTime<chrono::Utc>,
        hooks: Arc<duban::faults::Hooks>,
    ) -> Running {
        let clock = ManualClock::new(now);
        let (stop, shutdown) = watch::channel(false);
        let task = tokio::spawn(duban::app::run_with(
            settings,
            Arc::new(clock.clone()),
            shutdown,
            hooks,
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

/// Pushes a message and waits for the bot's reply to it.
pub async fn ask(sim: &BotApiSim, chat: i64, from: i64, text: &str) -> Sent {
    let p = sim.push_text(chat, from, text);
    reply_to(sim, chat, p.message_id).await
}

pub async fn reply_to(sim: &BotApiSim, chat: i64, message_id: i64) -> Sent {
    sim.wait_sent(WAIT, |s| {
        s.chat_id == chat && s.reply_to == Some(message_id)
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "no reply to message {message_id} in {chat}; sent: {:#?}",
            sim.sent()
        )
    })
}

/// Creates project P1 in GROUP as the admin and pledges two milestones.
pub async fn setup_project(sim: &BotApiSim) {
    let r = ask(sim, GROUP, ADMIN, "/newproject P1 新能源电池项目").await;
    assert!(
        r.text.contains("已新建项目 P1 新能源电池项目"),
        "{}",
        r.text
    );
    let r = ask(
        sim,
        GROUP,
        ADMIN,
        "/pledge\n开工 2026-11-20\n竣工 2027-06-30",
    )
    .await;
    assert!(r.text.contains("开工 2026-11-20（新增）"), "{}", r.text);
}

/// The admin answers `who`'s message with `command` (/setowner, /setliaison).
pub async fn appoint(sim: &BotApiSim, group: i64, who: i64, command: &str) -> Sent {
    let hello = sim.push_text(group, who, "你好");
    let p = sim.push_reply(group, ADMIN, command, hello.message_id);
    reply_to(sim, group, p.message_id).await
}

#[tokio::test]
async fn admin_sets_up_a_project_and_an_owner_reports_by_reply() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        let welcome = ask(&sim, GROUP, MEMBER, "/help").await;
        assert!(
            welcome.text.contains("本群还没有绑定项目"),
            "{}",
            welcome.text
        );
        setup_project(&sim).await;

        // The owner answers a message of the bot's with a report.
        let pledge_reply = sim.sent_to(GROUP).last().unwrap().clone();
        let p = sim.push_reply(
            GROUP,
            OWNER,
            "进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n完成节点: 开工 2026-11-23\n问题: 临时用电未接通",
            pledge_reply.message_id,
        );
        let echo = reply_to(&sim, GROUP, p.message_id).await;
        assert!(
            echo.text
                .starts_with("已记录 P1 新能源电池项目 2026-W48 周报"),
            "{}",
            echo.text
        );
        assert!(echo.text.contains("累计投资：3.2亿元"), "{}", echo.text);
        assert!(
            echo.text.contains("完成节点：开工 2026-11-23"),
            "{}",
            echo.text
        );
        assert!(
            echo.text.contains("问题 #1：临时用电未接通"),
            "{}",
            echo.text
        );

        // A second report the same week replaces the first and says so.
        let again = ask(&sim, GROUP, OWNER, "/report\n进度: 70%").await;
        assert!(again.text.contains("已用本次内容替换"), "{}", again.text);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM reports").await,
            2,
            "{}",
            db.label
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM reports WHERE current = 1").await,
            1
        );

        // "Thanks" under the echo is not a report and gets no answer.
        let thanks = sim.push_reply(GROUP, OWNER, "收到，谢谢", again.message_id);
        let status = ask(&sim, GROUP, OWNER, "/status").await;
        assert!(
            sim.sent()
                .iter()
                .all(|s| s.reply_to != Some(thanks.message_id))
        );
        assert!(
            status
                .text
                .contains("开工 · 承诺 2026-11-20 · 完成于 2026-11-23 · 延期完成（晚 3 天）"),
            "{}",
            status.text
        );
        // What the report in force said, not only when it came.
        assert!(
            status.text.contains("最近周报：2026-W48") && status.text.contains("  进度：70%"),
            "{}",
            status.text
        );
        assert!(status.text.contains("状态灯：绿灯\n"), "{}", status.text);
        bot.stop().await;
    }
}

#[tokio::test]
async fn a_malformed_report_gets_the_line_and_stores_nothing() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        setup_project(&sim).await;
        let store = db.store().await;
        let before = dump(&store).await;
        let r = ask(
            &sim,
            GROUP,
            OWNER,
            "/report\n进度: 65%\n本周投资: 12x万\n问题: 停电",
        )
        .await;
        assert!(
            r.text
                .starts_with("第 2 行「本周投资: 12x万」有误：「12x万」不是金额"),
            "{}",
            r.text
        );
        assert!(r.text.contains("本次周报未记录"), "{}", r.text);
        assert!(
            r.text.contains("下周计划: 主体结构施工"),
            "template shown: {}",
            r.text
        );
        let r = ask(&sim, GROUP, OWNER, "/report 完成节点: 封顶").await;
        assert!(
            r.text
                .contains("承诺书中没有这个节点（已承诺：开工、竣工）"),
            "{}",
            r.text
        );
        // Only the chat and people rows of those messages may differ: compare the portfolio.
        let after = dump(&store).await;
        assert_eq!(
            portfolio_rows(&after),
            portfolio_rows(&before),
            "{}",
            db.label
        );
        store.close().await;
        bot.stop().await;
    }
}

#[tokio::test]
async fn strangers_are_refused_and_change_nothing() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        setup_project(&sim).await;
        let store = db.store().await;
        let before = dump(&store).await;
        let r = ask(&sim, GROUP, STRANGER, "/pledge\n开工 2026-12-31").await;
        assert_eq!(r.text, "抱歉，只有管理员和本项目联络员可以使用这个命令。");
        let r = ask(&sim, GROUP, STRANGER, "/subscribe").await;
        assert_eq!(r.text, "抱歉，只有管理员可以使用这个命令。");
        let r = ask(&sim, OTHER_GROUP, STRANGER, "/newproject P9 乱建").await;
        assert!(
            r.text.starts_with("抱歉，只有管理员和本项目联络员"),
            "{}",
            r.text
        );
        let r = ask(&sim, GROUP, STRANGER, "/resolve 1").await;
        assert!(r.text.starts_with("抱歉"), "{}", r.text);
        // Addressed to us: in a group a bare `/frobnicate` may be another
        // bot's and gets no answer (tests/it/corrections.rs).
        let to_us = format!("/frobnicate@{}", sim.bot_username());
        let r = ask(&sim, GROUP, STRANGER, &to_us).await;
        assert!(r.text.contains("没有 /frobnicate 这个命令"), "{}", r.text);
        let after = dump(&store).await;
        assert_eq!(
            portfolio_rows(&after),
            portfolio_rows(&before),
            "{}",
            db.label
        );
        store.close().await;
        bot.stop().await;
    }
}

#[tokio::test]
async fn done_problem_resolve_and_status_in_group_and_leadership_chat() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        setup_project(&sim).await;
        // The liaison becomes the project's liaison by the admin replying to them.
        let r = appoint(&sim, GROUP, LIAISON, "/setliaison").await;
        assert_eq!(r.text, "已设 张伟 为项目 P1 的联络员。");

        let r = ask(&sim, GROUP, MEMBER, "/done 开工 2026-11-22").await;
        assert_eq!(r.text, "已记录：开工 于 2026-11-22 完成，晚于承诺 2 天。");
        let r = ask(&sim, GROUP, MEMBER, "/done 封顶").await;
        assert!(
            r.text.starts_with("承诺书中没有「封顶」这个节点"),
            "{}",
            r.text
        );
        let r = ask(&sim, GROUP, MEMBER, "/problem 施工许可证审批延迟").await;
        assert_eq!(r.text, "已登记问题 #1：施工许可证审批延迟");
        let r = ask(&sim, GROUP, MEMBER, "/problem 施工许可证审批延迟").await;
        assert!(r.text.contains("#1"), "{}", r.text);

        let r = ask(&sim, GROUP, OWNER, "/status").await;
        assert!(
            r.text.starts_with("P1 新能源电池项目（签约）"),
            "{}",
            r.text
        );
        assert!(r.text.contains("#1 施工许可证审批延迟"), "{}", r.text);

        let r = ask(&sim, LEAD_CHAT, LEADER, "/status").await;
        assert!(r.text.starts_with("项目总览（1 个"), "{}", r.text);
        assert!(r.text.contains("未解决问题 1"), "{}", r.text);
        let r = ask(&sim, LEAD_CHAT, LEADER, "/overdue").await;
        assert!(r.text.contains("没有逾期节点"), "{}", r.text);

        // The liaison closes it from a private chat.
        let r = ask(&sim, LIAISON, LIAISON, "/resolve 1 已协调住建局加快审批").await;
        assert_eq!(r.text, "问题 #1 已销号：施工许可证审批延迟");
        let r = ask(&sim, LIAISON, LIAISON, "/resolve 1").await;
        assert_eq!(r.text, "问题 #1 已经销号。");
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM problems WHERE resolved_at IS NOT NULL"
            )
            .await,
            1,
            "{}",
            db.label
        );
        bot.stop().await;
    }
}

#[tokio::test]
async fn the_bot_removed_marks_the_chat_inactive_and_tells_the_liaison() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        setup_project(&sim).await;
        appoint(&sim, GROUP, LIAISON, "/setliaison").await;
        sim.push_bot_removed(GROUP, OWNER);
        let note = sim
            .wait_sent(WAIT, |s| s.chat_id == LIAISON && s.text.contains("移出"))
            .await
            .expect("liaison told");
        assert!(note.text.contains("P1 新能源电池项目"), "{}", note.text);
        let store = db.store().await;
        let active: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT active FROM chats WHERE external_id = '{GROUP}'"
        )))
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0);
        assert_eq!(active, 0, "{}", db.label);
        store.close().await;
        bot.stop().await;
    }
}

#[tokio::test]
async fn a_group_migrated_to_a_supergroup_keeps_its_project() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        setup_project(&sim).await;
        let new_id = -100_1234_5678_i64;
        sim.migrate_to_supergroup(GROUP, new_id);
        let r = ask(&sim, new_id, OWNER, "/status").await;
        assert!(
            r.text.starts_with("P1 新能源电池项目"),
            "{}: {}",
            db.label,
            r.text
        );
        bot.stop().await;
    }
}

#[tokio::test]
async fn a_forum_topic_is_answered_in_the_same_topic_and_bot_added_explains_binding() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let forum = -1003;
    sim.add_chat(forum, ChatKind::Forum, "项目论坛");
    let bot = Running::start(&db, &sim).await;
    sim.push_bot_added(OTHER_GROUP, ADMIN);
    let welcome = sim
        .wait_sent(WAIT, |s| s.chat_id == OTHER_GROUP)
        .await
        .expect("welcome");
    assert!(welcome.text.contains("/newproject"), "{}", welcome.text);
    let p = sim.push_in_topic(forum, 77, MEMBER, "/help");
    let r = reply_to(&sim, forum, p.message_id).await;
    assert_eq!(r.thread_id, Some(77));
    bot.stop().await;
}

#[tokio::test]
async fn a_guided_report_survives_a_restart() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        setup_project(&sim).await;
        let q1 = ask(&sim, GROUP, OWNER, "/report").await;
        assert!(q1.text.contains("1/7"), "{}", q1.text);
        assert!(
            q1.reply_markup
                .as_ref()
                .is_some_and(|m| m["force_reply"] == true)
        );
        let a = sim.push_reply(GROUP, OWNER, "150%", q1.message_id);
        let again = reply_to(&sim, GROUP, a.message_id).await;
        assert!(
            again.text.contains("进度须为 0 到 100 的整数") && again.text.contains("1/7"),
            "{}",
            again.text
        );
        let a = sim.push_reply(GROUP, OWNER, "55%", again.message_id);
        let q2 = reply_to(&sim, GROUP, a.message_id).await;
        assert!(q2.text.contains("2/7"), "{}", q2.text);
        bot.stop().await;

        // The half-filled report is still there after a restart.
        let bot = Running::start(&db, &sim).await;
        let mut last = q2;
        for answer in [
            "800万",
            "-",
            "-",
            "钢结构吊装",
            "屋面施工",
            "临时用电未接通",
        ] {
            let a = sim.push_reply(GROUP, OWNER, answer, last.message_id);
            last = reply_to(&sim, GROUP, a.message_id).await;
        }
        assert!(last.text.starts_with("已记录 P1"), "{}", last.text);
        assert!(
            last.text.contains("进度：55%") && last.text.contains("本周投资：800万元"),
            "{}",
            last.text
        );
        assert!(
            last.text.contains("问题 #1：临时用电未接通"),
            "{}",
            last.text
        );
        bot.stop().await;
    }
}

/// `duban run` as a separate process, so a kill is a real crash.
fn spawn_binary(db: &TestDb, sim: &BotApiSim, token: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_duban"))
        .arg("run")
        .env("DUBAN__DATABASE__URL", &db.url)
        .env("DUBAN__WEB__LISTEN", "")
        .env("DUBAN__TELEGRAM__API_URL", sim.api_url())
        .env("TELOXIDE_TOKEN", token)
        .env("DUBAN__ADMINS", ADMIN.to_string())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn duban run")
}

#[tokio::test]
async fn a_crash_in_the_middle_of_a_batch_handles_every_update_exactly_once() {
    for db in TestDb::all().await {
        let sim = world().await;
        // Telegram lets a bot post 20 messages a minute in a group, so the
        // batch is spread over four project groups.
        let groups = [GROUP, -2001, -2002, -2003];
        let bot = Running::start(&db, &sim).await;
        for (i, g) in groups.iter().enumerate() {
            if *g != GROUP {
                sim.add_chat(*g, ChatKind::Group, &format!("项目群{i}"));
            }
            let r = ask(&sim, *g, ADMIN, &format!("/newproject C{i} 项目{i}")).await;
            assert!(r.text.contains("已新建项目"), "{}", r.text);
        }
        bot.stop().await;

        const PER_GROUP: usize = 8;
        let pushed: Vec<_> = (0..PER_GROUP)
            .flat_map(|i| groups.iter().map(move |g| (*g, i)))
            .map(|(g, i)| {
                (
                    g,
                    sim.push_text(g, MEMBER, &format!("/problem {g}群第{i}号问题")),
                )
            })
            .collect();
        let mut child = spawn_binary(&db, &sim, TOKEN);
        // Let part of the batch through, then kill it where it stands.
        sim.wait_sent(WAIT, |s| s.text.contains("第1号问题"))
            .await
            .expect("progress");
        child.kill().unwrap();
        let _ = tokio::task::spawn_blocking(move || child.wait()).await;

        let mut child = spawn_binary(&db, &sim, TOKEN);
        for (g, p) in &pushed {
            sim.wait_sent(Duration::from_secs(60), |s| {
                s.chat_id == *g && s.reply_to == Some(p.message_id)
            })
            .await
            .unwrap_or_else(|| {
                panic!(
                    "{}: message {} in {g} never answered",
                    db.label, p.message_id
                )
            });
        }
        assert!(sim.wait_consumed(WAIT).await);
        child.kill().unwrap();
        let _ = tokio::task::spawn_blocking(move || child.wait()).await;

        let n = pushed.len() as i64;
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM problems").await,
            n,
            "{}",
            db.label
        );
        assert_eq!(
            count(&db, "SELECT COUNT(DISTINCT text) FROM problems").await,
            n
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL").await,
            0
        );
        // Each message has exactly one reply, unless the kill fell between a
        // send and its confirmation, which re-sends that reply once. The
        // dispatcher handles the groups concurrently (one update at a time
        // per chat), so each group may have had one reply in that window.
        for g in groups {
            let sent = sim.sent_to(g);
            let extra: usize = pushed
                .iter()
                .filter(|(pg, _)| *pg == g)
                .map(|(_, p)| {
                    sent.iter()
                        .filter(|s| s.reply_to == Some(p.message_id))
                        .count()
                        - 1
                })
                .sum();
            assert!(
                extra <= 1,
                "{}: {extra} replies sent twice in {g}",
                db.label
            );
        }
    }
}

#[tokio::test]
async fn a_missing_or_rejected_token_exits_2_with_one_line() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let child = spawn_binary(&db, &sim, "999:wrong-token");
    // Waited for off the runtime: the simulator it talks to runs on it.
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let (status, err) = (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("Telegram rejected the bot token"), "{err}");
    assert!(!err.contains("wrong-token"), "token leaked: {err}");

    let out = Command::new(env!("CARGO_BIN_EXE_duban"))
        .arg("run")
        .env("DUBAN__DATABASE__URL", &db.url)
        .env("DUBAN__WEB__LISTEN", "")
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("DUBAN__TELEGRAM__TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no bot token"));
}

#[tokio::test]
async fn commands_are_registered_in_the_configured_language() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let settings = settings_for(&db, &sim, &[("DUBAN__LOCALE", "en")]);
    let bot = Running::start_with(&sim, settings, sh(2026, 11, 24, 10, 0)).await;
    let r = ask(&sim, GROUP, MEMBER, "/help").await;
    assert!(r.text.contains("not bound to a project"), "{}", r.text);
    let commands = sim.commands();
    let (_, _, list) = commands.last().expect("setMyCommands called");
    assert!(
        list.iter()
            .any(|(c, d)| c == "report" && d.starts_with("submit this week's report"))
    );
    bot.stop().await;
}

#[tokio::test]
async fn a_chat_can_switch_its_language() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let bot = Running::start(&db, &sim).await;
    setup_project(&sim).await;
    let r = ask(&sim, GROUP, MEMBER, "/lang en").await;
    assert_eq!(r.text, "抱歉，只有管理员和本项目联络员可以使用这个命令。");
    let r = ask(&sim, GROUP, ADMIN, "/lang en").await;
    assert_eq!(r.text, "This chat now uses English.");
    let r = ask(&sim, GROUP, OWNER, "/status").await;
    assert!(
        r.text.starts_with("P1 新能源电池项目 (signed)"),
        "{}",
        r.text
    );
    let r = ask(&sim, GROUP, OWNER, "/report progress: 101").await;
    assert!(r.text.starts_with("Line 1 'progress: 101'"), "{}", r.text);
    // Other chats keep the configured language.
    let r = ask(&sim, OTHER_GROUP, MEMBER, "/help").await;
    assert!(r.text.contains("本群还没有绑定项目"), "{}", r.text);
    bot.stop().await;
}
