//! The rows below the header: a project's first row names it, the rows
//! after it with its cells left blank (or merged) continue it with another
//! milestone, and a wide sheet's row carries the milestones in its columns.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::super::model::{Stage, UnknownStage};
use super::cells;
use super::columns::Column;
use super::grid::Cell;
use super::header::{Header, Place};
use super::{ImportMilestone, ImportProject};

const MAX_CODE_CHARS: usize = 32;
const MAX_TEXT_CHARS: usize = 200;

/// Reads rows in order, keeping what the next row may continue.
pub struct Reader<'h> {
    header: &'h Header,
    today: NaiveDate,
    projects: Vec<ImportProject>,
    by_code: HashMap<String, usize>,
    /// The line of each (code, milestone) first seen.
    seen_milestones: HashMap<(String, String), u64>,
    /// The code of the row above, which a row with a blank code continues.
    above: Option<String>,
    /// Each project's first-row cells, to tell a later row that differs.
    first_cells: HashMap<String, (u64, HashMap<Column, String>)>,
}

impl<'h> Reader<'h> {
    pub fn new(header: &'h Header, today: NaiveDate) -> Self {
        Reader {
            header,
            today,
            projects: Vec::new(),
            by_code: HashMap::new(),
            seen_milestones: HashMap::new(),
            above: None,
            first_cells: HashMap::new(),
        }
    }

    pub fn finish(self) -> Vec<ImportProject> {
        self.projects
    }

