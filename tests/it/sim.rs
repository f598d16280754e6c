//! `tgsim` as teloxide sees it: the real client, over HTTP on
//! 127.0.0.1. Every answer the simulator gives must deserialise in
//! teloxide 0.17, and every refusal must be the `RequestError` a bot would
//! get from Telegram.

use std::time::Duration;

use serde_json::{Value, json};
use teloxide::prelude::*;
use teloxide::types::{
    AllowedUpdate, BotCommand, BotCommandScope, ChatAction, InlineKeyboardButton,
    InlineKeyboardMarkup, InputFile, MessageEntityKind, MessageId, ParseMode, ReplyParameters,
    ThreadId, UpdateKind,
};
use teloxide::{ApiError, RequestError};
use tgsim::{BotApiSim, ChatKind, Fault, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const TOKEN: &str = "123456:SIM-test-token";
const ALICE: i64 = 501;
const BOB: i64 = 502;
const CAROL: i64 = 503;
const GROUP: i64 = -4001;
const SUPER: i64 = -1_004_002;
const FORUM: i64 = -1_004_003;
const WAIT: Duration = Duration::from_secs(10);

async fn world() -> (BotApiSim, Bot) {
    let sim = BotApiSim::start(TOKEN).await.expect("sim starts");
    sim.set_now(1_795_000_000);
    sim.add_user(ALICE, "Alice", Some("alice"));
    sim.add_user(BOB, "Bob", None);
    sim.add_user(CAROL, "Carol", Some("carol"));
    sim.add_chat(GROUP, ChatKind::Group, "项目群");
    sim.add_chat(SUPER, ChatKind::Supergroup, "大群");
    sim.add_chat(FORUM, ChatKind::Forum, "论坛");
    sim.set_member(GROUP, ALICE, "creator");
    sim.set_member(GROUP, BOB, "administrator");
    sim.set_member(GROUP, CAROL, "member");
    let bot = bot_for(&sim, TOKEN);
    (sim, bot)
}

fn bot_for(sim: &BotApiSim, token: &str) -> Bot {
    Bot::new(token).set_api_url(sim.api_url().parse().expect("api url parses"))
}

fn api_error(result: Result<impl std::fmt::Debug, RequestError>) -> ApiError {
    match result {
        Err(RequestError::Api(e)) => e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A bare HTTP/1.1 exchange, for what teloxide cannot send.
async fn raw_post(sim: &BotApiSim, path: &str, content_type: &str, body: &str) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(sim.addr())
        .await
        .expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        sim.addr(),
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("http response");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, serde_json::from_str(body).expect("json body"))
}

#[tokio::test]
async fn get_me_and_webhook_info() {
    let (sim, bot) = world().await;
    let me = bot.get_me().await.expect("getMe");
    assert_eq!(me.username(), "duban_bot");
    assert_eq!(me.username(), sim.bot_username());
    assert_eq!(me.id.0 as i64, sim.bot_id());
    assert_eq!(sim.bot_id(), 123_456);
    assert!(me.is_bot);
    let info = bot.get_webhook_info().await.expect("getWebhookInfo");
    assert!(info.url.is_none());
    assert_eq!(info.pending_update_count, 0);
    bot.delete_webhook().await.expect("deleteWebhook");
    // teloxide spells methods in PascalCase; the log uses the API's spelling.
    let methods: Vec<String> = sim.requests().into_iter().map(|(m, _)| m).collect();
    assert_eq!(methods, ["getMe", "getWebhookInfo", "deleteWebhook"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_webhook_refuses_polling_and_telegram_refuses_a_plain_http_or_odd_port_url() {
    use teloxide::payloads::SetWebhookSetters;
    let (sim, bot) = world().await;
    for (url, why) in [
        (
            "http://bot.example.org/hook",
            "An HTTPS URL must be provided",
        ),
        (
            "https://bot.example.org:9000/hook",
            "ports 80, 88, 443 or 8443",
        ),
    ] {
        let e = bot
            .set_webhook(url.parse().unwrap())
            .await
            .expect_err(url)
            .to_string();
        assert!(e.contains(why), "{url}: {e}");
    }
    bot.set_webhook("https://bot.example.org:8443/hook".parse().unwrap())
        .secret_token("s3cret")
        .max_connections(3)
        .await
        .expect("setWebhook");
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(
        info.url.unwrap().as_str(),
        "https://bot.example.org:8443/hook"
    );
    assert_eq!(info.max_connections, Some(3));
    let e = bot.get_updates().await.expect_err("409").to_string();
    assert!(e.contains("webhook is active"), "{e}");
    bot.delete_webhook().await.unwrap();
    assert!(bot.get_webhook_info().await.unwrap().url.is_none());
    bot.get_updates().await.expect("polling again");
    sim.shutdown().await;
}

#[tokio::test]
async fn send_message_to_a_group() {
    let (sim, bot) = world().await;
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("确认", "ok:1")]]);
    let msg = bot
        .send_message(ChatId(GROUP), "<b>周报</b> 已收到 &amp; 记录")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard)
        .disable_notification(true)
        .await
        .expect("sendMessage");
    assert_eq!(msg.chat.id, ChatId(GROUP));
    assert_eq!(msg.text(), Some("周报 已收到 & 记录"));
    assert!(msg.from.as_ref().is_some_and(|u| u.is_bot));
    assert_eq!(msg.date.timestamp(), 1_795_000_000);
    let bold = &msg.entities().expect("entities")[0];
    assert_eq!(
        (&bold.kind, bold.offset, bold.length),
        (&MessageEntityKind::Bold, 0, 2)
    );
    assert!(msg.reply_markup().is_some());

    let sent = sim.sent();
    assert_eq!(sent.len(), 1);
    let s = &sent[0];
    assert_eq!(
        (s.seq, s.method.as_str(), s.chat_id),
        (1, "sendMessage", GROUP)
    );
    assert_eq!(s.message_id, i64::from(msg.id.0));
    assert_eq!(s.text, "<b>周报</b> 已收到 &amp; 记录");
    assert_eq!(s.plain, "周报 已收到 & 记录");
    assert_eq!(s.parse_mode.as_deref(), Some("HTML"));
    assert_eq!(
        s.reply_markup.as_ref().unwrap()["inline_keyboard"][0][0]["callback_data"],
        "ok:1"
    );
    assert_eq!(sim.sent_to(GROUP).len(), 1);
    assert!(sim.sent_to(SUPER).is_empty());

    // Message ids are per chat and shared with what people write.
    let p = sim.push_text(GROUP, ALICE, "hi");
    assert_eq!(p.message_id, s.message_id + 1);
    let next = bot.send_message(ChatId(GROUP), "again").await.unwrap();
    assert_eq!(i64::from(next.id.0), p.message_id + 1);
    let other = bot.send_message(ChatId(SUPER), "first").await.unwrap();
    assert_eq!(other.id, MessageId(1));
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_html_is_refused_and_not_sent() {
    let (sim, bot) = world().await;
    let e = api_error(
        bot.send_message(ChatId(GROUP), "进度 <x> 65%")
            .parse_mode(ParseMode::Html)
            .await,
    );
    let ApiError::CantParseEntities(text) = e else {
        panic!("expected CantParseEntities, got {e:?}");
    };
    assert_eq!(
        text,
        "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 7"
    );
    let e = api_error(
        bot.send_message(ChatId(GROUP), "<b>open")
            .parse_mode(ParseMode::Html)
            .await,
    );
    assert!(matches!(e, ApiError::CantParseEntities(t) if t.contains("Can't find end tag")));
    // The same text without parse_mode is plain text.
    bot.send_message(ChatId(GROUP), "进度 <x> 65%")
        .await
        .unwrap();
    assert_eq!(sim.sent().len(), 1);
    let errors = sim.errors();
    assert_eq!(errors.len(), 2);
    assert_eq!((errors[0].0.as_str(), errors[0].1), ("sendMessage", 400));
    sim.shutdown().await;
}

#[tokio::test]
async fn text_length_limits() {
    let (sim, bot) = world().await;
    let e = api_error(bot.send_message(ChatId(GROUP), "a".repeat(5000)).await);
    assert_eq!(e, ApiError::MessageIsTooLong);
    // 4096 is counted in UTF-16 units of the visible text.
    bot.send_message(ChatId(GROUP), "督".repeat(4096))
        .await
        .expect("4096 CJK characters fit");
    let e = api_error(bot.send_message(ChatId(GROUP), "😀".repeat(2049)).await);
    assert_eq!(e, ApiError::MessageIsTooLong);
    let tagged = format!("<i>{}</i>", "a".repeat(4096));
    bot.send_message(ChatId(GROUP), tagged)
        .parse_mode(ParseMode::Html)
        .await
        .expect("tags do not count");
    let e = api_error(bot.send_message(ChatId(GROUP), " \n ").await);
    assert_eq!(e, ApiError::MessageTextIsEmpty);
    assert_eq!(sim.sent().len(), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn private_chats_need_start_and_no_block() {
    let (sim, bot) = world().await;
    let e = api_error(bot.send_message(ChatId(ALICE), "hello").await);
    assert_eq!(
        e,
        ApiError::Unknown("Forbidden: bot can't initiate conversation with a user".into())
    );
    assert_eq!(sim.errors()[0].1, 403);
    let e = api_error(bot.send_message(ChatId(777_777), "hello").await);
    assert_eq!(e, ApiError::ChatNotFound);

    sim.open_private(ALICE);
    let msg = bot
        .send_message(ChatId(ALICE), "hello")
        .await
        .expect("after Start");
    assert!(msg.chat.is_private());
    assert_eq!(msg.chat.username(), Some("alice"));

    sim.block_bot(ALICE);
    let e = api_error(bot.send_message(ChatId(ALICE), "hello").await);
    assert_eq!(e, ApiError::BotBlocked);
    // Telegram tells the bot it was blocked.
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::MyChatMember(change) = &updates[0].kind else {
        panic!("expected my_chat_member, got {:?}", updates[0].kind);
    };
    assert!(change.new_chat_member.is_banned());
    sim.shutdown().await;
}

#[tokio::test]
async fn long_polling_returns_as_soon_as_an_update_arrives() {
    let (sim, bot) = world().await;
    let poller = bot.clone();
    let started = Instant::now();
    let poll = tokio::spawn(async move { poller.get_updates().timeout(5).await });
    assert!(sim.wait_polling(WAIT).await, "the poll is held open");
    let held_at = started.elapsed();
    sim.push_text(GROUP, ALICE, "/report");
    let updates = poll.await.unwrap().expect("getUpdates");
    let elapsed = started.elapsed();
    assert_eq!(updates.len(), 1);
    assert!(
        elapsed < Duration::from_secs(3),
        "returned after {elapsed:?} (held at {held_at:?})"
    );

    // With nothing to deliver the poll is held for its whole timeout.
    let started = Instant::now();
    let offset = updates[0].id.as_offset();
    let empty = bot.get_updates().offset(offset).timeout(1).await.unwrap();
    assert!(empty.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));
    sim.shutdown().await;
}

#[tokio::test]
async fn offsets_confirm_and_unconfirmed_updates_come_back() {
    let (sim, bot) = world().await;
    let a = sim.push_text(GROUP, ALICE, "one");
    let b = sim.push_text(GROUP, BOB, "two");
    assert_eq!(b.update_id, a.update_id + 1);
    assert_eq!(sim.pending_updates(), 2);

    let first = bot.get_updates().await.unwrap();
    assert_eq!(first.len(), 2);
    let again = bot.get_updates().await.unwrap();
    assert_eq!(again.len(), 2, "unconfirmed updates are delivered again");
    let limited = bot.get_updates().limit(1).await.unwrap();
    assert_eq!(limited.len(), 1);
    assert_eq!(i64::from(limited[0].id.0), a.update_id);

    let rest = bot
        .get_updates()
        .offset(limited[0].id.as_offset())
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(i64::from(rest[0].id.0), b.update_id);
    assert_eq!(sim.pending_updates(), 1);
    assert!(!sim.wait_consumed(Duration::from_millis(50)).await);

    let waiter = sim.clone();
    let consumed = tokio::spawn(async move { waiter.wait_consumed(WAIT).await });
    let done = bot
        .get_updates()
        .offset(rest[0].id.as_offset())
        .await
        .unwrap();
    assert!(done.is_empty());
    assert!(consumed.await.unwrap());
    assert_eq!(sim.pending_updates(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_newer_poll_ends_the_older_one() {
    let (sim, bot) = world().await;
    let old = bot.clone();
    let first = tokio::spawn(async move { old.get_updates().timeout(5).await });
    assert!(sim.wait_polling(WAIT).await);
    let second = bot.get_updates().timeout(0).await.unwrap();
    assert!(second.is_empty());
    let e = api_error(first.await.unwrap());
    assert_eq!(e, ApiError::TerminatedByOtherGetUpdates);
    sim.shutdown().await;
}

#[tokio::test]
async fn allowed_updates_filter_new_updates() {
    let (sim, bot) = world().await;
    bot.get_updates()
        .allowed_updates([AllowedUpdate::Message])
        .await
        .unwrap();
    sim.push_bot_added(SUPER, ALICE);
    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.len(), 1, "my_chat_member was not asked for");
    assert!(matches!(updates[0].kind, UpdateKind::Message(_)));
    // An empty list restores the default (everything but chat_member & co.).
    bot.get_updates()
        .offset(updates[0].id.as_offset())
        .allowed_updates(Vec::<AllowedUpdate>::new())
        .await
        .unwrap();
    sim.push_bot_removed(SUPER, ALICE);
    let updates = bot.get_updates().await.unwrap();
    assert!(matches!(updates[0].kind, UpdateKind::MyChatMember(_)));
    sim.shutdown().await;
}

#[tokio::test]
async fn every_pushed_update_parses_in_teloxide() {
    let (sim, bot) = world().await;
    sim.open_private(CAROL);
    let bot_msg = bot.send_message(ChatId(GROUP), "请回复进度").await.unwrap();
    let text = sim.push_text(GROUP, ALICE, "/status@duban_bot 甲");
    let reply = sim.push_reply(GROUP, BOB, "进度: 65%", i64::from(bot_msg.id.0));
    let topic = sim.create_topic(FORUM, "一号项目", ALICE);
    let in_topic = sim.push_in_topic(FORUM, topic.message_id, CAROL, "/help");
    let adhoc = sim.push_in_topic(FORUM, 900, BOB, "自动话题");
    let added = sim.push_bot_added(SUPER, ALICE);
    let private = sim.push_text(CAROL, CAROL, "/start");
    let callback = sim.push_callback(GROUP, ALICE, i64::from(bot_msg.id.0), "ok:1");
    sim.push_bot_removed(SUPER, ALICE);
    sim.add_chat(-4100, ChatKind::Group, "老群");
    let migrated = sim.migrate_to_supergroup(-4100, -1_004_100);
    let raw = sim.push_raw(json!({
        "edited_message": {
            "message_id": text.message_id, "date": 1_795_000_100, "edit_date": 1_795_000_100,
            "chat": {"id": GROUP, "type": "group", "title": "项目群"},
            "from": {"id": ALICE, "is_bot": false, "first_name": "Alice"},
            "text": "/status@duban_bot 乙",
        }
    }));

    let updates = bot.get_updates().await.expect("every update deserialises");
    for u in &updates {
        assert!(
            !matches!(u.kind, UpdateKind::Error(_)),
            "unparsed update: {:?}",
            u.kind
        );
    }
    let by_id = |id: i64| {
        updates
            .iter()
            .find(|u| i64::from(u.id.0) == id)
            .unwrap_or_else(|| panic!("update {id} delivered"))
    };
    let message = |id: i64| match &by_id(id).kind {
        UpdateKind::Message(m) => m.clone(),
        other => panic!("update {id} is not a message: {other:?}"),
    };

    let m = message(text.update_id);
    let e = &m.entities().unwrap()[0];
    assert_eq!(
        (&e.kind, e.offset, e.length),
        (&MessageEntityKind::BotCommand, 0, 17)
    );
    assert!(m.reply_to_message().is_none());

    let m = message(reply.update_id);
    let original = m.reply_to_message().expect("reply_to_message");
    assert_eq!(original.id, bot_msg.id);
    assert_eq!(original.text(), Some("请回复进度"));
    assert!(original.from.as_ref().unwrap().is_bot);
    assert_eq!(m.from.as_ref().unwrap().username, None);

    let m = message(topic.update_id);
    assert_eq!(m.forum_topic_created().unwrap().name, "一号项目");
    let m = message(in_topic.update_id);
    assert_eq!(
        m.thread_id,
        Some(ThreadId(MessageId(topic.message_id as i32)))
    );
    assert!(m.is_topic_message);
    // As in Telegram, a topic message "replies" to the topic's creation.
    assert!(
        m.reply_to_message()
            .unwrap()
            .forum_topic_created()
            .is_some()
    );
    let m = message(adhoc.update_id);
    assert_eq!(m.thread_id, Some(ThreadId(MessageId(900))));

    let UpdateKind::MyChatMember(change) = &by_id(added.update_id - 1).kind else {
        panic!("my_chat_member before the new_chat_members message");
    };
    assert!(change.old_chat_member.is_left() && change.new_chat_member.is_member());
    let m = message(added.update_id);
    assert_eq!(m.new_chat_members().unwrap()[0].id.0 as i64, sim.bot_id());

    let m = message(private.update_id);
    assert!(m.chat.is_private());

    let UpdateKind::CallbackQuery(q) = &by_id(callback.update_id).kind else {
        panic!("callback_query");
    };
    assert_eq!(q.data.as_deref(), Some("ok:1"));
    assert_eq!(q.regular_message().unwrap().id, bot_msg.id);
    bot.answer_callback_query(q.id.clone())
        .text("已确认")
        .await
        .expect("answer");
    let e = api_error(bot.answer_callback_query(q.id.clone()).await);
    assert_eq!(e, ApiError::InvalidQueryId);

    let kicked = updates
        .iter()
        .filter_map(|u| match &u.kind {
            UpdateKind::MyChatMember(c) => Some(c),
            _ => None,
        })
        .next_back()
        .unwrap();
    assert!(kicked.new_chat_member.is_banned());

    let m = message(migrated.update_id);
    assert_eq!(m.migrate_from_chat_id(), Some(&ChatId(-4100)));
    let m = message(migrated.update_id - 1);
    assert_eq!(m.migrate_to_chat_id(), Some(&ChatId(-1_004_100)));

    assert!(matches!(by_id(raw).kind, UpdateKind::EditedMessage(_)));
    sim.shutdown().await;
}

#[tokio::test]
async fn replies_threads_and_edits() {
    let (sim, bot) = world().await;
    let question = sim.push_text(GROUP, ALICE, "项目进度？");
    let answer = bot
        .send_message(ChatId(GROUP), "65%")
        .reply_parameters(ReplyParameters::new(MessageId(question.message_id as i32)))
        .await
        .unwrap();
    assert_eq!(
        answer.reply_to_message().unwrap().text(),
        Some("项目进度？")
    );
    assert_eq!(sim.sent()[0].reply_to, Some(question.message_id));
    let e = api_error(
        bot.send_message(ChatId(GROUP), "x")
            .reply_parameters(ReplyParameters::new(MessageId(999)))
            .await,
    );
    assert_eq!(e, ApiError::MessageToReplyNotFound);

    // Forum: threads are echoed, and a reply lands in its message's topic.
    let topic = sim.create_topic(FORUM, "二号项目", ALICE);
    let thread = ThreadId(MessageId(topic.message_id as i32));
    let in_topic = bot
        .send_message(ChatId(FORUM), "本周进度")
        .message_thread_id(thread)
        .await
        .unwrap();
    assert_eq!(in_topic.thread_id, Some(thread));
    assert!(in_topic.is_topic_message);
    let asked = sim.push_in_topic(FORUM, topic.message_id, BOB, "问题?");
    let replied = bot
        .send_message(ChatId(FORUM), "答复")
        .reply_parameters(ReplyParameters::new(MessageId(asked.message_id as i32)))
        .await
        .unwrap();
    assert_eq!(replied.thread_id, Some(thread));
    let e = api_error(
        bot.send_message(ChatId(FORUM), "x")
            .message_thread_id(ThreadId(MessageId(4242)))
            .await,
    );
    assert_eq!(
        e,
        ApiError::Unknown("Bad Request: message thread not found".into())
    );

    // Edits.
    let edited = bot
        .edit_message_text(ChatId(GROUP), answer.id, "<b>70%</b>")
        .parse_mode(ParseMode::Html)
        .await
        .expect("edit");
    assert_eq!(edited.text(), Some("70%"));
    assert!(edited.edit_date().is_some());
    let e = api_error(
        bot.edit_message_text(ChatId(GROUP), answer.id, "<b>70%</b>")
            .parse_mode(ParseMode::Html)
            .await,
    );
    assert_eq!(e, ApiError::MessageNotModified);
    let e = api_error(
        bot.edit_message_text(ChatId(GROUP), MessageId(999), "x")
            .await,
    );
    assert_eq!(e, ApiError::MessageToEditNotFound);
    let e = api_error(
        bot.edit_message_text(ChatId(GROUP), MessageId(question.message_id as i32), "x")
            .await,
    );
    assert_eq!(e, ApiError::MessageCantBeEdited);
    let last = sim.sent().pop().unwrap();
    assert_eq!(
        (last.method.as_str(), last.plain.as_str()),
        ("editMessageText", "70%")
    );
    assert_eq!(
        sim.message(GROUP, i64::from(answer.id.0)).unwrap()["text"],
        "70%"
    );

    bot.delete_message(ChatId(GROUP), answer.id)
        .await
        .expect("delete");
    let e = api_error(bot.delete_message(ChatId(GROUP), answer.id).await);
    assert_eq!(e, ApiError::MessageToDeleteNotFound);
    sim.shutdown().await;
}

#[tokio::test]
async fn migrated_group_answers_migrate_to_chat_id() {
    let (sim, bot) = world().await;
    sim.migrate_to_supergroup(GROUP, -1_009_001);
    let e = bot.send_message(ChatId(GROUP), "hello").await.unwrap_err();
    assert!(
        matches!(e, RequestError::MigrateToChatId(ChatId(-1_009_001))),
        "got {e:?}"
    );
    let msg = bot.send_message(ChatId(-1_009_001), "hello").await.unwrap();
    assert!(msg.chat.is_supergroup());
    let member = bot
        .get_chat_member(ChatId(-1_009_001), UserId(ALICE as u64))
        .await
        .unwrap();
    assert!(member.is_owner(), "members carry over");
    assert_eq!(
        sim.errors()[0],
        (
            "sendMessage".to_owned(),
            400,
            "Bad Request: group chat was upgraded to a supergroup chat".to_owned()
        )
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn removed_bot_is_forbidden() {
    let (sim, bot) = world().await;
    sim.push_bot_removed(GROUP, ALICE);
    sim.push_bot_removed(SUPER, ALICE);
    let e = api_error(bot.send_message(ChatId(GROUP), "x").await);
    assert_eq!(
        e,
        ApiError::Unknown("Forbidden: bot was kicked from the group chat".into())
    );
    let e = api_error(bot.send_message(ChatId(SUPER), "x").await);
    assert_eq!(e, ApiError::BotKickedFromSupergroup);
    sim.push_bot_added(SUPER, ALICE);
    bot.send_message(ChatId(SUPER), "back")
        .await
        .expect("re-added");
    sim.shutdown().await;
}

#[tokio::test]
async fn enforced_limits_answer_429_with_retry_after() {
    let (sim, bot) = world().await;
    // Unlimited until asked.
    for _ in 0..3 {
        bot.send_message(ChatId(GROUP), "x")
            .await
            .expect("no limits yet");
    }
    sim.open_private(ALICE);
    sim.enforce_limits(Limits {
        overall_per_sec: 2,
        per_group_per_min: 20,
        per_chat_per_sec: 1,
    });
    bot.send_message(ChatId(GROUP), "x").await.expect("first");
    let e = bot.send_message(ChatId(GROUP), "x").await.unwrap_err();
    let RequestError::RetryAfter(after) = e else {
        panic!("expected RetryAfter, got {e:?}");
    };
    assert_eq!(after.seconds(), 1);
    bot.send_message(ChatId(SUPER), "x")
        .await
        .expect("another chat");
    // Two accepted within the second: the overall limit refuses a third chat.
    let e = bot.send_message(ChatId(ALICE), "x").await.unwrap_err();
    assert!(matches!(e, RequestError::RetryAfter(_)), "{e:?}");
    // Not a message: not counted, not refused.
    bot.send_chat_action(ChatId(GROUP), ChatAction::Typing)
        .await
        .expect("chat actions are not limited");
    assert_eq!(sim.rate_limited(), 2);
    let refused: Vec<_> = sim.errors().into_iter().filter(|e| e.1 == 429).collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused[0].2.starts_with("Too Many Requests: retry after"));
    assert_eq!(sim.sent_count(), 5);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    bot.send_message(ChatId(GROUP), "x")
        .await
        .expect("a second later");
}

#[tokio::test]
async fn flood_control_and_other_faults() {
    let (sim, bot) = world().await;
    sim.fail_next("sendMessage", 1, Fault::TooManyRequests { retry_after: 7 });
    let e = bot.send_message(ChatId(GROUP), "x").await.unwrap_err();
    let RequestError::RetryAfter(after) = e else {
        panic!("expected RetryAfter, got {e:?}");
    };
    assert_eq!(after.seconds(), 7);
    bot.send_message(ChatId(GROUP), "x")
        .await
        .expect("only the next call fails");

    sim.fail_next(
        "SendMessage",
        2,
        Fault::Status {
            code: 400,
            description: "Bad Request: chat not found".into(),
        },
    );
    for _ in 0..2 {
        assert_eq!(
            api_error(bot.send_message(ChatId(GROUP), "x").await),
            ApiError::ChatNotFound
        );
    }
    sim.fail_next(
        "getMe",
        1,
        Fault::Slow {
            delay: Duration::from_millis(300),
        },
    );
    let started = Instant::now();
    bot.get_me().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    sim.fail_next("getMe", 1, Fault::Disconnect);
    let e = bot.get_me().await.unwrap_err();
    assert!(matches!(e, RequestError::Network(_)), "got {e:?}");
    bot.get_me().await.expect("the connection after works");
    assert_eq!(sim.sent().len(), 1);
    let codes: Vec<u16> = sim.errors().into_iter().map(|e| e.1).collect();
    assert_eq!(codes, [429, 400, 400]);
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_token_and_unknown_method() {
    let (sim, _bot) = world().await;
    let stranger = bot_for(&sim, "999:wrong");
    let e = api_error(stranger.get_me().await);
    assert_eq!(e, ApiError::InvalidToken);
    assert_eq!(sim.errors()[0].1, 401);

    let (status, body) = raw_post(
        &sim,
        &format!("/bot{TOKEN}/sendTelepathy"),
        "application/json",
        "{}",
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
    );
    let (status, body) = raw_post(
        &sim,
        &format!("/bot{TOKEN}/sendDice"),
        "application/json",
        r#"{"chat_id":-1001}"#,
    )
    .await;
    assert_eq!((status, body["ok"].clone()), (400, json!(false)));
    assert_eq!(
        body["description"],
        "Bad Request: method not supported by the simulator"
    );

    // Names are case-insensitive; required fields are checked in order.
    let (status, body) = raw_post(
        &sim,
        &format!("/bot{TOKEN}/SENDMESSAGE"),
        "application/json",
        r#"{"text":"x"}"#,
    )
    .await;
    assert_eq!(
        (status, body["description"].as_str()),
        (400, Some("Bad Request: chat_id is empty"))
    );
    let (status, body) = raw_post(
        &sim,
        &format!("/bot{TOKEN}/sendMessage"),
        "application/json",
        &format!(r#"{{"chat_id":{GROUP}}}"#),
    )
    .await;
    assert_eq!(body["description"], "Bad Request: message text is empty");
    assert_eq!(status, 400);
    let (status, body) = raw_post(
        &sim,
        &format!("/bot{TOKEN}/sendMessage"),
        "application/json",
        &format!(r#"{{"chat_id":{GROUP},"text":"x","parse_mode":"bbcode"}}"#),
    )
    .await;
    assert_eq!(
        (status, body["description"].as_str()),
        (400, Some("Bad Request: unsupported parse_mode"))
    );

    // Form bodies, as curl sends them.
    let (status, body) = raw_post(
        &sim,
        &format!("/bot{TOKEN}/sendMessage"),
        "application/x-www-form-urlencoded",
        &format!("chat_id={GROUP}&text=%E4%BD%A0%E5%A5%BD&message_thread_id=abc"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "Bad Request: invalid message_thread_id specified"
    );
    let (status, body) = raw_post(
        &sim,
        &format!("/bot{TOKEN}/sendMessage"),
        "application/x-www-form-urlencoded",
        &format!("chat_id={GROUP}&text=%E4%BD%A0%E5%A5%BD"),
    )
    .await;
    assert_eq!(
        (status, body["result"]["text"].as_str()),
        (200, Some("你好"))
    );

    let (status, _) = raw_post(&sim, "/nothing/here", "application/json", "{}").await;
    assert_eq!(status, 404);
    let last = sim.requests().pop().unwrap();
    assert_eq!(last.0, "sendMessage");
    assert_eq!(last.1["chat_id"], json!(GROUP.to_string()));
    sim.shutdown().await;
}

#[tokio::test]
async fn documents_and_photos_are_uploaded_as_multipart() {
    let (sim, bot) = world().await;
    let csv = "项目,进度\nA,65%\n".as_bytes().to_vec();
    let size = csv.len();
    let msg = bot
        .send_document(ChatId(GROUP), InputFile::memory(csv).file_name("周报.csv"))
        .caption("<b>本周</b>周报")
        .parse_mode(ParseMode::Html)
        .await
        .expect("sendDocument");
    let doc = msg.document().expect("a document");
    assert_eq!(doc.file_name.as_deref(), Some("周报.csv"));
    assert_eq!(doc.file.size as usize, size);
    assert_eq!(msg.caption(), Some("本周周报"));

    let s = sim.sent().pop().unwrap();
    assert_eq!(s.method, "sendDocument");
    assert_eq!(s.file_name.as_deref(), Some("周报.csv"));
    assert_eq!(
        (s.text.as_str(), s.plain.as_str()),
        ("<b>本周</b>周报", "本周周报")
    );

    // A file_id handed out before can be sent again without an upload.
    let again = bot
        .send_document(ChatId(SUPER), InputFile::file_id(doc.file.id.clone()))
        .await
        .expect("resend by file_id");
    assert_eq!(
        again.document().unwrap().file_name.as_deref(),
        Some("周报.csv")
    );

    let photo = bot
        .send_photo(
            ChatId(GROUP),
            InputFile::memory(vec![0x89, b'P', b'N', b'G']).file_name("chart.png"),
        )
        .await
        .expect("sendPhoto");
    assert!(photo.photo().is_some());
    assert_eq!(
        sim.sent().pop().unwrap().file_name.as_deref(),
        Some("chart.png")
    );

    let e = api_error(
        bot.send_document(ChatId(GROUP), InputFile::memory(Vec::new()))
            .await,
    );
    assert_eq!(
        e,
        ApiError::Unknown("Bad Request: file must be non-empty".into())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn commands_chats_and_members() {
    let (sim, bot) = world().await;
    bot.set_my_commands([
        BotCommand::new("report", "提交周报"),
        BotCommand::new("status", "项目状态"),
    ])
    .await
    .unwrap();
    bot.set_my_commands([BotCommand::new("bind", "绑定项目")])
        .scope(BotCommandScope::AllChatAdministrators)
        .language_code("zh")
        .await
        .unwrap();
    let commands = sim.commands();
    assert_eq!(commands.len(), 2);
    assert_eq!(commands[0].0, Value::Null);
    assert_eq!(
        commands[0].2[0],
        ("report".to_owned(), "提交周报".to_owned())
    );
    assert_eq!(commands[1].0, json!({"type": "all_chat_administrators"}));
    assert_eq!(commands[1].1.as_deref(), Some("zh"));
    let got = bot.get_my_commands().await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].command, "status");
    let got = bot
        .get_my_commands()
        .scope(BotCommandScope::AllChatAdministrators)
        .language_code("zh")
        .await
        .unwrap();
    assert_eq!(got, [BotCommand::new("bind", "绑定项目")]);
    let e = api_error(bot.set_my_commands([BotCommand::new("Report", "x")]).await);
    assert_eq!(
        e,
        ApiError::Unknown("Bad Request: BOT_COMMAND_INVALID".into())
    );
    bot.delete_my_commands().await.unwrap();
    assert_eq!(sim.commands().len(), 1);

    for (id, kind) in [(GROUP, "group"), (SUPER, "supergroup"), (FORUM, "forum")] {
        let chat = bot
            .get_chat(ChatId(id))
            .await
            .unwrap_or_else(|e| panic!("getChat {kind}: {e}"));
        assert_eq!(chat.id, ChatId(id));
        assert!(chat.is_group_chat());
    }
    sim.open_private(BOB);
    let chat = bot.get_chat(ChatId(BOB)).await.expect("private getChat");
    assert!(chat.is_private());

    let status = |id: i64| {
        let bot = bot.clone();
        async move {
            bot.get_chat_member(ChatId(GROUP), UserId(id as u64))
                .await
                .unwrap()
        }
    };
    assert!(status(ALICE).await.is_owner());
    assert!(status(BOB).await.is_administrator());
    assert!(status(CAROL).await.is_member());
    sim.set_member(GROUP, CAROL, "kicked");
    assert!(status(CAROL).await.is_banned());
    sim.set_member(GROUP, CAROL, "left");
    assert!(status(CAROL).await.is_left());
    assert!(status(sim.bot_id()).await.is_member());
    let e = api_error(bot.get_chat_member(ChatId(GROUP), UserId(1)).await);
    assert_eq!(e, ApiError::UserNotFound);
    let admins = bot.get_chat_administrators(ChatId(GROUP)).await.unwrap();
    assert_eq!(admins.len(), 2);
    assert_eq!(bot.get_chat_member_count(ChatId(GROUP)).await.unwrap(), 3);

    bot.send_chat_action(ChatId(GROUP), ChatAction::Typing)
        .await
        .unwrap();
    let e = api_error(bot.get_chat(ChatId(-9)).await);
    assert_eq!(e, ApiError::ChatNotFound);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_dispatcher_receives_commands_and_replies_intact() {
    let (sim, bot) = world().await;
    let question = bot
        .send_message(ChatId(GROUP), "请提交本周进度")
        .await
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Message>();
    let handler = Update::filter_message().endpoint(
        |msg: Message, tx: tokio::sync::mpsc::UnboundedSender<Message>| async move {
            tx.send(msg).ok();
            respond(())
        },
    );
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler)
        .dependencies(dptree::deps![tx])
        .build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });
    assert!(sim.wait_polling(WAIT).await, "the dispatcher polls");

    let p = sim.push_reply(
        GROUP,
        BOB,
        "/report@duban_bot 进度: 65%",
        i64::from(question.id.0),
    );
    let msg = tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("delivered")
        .unwrap();
    assert_eq!(i64::from(msg.id.0), p.message_id);
    assert_eq!(msg.text(), Some("/report@duban_bot 进度: 65%"));
    let entity = &msg.entities().unwrap()[0];
    assert_eq!(entity.kind, MessageEntityKind::BotCommand);
    assert_eq!(
        (entity.offset, entity.length),
        (0, "/report@duban_bot".len())
    );
    let original = msg.reply_to_message().expect("reply_to_message");
    assert_eq!(original.id, question.id);
    assert_eq!(original.text(), Some("请提交本周进度"));
    assert_eq!(msg.from.as_ref().map(|u| u.id), Some(UserId(BOB as u64)));
    assert!(
        sim.wait_consumed(WAIT).await,
        "the dispatcher confirms what it handled"
    );

    shutdown.shutdown().expect("running").await;
    running.await.unwrap();
    sim.shutdown().await;
}
