//! Webhooks as Telegram runs them: `setWebhook`, `deleteWebhook` and
//! `getWebhookInfo`, a `getUpdates` refused with 409 while a webhook is
//! set, and every queued update POSTed to the URL, with the secret header,
//! one after another in order, again and again until it gets a 2xx.
//!
//! One departure, because tests have no certificates: besides Telegram's
//! HTTPS URLs on ports 443, 80, 88 and 8443, a plain `http://127.0.0.1`
//! URL on any port is accepted (loopback only). Deliveries are sequential,
//! which is Telegram's behaviour with `max_connections = 1` and a subset of
//! what it may do with more.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::Inner;
use crate::error::ApiError;
use crate::world::World;

type Params = Map<String, Value>;

/// The first wait after a failed delivery; each next one doubles, up to
/// [`MAX_BACKOFF`]. Telegram waits longer; tests should not.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The webhook a bot set.
#[derive(Clone, Debug)]
pub(crate) struct Webhook {
    pub url: String,
    pub secret: Option<String>,
    pub max_connections: i64,
    /// When and why the last delivery failed (unix seconds, Telegram's text).
    pub last_error: Option<(i64, String)>,
}

/// Where deliveries go instead of the URL's own host, in turn, as a load
/// balancer in front of several instances would send them; empty: the URL.
#[derive(Clone, Debug, Default)]
pub(crate) struct Balance {
    pub bases: Vec<String>,
    pub next: usize,
}

pub(crate) fn set_webhook(world: &mut World, p: &Params) -> Result<Value, ApiError> {
    let url = p.get("url").and_then(Value::as_str).unwrap_or("").trim();
    if url.is_empty() {
        world.webhook = None;
        return Ok(json!(true));
    }
    check_url(url)?;
    let secret = p
        .get("secret_token")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(s) = &secret {
        let allowed = (1..=256).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !allowed {
            return Err(ApiError::bad_request(
                "secret token contains unallowed characters",
            ));
        }
    }
    let max_connections = p
        .get("max_connections")
        .and_then(Value::as_i64)
        .unwrap_or(40);
    if !(1..=100).contains(&max_connections) {
        return Err(ApiError::bad_request(
            "bad webhook: max_connections must be between 1 and 100",
        ));
    }
    if let Some(allowed) = p.get("allowed_updates") {
        world.set_allowed_updates(allowed);
    }
    if p.get("drop_pending_updates").and_then(Value::as_bool) == Some(true) {
        world.updates.clear();
    }
    world.webhook = Some(Webhook {
        url: url.to_owned(),
        secret,
        max_connections,
        last_error: None,
    });
    Ok(json!(true))
}

fn check_url(url: &str) -> Result<(), ApiError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        ApiError::bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    })?;
    let host_port = rest.split('/').next().unwrap_or("");
    let port = host_port
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok());
    let loopback = host_port.starts_with("127.0.0.1");
    match scheme {
        "https" if matches!(port, None | Some(443 | 80 | 88 | 8443)) => Ok(()),
        "https" => Err(ApiError::bad_request(
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        )),
        "http" if loopback => Ok(()),
        _ => Err(ApiError::bad_request(
            "bad webhook: An HTTPS URL must be provided for webhook",
        )),
    }
}

pub(crate) fn delete_webhook(world: &mut World, p: &Params) -> Value {
    world.webhook = None;
    if p.get("drop_pending_updates").and_then(Value::as_bool) == Some(true) {
        world.updates.clear();
    }
    json!(true)
}

pub(crate) fn info(world: &World) -> Value {
    let mut info = json!({
        "url": world.webhook.as_ref().map_or("", |w| w.url.as_str()),
        "has_custom_certificate": false,
        "pending_update_count": world.updates.len(),
    });
    if let Some(w) = &world.webhook {
        info["max_connections"] = json!(w.max_connections);
        if let Some((date, message)) = &w.last_error {
            info["last_error_date"] = json!(date);
            info["last_error_message"] = json!(message);
        }
    }
    info
}

pub(crate) fn conflict() -> ApiError {
    ApiError::new(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    )
}

/// One delivery to make: the update, where, and with which secret.
struct Delivery {
    update_id: i64,
    update: Value,
    url: String,
    secret: Option<String>,
}

/// Delivers queued updates while a webhook is set, until shutdown.
pub(crate) async fn deliver(inner: Arc<Inner>) {
    let client = reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .no_proxy()
        .build()
        .expect("an HTTP client without TLS builds");
    let mut backoff = FIRST_BACKOFF;
    loop {
        let notified = inner.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = inner.with(|w| {
            if w.shutting_down {
                return Err(());
            }
            Ok(next_delivery(w))
        });
        let Ok(next) = next else { return };
        let Some(d) = next else {
            notified.await;
            continue;
        };
        match post(&client, &d).await {
            Ok(()) => {
                inner.mutate(|w| {
                    w.updates.retain(|(id, _)| *id != d.update_id);
                    w.deliveries.push(d.update_id);
                });
                backoff = FIRST_BACKOFF;
            }
            Err(why) => {
                tracing::debug!(update_id = d.update_id, why, "sim: webhook delivery failed");
                inner.mutate(|w| {
                    let now = w.now;
                    if let Some(hook) = w.webhook.as_mut() {
                        hook.last_error = Some((now, why));
                    }
                });
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn next_delivery(w: &mut World) -> Option<Delivery> {
    let hook = w.webhook.as_ref()?;
    let (update_id, update) = w.updates.front()?.clone();
    let url = match w.balance.bases.len() {
        0 => hook.url.clone(),
        n => {
            let base = &w.balance.bases[w.balance.next % n];
            w.balance.next += 1;
            format!("{base}{}", path_of(&hook.url))
        }
    };
    Some(Delivery {
        update_id,
        update,
        url,
        secret: hook.secret.clone(),
    })
}

/// The path (and query) of a URL, `/` when it has none.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// Telegram's words for a failed delivery, as getWebhookInfo shows them.
async fn post(client: &reqwest::Client, d: &Delivery) -> Result<(), String> {
    // The simulator never leaves the machine: a public URL is accepted, as
    // Telegram accepts it, but delivered nowhere.
    if !d.url.starts_with("http://127.0.0.1") {
        return Err("Connection failed: the simulator delivers to 127.0.0.1 only".to_owned());
    }
    let mut req = client
        .post(&d.url)
        .header("content-type", "application/json")
        .body(d.update.to_string());
    if let Some(secret) = &d.secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    match req.send().await {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => Err(format!(
            "Wrong response from the webhook: {}",
            resp.status()
        )),
        Err(e) if e.is_timeout() => Err("Read timeout expired".to_owned()),
        Err(e) if e.is_connect() => Err("Connection refused".to_owned()),
        Err(e) => Err(format!("Connection failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_urls_and_loopback_are_accepted_and_the_rest_refused() {
        for ok in [
            "https://bot.example.org/telegram",
            "https://bot.example.org:8443/hook",
            "http://127.0.0.1:39999/telegram",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://bot.example.org/telegram",
            "https://bot.example.org:9000/hook",
            "ftp://127.0.0.1/x",
            "bot.example.org",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_delivery_keeps_the_path_when_balanced() {
        assert_eq!(path_of("https://h.example/telegram?x=1"), "/telegram?x=1");
        assert_eq!(path_of("https://h.example"), "/");
    }
}
