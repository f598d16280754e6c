//! Events pushed to a webhook: the envelope, encryption and signature,
//! retries, redelivery and url_verification.

mod common;

use common::{Receiver, decrypt, sha256_hex, sim};
use feishusim::{Config, FeishuSim};
use serde_json::{Value, json};

const KEY: &str = "sim-encrypt-key-0123456789";

#[test]
fn the_documents_test_vector_decrypts_to_hello_world() {
    assert_eq!(
        decrypt("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="),
        "hello world"
    );
}

#[tokio::test]
async fn an_encrypted_push_decrypts_and_its_signature_matches() {
    let sim = sim().await;
    let hook = Receiver::start(Some(KEY.to_owned())).await;
    sim.set_webhook(&hook.url);
    let tom = sim.add_user("Tom");
    let group = sim.add_group("项目群", &[&tom]);
    let pushed = sim.add_bot(&group, &tom).await;
    assert_eq!(pushed.status, Some(200));

    let got = hook.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    let raw: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(raw.as_object().unwrap().len(), 1, "only `encrypt`: {raw}");
    let timestamp = r.header("x-lark-request-timestamp").unwrap();
    let nonce = r.header("x-lark-request-nonce").unwrap();
    let expected = sha256_hex(&[
        timestamp.as_bytes(),
        nonce.as_bytes(),
        KEY.as_bytes(),
        &r.body,
    ]);
    assert_eq!(r.header("x-lark-signature"), Some(expected));
    assert!(
        timestamp.parse::<u64>().unwrap() > 1_600_000_000,
        "unix seconds"
    );

    let plain_text = decrypt(KEY, raw["encrypt"].as_str().unwrap());
    let event: Value = serde_json::from_str(&plain_text).unwrap();
    assert_eq!(plain_text, event.to_string(), "compact JSON");
    assert_eq!(event["schema"], "2.0");
    let header = &event["header"];
    assert_eq!(header["event_id"], json!(pushed.event_id));
    assert_eq!(pushed.event_id.len(), 32);
    assert_eq!(header["event_type"], "im.chat.member.bot.added_v1");
    assert_eq!(header["token"], "sim-verification-token-0123");
    assert_eq!(header["app_id"], "cli_sim0000000001");
    assert!(
        header["create_time"].as_str().unwrap().len() >= 13,
        "ms as a string"
    );
    assert_eq!(event["event"]["chat_id"], json!(group));
    assert_eq!(event["event"]["operator_id"]["open_id"], json!(tom));
    assert_eq!(event["event"]["name"], "项目群");
    assert_eq!(event["event"]["external"], false);
}

#[tokio::test]
async fn without_an_encrypt_key_events_are_plaintext_and_unsigned() {
    let sim = FeishuSim::start(Config {
        encrypt_key: None,
        ..Config::default()
    })
    .await
    .unwrap();
    let hook = Receiver::start(None).await;
    sim.set_webhook(&hook.url);
    let tom = sim.add_user("Tom");
    let pushed = sim.open_p2p(&tom).await;
    let r = &hook.received()[0];
    assert!(r.header("x-lark-signature").is_none());
    let event: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(event["header"]["event_id"], json!(pushed.event_id));
    assert_eq!(
        event["header"]["event_type"],
        "im.chat.access_event.bot_p2p_chat_entered_v1"
    );
    assert_eq!(
        event["event"]["chat_id"],
        json!(sim.p2p_chat_id(&tom).unwrap())
    );
    assert_eq!(event["event"]["last_message_id"], "");
}

#[tokio::test]
async fn say_turns_at_the_bot_into_a_placeholder_with_the_bots_open_id() {
    let sim = sim().await;
    let hook = Receiver::start(Some(KEY.to_owned())).await;
    sim.set_webhook(&hook.url);
    let tom = sim.add_user("Tom");
    let li = sim.add_user("李四");
    let group = sim.add_group("G", &[&tom, &li]);
    sim.add_bot(&group, &tom).await;
    let pushed = sim.say(&group, &tom, "@督办 hi @李四, mail a@b").await;
    assert_eq!(pushed.status, Some(200));
    let event = hook.received()[1].plain(Some(KEY));
    assert_eq!(event["header"]["event_type"], "im.message.receive_v1");
    let message = &event["event"]["message"];
    assert_eq!(message["message_id"], json!(pushed.message_id.unwrap()));
    assert_eq!(message["chat_type"], "group");
    assert_eq!(message["chat_id"], json!(group));
    assert_eq!(message["message_type"], "text");
    assert_eq!(
        message["content"],
        json!(json!({"text": "@_user_1 hi @_user_2, mail a@b"}).to_string())
    );
    let mentions = message["mentions"].as_array().unwrap();
    assert_eq!(mentions.len(), 2);
    assert_eq!(mentions[0]["key"], "@_user_1");
    assert_eq!(mentions[0]["id"]["open_id"], json!(sim.bot_open_id()));
    assert_eq!(mentions[0]["name"], "督办");
    assert_eq!(mentions[1]["id"]["open_id"], json!(li));
    assert!(
        mentions[1]["id"]["union_id"]
            .as_str()
            .unwrap()
            .starts_with("on_")
    );
    let sender = &event["event"]["sender"];
    assert_eq!(sender["sender_id"]["open_id"], json!(tom));
    assert_eq!(sender["sender_type"], "user");
    assert!(message.get("parent_id").is_none());

    let p2p = sim.say(&tom, &tom, "进度 65%").await;
    let event = hook.received()[2].plain(Some(KEY));
    let message = &event["event"]["message"];
    assert_eq!(message["chat_type"], "p2p");
    assert_eq!(message["chat_id"], json!(sim.p2p_chat_id(&tom).unwrap()));
    assert!(message.get("mentions").is_none(), "none: left out");
    let answer = sim
        .reply(&tom, &tom, p2p.message_id.as_deref().unwrap(), "补充")
        .await;
    let event = sim.event(&answer.event_id).unwrap();
    assert_eq!(
        event["event"]["message"]["parent_id"],
        json!(p2p.message_id)
    );
    assert_eq!(event["event"]["message"]["root_id"], json!(p2p.message_id));
}

