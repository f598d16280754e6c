//! Projects and pledges from CSV, as office spreadsheets export them: UTF-8
//! with or without a byte-order mark, English or Chinese headers in any order,
//! one row per milestone. Every bad row is reported; a file with any bad row
//! yields no plan at all.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::model::Stage;
use super::money::parse_money;
use super::time::parse_date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Code,
    Name,
    Owner,
    Stage,
    Investment,
    Milestone,
    Pledged,
    Actual,
    Zone,
    Industry,
    Liaison,
}

impl Column {
    const ALL: [Column; 11] = [
        Column::Code,
        Column::Name,
        Column::Owner,
        Column::Stage,
        Column::Investment,
        Column::Milestone,
        Column::Pledged,
        Column::Actual,
        Column::Zone,
        Column::Industry,
        Column::Liaison,
    ];

    /// Header names: the English one first.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Column::Code => &["code", "项目编号"],
            Column::Name => &["name", "项目名称"],
            Column::Owner => &["owner", "业主单位"],
            Column::Stage => &["stage", "阶段"],
            Column::Investment => &["investment", "投资额"],
            Column::Milestone => &["milestone", "节点"],
            Column::Pledged => &["pledged", "承诺日期"],
            Column::Actual => &["actual", "完成日期"],
            Column::Zone => &["zone", "园区"],
            Column::Industry => &["industry", "产业链"],
            Column::Liaison => &["liaison", "联络员"],
        }
    }

    fn required(self) -> bool {
        !matches!(
            self,
            Column::Actual | Column::Zone | Column::Industry | Column::Liaison
        )
    }

    fn from_header(h: &str) -> Option<Column> {
        let h = h.trim().to_lowercase();
        Column::ALL
            .into_iter()
            .find(|c| c.names().iter().any(|n| *n == h))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMilestone {
    pub line: u64,
    pub name: String,
    pub pledged: NaiveDate,
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
    pub milestones: Vec<ImportMilestone>,
}

/// One thing wrong with the file; `line` 0 means the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "line {}: {}", self.line, self.reason)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct ImportErrors(pub Vec<RowError>);

/// Errors listed before giving up: enough to fix a file in one go, without
/// flooding a terminal with a wholly wrong file.
const MAX_ERRORS: usize = 50;
const MAX_CODE_CHARS: usize = 32;
const MAX_TEXT_CHARS: usize = 200;

/// Reads the CSV into projects with their milestones, in file order.
/// `today` bounds completion dates.
pub fn parse_csv(bytes: &[u8], today: NaiveDate) -> Result<Vec<ImportProject>, ImportErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let whole = |reason: String| ImportErrors(vec![RowError { line: 0, reason }]);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = rdr.headers().map_err(|e| whole(csv_reason(&e)))?.clone();
    let index = column_index(&headers).map_err(whole)?;

    let mut errors = Vec::new();
    let mut file = Collected::default();
    for result in rdr.records() {
        if errors.len() >= MAX_ERRORS {
            errors.push(RowError {
                line: 0,
                reason: format!("stopped after {MAX_ERRORS} errors"),
            });
            break;
        }
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    reason: csv_reason(&e),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |c: Column| index.get(&c).and_then(|i| record.get(*i)).unwrap_or("");
        match parse_row(&cell, today) {
            Err(reason) => errors.push(RowError { line, reason }),
            Ok(row) => {
                if let Err(reason) = file.add(row, line) {
                    errors.push(RowError { line, reason });
                }
            }
        }
    }
    let projects = file.projects;
    if !errors.is_empty() {
        return Err(ImportErrors(errors));
    }
    if projects.is_empty() {
        return Err(whole("the file has a header but no rows".into()));
    }
    Ok(projects)
}

/// Where each known column is in the header; a column named twice, or a
/// required one missing, is refused with the reason.
fn column_index(headers: &csv::StringRecord) -> Result<HashMap<Column, usize>, String> {
    let mut index: HashMap<Column, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(c) = Column::from_header(h)
            && index.insert(c, i).is_some()
        {
            return Err(format!("column '{}' appears twice in the header", h.trim()));
        }
    }
    let missing: Vec<String> = Column::ALL
        .into_iter()
        .filter(|c| c.required() && !index.contains_key(c))
        .map(|c| c.names().join("/"))
        .collect();
    if !missing.is_empty() {
        return Err(format!("missing column(s): {}", missing.join(", ")));
    }
    Ok(index)
}

