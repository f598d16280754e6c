//! CSV text into a grid: UTF-8 with or without a byte-order mark, UTF-16
//! (Excel's "Unicode text", tab-separated), and GBK as Excel saves "CSV" on
//! a Chinese Windows (read as GB18030, of which GBK is a part).

use super::grid::{Cell, Grid};
use super::{ImportErrors, RowError};

/// The text of a CSV file and how it was decoded.
fn decode(bytes: &[u8]) -> Result<(String, Option<&'static str>), ImportErrors> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest).map(|t| (t, None));
    }
    for (bom, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let text = encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .ok_or_else(|| whole("not valid UTF-16 text".into()))?;
            return Ok((text.into_owned(), Some("UTF-16")));
        }
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), None));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|t| (t.into_owned(), Some("GB18030")))
        .ok_or_else(|| {
            whole("neither UTF-8 nor GB18030 (GBK) text: save the sheet as \"CSV UTF-8\"".into())
        })
}

fn utf8(bytes: &[u8]) -> Result<String, ImportErrors> {
    std::str::from_utf8(bytes)
        .map(str::to_string)
        .map_err(|_| whole("not valid UTF-8 after its byte-order mark".into()))
}

fn whole(reason: String) -> ImportErrors {
    ImportErrors(vec![RowError {
        sheet: None,
        line: 0,
        reason,
    }])
}

/// The field separator: the one of `,` `\t` `;` the first line uses most
/// (Excel's "Unicode text" is tab-separated; some locales write `;`).
fn delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .filter(|d| first.as_bytes().contains(d))
        .unwrap_or(b',')
}

/// Reads CSV bytes into rows of text cells, numbered by line.
pub fn csv_grid(bytes: &[u8]) -> Result<Grid, ImportErrors> {
    let (text, encoding) = decode(bytes)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in rdr.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ImportErrors(vec![RowError {
                sheet: None,
                line,
                reason: e.to_string(),
            }])
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cells = record
            .iter()
            .map(|c| {
                if c.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(c.to_string())
                }
            })
            .collect();
        rows.push((line, cells));
    }
    Ok(Grid {
        sheet: None,
        rows,
        fixed_width: true,
        encoding,
    })
}
