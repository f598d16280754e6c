//! Feishu's long connection (../shared/feishu-wire-format.md, section 3):
//! the bot asks `POST /callback/ws/endpoint` for a WebSocket URL, dials it
//! and receives its events as protobuf frames (`frame.rs`), with no public
//! address and no encryption (the connection is the authentication).
//!
//! Each event is stored in the inbox before its ACK goes back (ARCHITECTURE.md
//! rule 4): an ACK `{"code":200}` only after the commit, `{"code":500}` when
//! the store failed, so that Feishu delivers it again; a redelivery of a
//! stored event is a no-op answered 200. The client pings every
//! `PingInterval` the server gave, takes new settings from the pongs, and
//! after a close comes back as the SDKs do: a random pause of up to
//! `ReconnectNonce` s, a new endpoint, a new dial, every
//! `ReconnectInterval` s until it works (or `ReconnectCount` tries).
//!
//! The URL's query string holds credentials: only its host is ever logged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use prost::Message as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tracing::Instrument;

use super::convert::Envelope;
use super::frame::{self, Chunks, Frame};
use crate::clock::Clock;
use crate::domain::ids::Platform;
use crate::store::{Store, events};

/// What the long connection needs: the app's credentials, where to store
/// events, and whom to wake when one is new.
pub(super) struct Connector {
    /// `feishu.api_url`, no trailing slash.
    pub api_url: String,
    pub app_id: String,
    pub app_secret: SecretString,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Rung (`notify_one`) after a new event is stored.
    pub stored: Arc<Notify>,
}

/// Why the long connection stopped for good; never with the secret or the
/// WebSocket URL's credentials in it.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    #[error(
        "Feishu refused the long connection's endpoint with code {code} ({msg}): check \
         feishu.app_id and DUBAN__FEISHU__APP_SECRET, and that the app receives its events \
         by long connection"
    )]
    Endpoint { code: i64, msg: String },
    #[error(
        "Feishu refused the long connection's handshake ({status}: {msg}): check feishu.app_id \
         and DUBAN__FEISHU__APP_SECRET"
    )]
    Handshake { status: u16, msg: String },
    #[error(
        "Feishu refused the long connection: the app feishu.app_id already has its 50 \
         connections open ({msg})"
    )]
    TooManyConnections { msg: String },
    #[error(
        "Feishu's long connection could not be opened in {tries} tries (the server's \
         ReconnectCount); the last failure: {last}"
    )]
    GaveUp { tries: u32, last: String },
    #[error("the HTTP client of Feishu's long connection could not be built: {0}")]
    Client(reqwest::Error),
}

/// A failed attempt: tried again later, or the end.
#[derive(Debug)]
enum Failure {
    Retry(String),
    Fatal(WsError),
}

/// Endpoint codes worth another try: busy, and an internal error.
const RETRYABLE: [i64; 2] = [1, 1_000_040_343];

/// The handshake's auth code for "more than 50 connections".
const TOO_MANY: &str = "1000040350";

/// How long the chunks of one payload may take to arrive (the SDKs: 5 s,
/// Node 10 s); a payload not completed by then is delivered again.
const CHUNK_TTL: Duration = Duration::from_secs(10);

/// Discovery is one small request; a server that has not answered by
/// then is tried again later rather than waited for.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The server's `ClientConfig`, in force; the SDKs' defaults until the
/// server says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timing {
    /// Tries after a close before giving up; negative: forever.
    reconnect_count: i64,
    reconnect_interval: Duration,
    reconnect_nonce: Duration,
    ping_interval: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            reconnect_count: -1,
            reconnect_interval: Duration::from_secs(120),
            reconnect_nonce: Duration::from_secs(30),
            ping_interval: Duration::from_secs(120),
        }
    }
}

