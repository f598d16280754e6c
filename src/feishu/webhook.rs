//! Events Feishu POSTs to `feishu.webhook.path` (../shared/feishu-wire-format.md,
//! section 2): `url_verification` answered at once with its challenge (after
//! decryption, when the app encrypts); an event decrypted, its
//! `X-Lark-Signature` checked in constant time, its verification token
//! checked, then stored in the inbox and answered 200 only after the commit
//! (ARCHITECTURE.md rule 4). Anything else gets a 4xx and changes nothing;
//! Feishu retries what did not get a 200, and a second delivery of a
//! stored event is a no-op.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use tokio::sync::Notify;
use tracing::Instrument;

use super::convert::Envelope;
use super::envelope::{decrypt, signed};
use crate::clock::Clock;
use crate::config::FeishuSettings;
use crate::domain::ids::Platform;
use crate::store::{Store, events};

/// What a delivery needs: where to store it, the secrets that check it,
/// and whom to wake.
pub struct Receiver {
    pub store: Store,
    pub settings: FeishuSettings,
    pub clock: Arc<dyn Clock>,
    pub stored: Arc<Notify>,
}

pub fn router(path: &str, receiver: Arc<Receiver>) -> Router {
    Router::new()
        .route(path, post(receive))
        .with_state(receiver)
}

