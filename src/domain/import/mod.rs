//! Projects and pledges from a pledge sheet as liaisons keep it: CSV (UTF-8,
//! UTF-16 or GBK) or a workbook's sheet read into a [`Grid`] by
//! `src/sheets`. The header row is found below any title rows; a long sheet
//! has a row a milestone (project cells blank or merged on the rows after a
//! project's first), a wide sheet a row a project with its milestones'
//! dates in columns. Every bad row is reported; a sheet with any bad row
//! yields no plan at all.

mod cells;
mod columns;
mod grid;
mod header;
mod rows;
mod text;

use chrono::NaiveDate;

use super::model::Stage;
use super::time::Due;

pub use columns::{Column, DateKind, HeaderCell};
pub use grid::{Cell, Grid, number_text};
pub use text::csv_grid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMilestone {
    pub line: u64,
    pub name: String,
    pub pledged: Due,
    pub actual: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProject {
    pub line: u64,
    pub code: String,
    pub name: String,
    pub owner: String,
    pub stage: Stage,
    pub investment: i64,
    pub zone: String,
    pub industry: String,
    pub liaison: String,
    /// The leader answerable for the project (责任领导), if named.
    pub leader: String,
    /// This year's planned investment in yuan (年度计划投资), if given.
    pub annual_plan: Option<i64>,
    pub milestones: Vec<ImportMilestone>,
}

/// One thing wrong with the file; `line` 0 means the file (or sheet) as a
/// whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The sheet of a workbook; `None` for a CSV file.
    pub sheet: Option<String>,
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.sheet, self.line) {
            (None, 0) => write!(f, "{}", self.reason),
            (None, line) => write!(f, "line {line}: {}", self.reason),
            (Some(sheet), 0) => write!(f, "sheet {sheet}: {}", self.reason),
            (Some(sheet), row) => write!(f, "sheet {sheet}, row {row}, {}", self.reason),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct ImportErrors(pub Vec<RowError>);

/// Errors listed before giving up: enough to fix a file in one go, without
/// flooding a terminal with a wholly wrong file.
const MAX_ERRORS: usize = 50;

/// Reads a CSV file into projects with their milestones, in file order.
/// `today` bounds completion dates.
pub fn parse_csv(bytes: &[u8], today: NaiveDate) -> Result<Vec<ImportProject>, ImportErrors> {
    parse_grid(&csv_grid(bytes)?, today)
}

/// Where a sheet's header row is, if it has one (a workbook's first sheet
/// with a header is the one imported).
pub fn header_row(grid: &Grid) -> Option<usize> {
    header::find(grid).ok().map(|(at, _)| at)
}

/// Reads a sheet into projects with their milestones, in sheet order.
pub fn parse_grid(grid: &Grid, today: NaiveDate) -> Result<Vec<ImportProject>, ImportErrors> {
    let at = |line: u64, reason: String| RowError {
        sheet: grid.sheet.clone(),
        line,
        reason,
    };
    let (header_at, header) =
        header::find(grid).map_err(|reason| ImportErrors(vec![at(0, reason)]))?;
    let mut errors = Vec::new();
    let mut reader = rows::Reader::new(&header, today);
    for (line, cells) in &grid.rows[header_at + 1..] {
        if errors.len() >= MAX_ERRORS {
            errors.push(at(0, format!("stopped after {MAX_ERRORS} errors")));
            break;
        }
        if cells.iter().all(Cell::is_empty) {
            continue;
        }
        if grid.fixed_width && cells.len() != header.width {
            let (want, found) = (header.width, cells.len());
            errors.push(at(
                *line,
                format!("expected {want} fields like the header, found {found}"),
            ));
            continue;
        }
        if let Err(reason) = reader.row(*line, cells) {
            errors.push(at(*line, reason));
        }
    }
    if !errors.is_empty() {
        return Err(ImportErrors(errors));
    }
    let projects = reader.finish();
    if projects.is_empty() {
        return Err(ImportErrors(vec![at(
            0,
            "the file has a header but no rows".into(),
        )]));
    }
    Ok(projects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    const GOOD: &str = "\u{FEFF}项目编号,项目名称,业主单位,阶段,投资额,节点,承诺日期,完成日期\n\
P1,新能源电池,宁德某公司,在建,5亿元,开工,2026-03-01,2026-02-28\n\
P1,新能源电池,ignored,signed,1元,竣工,2027-06-30,\n\
P2,智能装备,某装备公司,签约,1200万,,,\n";

    #[test]
    fn reads_chinese_headers_with_bom_and_groups_rows_by_code() {
        let ps = parse_csv(GOOD.as_bytes(), today()).unwrap();
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].code, "P1");
        assert_eq!(ps[0].owner, "宁德某公司");
        assert_eq!(ps[0].stage, Stage::Construction);
        assert_eq!(ps[0].investment, 500_000_000);
        assert_eq!(ps[0].milestones.len(), 2);
        assert_eq!(ps[0].milestones[1].line, 3);
        assert_eq!(ps[0].milestones[1].actual, None);
        assert!(ps[1].milestones.is_empty());
    }

    #[test]
    fn english_headers_in_any_order() {
        let csv = "pledged,milestone,code,name,owner,stage,investment\n2026-12-01,start,A1,Alpha,ACME,landed,3.2亿\n";
        let ps = parse_csv(csv.as_bytes(), today()).unwrap();
        assert_eq!(ps[0].investment, 320_000_000);
        assert_eq!(ps[0].milestones[0].name, "start");
    }

    #[test]
    fn reports_every_bad_row_with_its_line() {
        let csv = "code,name,owner,stage,investment,milestone,pledged\n\
A1,Alpha,ACME,landed,3.2亿,start,2026-12-01\n\
A2,Beta,ACME,building,1亿,start,2026-12-01\n\
A3,Gamma,ACME,landed,lots,start,2026-12-01\n\
A4,Delta,ACME,landed,1亿,start,2026-02-30\n\
A1,Alpha,ACME,landed,3.2亿,start,2026-12-05\n\
A5,Eps,ACME\n";
        let errs = parse_csv(csv.as_bytes(), today()).unwrap_err().0;
        let lines: Vec<u64> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6, 7]);
        assert!(errs[0].reason.contains("unknown stage 'building'"));
        assert!(errs[1].reason.starts_with("investment:"));
        assert!(errs[2].reason.contains("does not exist"));
        assert!(errs[3].reason.contains("already on line 2"));
        assert!(errs[4].reason.contains("expected 7 fields"));
    }

    #[test]
    fn refuses_missing_columns_non_utf8_and_empty_files() {
        let e = parse_csv(b"code,name\nA,B\n", today()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("missing column(s): owner/业主单位")
        );
        // GBK, as Excel saves "CSV" on a Chinese Windows, is read.
        let gbk = b"code,name,owner,stage,investment,milestone,pledged\nA1,\xb9\xa4,x,landed,1,m,2026-01-01\n";
        assert_eq!(parse_csv(gbk, today()).unwrap()[0].name, "工");
        let e = parse_csv(b"code,name\n\xff,\xff\n", today()).unwrap_err();
        assert!(e.to_string().contains("neither UTF-8 nor GB18030"), "{e}");
        let e = parse_csv(
            b"code,name,owner,stage,investment,milestone,pledged\n",
            today(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("no rows"));
        let e = parse_csv(
            b"code,name,owner,stage,investment,milestone,pledged,actual\nA,B,C,landed,1,m,2026-01-01,2026-12-01\n",
            today(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("after today"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut bytes = b"code,name,owner,stage,investment,milestone,pledged\n".to_vec();
            bytes.extend(body);
            let _ = parse_csv(&bytes, today());
        }
    }
}
