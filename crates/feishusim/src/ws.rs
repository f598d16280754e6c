//! Events over the long connection (../shared/feishu-wire-format.md §3),
//! once [`FeishuSim::use_long_connection`] was called: `POST
//! /callback/ws/endpoint` hands out a `ws://` URL on the simulator's own
//! port with a one-time access key; `/ws/v2` upgrades it (403 for an
//! unknown key, 514 with auth code 1000040350 past 50 connections); pings
//! get a pong carrying the ClientConfig; each event goes to one random
//! connected client as DATA frames (split into `sum` chunks when a chunk
//! size is set), and is delivered again, same body and same `message_id`,
//! when no ACK `{"code":200}` echoing it came back within the ACK timeout
//! (Feishu: 3 s), on the webhook's scaled-down retry schedule.
//!
//! Events pushed while no client is connected wait in the queue the webhook
//! uses, and go out, in order, once one connects.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use prost::Message as _;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::frame::{self, Frame, header};
use crate::{FeishuSim, Inner, error, ids, lock};

/// Waits before the redeliveries of an event that got no ACK 200 (the
/// webhook's schedule, Feishu's 15 s, 5 min, 1 h, 6 h scaled down).
const RETRIES: [Duration; 4] = [
    Duration::from_millis(50),
    Duration::from_millis(200),
    Duration::from_millis(500),
    Duration::from_secs(1),
];

/// Feishu's limit of connections per app.
const MAX_CONNECTIONS: usize = 50;

/// The `service_id` in every URL, and so in every frame.
const SERVICE_ID: i32 = 33_554_678;

/// The long connection's state, apart from the world's lock so that the
/// sockets' tasks never wait on it.
pub(crate) struct Hub {
    state: Mutex<HubState>,
}

struct HubState {
    enabled: bool,
    ping_interval: u64,
    chunk_size: Option<usize>,
    ack_timeout: Duration,
    /// Access keys handed out and not yet used.
    keys: HashSet<String>,
    conns: BTreeMap<u64, mpsc::UnboundedSender<Out>>,
    next_conn: u64,
    next_seq: u64,
    /// SeqID → the event it carried, so every ACK can be told.
    carried: HashMap<u64, Sent>,
    /// SeqID → who waits for its ACK.
    waiting: HashMap<u64, oneshot::Sender<u16>>,
    acks: Vec<(String, u16)>,
    pings: usize,
}

/// What an event frame was sent as, to check its ACK's echo against.
struct Sent {
    event_id: String,
    conn: u64,
    log_id: u64,
    message_id: String,
}

/// To a socket's task.
enum Out {
    Frame(Vec<u8>),
    Close,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            state: Mutex::new(HubState {
                enabled: false,
                ping_interval: 120,
                chunk_size: None,
                ack_timeout: Duration::from_secs(3),
                keys: HashSet::new(),
                conns: BTreeMap::new(),
                next_conn: 1,
                next_seq: 1,
                carried: HashMap::new(),
                waiting: HashMap::new(),
                acks: Vec::new(),
                pings: 0,
            }),
        }
    }
}

impl Hub {
    fn with<R>(&self, f: impl FnOnce(&mut HubState) -> R) -> R {
        f(&mut lock(&self.state))
    }

    pub(crate) fn enabled(&self) -> bool {
        self.with(|s| s.enabled)
    }

    fn client_config(&self) -> Value {
        let ping = self.with(|s| s.ping_interval);
        json!({
            "ReconnectCount": -1,
            "ReconnectInterval": 1,
            "ReconnectNonce": 0,
            "PingInterval": ping,
        })
    }

    /// A socket that went away: its pending ACKs will not come.
    fn close(&self, conn: u64) {
        self.with(|s| {
            s.conns.remove(&conn);
            let gone: Vec<u64> = s
                .carried
                .iter()
                .filter(|(_, c)| c.conn == conn)
                .map(|(seq, _)| *seq)
                .collect();
            for seq in gone {
                s.waiting.remove(&seq);
            }
        });
    }
}

impl FeishuSim {
    /// Events go to the long connection's clients from now on, not to the
    /// webhook.
    pub fn use_long_connection(&self) {
        self.inner.ws.with(|s| s.enabled = true);
    }

