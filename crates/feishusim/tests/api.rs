//! The open platform's HTTP API as the adapter calls it.

mod common;

use std::time::Duration;

use common::{Api, sim};
use feishusim::{Config, Fault, FeishuSim};
use serde_json::{Value, json};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fake png body";

#[tokio::test]
async fn a_token_is_issued_reused_and_refused_with_99991663_once_revoked() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    assert!(api.token.starts_with("t-"), "{}", api.token);
    let again = Api::new(&sim).await;
    assert_eq!(
        again.token, api.token,
        "more than 30 minutes left: the same token"
    );
    assert_eq!(sim.token_requests(), 2);

    let (status, body) = api.get("/open-apis/bot/v3/info").await.json_status().await;
    assert_eq!(status, 200);
    assert_eq!(body["bot"]["open_id"], json!(sim.bot_open_id()));
    assert_eq!(body["bot"]["app_name"], "督办");
    assert_eq!(body["bot"]["activate_status"], 2);

    sim.revoke_tokens();
    let response = api.get("/open-apis/bot/v3/info").await;
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let (status, body) = response.json_status().await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(99991663)),
        "{body}"
    );
    assert_eq!(
        body["msg"],
        "Invalid access token for authorization. Please make a request with token attached."
    );
    assert!(body["error"]["log_id"].is_string());

    let fresh = Api::new(&sim).await;
    assert_ne!(
        fresh.token, api.token,
        "a revoked token is not handed out again"
    );
    assert_eq!(fresh.get("/open-apis/bot/v3/info").await.status(), 200);
}

#[tokio::test]
async fn a_wrong_secret_gets_10014_and_a_call_without_a_token_99991661() {
    let sim = sim().await;
    let mut api = Api::new(&sim).await;
    let (status, body) = api
        .post_json(
            "/open-apis/auth/v3/tenant_access_token/internal",
            &json!({"app_id": sim.config().app_id, "app_secret": "wrong"}),
        )
        .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(10014)));
    assert_eq!(sim.token_requests(), 2, "refused calls count too");
    api.token = String::new();
    let (status, body) = api.get("/open-apis/bot/v3/info").await.json_status().await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(99991661)));
}

#[tokio::test]
async fn a_text_send_is_recorded_with_plain_text_and_mentions() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    let li = sim.add_user("李四");
    let group = sim.add_group("项目群", &[&tom, &li]);
    sim.add_bot(&group, &tom).await;
    let text =
        format!("<at user_id=\"{tom}\">Tom</at> 请看 <at user_id=\"{li}\"></at>, <b>进度</b> 65%");
    let (status, body) = api.send_text(&group, &text).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], 0);
    let data = &body["data"];
    assert!(data["message_id"].as_str().unwrap().starts_with("om_"));
    assert_eq!(data["chat_id"], json!(group));
    assert_eq!(data["sender"]["sender_type"], "app");
    assert_eq!(data["sender"]["id"], json!(sim.config().app_id));
    assert_eq!(
        data["body"]["content"],
        json!(json!({"text": "@_user_1 请看 @_user_2, 进度 65%"}).to_string())
    );
    assert_eq!(data["mentions"][1]["id"], json!(li));

    let sent = sim.sent();
    assert_eq!(sent.len(), 1);
    let s = &sent[0];
    assert_eq!(s.seq, 1);
    assert_eq!(s.chat_id, group);
    assert_eq!(s.receive_id_type, "chat_id");
    assert_eq!(s.msg_type, "text");
    assert_eq!(s.plain, "@Tom 请看 @李四, 进度 65%");
    assert_eq!(s.mentions, vec![tom.clone(), li.clone()]);
    assert_eq!(s.content, json!({ "text": text }).to_string());

    // To a user by open id: lands in their p2p chat, reported by their id.
    let (status, body) = api.send_text(&li, "你好").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["chat_id"],
        json!(sim.p2p_chat_id(&li).unwrap())
    );
    assert_eq!(sim.sent()[1].chat_id, li);
    assert_eq!(sim.sent()[1].receive_id_type, "open_id");
}

