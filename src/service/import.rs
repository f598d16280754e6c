//! Projects and pledges from a pledge sheet, all or nothing: `duban import`
//! in its own transaction, a sheet sent in a chat in the update's.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::import::{ImportErrors, ImportProject, parse_csv, parse_grid};
use crate::domain::model::Project;
use crate::domain::time::local_date;
use crate::sheets::read_grid;
use crate::store::{Conn, Op, Store, StoreError, milestones, projects};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Rows(#[from] ImportErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import changed; all zero but `*_unchanged` for a repeated import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub projects_created: usize,
    pub projects_updated: usize,
    pub projects_unchanged: usize,
    pub milestones_created: usize,
    pub milestones_revised: usize,
    pub milestones_completed: usize,
    pub milestones_unchanged: usize,
    /// How a CSV file's text was decoded, when it was not UTF-8.
    pub encoding: Option<&'static str>,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "projects: {} created, {} updated, {} unchanged; milestones: {} created, {} revised, {} completed, {} unchanged",
            self.projects_created,
            self.projects_updated,
            self.projects_unchanged,
            self.milestones_created,
            self.milestones_revised,
            self.milestones_completed,
            self.milestones_unchanged
        )?;
        match self.encoding {
            Some(encoding) => write!(f, " (read as {encoding})"),
            None => Ok(()),
        }
    }
}

/// Reads `bytes` as CSV and applies it in one transaction: a bad row, or a
/// failure half-way, leaves the database as it was.
pub async fn import_csv(
    store: &Store,
    bytes: &[u8],
    source: &str,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<ImportSummary, ImportError> {
    let plan = parse_csv(bytes, local_date(now, tz))?;
    let mut tx = store.begin().await?;
    let summary = apply_in(&mut tx, &plan, source, now).await?;
    tx.commit()
        .await
        .op("service::import::import_csv (commit)")?;
    Ok(summary)
}

/// Reads a pledge sheet of any format (`src/sheets`: CSV, xlsx, xls, ods,
/// by content), the sheet named `sheet` or the first with a header, and
/// applies it in one transaction.
pub async fn import_file(
    store: &Store,
    bytes: &[u8],
    source: &str,
    sheet: Option<&str>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<ImportSummary, ImportError> {
    let mut tx = store.begin().await?;
    let summary = import_file_in(&mut tx, bytes, source, sheet, now, tz).await?;
    tx.commit()
        .await
        .op("service::import::import_file (commit)")?;
    Ok(summary)
}

/// [`import_file`] in the caller's transaction: a sheet sent in a chat is
/// imported with the update that carried it, so its effects and the
/// update's "handled" mark commit together (ARCHITECTURE.md rule 4). On an
/// error the caller must not commit; nothing is written before the whole
/// sheet has been read without one.
pub async fn import_file_in(
    tx: &mut Conn,
    bytes: &[u8],
    source: &str,
    sheet: Option<&str>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<ImportSummary, ImportError> {
    let grid = read_grid(bytes, sheet)?;
    let plan = parse_grid(&grid, local_date(now, tz))?;
    let mut summary = apply_in(tx, &plan, source, now).await?;
    summary.encoding = grid.encoding;
    Ok(summary)
}

/// Applies a plan read from a sheet in the caller's transaction, which
/// commits all of it or (on any failure) none.
async fn apply_in(
    tx: &mut Conn,
    plan: &[ImportProject],
    source: &str,
    now: DateTime<Utc>,
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary::default();
    let revision_source = format!("import {source}");
    for row in plan {
        apply_project(tx, row, &revision_source, now, &mut summary).await?;
    }
    Ok(summary)
}

async fn apply_project(
    conn: &mut Conn,
    row: &ImportProject,
    source: &str,
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> Result<(), StoreError> {
    let wanted = |id: i64, active: bool| Project {
        id,
        code: row.code.clone(),
        name: row.name.clone(),
        owner_org: row.owner.clone(),
        zone: row.zone.clone(),
        industry_chain: row.industry.clone(),
        stage: row.stage,
        investment: row.investment,
        liaison_name: row.liaison.clone(),
        leader: row.leader.clone(),
        annual_plan: row.annual_plan,
        active,
    };
    let project_id = match projects::by_code(conn, &row.code).await? {
        None => {
            summary.projects_created += 1;
            projects::insert(conn, &wanted(0, true), now).await?
        }
        Some(existing) => {
            let updated = wanted(existing.id, existing.active);
            if updated == existing {
                summary.projects_unchanged += 1;
            } else {
                summary.projects_updated += 1;
                projects::update(conn, &updated, now).await?;
            }
            existing.id
        }
    };
    let existing = milestones::of_project(conn, project_id).await?;
    for (position, m) in row.milestones.iter().enumerate() {
        let position = position as i64;
        match existing.iter().find(|e| e.name == m.name) {
            None => {
                summary.milestones_created += 1;
                milestones::insert(
                    conn,
                    &milestones::NewMilestone {
                        project_id,
                        name: &m.name,
                        pledged: m.pledged,
                        actual: m.actual,
                        position,
                    },
                    source,
                    now,
                )
                .await?;
            }
            Some(e) => {
                let mut changed = false;
                if e.pledge() != m.pledged {
                    summary.milestones_revised += 1;
                    changed = true;
                    milestones::revise(conn, e.id, m.pledged, source, now).await?;
                }
                // An empty cell never erases a completion reported in the chat.
                if let Some(actual) = m.actual.filter(|a| e.actual != Some(*a)) {
                    summary.milestones_completed += 1;
                    changed = true;
                    milestones::set_actual(conn, e.id, actual, now).await?;
                }
                if e.position != position {
                    milestones::set_position(conn, e.id, position).await?;
                }
                summary.milestones_unchanged += usize::from(!changed);
            }
        }
    }
    Ok(())
}
