//! duban on Feishu's long connection end to end: the real adapter asks
//! `feishusim` for the endpoint, dials its WebSocket and takes the events
//! as protobuf frames, ACKing each once it is stored; chunks, a dropped
//! connection and late ACKs on both databases.

use std::time::Duration;

use feishusim::{FeishuSim, Sent};

use crate::feishu::{
    REPORT, Running, WAIT, World, answer, ask, sent_where, settings_for, setup_project, world,
};
use crate::helpers::{TestDb, count, free_port, sh};

/// The bot on the long connection, once the simulator counts its client.
async fn start(db: &TestDb, w: &World, now: chrono::DateTime<chrono::Utc>) -> Running {
    w.sim.use_long_connection();
    let mode = [("DUBAN__FEISHU__MODE", "long_connection")];
    let running = Running::launch(settings_for(db, w, free_port(), &mode), now);
    connected(&w.sim, &running.task).await;
    running
}

/// Waits until exactly one client is connected.
async fn connected<T>(sim: &FeishuSim, task: &tokio::task::JoinHandle<T>) {
    let deadline = std::time::Instant::now() + WAIT;
    while sim.ws_connections() != 1 {
        assert!(
            std::time::Instant::now() < deadline && !task.is_finished(),
            "the bot never opened its long connection"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Messages the bot sent in reply to `message_id`.
fn replies_to(sim: &FeishuSim, message_id: &str) -> Vec<Sent> {
    sim.sent()
        .into_iter()
        .filter(|s| s.reply_to.as_deref() == Some(message_id))
        .collect()
}

/// The bot's first reply to a message, however its push went.
async fn reply_to(sim: &FeishuSim, message_id: &str) -> Sent {
    sent_where(sim, &format!("a reply to {message_id}"), |s| {
        s.reply_to.as_deref() == Some(message_id)
    })
    .await
}

/// The owner's report in message `id` was echoed, recorded and answered,
/// each once.
async fn handled_once(w: &World, db: &TestDb, id: &str) {
    let echo = reply_to(&w.sim, id).await;
    assert!(
        echo.plain.contains("2026-W48"),
        "{}: {}",
        db.label,
        echo.plain
    );
    let status = ask(w, &w.group, &w.owner, "@督办 /status").await;
    assert!(status.plain.contains("进度：65%"), "{}", status.plain);
    assert_eq!(replies_to(&w.sim, id).len(), 1, "{:#?}", w.sim.sent());
    assert_eq!(count(db, "SELECT COUNT(*) FROM reports").await, 1);
}

#[tokio::test]
async fn a_project_is_set_up_and_reported_over_the_long_connection_each_event_acked_once_stored() {
    for db in TestDb::all().await {
        let w = world().await;
        let bot = start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
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
        // Every push came back with an ACK 200, one each, and each acked
        // event is in the inbox: stored before the ACK.
        let acks = w.sim.acks();
        assert!(acks.iter().all(|(_, code)| *code == 200), "{acks:?}");
        let stored = count(&db, "SELECT COUNT(*) FROM platform_events").await;
        assert_eq!(acks.len() as i64, stored, "{}: {acks:?}", db.label);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM reports").await, 1);
        assert!(w.sim.pings() >= 1, "the bot pings at once");
        bot.stop().await;
        let deadline = std::time::Instant::now() + WAIT;
        while w.sim.ws_connections() != 0 {
            assert!(std::time::Instant::now() < deadline, "closed at shutdown");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn an_event_split_into_chunks_is_joined_and_handled_once() {
    for db in TestDb::all().await {
        let w = world().await;
        // Every event in pieces of 64 bytes: a report is a dozen of them.
        w.sim.set_chunk_size(Some(64));
        let bot = start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
        let pledged = setup_project(&w).await;
        let p = w
            .sim
            .reply(&w.group, &w.owner, &pledged.message_id, REPORT)
            .await;
        assert_eq!(p.status, Some(200), "the webhook took {p:?}");
        handled_once(&w, &db, p.message_id.as_deref().unwrap()).await;
        let acks = w.sim.acks();
        assert_eq!(
            acks.iter().filter(|(e, _)| *e == p.event_id).count(),
            1,
            "{acks:?}"
        );
        bot.stop().await;
    }
}

#[tokio::test]
async fn after_the_server_drops_the_connection_the_bot_reconnects_and_a_message_pushed_meanwhile_is_handled_once()
 {
    for db in TestDb::all().await {
        let w = world().await;
        let bot = start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
        let pledged = setup_project(&w).await;
        w.sim.drop_connections().await;
        // Pushed while the bot is away (or just back): it waits for a
        // client, then comes once.
        let p = w
            .sim
            .reply(&w.group, &w.owner, &pledged.message_id, REPORT)
            .await;
        connected(&w.sim, &bot.task).await;
        handled_once(&w, &db, p.message_id.as_deref().unwrap()).await;
        assert_eq!(w.sim.queued(), 0);
        bot.stop().await;
    }
}

#[tokio::test]
async fn an_event_redelivered_because_its_ack_was_late_is_handled_once() {
    for db in TestDb::all().await {
        let w = world().await;
        let bot = start(&db, &w, sh(2026, 11, 24, 10, 0)).await;
        let pledged = setup_project(&w).await;
        // No ACK can be in time: the simulator delivers the report again
        // and again, as Feishu does after 3 s without one.
        w.sim.set_ack_timeout(Duration::ZERO);
        let p = w
            .sim
            .reply(&w.group, &w.owner, &pledged.message_id, REPORT)
            .await;
        w.sim.set_ack_timeout(Duration::from_secs(3));
        assert_eq!(p.status, Some(0), "no ACK counted in time");
        handled_once(&w, &db, p.message_id.as_deref().unwrap()).await;
        // Every delivery was acked 200 (late), stored once, handled once.
        let deliveries: Vec<u16> = w
            .sim
            .acks()
            .into_iter()
            .filter(|(e, _)| *e == p.event_id)
            .map(|(_, code)| code)
            .collect();
        assert!(deliveries.len() > 1, "{deliveries:?}");
        assert!(deliveries.iter().all(|c| *c == 200), "{deliveries:?}");
        bot.stop().await;
    }
}
