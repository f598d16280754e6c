//! How many SQL statements one report costs, counted through the store
//! (`duban::store::statements_on_this_thread`): a change that adds a query to
//! the path every report takes fails here, not in a benchmark months later.
//! The test's runtime is single-threaded, so the bot it runs counts on
//! this thread alone, whatever other tests run beside it.

use std::time::Duration;

use duban::store::statements_on_this_thread;
use sqlx::Connection;

use crate::bot::*;
use crate::helpers::{TestDb, sh};

/// What one report replying to the prompt costs today (BENCHMARKS.md,
/// ingest): storing its batch, handling it, confirming its echo.
const STATEMENTS_PER_REPORT: u64 = 25;

const WAIT: Duration = Duration::from_secs(15);

const REPORT: &str = "进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n本周完成: 桩基施工\n下周计划: 主体结构\n问题: 临时用电未接通";

#[tokio::test(flavor = "current_thread")]
async fn a_report_costs_no_more_statements_than_counted() {
    let db = TestDb::sqlite();
    let sim = world().await;
    let settings = settings_for(&db, &sim, &[]);
    let bot = Running::start_with(&sim, settings, sh(2026, 11, 23, 8, 0)).await;
    setup_project(&sim).await;
    appoint(&sim, GROUP, OWNER, "/setowner").await;
    bot.clock.set(sh(2026, 11, 23, 9, 0));
    let prompt = sim
        .wait_sent(WAIT, |s| {
            s.chat_id == GROUP && s.text.contains("2026年第48周")
        })
        .await
        .expect("the week's prompt");
    confirmed(&db).await;
    quiet().await;

    let before = statements_on_this_thread();
    let p = sim.push_reply(GROUP, OWNER, REPORT, prompt.message_id);
    let echo = reply_to(&sim, GROUP, p.message_id).await;
    assert!(echo.text.starts_with("已记录 P1"), "{}", echo.text);
    confirmed(&db).await;
    let spent = statements_on_this_thread() - before;
    bot.stop().await;
    assert!(
        spent <= STATEMENTS_PER_REPORT,
        "one report took {spent} statements, more than the {STATEMENTS_PER_REPORT} counted"
    );
    assert!(
        spent >= STATEMENTS_PER_REPORT - 2,
        "fewer than counted ({spent}): lower the bound"
    );
}

/// Waits until the bot has run no statement for 200 ms: the scheduler's
/// work after the prompt (its next run's marks) is not the report's.
async fn quiet() {
    let mut last = statements_on_this_thread();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = statements_on_this_thread();
        if now == last {
            return;
        }
        last = now;
    }
}

/// Waits until every handled update's replies are confirmed and every
/// ledger row the jobs claimed is marked sent, reading the file beside the
/// bot (not through the store, so nothing is counted).
async fn confirmed(db: &TestDb) {
    let mut conn = sqlx::AnyConnection::connect(&db.url)
        .await
        .expect("connect");
    for _ in 0..500 {
        let open: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL OR replied_at IS NULL) \
             + (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL)",
        )
        .fetch_one(&mut conn)
        .await
        .expect("count");
        if open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("updates left unconfirmed");
}
