//! Webhook delivery as Feishu does it (../shared/feishu-wire-format.md §2):
//! the event serialized as compact JSON (Node's SDK signs the re-serialized
//! body, so only compact JSON verifies there too); with an Encrypt Key, the
//! body is `{"encrypt": base64(IV ‖ AES-256-CBC(SHA-256(key), PKCS#7))}`
//! and `X-Lark-Signature` = hex SHA-256(timestamp ‖ nonce ‖ key ‖ body).
//! A delivery that does not get a 200 is retried on Feishu's schedule
//! scaled down from 15 s, 5 min, 1 h, 6 h to 50 ms, 200 ms, 500 ms, 1 s.
//!
//! Pushes take turns (one delivery sequence at a time), so events arrive
//! in the order people caused them, and an event pushed while no webhook
//! is set waits in a queue that the next push or `set_webhook` drains
//! first.

use std::sync::Arc;
use std::time::Duration;

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::people::Prepared;
use crate::{Config, Delivery, Inner, Pushed, ids};

/// Waits before the retries of a failed delivery.
const RETRIES: [Duration; 4] = [
    Duration::from_millis(50),
    Duration::from_millis(200),
    Duration::from_millis(500),
    Duration::from_secs(1),
];

/// Feishu wants a url_verification answered within a second.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(1);

/// Pushes one prepared event and waits for the whole delivery sequence.
pub(crate) async fn push(inner: &Arc<Inner>, prepared: Prepared) -> Pushed {
    let _turn = inner.delivering.lock().await;
    let url = inner.with(|w| {
        if w.webhook.is_none() {
            w.queued.push_back(prepared.event_id.clone());
        }
        w.webhook.clone()
    });
    let status = match url {
        Some(url) => {
            drain(inner, &url).await;
            Some(deliver(inner, &url, &prepared.event_id).await)
        }
        None => None,
    };
    Pushed {
        event_id: prepared.event_id,
        message_id: prepared.message_id,
        status,
    }
}

/// Delivers the events queued while no webhook was set; how many.
pub(crate) async fn flush(inner: &Arc<Inner>) -> usize {
    let _turn = inner.delivering.lock().await;
    match inner.with(|w| w.webhook.clone()) {
        Some(url) => drain(inner, &url).await,
        None => 0,
    }
}

async fn drain(inner: &Arc<Inner>, url: &str) -> usize {
    let mut delivered = 0;
    while let Some(event_id) = inner.with(|w| w.queued.pop_front()) {
        deliver(inner, url, &event_id).await;
        delivered += 1;
    }
    delivered
}

/// POSTs the event until a 200 or the retries run out; the last status
/// (0 when the connection failed). Every attempt is recorded.
async fn deliver(inner: &Arc<Inner>, url: &str, event_id: &str) -> u16 {
    let Some((event_type, body)) = inner.with(|w| {
        w.events
            .get(event_id)
            .map(|e| (e.event_type.clone(), e.body.clone()))
    }) else {
        return 0;
    };
    let mut status = 0;
    for wait in std::iter::once(Duration::ZERO).chain(RETRIES) {
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        status = attempt(inner, url, &body, true).await;
        inner.mutate(|w| {
            w.deliveries.push(Delivery {
                event_id: event_id.to_owned(),
                event_type: event_type.clone(),
                status,
            });
        });
        if status == 200 {
            break;
        }
        tracing::debug!(event_id, status, "feishusim: webhook delivery failed");
    }
    status
}

/// One POST; the HTTP status, or 0 when there was no answer.
async fn attempt(inner: &Arc<Inner>, url: &str, body: &Value, sign: bool) -> u16 {
    let sealed = match seal(&inner.config, body, sign) {
        Ok(sealed) => sealed,
        Err(e) => {
            tracing::error!(error = %e, "feishusim: cannot seal an event");
            return 0;
        }
    };
    if !loopback(url) {
        tracing::debug!(url, "feishusim: delivers to loopback URLs only");
        return 0;
    }
    match request(inner, url, sealed).send().await {
        Ok(response) => response.status().as_u16(),
        Err(e) => {
            tracing::debug!(error = %e, "feishusim: webhook unreachable");
            0
        }
    }
}

fn request(inner: &Inner, url: &str, sealed: Sealed) -> reqwest::RequestBuilder {
    let mut req = inner
        .client
        .post(url)
        .header("content-type", "application/json")
        .body(sealed.body);
    for (name, value) in sealed.headers {
        req = req.header(name, value);
    }
    req
}

/// The simulator never leaves the machine.
fn loopback(url: &str) -> bool {
    ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| url.starts_with(p))
}

