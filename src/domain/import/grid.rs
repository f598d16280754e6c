//! A sheet as rows of cells, whatever file it came from: the one shape the
//! import's rules read.

use chrono::{NaiveDate, NaiveDateTime};

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A number cell (a spreadsheet's amounts, or a date's serial number).
    Number(f64),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Bool(bool),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a person reads it: a number without a trailing `.0`,
    /// a date as `YYYY-MM-DD`.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(t) => t.trim().to_string(),
            Cell::Number(n) => number_text(*n),
            Cell::Date(d) => d.to_string(),
            Cell::DateTime(t) => t.date().to_string(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// The shortest decimal that reads back as `n` (`50000`, `3.2`).
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The rows of one sheet, each with the number a person sees beside it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    /// The sheet's name in a workbook; `None` for a CSV file, whose rows
    /// are named by line.
    pub sheet: Option<String>,
    /// (row or line number, cells).
    pub rows: Vec<(u64, Vec<Cell>)>,
    /// A CSV row must have as many fields as its header; a sheet's rows
    /// end where their last filled cell does.
    pub fixed_width: bool,
    /// How the text was decoded, when it was not UTF-8 (said in the summary).
    pub encoding: Option<&'static str>,
}