impl Timing {
    /// Takes the fields the server sent (seconds); the rest stay. Intervals
    /// are at least a second, so a zero cannot make the client spin.
    fn update(&mut self, config: &Value) {
        let secs = |key: &str| config.get(key).and_then(Value::as_u64);
        if let Some(n) = config.get("ReconnectCount").and_then(Value::as_i64) {
            self.reconnect_count = n;
        }
        if let Some(s) = secs("ReconnectInterval") {
            self.reconnect_interval = Duration::from_secs(s.max(1));
        }
        if let Some(s) = secs("ReconnectNonce") {
            self.reconnect_nonce = Duration::from_secs(s);
        }
        if let Some(s) = secs("PingInterval") {
            self.ping_interval = Duration::from_secs(s.max(1));
        }
    }
}

/// Receives events until `shutdown`; an error only when Feishu refuses
/// the app for good (or the server's ReconnectCount runs out).
pub(super) async fn run(
    conn: Connector,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), WsError> {
    let http = reqwest::Client::builder()
        .timeout(DISCOVERY_TIMEOUT)
        .build()
        .map_err(WsError::Client)?;
    let mut timing = Timing::default();
    let mut tries: u32 = 0;
    loop {
        let attempt = tokio::select! {
            () = stopping(&mut shutdown) => return Ok(()),
            attempt = connect(&http, &conn, &mut timing) => attempt,
        };
        let wait = match attempt {
            Ok((socket, endpoint)) => {
                tries = 0;
                let span = tracing::info_span!("feishu_ws", host = %endpoint.host);
                let ended = session(&conn, socket, endpoint.service, &mut timing, &mut shutdown)
                    .instrument(span)
                    .await;
                if ended == Ended::Shutdown {
                    return Ok(());
                }
                // Spread the clients of a restarted server over the nonce.
                jitter(timing.reconnect_nonce)
            }
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Retry(last)) => {
                tries = tries.saturating_add(1);
                tracing::warn!(why = %last, tries, "Feishu's long connection failed; trying again");
                if timing.reconnect_count >= 0 && i64::from(tries) >= timing.reconnect_count {
                    return Err(WsError::GaveUp { tries, last });
                }
                timing.reconnect_interval
            }
        };
        if !pause(wait, &mut shutdown).await {
            return Ok(());
        }
    }
}

/// Where the endpoint said to connect.
#[derive(Debug, PartialEq)]
struct Endpoint {
    /// The whole URL, credentials included: never logged.
    url: String,
    /// `host:port`, what the logs say.
    host: String,
    /// `service_id`, copied into every frame.
    service: i32,
    /// The `ClientConfig` object.
    config: Value,
}

async fn connect(
    http: &reqwest::Client,
    conn: &Connector,
    timing: &mut Timing,
) -> Result<(Socket, Endpoint), Failure> {
    let endpoint = discover(http, conn).await?;
    timing.update(&endpoint.config);
    let (socket, _) = tokio_tungstenite::connect_async(endpoint.url.as_str())
        .await
        .map_err(refused)?;
    tracing::info!(host = %endpoint.host, "Feishu's long connection is open");
    Ok((socket, endpoint))
}

/// `POST /callback/ws/endpoint` with the app's credentials.
async fn discover(http: &reqwest::Client, conn: &Connector) -> Result<Endpoint, Failure> {
    let body = json!({
        "AppID": conn.app_id,
        "AppSecret": conn.app_secret.expose_secret(),
    });
    let response = http
        .post(format!("{}/callback/ws/endpoint", conn.api_url))
        .header("locale", "zh")
        .json(&body)
        .send()
        .await
        .map_err(|e| Failure::Retry(format!("the endpoint did not answer: {e}")))?;
    let status = response.status();
    if !status.is_success() {
        return Err(Failure::Retry(format!(
            "the endpoint answered HTTP {status}"
        )));
    }
    let answer: Value = response
        .json()
        .await
        .map_err(|e| Failure::Retry(format!("the endpoint's answer is not JSON: {e}")))?;
    endpoint(&answer)
}

