//! The weekly rhythm end to end on a manual clock: the scheduler wakes when
//! the test moves the clock, never by waiting for wall time.

use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};
use duban::domain::schedule::Job;
use tgsim::{BotApiSim, ChatKind, Limits, Sent};

use crate::bot::{
    ADMIN, GROUP, LEAD_CHAT, LIAISON, MEMBER, OTHER_GROUP, OWNER, Running, TOKEN, appoint, ask,
    reply_to, settings_for, world,
};
use crate::helpers::{TestDb, bind_group, sh};

const WAIT: Duration = Duration::from_secs(15);
const OWNER2: i64 = 1010;
const LIAISON2: i64 = 1011;

/// Two projects: P1 in GROUP (owner OWNER, liaison LIAISON, who opened a
/// private chat) and P2 in OTHER_GROUP (owner OWNER2, liaison LIAISON2, who
/// never did). Done on Monday 23 November 2026 at 08:00.
async fn two_projects(sim: &BotApiSim) {
    sim.add_user(OWNER2, "赵业主", None);
    sim.add_user(LIAISON2, "孙联络", Some("sunll"));
    for (group, code, name, owner, liaison) in [
        (GROUP, "P1", "新能源电池项目", OWNER, LIAISON),
        (OTHER_GROUP, "P2", "智能装备产业园", OWNER2, LIAISON2),
    ] {
        let r = ask(sim, group, ADMIN, &format!("/newproject {code} {name}")).await;
        assert!(r.text.contains("已新建项目"), "{}", r.text);
        let r = ask(
            sim,
            group,
            ADMIN,
            "/pledge\n开工 2026-11-20\n竣工 2027-06-30",
        )
        .await;
        assert!(r.text.contains("新增"), "{}", r.text);
        for (who, cmd) in [(owner, "/setowner"), (liaison, "/setliaison")] {
            appoint(sim, group, who, cmd).await;
        }
    }
}

async fn sent_matching(sim: &BotApiSim, what: &str, pred: impl Fn(&Sent) -> bool) -> Sent {
    sim.wait_sent(WAIT, pred)
        .await
        .unwrap_or_else(|| panic!("no {what}; sent: {:#?}", sim.sent()))
}

/// The text messages sent to `chat` (not the bulletin's picture).
fn texts_to(sim: &BotApiSim, chat: i64) -> Vec<Sent> {
    sim.sent_to(chat)
        .into_iter()
        .filter(|s| s.method == "sendMessage")
        .collect()
}

fn to_chat(sim: &BotApiSim, chat: i64, needle: &str) -> usize {
    sim.sent_to(chat)
        .iter()
        .filter(|s| s.text.contains(needle))
        .count()
}

async fn at(bot: &Running, t: DateTime<Utc>) {
    bot.clock.set(t);
}

