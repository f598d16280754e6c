//! The command line's commands that have a file of their own.

mod health;
pub mod jobs;
pub mod web;

pub use health::health;

use std::path::Path;

use duban::store::Store;
use duban::store::retention::{self, BackupError};

use crate::Refused;

/// `duban backup FILE`: a consistent copy of the SQLite database, taken
/// while the bot runs; a name that exists, or a PostgreSQL database, is
/// refused (exit 1) with what to do instead.
pub async fn backup(store: &Store, file: &Path) -> anyhow::Result<()> {
    match retention::backup(store, file).await {
        Ok(()) => {
            println!("backup written to {}", file.display());
            Ok(())
        }
        Err(e @ (BackupError::NotSqlite | BackupError::Exists(_) | BackupError::Path(_))) => {
            Err(anyhow::Error::new(Refused(e.to_string())))
        }
        Err(e) => Err(e.into()),
    }
}
