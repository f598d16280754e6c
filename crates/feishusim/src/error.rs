//! A refused call as the open platform answers it: an HTTP 4xx (429 for
//! rate limits) with a JSON body `{"code":N,"msg":"…","error":{"log_id"}}`
//! labelled `application/json`, because the SDKs read the body's code only
//! when the content type says JSON (../shared/feishu-wire-format.md §0).

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Fault;
use crate::ids;

/// The per-app rate limit the simulator enforces (and reports in
/// `x-ogw-ratelimit-limit`).
pub(crate) const APP_LIMIT_PER_SEC: usize = 50;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ApiError {
    pub http: u16,
    pub code: i64,
    pub msg: String,
    /// Extra response headers (the rate-limit ones).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(http: u16, code: i64, msg: impl Into<String>) -> Self {
        ApiError {
            http,
            code,
            msg: msg.into(),
            headers: Vec::new(),
        }
    }

    /// 230001, the messaging APIs' "invalid param", with Feishu's `ext=`
    /// saying which.
    pub fn param(ext: &str) -> Self {
        Self::new(
            400,
            230001,
            format!("Your request contains an invalid request parameter, ext={ext}"),
        )
    }

    pub fn missing_token() -> Self {
        Self::new(
            400,
            99991661,
            "Missing access token for authorization. Please make a request with token attached.",
        )
    }

    pub fn invalid_token() -> Self {
        Self::new(
            400,
            99991663,
            "Invalid access token for authorization. Please make a request with token attached.",
        )
    }

    /// 429 with the `x-ogw-*` headers, as the gateway limits any API.
    pub fn too_many_requests(reset_secs: u32) -> Self {
        let mut e = Self::new(429, 99991400, "request trigger frequency limit");
        e.headers = vec![
            ("x-ogw-ratelimit-limit", APP_LIMIT_PER_SEC.to_string()),
            ("x-ogw-ratelimit-reset", reset_secs.to_string()),
        ];
        e
    }

    /// 230020, the 5-per-second limit of one user or group.
    pub fn frequency() -> Self {
        Self::new(400, 230020, "This operation triggers the frequency limit.")
    }

    pub fn not_found() -> Self {
        Self::new(404, 404, "404 page not found")
    }

    pub fn body(&self) -> Value {
        json!({
            "code": self.code,
            "msg": self.msg,
            "error": { "log_id": log_id() },
        })
    }
}

impl From<Fault> for ApiError {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::TooManyRequests { reset_secs } => ApiError::too_many_requests(reset_secs),
            Fault::Frequency => ApiError::frequency(),
            Fault::Code { http, code, msg } => ApiError::new(http, code, msg),
            Fault::AnswerLost => ApiError::new(502, -1, "Bad Gateway"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, axum::Json(self.body())).into_response();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        with_log_id(response)
    }
}

/// Lowercase, as `HeaderName::from_static` requires.
const LOG_ID_HEADER: &str = "x-tt-logid";

/// A log id in Feishu's shape (a date-ish prefix and hex).
pub(crate) fn log_id() -> String {
    format!("2026{}", &ids::hex32()[..24])
}

/// Adds `X-Tt-Logid`, which every open platform answer carries.
pub(crate) fn with_log_id(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&log_id()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(LOG_ID_HEADER), value);
    }
    response
}

/// A JSON success answer.
pub(crate) fn ok(body: Value) -> Response {
    with_log_id((StatusCode::OK, axum::Json(body)).into_response())
}