#[tokio::test]
async fn a_full_week_prompt_report_nudge_deadline_bulletin() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 11, 23, 8, 0)).await;
        two_projects(&sim).await;

        // Monday 09:00: the prompt in both groups, owners mentioned.
        at(&bot, sh(2026, 11, 23, 9, 0)).await;
        let prompt = sent_matching(&sim, "prompt in P1", |s| {
            s.chat_id == GROUP && s.text.contains("2026年第48周")
        })
        .await;
        assert_eq!(prompt.parse_mode.as_deref(), Some("HTML"));
        assert!(prompt.text.contains("@owner"), "{}", prompt.text);
        assert!(
            prompt.text.contains("开工 2026-11-20 · 逾期 3 天"),
            "{}",
            prompt.text
        );
        sent_matching(&sim, "prompt in P2", |s| {
            s.chat_id == OTHER_GROUP && s.text.contains("2026年第48周")
        })
        .await;

        // Tuesday: P1's owner replies to the prompt.
        at(&bot, sh(2026, 11, 24, 10, 0)).await;
        let p = sim.push_reply(
            GROUP,
            OWNER,
            "进度: 30%\n完成节点: 开工 2026-11-23",
            prompt.message_id,
        );
        let echo = reply_to(&sim, GROUP, p.message_id).await;
        assert!(echo.text.starts_with("已记录 P1"), "{}", echo.text);
        // Even an unreadable reply to the prompt gets the error, not silence.
        let p = sim.push_reply(GROUP, MEMBER, "今天下雨", prompt.message_id);
        let err = reply_to(&sim, GROUP, p.message_id).await;
        assert!(err.text.contains("没有读到任何周报字段"), "{}", err.text);

        // Wednesday 09:00: only P2 is nudged.
        at(&bot, sh(2026, 11, 25, 9, 0)).await;
        let nudge = sent_matching(&sim, "nudge", |s| s.text.contains("本周周报还没有收到")).await;
        assert_eq!(nudge.chat_id, OTHER_GROUP);
        assert!(nudge.text.contains("赵业主"), "{}", nudge.text);

        // Thursday 18:00: the deadline ping. LIAISON (P1, reported, nothing
        // overdue) gets nothing; LIAISON2 cannot be written to, so P2's group
        // hears it with a mention.
        at(&bot, sh(2026, 11, 26, 18, 0)).await;
        let fallback = sent_matching(&sim, "deadline fallback", |s| {
            s.chat_id == OTHER_GROUP && s.text.contains("联络员请注意")
        })
        .await;
        assert!(fallback.text.contains("@sunll"), "{}", fallback.text);
        assert!(
            fallback.text.contains("本周周报未报送"),
            "{}",
            fallback.text
        );
        assert!(
            fallback.text.contains("开工 2026-11-20 · 逾期 6 天"),
            "{}",
            fallback.text
        );

        // Friday 16:00: the bulletin, with this week's figures.
        at(&bot, sh(2026, 11, 27, 16, 0)).await;
        let b = sent_matching(&sim, "bulletin", |s| s.chat_id == LEAD_CHAT).await;
        assert!(
            b.text.starts_with("<b>督办周动态 · 2026年第48周"),
            "{}",
            b.text
        );
        assert!(
            b.text.contains("二、周报报送（已报 1/应报 2，迟报 0）"),
            "{}",
            b.text
        );
        assert!(b.text.contains("未报送：P2 智能装备产业园"), "{}", b.text);
        assert!(
            b.text
                .contains("P2 智能装备产业园 · 开工 · 承诺 2026-11-20 · 逾期 7 天 · 联络员 孙联络"),
            "{}",
            b.text
        );
        assert!(
            b.text
                .contains("P1 新能源电池项目 · 开工 · 2026-11-23（晚于承诺 3 天）"),
            "{}",
            b.text
        );
        bot.stop().await;

        // The ledger says: one prompt per group, one nudge, one deadline
        // (via the group), one bulletin.
        let store = db.store().await;
        let mut conn = store.pool().acquire().await.unwrap();
        let deadline = duban::store::outbox::of_period(&mut conn, Job::Deadline, "2026-W48")
            .await
            .unwrap();
        assert_eq!(deadline.len(), 1, "{}", db.label);
        assert!(deadline[0].note.contains("fallback"), "{deadline:?}");
        assert_eq!(
            duban::store::outbox::of_period(&mut conn, Job::Prompt, "2026-W48")
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            duban::store::outbox::of_period(&mut conn, Job::Nudge, "2026-W48")
                .await
                .unwrap()
                .len(),
            1
        );
        drop(conn);
        store.close().await;
        assert_eq!(to_chat(&sim, LEAD_CHAT, "督办周动态"), 1);

        // A restart on Friday after the bulletin sends nothing.
        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 11, 27, 17, 0)).await;
        let r = ask(&sim, GROUP, OWNER, "/status").await;
        assert!(r.text.starts_with("P1"), "{}", r.text);
        // /status says where P2's liaison's pings go.
        let r = ask(&sim, OTHER_GROUP, OWNER2, "/status").await;
        assert!(
            r.text.contains("联络员 孙联络 尚未私聊机器人"),
            "{}",
            r.text
        );
        bot.stop().await;
        assert_eq!(to_chat(&sim, LEAD_CHAT, "督办周动态"), 1, "{}", db.label);
        assert_eq!(to_chat(&sim, GROUP, "请直接回复本消息提交本周周报"), 1);
    }
}

#[tokio::test]
async fn downtime_across_friday_posts_one_late_bulletin() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 11, 26, 19, 0)).await;
        let r = ask(&sim, GROUP, ADMIN, "/newproject P1 新能源电池项目").await;
        assert!(r.text.contains("已新建项目"));
        bot.stop().await;
        // Down from Thursday evening to Saturday morning: one bulletin, late.
        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 11, 28, 10, 0)).await;
        let b = sent_matching(&sim, "late bulletin", |s| s.chat_id == LEAD_CHAT).await;
        assert!(
            b.text.starts_with("（补发：机器人在预定时间未运行）"),
            "{}",
            b.text
        );
        assert!(b.text.contains("2026年第48周"), "{}", b.text);
        ask(&sim, GROUP, ADMIN, "/help").await;
        bot.stop().await;
        assert_eq!(texts_to(&sim, LEAD_CHAT).len(), 1, "{}", db.label);
    }
}