    /// Clients connected now.
    pub fn ws_connections(&self) -> usize {
        self.inner.ws.with(|s| s.conns.len())
    }

    /// Closes every client's socket (a close frame, then the TCP
    /// connection) and returns once they are gone; the clients must
    /// reconnect.
    pub async fn drop_connections(&self) {
        let ids: Vec<u64> = self.inner.ws.with(|s| {
            for out in s.conns.values() {
                let _ = out.send(Out::Close);
            }
            s.conns.keys().copied().collect()
        });
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        loop {
            let notified = self.inner.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let open = self
                .inner
                .ws
                .with(|s| ids.iter().any(|id| s.conns.contains_key(id)));
            if !open || tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Events are split into chunks of at most `size` bytes (`sum` > 1),
    /// or sent whole (`None`).
    pub fn set_chunk_size(&self, size: Option<usize>) {
        self.inner
            .ws
            .with(|s| s.chunk_size = size.filter(|n| *n > 0));
    }

    /// How long a delivery waits for its ACK before it counts as failed
    /// (Feishu: 3 s, the default). Zero: no ACK is ever in time, however
    /// quickly it comes.
    pub fn set_ack_timeout(&self, timeout: Duration) {
        self.inner.ws.with(|s| s.ack_timeout = timeout);
    }

    /// The `PingInterval` handed out (endpoint and pongs), seconds;
    /// default 120.
    pub fn set_ping_interval(&self, secs: u64) {
        self.inner.ws.with(|s| s.ping_interval = secs);
    }

    /// Every ACK received, late ones included, in order: (event id, the
    /// payload's code). An ACK that does not echo its frame (LogID,
    /// headers, `biz_rt`) counts as code 0.
    pub fn acks(&self) -> Vec<(String, u16)> {
        self.inner.ws.with(|s| s.acks.clone())
    }

    /// Pings received from clients.
    pub fn pings(&self) -> usize {
        self.inner.ws.with(|s| s.pings)
    }
}

/// `POST /callback/ws/endpoint` `{"AppID","AppSecret"}`: the URL and the
/// ClientConfig, or code 1000040345 for wrong credentials (HTTP 200, as
/// the SDKs read the code).
pub(crate) async fn endpoint(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let given: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let field = |k: &str| given.get(k).and_then(Value::as_str);
    if field("AppID") != Some(inner.config.app_id.as_str())
        || field("AppSecret") != Some(inner.config.app_secret.as_str())
    {
        let path = "/callback/ws/endpoint";
        inner.mutate(|w| w.errors.push((path.to_owned(), 200, 1_000_040_345)));
        return error::ok(json!({ "code": 1_000_040_345, "msg": "app id or secret invalid" }));
    }
    let key = ids::hex32();
    inner.ws.with(|s| s.keys.insert(key.clone()));
    let device_id = u64::from_le_bytes(ids::random_bytes::<8>()) >> 12;
    let url = format!(
        "ws://{}/ws/v2?fpid=493&aid=552564&device_id={device_id}&access_key={key}\
         &service_id={SERVICE_ID}&ticket={}",
        inner.addr,
        ids::hex32()
    );
    error::ok(json!({
        "code": 0,
        "msg": "ok",
        "data": { "URL": url, "ClientConfig": inner.ws.client_config() },
    }))
}

/// `GET /ws/v2?…&access_key=…`: upgrades a key handed out by the endpoint
/// (once); refusals carry the `Handshake-*` headers.
pub(crate) async fn upgrade(
    State(inner): State<Arc<Inner>>,
    Query(query): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let key = query.get("access_key").cloned().unwrap_or_default();
    let service = query.get("service_id").and_then(|s| s.parse::<i32>().ok());
    let refusal = inner.ws.with(|s| {
        if !s.keys.remove(&key) || service.is_none() || !query.contains_key("device_id") {
            Some((403, "access key invalid", None))
        } else if s.conns.len() >= MAX_CONNECTIONS {
            Some((514, "too many connections", Some("1000040350")))
        } else {
            None
        }
    });
    if let Some((status, msg, auth)) = refusal {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
        let mut response = (code, msg).into_response();
        let headers = response.headers_mut();
        headers.insert("Handshake-Status", status.into());
        headers.insert("Handshake-Msg", axum::http::HeaderValue::from_static(msg));
        if let Some(auth) = auth {
            headers.insert(
                "Handshake-Autherrcode",
                axum::http::HeaderValue::from_static(auth),
            );
        }
        return response;
    }
    let service = service.unwrap_or(SERVICE_ID);
    ws.on_upgrade(move |socket| serve(inner, socket, service))
}

/// One client's socket until either side closes it.
async fn serve(inner: Arc<Inner>, mut socket: WebSocket, service: i32) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let conn = inner.ws.with(|s| {
        let id = s.next_conn;
        s.next_conn += 1;
        s.conns.insert(id, tx);
        id
    });
    inner.changed.notify_waiters();
    tracing::debug!(conn, "feishusim: a long connection opened");
    if inner.with(|w| !w.queued.is_empty()) && inner.ws.enabled() {
        let inner = inner.clone();
        tokio::spawn(async move { flush(&inner).await });
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    if let Some(pong) = on_frame(&inner, conn, service, &bytes)
                        && socket.send(Message::Binary(pong.into())).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            out = rx.recv() => match out {
                Some(Out::Frame(bytes)) => {
                    if socket.send(Message::Binary(bytes.into())).await.is_err() {
                        break;
                    }
                }
                Some(Out::Close) | None => {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            },
        }
    }
    inner.ws.close(conn);
    inner.changed.notify_waiters();
    tracing::debug!(conn, "feishusim: a long connection closed");
}

/// A client's frame: a ping gets its pong, an ACK is recorded and wakes
/// its delivery.
fn on_frame(inner: &Inner, conn: u64, service: i32, bytes: &[u8]) -> Option<Vec<u8>> {
    let Ok(frame) = Frame::decode(bytes) else {
        tracing::warn!(conn, "feishusim: an unreadable frame from a client");
        return None;
    };
    match (frame.method, frame.header("type")) {
        (frame::CONTROL, Some("ping")) => {
            inner.ws.with(|s| s.pings += 1);
            inner.changed.notify_waiters();
            let pong = Frame {
                seq_id: frame.seq_id,
                log_id: frame.log_id,
                service,
                method: frame::CONTROL,
                headers: vec![header("type", "pong")],
                payload: serde_json::to_vec(&inner.ws.client_config()).ok(),
                ..Frame::default()
            };
            Some(pong.encode_to_vec())
        }
        (frame::DATA, _) => {
            ack(inner, &frame);
            None
        }
        _ => None,
    }
}

/// Records an ACK; a frame that does not echo what was sent counts as 0.
fn ack(inner: &Inner, frame: &Frame) {
    let code = frame
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_slice::<Value>(p).ok())
        .and_then(|v| v.get("code").and_then(Value::as_u64))
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(0);
    inner.ws.with(|s| {
        let Some(sent) = s.carried.get(&frame.seq_id) else {
            tracing::warn!(seq = frame.seq_id, "feishusim: an ACK of nothing sent");
            return;
        };
        let echoed = frame.log_id == sent.log_id
            && frame.service == SERVICE_ID
            && frame.header("type") == Some("event")
            && frame.header("message_id") == Some(sent.message_id.as_str())
            && ["sum", "seq", "trace_id"]
                .iter()
                .all(|h| frame.header(h).is_some())
            && frame
                .header("biz_rt")
                .is_some_and(|v| v.parse::<u64>().is_ok());
        let code = if echoed { code } else { 0 };
        s.acks.push((sent.event_id.clone(), code));
        if let Some(waiter) = s.waiting.remove(&frame.seq_id) {
            let _ = waiter.send(code);
        }
    });
    inner.changed.notify_waiters();
}

