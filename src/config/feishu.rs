//! The platforms served (`platforms`) and Feishu's settings (`feishu.*`).
//! Feishu's three secrets are read from the environment alone, never from
//! a file, so that no configuration file committed or copied carries them.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, invalid};
use crate::domain::ids::Platform;

/// The environment variables Feishu's secrets come from.
pub const APP_SECRET_VAR: &str = "DUBAN__FEISHU__APP_SECRET";
pub const ENCRYPT_KEY_VAR: &str = "DUBAN__FEISHU__ENCRYPT_KEY";
pub const VERIFICATION_TOKEN_VAR: &str = "DUBAN__FEISHU__VERIFICATION_TOKEN";

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RawFeishu {
    api_url: String,
    app_id: String,
    mode: String,
    throttle: bool,
    group_messages: String,
    webhook: RawFeishuWebhook,
}

#[derive(Debug, Clone, Deserialize)]
struct RawFeishuWebhook {
    listen: String,
    path: String,
}

#[derive(Debug, Clone)]
pub struct FeishuSettings {
    /// `https://open.feishu.cn`, Lark's `https://open.larksuite.com`, or a
    /// local simulator; no trailing slash.
    pub api_url: String,
    /// The self-built app's id (`cli_…`).
    pub app_id: String,
    /// Never printed: `SecretString`'s Debug shows `[REDACTED]`.
    pub app_secret: Option<SecretString>,
    /// Set when the app encrypts its event bodies (and signs them).
    pub encrypt_key: Option<SecretString>,
    pub verification_token: Option<SecretString>,
    pub mode: FeishuMode,
    /// Pace sends to Feishu's limits (5 a second per chat, 50 per app).
    pub throttle: bool,
    /// What the app may read in groups (`feishu.group_messages`).
    pub sees: GroupMessages,
}

/// How Feishu's events reach the bot (`feishu.mode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeishuMode {
    /// A WebSocket the bot opens: no public address needed.
    LongConnection,
    /// Feishu POSTs each event to `feishu.webhook.path` on `listen`.
    Webhook {
        listen: std::net::SocketAddr,
        path: String,
    },
}

/// The scope the app was granted for group messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupMessages {
    /// `im:message.group_at_msg`: only messages that mention the bot, so
    /// people are asked to reply with the bot's `@` name.
    Mentions,
    /// `im:message.group_msg`: every message in its groups.
    All,
}

impl FeishuSettings {
    /// The app secret, or the key's error naming where it belongs.
    pub fn app_secret(&self) -> Result<&str, ConfigError> {
        self.app_secret
            .as_ref()
            .map(|s| s.expose_secret())
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| invalid("feishu.app_secret", format!("set {APP_SECRET_VAR}")))
    }
}

/// `platforms`: at least one, each once.
pub(super) fn platforms(raw: &[String]) -> Result<Vec<Platform>, ConfigError> {
    let mut out = Vec::new();
    for name in raw {
        let p: Platform = name.parse().map_err(|e| invalid("platforms", e))?;
        if out.contains(&p) {
            return Err(invalid("platforms", format!("'{p}' is listed twice")));
        }
        out.push(p);
    }
    if out.is_empty() {
        return Err(invalid("platforms", "name at least one: telegram, feishu"));
    }
    Ok(out)
}

pub(super) fn feishu(
    raw: RawFeishu,
    env: &[(String, String)],
    on: bool,
) -> Result<FeishuSettings, ConfigError> {
    let secret = |name: &str| {
        env.iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| SecretString::from(v.trim().to_string()))
    };
    let api_url = raw.api_url.trim().trim_end_matches('/').to_string();
    if !(api_url.starts_with("http://") || api_url.starts_with("https://")) {
        return Err(invalid("feishu.api_url", "must be an http(s) URL"));
    }
    let mode = match raw.mode.trim() {
        "long_connection" => FeishuMode::LongConnection,
        "webhook" => webhook(&raw.webhook)?,
        other => {
            return Err(invalid(
                "feishu.mode",
                format!("'{other}' is neither long_connection nor webhook"),
            ));
        }
    };
    let sees = match raw.group_messages.trim() {
        "mentions" => GroupMessages::Mentions,
        "all" => GroupMessages::All,
        other => {
            return Err(invalid(
                "feishu.group_messages",
                format!("'{other}' is neither mentions nor all"),
            ));
        }
    };
    let settings = FeishuSettings {
        api_url,
        app_id: raw.app_id.trim().to_string(),
        app_secret: secret(APP_SECRET_VAR),
        encrypt_key: secret(ENCRYPT_KEY_VAR),
        verification_token: secret(VERIFICATION_TOKEN_VAR),
        mode,
        throttle: raw.throttle,
        sees,
    };
    if on {
        required(&settings)?;
    }
    Ok(settings)
}

/// What Feishu needs when it is served: the app, and for a webhook the
/// verification token that every event carries.
fn required(s: &FeishuSettings) -> Result<(), ConfigError> {
    if !s.app_id.starts_with("cli_") {
        return Err(invalid(
            "feishu.app_id",
            "set the app's id (cli_…) from the developer console",
        ));
    }
    s.app_secret()?;
    if matches!(s.mode, FeishuMode::Webhook { .. }) && s.verification_token.is_none() {
        return Err(invalid(
            "feishu.verification_token",
            format!("set {VERIFICATION_TOKEN_VAR} (the app's Events page shows it)"),
        ));
    }
    Ok(())
}

fn webhook(raw: &RawFeishuWebhook) -> Result<FeishuMode, ConfigError> {
    let listen = raw.listen.trim();
    let listen = listen.parse().map_err(|e| {
        invalid(
            "feishu.webhook.listen",
            format!("'{listen}' is not IP:PORT: {e}"),
        )
    })?;
    let path = raw.path.trim();
    if !path.starts_with('/') || path.len() < 2 {
        return Err(invalid(
            "feishu.webhook.path",
            "must be a path such as /feishu/events",
        ));
    }
    Ok(FeishuMode::Webhook {
        listen,
        path: path.to_string(),
    })
}
