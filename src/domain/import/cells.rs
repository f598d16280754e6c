//! One cell read as what its column holds: text, an amount in the column's
//! unit, a date (a date cell, an Excel serial number, or text).

use chrono::{Duration, NaiveDate};

use super::super::money::{WAN, YI, parse_money};
use super::super::time::{Due, parse_pledge_date};
use super::grid::{Cell, number_text};

/// An amount in yuan. A plain number is in the column's `unit` (a number
/// below `总投资（万元）` is 万元); money written with its own unit (`1200万`)
/// keeps it.
pub fn money(cell: &Cell, unit: i64) -> Result<i64, String> {
    let text = cell.text();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '，'));
    let written = match (plain, unit) {
        (true, WAN) => format!("{text}万"),
        (true, YI) => format!("{text}亿"),
        _ => text,
    };
    parse_money(&written).map_err(|e| e.to_string())
}

/// Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default()
}

/// A date: a date cell, a serial number as Excel stores dates, `20261201`
/// typed as a number, or text in any of the forms of a pledge.
pub fn date(cell: &Cell) -> Result<Due, String> {
    match cell {
        Cell::Date(d) => Ok(Due::day(*d)),
        Cell::DateTime(t) => Ok(Due::day(t.date())),
        Cell::Number(n) if n.fract() == 0.0 && (19_000_101.0..=99_991_231.0).contains(n) => {
            parse_pledge_date(&number_text(*n)).map_err(|e| e.to_string())
        }
        // Serial numbers of 1950 to 2150: a plain number outside is no date.
        Cell::Number(n) if (18_264.0..=91_311.0).contains(n) => {
            Ok(Due::day(excel_epoch() + Duration::days(n.floor() as i64)))
        }
        Cell::Number(n) => Err(format!("'{}' is not a date", number_text(*n))),
        other => parse_pledge_date(&other.text()).map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn amounts_take_the_columns_unit_unless_they_name_their_own() {
        assert_eq!(money(&Cell::Number(50000.0), WAN), Ok(500_000_000));
        assert_eq!(money(&Cell::Text("3.2".into()), YI), Ok(320_000_000));
        assert_eq!(money(&Cell::Number(3.2), YI), Ok(320_000_000));
        assert_eq!(money(&Cell::Text("1200万".into()), YI), Ok(12_000_000));
        assert_eq!(money(&Cell::Number(12_000_000.0), 1), Ok(12_000_000));
        assert!(money(&Cell::Text("很多".into()), WAN).is_err());
    }

    #[test]
    fn dates_come_as_cells_serials_numbers_or_text() {
        assert_eq!(
            date(&Cell::Date(d(2026, 12, 1))),
            Ok(Due::day(d(2026, 12, 1)))
        );
        assert_eq!(date(&Cell::Number(46357.0)), Ok(Due::day(d(2026, 12, 1))));
        assert_eq!(
            date(&Cell::Number(20_261_201.0)),
            Ok(Due::day(d(2026, 12, 1)))
        );
        assert_eq!(
            date(&Cell::Text("2026-12-01 00:00:00".into())),
            Ok(Due::day(d(2026, 12, 1)))
        );
        assert_eq!(
            date(&Cell::Text("20261201".into())),
            Ok(Due::day(d(2026, 12, 1)))
        );
        let month = |y, m| Ok::<Due, String>(Due::month(y, m).unwrap());
        assert_eq!(date(&Cell::Text("2027年3月".into())), month(2027, 3));
        assert_eq!(date(&Cell::Text("2027-02".into())), month(2027, 2));
        assert_eq!(date(&Cell::Text("2027.3".into())), month(2027, 3));
        assert_eq!(Due::month(2027, 2).unwrap().date, d(2027, 2, 28));
        assert_eq!(Due::month(2027, 12).unwrap().date, d(2027, 12, 31));
        assert_eq!(Due::month(2027, 13), None);
        assert!(date(&Cell::Number(5.0)).is_err());
        assert!(date(&Cell::Text("明年".into())).is_err());
    }
}
