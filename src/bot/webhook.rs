//! Webhook mode (`telegram.mode = "webhook"`): Telegram POSTs each update
//! to `telegram.webhook.url`, which a reverse proxy passes to
//! `telegram.webhook.listen`. As in polling, an update is durable before it
//! is acknowledged (ARCHITECTURE.md rule 4): the answer is 200 only once
//! the update is committed to the inbox; anything else makes Telegram
//! deliver it again. A request without the secret Telegram was given gets
//! 401, a body that is not an update 400, one over 1 MB 413, and none of
//! them stores anything. Every instance on the database takes deliveries;
//! only the leader tells Telegram the URL and handles them.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;
use teloxide::payloads::SetWebhookSetters;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, Update};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::config::WebhookSettings;
use crate::ops::names;
use crate::store::inbox;

use super::deliver::redact;
use super::{BotError, Deps};

/// Telegram's header for the webhook's `secret_token`.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The largest body taken; Telegram's updates are a few kilobytes.
const MAX_BODY: usize = 1 << 20;

/// The updates the bot acts on (`convert::event`); the rest are not sent.
const ALLOWED: [AllowedUpdate; 3] = [
    AllowedUpdate::Message,
    AllowedUpdate::EditedMessage,
    AllowedUpdate::MyChatMember,
];

/// Listens on `telegram.webhook.listen`, before Telegram is told the URL.
async fn bind(hook: &WebhookSettings) -> Result<TcpListener, BotError> {
    TcpListener::bind(hook.listen)
        .await
        .map_err(|source| BotError::WebhookListen {
            addr: hook.listen.to_string(),
            source,
        })
}

/// A delivery is only stored here: the leader's tail (`tail.rs`) hands
/// every stored update to its lanes in `update_id` order, whichever
/// instance took it.
#[derive(Clone)]
struct Receiver {
    deps: Arc<Deps>,
    secret: Arc<secrecy::SecretString>,
}

/// Deliveries taken on `telegram.webhook.listen`, by every instance,
/// leader or not: a load balancer may send them to any.
pub(super) struct Receiving {
    task: JoinHandle<()>,
}

/// Starts taking deliveries (storing them) until `stop`.
pub(super) async fn start(
    deps: &Arc<Deps>,
    hook: &WebhookSettings,
    mut stop: watch::Receiver<bool>,
) -> Result<Receiving, BotError> {
    let listener = bind(hook).await?;
    let app = Router::new()
        .route(hook.url.path(), post(update))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(Receiver {
            deps: deps.clone(),
            secret: Arc::new(hook.secret.clone()),
        });
    tracing::info!(listen = %hook.listen, path = hook.url.path(), "taking webhook deliveries");
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                if stop.wait_for(|s| *s).await.is_err() {
                    tracing::debug!("webhook: shutdown signal dropped");
                }
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the webhook receiver stopped");
        }
    });
    Ok(Receiving { task })
}

impl Receiving {
    /// As the leader: tells Telegram the URL; false when stopped first.
    pub(super) async fn lead(
        &self,
        deps: &Deps,
        hook: &WebhookSettings,
        stop: &mut watch::Receiver<bool>,
    ) -> bool {
        let set = set_webhook(deps, hook, stop).await;
        if set {
            tracing::info!(url = %hook.url, "receiving updates by webhook");
        }
        set
    }

    /// Waits for the receiver to stop (at `stop`).
    pub(super) async fn join(self) {
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the webhook receiver ended abnormally");
        }
    }
}

/// `setWebhook`, retried while Telegram cannot be reached; false when shut
/// down first.
async fn set_webhook(
    deps: &Deps,
    hook: &WebhookSettings,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    let mut wait = Duration::from_millis(500);
    loop {
        let set = deps
            .tg
            .bot
            .set_webhook(hook.url.clone())
            .secret_token(hook.secret.expose_secret().to_string())
            .allowed_updates(ALLOWED)
            .max_connections(hook.max_connections)
            .await;
        match set {
            Ok(_) => {
                deps.health.telegram_answered(true);
                return true;
            }
            Err(e) => {
                deps.health.telegram_answered(false);
                tracing::warn!(error = %redact(&e.to_string(), &deps.token), "setWebhook failed; retrying");
            }
        }
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return false,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

/// One delivery: checked, stored, acknowledged, then handled.
async fn update(
    State(rx): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let given = headers.get(SECRET_HEADER).map_or(&[][..], |v| v.as_bytes());
    let expected = rx.secret.expose_secret().as_bytes();
    if !bool::from(given.ct_eq(expected)) {
        tracing::warn!("webhook: a request without the right secret token refused");
        return (StatusCode::UNAUTHORIZED, "unauthorized\n");
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(error = %e, "webhook: a body that is not an update refused");
            return (StatusCode::BAD_REQUEST, "not an update\n");
        }
    };
    let span = tracing::info_span!("webhook", update_id = update.id.0);
    store(&rx, update).instrument(span).await
}

async fn store(rx: &Receiver, update: Update) -> (StatusCode, &'static str) {
    let id = i64::from(update.id.0);
    let raw = match serde_json::to_string(&update) {
        Ok(raw) => raw,
        Err(e) => {
            tracing::error!(error = %e, "webhook: cannot encode the update");
            return (StatusCode::INTERNAL_SERVER_ERROR, "not stored\n");
        }
    };
    match inbox::store_batch(&rx.deps.store, &[(id, raw)], rx.deps.clock.now()).await {
        Ok(fresh) => {
            rx.deps.health.telegram_answered(true);
            if !fresh.is_empty() {
                metrics::counter!(names::UPDATES_RECEIVED).increment(1);
            }
            (StatusCode::OK, "ok\n")
        }
        // Not acknowledged: Telegram delivers it again.
        Err(e) => {
            tracing::error!(error = %e, "webhook: cannot store the update; Telegram will deliver it again");
            (StatusCode::INTERNAL_SERVER_ERROR, "not stored\n")
        }
    }
}

/// Polling after a webhook: Telegram refuses getUpdates while one is set,
/// so it is deleted first (its pending updates are kept, and polled).
pub(super) async fn leave_webhook(deps: &Deps) {
    match deps.tg.bot.get_webhook_info().await {
        Ok(info) if info.url.is_none() => {}
        Ok(_) => match deps.tg.bot.delete_webhook().await {
            Ok(_) => tracing::info!("webhook deleted: polling from now on"),
            Err(e) => {
                tracing::warn!(error = %redact(&e.to_string(), &deps.token), "deleteWebhook failed; polling will say why")
            }
        },
        Err(e) => {
            tracing::warn!(error = %redact(&e.to_string(), &deps.token), "getWebhookInfo failed")
        }
    }
}
