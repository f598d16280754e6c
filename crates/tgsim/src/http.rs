//! The HTTP face: `POST /bot<TOKEN>/<method>` with a JSON, form or
//! multipart body (or a query string), answered the way api.telegram.org
//! answers, long polling included.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Multipart, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::error::ApiError;
use super::files;
use super::methods::{self, Upload};
use super::validate;
use super::{ChatKind, Fault, Inner, limits};

/// Telegram's own upload limit for bots.
const MAX_BODY: usize = 50 * 1024 * 1024;

/// Telegram closes a long poll after at most about this long.
const MAX_POLL_SECS: u64 = 50;

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(inner)
}

fn respond(result: &Result<Value, ApiError>) -> Response {
    match result {
        Ok(value) => (
            StatusCode::OK,
            axum::Json(json!({ "ok": true, "result": value })),
        )
            .into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST);
            (status, axum::Json(e.body())).into_response()
        }
    }
}

/// An answer whose body breaks off: hyper aborts the connection
/// mid-response, which is what a dropped connection looks like to the
/// client. (A body shorter than its declared length would make hyper panic
/// in debug builds instead.)
fn broken_response() -> Response {
    let parts: Vec<Result<&'static [u8], std::io::Error>> = vec![
        Ok(b"{\"ok\":tr"),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated dropped connection",
        )),
    ];
    let mut response = Response::new(axum::body::Body::from_stream(futures::stream::iter(parts)));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// `/bot<TOKEN>/<method>` -> (token, method).
fn split_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.trim_start_matches('/').strip_prefix("bot")?;
    let (token, method) = rest.split_once('/')?;
    (!method.is_empty() && !method.contains('/')).then_some((token, method))
}

async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.trim_start_matches('/').strip_prefix("file/bot") {
        return inner.with(|w| files::download(w, &inner.token, rest));
    }
    let Some((token, given)) = split_path(&path) else {
        return respond(&Err(ApiError::not_found()));
    };
    let token_ok = token == inner.token;
    let schema_method = validate::schema().method(given);
    let name = schema_method.map_or(given, |m| m.name.as_str()).to_owned();

    let decoded = decode(req).await;
    let raw = decoded
        .as_ref()
        .map(|(raw, _)| raw.clone())
        .unwrap_or_default();
    inner.mutate(|w| w.requests.push((name.clone(), Value::Object(raw))));
    if token_ok && inner.mutate(|w| w.take_disconnect(&name)) {
        return broken_response();
    }
    let result = match (token_ok, schema_method, decoded) {
        (false, _, _) => Err(ApiError::unauthorized()),
        (true, None, _) => Err(ApiError::method_not_found()),
        (true, Some(_), Err(e)) => Err(e),
        (true, Some(method), Ok((raw, uploads))) => answer(&inner, method, &raw, &uploads).await,
    };
    if let Err(e) = &result {
        tracing::debug!(method = %name, code = e.code, description = %e.description, "sim: refused");
        inner.mutate(|w| w.errors.push((name.clone(), e.code, e.description.clone())));
    }
    respond(&result)
}

/// A call that passed the token and names a real method.
async fn answer(
    inner: &Arc<Inner>,
    method: &validate::Method,
    raw: &Map<String, Value>,
    uploads: &[Upload],
) -> Result<Value, ApiError> {
    let name = method.name.as_str();
    match inner.mutate(|w| w.take_fault(name)) {
        Some(Fault::TooManyRequests { retry_after }) => {
            return Err(ApiError::too_many_requests(retry_after));
        }
        Some(Fault::Status { code, description }) => return Err(ApiError::new(code, description)),
        Some(Fault::Slow { delay }) => tokio::time::sleep(delay).await,
        Some(Fault::Disconnect) | None => {}
    }
    let params = validate::normalize(method, raw)?;
    if name == "getUpdates" {
        return get_updates(inner, &params).await;
    }
    inner.mutate(|w| {
        let limited = w.limiter.is_some() && limits::counts(name);
        let (chat, now) = (
            params.get("chat_id").and_then(Value::as_i64),
            Instant::now(),
        );
        if limited {
            let is_group = chat
                .and_then(|c| w.chats.get(&c))
                .is_some_and(|c| c.kind != ChatKind::Private);
            if let Some(limiter) = w.limiter.as_mut() {
                limiter.check(chat, is_group, now)?;
            }
        }
        let result = methods::call(w, name, &params, uploads)
            .unwrap_or_else(|| Err(ApiError::not_supported()));
        if limited
            && result.is_ok()
            && let Some(limiter) = w.limiter.as_mut()
        {
            limiter.record(chat, now);
        }
        result
    })
}