/// Pushes an event over the long connection: queued behind the events
/// waiting for a client; the last delivery's ACK code (0: none in time),
/// `None` while no client is connected.
pub(crate) async fn push(inner: &Arc<Inner>, event_id: &str) -> Option<u16> {
    let _turn = inner.delivering.lock().await;
    inner.mutate(|w| w.queued.push_back(event_id.to_owned()));
    drain(inner)
        .await
        .into_iter()
        .rev()
        .find(|(id, _)| id == event_id)
        .map(|(_, code)| code)
}

/// Delivers the queued events, in order, to the connected clients; how
/// many.
pub(crate) async fn flush(inner: &Arc<Inner>) -> usize {
    let _turn = inner.delivering.lock().await;
    drain(inner).await.len()
}

/// Delivers from the queue's front until it is empty or no client is
/// left; what was delivered, with each one's code.
async fn drain(inner: &Arc<Inner>) -> Vec<(String, u16)> {
    let mut done = Vec::new();
    while let Some(event_id) = inner.with(|w| w.queued.front().cloned()) {
        let Some(code) = deliver(inner, &event_id).await else {
            break;
        };
        inner.mutate(|w| w.queued.pop_front());
        done.push((event_id, code));
    }
    done
}

/// Sends the event until an ACK 200 or the retries run out; the last code,
/// or `None` when no client was there to take it (it stays queued).
async fn deliver(inner: &Inner, event_id: &str) -> Option<u16> {
    let body = inner.with(|w| w.events.get(event_id).map(|e| e.body.clone()));
    let Some(payload) = body.and_then(|b| serde_json::to_vec(&b).ok()) else {
        return Some(0);
    };
    let message_id = format!("ws_{event_id}");
    let mut code = 0;
    for wait in std::iter::once(Duration::ZERO).chain(RETRIES) {
        tokio::time::sleep(wait).await;
        let (acked, timeout, seq_id) = send(inner, event_id, &message_id, &payload)?;
        // A zero timeout still polls once, and an ACK that raced in on a
        // busy machine would count: zero means none is awaited.
        code = if timeout.is_zero() {
            0
        } else {
            match tokio::time::timeout(timeout, acked).await {
                Ok(Ok(code)) => code,
                _ => 0,
            }
        };
        // A late ACK is still recorded, but no longer awaited.
        inner.ws.with(|s| s.waiting.remove(&seq_id));
        if code == 200 {
            break;
        }
        tracing::debug!(event_id, code, "feishusim: no ACK 200; delivering again");
    }
    Some(code)
}

