//! The portfolio written out: the workbook leadership asks for (项目, 节点,
//! 周报, 问题, headers and labels in the chat's or command's language), and
//! the long CSV in the import's own format, which `duban import` reads back
//! into the same database without changing anything.

mod sheets;
mod table;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::domain::import::Column;
use crate::domain::lang::Lang;
use crate::domain::model::{Milestone, Problem, Project, Report, Stage};
use crate::domain::time::ReportingWeek;
use crate::render::text::t;
use crate::store::{Conn, Store, StoreError, milestones, problems, projects, reports};

/// Weeks of reports the 周报 sheet holds, the week of `now` the last.
pub const REPORT_WEEKS: u32 = 12;

/// Whose rows an export holds: everything (admins, leadership), or the
/// named projects only (a liaison's own), on every sheet alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportScope {
    All,
    /// Project ids.
    Projects(Vec<i64>),
}

impl ExportScope {
    fn includes(&self, project_id: i64) -> bool {
        match self {
            ExportScope::All => true,
            ExportScope::Projects(ids) => ids.contains(&project_id),
        }
    }
}

/// The two files an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The leadership workbook: four sheets, dates as date cells.
    Xlsx,
    /// The pledge sheet in the import format, one row a milestone.
    Csv,
}

impl ExportFormat {
    /// The format a file name asks for (`.xlsx`, `.csv`, in any case);
    /// `None` for any other, which the caller refuses rather than guess.
    pub fn of_path(path: &Path) -> Option<ExportFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "xlsx" => Some(ExportFormat::Xlsx),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("writing the CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// A file's bytes and what went into it, for a one-line summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub format: ExportFormat,
    pub bytes: Vec<u8>,
    pub projects: usize,
    pub milestones: usize,
    /// Rows of the 周报 sheet (0 in a CSV).
    pub reports: usize,
    /// Rows of the 问题 sheet (0 in a CSV).
    pub problems: usize,
}

impl Export {
    /// `out.xlsx：已导出 6 个项目、…`, in `lang`.
    pub fn summary(&self, file: &str, lang: Lang) -> String {
        let mut args = vec![
            ("file", file.to_string()),
            ("projects", self.projects.to_string()),
            ("milestones", self.milestones.to_string()),
        ];
        let key = match self.format {
            ExportFormat::Csv => "export.summary_csv",
            ExportFormat::Xlsx => {
                args.push(("reports", self.reports.to_string()));
                args.push(("weeks", REPORT_WEEKS.to_string()));
                args.push(("problems", self.problems.to_string()));
                "export.summary_workbook"
            }
        };
        t(lang, key, &args)
    }
}

/// The leadership workbook (项目, 节点, 周报, 问题) as of `now`, in `lang`.
pub async fn workbook(
    store: &Store,
    settings: &Settings,
    scope: &ExportScope,
    now: DateTime<Utc>,
    lang: Lang,
) -> Result<Vec<u8>, ExportError> {
    Ok(
        export(store, settings, scope, now, lang, ExportFormat::Xlsx)
            .await?
            .bytes,
    )
}

/// The pledges as one long CSV in the import format (UTF-8 with a BOM, so
/// Excel opens it as UTF-8); headers in Chinese, or English for `Lang::En`.
pub async fn long_csv(
    store: &Store,
    settings: &Settings,
    scope: &ExportScope,
    now: DateTime<Utc>,
    lang: Lang,
) -> Result<Vec<u8>, ExportError> {
    Ok(export(store, settings, scope, now, lang, ExportFormat::Csv)
        .await?
        .bytes)
}

/// Either file, with the counts a summary names.
pub async fn export(
    store: &Store,
    settings: &Settings,
    scope: &ExportScope,
    now: DateTime<Utc>,
    lang: Lang,
    format: ExportFormat,
) -> Result<Export, ExportError> {
    let mut conn = store.conn().await?;
    let portfolio = Portfolio::load(&mut conn, scope).await?;
    let activity = match format {
        ExportFormat::Csv => None,
        ExportFormat::Xlsx => Some(Activity::load(&mut conn, &portfolio, settings, now).await?),
    };
    // SQLite has one connection: give it back before the file is built.
    drop(conn);
    let milestones = portfolio.milestones.values().map(Vec::len).sum();
    let (bytes, reports, problems) = match activity {
        None => (csv_bytes(&portfolio, lang)?, 0, 0),
        Some(activity) => {
            let cx = sheets::Ctx::new(settings, now, lang);
            let bytes = sheets::workbook(&cx, &portfolio, &activity)?;
            (bytes, activity.reports.len(), activity.problems.len())
        }
    };
    Ok(Export {
        format,
        bytes,
        projects: portfolio.projects.len(),
        milestones,
        reports,
        problems,
    })
}

/// The active projects in scope, by code, with their milestones in pledge
/// order: what both files hold.
struct Portfolio {
    projects: Vec<Project>,
    /// Project id → its place in `projects`.
    index: HashMap<i64, usize>,
    milestones: HashMap<i64, Vec<Milestone>>,
}

impl Portfolio {
    async fn load(conn: &mut Conn, scope: &ExportScope) -> Result<Portfolio, StoreError> {
        let mut projects = projects::active(&mut *conn).await?;
        projects.retain(|p| scope.includes(p.id));
        let mut by_project: HashMap<i64, Vec<Milestone>> = HashMap::new();
        for m in milestones::of_active_projects(&mut *conn).await? {
            if scope.includes(m.project_id) {
                by_project.entry(m.project_id).or_default().push(m);
            }
        }
        Ok(Portfolio {
            index: projects
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id, i))
                .collect(),
            projects,
            milestones: by_project,
        })
    }

    fn project(&self, id: i64) -> Option<&Project> {
        self.index.get(&id).and_then(|&i| self.projects.get(i))
    }

    fn milestones_of(&self, project_id: i64) -> &[Milestone] {
        self.milestones.get(&project_id).map_or(&[], Vec::as_slice)
    }
}