/// The endpoint's answer read: the URL and settings, or why not.
fn endpoint(answer: &Value) -> Result<Endpoint, Failure> {
    let msg = answer["msg"].as_str().unwrap_or("").to_owned();
    match answer["code"].as_i64() {
        Some(0) => {}
        Some(code) if !RETRYABLE.contains(&code) => {
            return Err(Failure::Fatal(WsError::Endpoint { code, msg }));
        }
        code => {
            return Err(Failure::Retry(format!(
                "the endpoint answered code {code:?} ({msg})"
            )));
        }
    }
    let data = &answer["data"];
    let raw = data["URL"].as_str().unwrap_or("");
    let url = url::Url::parse(raw)
        .map_err(|_| Failure::Retry("the endpoint gave no usable URL".to_owned()))?;
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => return Err(Failure::Retry("the endpoint's URL has no host".to_owned())),
    };
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v);
    // A dependency logging the dial at trace level would print the query's
    // credentials: they are redacted from every line like the secrets.
    for (name, value) in url.query_pairs() {
        if matches!(name.as_ref(), "access_key" | "ticket") {
            crate::telemetry::redact_also(&value);
        }
    }
    if let Some(query) = url.query() {
        crate::telemetry::redact_also(query);
    }
    // The SDKs cannot work without these two; neither can this client.
    let service = param("service_id").and_then(|s| s.parse::<i32>().ok());
    let (Some(service), Some(_)) = (service, param("device_id")) else {
        return Err(Failure::Retry(format!(
            "the URL for {host} lacks device_id or service_id"
        )));
    };
    Ok(Endpoint {
        url: raw.to_owned(),
        host,
        service,
        config: data["ClientConfig"].clone(),
    })
}

