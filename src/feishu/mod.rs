//! Feishu (飞书), the second chat platform, and the only module that knows
//! it (ARCHITECTURE.md rule 8). Events reach the bot by webhook
//! (`webhook.rs`: decrypted, signature and token checked, stored before the
//! 200); the worker (`handle.rs`) turns each stored event into the
//! conversation's platform-free event (`convert.rs`), handles it through
//! the same `chat` code as Telegram's, and sends its replies
//! (`send.rs`, through the open API of `api.rs`, the text shaped by
//! `markup.rs`). The jobs send through [`FeishuMessenger`], each message
//! with a uuid made from its ledger row's key.

pub mod api;
pub mod convert;
pub mod envelope;
mod frame;
mod handle;
pub mod markup;
pub mod send;
mod webhook;
mod ws;

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use reqwest::Method;
use tokio::sync::{Notify, watch};

use crate::chat::IncomingMessage;
use crate::clock::Clock;
use crate::config::{ConfigError, FeishuMode, Settings};
use crate::domain::outgoing::{Delivery, Outgoing};
use crate::jobs::Messenger;
use crate::outbound::pace::{PaceLimits, Pacer};
use crate::store::Store;
use api::{Api, ApiError, Body};
use convert::Envelope;

/// Feishu's limits as the pacer keeps them: 50 calls a second per app, 5
/// messages a second per chat (groups and people alike), with a 2 % margin.
pub const LIMITS: PaceLimits = PaceLimits {
    per_sec_overall: 50,
    per_sec_chat: 5,
    per_min_group: 0,
    margin_permille: 20,
};

#[derive(Debug, thiserror::Error)]
pub enum FeishuError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The app's credentials or the bot's identity were refused.
    #[error("Feishu refused the app (check feishu.app_id and DUBAN__FEISHU__APP_SECRET): {0}")]
    Rejected(ApiError),
    #[error("configuration key `feishu.webhook.listen`: cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    /// Feishu refused the long connection for good.
    #[error("Feishu's long connection stopped: {0}")]
    Connection(ws::WsError),
}

/// The app, connected: its API and the bot's identity.
pub struct Feishu {
    api: Api,
    store: Store,
    settings: Arc<Settings>,
    clock: Arc<dyn Clock>,
    bot_open_id: String,
    /// The bot's name in Feishu (what `@` shows), for commands written
    /// `/report@督办`.
    app_name: String,
    /// People's names by open_id, as the contact API gave them: asked once
    /// a person per process.
    names: tokio::sync::Mutex<HashMap<String, String>>,
}