#[tokio::test]
async fn a_post_carries_at_nodes_for_mentions() {
    let sim = sim().await;
    let tom = sim.add_user("Tom");
    let pushed = sim
        .say_post(&tom, &tom, "周报", &["@督办 本周完成", "下周计划"])
        .await;
    let event = sim.event(&pushed.event_id).unwrap();
    let message = &event["event"]["message"];
    assert_eq!(message["message_type"], "post");
    let content: Value = serde_json::from_str(message["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        content,
        json!({"title": "周报", "content": [
            [{"tag": "at", "user_id": "@_user_1", "user_name": "督办"}, {"tag": "text", "text": " 本周完成"}],
            [{"tag": "text", "text": "下周计划"}],
        ]})
    );
    assert_eq!(
        message["mentions"][0]["id"]["open_id"],
        json!(sim.bot_open_id())
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_and_redelivery_repeats_the_same_event() {
    let sim = sim().await;
    let hook = Receiver::start(Some(KEY.to_owned())).await;
    sim.set_webhook(&hook.url);
    let tom = sim.add_user("Tom");
    hook.fail_next(&[500, 503]);
    let pushed = sim.say(&tom, &tom, "hi").await;
    assert_eq!(pushed.status, Some(200));
    let statuses: Vec<u16> = sim.deliveries().iter().map(|d| d.status).collect();
    assert_eq!(statuses, [500, 503, 200]);
    assert!(
        sim.deliveries()
            .iter()
            .all(|d| d.event_id == pushed.event_id && d.event_type == "im.message.receive_v1")
    );

    let again = sim.redeliver(&pushed.event_id).await;
    assert_eq!(again.event_id, pushed.event_id);
    assert_eq!(again.message_id, pushed.message_id);
    let got = hook.received();
    let (first, last) = (got[0].plain(Some(KEY)), got[got.len() - 1].plain(Some(KEY)));
    assert_eq!(first, last, "the very same body");

    hook.fail_next(&[500; 5]);
    let failed = sim.say(&tom, &tom, "lost").await;
    assert_eq!(failed.status, Some(500));
    assert_eq!(
        sim.deliveries()
            .iter()
            .filter(|d| d.event_id == failed.event_id)
            .count(),
        5
    );
}

#[tokio::test]
async fn events_wait_for_a_webhook_and_follow_in_order() {
    let sim = sim().await;
    let tom = sim.add_user("Tom");
    let first = sim.say(&tom, &tom, "one").await;
    assert_eq!(first.status, None);
    assert_eq!(sim.queued(), 1);
    let hook = Receiver::start(Some(KEY.to_owned())).await;
    sim.set_webhook(&hook.url);
    let second = sim.say(&tom, &tom, "two").await;
    assert_eq!(second.status, Some(200));
    assert_eq!(sim.queued(), 0);
    let ids: Vec<Value> = hook
        .received()
        .iter()
        .map(|r| r.plain(Some(KEY))["header"]["event_id"].clone())
        .collect();
    assert_eq!(ids, [json!(first.event_id), json!(second.event_id)]);
}

#[tokio::test]
async fn a_dead_webhook_is_recorded_with_status_0() {
    let sim = sim().await;
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feishu/events", dead.local_addr().unwrap());
    drop(dead);
    sim.set_webhook(&url);
    let tom = sim.add_user("Tom");
    let pushed = sim.open_p2p(&tom).await;
    assert_eq!(pushed.status, Some(0));
    assert!(sim.deliveries().iter().all(|d| d.status == 0));
}

#[tokio::test]
async fn url_verification_is_encrypted_and_its_challenge_checked() {
    let sim = sim().await;
    assert!(sim.verify_url().await.is_err(), "no webhook yet");
    let hook = Receiver::start(Some(KEY.to_owned())).await;
    sim.set_webhook(&hook.url);
    let challenge = sim.verify_url().await.unwrap();
    let r = &hook.received()[0];
    let raw: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(raw["encrypt"].is_string(), "{raw}");
    let plain = r.plain(Some(KEY));
    assert_eq!(
        plain,
        json!({"challenge": challenge, "token": "sim-verification-token-0123", "type": "url_verification"})
    );

    // A receiver that cannot decrypt echoes nothing useful.
    let deaf = Receiver::start(None).await;
    sim.set_webhook(&deaf.url);
    let err = sim.verify_url().await.unwrap_err();
    assert!(err.contains("instead of"), "{err}");
}
