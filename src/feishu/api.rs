//! Feishu's open API as the bot calls it (../shared/feishu-wire-format.md,
//! sections 0, 1, 6 and 7): the tenant token fetched, cached and renewed
//! before it expires, and renewed once more when a call finds it rejected
//! (99991663); every answer's body code read, whatever the HTTP status; the
//! rate limits kept by the pacer and, when Feishu still says "too fast"
//! (429, 99991400, 230020), waited out as its reset header says. The app
//! secret and the tenant token never reach an error text or a log line.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::outbound::pace::Pacer;

/// A tenant token is renewed this long before it expires (the SDKs use 3
/// to 10 minutes), or at half its life when that is shorter.
const RENEW_MARGIN: Duration = Duration::from_secs(10 * 60);

/// Tries of one call: a rate limit or a dropped connection is tried again.
const MAX_ATTEMPTS: u32 = 4;

/// Feishu's codes that the adapter acts on.
pub mod code {
    /// The tenant token expired or was revoked.
    pub const TOKEN_INVALID: i64 = 99_991_663;
    /// The app's call rate (per API, app and tenant).
    pub const APP_RATE: i64 = 99_991_400;
    /// Five messages a second per person or per group.
    pub const TARGET_RATE: i64 = 230_020;
    /// The bot is not in the group.
    pub const NOT_IN_GROUP: i64 = 230_002;
    /// The person is outside the app's availability scope.
    pub const OUT_OF_SCOPE: i64 = 230_013;
    /// The group was disbanded.
    pub const DISBANDED: i64 = 232_009;
    /// The message replied to was recalled.
    pub const REPLY_RECALLED: i64 = 230_011;
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Feishu answered with a code other than 0.
    #[error("Feishu {op}: code {code} (HTTP {status}): {msg}")]
    Refused {
        op: &'static str,
        code: i64,
        status: u16,
        msg: String,
    },
    /// No answer: the connection failed or timed out.
    #[error("Feishu {op}: {source}")]
    Http {
        op: &'static str,
        source: reqwest::Error,
    },
    /// An answer that is not the JSON Feishu writes.
    #[error("Feishu {op}: unreadable answer (HTTP {status}): {why}")]
    Answer {
        op: &'static str,
        status: u16,
        why: String,
    },
}

