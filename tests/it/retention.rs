//! Storage that does not grow forever: the prune job's cut-offs, SQLite's
//! free pages given back, and `duban backup` from outside.

use std::process::Output;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use duban::domain::schedule::Job;
use duban::jobs::{JobDeps, prune};
use duban::store::outbox::{self, NewClaim};
use duban::store::{Store, inbox};

use crate::helpers::{EXAMPLE_CSV, TestDb, duban, sh};

fn deps(db: &TestDb, store: &Store) -> JobDeps {
    JobDeps {
        store: store.clone(),
        settings: Arc::new(db.settings()),
        owner: "test".into(),
        hooks: Default::default(),
    }
}

/// An update stored at `at`, handled then unless `handled` is false.
async fn update(store: &Store, id: i64, at: DateTime<Utc>, handled: bool, raw: &str) {
    let mut conn = store.conn().await.unwrap();
    assert!(inbox::store(&mut conn, id, raw, at).await.unwrap());
    if handled {
        assert!(inbox::claim(&mut conn, id, "[]", at).await.unwrap());
    }
}

async fn claim(store: &Store, period: &str, at: DateTime<Utc>) {
    let mut conn = store.conn().await.unwrap();
    let c = NewClaim {
        job: Job::Prompt,
        period,
        chat_key: "telegram:-100",
        payload: "{}",
        owner: "test",
        late: false,
    };
    outbox::claim(&mut conn, &c, at).await.unwrap();
}

async fn ids(store: &Store, sql: &'static str) -> Vec<i64> {
    sqlx::query_scalar(sql)
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_prune_deletes_handled_updates_and_claims_past_their_keep_and_nothing_else() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let now = sh(2026, 12, 3, 3, 30);
        let (old, recent) = (now - Duration::days(31), now - Duration::days(29));
        update(&store, 1, old, true, "{}").await; // handled, past 30 days: goes
        update(&store, 2, old, false, "{}").await; // never handled: stays
        update(&store, 3, recent, true, "{}").await; // within 30 days: stays
        update(&store, 4, old, true, "{}").await; // the newest: the poll's offset
        claim(&store, "2025-W40", now - Duration::days(401)).await; // goes
        claim(&store, "2025-W52", now - Duration::days(399)).await; // stays
        let deps = deps(&db, &store);

        let counted = prune::run(&deps, now, true).await.unwrap();
        assert_eq!((counted.inbox, counted.outbox), (1, 1), "{}", db.label);
        let all = "SELECT update_id FROM inbox ORDER BY update_id";
        assert_eq!(
            ids(&store, all).await,
            [1, 2, 3, 4],
            "dry run: {}",
            db.label
        );

        let pruned = prune::run(&deps, now, false).await.unwrap();
        assert_eq!((pruned.inbox, pruned.outbox), (1, 1), "{}", db.label);
        assert_eq!(ids(&store, all).await, [2, 3, 4], "{}", db.label);
        let periods: Vec<String> = sqlx::query_scalar("SELECT period FROM outbox")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(periods, ["2025-W52"], "{}", db.label);

        let again = prune::run(&deps, now, false).await.unwrap();
        assert_eq!((again.inbox, again.outbox), (0, 0), "{}", db.label);
        store.close().await;
    }
}

#[tokio::test]
async fn a_large_prune_gives_sqlites_free_pages_back() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let now = sh(2026, 12, 3, 3, 30);
    let raw = format!("{{\"text\":\"{}\"}}", "进度".repeat(500));
    for id in 1..=400 {
        update(&store, id, now - Duration::days(60), true, &raw).await;
    }
    update(&store, 401, now, false, &raw).await;
    let pages_before: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(store.pool())
        .await
        .unwrap();

    let pruned = prune::run(&deps(&db, &store), now, false).await.unwrap();

    assert_eq!(pruned.inbox, 400);
    assert!(pruned.freed_pages > 0, "{pruned:?}");
    let pages_after: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let free: i64 = sqlx::query_scalar("PRAGMA freelist_count")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(
        pages_after < pages_before / 2,
        "{pages_before} → {pages_after}"
    );
    assert_eq!(free, 0);
    store.close().await;
}

