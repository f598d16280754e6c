//! A local Telegram Bot API server on 127.0.0.1 that the real teloxide
//! client talks to over HTTP. `duban demo` runs the bot on it, and the
//! end-to-end tests drive it: they register users and chats, push what
//! people type, and read back what the bot sent.
//!
//! It behaves as api.telegram.org does where a bot can tell the
//! difference: long polling with offsets, the Bot API schema's required
//! fields, HTML entity parsing and the 4096-character limit, the
//! 403/400 answers for blocked users, removed bots and migrated groups,
//! `allowed_updates` filtering, flood-control faults on demand, and
//! Telegram's sending limits when asked to enforce them.

mod error;
mod files;
mod html;
mod http;
mod json;
mod limits;
mod methods;
mod validate;
mod webhook;
mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use limits::Limits;
use world::{BotIdentity, World};

/// The kinds of chat the world knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatKind {
    /// A user's chat with the bot; its id is the user's id.
    Private,
    /// A basic group; it can migrate to a supergroup.
    Group,
    Supergroup,
    /// A supergroup with topics (`is_forum`).
    Forum,
}

/// A message the bot sent (or edited) successfully.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    /// 1, 2, … in the order Telegram accepted them.
    pub seq: u64,
    /// `sendMessage`, `editMessageText`, `sendDocument` or `sendPhoto`.
    pub method: String,
    pub chat_id: i64,
    pub message_id: i64,
    /// The text (or caption) exactly as the bot sent it, markup included.
    pub text: String,
    /// What a reader sees: tags stripped, entities decoded, trimmed.
    pub plain: String,
    pub parse_mode: Option<String>,
    /// `message_thread_id` as the bot passed it (for an edit: the edited
    /// message's topic).
    pub thread_id: Option<i64>,
    /// The message replied to (`reply_parameters` or `reply_to_message_id`).
    pub reply_to: Option<i64>,
    pub reply_markup: Option<Value>,
    /// For documents and photos: the uploaded file's name, if it had one.
    pub file_name: Option<String>,
    /// For documents and photos: the file's id, whose content
    /// [`Simulator::file_content`] gives.
    pub file_id: Option<String>,
    /// When the simulator accepted it, for latency measurements.
    pub accepted: std::time::Instant,
}

/// What a push produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pushed {
    pub update_id: i64,
    /// The message's id in its chat; 0 when the update is not a message.
    pub message_id: i64,
}

/// A failure to answer instead of doing the next call(s) of a method.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Flood control: 429 with `retry_after`, which teloxide turns into
    /// `RequestError::RetryAfter`.
    TooManyRequests { retry_after: u32 },
    /// Any other refusal. Keep `code` below 500 unless the test wants
    /// teloxide's 10-second back-off.
    Status { code: u16, description: String },
    /// A slow Telegram: wait, then answer normally.
    Slow { delay: Duration },
    /// The connection breaks before the answer is complete; teloxide sees
    /// `RequestError::Network`. The call has no effect.
    Disconnect,
}

/// A command list set with setMyCommands: (scope, or null for the default
/// scope; language_code; [(command, description)]).
pub type CommandList = (Value, Option<String>, Vec<(String, String)>);

