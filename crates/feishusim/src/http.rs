//! The HTTP face, on Feishu's own paths under `/open-apis`: the tenant
//! token, the bot's identity, sending and replying, uploads and resource
//! downloads. Every call but the token's needs `Authorization: Bearer t-…`
//! (../shared/feishu-wire-format.md §1), and every refusal is a JSON body
//! with a code (see `error.rs`).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::error::{self, ApiError};
use crate::{Inner, files, send, ws};

/// Above the largest upload (30 MB), so that a too-large file reaches the
/// handler and gets Feishu's 234006 rather than a bare 413.
pub(crate) const MAX_BODY: usize = 64 * 1024 * 1024;

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route(
            "/open-apis/auth/v3/tenant_access_token/internal",
            post(tenant_access_token),
        )
        .route("/open-apis/bot/v3/info", get(bot_info))
        .route("/open-apis/contact/v3/users/{user_id}", get(contact_user))
        .route("/open-apis/im/v1/messages", post(create_message))
        .route(
            "/open-apis/im/v1/messages/{message_id}/reply",
            post(reply_message),
        )
        .route("/open-apis/im/v1/images", post(files::upload_image))
        .route("/open-apis/im/v1/files", post(files::upload_file))
        .route(
            "/open-apis/im/v1/messages/{message_id}/resources/{file_key}",
            get(files::download),
        )
        // The long connection (`ws.rs`).
        .route("/callback/ws/endpoint", post(ws::endpoint))
        .route("/ws/v2", get(ws::upgrade))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(inner)
}

/// The bearer token check every API but the token's makes.
pub(crate) fn authorize(inner: &Inner, req: &Request) -> Result<(), ApiError> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    inner.with(|w| w.check_token(authorization, Instant::now()))
}

/// A query parameter of the request's URI.
pub(crate) fn query_param(uri: &Uri, name: &str) -> Option<String> {
    let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub(crate) async fn read_body(req: Request) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|_| ApiError::new(400, 9499, "Bad Request: the body could not be read"))
}

/// `{"code":0,"msg":"success","data":…}`, or the refusal (recorded).
pub(crate) fn answer(inner: &Inner, path: &str, result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(data) => error::ok(json!({ "code": 0, "msg": "success", "data": data })),
        Err(e) => refuse(inner, path, e),
    }
}

pub(crate) fn refuse(inner: &Inner, path: &str, e: ApiError) -> Response {
    tracing::debug!(path, http = e.http, code = e.code, msg = %e.msg, "feishusim: refused");
    inner.mutate(|w| w.errors.push((path.to_owned(), e.http, e.code)));
    e.into_response()
}

/// `POST /open-apis/auth/v3/tenant_access_token/internal`: the token and
/// `expire` at the top level, no `data`.
async fn tenant_access_token(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let path = "/open-apis/auth/v3/tenant_access_token/internal";
    let given: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let field = |k: &str| given.get(k).and_then(Value::as_str);
    inner.mutate(|w| w.token_requests += 1);
    if field("app_id").is_none() || field("app_secret").is_none() {
        return refuse(&inner, path, ApiError::new(400, 10003, "invalid param"));
    }
    if field("app_id") != Some(inner.config.app_id.as_str())
        || field("app_secret") != Some(inner.config.app_secret.as_str())
    {
        return refuse(
            &inner,
            path,
            ApiError::new(400, 10014, "app secret invalid"),
        );
    }
    let (token, expire) = inner.mutate(|w| w.issue_token(Instant::now()));
    error::ok(json!({
        "code": 0,
        "msg": "ok",
        "tenant_access_token": token,
        "expire": expire,
    }))
}

/// `GET /open-apis/bot/v3/info`: `bot` at the top level.
async fn bot_info(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    if let Err(e) = authorize(&inner, &req) {
        return refuse(&inner, req.uri().path(), e);
    }
    let open_id = inner.with(|w| w.bot_open_id.clone());
    error::ok(json!({
        "code": 0,
        "msg": "ok",
        "bot": {
            "activate_status": 2,
            "app_name": inner.config.bot_name,
            "avatar_url": "",
            "ip_white_list": [],
            "open_id": open_id,
        },
    }))
}

/// `GET /open-apis/contact/v3/users/:user_id?user_id_type=open_id`: a
/// person's name (scope `contact:user.base:readonly`, which the simulated
/// app has unless `Config::contact_scope` is off: then 99991672).
async fn contact_user(
    State(inner): State<Arc<Inner>>,
    Path(user_id): Path<String>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_owned();
    let result = (|| {
        authorize(&inner, &req)?;
        if !inner.config.contact_scope {
            return Err(ApiError::new(
                400,
                99_991_672,
                "Access denied. One of the following scopes is required: [contact:user.base:readonly]",
            ));
        }
        let id_type = query_param(req.uri(), "user_id_type").unwrap_or_else(|| "open_id".into());
        let name = inner.with(|w| w.users.get(&user_id).map(|u| u.name.clone()));
        match (id_type.as_str(), name) {
            ("open_id", Some(name)) => Ok(json!({"user": {"open_id": user_id, "name": name}})),
            _ => Err(ApiError::new(400, 41_050, "no user authority error")),
        }
    })();
    answer(&inner, &path, result)
}

async fn create_message(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let result = async {
        authorize(&inner, &req)?;
        let receive_id_type = query_param(req.uri(), "receive_id_type");
        let body = read_body(req).await?;
        let now = Instant::now();
        inner.mutate(|w| send::create(w, receive_id_type.as_deref(), &body, now))
    }
    .await;
    answer(&inner, &path, result)
}

async fn reply_message(
    State(inner): State<Arc<Inner>>,
    Path(message_id): Path<String>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_owned();
    let result = async {
        authorize(&inner, &req)?;
        let body = read_body(req).await?;
        let now = Instant::now();
        inner.mutate(|w| send::reply(w, &message_id, &body, now))
    }
    .await;
    answer(&inner, &path, result)
}

async fn not_found(State(inner): State<Arc<Inner>>, uri: Uri) -> Response {
    refuse(&inner, uri.path(), ApiError::not_found())
}
