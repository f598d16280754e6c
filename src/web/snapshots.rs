//! The portfolio's snapshots as the dashboard's pages read them, kept
//! between requests until the data changes (`store::version`) or the week
//! turns; when only the week's reports and problems changed (a report came
//! in), only those are read again. Reading 10,000 projects' rows is most of
//! a battle map's time (BENCHMARKS.md, section 7); judging and rendering
//! them is a tenth of it. Who may see which of them is decided afresh at
//! every request.

use std::sync::Arc;

use crate::config::Settings;
use crate::domain::bulletin::ProjectSnapshot;
use crate::domain::time::ReportingWeek;
use crate::ops::names;
use crate::service::portfolio;
use crate::store::version::{self, Version};
use crate::store::{Store, StoreError};

#[derive(Default)]
pub struct Cache {
    kept: tokio::sync::Mutex<Option<Kept>>,
}

struct Kept {
    version: Version,
    week: ReportingWeek,
    snaps: Arc<Vec<ProjectSnapshot>>,
}

impl Cache {
    /// The snapshots of `week` as the store holds them now. Requests wait
    /// for one another's read rather than each reading the same rows.
    pub async fn get(
        &self,
        store: &Store,
        settings: &Settings,
        week: ReportingWeek,
    ) -> Result<Arc<Vec<ProjectSnapshot>>, StoreError> {
        // The token first: a write after it leaves the rows newer than the
        // token, never older (src/store/version.rs).
        let version = version::current(store).await?;
        let mut kept = self.kept.lock().await;
        let (read, snaps) = match kept.as_ref().filter(|k| k.week == week) {
            Some(k) if k.version == version => ("kept", k.snaps.clone()),
            Some(k) if k.version.portfolio == version.portfolio => {
                let mut conn = store.conn().await?;
                let mut weekly = portfolio::weekly(&mut conn, settings, week).await?;
                let mut snaps = (*k.snaps).clone();
                snaps.iter_mut().for_each(|s| weekly.fill(s));
                ("weekly", Arc::new(snaps))
            }
            _ => {
                let snaps = portfolio::snapshots(store, settings, week).await?;
                ("store", Arc::new(snaps))
            }
        };
        metrics::counter!(names::DASHBOARD_SNAPSHOTS, "read" => read).increment(1);
        *kept = Some(Kept {
            version,
            week,
            snaps: snaps.clone(),
        });
        Ok(snaps)
    }
}