/// The simulator. Cheap to clone; every clone drives the same server.
#[derive(Clone)]
pub struct BotApiSim {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    world: Mutex<World>,
    /// Rung on every change: wakes long polls and the test-side waits.
    changed: Notify,
    token: String,
    addr: SocketAddr,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Inner {
    /// Reads the world; never awaits while it holds the lock.
    fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut world = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut world)
    }

    /// Changes the world and wakes whoever waits on it.
    fn mutate<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let result = self.with(f);
        self.changed.notify_waiters();
        result
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl BotApiSim {
    /// Binds 127.0.0.1 on a free port and serves in a tokio task. The bot's
    /// id is the token's numeric prefix, as in Telegram.
    pub async fn start(token: &str) -> std::io::Result<BotApiSim> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let bot = BotIdentity {
            id: token
                .split(':')
                .next()
                .and_then(|id| id.parse().ok())
                .unwrap_or(7_000_000_001),
            username: "duban_bot".into(),
            first_name: "督办".into(),
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let inner = Arc::new(Inner {
            world: Mutex::new(World::new(bot, now)),
            changed: Notify::new(),
            token: token.to_owned(),
            addr,
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
                tracing::error!(error = %e, "sim: server stopped");
            }
        });
        *lock(&inner.task) = Some(task);
        tokio::spawn(webhook::deliver(inner.clone()));
        tracing::debug!(%addr, version = %validate::schema().version, "sim: listening");
        Ok(BotApiSim { inner })
    }

    /// The base URL for teloxide's `Bot::set_api_url`. teloxide appends
    /// `bot<TOKEN>/<Method>` as path segments, so a bare `/` path is right.
    pub fn api_url(&self) -> String {
        format!("http://{}/", self.inner.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    pub fn bot_id(&self) -> i64 {
        self.inner.with(|w| w.bot.id)
    }

    pub fn bot_username(&self) -> String {
        self.inner.with(|w| w.bot.username.clone())
    }

    /// The clock that dates messages and updates (unix seconds).
    pub fn set_now(&self, unix_secs: i64) {
        self.inner.mutate(|w| w.now = unix_secs);
    }

    pub fn now(&self) -> i64 {
        self.inner.with(|w| w.now)
    }

    // ---- the world --------------------------------------------------------

    pub fn add_user(&self, id: i64, first_name: &str, username: Option<&str>) {
        self.inner.mutate(|w| w.add_user(id, first_name, username));
    }

    /// The user's client language, sent as `from.language_code`.
    pub fn set_language(&self, user_id: i64, language_code: Option<&str>) {
        self.inner.mutate(|w| {
            if let Some(u) = w.users.get_mut(&user_id) {
                u.language_code = language_code.map(str::to_owned);
            }
        });
    }

    /// A chat the bot is a member of. For `ChatKind::Private` the id is the
    /// user's and this is the same as `open_private`.
    pub fn add_chat(&self, chat_id: i64, kind: ChatKind, title: &str) {
        self.inner.mutate(|w| w.add_chat(chat_id, kind, title));
    }

    /// The user pressed Start: the bot may write to them. Undoes a block
    /// (with a `my_chat_member` kicked -> member, as Telegram sends).
    pub fn open_private(&self, user_id: i64) {
        self.inner.mutate(|w| w.open_private(user_id));
    }

    /// The user blocked the bot: sends to them get 403, and if they had a
    /// chat with the bot it receives `my_chat_member` (member -> kicked).
    pub fn block_bot(&self, user_id: i64) {
        self.inner.mutate(|w| w.block_bot(user_id));
    }

    /// "creator" | "administrator" | "member" | "left" | "kicked"; the bot's
    /// own id sets the bot's status (silently, no update).
    pub fn set_member(&self, chat_id: i64, user_id: i64, status: &str) {
        self.inner
            .mutate(|w| w.set_member(chat_id, user_id, status));
    }

    // ---- what people do -------------------------------------------------

    /// A text message. A leading `/word` gets a `bot_command` entity, as
    /// Telegram adds. Writing to the bot in private opens that chat.
    pub fn push_text(&self, chat_id: i64, from: i64, text: &str) -> Pushed {
        self.inner
            .mutate(|w| w.push_message(chat_id, from, None, None, text_body(text)))
    }

    /// A file sent as a document (a pledge sheet), with an optional
    /// caption; the bot fetches it with `getFile` and the file URL.
    pub fn push_document(
        &self,
        chat_id: i64,
        from: i64,
        file_name: &str,
        bytes: &[u8],
        caption: &str,
    ) -> Pushed {
        self.inner.mutate(|w| {
            let body = files::document_body(w, file_name, bytes, caption);
            w.push_message(chat_id, from, None, None, body)
        })
    }

    /// A reply; `reply_to_message` is the stored message (the bot's or a
    /// user's), without its own reply, as Telegram nests it.
    pub fn push_reply(
        &self,
        chat_id: i64,
        from: i64,
        text: &str,
        reply_to_message_id: i64,
    ) -> Pushed {
        self.inner.mutate(|w| {
            w.push_message(
                chat_id,
                from,
                None,
                Some(reply_to_message_id),
                text_body(text),
            )
        })
    }

    /// The author edits their message `message_id`: its text changes (with
    /// `edit_date`) and an `edited_message` update carries the whole
    /// message, as Telegram sends it.
    pub fn push_edit(&self, chat_id: i64, from: i64, message_id: i64, text: &str) -> Pushed {
        self.inner
            .mutate(|w| w.push_edit(chat_id, from, message_id, text_body(text)))
    }

    /// A message in a forum topic: `message_thread_id`, `is_topic_message`
    /// and, as in Telegram, `reply_to_message` = the topic's creation
    /// message. An unknown topic is created on the fly.
    pub fn push_in_topic(&self, chat_id: i64, thread_id: i64, from: i64, text: &str) -> Pushed {
        self.inner
            .mutate(|w| w.push_message(chat_id, from, Some(thread_id), None, text_body(text)))
    }

    /// Opens a forum topic (a `forum_topic_created` service message);
    /// `message_id` of the result is the new thread id.
    pub fn create_topic(&self, chat_id: i64, name: &str, by: i64) -> Pushed {
        self.inner.mutate(|w| w.create_topic(chat_id, name, by))
    }

    /// A press on an inline button of message `message_id`.
    pub fn push_callback(&self, chat_id: i64, from: i64, message_id: i64, data: &str) -> Pushed {
        self.inner
            .mutate(|w| w.push_callback(chat_id, from, message_id, data))
    }

    /// `my_chat_member` (old status -> member), then the service message
    /// with `new_chat_members: [bot]`, whose ids are returned.
    pub fn push_bot_added(&self, chat_id: i64, by: i64) -> Pushed {
        self.inner.mutate(|w| w.push_bot_added(chat_id, by))
    }

    /// `my_chat_member` (old status -> kicked); later sends to the chat get
    /// 403 "bot was kicked from the group chat" (or "supergroup chat").
    pub fn push_bot_removed(&self, chat_id: i64, by: i64) -> Pushed {
        self.inner.mutate(|w| w.push_bot_removed(chat_id, by))
    }

    /// A basic group becomes a supergroup: a `migrate_to_chat_id` message in
    /// the old chat, then a `migrate_from_chat_id` message in the new one
    /// (returned). Members and the bot carry over; the old id answers 400
    /// with `parameters.migrate_to_chat_id` from now on.
    pub fn migrate_to_supergroup(&self, old_chat_id: i64, new_chat_id: i64) -> Pushed {
        self.inner.mutate(|w| w.migrate(old_chat_id, new_chat_id))
    }

    /// Any update; the simulator assigns `update_id` (and overwrites one
    /// that is there).
    pub fn push_raw(&self, update_without_id: Value) -> i64 {
        self.inner.mutate(|w| w.enqueue(update_without_id))
    }

    // ---- what the bot did -----------------------------------------------

    /// The content of a file the simulator holds (one a user sent, or one
    /// the bot uploaded), by its `file_id`.
    pub fn file_content(&self, file_id: &str) -> Option<Vec<u8>> {
        self.inner
            .with(|w| w.files.get(file_id).and_then(|f| f.bytes.clone()))
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.inner.with(|w| w.sent.clone())
    }

    pub fn sent_to(&self, chat_id: i64) -> Vec<Sent> {
        self.inner.with(|w| {
            w.sent
                .iter()
                .filter(|s| s.chat_id == chat_id)
                .cloned()
                .collect()
        })
    }

    /// A message as the chat holds it now (edits and deletions applied).
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        self.inner
            .with(|w| w.chats.get(&chat_id)?.messages.get(&message_id).cloned())
    }

    /// The first sent message matching `pred`, already sent or sent within
    /// `timeout`.
    pub async fn wait_sent(&self, timeout: Duration, pred: impl Fn(&Sent) -> bool) -> Option<Sent> {
        self.wait(timeout, |w| w.sent.iter().find(|s| pred(s)).cloned())
            .await
    }

    /// True once every pushed update has been confirmed by a later offset.
    pub async fn wait_consumed(&self, timeout: Duration) -> bool {
        self.wait(timeout, |w| w.updates.is_empty().then_some(()))
            .await
            .is_some()
    }

    /// True once a getUpdates is held open waiting for updates, i.e. the
    /// bot is up and idle. Lets a test push only once the bot listens.
    pub async fn wait_polling(&self, timeout: Duration) -> bool {
        self.wait(timeout, |w| (w.polls_held > 0).then_some(()))
            .await
            .is_some()
    }

    async fn wait<R>(
        &self,
        timeout: Duration,
        probe: impl Fn(&mut World) -> Option<R>,
    ) -> Option<R> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.inner.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = self.inner.with(&probe) {
                return Some(found);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Delivers the next confirmed batch a second time, as Telegram may.
    pub fn redeliver_next_batch(&self) {
        self.inner.with(|w| w.redeliver_once = true);
    }

    /// Updates pushed and not yet confirmed.
    pub fn pending_updates(&self) -> usize {
        self.inner.with(|w| w.updates.len())
    }

    /// Command lists set with setMyCommands: (scope or null for the default
    /// scope, language_code, [(command, description)]).
    pub fn commands(&self) -> Vec<CommandList> {
        self.inner.with(|w| {
            w.commands
                .iter()
                .map(|c| (c.scope.clone(), c.language_code.clone(), c.commands.clone()))
                .collect()
        })
    }

    /// Every call, accepted or refused: (method in the API's spelling, the
    /// parameters as received).
    pub fn requests(&self) -> Vec<(String, Value)> {
        self.inner.with(|w| w.requests.clone())
    }

    /// Refused calls: (method, HTTP status, description).
    pub fn errors(&self) -> Vec<(String, u16, String)> {
        self.inner.with(|w| w.errors.clone())
    }

    /// The next `times` calls of `method` (any case) fail with `fault`.
    pub fn fail_next(&self, method: &str, times: usize, fault: Fault) {
        if times == 0 {
            return;
        }
        self.inner.mutate(|w| {
            w.faults.push(world::PendingFault {
                method_lower: method.to_ascii_lowercase(),
                remaining: times,
                fault,
            });
        });
    }

    /// From now on, sends over Telegram's flood limits are refused with 429
    /// and `retry_after`, as Telegram refuses them (see [`Limits`]), and
    /// counted in [`BotApiSim::rate_limited`]. Off unless asked for, so
    /// tests that send in bursts are not slowed down.
    pub fn enforce_limits(&self, limits: Limits) {
        self.inner
            .mutate(|w| w.limiter = Some(limits::RateLimiter::new(limits)));
    }

    /// Sends refused with 429 because they broke an enforced limit (faults
    /// injected with [`BotApiSim::fail_next`] are not counted).
    pub fn rate_limited(&self) -> usize {
        self.inner
            .with(|w| w.limiter.as_ref().map_or(0, |l| l.refused))
    }

    /// How many messages the bot has sent, without copying them.
    pub fn sent_count(&self) -> usize {
        self.inner.with(|w| w.sent.len())
    }

    /// True once at least `n` messages have been sent, within `timeout`.
    pub async fn wait_sent_count(&self, n: usize, timeout: Duration) -> bool {
        self.wait(timeout, |w| (w.sent.len() >= n).then_some(()))
            .await
            .is_some()
    }

    /// `getWebhookInfo` as the bot would read it.
    pub fn webhook_info(&self) -> Value {
        self.inner.with(|w| webhook::info(w))
    }

    /// Sends webhook deliveries to these base URLs (`http://127.0.0.1:PORT`)
    /// in turn, keeping the webhook URL's path, as a load balancer in front
    /// of several instances would; empty: to the URL itself.
    pub fn balance_webhook(&self, bases: Vec<String>) {
        self.inner.mutate(|w| w.balance.bases = bases);
    }

    /// Update ids a webhook acknowledged with a 2xx, in delivery order.
    pub fn webhook_deliveries(&self) -> Vec<i64> {
        self.inner.with(|w| w.deliveries.clone())
    }

    /// Stops serving: pending long polls return empty at once, then the
    /// server closes its connections.
    pub async fn shutdown(self) {
        self.inner.mutate(|w| w.shutting_down = true);
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

/// A user's text message body, with the `bot_command` entity Telegram adds
/// for a leading command.
fn text_body(text: &str) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("text".into(), json!(text));
    let command = leading_command(text);
    if command > 0 {
        body.insert(
            "entities".into(),
            json!([{ "type": "bot_command", "offset": 0, "length": command }]),
        );
    }
    body
}

/// Length of a leading `/command` or `/command@bot_name`, as Telegram
/// marks it: ASCII letters, digits and underscores only, so `/周报` is not
/// a command and `/report，…` is one up to the comma. 0 when there is none.
fn leading_command(text: &str) -> usize {
    let word = |s: &str| {
        s.bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count()
    };
    let Some(rest) = text.strip_prefix('/') else {
        return 0;
    };
    let name = word(rest);
    if name == 0 || name > 64 {
        return 0;
    }
    let mut len = 1 + name;
    if let Some(bot) = rest[name..].strip_prefix('@') {
        let bot = word(bot);
        if bot > 0 {
            len += 1 + bot;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::leading_command;

    #[test]
    fn commands_as_telegram_marks_them() {
        assert_eq!(leading_command("/report 进度: 65%"), 7);
        assert_eq!(leading_command("/report@duban_bot"), 17);
        assert_eq!(leading_command("/report@ x"), 7);
        assert_eq!(leading_command("/report，进度"), 7);
        assert_eq!(leading_command("/周报"), 0);
        assert_eq!(leading_command("/ x"), 0);
        assert_eq!(leading_command("report"), 0);
    }
}