/// What only the workbook shows: names, revisions, reports and problems,
/// narrowed to the portfolio's projects and to what was known at `now`.
struct Activity {
    liaisons: HashMap<i64, String>,
    /// Milestone id → times its pledge was moved.
    revisions: HashMap<i64, i64>,
    latest: HashMap<i64, Report>,
    invested_total: HashMap<i64, i64>,
    /// The last [`REPORT_WEEKS`] weeks' reports in force, newest week
    /// first, by project code within a week.
    reports: Vec<Report>,
    /// Raised by `now`; a resolution after `now` is not yet known.
    problems: Vec<Problem>,
}

impl Activity {
    async fn load(
        conn: &mut Conn,
        portfolio: &Portfolio,
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Result<Activity, StoreError> {
        let week = ReportingWeek::of_instant(now, settings.timezone);
        let first = (1..REPORT_WEEKS).fold(week, |w, _| w.previous());
        let codes: HashMap<i64, &str> = portfolio
            .projects
            .iter()
            .map(|p| (p.id, p.code.as_str()))
            .collect();
        let ids: HashSet<i64> = codes.keys().copied().collect();
        let mut recent = reports::current_between(&mut *conn, first, week).await?;
        recent.retain(|r| ids.contains(&r.project_id));
        recent.sort_by(|a, b| {
            (b.week, codes.get(&a.project_id)).cmp(&(a.week, codes.get(&b.project_id)))
        });
        let problems = problems::of_active_projects(&mut *conn)
            .await?
            .into_iter()
            .filter(|p| ids.contains(&p.project_id) && p.raised_at <= now)
            .map(|p| as_of(p, now))
            .collect();
        Ok(Activity {
            liaisons: projects::liaison_names(&mut *conn, &portfolio.projects).await?,
            revisions: milestones::revision_counts(&mut *conn)
                .await?
                .into_iter()
                .collect(),
            latest: reports::latest_each(&mut *conn, week)
                .await?
                .into_iter()
                .filter(|r| ids.contains(&r.project_id))
                .map(|r| (r.project_id, r))
                .collect(),
            invested_total: reports::invested_totals(&mut *conn, week)
                .await?
                .into_iter()
                .filter(|(id, _)| ids.contains(id))
                .collect(),
            reports: recent,
            problems,
        })
    }
}

/// A problem as it stood at `now`: one resolved later was still open then.
fn as_of(p: Problem, now: DateTime<Utc>) -> Problem {
    match p.resolved_at {
        Some(at) if at > now => Problem {
            resolved_at: None,
            resolution: None,
            ..p
        },
        _ => p,
    }
}

/// The CSV header as the importer names its columns: the Chinese name
/// (`Column::names`' second) or the English one (its first).
fn csv_header(c: Column, lang: Lang) -> &'static str {
    let names = c.names();
    match lang {
        Lang::ZhCn => names.get(1).unwrap_or(&names[0]),
        Lang::En => names[0],
    }
}

