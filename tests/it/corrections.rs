//! Owners correcting and half-answering, end to end through `tgsim`: an
//! edited report replaces the recorded one and its echo is edited in place;
//! a reply to the prompt without figures gets one hint a week; a command
//! for another bot is left alone; a late answer to last week's prompt
//! counts for last week.

use std::time::Duration;

use sqlx::Row;
use tgsim::{BotApiSim, Sent};

use crate::bot::{
    ADMIN, GROUP, MEMBER, OWNER, Running, appoint, ask, reply_to, settings_for, setup_project,
    world,
};
use crate::helpers::{TestDb, sh};

const WAIT: Duration = Duration::from_secs(15);

/// Every report of P1, oldest first: (week, progress, current).
async fn history(db: &TestDb) -> Vec<(String, Option<i64>, bool)> {
    let store = db.store().await;
    let rows = sqlx::query(
        "SELECT r.week, r.progress, r.current FROM reports r JOIN projects p ON p.id = r.project_id \
         WHERE p.code = 'P1' ORDER BY r.id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    store.close().await;
    rows.iter()
        .map(|r| {
            (
                r.get::<String, _>(0),
                r.get::<Option<i64>, _>(1),
                r.get::<i64, _>(2) == 1,
            )
        })
        .collect()
}

async fn edit_of(sim: &BotApiSim, echo: &Sent, needle: &str) -> Sent {
    let id = echo.message_id;
    sim.wait_sent(WAIT, |s| {
        s.method == "editMessageText" && s.message_id == id && s.plain.contains(needle)
    })
    .await
    .unwrap_or_else(|| panic!("no edit of the echo to {needle:?}; sent: {:#?}", sim.sent()))
}

/// Waits until every update pushed so far in GROUP is handled: the bot
/// handles one chat's updates in order, so the answer to a later command
/// comes after them.
async fn barrier(sim: &BotApiSim) {
    ask(sim, GROUP, ADMIN, "/help").await;
}

#[tokio::test]
async fn a_report_edited_twice_ends_with_the_last_figures_and_one_echo_edited_in_place() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        setup_project(&sim).await;
        let p = sim.push_text(GROUP, OWNER, "/report 进度: 30%\n本周完成: 桩基");
        let echo = reply_to(&sim, GROUP, p.message_id).await;
        assert!(echo.plain.contains("30"), "{}", echo.plain);

        sim.push_edit(
            GROUP,
            OWNER,
            p.message_id,
            "/report 进度: 40%\n本周完成: 桩基",
        );
        let first = edit_of(&sim, &echo, "40").await;
        assert!(first.plain.contains("已记录 P1"), "{}", first.plain);
        sim.push_edit(
            GROUP,
            OWNER,
            p.message_id,
            "/report 进度: 55%\n本周完成: 桩基、承台",
        );
        edit_of(&sim, &echo, "55").await;
        barrier(&sim).await;

        let echoes = sim
            .sent_to(GROUP)
            .iter()
            .filter(|s| s.method == "sendMessage" && s.plain.contains("2026-W48 周报"))
            .count();
        assert_eq!(echoes, 1, "one echo, edited in place: {:#?}", sim.sent());
        let h = history(&db).await;
        assert_eq!(h.len(), 3, "three versions kept: {h:?}");
        assert_eq!(
            h.iter().filter(|(_, _, current)| *current).count(),
            1,
            "{h:?}"
        );
        assert_eq!(h[2], ("2026-W48".to_string(), Some(55), true), "{h:?}");
        bot.stop().await;
    }
}

#[tokio::test]
async fn an_edit_that_cannot_be_read_keeps_the_recorded_report_and_says_why() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let bot = Running::start(&db, &sim).await;
    setup_project(&sim).await;
    let p = sim.push_text(GROUP, OWNER, "/report 进度: 30%");
    reply_to(&sim, GROUP, p.message_id).await;
    sim.push_edit(GROUP, OWNER, p.message_id, "/report 进度: 六成");
    let said = sim
        .wait_sent(WAIT, |s| s.plain.contains("此前记录的周报仍然有效"))
        .await
        .expect("the refusal of the edit");
    assert!(
        said.plain.contains("进度须为 0 到 100 的整数"),
        "{}",
        said.plain
    );
    assert_eq!(
        history(&db).await,
        vec![("2026-W48".into(), Some(30), true)]
    );
    bot.stop().await;
}

