//! A short run of the demo shows the whole weekly rhythm, in both
//! languages, with no token and nothing but 127.0.0.1. (The demo lives in
//! the binary, so its tests do too; `tests/it/demo.rs` runs the binary.)

use duban::config::Settings;
use duban::domain::ids::Platform;
use duban::domain::lang::Lang;
use duban::store::Store;

use super::{ChatRole, Options, Transcript, run};

fn settings() -> Settings {
    // An explicit empty file keeps a developer's config/local.toml out of it.
    let empty = tempfile::NamedTempFile::new().unwrap();
    Settings::load_from(Some(empty.path()), &[]).expect("settings")
}

struct Expect {
    prompt: &'static str,
    echo: &'static str,
    nudge: &'static str,
    deadline: &'static str,
    bulletin: &'static str,
}

fn assert_rhythm(t: &Transcript, e: &Expect) {
    let shown = t.render();
    let in_groups = |needle: &str| {
        t.bot_texts(ChatRole::ProjectGroup)
            .any(|x| x.contains(needle))
    };
    assert!(in_groups(e.prompt), "no prompt:\n{shown}");
    assert!(in_groups(e.echo), "no report echo:\n{shown}");
    assert!(in_groups(e.nudge), "no nudge:\n{shown}");
    assert!(
        t.bot_texts(ChatRole::Private)
            .any(|x| x.contains(e.deadline)),
        "no deadline ping in the liaison's private chat:\n{shown}"
    );
    assert!(
        t.bot_texts(ChatRole::Leadership)
            .any(|x| x.contains(e.bulletin)),
        "no bulletin in the leadership chat:\n{shown}"
    );
    let last = t.last_bulletin.as_deref().expect("a last bulletin");
    assert!(last.starts_with(e.bulletin), "{last}");
    assert!(shown.contains(last), "the last bulletin is printed in full");
    assert_eq!(t.missed_replies, 0, "{shown}");
}

#[tokio::test]
async fn a_week_of_the_demo_in_chinese() {
    let t = run(Options {
        settings: settings(),
        weeks: 1,
        lang: Lang::ZhCn,
        platform: Platform::Telegram,
        keep: None,
        serve: false,
    })
    .await
    .expect("the demo runs");
    assert_rhythm(
        &t,
        &Expect {
            prompt: "请直接回复本消息提交本周周报",
            echo: "已记录 P2026-001 新能源电池材料项目 2026-W48 周报",
            nudge: "本周周报还没有收到",
            deadline: "你联络的项目需要关注",
            bulletin: "督办周动态 · 2026年第48周",
        },
    );
    // The owner who forgot until nudged, wrote a malformed report and
    // corrected it.
    let group: Vec<&str> = t.bot_texts(ChatRole::ProjectGroup).collect();
    assert!(group.iter().any(|x| x.contains("进度须为 0 到 100 的整数")));
    assert!(group.iter().any(|x| x.contains("已记录 P2026-004")));
}

#[tokio::test]
async fn a_week_of_the_demo_in_english_keeps_its_database_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("demo.db");
    let t = run(Options {
        settings: settings(),
        weeks: 1,
        lang: Lang::En,
        platform: Platform::Telegram,
        keep: Some(kept.clone()),
        serve: false,
    })
    .await
    .expect("the demo runs");
    assert_rhythm(
        &t,
        &Expect {
            prompt: "please reply to this message with this week's report",
            echo: "Recorded the 2026-W48 report of P2026-001 Battery materials plant",
            nudge: "has not arrived this week",
            deadline: "your projects that need attention",
            bulletin: "Weekly bulletin · week 48 of 2026",
        },
    );
    let store = Store::open(&format!("sqlite://{}", kept.display()), 1)
        .await
        .unwrap();
    let projects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let reports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
        .fetch_one(store.pool())
        .await
        .unwrap();
    store.close().await;
    assert_eq!(projects, 12);
    assert!(reports >= 10, "{reports} reports");

    // A kept file is never reused: the demo starts from a fresh database.
    let again = run(Options {
        settings: settings(),
        weeks: 1,
        lang: Lang::En,
        platform: Platform::Telegram,
        keep: Some(kept),
        serve: false,
    })
    .await;
    assert!(again.is_err());
}

#[tokio::test]
async fn a_week_of_the_demo_on_feishu_reads_as_on_telegram() {
    let t = run(Options {
        settings: settings(),
        weeks: 1,
        lang: Lang::ZhCn,
        platform: Platform::Feishu,
        keep: None,
        serve: false,
    })
    .await
    .expect("the demo runs on Feishu");
    assert_rhythm(
        &t,
        &Expect {
            prompt: "请直接回复本消息提交本周周报",
            echo: "已记录 P2026-001 新能源电池材料项目 2026-W48 周报",
            nudge: "本周周报还没有收到",
            deadline: "你联络的项目需要关注",
            bulletin: "督办周动态 · 2026年第48周",
        },
    );
    let shown = t.render();
    assert!(shown.contains("本地模拟的飞书"), "{shown}");
    // The picture's text, sent just before it (Feishu has no captions),
    // stays out of the bulletin, as Telegram's caption does.
    let last = t.last_bulletin.as_deref().unwrap_or_default();
    assert!(!last.contains("挂图"), "{last}");
    // People address the bot in groups with its @ name, as Feishu asks.
    let group = t.chat(ChatRole::ProjectGroup).next().expect("a group");
    assert!(
        group
            .lines
            .iter()
            .any(|l| !l.from_bot && l.text.starts_with("@督办 /bind P2026-001")),
        "{shown}"
    );
    // The malformed report and its correction, in the second group.
    let texts: Vec<&str> = t.bot_texts(ChatRole::ProjectGroup).collect();
    assert!(texts.iter().any(|x| x.contains("进度须为 0 到 100 的整数")));
    assert!(texts.iter().any(|x| x.contains("已记录 P2026-004")));
}