/// The stage as the importer reads it: in Chinese the label (the
/// catalogue's words are the importer's) when it parses back to the same
/// stage, else, and in English, the stable code the README's table names,
/// so an edited catalogue cannot break a round trip.
fn csv_stage(stage: Stage, lang: Lang) -> String {
    let label = t(lang, stage.label_key(), &[]);
    if lang == Lang::ZhCn && label.parse::<Stage>() == Ok(stage) {
        label
    } else {
        stage.code().to_string()
    }
}

/// One CSV row: the project's cells (repeated on every row of it, which the
/// importer reads as the same project) and one milestone's, or none.
fn csv_row(p: &Project, m: Option<&Milestone>, lang: Lang) -> Vec<String> {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    Column::ALL
        .into_iter()
        .map(|c| match c {
            Column::Code => p.code.clone(),
            Column::Name => p.name.clone(),
            Column::Owner => p.owner_org.clone(),
            Column::Stage => csv_stage(p.stage, lang),
            // Plain whole yuan: exact, and what a header without a unit means.
            Column::Investment => p.investment.to_string(),
            Column::Milestone => m.map(|m| m.name.clone()).unwrap_or_default(),
            // The pledge in force: the importer records a revision when the
            // date differs from it, so the original would move it back.
            Column::Pledged => m.map(|m| m.pledge().to_string()).unwrap_or_default(),
            Column::Actual => date(m.and_then(|m| m.actual)),
            Column::Zone => p.zone.clone(),
            Column::Industry => p.industry_chain.clone(),
            // The name as imported, not the people bound in the chat: the
            // importer compares it with the stored name.
            Column::Liaison => p.liaison_name.clone(),
            Column::Leader => p.leader.clone(),
            Column::AnnualPlan => p.annual_plan.map(|a| a.to_string()).unwrap_or_default(),
        })
        .collect()
}

fn csv_bytes(portfolio: &Portfolio, lang: Lang) -> Result<Vec<u8>, ExportError> {
    // The BOM makes Excel open the file as UTF-8 rather than the system's
    // code page; the importer accepts it.
    let mut out = csv::Writer::from_writer("\u{FEFF}".as_bytes().to_vec());
    out.write_record(Column::ALL.map(|c| csv_header(c, lang)))?;
    for p in &portfolio.projects {
        let ms = portfolio.milestones_of(p.id);
        if ms.is_empty() {
            out.write_record(csv_row(p, None, lang))?;
        }
        for m in ms {
            out.write_record(csv_row(p, Some(m), lang))?;
        }
    }
    out.into_inner()
        .map_err(|e| ExportError::Csv(e.into_error().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_comes_from_the_extension() {
        let of = |p: &str| ExportFormat::of_path(Path::new(p));
        assert_eq!(of("out.xlsx"), Some(ExportFormat::Xlsx));
        assert_eq!(of("dir/OUT.XLSX"), Some(ExportFormat::Xlsx));
        assert_eq!(of("out.csv"), Some(ExportFormat::Csv));
        assert_eq!(of("out.txt"), None);
        assert_eq!(of("out.xls"), None);
        assert_eq!(of("xlsx"), None);
    }

    #[test]
    fn stages_are_written_as_the_importer_reads_them() {
        for lang in [Lang::ZhCn, Lang::En] {
            for s in Stage::ALL {
                assert_eq!(csv_stage(s, lang).parse::<Stage>(), Ok(s));
            }
        }
        assert_eq!(csv_stage(Stage::Construction, Lang::ZhCn), "在建");
        assert_eq!(csv_stage(Stage::Construction, Lang::En), "construction");
    }

    #[test]
    fn headers_are_the_import_formats() {
        let zh: Vec<&str> = Column::ALL.map(|c| csv_header(c, Lang::ZhCn)).to_vec();
        assert_eq!(
            zh.join(","),
            "项目编号,项目名称,业主单位,阶段,投资额,节点,承诺日期,完成日期,园区,产业链,联络员,责任领导,年度计划投资"
        );
        let en: Vec<&str> = Column::ALL.map(|c| csv_header(c, Lang::En)).to_vec();
        assert_eq!(
            en.join(","),
            "code,name,owner,stage,investment,milestone,pledged,actual,zone,industry,liaison,leader,annual_plan"
        );
    }
}