/// A failed dial: fatal when Feishu refused the app (403, or 514 for a
/// 51st connection), otherwise tried again.
fn refused(e: tungstenite::Error) -> Failure {
    let tungstenite::Error::Http(response) = &e else {
        return Failure::Retry(format!("the WebSocket could not be opened: {e}"));
    };
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let status = header("Handshake-Status")
        .parse::<u16>()
        .unwrap_or_else(|_| response.status().as_u16());
    let msg = header("Handshake-Msg").to_owned();
    match status {
        403 => Failure::Fatal(WsError::Handshake { status, msg }),
        514 if header("Handshake-Autherrcode") == TOO_MANY => {
            Failure::Fatal(WsError::TooManyConnections { msg })
        }
        _ => Failure::Retry(format!("the handshake was refused ({status}: {msg})")),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Ended {
    Shutdown,
    Closed,
}

/// One connection: pings, pongs and events until it closes or `shutdown`.
/// Frames are handled one at a time, so events are stored in the order
/// Feishu sent them.
async fn session(
    conn: &Connector,
    socket: Socket,
    service: i32,
    timing: &mut Timing,
    shutdown: &mut watch::Receiver<bool>,
) -> Ended {
    let (mut tx, mut rx) = socket.split();
    let mut chunks = Chunks::new(CHUNK_TTL);
    // The SDKs ping at once, then every PingInterval; counted from the
    // last ping, so that an interval a pong changed applies at once.
    let mut pinged: Option<tokio::time::Instant> = None;
    loop {
        let next_ping =
            pinged.map_or_else(tokio::time::Instant::now, |at| at + timing.ping_interval);
        let reply = tokio::select! {
            () = stopping(shutdown) => {
                if let Err(e) = tx.send(Message::Close(None)).await {
                    tracing::debug!(error = %e, "the long connection closed untidily");
                }
                return Ended::Shutdown;
            }
            () = tokio::time::sleep_until(next_ping) => {
                pinged = Some(tokio::time::Instant::now());
                Some(Frame::ping(service))
            }
            message = rx.next() => match message {
                Some(Ok(Message::Binary(bytes))) => {
                    on_frame(conn, &mut chunks, timing, &bytes).await
                }
                // WebSocket pings are answered by tungstenite itself.
                Some(Ok(
                    Message::Text(_) | Message::Ping(_) | Message::Pong(_) | Message::Frame(_),
                )) => None,
                Some(Ok(Message::Close(_))) | None => {
                    tracing::info!("Feishu closed the long connection");
                    return Ended::Closed;
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "the long connection broke");
                    return Ended::Closed;
                }
            },
        };
        if let Some(frame) = reply
            && let Err(e) = tx.send(Message::Binary(frame.encode_to_vec().into())).await
        {
            tracing::warn!(error = %e, "the long connection broke while sending");
            return Ended::Closed;
        }
    }
}

/// One frame from the server; what to send back, if anything.
async fn on_frame(
    conn: &Connector,
    chunks: &mut Chunks,
    timing: &mut Timing,
    bytes: &[u8],
) -> Option<Frame> {
    let frame = match Frame::decode(bytes) {
        Ok(frame) => frame,
        Err(e) => {
            tracing::warn!(error = %e, "an unreadable frame from Feishu, ignored");
            return None;
        }
    };
    match (frame.method, frame.header("type")) {
        (frame::CONTROL, Some("pong")) => {
            // A pong may carry new settings: the next ping waits by them.
            let config = frame
                .payload
                .as_deref()
                .and_then(|p| serde_json::from_slice(p).ok());
            if let Some(config) = config {
                timing.update(&config);
            }
            None
        }
        // An event; a card's action is not taken, and gets no ACK, as the
        // SDKs do it; the server's own pings need no answer.
        (frame::DATA, Some("event")) => on_event(conn, chunks, frame).await,
        _ => None,
    }
}

/// An event frame: joined with its other chunks, stored, then ACKed.
async fn on_event(conn: &Connector, chunks: &mut Chunks, mut frame: Frame) -> Option<Frame> {
    let started = Instant::now();
    let sum = frame.header_num("sum").unwrap_or(1);
    let seq = frame.header_num("seq").unwrap_or(0);
    let message_id = frame.header("message_id").unwrap_or("").to_owned();
    let payload = frame.payload.take().unwrap_or_default();
    // Only the chunk that completes the payload is answered (the SDKs'
    // way): its ACK stands for the whole event.
    let whole = chunks.add(&message_id, sum, seq, payload, started)?;
    let trace_id = frame.header("trace_id").unwrap_or("").to_owned();
    let code = deliver(conn, &whole)
        .instrument(tracing::info_span!(
            "feishu_event",
            event_id = tracing::field::Empty,
            trace_id
        ))
        .await;
    let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Some(frame.ack(code, took))
}

/// Stores the event; the ACK's code: 200 once stored (or stored before),
/// 500 when the store failed so that Feishu delivers it again.
async fn deliver(conn: &Connector, payload: &[u8]) -> u16 {
    let Some((text, envelope)) = std::str::from_utf8(payload)
        .ok()
        .and_then(|t| Envelope::parse(t).ok().map(|e| (t, e)))
    else {
        // Another delivery would be as unreadable: take it off Feishu's hands.
        tracing::warn!(
            bytes = payload.len(),
            "an unreadable Feishu event, acknowledged and dropped"
        );
        return 200;
    };
    tracing::Span::current().record("event_id", envelope.event_id.as_str());
    let key = envelope.key();
    match events::store(&conn.store, Platform::Feishu, &key, text, conn.clock.now()).await {
        Ok(Some(seq)) => {
            metrics::counter!(crate::ops::names::FEISHU_EVENTS).increment(1);
            conn.stored.notify_one();
            tracing::debug!(seq, "Feishu event stored");
            200
        }
        Ok(None) => {
            tracing::debug!(key, "delivered again; stored already");
            200
        }
        Err(e) => {
            tracing::error!(error = %e, "Feishu event not stored; Feishu delivers it again");
            500
        }
    }
}

/// A random pause below `nonce`, so that clients do not all come back at
/// once.
fn jitter(nonce: Duration) -> Duration {
    let ms = u64::try_from(nonce.as_millis()).unwrap_or(u64::MAX);
    match (ms, getrandom::u64()) {
        (0, _) | (_, Err(_)) => Duration::ZERO,
        (ms, Ok(r)) => Duration::from_millis(r % ms),
    }
}

/// Completes on shutdown (or when its sender is gone); holds no borrow of
/// the flag, so the future stays `Send`.
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|s| *s).await.is_err() {
        tracing::debug!("shutdown signal dropped");
    }
}

/// Waits `wait` unless `shutdown` comes first; false on shutdown.
async fn pause(wait: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = stopping(shutdown) => false,
        () = tokio::time::sleep(wait) => true,
    }
}

#[cfg(test)]
mod tests;
