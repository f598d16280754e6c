//! A local fake of Feishu's (飞书, Lark) open platform on 127.0.0.1, for
//! the tests of the bot's Feishu adapter: the adapter points its
//! `feishu.api_url` at [`FeishuSim::url`] and its webhook at nothing
//! public, and the tests play the people (add the bot to a group, say
//! things, send files) and read back what the bot sent.
//!
//! It behaves as the real platform does where an adapter can tell the
//! difference (../shared/feishu-wire-format.md is the reference): tenant
//! tokens reused while more than 30 minutes are left and refused with
//! 99991663 once revoked; the send and reply APIs with their checks and
//! codes (230001, 230002, 230013, 232009, 230025, the 1-hour uuid); uploads
//! and downloads with their limits; events pushed to a webhook in the v2
//! envelope, encrypted and signed under an Encrypt Key, retried on a
//! scaled-down schedule and re-pushable with the same ids; or, after
//! [`FeishuSim::use_long_connection`], delivered over the long connection
//! (`ws.rs`: endpoint discovery, protobuf frames, ping and pong, chunks,
//! ACKs and redelivery); faults and Feishu's rate limits on demand.

mod content;
mod error;
mod events;
mod files;
mod frame;
mod http;
mod ids;
mod limits;
mod people;
mod push;
mod send;
mod world;
mod ws;
#[cfg(test)]
mod ws_tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use people::{ChatChange, Incoming, Prepared};
use world::World;

/// The app as the platform knows it. The defaults are what the adapter's
/// tests configure on their side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub app_id: String,
    pub app_secret: String,
    /// The Encrypt Key: events are encrypted and signed under it; `None`
    /// pushes plaintext events without signature headers.
    pub encrypt_key: Option<String>,
    /// Sent in every event's `header.token` and in url_verification.
    pub verification_token: String,
    pub bot_name: String,
    /// A tenant token's lifetime (Feishu: 2 hours).
    pub token_ttl_secs: u64,
    /// Feishu's sending limits: 5 a second per user or group (400, code
    /// 230020) and 50 a second per app (429, code 99991400). Off by
    /// default, so that tests sending in bursts are not refused.
    pub enforce_limits: bool,
    /// Whether the app was granted `contact:user.base:readonly`, so that
    /// the contact API gives people's names (on by default).
    pub contact_scope: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            app_id: "cli_sim0000000001".to_owned(),
            app_secret: "sim-app-secret-0123456789".to_owned(),
            encrypt_key: Some("sim-encrypt-key-0123456789".to_owned()),
            verification_token: "sim-verification-token-0123".to_owned(),
            bot_name: "督办".to_owned(),
            token_ttl_secs: 7200,
            enforce_limits: false,
            contact_scope: true,
        }
    }
}

/// What a push produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    pub event_id: String,
    /// The message the event is about (a new one, a recalled one), if any.
    pub message_id: Option<String>,
    /// The HTTP status of the last POST attempt (0: no connection); `None`
    /// when no webhook is set and the event waits in the queue. Over the
    /// long connection: the last delivery's ACK code (0: no ACK in time),
    /// `None` while no client is connected.
    pub status: Option<u16>,
}

/// A refusal in place of the next send, reply or upload call (each fault
/// is used once, in the order queued).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429, code 99991400, with `x-ogw-ratelimit-limit` and
    /// `x-ogw-ratelimit-reset: reset_secs`.
    TooManyRequests { reset_secs: u32 },
    /// HTTP 400, code 230020: the per-chat frequency limit.
    Frequency,
    /// Any other answer.
    Code { http: u16, code: i64, msg: String },
    /// A send or reply is carried out (the message is shown), but its
    /// answer is lost on the way back (HTTP 502 from a proxy): the sender
    /// cannot tell it from one that never arrived. On an upload it is a
    /// plain 502.
    AnswerLost,
}

