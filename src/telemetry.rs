//! The tracing subscriber: filter from `RUST_LOG` (default `info`), logs on
//! stderr so command output on stdout stays clean, JSON when `DUBAN_LOG_JSON`
//! is set.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests calling into the binary's code) is harmless.
    let _ = if std::env::var_os("DUBAN_LOG_JSON").is_some() {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