#[tokio::test]
async fn a_claim_left_by_a_crash_is_sent_once() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 11, 27, 15, 0)).await;
        ask(&sim, GROUP, ADMIN, "/newproject P1 新能源电池项目").await;
        bot.stop().await;
        // A run claimed Friday's bulletin and died before sending it.
        let store = db.store().await;
        let mut conn = store.pool().acquire().await.unwrap();
        let payload = serde_json::to_string(&duban::domain::outgoing::Outgoing::to(
            crate::helpers::tg_chat(LEAD_CHAT),
            "督办周动态（崩溃前认领）",
        ))
        .unwrap();
        let claim = duban::store::outbox::claim(
            &mut conn,
            &duban::store::outbox::NewClaim {
                job: Job::Bulletin,
                period: "2026-W48",
                chat_key: &LEAD_CHAT.to_string(),
                payload: &payload,
                owner: "crashed",
                late: false,
            },
            sh(2026, 11, 27, 16, 0),
        )
        .await
        .unwrap();
        assert!(matches!(claim, duban::store::outbox::Claim::Mine { .. }));
        duban::store::outbox::set_last_fire(
            &mut conn,
            Job::Bulletin,
            sh(2026, 11, 20, 16, 0),
            sh(2026, 11, 27, 16, 0),
        )
        .await
        .unwrap();
        drop(conn);
        store.close().await;

        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 11, 27, 16, 10)).await;
        sent_matching(&sim, "the bulletin", |s| s.chat_id == LEAD_CHAT).await;
        // Give a second send every chance to happen: more updates, more time.
        ask(&sim, GROUP, ADMIN, "/help").await;
        bot.clock.set(sh(2026, 11, 27, 16, 30));
        ask(&sim, GROUP, ADMIN, "/help").await;
        bot.stop().await;
        // The picture had no claim before the crash: the run sent it.
        assert_eq!(
            texts_to(&sim, LEAD_CHAT).len(),
            1,
            "{}: {:#?}",
            db.label,
            sim.sent_to(LEAD_CHAT)
        );
    }
}

#[tokio::test]
async fn a_holiday_moves_the_prompt_to_the_next_working_day() {
    let db = TestDb::sqlite();
    let sim = world().await;
    // National Day: Monday 5 October is a holiday; the first working day of
    // the week is Thursday 8 October.
    let bot = Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 10, 4, 20, 0)).await;
    ask(&sim, GROUP, ADMIN, "/newproject P1 新能源电池项目").await;
    at(&bot, sh(2026, 10, 8, 9, 1)).await;
    sent_matching(&sim, "prompt", |s| {
        s.chat_id == GROUP && s.text.contains("2026年第41周")
    })
    .await;
    bot.stop().await;
    let store = db.store().await;
    let mut conn = store.pool().acquire().await.unwrap();
    let rows = duban::store::outbox::of_period(&mut conn, Job::Prompt, "2026-W41")
        .await
        .unwrap();
    // Not late: it was due on Thursday, not on the Monday holiday.
    assert_eq!(
        rows,
        vec![duban::store::outbox::LedgerRow {
            chat_key: GROUP.to_string(),
            sent: true,
            late: false,
            attempts: 1,
            note: String::new(),
        }]
    );
    // The week of the Spring Festival has no working day: nobody is asked.
    drop(conn);
    store.close().await;
    let out = Command::new(env!("CARGO_BIN_EXE_duban"))
        .args(["prompt", "--dry-run", "--now", "2026-02-16 09:00"])
        .env("DUBAN__DATABASE__URL", &db.url)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("2026-W08 has no working day"));
}