#[tokio::test]
async fn a_post_wrapped_in_post_is_refused_with_230001_and_a_locale_post_is_sent() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    let body = json!({"title": "周报", "content": [[{"tag": "text", "text": "本周"}, {"tag": "at", "user_id": tom}]]});
    let (status, answer) = api
        .send(
            "open_id",
            &tom,
            "post",
            &json!({ "post": { "zh_cn": body } }),
        )
        .await;
    assert_eq!((status, answer["code"].as_i64()), (400, Some(230001)));
    assert!(
        answer["msg"]
            .as_str()
            .unwrap()
            .contains("ext=invalid post content"),
        "{answer}"
    );
    let (status, answer) = api
        .send("open_id", &tom, "post", &json!({ "zh_cn": body }))
        .await;
    assert_eq!(status, 200, "{answer}");
    let sent = sim.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].plain, "周报\n本周@Tom");
    assert_eq!(sent[0].mentions, vec![tom]);
}

#[tokio::test]
async fn a_repeated_uuid_returns_the_same_message_and_records_it_once() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    let send = |uuid: &str| {
        let body = json!({"receive_id": tom, "msg_type": "text", "content": "{\"text\":\"hi\"}", "uuid": uuid});
        let api = &api;
        async move {
            api.post_json("/open-apis/im/v1/messages?receive_id_type=open_id", &body)
                .await
        }
    };
    let (s1, first) = send("a0d69e20-1dd1-458b-b1f2-4b5a1b1c0001").await;
    let (s2, second) = send("a0d69e20-1dd1-458b-b1f2-4b5a1b1c0001").await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(first["data"]["message_id"], second["data"]["message_id"]);
    assert_eq!(sim.sent().len(), 1);
    assert_eq!(
        sim.sent()[0].uuid.as_deref(),
        Some("a0d69e20-1dd1-458b-b1f2-4b5a1b1c0001")
    );
    let (_, third) = send("another").await;
    assert_ne!(third["data"]["message_id"], first["data"]["message_id"]);
    let (status, long) = send(&"x".repeat(51)).await;
    assert_eq!((status, long["code"].as_i64()), (400, Some(230001)));
    assert_eq!(sim.sent().len(), 2);
}

#[tokio::test]
async fn a_group_without_the_bot_gets_230002_and_a_disbanded_one_232009() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    let group = sim.add_group("G", &[&tom]);
    let (status, body) = api.send_text(&group, "hi").await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(230002)));
    sim.add_bot(&group, &tom).await;
    assert_eq!(api.send_text(&group, "hi").await.0, 200);
    sim.remove_bot(&group, &tom).await;
    assert_eq!(api.send_text(&group, "hi").await.1["code"], 230002);
    sim.add_bot(&group, &tom).await;
    sim.disband(&group, &tom).await;
    let (status, body) = api.send_text(&group, "hi").await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(232009)));
    let (status, body) = api.send_text("oc_nosuchchat", "hi").await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(230001)));
    assert!(
        body["msg"]
            .as_str()
            .unwrap()
            .contains("ext=invalid receive_id")
    );
    assert_eq!(sim.sent().len(), 1);
}

#[tokio::test]
async fn a_user_out_of_the_availability_scope_gets_230013() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    sim.set_in_scope(&tom, false);
    let (status, body) = api.send_text(&tom, "hi").await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(230013)));
    sim.set_in_scope(&tom, true);
    assert_eq!(api.send_text(&tom, "hi").await.0, 200);
}

