//! One worksheet as a table: a bold header row that stays in view, typed
//! cells (dates as date cells, amounts as numbers), a filter on the header,
//! and columns as wide as what they hold.

use chrono::{NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::domain::money::WAN;
use crate::domain::time::{Due, Precision};

/// What one cell holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Date(NaiveDate),
    /// A pledge to a month: a date cell holding its last day, by which the
    /// pledge is due, shown as the month.
    Month(NaiveDate),
    /// A local date and time (the configured zone's).
    Time(NaiveDateTime),
    /// Whole yuan, written in 万元 as the amount headers say.
    Wan(i64),
    Int(i64),
}

impl Value {
    pub fn text(s: &str) -> Value {
        if s.is_empty() {
            Value::Empty
        } else {
            Value::Text(s.to_string())
        }
    }

    pub fn wan(yuan: Option<i64>) -> Value {
        yuan.map_or(Value::Empty, Value::Wan)
    }

    pub fn date(d: Option<NaiveDate>) -> Value {
        d.map_or(Value::Empty, Value::Date)
    }

    /// A pledge, at the precision it was made.
    pub fn due(d: Due) -> Value {
        match d.precision {
            Precision::Day => Value::Date(d.date),
            Precision::Month => Value::Month(d.date),
        }
    }

    pub fn int(n: Option<i64>) -> Value {
        n.map_or(Value::Empty, Value::Int)
    }
}

/// The workbook's cell formats, made once and shared by every sheet.
pub struct Formats {
    header: Format,
    date: Format,
    month: Format,
    time: Format,
    wan: Format,
    int: Format,
}

impl Formats {
    pub fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xDD_EB_F7))
                .set_border_bottom(FormatBorder::Thin),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            month: Format::new().set_num_format("yyyy-mm"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            // Two decimals show amounts to the hundred yuan; the cell keeps
            // the exact value.
            wan: Format::new().set_num_format("#,##0.00"),
            int: Format::new().set_num_format("0"),
        }
    }
}

/// Columns are never narrower than this, nor wider (long texts are cut at
/// the edge of the cell in view, whole in the cell).
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;

/// Adds the sheet `name`: `headers` in row 1, then `rows`.
pub fn write(
    book: &mut Workbook,
    name: &str,
    headers: &[String],
    rows: &[Vec<Value>],
    formats: &Formats,
) -> Result<(), XlsxError> {
    let ws = book.add_worksheet();
    ws.set_name(name)?;
    let mut widths: Vec<usize> = headers.iter().map(|h| text_width(h)).collect();
    for (col, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, col_num(col)?, h, &formats.header)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = u32::try_from(i + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (col, value) in row.iter().enumerate() {
            let width = cell(ws, r, col_num(col)?, value, formats)?;
            if let Some(w) = widths.get_mut(col) {
                *w = (*w).max(width);
            }
        }
    }
    let last_row = u32::try_from(rows.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
    let last_col = col_num(headers.len().saturating_sub(1))?;
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, last_row, last_col)?;
    for (col, w) in widths.into_iter().enumerate() {
        // Two characters of room for the filter button.
        let width = (w + 2).clamp(MIN_WIDTH, MAX_WIDTH);
        ws.set_column_width(col_num(col)?, width as f64)?;
    }
    Ok(())
}

/// Writes one cell; the columns it takes, for the column's width.
fn cell(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    value: &Value,
    formats: &Formats,
) -> Result<usize, XlsxError> {
    Ok(match value {
        Value::Empty => 0,
        Value::Text(s) => {
            ws.write_string(r, c, s)?;
            text_width(s)
        }
        Value::Date(d) => {
            ws.write_datetime_with_format(r, c, d, &formats.date)?;
            10
        }
        Value::Month(d) => {
            ws.write_datetime_with_format(r, c, d, &formats.month)?;
            10
        }
        Value::Time(t) => {
            ws.write_datetime_with_format(r, c, t, &formats.time)?;
            16
        }
        Value::Wan(yuan) => {
            ws.write_number_with_format(r, c, *yuan as f64 / WAN as f64, &formats.wan)?;
            number_width(yuan / WAN) + 3
        }
        Value::Int(n) => {
            ws.write_number_with_format(r, c, *n as f64, &formats.int)?;
            n.to_string().len()
        }
    })
}

fn col_num(col: usize) -> Result<u16, XlsxError> {
    u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)
}

/// Roughly the columns a text takes: Chinese characters (three bytes in
/// UTF-8, as most wide characters are) take two, others one; good enough
/// for a readable width, which is all it is for.
fn text_width(s: &str) -> usize {
    s.lines()
        .map(|l| {
            l.chars()
                .map(|c| if c.len_utf8() >= 3 { 2 } else { 1 })
                .sum()
        })
        .max()
        .unwrap_or(0)
}

/// Digits of `n` with its thousands separators.
fn number_width(n: i64) -> usize {
    let digits = n.unsigned_abs().to_string().len();
    digits + (digits - 1) / 3 + usize::from(n < 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_chinese_double() {
        assert_eq!(text_width("P2026-001"), 9);
        assert_eq!(text_width("新能源"), 6);
        assert_eq!(text_width("a\nbbb"), 3);
        assert_eq!(number_width(120_000), 7);
        assert_eq!(number_width(5), 1);
    }
}
