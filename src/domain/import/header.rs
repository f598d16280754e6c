//! Finding the header row below a sheet's title rows, and what each of its
//! columns holds. A header spans one row: a second row of sub-headers would
//! have to be guessed into the first, so it is not read.

use std::collections::HashMap;

use super::columns::{Column, DateKind, HeaderCell, read_header};
use super::grid::Grid;

/// Rows looked at for the header: a title, a date and a unit note above it
/// are common; a header further down is not a pledge sheet's.
const HEADER_SEARCH_ROWS: usize = 20;

/// A known column's place, the unit of its plain numbers, and its name as
/// messages write it.
#[derive(Debug, Clone)]
pub struct Place {
    pub index: usize,
    pub unit: i64,
    pub label: String,
}

/// A wide sheet's milestone, with the columns of its dates.
#[derive(Debug, Clone, Default)]
pub struct WideMilestone {
    pub name: String,
    pub pledged: Option<Place>,
    pub actual: Option<Place>,
}

#[derive(Debug, Clone)]
pub struct Header {
    pub width: usize,
    pub columns: HashMap<Column, Place>,
    pub wide: Vec<WideMilestone>,
}

impl Header {
    fn read(grid: &Grid, cells: &[super::Cell]) -> Result<Header, String> {
        let mut header = Header {
            width: cells.len(),
            columns: HashMap::new(),
            wide: Vec::new(),
        };
        for (index, cell) in cells.iter().enumerate() {
            let written = cell.text();
            let Some(found) = read_header(cell) else {
                continue;
            };
            let twice = || format!("column '{written}' appears twice in the header");
            match found {
                HeaderCell::Known { column, unit } => {
                    // A CSV's messages name columns as the README does; a
                    // workbook's as its header writes them.
                    let label = match grid.sheet {
                        None => column.names()[0].to_string(),
                        Some(_) => written.clone(),
                    };
                    let place = Place { index, unit, label };
                    if header.columns.insert(column, place).is_some() {
                        return Err(twice());
                    }
                }
                HeaderCell::MilestoneDate { milestone, kind } => {
                    let place = Place {
                        index,
                        unit: 1,
                        label: written.clone(),
                    };
                    if !header.add_wide(milestone, kind, place) {
                        return Err(twice());
                    }
                }
            }
        }
        Ok(header)
    }

    fn add_wide(&mut self, name: String, kind: DateKind, place: Place) -> bool {
        let pos = match self.wide.iter().position(|w| w.name == name) {
            Some(pos) => pos,
            None => {
                self.wide.push(WideMilestone {
                    name,
                    ..WideMilestone::default()
                });
                self.wide.len() - 1
            }
        };
        let slot = match kind {
            DateKind::Pledged => &mut self.wide[pos].pledged,
            DateKind::Actual => &mut self.wide[pos].actual,
        };
        slot.replace(place).is_none()
    }

    fn known(&self) -> usize {
        self.columns.len() + self.wide.len()
    }

    /// Columns the sheet must have and does not: the project's, and its
    /// milestones' either as rows (milestone, pledged) or as columns.
    fn missing(&self) -> Vec<Column> {
        let mut missing: Vec<Column> = Column::ALL
            .into_iter()
            .filter(|c| c.required() && !self.columns.contains_key(c))
            .collect();
        let long = [Column::Milestone, Column::Pledged];
        let wide = self.wide.iter().any(|w| w.pledged.is_some());
        if !wide {
            missing.extend(long.into_iter().filter(|c| !self.columns.contains_key(c)));
        }
        missing
    }
}

/// The header row (its index in the grid) and its columns: the first of
/// the top rows that has every column a sheet needs; failing that, why the
/// likeliest one falls short.
pub fn find(grid: &Grid) -> Result<(usize, Header), String> {
    let mut best: Option<Header> = None;
    for (i, (_, cells)) in grid.rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        if cells.iter().all(super::Cell::is_empty) {
            continue;
        }
        let header = Header::read(grid, cells)?;
        if header.known() >= 2 && header.missing().is_empty() {
            return Ok((i, header));
        }
        if best.as_ref().is_none_or(|b| header.known() > b.known()) {
            best = Some(header);
        }
    }
    match best.filter(|b| b.known() > 0) {
        Some(b) => {
            let names: Vec<String> = b.missing().iter().map(|c| c.names().join("/")).collect();
            Err(format!("missing column(s): {}", names.join(", ")))
        }
        None if grid.rows.is_empty() => Err("the file is empty".into()),
        None => Err(format!(
            "no header row in the first {HEADER_SEARCH_ROWS} rows (expected columns such as 项目编号/code, 项目名称/name, 业主单位/owner, 阶段/stage, 投资额/investment)"
        )),
    }
}