#[tokio::test]
async fn an_uploaded_image_is_sent_as_an_image_message() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    let images = "/open-apis/im/v1/images";
    let (status, body) = api
        .upload(
            images,
            &[
                ("image_type", None, b"message"),
                ("image", Some("chart.png"), PNG),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let key = body["data"]["image_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("img_v2_"), "{key}");
    assert_eq!(sim.file_content(&key).as_deref(), Some(PNG));

    let (_, pdf) = api
        .upload(
            images,
            &[
                ("image_type", None, b"message"),
                ("image", Some("a.pdf"), b"%PDF-1.7"),
            ],
        )
        .await;
    assert_eq!(pdf["code"], 234011);
    let (_, empty) = api
        .upload(
            images,
            &[
                ("image_type", None, b"message"),
                ("image", Some("a.png"), b""),
            ],
        )
        .await;
    assert_eq!(empty["code"], 234010);

    let (status, body) = api
        .send("open_id", &tom, "image", &json!({ "image_key": key }))
        .await;
    assert_eq!(status, 200, "{body}");
    let sent = &sim.sent()[0];
    assert_eq!(sent.msg_type, "image");
    assert_eq!(sent.file_key.as_deref(), Some(key.as_str()));
    assert_eq!(sent.plain, "chart.png");
    let (_, unknown) = api
        .send(
            "open_id",
            &tom,
            "image",
            &json!({ "image_key": "img_v2_nope" }),
        )
        .await;
    assert_eq!(unknown["code"], 230001);
}

#[tokio::test]
async fn an_image_over_10_mb_gets_234006_and_a_file_without_a_name_234001() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let mut big = PNG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let (status, body) = api
        .upload(
            "/open-apis/im/v1/images",
            &[
                ("image_type", None, b"message"),
                ("image", Some("big.png"), &big),
            ],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(234006)),
        "{body}"
    );
    let (_, body) = api
        .upload(
            "/open-apis/im/v1/files",
            &[("file_type", None, b"stream"), ("file", Some("x"), b"x")],
        )
        .await;
    assert_eq!(body["code"], 234001);
}

#[tokio::test]
async fn a_file_the_bot_sent_downloads_through_its_message() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    let bytes = b"PK\x03\x04 pledge sheet".as_slice();
    let (status, body) = api
        .upload(
            "/open-apis/im/v1/files",
            &[
                ("file_type", None, b"stream"),
                ("file_name", None, "周报.xlsx".as_bytes()),
                ("file", Some("x"), bytes),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let key = body["data"]["file_key"].as_str().unwrap().to_owned();
    let (status, body) = api
        .send("open_id", &tom, "file", &json!({ "file_key": key }))
        .await;
    assert_eq!(status, 200, "{body}");
    let message_id = body["data"]["message_id"].as_str().unwrap().to_owned();
    assert_eq!(sim.sent()[0].plain, "周报.xlsx");

    let response = api
        .get(&format!(
            "/open-apis/im/v1/messages/{message_id}/resources/{key}?type=file"
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''%E5%91%A8%E6%8A%A5.xlsx"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), bytes);

    let other = api
        .get(&format!(
            "/open-apis/im/v1/messages/{message_id}/resources/file_v2_other?type=file"
        ))
        .await;
    let (status, body) = other.json_status().await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(234003)));
}

#[tokio::test]
async fn a_file_a_user_sent_downloads_with_its_bytes() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    let pushed = sim
        .send_file(&tom, "承诺表.csv", b"a,b\n1,2\n".to_vec())
        .await;
    assert_eq!(pushed.status, None, "no webhook: queued");
    let message_id = pushed.message_id.unwrap();
    let event = sim.event(&pushed.event_id).unwrap();
    let message = &event["event"]["message"];
    assert_eq!(message["message_type"], "file");
    assert_eq!(message["chat_type"], "p2p");
    let content: Value = serde_json::from_str(message["content"].as_str().unwrap()).unwrap();
    assert_eq!(content["file_name"], "承诺表.csv");
    let key = content["file_key"].as_str().unwrap().to_owned();
    assert_eq!(
        sim.file_content(&key).as_deref(),
        Some(b"a,b\n1,2\n".as_slice())
    );
    let response = api
        .get(&format!(
            "/open-apis/im/v1/messages/{message_id}/resources/{key}?type=file"
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"a,b\n1,2\n");
}

#[tokio::test]
async fn the_sixth_send_to_one_chat_within_a_second_gets_230020() {
    let sim = FeishuSim::start(Config {
        enforce_limits: true,
        ..Config::default()
    })
    .await
    .unwrap();
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    let ann = sim.add_user("Ann");
    for i in 0..5 {
        assert_eq!(api.send_text(&tom, &format!("{i}")).await.0, 200);
    }
    let (status, body) = api.send_text(&tom, "6").await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (400, Some(230020)),
        "{body}"
    );
    assert_eq!(api.send_text(&ann, "other chat").await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(api.send_text(&tom, "later").await.0, 200);
    assert_eq!(sim.sent().len(), 7);
}

#[tokio::test]
async fn a_queued_fault_answers_the_next_send_once() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    sim.fail_next(Fault::TooManyRequests { reset_secs: 7 });
    sim.fail_next(Fault::Code {
        http: 500,
        code: 1000,
        msg: "internal".into(),
    });
    let response = api
        .client
        .post(format!(
            "{}/open-apis/im/v1/messages?receive_id_type=open_id",
            api.base
        ))
        .header("authorization", format!("Bearer {}", api.token))
        .body(
            json!({"receive_id": tom, "msg_type": "text", "content": "{\"text\":\"x\"}"})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["x-ogw-ratelimit-reset"], "7");
    assert!(response.headers().contains_key("x-ogw-ratelimit-limit"));
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], 99991400);
    assert_eq!(api.send_text(&tom, "x").await.1["code"], 1000);
    assert_eq!(api.send_text(&tom, "x").await.0, 200);
    sim.fail_next(Fault::Frequency);
    assert_eq!(api.send_text(&tom, "x").await.1["code"], 230020);
    assert_eq!(sim.sent().len(), 1);
    assert_eq!(sim.errors().len(), 3);
}