/// Why a delivery is refused; said in the answer and the log, never with a
/// secret in it.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("not a JSON object")]
    NotJson,
    #[error("encrypted, but no DUBAN__FEISHU__ENCRYPT_KEY is set")]
    NoKey,
    #[error("not encrypted, but an encrypt key is set")]
    Plain,
    #[error(transparent)]
    Decrypt(#[from] super::envelope::EnvelopeError),
    #[error("X-Lark-Signature missing or wrong")]
    Signature,
    #[error("verification token missing or wrong")]
    Token,
    #[error(transparent)]
    Shape(#[from] super::convert::EnvelopeShape),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::Signature | Refusal::Token => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

async fn receive(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> Response {
    let span = tracing::info_span!("feishu_event", event_id = tracing::field::Empty);
    let opened = span.in_scope(|| open(&r.settings, &headers, &body));
    match opened {
        Ok(Opened::Challenge(challenge)) => {
            span.in_scope(|| tracing::info!("Feishu verified the event URL"));
            (
                StatusCode::OK,
                axum::Json(json!({ "challenge": challenge })),
            )
                .into_response()
        }
        Ok(Opened::Event(plain, envelope)) => {
            store(&r, &plain, &envelope, &span)
                .instrument(span.clone())
                .await
        }
        Err(refusal) => {
            span.in_scope(|| tracing::warn!(why = %refusal, "Feishu event refused"));
            let body = json!({ "msg": refusal.to_string() });
            (refusal.status(), axum::Json(body)).into_response()
        }
    }
}

async fn store(r: &Receiver, plain: &str, envelope: &Envelope, span: &tracing::Span) -> Response {
    span.record("event_id", envelope.event_id.as_str());
    let key = envelope.key();
    match events::store(&r.store, Platform::Feishu, &key, plain, r.clock.now()).await {
        Ok(fresh) => {
            if fresh.is_some() {
                metrics::counter!(crate::ops::names::FEISHU_EVENTS).increment(1);
                r.stored.notify_one();
            } else {
                tracing::debug!(key, "delivered again; stored already");
            }
            (StatusCode::OK, axum::Json(json!({ "msg": "success" }))).into_response()
        }
        Err(e) => {
            // Not stored: Feishu delivers it again later.
            tracing::error!(error = %e, "Feishu event not stored");
            let body = json!({ "msg": "not stored; deliver again" });
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
        }
    }
}

enum Opened {
    Challenge(String),
    /// The plaintext, as stored, and its envelope.
    Event(String, Envelope),
}

/// The delivery's plaintext, checked.
fn open(s: &FeishuSettings, headers: &HeaderMap, body: &[u8]) -> Result<Opened, Refusal> {
    let outer: Value = serde_json::from_slice(body).map_err(|_| Refusal::NotJson)?;
    let key = s.encrypt_key.as_ref().map(|k| k.expose_secret());
    let plain = match (outer.get("encrypt").and_then(Value::as_str), key) {
        (Some(encrypted), Some(key)) => decrypt(key, encrypted)?,
        (Some(_), None) => return Err(Refusal::NoKey),
        (None, Some(_)) => return Err(Refusal::Plain),
        (None, None) => String::from_utf8_lossy(body).into_owned(),
    };
    let inner: Value = serde_json::from_str(&plain).map_err(|_| Refusal::NotJson)?;
    if inner["type"].as_str() == Some("url_verification") {
        // The SDKs check the token, not the signature, of a challenge.
        check_token(s, inner["token"].as_str())?;
        let challenge = inner["challenge"].as_str().unwrap_or("").to_string();
        return Ok(Opened::Challenge(challenge));
    }
    if let Some(key) = key {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
        };
        let (ts, nonce) = (
            header("X-Lark-Request-Timestamp"),
            header("X-Lark-Request-Nonce"),
        );
        if !signed(header("X-Lark-Signature"), ts, nonce, key, body) {
            return Err(Refusal::Signature);
        }
    }
    check_token(s, inner["header"]["token"].as_str())?;
    let envelope = Envelope::from_value(inner)?;
    Ok(Opened::Event(plain, envelope))
}

fn check_token(s: &FeishuSettings, given: Option<&str>) -> Result<(), Refusal> {
    let expected = s.verification_token.as_ref().map(|t| t.expose_secret());
    match (given, expected) {
        (Some(g), Some(e)) if bool::from(g.as_bytes().ct_eq(e.as_bytes())) => Ok(()),
        _ => Err(Refusal::Token),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn settings(key: Option<&str>) -> FeishuSettings {
        let env = vec![
            (
                "DUBAN__FEISHU__VERIFICATION_TOKEN".to_string(),
                "tok".to_string(),
            ),
            (
                "DUBAN__FEISHU__ENCRYPT_KEY".to_string(),
                key.unwrap_or("").to_string(),
            ),
        ];
        let empty = tempfile::NamedTempFile::new().unwrap();
        crate::config::Settings::load_from(Some(empty.path()), &env)
            .unwrap()
            .feishu
    }

    #[test]
    fn a_plain_event_with_the_right_token_opens_and_a_wrong_one_is_refused() {
        let s = settings(None);
        let ok = br#"{"schema":"2.0","header":{"event_id":"e","event_type":"t","token":"tok"},"event":{}}"#;
        assert!(matches!(
            open(&s, &HeaderMap::new(), ok),
            Ok(Opened::Event(..))
        ));
        let bad = br#"{"schema":"2.0","header":{"event_id":"e","event_type":"t","token":"x"},"event":{}}"#;
        assert!(matches!(
            open(&s, &HeaderMap::new(), bad),
            Err(Refusal::Token)
        ));
        let challenge = br#"{"challenge":"c1","token":"tok","type":"url_verification"}"#;
        assert!(matches!(
            open(&s, &HeaderMap::new(), challenge),
            Ok(Opened::Challenge(c)) if c == "c1"
        ));
        // With an encrypt key set, a plain body is refused.
        let keyed = settings(Some("k"));
        assert!(matches!(
            open(&keyed, &HeaderMap::new(), ok),
            Err(Refusal::Plain)
        ));
    }

    proptest! {
        #[test]
        fn any_body_and_signature_is_opened_or_refused_without_a_panic(
            body in proptest::collection::vec(any::<u8>(), 0..512),
            sig in "[0-9a-f]{0,64}",
            keyed in any::<bool>(),
        ) {
            let s = settings(keyed.then_some("k"));
            let mut headers = HeaderMap::new();
            headers.insert("X-Lark-Signature", sig.parse().unwrap());
            let _ = open(&s, &headers, &body);
        }

        #[test]
        fn any_json_text_parses_as_an_envelope_or_is_refused(text in "\\PC{0,300}") {
            let _ = Envelope::parse(&text);
        }
    }
}