/// A body ready to POST and its extra headers.
pub(crate) struct Sealed {
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

/// The plaintext body, or with an Encrypt Key the encrypted one and (when
/// `sign`) the signature headers.
pub(crate) fn seal(config: &Config, plain: &Value, sign: bool) -> Result<Sealed, String> {
    let plain = serde_json::to_vec(plain).map_err(|e| e.to_string())?;
    let Some(key) = &config.encrypt_key else {
        return Ok(Sealed {
            body: plain,
            headers: Vec::new(),
        });
    };
    let body = serde_json::to_vec(&json!({ "encrypt": encrypt(key, &plain)? }))
        .map_err(|e| e.to_string())?;
    let mut headers = Vec::new();
    if sign {
        let timestamp = ids::now_secs();
        let nonce = ids::hex(&ids::random_bytes::<8>());
        let signature = signature(&timestamp, &nonce, key, &body);
        headers.push(("X-Lark-Request-Timestamp", timestamp));
        headers.push(("X-Lark-Request-Nonce", nonce));
        headers.push(("X-Lark-Signature", signature));
    }
    Ok(Sealed { body, headers })
}

/// base64(IV ‖ AES-256-CBC(key = SHA-256(encrypt_key), PKCS#7)(plaintext)),
/// with a random IV.
pub(crate) fn encrypt(encrypt_key: &str, plaintext: &[u8]) -> Result<String, String> {
    let key = Sha256::digest(encrypt_key.as_bytes());
    let iv = ids::random_bytes::<16>();
    let mut buf = vec![0u8; plaintext.len() + 16];
    buf[..plaintext.len()].copy_from_slice(plaintext);
    let ciphertext = cbc::Encryptor::<Aes256>::new_from_slices(&key, &iv)
        .map_err(|e| e.to_string())?
        .encrypt_padded_mut::<Pkcs7>(&mut buf, plaintext.len())
        .map_err(|e| e.to_string())?;
    let mut out = iv.to_vec();
    out.extend_from_slice(ciphertext);
    Ok(STANDARD.encode(out))
}

/// `X-Lark-Signature`: lowercase hex SHA-256 of timestamp, nonce, the
/// Encrypt Key and the raw body.
pub(crate) fn signature(timestamp: &str, nonce: &str, encrypt_key: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(timestamp.as_bytes());
    h.update(nonce.as_bytes());
    h.update(encrypt_key.as_bytes());
    h.update(body);
    ids::hex(&h.finalize())
}

/// Sends a url_verification (encrypted under an Encrypt Key, unsigned, as
/// the SDKs skip the signature for it) and checks the echoed challenge.
pub(crate) async fn verify_url(inner: &Arc<Inner>) -> Result<String, String> {
    let url = inner
        .with(|w| w.webhook.clone())
        .ok_or("no webhook is set (set_webhook first)")?;
    let challenge = ids::hex32();
    let plain = json!({
        "challenge": challenge,
        "token": inner.config.verification_token,
        "type": "url_verification",
    });
    let sealed = seal(&inner.config, &plain, false)?;
    if !loopback(&url) {
        return Err(format!("{url}: the simulator delivers to loopback only"));
    }
    let response = request(inner, &url, sealed)
        .timeout(VERIFY_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("the webhook did not answer within 1 s: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("the webhook's answer broke off: {e}"))?;
    let text = String::from_utf8_lossy(&body);
    if status != 200 {
        return Err(format!("the webhook answered HTTP {status}: {text}"));
    }
    let echoed = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("challenge")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    match echoed {
        Some(echoed) if echoed == challenge => Ok(challenge),
        _ => Err(format!(
            "the webhook answered {text} instead of {{\"challenge\":\"{challenge}\"}}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cbc::cipher::BlockDecryptMut;

    /// The receiving side's decryption, as the SDKs do it.
    fn decrypt(encrypt_key: &str, encrypted: &str) -> String {
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

    #[test]
    fn the_documents_sample_decrypts_and_an_encryption_round_trips() {
        let sample = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=";
        assert_eq!(decrypt("test key", sample), "hello world");
        let sealed = encrypt("test key", b"hello world").unwrap();
        assert_eq!(
            STANDARD.decode(&sealed).unwrap().len(),
            32,
            "IV and one block"
        );
        assert_eq!(decrypt("test key", &sealed), "hello world");
        assert_ne!(
            encrypt("test key", b"hello world").unwrap(),
            sealed,
            "a fresh IV"
        );
        let block = "x".repeat(16);
        let sealed = encrypt("k", block.as_bytes()).unwrap();
        assert_eq!(
            STANDARD.decode(&sealed).unwrap().len(),
            48,
            "a whole padding block"
        );
        assert_eq!(decrypt("k", &sealed), block);
    }

    #[test]
    fn the_signature_matches_the_adapters_reference_value() {
        let body = br#"{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}"#;
        assert_eq!(
            signature("1608725989", "nonce-4f2a", "test key", body),
            "b64300ab21f133589de3695ca64af9daf2f352b409f62559ab3cfed047f3207e"
        );
    }

    #[test]
    fn a_plaintext_config_seals_nothing_and_adds_no_headers() {
        let config = Config {
            encrypt_key: None,
            ..Config::default()
        };
        let sealed = seal(&config, &json!({"a": 1}), true).unwrap();
        assert_eq!(sealed.body, br#"{"a":1}"#);
        assert!(sealed.headers.is_empty());
        let sealed = seal(&Config::default(), &json!({"a": 1}), true).unwrap();
        let names: Vec<_> = sealed.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "X-Lark-Request-Timestamp",
                "X-Lark-Request-Nonce",
                "X-Lark-Signature"
            ]
        );
    }
}