/// A message the bot sent successfully.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// 1, 2, … in the order the platform accepted them.
    pub seq: u64,
    pub message_id: String,
    /// Where it landed: a group's `oc_…`, or for a p2p chat the user's
    /// open id.
    pub chat_id: String,
    /// "chat_id" or "open_id" as the send said, "reply" for the reply API.
    pub receive_id_type: String,
    /// text | post | image | file.
    pub msg_type: String,
    /// The `content` string exactly as sent.
    pub content: String,
    /// What a reader sees. Text: `<at>` as "@Name" (the world's name when
    /// the tag has none), balanced `<b><i><u><s>` dropped. Post: the title
    /// line, then each paragraph's nodes joined (text, link text, "@Name",
    /// md text, code text; images, media, emotions and rules show
    /// nothing), lines joined by "\n". Image or file: its name, else key.
    pub plain: String,
    /// Open ids mentioned, in order ("all" for everyone).
    pub mentions: Vec<String>,
    /// The parent message of a reply.
    pub reply_to: Option<String>,
    pub uuid: Option<String>,
    /// The image_key or file_key of an image or file message.
    pub file_key: Option<String>,
}

/// One webhook POST attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    /// The HTTP status; 0 when the connection failed.
    pub status: u16,
}

/// The simulator. Cheap to clone; every clone drives the same server.
#[derive(Clone)]
pub struct FeishuSim {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    world: Mutex<World>,
    /// Rung on every change, for the test-side waits.
    changed: Notify,
    config: Config,
    addr: SocketAddr,
    client: reqwest::Client,
    /// Held for a whole delivery sequence, so events arrive in order.
    delivering: tokio::sync::Mutex<()>,
    /// The long connection's clients and deliveries.
    ws: ws::Hub,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Inner {
    /// Reads the world; never awaits while it holds the lock.
    fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut world = lock(&self.world);
        f(&mut world)
    }