#[tokio::test]
async fn a_long_bulletin_arrives_in_ordered_parts_below_4096() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let store = db.store().await;
    let mut csv = String::from("code,name,owner,stage,investment,milestone,pledged\n");
    for i in 0..60 {
        csv.push_str(&format!(
            "L{i:03},第{i}号长名称重点产业链招商引资建设项目（一期工程）,业主{i},landed,1亿,开工,2026-10-{:02}\n",
            i % 28 + 1
        ));
    }
    duban::service::import::import_csv(
        &store,
        csv.as_bytes(),
        "long",
        sh(2026, 11, 1, 9, 0),
        chrono_tz::Asia::Shanghai,
    )
    .await
    .unwrap();
    store.close().await;
    // Lists are capped at bulletin.list_limit (20); raised here, the
    // bulletin is long enough to need splitting.
    let settings = settings_for(&db, &sim, &[("DUBAN__BULLETIN__LIST_LIMIT", "500")]);
    let bot = Running::start_with(&sim, settings, sh(2026, 11, 27, 15, 0)).await;
    at(&bot, sh(2026, 11, 27, 16, 0)).await;
    if sim
        .wait_sent(WAIT, |s| {
            s.chat_id == LEAD_CHAT && s.text.contains("七、末位项目")
        })
        .await
        .is_none()
    {
        panic!(
            "errors: {:#?}\nrequests: {:#?}",
            sim.errors(),
            sim.requests()
                .iter()
                .map(|r| r.0.clone())
                .collect::<Vec<_>>()
        );
    }
    bot.stop().await;
    let parts = sim.sent_to(LEAD_CHAT);
    assert!(parts.len() >= 2, "{} parts", parts.len());
    let total: usize = parts.iter().map(|p| p.text.encode_utf16().count()).sum();
    assert!(total > 6000, "bulletin only {total} characters");
    for p in &parts {
        assert!(p.text.encode_utf16().count() <= 4096);
    }
    assert!(parts[0].text.starts_with("<b>督办周动态"));
    let joined: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
    let whole = joined.join("\n");
    let order = [
        "一、项目概况",
        "二、周报报送",
        "三、逾期节点",
        "四、临期节点",
        "五、本周完成节点",
        "六、问题",
        "七、末位项目",
    ];
    let positions: Vec<usize> = order.iter().map(|h| whole.find(h).expect(h)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[tokio::test]
async fn two_processes_on_one_database_post_the_bulletin_once() {
    for db in TestDb::all().await {
        let sim = world().await;
        sim.add_chat(-1077, ChatKind::Supergroup, "第二个领导群");
        let settings = settings_for(&db, &sim, &[]);
        let bot = Running::start_with(&sim, settings, sh(2026, 11, 27, 15, 0)).await;
        ask(&sim, GROUP, ADMIN, "/newproject P1 新能源电池项目").await;
        let r = ask(&sim, -1077, ADMIN, "/subscribe").await;
        assert!(r.text.contains("领导群"), "{}", r.text);
        bot.stop().await;
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_duban"))
                .args(["bulletin", "--now", "2026-11-27 16:00"])
                .env("DUBAN__DATABASE__URL", &db.url)
                .env("DUBAN__TELEGRAM__API_URL", sim.api_url())
                .env("DUBAN__TELEGRAM__TOKEN", TOKEN)
                .env("DUBAN__LEADERSHIP_CHATS", LEAD_CHAT.to_string())
                .env("RUST_LOG", "warn")
                .spawn()
                .unwrap()
        };
        let (mut a, mut b) = (spawn(), spawn());
        let (ra, rb) = tokio::task::spawn_blocking(move || (a.wait().unwrap(), b.wait().unwrap()))
            .await
            .unwrap();
        assert!(ra.success() && rb.success(), "{}: {ra} {rb}", db.label);
        assert_eq!(to_chat(&sim, LEAD_CHAT, "督办周动态"), 1, "{}", db.label);
        assert_eq!(to_chat(&sim, -1077, "督办周动态"), 1, "{}", db.label);
    }
}

/// Telegram counts 30 messages a second overall as they arrive; the prompt
/// to more groups than that must be spread, not sent and refused.
#[tokio::test]
async fn the_prompt_to_many_groups_keeps_telegrams_limits() {
    const N: usize = 75;
    let db = TestDb::sqlite();
    let sim = world().await;
    let store = db.store().await;
    let mut csv = String::from("code,name,owner,stage,investment,milestone,pledged\n");
    for i in 0..N {
        csv.push_str(&format!("F{i:03},项目{i},业主{i},landed,2亿,,\n"));
    }
    let now = sh(2026, 11, 23, 8, 0);
    duban::service::import::import_csv(&store, csv.as_bytes(), "f", now, chrono_tz::Asia::Shanghai)
        .await
        .unwrap();
    let group = |i: usize| -1_001_000_000_000 - i as i64;
    let mut tx = store.begin().await.unwrap();
    for i in 0..N {
        bind_group(
            &mut tx,
            &sim,
            group(i),
            ChatKind::Supergroup,
            &format!("F{i:03}"),
        )
        .await;
    }
    tx.commit().await.unwrap();
    store.close().await;
    sim.enforce_limits(Limits::TELEGRAM);

    let bot = Running::start_with(&sim, settings_for(&db, &sim, &[]), now).await;
    let start = std::time::Instant::now();
    at(&bot, sh(2026, 11, 23, 9, 0)).await;
    assert!(
        sim.wait_sent_count(N, Duration::from_secs(30)).await,
        "only {} of {N} prompts sent",
        sim.sent_count()
    );
    let took = start.elapsed();
    bot.stop().await;
    for i in 0..N {
        assert_eq!(to_chat(&sim, group(i), "2026年第48周"), 1, "group {i}");
    }
    assert_eq!(sim.rate_limited(), 0, "429s: the limits were discovered");
    // Spread at 30 a second (with a 2 % margin), not one at a time per
    // round trip (generous above: other tests share the machine).
    let minimum = Duration::from_millis(1000 * (N as u64 - 1) / 30);
    assert!(took >= minimum, "{took:?}");
    assert!(took < minimum * 4, "{took:?}");
}