impl ApiError {
    /// Feishu's code, when it answered with one.
    pub fn code(&self) -> Option<i64> {
        match self {
            ApiError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// One call's request, built again for each try (a multipart form cannot
/// be sent twice).
pub enum Body {
    None,
    Json(Value),
    Form(Box<dyn Fn() -> reqwest::multipart::Form + Send + Sync>),
}

struct Token {
    value: SecretString,
    renew_at: Instant,
}

/// The open API of one app, shared by everything that calls it.
pub struct Api {
    http: reqwest::Client,
    base: String,
    app_id: String,
    secret: SecretString,
    token: tokio::sync::Mutex<Option<Token>>,
    pub(super) pacer: Pacer,
}

impl Api {
    pub fn new(
        base: &str,
        app_id: &str,
        secret: SecretString,
        pacer: Pacer,
    ) -> Result<Api, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|source| ApiError::Http {
                op: "client",
                source,
            })?;
        Ok(Api {
            http,
            base: base.trim_end_matches('/').to_string(),
            app_id: app_id.to_string(),
            secret,
            token: tokio::sync::Mutex::new(None),
            pacer,
        })
    }

    /// The tenant token, fetched when there is none or it is due for renewal.
    async fn token(&self, stale: Option<&str>) -> Result<SecretString, ApiError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref()
            && Instant::now() < t.renew_at
            && stale != Some(t.value.expose_secret())
        {
            return Ok(t.value.clone());
        }
        let op = "tenant_access_token";
        let url = format!(
            "{}/open-apis/auth/v3/tenant_access_token/internal",
            self.base
        );
        let body = json!({"app_id": self.app_id, "app_secret": self.secret.expose_secret()});
        let answer = self.http.post(url).json(&body).send().await;
        let value = read(op, answer).await?;
        let token = value["tenant_access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| answer_error(op, 200, "no tenant_access_token"))?;
        let expire = Duration::from_secs(value["expire"].as_u64().unwrap_or(7200));
        let margin = RENEW_MARGIN.min(expire / 2);
        crate::telemetry::redact_also(token);
        let token = SecretString::from(token.to_string());
        *cached = Some(Token {
            value: token.clone(),
            renew_at: Instant::now() + expire - margin,
        });
        tracing::debug!(expires_in = expire.as_secs(), "Feishu tenant token fetched");
        Ok(token)
    }

    /// A call with the tenant token; its answer's `data` (or the whole body
    /// where Feishu puts fields at the top level). A rejected token is
    /// renewed and the call made once more; a rate limit is waited out.
    pub async fn call(
        &self,
        op: &'static str,
        method: Method,
        path: &str,
        body: Body,
    ) -> Result<Value, ApiError> {
        let mut renewed = false;
        let mut attempt = 0;
        let mut stale: Option<String> = None;
        loop {
            attempt += 1;
            let token = self.token(stale.as_deref()).await?;
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(token.expose_secret());
            req = match &body {
                Body::None => req,
                Body::Json(v) => req.json(v),
                Body::Form(form) => req.multipart(form()),
            };
            let sent = req.send().await;
            let wait = sent.as_ref().ok().and_then(reset_after);
            match read(op, sent).await {
                Err(e) if e.code() == Some(code::TOKEN_INVALID) && !renewed => {
                    tracing::info!(op, "Feishu rejected the tenant token; renewing it once");
                    renewed = true;
                    stale = Some(token.expose_secret().to_string());
                }
                Err(e) if is_rate_limit(&e) && attempt < MAX_ATTEMPTS => {
                    let wait = wait.unwrap_or(Duration::from_secs(1));
                    tracing::warn!(op, seconds = wait.as_secs_f32(), "Feishu asks to wait");
                    metrics::counter!(crate::ops::names::FEISHU_RATE_LIMITED).increment(1);
                    self.pacer.hold_until(Instant::now() + wait);
                    tokio::time::sleep(wait).await;
                }
                Err(ApiError::Http { .. }) if attempt < MAX_ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
                done => return done,
            }
        }
    }

    /// The bytes of a file sent in a message.
    pub async fn download(&self, message_id: &str, file_key: &str) -> Result<Vec<u8>, ApiError> {
        let op = "download";
        let token = self.token(None).await?;
        let url = format!(
            "{}/open-apis/im/v1/messages/{message_id}/resources/{file_key}?type=file",
            self.base
        );
        let answer = self
            .http
            .get(url)
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|source| ApiError::Http { op, source })?;
        let status = answer.status();
        let json = is_json(&answer);
        let bytes = answer
            .bytes()
            .await
            .map_err(|source| ApiError::Http { op, source })?;
        if status.is_success() && !json {
            return Ok(bytes.to_vec());
        }
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| answer_error(op, status.as_u16(), &e.to_string()))?;
        Err(refused(op, status, &value))
    }
}

fn is_json(r: &reqwest::Response) -> bool {
    r.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// How long Feishu asks to wait (`x-ogw-ratelimit-reset`, in seconds).
fn reset_after(r: &reqwest::Response) -> Option<Duration> {
    if r.status() != StatusCode::TOO_MANY_REQUESTS && r.status() != StatusCode::BAD_REQUEST {
        return None;
    }
    r.headers()
        .get("x-ogw-ratelimit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)))
}

fn is_rate_limit(e: &ApiError) -> bool {
    matches!(e.code(), Some(code::APP_RATE | code::TARGET_RATE))
}

/// The answer's body, or the refusal it carries. Feishu sends errors as
/// HTTP 4xx with a JSON body, older APIs as 200 with a code: the code
/// decides.
async fn read(
    op: &'static str,
    answer: Result<reqwest::Response, reqwest::Error>,
) -> Result<Value, ApiError> {
    let answer = answer.map_err(|source| ApiError::Http { op, source })?;
    let status = answer.status();
    let text = answer
        .text()
        .await
        .map_err(|source| ApiError::Http { op, source })?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| answer_error(op, status.as_u16(), &e.to_string()))?;
    match value["code"].as_i64() {
        Some(0) => Ok(match value.get("data") {
            Some(data) if !data.is_null() => data.clone(),
            _ => value,
        }),
        _ => Err(refused(op, status, &value)),
    }
}

fn refused(op: &'static str, status: StatusCode, value: &Value) -> ApiError {
    ApiError::Refused {
        op,
        code: value["code"].as_i64().unwrap_or(-1),
        status: status.as_u16(),
        msg: value["msg"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(300)
            .collect(),
    }
}

fn answer_error(op: &'static str, status: u16, why: &str) -> ApiError {
    ApiError::Answer {
        op,
        status,
        why: why.chars().take(200).collect(),
    }
}
