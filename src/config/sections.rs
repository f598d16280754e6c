//! The sections of the configuration that are one service each (the
//! database, Telegram, the inbox and outbox, the operations endpoints):
//! their raw form as the files write it, and their checked form.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, invalid};

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawOps {
    listen: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawKeep {
    keep_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawInbox {
    keep_days: i64,
    max_attempts: u32,
    retry_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawDatabase {
    url: String,
    max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawTelegram {
    api_url: String,
    throttle: bool,
    token: Option<SecretString>,
    mode: String,
    poll_takeover_secs: u64,
    webhook: RawWebhook,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawWebhook {
    listen: String,
    url: String,
    max_connections: u8,
    secret: Option<SecretString>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpsSettings {
    pub listen: Option<String>,
}

/// How long handled rows are kept before the daily prune deletes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Handled updates (`inbox.keep_days`): their effects live on in the
    /// domain tables; the raw messages are not kept for no purpose.
    pub inbox_days: i64,
    /// The ledger's claims (`outbox.keep_days`): a claim must outlive every
    /// rerun of its period, or a rerun would post the message again.
    pub outbox_days: i64,
}

pub(super) fn database(raw: &RawDatabase) -> Result<DatabaseSettings, ConfigError> {
    let url = raw.url.trim().to_string();
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        return Err(invalid(
            "database.url",
            "must start with sqlite: or postgres://",
        ));
    }
    if raw.max_connections == 0 {
        return Err(invalid("database.max_connections", "must be at least 1"));
    }
    Ok(DatabaseSettings {
        url,
        max_connections: raw.max_connections,
    })
}

pub(super) fn ops(raw: &RawOps) -> Result<OpsSettings, ConfigError> {
    let listen = raw.listen.trim();
    if listen.is_empty() {
        return Ok(OpsSettings { listen: None });
    }
    listen
        .parse::<std::net::SocketAddr>()
        .map_err(|e| invalid("ops.listen", format!("'{listen}' is not IP:PORT: {e}")))?;
    Ok(OpsSettings {
        listen: Some(listen.to_string()),
    })
}

pub(super) fn retention(inbox: &RawInbox, outbox: &RawKeep) -> Result<Retention, ConfigError> {
    if !(1..=3650).contains(&inbox.keep_days) {
        return Err(invalid("inbox.keep_days", "must be between 1 and 3650"));
    }
    if !(MIN_OUTBOX_DAYS..=36500).contains(&outbox.keep_days) {
        return Err(invalid(
            "outbox.keep_days",
            format!(
                "must be between {MIN_OUTBOX_DAYS} and 36500: a shorter ledger could post a quarterly review twice"
            ),
        ));
    }
    Ok(Retention {
        inbox_days: inbox.keep_days,
        outbox_days: outbox.keep_days,
    })
}

/// The shortest ledger retention allowed: a quarterly review's claim must
/// outlive its quarter and the next, when a late rerun could still come.
const MIN_OUTBOX_DAYS: i64 = 200;

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct TelegramSettings {
    pub api_url: String,
    /// Pace sends to Telegram's rate limits; off only against a local Bot
    /// API server, which has none.
    pub throttle: bool,
    /// Never printed: `SecretString`'s Debug shows `[REDACTED]`.
    pub token: Option<SecretString>,
    pub updates: Updates,
    /// With several instances on one PostgreSQL database, how soon a
    /// waiting one takes the lead after the leader dies
    /// (`telegram.poll_takeover_secs`): it tries a third as often.
    pub takeover: std::time::Duration,
}

/// How updates reach the bot (`telegram.mode`).
#[derive(Debug, Clone)]
pub enum Updates {
    /// `getUpdates`, long polling.
    Polling,
    /// Telegram POSTs each update to `telegram.webhook.url`.
    Webhook(WebhookSettings),
}

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Where the bot listens for Telegram's POSTs (behind the proxy that
    /// holds the public HTTPS address).
    pub listen: std::net::SocketAddr,
    /// The public URL given to `setWebhook`; its path is the one served.
    pub url: url::Url,
    /// Telegram's simultaneous deliveries, 1 to 100.
    pub max_connections: u8,
    /// `secret_token`, from the environment only; never printed.
    pub secret: SecretString,
}

/// How the inbox treats an update that fails to be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxSettings {
    /// Tries before an update is set aside as failed (`inbox.max_attempts`).
    pub max_attempts: u32,
    /// How long a failed update waits before the running bot tries it
    /// again (`inbox.retry_secs`).
    pub retry_after: std::time::Duration,
}

pub(super) fn inbox(raw: &RawInbox) -> Result<InboxSettings, ConfigError> {
    if !(1..=100).contains(&raw.max_attempts) {
        return Err(invalid("inbox.max_attempts", "must be between 1 and 100"));
    }
    if !(1..=86_400).contains(&raw.retry_secs) {
        return Err(invalid("inbox.retry_secs", "must be between 1 and 86400"));
    }
    Ok(InboxSettings {
        max_attempts: raw.max_attempts,
        retry_after: std::time::Duration::from_secs(raw.retry_secs),
    })
}

pub(super) fn telegram(
    raw: RawTelegram,
    token_variable: Option<SecretString>,
) -> Result<TelegramSettings, ConfigError> {
    let api_url = raw.api_url.trim().to_string();
    if !(api_url.starts_with("http://") || api_url.starts_with("https://")) {
        return Err(invalid("telegram.api_url", "must be an http(s) URL"));
    }
    let token = raw
        .token
        .filter(|t| !t.expose_secret().trim().is_empty())
        .or(token_variable);
    let updates = match raw.mode.trim() {
        "polling" => Updates::Polling,
        "webhook" => Updates::Webhook(webhook(raw.webhook)?),
        other => {
            return Err(invalid(
                "telegram.mode",
                format!("'{other}' is neither polling nor webhook"),
            ));
        }
    };
    if !(3..=600).contains(&raw.poll_takeover_secs) {
        return Err(invalid(
            "telegram.poll_takeover_secs",
            "must be between 3 and 600",
        ));
    }
    Ok(TelegramSettings {
        api_url,
        throttle: raw.throttle,
        token,
        updates,
        takeover: std::time::Duration::from_secs(raw.poll_takeover_secs),
    })
}

fn webhook(raw: RawWebhook) -> Result<WebhookSettings, ConfigError> {
    let listen = raw.listen.trim();
    let listen = listen.parse().map_err(|e| {
        invalid(
            "telegram.webhook.listen",
            format!("'{listen}' is not IP:PORT: {e}"),
        )
    })?;
    let url = url::Url::parse(raw.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some())
        .ok_or_else(|| {
            invalid(
                "telegram.webhook.url",
                "must be the public https:// URL Telegram posts to",
            )
        })?;
    if !(1..=100).contains(&raw.max_connections) {
        return Err(invalid(
            "telegram.webhook.max_connections",
            "must be between 1 and 100",
        ));
    }
    // Telegram's own rule for secret_token: 1 to 256 of A-Z a-z 0-9 _ -.
    let secret = raw
        .secret
        .filter(|s| {
            let s = s.expose_secret();
            (1..=256).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        .ok_or_else(|| {
            invalid(
                "telegram.webhook.secret",
                "set DUBAN__TELEGRAM__WEBHOOK__SECRET to 1-256 of A-Z a-z 0-9 _ -",
            )
        })?;
    Ok(WebhookSettings {
        listen,
        url,
        max_connections: raw.max_connections,
        secret,
    })
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawBulletin {
    list_limit: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawLights {
    red_overdue_days: i64,
    red_missing_weeks: i64,
    yellow_plan_gap: i64,
}

pub(super) fn lights(
    raw: &RawLights,
) -> Result<crate::domain::indicators::LightRules, ConfigError> {
    if !(1..=3650).contains(&raw.red_overdue_days) {
        return Err(invalid(
            "lights.red_overdue_days",
            "must be between 1 and 3650",
        ));
    }
    if !(1..=52).contains(&raw.red_missing_weeks) {
        return Err(invalid(
            "lights.red_missing_weeks",
            "must be between 1 and 52",
        ));
    }
    if !(1..=100).contains(&raw.yellow_plan_gap) {
        return Err(invalid(
            "lights.yellow_plan_gap",
            "must be between 1 and 100",
        ));
    }
    Ok(crate::domain::indicators::LightRules {
        red_overdue_days: raw.red_overdue_days,
        red_missing_weeks: raw.red_missing_weeks,
        yellow_plan_gap: raw.yellow_plan_gap,
    })
}

pub(super) fn list_limit(raw: &RawBulletin) -> Result<usize, ConfigError> {
    if !(1..=500).contains(&raw.list_limit) {
        return Err(invalid("bulletin.list_limit", "must be between 1 and 500"));
    }
    Ok(raw.list_limit)
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawWeb {
    listen: String,
    url: String,
    link_days: i64,
    secret: Option<SecretString>,
}

/// The dashboard (`web.*`): where it listens, the address its links begin
/// with, how long a link lasts, and the secret that signs them.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// `None` when `web.listen` is empty: `duban run` serves no dashboard.
    pub listen: Option<std::net::SocketAddr>,
    /// The address people open, without a trailing slash (`web.url`, or
    /// `http://` and the listening address).
    pub url: String,
    pub link_days: i64,
    /// `DUBAN__WEB__SECRET`; when unset one is generated once and kept in
    /// the database (`src/store/secrets.rs`).
    pub secret: Option<SecretString>,
}

pub(super) fn web(raw: RawWeb) -> Result<WebSettings, ConfigError> {
    let listen = raw.listen.trim();
    let listen = if listen.is_empty() {
        None
    } else {
        Some(
            listen
                .parse::<std::net::SocketAddr>()
                .map_err(|e| invalid("web.listen", format!("'{listen}' is not IP:PORT: {e}")))?,
        )
    };
    let url = raw.url.trim().trim_end_matches('/').to_string();
    let url = match (url.is_empty(), listen) {
        (false, _) if url.starts_with("http://") || url.starts_with("https://") => url,
        (false, _) => return Err(invalid("web.url", "must start with http:// or https://")),
        (true, Some(addr)) => format!("http://{addr}"),
        (true, None) => "http://127.0.0.1:8080".to_string(),
    };
    if !(1..=366).contains(&raw.link_days) {
        return Err(invalid("web.link_days", "must be between 1 and 366"));
    }
    if let Some(s) = &raw.secret
        && s.expose_secret().trim().len() < 16
    {
        return Err(invalid(
            "web.secret",
            "must be at least 16 characters (DUBAN__WEB__SECRET)",
        ));
    }
    Ok(WebSettings {
        listen,
        url,
        link_days: raw.link_days,
        secret: raw.secret,
    })
}
