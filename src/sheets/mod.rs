//! Spreadsheets in and out: a pledge sheet's bytes (CSV, xlsx, xls, ods,
//! told apart by their content) read into the domain's [`Grid`], and the
//! workbook leadership asks for written out.

mod export;
mod read;

pub use export::{
    Export, ExportError, ExportFormat, ExportScope, REPORT_WEEKS, export, long_csv, workbook,
};
pub use read::{SheetFormat, read_grid};