/// Query string first, then the body, which wins on a clash.
async fn decode(req: Request) -> Result<(Map<String, Value>, Vec<Upload>), ApiError> {
    let mut raw = Map::new();
    if let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(req.uri()) {
        for (k, v) in pairs {
            raw.insert(k, Value::String(v));
        }
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut uploads = Vec::new();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, &())
            .await
            .map_err(|_| ApiError::bad_request("can't parse multipart/form-data"))?;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => return Err(body_error(e.status())),
            };
            let name = field.name().unwrap_or("").to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let data = field.bytes().await.map_err(|e| body_error(e.status()))?;
            match file_name {
                Some(file_name) => uploads.push(Upload {
                    field: name,
                    file_name,
                    bytes: data.to_vec(),
                }),
                None => {
                    raw.insert(
                        name,
                        Value::String(String::from_utf8_lossy(&data).into_owned()),
                    );
                }
            }
        }
        // A file sent directly under the field's own name, not via attach://.
        for u in &uploads {
            raw.entry(u.field.clone())
                .or_insert_with(|| Value::String(format!("attach://{}", u.field)));
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, &())
            .await
            .map_err(|_| ApiError::bad_request("can't parse form data"))?;
        for (k, v) in pairs {
            raw.insert(k, Value::String(v));
        }
    } else {
        let body = Bytes::from_request(req, &())
            .await
            .map_err(|e| body_error(e.status()))?;
        if !body.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => raw.extend(map),
                _ => {
                    return Err(ApiError::bad_request(
                        "can't parse JSON encoded request body",
                    ));
                }
            }
        }
    }
    Ok((raw, uploads))
}

fn body_error(status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(413, "Request Entity Too Large")
    } else {
        ApiError::bad_request("can't read the request body")
    }
}

/// Long polling: confirm what `offset` confirms, then hold the request
/// until there is something to deliver, the timeout passes, a newer poll
/// takes over (409, as Telegram) or the simulator shuts down.
async fn get_updates(inner: &Arc<Inner>, p: &Map<String, Value>) -> Result<Value, ApiError> {
    let offset = p.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let limit = p
        .get("limit")
        .and_then(Value::as_i64)
        .unwrap_or(100)
        .clamp(1, 100);
    let limit = usize::try_from(limit).unwrap_or(100);
    let timeout = p.get("timeout").and_then(Value::as_i64).unwrap_or(0);
    let timeout = u64::try_from(timeout).unwrap_or(0).min(MAX_POLL_SECS);
    if inner.with(|w| w.webhook.is_some()) {
        return Err(crate::webhook::conflict());
    }
    let generation = inner.mutate(|w| {
        if let Some(allowed) = p.get("allowed_updates") {
            w.set_allowed_updates(allowed);
        }
        w.confirm(offset);
        w.poll_generation += 1;
        w.poll_generation
    });
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let mut holding: Option<Holding> = None;
    loop {
        let notified = inner.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let ready = inner.with(|w| {
            if w.shutting_down {
                return Some(Ok(Vec::new()));
            }
            if w.poll_generation != generation {
                return Some(Err(ApiError::conflict_other_poll()));
            }
            let batch = w.batch(limit);
            (!batch.is_empty()).then_some(Ok(batch))
        });
        if let Some(result) = ready {
            return result.map(Value::Array);
        }
        if Instant::now() >= deadline {
            return Ok(json!([]));
        }
        if holding.is_none() {
            holding = Some(Holding::new(inner));
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// Counts a poll as held open while it waits; dropped with the request,
/// also when the client goes away mid-poll.
struct Holding(Arc<Inner>);

impl Holding {
    fn new(inner: &Arc<Inner>) -> Self {
        inner.mutate(|w| w.polls_held += 1);
        Holding(inner.clone())
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        self.0.mutate(|w| w.polls_held -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(split_path("/bot1:A/getMe"), Some(("1:A", "getMe")));
        assert_eq!(
            split_path("//bot1:A/SendMessage"),
            Some(("1:A", "SendMessage"))
        );
        assert_eq!(split_path("/bot1:A/"), None);
        assert_eq!(split_path("/file/bot1:A/x/y"), None);
        assert_eq!(split_path("/"), None);
    }
}
