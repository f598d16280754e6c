//! The tracing subscriber: filter from `RUST_LOG` (default `info`, sqlx
//! quieter), logs on stderr so command output on stdout stays clean, JSON
//! when `DUBAN_LOG_JSON` is set. Every line passes through a redactor that
//! replaces the bot token, wherever a dependency may have put it, and the
//! secrets learned while running (Feishu's tenant tokens).

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::{Arc, PoisonError, RwLock};

/// Secrets learned while running; the last [`KEPT`] are redacted (a tenant
/// token lives two hours, so these cover far more than any in use).
static LEARNED: RwLock<VecDeque<String>> = RwLock::new(VecDeque::new());
const KEPT: usize = 16;

/// Redacts `secret` from every line written from now on.
pub fn redact_also(secret: &str) {
    if secret.len() < 4 {
        return;
    }
    let mut learned = LEARNED.write().unwrap_or_else(PoisonError::into_inner);
    if learned.iter().any(|s| s == secret) {
        return;
    }
    if learned.len() == KEPT {
        learned.pop_front();
    }
    learned.push_back(secret.to_string());
}

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the subscriber; `secrets` never appear in what it writes.
pub fn init(secrets: Vec<String>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let writer = Redacting {
        secrets: Arc::new(secrets.into_iter().filter(|s| s.len() >= 4).collect()),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    // A second init (tests calling into the binary's code) is harmless.
    let _ = if std::env::var_os("DUBAN_LOG_JSON").is_some() {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[derive(Clone)]
struct Redacting {
    secrets: Arc<Vec<String>>,
}

impl<'a> MakeWriter<'a> for Redacting {
    type Writer = RedactingWriter;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            secrets: self.secrets.clone(),
        }
    }
}

pub struct RedactingWriter {
    secrets: Arc<Vec<String>>,
}

/// `text` with every secret replaced.
pub fn redact_all(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "<redacted>"))
}

impl Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The fmt layer writes each event whole, so a secret is never split.
        let text = String::from_utf8_lossy(buf);
        let text = redact_all(&text, &self.secrets);
        let learned = LEARNED.read().unwrap_or_else(PoisonError::into_inner);
        let text = learned
            .iter()
            .fold(text, |t, s| t.replace(s.as_str(), "<redacted>"));
        io::stderr().write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced() {
        let s = vec!["123:abc".to_string()];
        assert_eq!(
            redact_all("GET /bot123:abc/GetMe failed", &s),
            "GET /bot<redacted>/GetMe failed"
        );
    }
}
