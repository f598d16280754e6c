//! Reading a pledge sheet's bytes into a grid of cells. Workbooks go through
//! `calamine`; anything that is not a workbook is read as CSV text.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use crate::domain::import::{Cell, Grid, ImportErrors, RowError, csv_grid, header_row};

/// What a file turned out to be, by its first bytes rather than its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    /// A ZIP container: xlsx, or an OpenDocument spreadsheet.
    Zip,
    /// An OLE compound file: Excel 97–2003 `.xls`.
    Ole,
    Csv,
}

impl SheetFormat {
    pub fn of(bytes: &[u8]) -> SheetFormat {
        if bytes.starts_with(b"PK\x03\x04") {
            SheetFormat::Zip
        } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            SheetFormat::Ole
        } else {
            SheetFormat::Csv
        }
    }
}

fn whole(sheet: Option<&str>, reason: String) -> ImportErrors {
    ImportErrors(vec![RowError {
        sheet: sheet.map(str::to_string),
        line: 0,
        reason,
    }])
}

/// The sheet to import: `sheet` by name, or the first that has a header
/// row. A CSV file is its one sheet.
pub fn read_grid(bytes: &[u8], sheet: Option<&str>) -> Result<Grid, ImportErrors> {
    if SheetFormat::of(bytes) == SheetFormat::Csv {
        return csv_grid(bytes);
    }
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| whole(None, format!("not a workbook that can be read: {e}")))?;
    let names = book.sheet_names();
    if let Some(wanted) = sheet {
        if !names.iter().any(|n| n == wanted) {
            return Err(whole(
                None,
                format!("no sheet '{wanted}' (the sheets are: {})", names.join(", ")),
            ));
        }
        return sheet_grid(&mut book, wanted);
    }
    for name in &names {
        let grid = sheet_grid(&mut book, name)?;
        if header_row(&grid).is_some() {
            return Ok(grid);
        }
    }
    match names.first() {
        // The first sheet's own error says what its header lacks.
        Some(first) => sheet_grid(&mut book, first),
        None => Err(whole(None, "the workbook has no sheets".into())),
    }
}

fn sheet_grid<R>(book: &mut calamine::Sheets<R>, name: &str) -> Result<Grid, ImportErrors>
where
    R: std::io::Read + std::io::Seek,
{
    let range = book
        .worksheet_range(name)
        .map_err(|e| whole(Some(name), format!("cannot be read: {e}")))?;
    let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (first_row + i as u64 + 1, cells.iter().map(cell).collect()))
        .collect();
    Ok(Grid {
        sheet: Some(name.to_string()),
        rows,
        fixed_width: false,
        encoding: None,
    })
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if dt.is_datetime() => Cell::DateTime(t),
            _ => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}
