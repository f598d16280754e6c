//! The long connection from a client's side: the endpoint, the handshake,
//! ping and pong, event frames and chunks, ACKs and redelivery.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use prost::Message as _;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::frame::{self, Frame, header};
use crate::{Config, FeishuSim};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(5);

async fn post_endpoint(sim: &FeishuSim, secret: &str) -> Value {
    let body = json!({ "AppID": sim.config().app_id, "AppSecret": secret });
    let response = reqwest::Client::new()
        .post(format!("{}/callback/ws/endpoint", sim.url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

async fn dial(sim: &FeishuSim) -> (Client, String) {
    let answer = post_endpoint(sim, &sim.config().app_secret).await;
    let url = answer["data"]["URL"].as_str().unwrap().to_owned();
    let (client, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    (client, url)
}

/// The next message from the server.
async fn next(client: &mut Client) -> Message {
    tokio::time::timeout(WAIT, client.next())
        .await
        .expect("a message in time")
        .expect("the socket is open")
        .expect("a readable message")
}

async fn next_frame(client: &mut Client) -> Frame {
    match next(client).await {
        Message::Binary(bytes) => Frame::decode(bytes.as_ref()).unwrap(),
        other => panic!("not a frame: {other:?}"),
    }
}

async fn send(client: &mut Client, frame: &Frame) {
    client
        .send(Message::Binary(frame.encode_to_vec().into()))
        .await
        .unwrap();
}

/// The SDKs' ACK: the frame echoed, `biz_rt` added, `{"code":N}`.
fn ack(frame: &Frame, code: u16) -> Frame {
    let mut ack = frame.clone();
    ack.headers.push(header("biz_rt", "3"));
    ack.payload = Some(format!("{{\"code\":{code}}}").into_bytes());
    ack
}

fn sim_config() -> Config {
    Config {
        encrypt_key: None,
        ..Config::default()
    }
}

#[tokio::test]
async fn the_endpoint_refuses_a_wrong_secret_and_hands_out_a_ws_url_with_its_config() {
    let sim = FeishuSim::start(sim_config()).await.unwrap();
    let refused = post_endpoint(&sim, "wrong").await;
    assert_eq!(refused["code"], 1_000_040_345);
    let answer = post_endpoint(&sim, &sim.config().app_secret).await;
    assert_eq!(answer["code"], 0);
    let url = answer["data"]["URL"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("ws://{}/ws/v2?", sim.addr())),
        "{url}"
    );
    for param in ["device_id=", "service_id=", "access_key="] {
        assert!(url.contains(param), "{url}");
    }
    assert_eq!(
        answer["data"]["ClientConfig"],
        json!({
            "ReconnectCount": -1,
            "ReconnectInterval": 1,
            "ReconnectNonce": 0,
            "PingInterval": 120,
        })
    );
    sim.stop().await;
}

#[tokio::test]
async fn a_ping_gets_a_pong_with_the_config_and_a_used_key_is_refused_with_403() {
    let sim = FeishuSim::start(sim_config()).await.unwrap();
    sim.set_ping_interval(7);
    let (mut client, url) = dial(&sim).await;
    assert_eq!(sim.ws_connections(), 1);
    let ping = Frame {
        service: 33_554_678,
        method: frame::CONTROL,
        headers: vec![header("type", "ping")],
        ..Frame::default()
    };
    send(&mut client, &ping).await;
    let pong = next_frame(&mut client).await;
    assert_eq!(
        (pong.method, pong.header("type")),
        (frame::CONTROL, Some("pong"))
    );
    let config: Value = serde_json::from_slice(pong.payload.as_deref().unwrap()).unwrap();
    assert_eq!(config["PingInterval"], 7);
    assert_eq!(sim.pings(), 1);
    // An access key is good for one connection.
    let Err(tungstenite::Error::Http(refused)) =
        tokio_tungstenite::connect_async(url.as_str()).await
    else {
        panic!("a second use of the key must be refused");
    };
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["Handshake-Status"], "403");
    // The server closing the socket: the client sees the close.
    sim.drop_connections().await;
    assert_eq!(sim.ws_connections(), 0);
    assert!(matches!(
        client.next().await,
        Some(Ok(Message::Close(_))) | None
    ));
    sim.stop().await;
}

#[tokio::test]
async fn an_event_waits_for_a_client_then_comes_whole_or_in_chunks_and_its_ack_is_recorded() {
    let sim = FeishuSim::start(sim_config()).await.unwrap();
    sim.use_long_connection();
    let user = sim.add_user("王业主");
    let queued = sim.open_p2p(&user).await;
    assert_eq!(queued.status, None, "no client yet");
    assert_eq!(sim.queued(), 1);
    let (mut client, _) = dial(&sim).await;
    let event = next_frame(&mut client).await;
    assert_eq!((event.method, event.service), (frame::DATA, 33_554_678));
    for (key, value) in [("type", "event"), ("sum", "1"), ("seq", "0")] {
        assert_eq!(event.header(key), Some(value), "{event:?}");
    }
    assert!(event.header("message_id").is_some() && event.header("trace_id").is_some());
    let body: Value = serde_json::from_slice(event.payload.as_deref().unwrap()).unwrap();
    assert_eq!(body["header"]["event_id"], queued.event_id.as_str());
    send(&mut client, &ack(&event, 200)).await;

    sim.set_chunk_size(Some(100));
    let said = tokio::spawn({
        let sim = sim.clone();
        async move { sim.say(&user, &user, "进度: 65%").await }
    });
    let first = next_frame(&mut client).await;
    let sum: usize = first.header("sum").unwrap().parse().unwrap();
    assert!(sum > 1, "{first:?}");
    let mut payload = first.payload.clone().unwrap();
    let mut last = first.clone();
    for seq in 1..sum {
        last = next_frame(&mut client).await;
        assert_eq!(last.header("seq"), Some(seq.to_string().as_str()));
        assert_eq!(last.header("message_id"), first.header("message_id"));
        assert_eq!(last.seq_id, first.seq_id);
        payload.extend(last.payload.clone().unwrap());
    }
    let body: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(body["header"]["event_type"], "im.message.receive_v1");
    send(&mut client, &ack(&last, 200)).await;
    let said = said.await.unwrap();
    assert_eq!(said.status, Some(200));
    assert_eq!(
        sim.acks(),
        vec![(queued.event_id, 200), (said.event_id, 200)]
    );
    sim.stop().await;
}

#[tokio::test]
async fn an_event_not_acked_in_time_or_acked_badly_comes_again_with_the_same_message_id() {
    let sim = FeishuSim::start(sim_config()).await.unwrap();
    sim.use_long_connection();
    sim.set_ack_timeout(Duration::from_millis(100));
    let user = sim.add_user("王业主");
    let (mut client, _) = dial(&sim).await;
    let opened = tokio::spawn({
        let sim = sim.clone();
        async move { sim.open_p2p(&user).await }
    });
    let first = next_frame(&mut client).await;
    // Not answered at all, then answered without echoing the frame.
    let second = next_frame(&mut client).await;
    let mut bad = ack(&second, 200);
    bad.headers.retain(|h| h.key != "biz_rt");
    send(&mut client, &bad).await;
    let third = next_frame(&mut client).await;
    assert_eq!(first.payload, third.payload, "the same body");
    assert_eq!(first.header("message_id"), third.header("message_id"));
    assert_ne!(first.seq_id, third.seq_id, "a new delivery");
    send(&mut client, &ack(&third, 200)).await;
    let opened = opened.await.unwrap();
    assert_eq!(opened.status, Some(200));
    assert_eq!(
        sim.acks(),
        vec![(opened.event_id.clone(), 0), (opened.event_id, 200)]
    );
    sim.stop().await;
}