    /// Changes the world and wakes whoever waits on it.
    fn mutate<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let result = self.with(f);
        self.changed.notify_waiters();
        result
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A misuse by the test (an unknown user or chat, say): fail it loudly.
fn or_panic<T>(what: &str, result: Result<T, String>) -> T {
    result.unwrap_or_else(|e| panic!("feishusim: {what}: {e}"))
}

impl FeishuSim {
    /// Binds 127.0.0.1 on a free port and serves in a tokio task.
    pub async fn start(config: Config) -> std::io::Result<FeishuSim> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        // Feishu gives a webhook 3 s to answer and 2 s to connect.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .connect_timeout(Duration::from_secs(2))
            .no_proxy()
            .build()
            .map_err(std::io::Error::other)?;
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let inner = Arc::new(Inner {
            world: Mutex::new(World::new(config.clone())),
            changed: Notify::new(),
            config,
            addr,
            client,
            delivering: tokio::sync::Mutex::new(()),
            ws: ws::Hub::default(),
            stop: Mutex::new(Some(stop_tx)),
            task: Mutex::new(None),
        });
        let app = http::router(inner.clone());
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "feishusim: server stopped");
            }
        });
        *lock(&inner.task) = Some(task);
        tracing::debug!(%addr, "feishusim: listening");
        Ok(FeishuSim { inner })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash: the adapter's
    /// `feishu.api_url`, to which it appends `/open-apis/…`.
    pub fn url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn bot_open_id(&self) -> String {
        self.inner.with(|w| w.bot_open_id.clone())
    }

    // ---- the world --------------------------------------------------------

    /// A user in the tenant, in the app's availability scope; returns their
    /// fresh open id (`ou_` + 32 hex).
    pub fn add_user(&self, name: &str) -> String {
        self.inner.mutate(|w| w.add_user(name))
    }

    /// A group of these members (open ids); the bot is not in it until
    /// [`FeishuSim::add_bot`]. Returns its chat id (`oc_…`).
    pub fn add_group(&self, name: &str, members: &[&str]) -> String {
        self.inner.mutate(|w| w.add_group(name, members))
    }

    /// The user joins the group (no event: the bot does not need one).
    pub fn add_member(&self, chat_id: &str, open_id: &str) {
        self.inner.mutate(|w| {
            if let Some(g) = w.groups.get_mut(chat_id)
                && !g.members.iter().any(|m| m == open_id)
            {
                g.members.push(open_id.to_owned());
            }
        });
    }

    /// Moves a user in or out of the app's availability scope; sending to
    /// a user out of it is refused with 230013.
    pub fn set_in_scope(&self, open_id: &str, in_scope: bool) {
        self.inner.mutate(|w| {
            if let Some(u) = w.users.get_mut(open_id) {
                u.in_scope = in_scope;
            }
        });
    }

    /// The user's p2p chat id with the bot (`oc_p2p…`), as events carry it.
    pub fn p2p_chat_id(&self, open_id: &str) -> Option<String> {
        self.inner
            .with(|w| w.users.get(open_id).map(|u| u.p2p_chat_id.clone()))
    }

    /// Sends from now on are held to Feishu's limits (or no longer), as
    /// `Config::enforce_limits` does from the start; [`FeishuSim::config`]
    /// keeps showing the start value.
    pub fn set_enforce_limits(&self, enforce: bool) {
        self.inner.mutate(|w| w.config.enforce_limits = enforce);
    }

    // ---- what people do ---------------------------------------------------
    // Each pushes one event and returns once the webhook answered (or the
    // retries ran out). Misuse (an unknown user or chat, a message in a
    // group the bot is not in) panics: Feishu could not push that.

    async fn push(&self, what: &str, prepared: Result<Prepared, String>) -> Pushed {
        let prepared = or_panic(what, prepared);
        if !self.inner.ws.enabled() {
            return push::push(&self.inner, prepared).await;
        }
        let status = ws::push(&self.inner, &prepared.event_id).await;
        Pushed {
            event_id: prepared.event_id,
            message_id: prepared.message_id,
            status,
        }
    }

    /// `by` adds the bot to the group: `im.chat.member.bot.added_v1`.
    pub async fn add_bot(&self, chat_id: &str, by: &str) -> Pushed {
        let p = self
            .inner
            .mutate(|w| w.chat_change(ChatChange::BotAdded, chat_id, by));
        self.push("add_bot", p).await
    }

    /// `by` removes the bot: `im.chat.member.bot.deleted_v1`; sends to the
    /// group get 230002 from now on.
    pub async fn remove_bot(&self, chat_id: &str, by: &str) -> Pushed {
        let p = self
            .inner
            .mutate(|w| w.chat_change(ChatChange::BotRemoved, chat_id, by));
        self.push("remove_bot", p).await
    }

    /// `by` disbands the group: `im.chat.disbanded_v1`; sends to it get
    /// 232009 from now on.
    pub async fn disband(&self, chat_id: &str, by: &str) -> Pushed {
        let p = self
            .inner
            .mutate(|w| w.chat_change(ChatChange::Disbanded, chat_id, by));
        self.push("disband", p).await
    }

    /// The user opens their p2p chat with the bot:
    /// `im.chat.access_event.bot_p2p_chat_entered_v1`.
    pub async fn open_p2p(&self, user: &str) -> Pushed {
        let p = self.inner.mutate(|w| w.p2p_entered(user));
        self.push("open_p2p", p).await
    }

    /// A text message in a group (`oc_…`) or, for a user's open id (or p2p
    /// chat id), in that user's p2p chat with the bot. "@Name" for the bot
    /// or a known user becomes `@_user_N` plus a `mentions` entry. Every
    /// group message is pushed, @bot or not, as with the
    /// `im:message.group_msg` scope.
    pub async fn say(&self, chat_id: &str, from: &str, text: &str) -> Pushed {
        let p = self
            .inner
            .mutate(|w| w.user_message(chat_id, from, None, Incoming::Text(text)));
        self.push("say", p).await
    }

    /// [`FeishuSim::say`] as a reply to `parent_message_id` (parent_id and
    /// root_id set).
    pub async fn reply(
        &self,
        chat_id: &str,
        from: &str,
        parent_message_id: &str,
        text: &str,
    ) -> Pushed {
        let p = self.inner.mutate(|w| {
            w.user_message(chat_id, from, Some(parent_message_id), Incoming::Text(text))
        });
        self.push("reply", p).await
    }

    /// A post: the title, and each paragraph one text node (with "@Name"
    /// mentions as at-nodes), in the received form (no locale wrapper).
    pub async fn say_post(
        &self,
        chat_id: &str,
        from: &str,
        title: &str,
        paragraphs: &[&str],
    ) -> Pushed {
        let post = Incoming::Post { title, paragraphs };
        let p = self
            .inner
            .mutate(|w| w.user_message(chat_id, from, None, post));
        self.push("say_post", p).await
    }

    /// A file the user sends in their p2p chat: content `{"file_key",
    /// "file_name"}`; the bot can download the bytes through the message.
    pub async fn send_file(&self, user: &str, file_name: &str, bytes: Vec<u8>) -> Pushed {
        let file = Incoming::File {
            name: file_name,
            bytes,
        };
        let p = self
            .inner
            .mutate(|w| w.user_message(user, user, None, file));
        self.push("send_file", p).await
    }

    /// The message is recalled: `im.message.recalled_v1`; replies to it get
    /// 230011.
    pub async fn recall(&self, message_id: &str) -> Pushed {
        let p = self.inner.mutate(|w| w.recall(message_id));
        self.push("recall", p).await
    }

    /// Pushes a pushed event's very body again (same event_id, same
    /// message_id), as Feishu's at-least-once delivery may.
    pub async fn redeliver(&self, event_id: &str) -> Pushed {
        let p = self.inner.with(|w| w.redeliverable(event_id));
        self.push("redeliver", p).await
    }

    // ---- what the bot did -------------------------------------------------

    pub fn sent(&self) -> Vec<Sent> {
        self.inner.with(|w| w.sent.clone())
    }

    /// Every sent message once at least `n` were sent. Panics after
    /// `timeout`, listing what was sent.
    pub async fn wait_sent(&self, n: usize, timeout: Duration) -> Vec<Sent> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.inner.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let sent = self.sent();
            if sent.len() >= n {
                return sent;
            }
            if Instant::now() >= deadline {
                let listed: Vec<String> = sent
                    .iter()
                    .map(|s| {
                        format!(
                            "  #{} {} to {}: {:?}",
                            s.seq, s.msg_type, s.chat_id, s.plain
                        )
                    })
                    .collect();
                panic!(
                    "feishusim: {} message(s) sent within {timeout:?}, {n} awaited:\n{}",
                    sent.len(),
                    listed.join("\n")
                );
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// The bytes of an uploaded image or file (or one a user sent), by key.
    pub fn file_content(&self, key: &str) -> Option<Vec<u8>> {
        self.inner
            .with(|w| w.files.get(key).map(|f| f.bytes.clone()))
    }

    /// A pushed event's plaintext body (the v2 envelope), by event id.
    pub fn event(&self, event_id: &str) -> Option<serde_json::Value> {
        self.inner
            .with(|w| w.events.get(event_id).map(|e| e.body.clone()))
    }

    /// Refused API calls, in order: (path, HTTP status, code).
    pub fn errors(&self) -> Vec<(String, u16, i64)> {
        self.inner.with(|w| w.errors.clone())
    }

    // ---- faults -----------------------------------------------------------

    /// The next send, reply or upload call is refused with `fault` (faults
    /// queue up, one per call).
    pub fn fail_next(&self, fault: Fault) {
        self.inner.mutate(|w| w.faults.push_back(fault));
    }

    /// Every tenant token issued so far becomes invalid: the next call with
    /// one gets HTTP 400, code 99991663.
    pub fn revoke_tokens(&self) {
        self.inner.mutate(World::revoke_tokens);
    }

    /// Calls of the tenant_access_token endpoint so far.
    pub fn token_requests(&self) -> usize {
        self.inner.with(|w| w.token_requests)
    }

    /// Every webhook POST attempt, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.with(|w| w.deliveries.clone())
    }

    // ---- the webhook ------------------------------------------------------

    /// Where events are POSTed (a loopback URL). Events queued while there
    /// was none are delivered now, in a task, before any later push.
    pub fn set_webhook(&self, url: &str) {
        let queued = self.inner.mutate(|w| {
            w.webhook = Some(url.to_owned());
            !w.queued.is_empty()
        });
        if queued && let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let inner = self.inner.clone();
            runtime.spawn(async move { push::flush(&inner).await });
        }
    }

    /// Delivers the events queued while no webhook was set; how many.
    pub async fn flush_queued(&self) -> usize {
        if self.inner.ws.enabled() {
            return ws::flush(&self.inner).await;
        }
        push::flush(&self.inner).await
    }

    /// Events waiting for a webhook.
    pub fn queued(&self) -> usize {
        self.inner.with(|w| w.queued.len())
    }

    /// Sends a url_verification to the webhook (encrypted under an Encrypt
    /// Key) and returns the challenge when the answer echoes it; otherwise
    /// what went wrong.
    pub async fn verify_url(&self) -> Result<String, String> {
        push::verify_url(&self.inner).await
    }

    /// Stops serving; the API URL refuses connections afterwards.
    pub async fn stop(&self) {
        if let Some(stop) = lock(&self.inner.stop).take() {
            let _ = stop.send(());
        }
        let task = lock(&self.inner.task).take();
        if let Some(mut task) = task
            && tokio::time::timeout(Duration::from_secs(3), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}