/// The projects read so far, in file order, each with its milestones.
#[derive(Default)]
struct Collected {
    projects: Vec<ImportProject>,
    by_code: HashMap<String, usize>,
    /// Line of each (code, milestone) first seen.
    seen_milestones: HashMap<(String, String), u64>,
}

impl Collected {
    /// Adds a row: a project's first row makes the project (its fields are
    /// taken from there), each row adds its milestone once.
    fn add(&mut self, row: Row, line: u64) -> Result<(), String> {
        let projects = &mut self.projects;
        let idx = *self.by_code.entry(row.code.clone()).or_insert_with(|| {
            projects.push(ImportProject {
                line,
                milestones: Vec::new(),
                ..row.project.clone()
            });
            projects.len() - 1
        });
        let Some(m) = row.milestone else {
            return Ok(());
        };
        let key = (row.code.clone(), m.name.clone());
        if let Some(first) = self.seen_milestones.insert(key, line) {
            return Err(format!(
                "milestone '{}' of {} is already on line {first}",
                m.name, row.code
            ));
        }
        self.projects[idx]
            .milestones
            .push(ImportMilestone { line, ..m });
        Ok(())
    }
}

struct Row {
    code: String,
    project: ImportProject,
    milestone: Option<ImportMilestone>,
}

fn parse_row<'a>(cell: &dyn Fn(Column) -> &'a str, today: NaiveDate) -> Result<Row, String> {
    let text = |c: Column| -> Result<String, String> {
        let v = cell(c);
        if v.chars().count() > MAX_TEXT_CHARS {
            return Err(format!(
                "{} is longer than {MAX_TEXT_CHARS} characters",
                c.names()[0]
            ));
        }
        Ok(v.to_string())
    };
    let required = |c: Column| -> Result<String, String> {
        let v = text(c)?;
        if v.is_empty() {
            Err(format!("{} is empty", c.names()[0]))
        } else {
            Ok(v)
        }
    };
    let code = required(Column::Code)?;
    if code.chars().count() > MAX_CODE_CHARS || code.chars().any(char::is_whitespace) {
        return Err(format!(
            "code '{code}' must be one word of at most {MAX_CODE_CHARS} characters"
        ));
    }
    let stage: Stage = required(Column::Stage)?
        .parse()
        .map_err(|e: super::model::UnknownStage| e.to_string())?;
    let investment =
        parse_money(&required(Column::Investment)?).map_err(|e| format!("investment: {e}"))?;
    let milestone_name = text(Column::Milestone)?;
    let pledged_text = text(Column::Pledged)?;
    let actual_text = text(Column::Actual)?;
    let milestone = match (milestone_name.is_empty(), pledged_text.is_empty()) {
        (true, true) if actual_text.is_empty() => None,
        (true, _) => return Err("milestone is empty but a date is given".into()),
        (false, true) => return Err(format!("pledged date of '{milestone_name}' is empty")),
        (false, false) => {
            let pledged = parse_date(&pledged_text).map_err(|e| format!("pledged: {e}"))?;
            let actual = if actual_text.is_empty() {
                None
            } else {
                let a = parse_date(&actual_text).map_err(|e| format!("actual: {e}"))?;
                if a > today {
                    return Err(format!("actual date {a} is after today ({today})"));
                }
                Some(a)
            };
            Some(ImportMilestone {
                line: 0,
                name: milestone_name,
                pledged,
                actual,
            })
        }
    };
    Ok(Row {
        code: code.clone(),
        project: ImportProject {
            line: 0,
            code,
            name: required(Column::Name)?,
            owner: required(Column::Owner)?,
            stage,
            investment,
            zone: text(Column::Zone)?,
            industry: text(Column::Industry)?,
            liaison: text(Column::Liaison)?,
            milestones: Vec::new(),
        },
        milestone,
    })
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "not valid UTF-8 (save the sheet as \"CSV UTF-8\"; GBK is not read)".into()
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields like the header, found {len}"),
        _ => e.to_string(),
    }
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
        let gbk = b"code,name,owner,stage,investment,milestone,pledged\nA1,\xb9\xa4,x,landed,1,m,2026-01-01\n";
        let e = parse_csv(gbk, today()).unwrap_err();
        assert!(e.to_string().contains("line 2: not valid UTF-8"), "{e}");
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