    fn cell(&self, cells: &'h [Cell], c: Column) -> &'h Cell {
        self.header
            .columns
            .get(&c)
            .and_then(|p| cells.get(p.index))
            .unwrap_or(&Cell::Empty)
    }

    fn label(&self, c: Column) -> String {
        self.header
            .columns
            .get(&c)
            .map_or_else(|| c.names()[0].to_string(), |p| p.label.clone())
    }

    /// Reads one row; why it cannot be read otherwise.
    pub fn row(&mut self, line: u64, cells: &'h [Cell]) -> Result<(), String> {
        let written = self.cell(cells, Column::Code).text();
        let code = if written.is_empty() {
            // A blank (or merged) code continues the project above.
            let Some(above) = self.above.clone() else {
                return Err(format!("{} is empty", self.label(Column::Code)));
            };
            above
        } else {
            self.valid_code(&written)?
        };
        let continues = self.above.as_deref() == Some(code.as_str());
        self.above = Some(code.clone());
        let idx = match self.by_code.get(&code) {
            Some(&idx) if continues => idx,
            Some(&idx) => {
                self.same_as_first(&code, cells)?;
                idx
            }
            None => self.first_row(&code, line, cells)?,
        };
        let milestones = self.milestones(cells)?;
        for m in milestones {
            let key = (code.clone(), m.name.clone());
            if let Some(first) = self.seen_milestones.insert(key, line) {
                return Err(format!(
                    "milestone '{}' of {code} is already on line {first}",
                    m.name
                ));
            }
            self.projects[idx]
                .milestones
                .push(ImportMilestone { line, ..m });
        }
        Ok(())
    }

    fn valid_code(&self, code: &str) -> Result<String, String> {
        if code.chars().count() > MAX_CODE_CHARS || code.chars().any(char::is_whitespace) {
            return Err(format!(
                "code '{code}' must be one word of at most {MAX_CODE_CHARS} characters"
            ));
        }
        Ok(code.to_string())
    }

    /// A project's first row: its fields, every required one filled.
    fn first_row(&mut self, code: &str, line: u64, cells: &'h [Cell]) -> Result<usize, String> {
        let project = self.project(code, line, cells)?;
        let written = Column::ALL
            .into_iter()
            .filter(|c| c.of_project() && *c != Column::Code)
            .map(|c| (c, self.cell(cells, c).text()))
            .collect();
        self.first_cells.insert(code.to_string(), (line, written));
        self.projects.push(project);
        self.by_code
            .insert(code.to_string(), self.projects.len() - 1);
        Ok(self.projects.len() - 1)
    }

    /// A later row of a project, not right below its rows: what it says of
    /// the project must be what its first row said.
    fn same_as_first(&self, code: &str, cells: &'h [Cell]) -> Result<(), String> {
        let Some((first_line, first)) = self.first_cells.get(code) else {
            return Ok(());
        };
        for (column, was) in first {
            let now = self.cell(cells, *column).text();
            if !now.is_empty() && now != *was {
                return Err(format!(
                    "{} '{now}' differs from line {first_line} of {code} ('{was}')",
                    self.label(*column)
                ));
            }
        }
        Ok(())
    }

    fn text(&self, cells: &'h [Cell], c: Column) -> Result<String, String> {
        let v = self.cell(cells, c).text();
        if v.chars().count() > MAX_TEXT_CHARS {
            return Err(format!(
                "{} is longer than {MAX_TEXT_CHARS} characters",
                self.label(c)
            ));
        }
        Ok(v)
    }

    fn required(&self, cells: &'h [Cell], c: Column) -> Result<String, String> {
        let v = self.text(cells, c)?;
        if v.is_empty() {
            return Err(format!("{} is empty", self.label(c)));
        }
        Ok(v)
    }

    fn amount(&self, cells: &'h [Cell], c: Column) -> Result<Option<i64>, String> {
        let cell = self.cell(cells, c);
        if cell.is_empty() {
            return Ok(None);
        }
        let unit = self.header.columns.get(&c).map_or(1, |p| p.unit);
        cells::money(cell, unit)
            .map(Some)
            .map_err(|e| format!("{}: {e}", self.label(c)))
    }

    fn project(&self, code: &str, line: u64, cells: &'h [Cell]) -> Result<ImportProject, String> {
        let stage: Stage = self
            .required(cells, Column::Stage)?
            .parse()
            .map_err(|e: UnknownStage| e.to_string())?;
        self.required(cells, Column::Investment)?;
        let investment = self.amount(cells, Column::Investment)?.unwrap_or(0);
        Ok(ImportProject {
            line,
            code: code.to_string(),
            name: self.required(cells, Column::Name)?,
            owner: self.required(cells, Column::Owner)?,
            stage,
            investment,
            zone: self.text(cells, Column::Zone)?,
            industry: self.text(cells, Column::Industry)?,
            liaison: self.text(cells, Column::Liaison)?,
            leader: self.text(cells, Column::Leader)?,
            annual_plan: self.amount(cells, Column::AnnualPlan)?,
            milestones: Vec::new(),
        })
    }

    /// The row's milestones: the long sheet's one, and a wide sheet's each.
    fn milestones(&self, cells: &'h [Cell]) -> Result<Vec<ImportMilestone>, String> {
        let mut out = Vec::new();
        let name = self.text(cells, Column::Milestone)?;
        let pledged = self.cell(cells, Column::Pledged);
        let actual = self.cell(cells, Column::Actual);
        match (name.is_empty(), pledged.is_empty()) {
            (true, true) if actual.is_empty() => {}
            (true, _) => return Err("milestone is empty but a date is given".into()),
            (false, true) => return Err(format!("pledged date of '{name}' is empty")),
            (false, false) => {
                let at = |c| self.header.columns.get(&c);
                out.push(self.milestone(
                    name,
                    (pledged, at(Column::Pledged)),
                    (actual, at(Column::Actual)),
                )?);
            }
        }
        for w in &self.header.wide {
            let get = |p: &Option<Place>| {
                p.as_ref()
                    .and_then(|p| cells.get(p.index))
                    .unwrap_or(&Cell::Empty)
            };
            let (pledged, actual) = (get(&w.pledged), get(&w.actual));
            match (pledged.is_empty(), actual.is_empty()) {
                (true, true) => {}
                (true, false) => return Err(format!("pledged date of '{}' is empty", w.name)),
                (false, _) => out.push(self.milestone(
                    w.name.clone(),
                    (pledged, w.pledged.as_ref()),
                    (actual, w.actual.as_ref()),
                )?),
            }
        }
        Ok(out)
    }

    fn milestone(
        &self,
        name: String,
        (pledged, pledged_at): (&Cell, Option<&Place>),
        (actual, actual_at): (&Cell, Option<&Place>),
    ) -> Result<ImportMilestone, String> {
        let label =
            |p: Option<&Place>, fallback: &str| p.map_or(fallback.to_string(), |p| p.label.clone());
        let pledged =
            cells::date(pledged).map_err(|e| format!("{}: {e}", label(pledged_at, "pledged")))?;
        let actual = if actual.is_empty() {
            None
        } else {
            let a = cells::date(actual)
                .map_err(|e| format!("{}: {e}", label(actual_at, "actual")))?
                .date;
            if a > self.today {
                return Err(format!("actual date {a} is after today ({})", self.today));
            }
            Some(a)
        };
        Ok(ImportMilestone {
            line: 0,
            name,
            pledged,
            actual,
        })
    }
}
