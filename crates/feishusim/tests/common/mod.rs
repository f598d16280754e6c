//! What the tests share: a client of the simulator's API as the adapter
//! would call it, a tiny webhook receiver on 127.0.0.1:0, and the AES
//! decryption the receiving side does.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use aes::Aes256;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use feishusim::{Config, FeishuSim};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub async fn sim() -> FeishuSim {
    FeishuSim::start(Config::default()).await.unwrap()
}

/// The receiving side's decryption: base64, IV in front, AES-256-CBC under
/// SHA-256 of the key, PKCS#7.
pub fn decrypt(encrypt_key: &str, encrypted: &str) -> String {
    let key = Sha256::digest(encrypt_key.as_bytes());
    let raw = STANDARD.decode(encrypted).unwrap();
    let (iv, body) = raw.split_at(16);
    let mut buf = body.to_vec();
    let plain = cbc::Decryptor::<Aes256>::new_from_slices(&key, iv)
        .unwrap()
        .decrypt_padded_mut::<Pkcs7>(&mut buf)
        .unwrap();
    String::from_utf8(plain.to_vec()).unwrap()
}

pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The simulator's API as the adapter calls it.
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub token: String,
}

impl Api {
    /// Fetches a tenant token with the default app's credentials.
    pub async fn new(sim: &FeishuSim) -> Api {
        let mut api = Api {
            base: sim.url(),
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            token: String::new(),
        };
        let (status, body) = api
            .post_json(
                "/open-apis/auth/v3/tenant_access_token/internal",
                &json!({"app_id": sim.config().app_id, "app_secret": sim.config().app_secret}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        api.token = body["tenant_access_token"].as_str().unwrap().to_owned();
        api
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.bytes().await.unwrap();
        (status, serde_json::from_slice(&text).unwrap())
    }

    /// Sends a message: (HTTP status, body).
    pub async fn send(
        &self,
        receive_id_type: &str,
        receive_id: &str,
        msg_type: &str,
        content: &Value,
    ) -> (u16, Value) {
        let body = json!({
            "receive_id": receive_id,
            "msg_type": msg_type,
            "content": content.to_string(),
        });
        self.post_json(
            &format!("/open-apis/im/v1/messages?receive_id_type={receive_id_type}"),
            &body,
        )
        .await
    }

    pub async fn send_text(&self, chat_id: &str, text: &str) -> (u16, Value) {
        let id_type = if chat_id.starts_with("ou_") {
            "open_id"
        } else {
            "chat_id"
        };
        self.send(id_type, chat_id, "text", &json!({ "text": text }))
            .await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .send()
            .await
            .unwrap()
    }

    /// A multipart upload built by hand: (name, file name, bytes) parts.
    pub async fn upload(&self, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> (u16, Value) {
        let boundary = "simboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, file_name, bytes) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let disposition = match file_name {
                Some(f) => format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ),
                None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
            };
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
        )
    }
}

/// A request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// The plaintext event, decrypted when it came encrypted.
    pub fn plain(&self, encrypt_key: Option<&str>) -> Value {
        let body: Value = serde_json::from_slice(&self.body).unwrap();
        match (encrypt_key, body.get("encrypt").and_then(Value::as_str)) {
            (Some(key), Some(encrypted)) => serde_json::from_str(&decrypt(key, encrypted)).unwrap(),
            _ => body,
        }
    }
}

/// A webhook on 127.0.0.1:0 that keeps what it gets and answers with the
/// statuses queued (200 once they run out); a url_verification gets its
/// challenge echoed.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    pub async fn start(encrypt_key: Option<String>) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let url = format!("http://{}/feishu/events", listener.local_addr().unwrap());
        let receiver = Receiver {
            url,
            received: Arc::default(),
            statuses: Arc::default(),
        };
        let state = receiver.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            let key = encrypt_key.clone();
            async move {
                let got = Received { headers, body };
                state.received.lock().unwrap().push(got.clone());
                let plain = got.plain(key.as_deref());
                if plain["type"] == "url_verification" {
                    return axum::Json(json!({ "challenge": plain["challenge"] })).into_response();
                }
                let status = state.statuses.lock().unwrap().pop_front().unwrap_or(200);
                (
                    StatusCode::from_u16(status).unwrap(),
                    axum::Json(json!({ "msg": "success" })),
                )
                    .into_response()
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn fail_next(&self, statuses: &[u16]) {
        self.statuses.lock().unwrap().extend(statuses);
    }
}
