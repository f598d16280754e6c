//! The portfolio's snapshots as the dashboard's pages read them, kept
//! between requests until the data changes (`store::version`) or the week
//! turns. Reading 10,000 projects' rows is most of a battle map's time
//! (BENCHMARKS.md, section 7); judging and rendering them is a tenth of it.
//! Who may see which of them is decided afresh at every request.

use std::sync::Arc;

use crate::config::Settings;
use crate::domain::bulletin::ProjectSnapshot;
use crate::domain::time::ReportingWeek;
use crate::ops::names;
use crate::service::portfolio;
use crate::store::{Store, StoreError, version};

#[derive(Default)]
pub struct Cache {
    kept: tokio::sync::Mutex<Option<Kept>>,
}

struct Kept {
    version: String,
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
        if let Some(k) = kept
            .as_ref()
            .filter(|k| k.version == version && k.week == week)
        {
            metrics::counter!(names::DASHBOARD_SNAPSHOTS, "read" => "kept").increment(1);
            return Ok(k.snaps.clone());
        }
        metrics::counter!(names::DASHBOARD_SNAPSHOTS, "read" => "store").increment(1);
        let snaps = Arc::new(portfolio::snapshots(store, settings, week).await?);
        *kept = Some(Kept {
            version,
            week,
            snaps: snaps.clone(),
        });
        Ok(snaps)
    }
}