#[tokio::test]
async fn an_edited_message_that_was_never_a_report_changes_nothing() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let bot = Running::start(&db, &sim).await;
    setup_project(&sim).await;
    let p = sim.push_text(GROUP, MEMBER, "大家好");
    sim.push_edit(GROUP, MEMBER, p.message_id, "进度: 50%");
    barrier(&sim).await;
    assert!(history(&db).await.is_empty());
    assert!(
        !sim.sent()
            .iter()
            .any(|s| s.method == "editMessageText" || s.reply_to == Some(p.message_id)),
        "{:#?}",
        sim.sent()
    );
    bot.stop().await;
}

#[tokio::test]
async fn a_command_for_another_bot_is_left_alone_in_groups_only() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let bot = Running::start(&db, &sim).await;
    setup_project(&sim).await;
    let other = sim.push_text(GROUP, MEMBER, "/foo");
    barrier(&sim).await;
    assert!(
        !sim.sent()
            .iter()
            .any(|s| s.reply_to == Some(other.message_id)),
        "{:#?}",
        sim.sent()
    );
    let name = sim.bot_username();
    let to_us = ask(&sim, GROUP, MEMBER, &format!("/foo@{name}")).await;
    assert!(to_us.plain.contains("/foo"), "{}", to_us.plain);
    sim.open_private(MEMBER);
    let private = ask(&sim, MEMBER, MEMBER, "/foo").await;
    assert!(private.plain.contains("/foo"), "{}", private.plain);
    bot.stop().await;
}

/// P1 set up on Monday 23 November at 08:00, its owner appointed, and the
/// week's prompt posted at 09:00; the prompt as sent.
async fn prompted_week(sim: &BotApiSim, bot: &Running) -> Sent {
    setup_project(sim).await;
    appoint(sim, GROUP, OWNER, "/setowner").await;
    bot.clock.set(sh(2026, 11, 23, 9, 0));
    sim.wait_sent(WAIT, |s| {
        s.chat_id == GROUP && s.text.contains("2026年第48周")
    })
    .await
    .expect("the week's prompt")
}

#[tokio::test]
async fn a_reply_to_the_prompt_without_figures_gets_one_hint_a_week() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let settings = settings_for(&db, &sim, &[]);
    let bot = Running::start_with(&sim, settings, sh(2026, 11, 23, 8, 0)).await;
    let prompt = prompted_week(&sim, &bot).await;
    let first = sim.push_reply(GROUP, OWNER, "收到", prompt.message_id);
    let hint = reply_to(&sim, GROUP, first.message_id).await;
    assert!(hint.plain.contains("/report"), "{}", hint.plain);
    assert!(
        !hint.plain.contains("进度: 65%"),
        "no template: {}",
        hint.plain
    );
    let second = sim.push_reply(GROUP, OWNER, "好的，稍后报", prompt.message_id);
    barrier(&sim).await;
    assert!(
        !sim.sent()
            .iter()
            .any(|s| s.reply_to == Some(second.message_id)),
        "said once a week: {:#?}",
        sim.sent()
    );
    bot.stop().await;
}

#[tokio::test]
async fn an_answer_to_last_weeks_prompt_before_the_next_one_counts_for_last_week() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let settings = settings_for(&db, &sim, &[]);
    let bot = Running::start_with(&sim, settings, sh(2026, 11, 23, 8, 0)).await;
    let prompt = prompted_week(&sim, &bot).await;
    // Monday 30 November, 08:30: the new week, before its prompt (09:00).
    bot.clock.set(sh(2026, 11, 30, 8, 30));
    sim.set_now(sh(2026, 11, 30, 8, 30).timestamp());
    let late = sim.push_reply(GROUP, OWNER, "进度: 35%", prompt.message_id);
    let echo = reply_to(&sim, GROUP, late.message_id).await;
    assert!(echo.plain.contains("2026-W48"), "{}", echo.plain);
    // After the new prompt, a reply to the old one is this week's report.
    bot.clock.set(sh(2026, 11, 30, 9, 0));
    sim.wait_sent(WAIT, |s| {
        s.chat_id == GROUP && s.text.contains("2026年第49周")
    })
    .await
    .expect("the next week's prompt");
    let p = sim.push_reply(GROUP, OWNER, "进度: 40%", prompt.message_id);
    let echo = reply_to(&sim, GROUP, p.message_id).await;
    assert!(echo.plain.contains("2026-W49"), "{}", echo.plain);
    let h = history(&db).await;
    assert_eq!(
        h,
        vec![
            ("2026-W48".into(), Some(35), true),
            ("2026-W49".into(), Some(40), true),
        ]
    );
    bot.stop().await;
}
