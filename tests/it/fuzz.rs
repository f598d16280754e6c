//! The report parser and the CSV importer on hostile input: arbitrary
//! bytes in large numbers, a 1 MB message, a 100,000-row file. No panic,
//! bounded work. `PROPTEST_CASES` raises the case count for a long run.

use std::time::Instant;

use chrono::NaiveDate;
use duban::domain::import::parse_csv;
use duban::domain::report::{MAX_REPORT_CHARS, ReportErrorKind, parse_report};
use proptest::prelude::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(20_000)))]

    #[test]
    fn report_parser_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_report(&text);
    }

    #[test]
    fn csv_importer_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_csv(&bytes, today());
        let mut with_header = b"\xEF\xBB\xBFcode,name,owner,stage,investment,milestone,pledged,actual\n".to_vec();
        with_header.extend(&bytes);
        let _ = parse_csv(&with_header, today());
    }
}

#[test]
fn a_one_megabyte_message_is_refused_quickly() {
    for text in [
        "进度: 1\n".repeat(128 * 1024),
        format!("本周完成: {}", "字".repeat(350_000)),
        "问题: x;".repeat(130_000),
    ] {
        assert!(text.len() >= 1_000_000);
        let started = Instant::now();
        let e = parse_report(&text).unwrap_err();
        assert_eq!(
            e.kind,
            ReportErrorKind::TooLong {
                limit: MAX_REPORT_CHARS
            }
        );
        assert!(
            started.elapsed().as_secs() < 2,
            "took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_hundred_thousand_row_csv_is_read_whole_or_refused_with_fifty_errors() {
    // Two rows, two milestones, per project.
    let mut good = String::from("code,name,owner,stage,investment,milestone,pledged\n");
    for i in 0..100_000 {
        let milestone = if i % 2 == 0 { "开工" } else { "竣工" };
        good.push_str(&format!(
            "C{},项目{},业主,landed,1亿,{milestone},2027-01-01\n",
            i / 2,
            i / 2
        ));
    }
    let started = Instant::now();
    let projects = parse_csv(good.as_bytes(), today()).unwrap();
    assert_eq!(projects.len(), 50_000);
    assert_eq!(
        projects.iter().map(|p| p.milestones.len()).sum::<usize>(),
        100_000
    );
    eprintln!("100,000 rows read in {:?}", started.elapsed());

    let bad = good.replace(",1亿,", ",lots,");
    let errors = parse_csv(bad.as_bytes(), today()).unwrap_err().0;
    assert_eq!(errors.len(), 51, "50 errors and the notice that it stopped");
    assert_eq!(errors[50].reason, "stopped after 50 errors");
}
