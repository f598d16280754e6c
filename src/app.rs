//! Builds everything from Settings and runs it until shutdown: the only
//! place that sees every part.

use std::sync::Arc;

use tokio::sync::watch;

use crate::bot::{self, BotError};
use crate::clock::Clock;
use crate::config::Settings;
use crate::store::Store;

/// `duban run`: the store, then the bot, until `shutdown` turns true.
pub async fn run(
    settings: Settings,
    clock: Arc<dyn Clock>,
    shutdown: watch::Receiver<bool>,
) -> Result<(), BotError> {
    let store = Store::open(&settings.database.url, settings.database.max_connections).await?;
    let result = bot::run(Arc::new(settings), store.clone(), clock, shutdown).await;
    store.close().await;
    result
}