#[tokio::test]
async fn a_reply_lands_in_the_parents_chat_and_a_recalled_parent_gets_230011() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    let tom = sim.add_user("Tom");
    let group = sim.add_group("G", &[&tom]);
    sim.add_bot(&group, &tom).await;
    let asked = sim
        .say(&group, &tom, "@督办 进度?")
        .await
        .message_id
        .unwrap();
    let path = format!("/open-apis/im/v1/messages/{asked}/reply");
    let (status, body) = api
        .post_json(
            &path,
            &json!({"msg_type": "text", "content": "{\"text\":\"65%\"}", "reply_in_thread": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["parent_id"], json!(asked));
    assert_eq!(body["data"]["root_id"], json!(asked));
    let sent = &sim.sent()[0];
    assert_eq!(
        (sent.chat_id.as_str(), sent.receive_id_type.as_str()),
        (group.as_str(), "reply")
    );
    assert_eq!(sent.reply_to.as_deref(), Some(asked.as_str()));
    sim.recall(&asked).await;
    assert_eq!(
        api.post_json(
            &path,
            &json!({"msg_type": "text", "content": "{\"text\":\"x\"}"})
        )
        .await
        .1["code"],
        230011
    );
    let (status, body) = api
        .post_json(
            "/open-apis/im/v1/messages/om_nope/reply",
            &json!({"msg_type": "text", "content": "{}"}),
        )
        .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(230001)));
}

#[tokio::test]
async fn the_api_url_refuses_connections_after_stop() {
    let sim = sim().await;
    let api = Api::new(&sim).await;
    sim.stop().await;
    let refused = api
        .client
        .get(format!("{}/open-apis/bot/v3/info", api.base))
        .send()
        .await;
    assert!(refused.is_err());
}

/// Reads a JSON answer with its status.
trait JsonStatus {
    async fn json_status(self) -> (u16, Value);
}

impl JsonStatus for reqwest::Response {
    async fn json_status(self) -> (u16, Value) {
        let status = self.status().as_u16();
        (
            status,
            serde_json::from_slice(&self.bytes().await.unwrap()).unwrap(),
        )
    }
}
