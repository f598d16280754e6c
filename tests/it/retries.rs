//! Updates whose handling fails, from outside: a transient database error
//! retried inside the handler, a permanent one tried again by the running
//! bot until it is set aside as failed (and `duban status --health` lists
//! it), and the real transient errors of both engines recognised as such.

use std::sync::Arc;
use std::time::Duration;

use duban::faults::Hooks;
use duban::store::{Op, Store, StoreError, transient};
use sqlx::Row;

use crate::bot::{ADMIN, GROUP, Running, ask, reply_to, settings_for, world};
use crate::helpers::{TestDb, count, duban, eventually, sh};

/// The update's row: (tries, set aside, handled).
async fn attempts_of(store: &Store, update_id: i64) -> (i64, bool, bool) {
    let mut conn = store.conn().await.unwrap();
    let row = sqlx::query(
        "SELECT attempts, failed_at IS NOT NULL AS failed, handled_at IS NOT NULL AS handled \
         FROM inbox WHERE update_id = $1",
    )
    .bind(update_id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let flag = |c: &str| {
        row.try_get::<bool, _>(c)
            .or_else(|_| row.try_get::<i64, _>(c).map(|v| v != 0))
            .unwrap()
    };
    (row.get("attempts"), flag("failed"), flag("handled"))
}

async fn last_update_id(db: &TestDb) -> i64 {
    count(db, "SELECT MAX(update_id) FROM inbox").await
}

async fn projects(db: &TestDb) -> i64 {
    count(db, "SELECT COUNT(*) FROM projects").await
}

#[tokio::test]
async fn a_transient_database_error_is_retried_inside_the_handler_and_the_update_handled_once() {
    for db in TestDb::all().await {
        let sim = world().await;
        let hooks = Arc::new(Hooks::default());
        let settings = settings_for(&db, &sim, &[]);
        let bot =
            Running::start_hooked(&sim, settings, sh(2026, 11, 24, 10, 0), hooks.clone()).await;
        hooks.fail_handling(2, true);
        let r = ask(&sim, GROUP, ADMIN, "/newproject P1 新能源电池项目").await;
        assert!(r.text.contains("已新建项目 P1"), "{}: {}", db.label, r.text);
        assert_eq!(hooks.failures_left(), 0, "{}", db.label);
        assert!(
            sim.sent().iter().all(|s| !s.text.contains("出错")),
            "{}: no apology for a failure retried away: {:#?}",
            db.label,
            sim.sent()
        );
        bot.stop().await;
        let store = db.store().await;
        let update_id = last_update_id(&db).await;
        assert_eq!(
            attempts_of(&store, update_id).await,
            (0, false, true),
            "{}: handled on the first try's retries, no later try counted",
            db.label
        );
        assert_eq!(projects(&db).await, 1, "{}", db.label);
    }
}

#[tokio::test]
async fn a_permanent_error_is_tried_again_by_the_running_bot_and_set_aside_after_max_attempts() {
    for db in TestDb::all().await {
        let sim = world().await;
        let hooks = Arc::new(Hooks::default());
        let settings = settings_for(
            &db,
            &sim,
            &[
                ("DUBAN__INBOX__MAX_ATTEMPTS", "3"),
                ("DUBAN__INBOX__RETRY_SECS", "60"),
            ],
        );
        let bot =
            Running::start_hooked(&sim, settings, sh(2026, 11, 24, 10, 0), hooks.clone()).await;
        hooks.fail_handling(1000, false);
        let asked = sim.push_text(GROUP, ADMIN, "/newproject P1 新能源电池项目");
        let sorry = reply_to(&sim, GROUP, asked.message_id).await;
        assert!(
            sorry.text.contains("自动重试"),
            "{}: {}",
            db.label,
            sorry.text
        );
        let store = db.store().await;
        let update_id = last_update_id(&db).await;
        assert_eq!(attempts_of(&store, update_id).await, (1, false, false));

        // Not tried again before its time; then once per retry_secs.
        bot.clock.advance(chrono::Duration::seconds(30));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(attempts_of(&store, update_id).await.0, 1, "{}", db.label);
        for tries in [2, 3] {
            bot.clock.advance(chrono::Duration::seconds(61));
            eventually(&format!("try {tries}"), async || {
                attempts_of(&store, update_id).await.0 == tries
            })
            .await;
        }
        assert_eq!(attempts_of(&store, update_id).await, (3, true, false));
        let aside = sim
            .wait_sent(Duration::from_secs(15), |s| s.text.contains("3 次尝试"))
            .await
            .expect("the sender is told the message was set aside");
        assert_eq!(aside.reply_to, Some(asked.message_id));
        let apologies = sim
            .sent()
            .iter()
            .filter(|s| s.reply_to == Some(asked.message_id))
            .count();
        assert_eq!(
            apologies, 2,
            "{}: told once at first, once when set aside",
            db.label
        );

        // Set aside for good: not tried again, nor at the next start.
        bot.clock.advance(chrono::Duration::seconds(600));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(attempts_of(&store, update_id).await.0, 3);
        bot.stop().await;
        let dir = tempfile::tempdir().unwrap();
        let out = duban(&db, dir.path(), &["status", "--health"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{}: {stdout}", db.label);
        assert!(stdout.contains("已搁置 1 条"), "{}: {stdout}", db.label);
        assert!(
            stdout.contains(&format!("搁置的更新 {update_id}：尝试 3 次"))
                && stdout.contains("faults: injected"),
            "{}: {stdout}",
            db.label
        );
        let bot =
            Running::start_with(&sim, settings_for(&db, &sim, &[]), sh(2026, 11, 24, 11, 0)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        bot.stop().await;
        assert_eq!(attempts_of(&store, update_id).await, (3, true, false));
        assert_eq!(
            projects(&db).await,
            0,
            "{}: nothing of it recorded",
            db.label
        );
    }
}

#[tokio::test]
async fn a_healthy_inbox_reports_its_backlog_and_exits_zero() {
    let db = TestDb::sqlite();
    db.store().await;
    let dir = tempfile::tempdir().unwrap();
    let out = duban(&db, dir.path(), &["status", "--health", "--lang", "en"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("inbox: 0 waiting to be handled") && stdout.contains("0 set aside"),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_busy_sqlite_file_is_transient_and_retried_until_the_writer_lets_go() {
    let db = TestDb::sqlite();
    let (holder, waiter) = (db.store().await, Store::connect(&db.url, 1).await.unwrap());
    let mut held = holder.conn().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *held)
        .await
        .unwrap();
    let mut conn = waiter.conn().await.unwrap();
    sqlx::query("PRAGMA busy_timeout = 0")
        .execute(&mut *conn)
        .await
        .unwrap();
    let busy: StoreError = sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *conn)
        .await
        .op("test: begin while another writer holds the file")
        .unwrap_err();
    assert!(busy.is_transient(), "{busy}");
    drop(conn);

    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(120)).await;
        sqlx::query("ROLLBACK").execute(&mut *held).await.unwrap();
    });
    let mut retries = 0;
    let done = transient::retrying(
        || async {
            let mut conn = waiter.conn().await?;
            sqlx::query("PRAGMA busy_timeout = 0")
                .execute(&mut *conn)
                .await
                .op("test: no busy wait")?;
            sqlx::query("INSERT INTO inbox (update_id, raw, received_at) VALUES (1, '{}', 0)")
                .execute(&mut *conn)
                .await
                .op("test: insert")
        },
        |_, _| retries += 1,
    )
    .await;
    release.await.unwrap();
    assert!(done.is_ok(), "{done:?}");
    assert!(retries >= 1, "the first try met the busy file");
}

#[tokio::test]
async fn a_postgres_deadlock_is_transient_and_a_constraint_is_not() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.store().await;
    let (mut a, mut b) = (store.conn().await.unwrap(), store.conn().await.unwrap());
    sqlx::query("CREATE TABLE locks (id INT PRIMARY KEY, v INT)")
        .execute(&mut *a)
        .await
        .unwrap();
    sqlx::query("INSERT INTO locks VALUES (1, 0), (2, 0)")
        .execute(&mut *a)
        .await
        .unwrap();
    for (conn, id) in [(&mut a, 1), (&mut b, 2)] {
        sqlx::query("BEGIN").execute(&mut **conn).await.unwrap();
        sqlx::query("UPDATE locks SET v = 1 WHERE id = $1")
            .bind(id)
            .execute(&mut **conn)
            .await
            .unwrap();
    }
    // Each now waits for the row the other holds: PostgreSQL breaks it.
    let (ra, rb) = tokio::join!(
        sqlx::query("UPDATE locks SET v = 2 WHERE id = 2").execute(&mut *a),
        sqlx::query("UPDATE locks SET v = 2 WHERE id = 1").execute(&mut *b),
    );
    let lost = [ra.op("test: a"), rb.op("test: b")]
        .into_iter()
        .find_map(Result::err)
        .expect("one side of the deadlock is aborted");
    assert!(lost.is_transient(), "{lost}");
    for conn in [&mut a, &mut b] {
        sqlx::query("ROLLBACK").execute(&mut **conn).await.unwrap();
    }
    let dup = sqlx::query("INSERT INTO locks VALUES (1, 0)")
        .execute(&mut *a)
        .await
        .op("test: duplicate key")
        .unwrap_err();
    assert!(!dup.is_transient(), "{dup}");
}
