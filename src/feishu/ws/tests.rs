//! The long connection's pure parts, and the client against feishusim.

use super::*;
use tungstenite::http::Response;

fn answer(url: &str) -> Value {
    json!({"code": 0, "msg": "ok", "data": {"URL": url, "ClientConfig": {
        "ReconnectCount": 5, "ReconnectInterval": 3, "ReconnectNonce": 0, "PingInterval": 7}}})
}

#[test]
fn the_endpoints_answer_gives_the_url_the_service_and_the_timing() {
    let url = "wss://msg-frontier.feishu.cn:443/ws/v2?fpid=493&device_id=7345&access_key=k&service_id=33554678&ticket=t";
    let e = endpoint(&answer(url)).unwrap();
    assert_eq!(
        (e.host.as_str(), e.service),
        ("msg-frontier.feishu.cn", 33554678)
    );
    assert_eq!(e.url, url);
    let mut timing = Timing::default();
    timing.update(&e.config);
    assert_eq!(
        timing,
        Timing {
            reconnect_count: 5,
            reconnect_interval: Duration::from_secs(3),
            reconnect_nonce: Duration::ZERO,
            ping_interval: Duration::from_secs(7),
        }
    );
    // A pong's partial config changes only what it names; zero
    // intervals are held at a second.
    timing.update(&json!({"PingInterval": 0}));
    assert_eq!(timing.ping_interval, Duration::from_secs(1));
    assert_eq!(timing.reconnect_count, 5);
    let e = endpoint(&answer(
        "ws://127.0.0.1:4567/ws/v2?device_id=d&service_id=9",
    ))
    .unwrap();
    assert_eq!((e.host.as_str(), e.service), ("127.0.0.1:4567", 9));
}

#[test]
fn endpoint_codes_1_and_1000040343_are_retried_and_others_are_fatal() {
    let code = |c: i64| endpoint(&json!({"code": c, "msg": "m"}));
    assert!(matches!(code(1), Err(Failure::Retry(_))));
    assert!(matches!(code(1_000_040_343), Err(Failure::Retry(_))));
    assert!(matches!(endpoint(&json!({})), Err(Failure::Retry(_))));
    let Err(Failure::Fatal(e)) = code(1_000_040_345) else {
        panic!("a fatal code");
    };
    let said = e.to_string();
    assert!(
        said.contains("feishu.app_id") && said.contains("DUBAN__FEISHU__APP_SECRET"),
        "{said}"
    );
    assert!(said.contains("1000040345"), "{said}");
    // A URL without the ids the frames need is tried again, and the
    // reason names the host, not the query.
    let Err(Failure::Retry(why)) = endpoint(&answer("wss://h.example/ws?access_key=SECRET")) else {
        panic!("retried");
    };
    assert!(
        why.contains("h.example") && !why.contains("SECRET"),
        "{why}"
    );
}

fn handshake(status: u16, headers: &[(&str, &str)]) -> Failure {
    let mut response = Response::builder().status(status);
    for (k, v) in headers {
        response = response.header(*k, *v);
    }
    refused(tungstenite::Error::Http(Box::new(
        response.body(None).unwrap(),
    )))
}

#[test]
fn a_403_or_a_51st_connection_is_fatal_and_other_refusals_are_retried() {
    let f = handshake(
        403,
        &[("Handshake-Status", "403"), ("Handshake-Msg", "forbidden")],
    );
    assert!(
        matches!(f, Failure::Fatal(WsError::Handshake { status: 403, .. })),
        "{f:?}"
    );
    let f = handshake(
        400,
        &[
            ("Handshake-Status", "514"),
            ("Handshake-Autherrcode", "1000040350"),
        ],
    );
    assert!(
        matches!(f, Failure::Fatal(WsError::TooManyConnections { .. })),
        "{f:?}"
    );
    let f = handshake(
        400,
        &[("Handshake-Status", "514"), ("Handshake-Autherrcode", "1")],
    );
    assert!(matches!(f, Failure::Retry(_)), "{f:?}");
    assert!(matches!(handshake(502, &[]), Failure::Retry(_)));
    assert!(matches!(handshake(403, &[]), Failure::Fatal(_)));
}

async fn connector(sim: &feishusim::FeishuSim, secret: &str) -> (Connector, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ws.db").display());
    let conn = Connector {
        api_url: sim.url(),
        app_id: sim.config().app_id.clone(),
        app_secret: SecretString::from(secret.to_owned()),
        store: Store::open(&url, 1).await.unwrap(),
        clock: Arc::new(crate::clock::SystemClock),
        stored: Arc::default(),
    };
    (conn, dir)
}

#[tokio::test]
async fn a_refused_secret_ends_the_client_naming_the_keys_and_never_the_secret() {
    let sim = feishusim::FeishuSim::start(feishusim::Config::default())
        .await
        .unwrap();
    let (conn, _dir) = connector(&sim, "not-the-secret-4242").await;
    let (_stop, shutdown) = watch::channel(false);
    let ran = tokio::time::timeout(Duration::from_secs(10), run(conn, shutdown)).await;
    let said = ran
        .expect("a fatal code ends it at once")
        .unwrap_err()
        .to_string();
    assert!(
        said.contains("feishu.app_id") && said.contains("DUBAN__FEISHU__APP_SECRET"),
        "{said}"
    );
    assert!(!said.contains("not-the-secret-4242"), "{said}");
    sim.stop().await;
}

#[tokio::test]
async fn an_event_is_stored_before_its_ack_and_a_redelivery_adds_nothing() {
    let sim = feishusim::FeishuSim::start(feishusim::Config::default())
        .await
        .unwrap();
    sim.use_long_connection();
    let (conn, _dir) = connector(&sim, &sim.config().app_secret).await;
    let (store, stored) = (conn.store.clone(), conn.stored.clone());
    let (stop, shutdown) = watch::channel(false);
    let client = tokio::spawn(run(conn, shutdown));
    while sim.ws_connections() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let user = sim.add_user("王业主");
    let pushed = sim.open_p2p(&user).await;
    assert_eq!(pushed.status, Some(200));
    // The ACK came after the commit: the row is there, the worker rung.
    tokio::time::timeout(Duration::from_secs(1), stored.notified())
        .await
        .unwrap();
    let waiting = |store: Store| async move {
        let mut c = store.conn().await.unwrap();
        let now = chrono::Utc::now();
        events::waiting(&mut c, Platform::Feishu, now, 10)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(waiting(store.clone()).await, 1);
    assert_eq!(sim.redeliver(&pushed.event_id).await.status, Some(200));
    assert_eq!(waiting(store.clone()).await, 1);
    assert_eq!(sim.acks().len(), 2);
    assert!(sim.pings() >= 1, "a ping at once");
    stop.send(true).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), client)
        .await
        .unwrap();
    assert!(ended.unwrap().is_ok());
    sim.stop().await;
}

#[test]
fn the_pause_before_a_reconnect_stays_below_the_nonce() {
    assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    for _ in 0..100 {
        assert!(jitter(Duration::from_secs(2)) < Duration::from_secs(2));
    }
}