impl Feishu {
    /// Fetches a tenant token and the bot's identity; fails at once when
    /// Feishu refuses the app.
    pub async fn connect(
        settings: Arc<Settings>,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Feishu>, FeishuError> {
        let s = &settings.feishu;
        let secret = secrecy::SecretString::from(s.app_secret()?.to_string());
        let pacer = if s.throttle {
            Pacer::new(LIMITS)
        } else {
            Pacer::unlimited()
        };
        let api = Api::new(&s.api_url, &s.app_id, secret, pacer).map_err(FeishuError::Rejected)?;
        let info = api
            .call(
                "bot info",
                Method::GET,
                "/open-apis/bot/v3/info",
                Body::None,
            )
            .await
            .map_err(FeishuError::Rejected)?;
        let bot = &info["bot"];
        let bot_open_id = bot["open_id"].as_str().unwrap_or("").to_string();
        let app_name = bot["app_name"].as_str().unwrap_or("").to_string();
        let sees = match s.sees {
            crate::config::GroupMessages::Mentions => {
                "only group messages that @ the bot (im:message.group_at_msg)"
            }
            crate::config::GroupMessages::All => "every group message (im:message.group_msg)",
        };
        tracing::info!(app = %app_name, sees, "connected to Feishu");
        Ok(Arc::new(Feishu {
            api,
            store,
            settings,
            clock,
            bot_open_id,
            app_name,
            names: tokio::sync::Mutex::default(),
        }))
    }

    /// The sender the jobs use.
    pub fn messenger(self: &Arc<Self>) -> FeishuMessenger {
        FeishuMessenger { fs: self.clone() }
    }

    /// The names of `people` (open_ids), from the contact API, asked once
    /// each; one the app may not read (no `contact:user.base:readonly`
    /// scope) is left out, and the name last recorded serves.
    async fn names(&self, people: &[String]) -> HashMap<String, String> {
        let mut known = self.names.lock().await;
        for open_id in people {
            if known.contains_key(open_id) || !open_id.starts_with("ou_") {
                continue;
            }
            let path = format!("/open-apis/contact/v3/users/{open_id}?user_id_type=open_id");
            let name = match self
                .api
                .call("contact user", Method::GET, &path, Body::None)
                .await
            {
                Ok(v) => v["user"]["name"].as_str().unwrap_or("").to_string(),
                Err(e) => {
                    tracing::debug!(error = %e, "a person's name could not be read");
                    String::new()
                }
            };
            known.insert(open_id.clone(), name);
        }
        people
            .iter()
            .filter_map(|p| known.get(p).map(|n| (p.clone(), n.clone())))
            .filter(|(_, n)| !n.is_empty())
            .collect()
    }

    /// Downloads a sheet sent privately before the event's transaction
    /// opens, so no transaction waits on the network; too large a file or
    /// a failed download leaves the content out, and the conversation says
    /// which.
    async fn fetch_attachment(&self, envelope: &Envelope, m: &mut IncomingMessage) {
        if !crate::chat::is_upload(m) {
            return;
        }
        let msg = &envelope.event["message"];
        let content: serde_json::Value = msg["content"]
            .as_str()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default();
        let (Some(file), Some(message_id), Some(key)) = (
            m.attachment.as_mut(),
            msg["message_id"].as_str(),
            content["file_key"].as_str(),
        ) else {
            return;
        };
        match self.api.download(message_id, key).await {
            Ok(bytes) => {
                file.size = bytes.len() as u64;
                if file.size <= crate::chat::MAX_SHEET_BYTES {
                    file.bytes = Some(bytes);
                }
            }
            Err(e) => {
                tracing::warn!(file = %file.file_name, error = %e, "the sent file could not be fetched")
            }
        }
    }
}

/// Delivers the jobs' messages through Feishu.
pub struct FeishuMessenger {
    fs: Arc<Feishu>,
}

impl Messenger for FeishuMessenger {
    fn send<'a>(&'a self, out: &'a Outgoing, key: &'a str) -> BoxFuture<'a, Delivery> {
        Box::pin(send::deliver(&self.fs, out, key))
    }
}

/// Receives and handles Feishu's events until `shutdown`.
pub async fn serve(fs: Arc<Feishu>, shutdown: watch::Receiver<bool>) -> Result<(), FeishuError> {
    let stored = Arc::new(Notify::new());
    let receiving = match &fs.settings.feishu.mode {
        FeishuMode::Webhook { listen, path } => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|source| FeishuError::Listen {
                    addr: listen.to_string(),
                    source,
                })?;
            tracing::info!(%listen, path, "taking Feishu's events");
            let receiver = Arc::new(webhook::Receiver {
                store: fs.store.clone(),
                settings: fs.settings.feishu.clone(),
                clock: fs.clock.clone(),
                stored: stored.clone(),
            });
            let app = webhook::router(path, receiver);
            let mut stop = shutdown.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        if stop.wait_for(|s| *s).await.is_err() {
                            tracing::debug!("shutdown signal dropped");
                        }
                    })
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "the Feishu webhook stopped");
                }
                Ok(())
            })
        }
        FeishuMode::LongConnection => {
            let s = &fs.settings.feishu;
            let connector = ws::Connector {
                api_url: s.api_url.clone(),
                app_id: s.app_id.clone(),
                app_secret: secrecy::SecretString::from(s.app_secret()?.to_string()),
                store: fs.store.clone(),
                clock: fs.clock.clone(),
                stored: stored.clone(),
            };
            let stop = shutdown.clone();
            tokio::spawn(async move {
                let ran = ws::run(connector, stop).await;
                if let Err(e) = &ran {
                    // Said now: the error itself is returned only at shutdown.
                    tracing::error!(error = %e, "Feishu's long connection stopped; no events arrive");
                }
                ran.map_err(FeishuError::Connection)
            })
        }
    };
    handle::work(fs, stored, shutdown).await;
    match receiving.await {
        Ok(received) => received,
        Err(e) => {
            tracing::error!(error = %e, "the Feishu receiving task ended abnormally");
            Ok(())
        }
    }
}