#[test]
fn a_ledger_kept_too_short_to_guard_a_quarterly_review_is_refused() {
    let empty = tempfile::NamedTempFile::new().unwrap();
    let env = vec![("DUBAN__OUTBOX__KEEP_DAYS".to_string(), "30".to_string())];
    let e = duban::config::Settings::load_from(Some(empty.path()), &env).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("outbox.keep_days"), "{text}");
    assert!(text.contains("quarterly review twice"), "{text}");
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn backup_writes_a_copy_that_opens_and_refuses_to_overwrite_or_to_copy_postgresql() {
    for db in TestDb::all().await {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("v1.csv"), EXAMPLE_CSV).unwrap();
        let out = duban(&db, dir.path(), &["import", "v1.csv"]);
        assert!(out.status.success(), "{}", text(&out));

        let out = duban(&db, dir.path(), &["backup", "copy.db"]);
        if db.label != "sqlite" {
            assert_eq!(out.status.code(), Some(1), "{}", text(&out));
            assert!(text(&out).contains("pg_dump"), "{}", text(&out));
            assert!(!dir.path().join("copy.db").exists());
            continue;
        }
        assert!(out.status.success(), "{}", text(&out));
        let copy = format!("sqlite://{}", dir.path().join("copy.db").display());
        let copy = Store::connect(&copy, 1).await.unwrap();
        let projects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
            .fetch_one(copy.pool())
            .await
            .unwrap();
        let original = db.store().await;
        let expected: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
            .fetch_one(original.pool())
            .await
            .unwrap();
        assert!(projects > 0);
        assert_eq!(projects, expected);
        copy.close().await;
        original.close().await;

        let before = std::fs::read(dir.path().join("copy.db")).unwrap();
        let out = duban(&db, dir.path(), &["backup", "copy.db"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("exists already"), "{}", text(&out));
        assert_eq!(std::fs::read(dir.path().join("copy.db")).unwrap(), before);
    }
}

#[tokio::test]
async fn prune_by_hand_counts_on_a_dry_run_and_deletes_otherwise() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let at = sh(2026, 10, 1, 10, 0);
    update(&store, 1, at, true, "{}").await;
    update(&store, 2, at, true, "{}").await;
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let now = ["--now", "2026-12-03 03:30"];

    let out = duban(
        &db,
        dir.path(),
        &[&["prune", "--dry-run"][..], &now].concat(),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(
            "prune 2026-12-03: 1 handled update(s) and 0 ledger claim(s) would be deleted (dry run)"
        ),
        "{}",
        text(&out)
    );
    let out = duban(&db, dir.path(), &[&["prune"][..], &now].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 handled update(s) and 0 ledger claim(s) deleted"));
    let store = db.store().await;
    assert_eq!(ids(&store, "SELECT update_id FROM inbox").await, [2]);
    store.close().await;
}

#[tokio::test]
async fn the_running_bot_prunes_at_its_hour_on_the_injected_clock() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    update(&store, 1, sh(2026, 10, 1, 10, 0), true, "{}").await;
    update(&store, 2, sh(2026, 10, 1, 10, 0), true, "{}").await;
    let all = "SELECT update_id FROM inbox ORDER BY update_id";
    let sim = crate::bot::world().await;
    let bot = crate::bot::Running::start(&db, &sim).await;
    assert_eq!(
        ids(&store, all).await,
        [1, 2],
        "nothing is pruned before 03:30"
    );

    bot.clock.set(sh(2026, 11, 25, 3, 30));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while ids(&store, all).await != [2] {
        assert!(std::time::Instant::now() < deadline, "the prune never ran");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    bot.stop().await;
    store.close().await;
}