/// One delivery to a random client: the frames queued on its socket, and
/// where its ACK will come with the timeout in force.
fn send(
    inner: &Inner,
    event_id: &str,
    message_id: &str,
    payload: &[u8],
) -> Option<(oneshot::Receiver<u16>, Duration, u64)> {
    let (tx, rx) = oneshot::channel();
    inner.ws.with(|s| {
        let pick = u64::from_le_bytes(ids::random_bytes::<8>()) as usize % s.conns.len().max(1);
        let (&conn, out) = s.conns.iter().nth(pick)?;
        let seq_id = s.next_seq;
        s.next_seq += 1;
        let log_id = u64::from_le_bytes(ids::random_bytes::<8>()) >> 1;
        let chunks: Vec<&[u8]> = match s.chunk_size {
            Some(size) => payload.chunks(size).collect(),
            None => vec![payload],
        };
        let trace_id = ids::hex32();
        for (seq, chunk) in chunks.iter().enumerate() {
            let frame = Frame {
                seq_id,
                log_id,
                service: SERVICE_ID,
                method: frame::DATA,
                headers: vec![
                    header("type", "event"),
                    header("message_id", message_id),
                    header("sum", chunks.len().to_string()),
                    header("seq", seq.to_string()),
                    header("trace_id", trace_id.clone()),
                    header("timestamp", ids::now_ms()),
                ],
                payload: Some(chunk.to_vec()),
                ..Frame::default()
            };
            let _ = out.send(Out::Frame(frame.encode_to_vec()));
        }
        let sent = Sent {
            event_id: event_id.to_owned(),
            conn,
            log_id,
            message_id: message_id.to_owned(),
        };
        s.carried.insert(seq_id, sent);
        s.waiting.insert(seq_id, tx);
        Some((rx, s.ack_timeout, seq_id))
    })
}
