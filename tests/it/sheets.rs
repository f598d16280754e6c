//! Pledge sheets as liaisons keep them, generated here with `rust_xlsxwriter`
//! and read back through the real reader: a title above the header, merged
//! project cells, a wide sheet, amounts in 万元, date cells and serial
//! numbers, `已投产`, a GBK CSV, and a sheet with bad rows (every one named,
//! nothing written).

use chrono::NaiveDate;
use duban::domain::import::parse_grid;
use duban::domain::lang::Lang;
use duban::domain::model::Stage;
use duban::domain::time::{Due, Precision};
use duban::service::import::{ImportError, import_file};
use duban::sheets::{ExportScope, long_csv, read_grid};
use duban::store::{milestones, projects};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::helpers::{TestDb, dump, portfolio_rows, sh};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn today() -> NaiveDate {
    d(2026, 11, 27)
}

fn texts(ws: &mut Worksheet, row: u32, cells: &[&str]) -> Result<(), XlsxError> {
    for (col, text) in cells.iter().enumerate() {
        if !text.is_empty() {
            ws.write_string(row, col as u16, *text)?;
        }
    }
    Ok(())
}

/// A long sheet as offices lay it out: a title and a unit note above the
/// header, the project's cells merged over its milestone rows, amounts in
/// 万元, dates as date cells.
fn long_sheet() -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let merged = Format::new();
    let ws = wb.add_worksheet();
    ws.set_name("项目表").unwrap();
    ws.merge_range(0, 0, 0, 7, "2026年重点项目军令状", &merged)
        .unwrap();
    texts(ws, 1, &["填报单位：高新园", "", "", "", "单位：万元"]).unwrap();
    texts(
        ws,
        2,
        &[
            "项目编号",
            "项目名称",
            "建设单位",
            "项目状态",
            "总投资（万元）",
            "节点",
            "承诺日期",
            "完成日期",
        ],
    )
    .unwrap();
    for (col, text) in ["P1", "新能源电池", "宁德某公司", "在建"]
        .iter()
        .enumerate()
    {
        ws.merge_range(3, col as u16, 5, col as u16, text, &merged)
            .unwrap();
    }
    ws.merge_range(3, 4, 5, 4, "", &merged).unwrap();
    ws.write_number(3, 4, 50000).unwrap();
    let rows = [
        ("开工", d(2026, 3, 1), Some(d(2026, 2, 26))),
        ("竣工", d(2027, 6, 30), None),
        ("投产", d(2027, 9, 30), None),
    ];
    for (i, (name, pledged, actual)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_string(r, 5, *name).unwrap();
        ws.write_datetime_with_format(r, 6, pledged, &date).unwrap();
        if let Some(a) = actual {
            ws.write_datetime_with_format(r, 7, a, &date).unwrap();
        }
    }
    texts(
        ws,
        6,
        &[
            "P2",
            "智能装备",
            "某装备公司",
            "已投产",
            "3000",
            "投产",
            "",
            "2026-10-08",
        ],
    )
    .unwrap();
    ws.write_string(6, 6, "2026年10月").unwrap();
    wb.save_to_buffer().unwrap()
}

/// A wide sheet, one row a project: the milestones' dates in columns, as
/// a date cell, a serial number and month-precision text.
fn wide_sheet() -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy/m/d");
    let ws = wb.add_worksheet();
    ws.set_name("汇总").unwrap();
    texts(
        ws,
        0,
        &[
            "项目编号",
            "项目名称",
            "责任单位",
            "进展阶段",
            "计划总投资(亿元)",
            "计划开工时间",
            "实际开工时间",
            "计划竣工时间",
            "计划入库时间",
            "责任领导",
            "年度计划投资",
        ],
    )
    .unwrap();
    texts(ws, 1, &["W1", "数据中心", "某云公司", "已开工", "3.2"]).unwrap();
    ws.write_datetime_with_format(1, 5, d(2026, 5, 1), &date)
        .unwrap();
    ws.write_number(1, 6, 46148).unwrap(); // 2026-05-06 as Excel stores it
    ws.write_string(1, 7, "2027-12-31").unwrap();
    ws.write_string(1, 8, "2027年3月").unwrap();
    texts(
        ws,
        1,
        &["", "", "", "", "", "", "", "", "", "李副区长", "8000万"],
    )
    .unwrap();
    texts(ws, 2, &["W2", "物流园", "某物流", "前期", "1.5"]).unwrap();
    ws.write_number(2, 5, 20270115).unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_long_sheet_with_a_title_merged_cells_and_a_unit_in_the_header_reads_whole() {
    let grid = read_grid(&long_sheet(), None).unwrap();
    assert_eq!(grid.sheet.as_deref(), Some("项目表"));
    let ps = parse_grid(&grid, today()).unwrap();
    assert_eq!(ps.len(), 2);
    let p1 = &ps[0];
    assert_eq!((p1.code.as_str(), p1.owner.as_str()), ("P1", "宁德某公司"));
    assert_eq!(p1.stage, Stage::Construction);
    assert_eq!(p1.investment, 500_000_000, "50000 in a 万元 column is 5亿");
    let names: Vec<&str> = p1.milestones.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["开工", "竣工", "投产"]);
    assert_eq!(p1.milestones[0].pledged, Due::day(d(2026, 3, 1)));
    assert_eq!(p1.milestones[0].actual, Some(d(2026, 2, 26)));
    assert_eq!(
        p1.milestones[2].line, 6,
        "the row number the spreadsheet shows"
    );
    let p2 = &ps[1];
    assert_eq!(p2.stage, Stage::Production);
    assert_eq!(p2.investment, 30_000_000);
    assert_eq!(
        p2.milestones[0].pledged,
        Due::month(2026, 10).unwrap(),
        "a month pledge is due by its last day and kept as a month"
    );
    assert_eq!(p2.milestones[0].pledged.date, d(2026, 10, 31));
}

#[test]
fn a_wide_sheet_gives_each_project_its_milestones_from_the_columns() {
    let grid = read_grid(&wide_sheet(), None).unwrap();
    let ps = parse_grid(&grid, today()).unwrap();
    let w1 = &ps[0];
    assert_eq!(w1.investment, 320_000_000);
    assert_eq!(w1.stage, Stage::Construction);
    assert_eq!(w1.leader, "李副区长");
    assert_eq!(w1.annual_plan, Some(80_000_000));
    let got: Vec<(&str, Due, Option<NaiveDate>)> = w1
        .milestones
        .iter()
        .map(|m| (m.name.as_str(), m.pledged, m.actual))
        .collect();
    let month = |y, m| Due::month(y, m).unwrap();
    assert_eq!(
        got,
        [
            ("开工", Due::day(d(2026, 5, 1)), Some(d(2026, 5, 6))),
            ("竣工", Due::day(d(2027, 12, 31)), None),
            ("入库", month(2027, 3), None),
        ]
    );
    assert_eq!(ps[1].stage, Stage::Landed);
    assert_eq!(
        ps[1].milestones[0].pledged,
        Due::day(d(2027, 1, 15)),
        "20270115 typed as a number"
    );
}

#[test]
fn a_sheet_is_chosen_by_name_or_as_the_first_with_a_header() {
    let mut wb = Workbook::new();
    let notes = wb.add_worksheet();
    notes.set_name("说明").unwrap();
    notes.write_string(0, 0, "本表由高新园填报").unwrap();
    let data = wb.add_worksheet();
    data.set_name("数据").unwrap();
    texts(
        data,
        0,
        &[
            "code",
            "name",
            "owner",
            "stage",
            "investment",
            "milestone",
            "pledged",
        ],
    )
    .unwrap();
    texts(
        data,
        1,
        &[
            "A1",
            "Alpha",
            "ACME",
            "landed",
            "1亿",
            "start",
            "2026-12-01",
        ],
    )
    .unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    assert_eq!(
        read_grid(&bytes, None).unwrap().sheet.as_deref(),
        Some("数据")
    );
    let e = read_grid(&bytes, Some("项目")).unwrap_err();
    assert!(e.to_string().contains("the sheets are: 说明, 数据"), "{e}");
}

#[test]
fn a_gbk_csv_is_read_as_gb18030() {
    let csv = "项目编号,项目名称,业主单位,阶段,投资额,节点,承诺日期\nG1,光伏组件,某光伏公司,已签约,2亿元,签约,2026-12-01\n";
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(csv);
    assert!(!unmappable);
    let grid = read_grid(&bytes, None).unwrap();
    assert_eq!(grid.encoding, Some("GB18030"));
    let ps = parse_grid(&grid, today()).unwrap();
    assert_eq!(
        (ps[0].name.as_str(), ps[0].stage),
        ("光伏组件", Stage::Signed)
    );
}

#[test]
fn arbitrary_bytes_that_look_like_a_workbook_never_panic() {
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    for n in 0..300 {
        let mut bytes = if n % 2 == 0 {
            b"PK\x03\x04".to_vec()
        } else {
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
        };
        for _ in 0..(n * 7 % 900) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            bytes.push(seed as u8);
        }
        assert!(read_grid(&bytes, None).is_err());
    }
    // A real workbook cut short is refused too.
    let whole = long_sheet();
    assert!(read_grid(&whole[..whole.len() / 2], None).is_err());
}

#[tokio::test]
async fn a_sheet_with_three_bad_rows_names_all_three_and_writes_nothing() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("项目表").unwrap();
    texts(
        ws,
        0,
        &[
            "项目编号",
            "项目名称",
            "业主单位",
            "阶段",
            "投资额",
            "节点",
            "承诺日期",
        ],
    )
    .unwrap();
    texts(
        ws,
        1,
        &["B1", "甲", "某公司", "在建", "1亿", "开工", "2026-12-01"],
    )
    .unwrap();
    texts(
        ws,
        2,
        &["B2", "乙", "某公司", "在建中", "1亿", "开工", "2026-12-01"],
    )
    .unwrap();
    texts(
        ws,
        3,
        &["B3", "丙", "某公司", "在建", "很多", "开工", "2026-12-01"],
    )
    .unwrap();
    texts(
        ws,
        4,
        &["B4", "丁", "某公司", "在建", "1亿", "开工", "明年"],
    )
    .unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    for db in TestDb::all().await {
        let store = db.store().await;
        let before = dump(&store).await;
        let tz = chrono_tz::Asia::Shanghai;
        let now = sh(2026, 11, 27, 10, 0);
        let Err(ImportError::Rows(errors)) =
            import_file(&store, &bytes, "t.xlsx", None, now, tz).await
        else {
            panic!("the sheet was imported");
        };
        let text = errors.to_string();
        for needle in [
            "sheet 项目表, row 3, unknown stage '在建中'",
            "sheet 项目表, row 4, 投资额:",
            "sheet 项目表, row 5, 承诺日期:",
        ] {
            assert!(text.contains(needle), "{needle} in:\n{text}");
        }
        assert_eq!(errors.0.len(), 3, "{text}");
        assert_eq!(portfolio_rows(&dump(&store).await), portfolio_rows(&before));
        store.close().await;
    }
}

#[tokio::test]
async fn importing_a_workbook_twice_changes_nothing_the_second_time() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let tz = chrono_tz::Asia::Shanghai;
        let now = sh(2026, 11, 27, 10, 0);
        let first = import_file(&store, &wide_sheet(), "w.xlsx", None, now, tz)
            .await
            .unwrap();
        assert_eq!((first.projects_created, first.milestones_created), (2, 4));
        let again = import_file(&store, &wide_sheet(), "w.xlsx", None, now, tz)
            .await
            .unwrap();
        assert_eq!(
            (again.projects_unchanged, again.milestones_unchanged),
            (2, 4)
        );
        let mut conn = store.conn().await.unwrap();
        let w1 = projects::by_code(&mut conn, "W1").await.unwrap().unwrap();
        assert_eq!(
            (w1.leader.as_str(), w1.annual_plan),
            ("李副区长", Some(80_000_000))
        );
        let ms = milestones::of_project(&mut conn, w1.id).await.unwrap();
        assert_eq!(ms.len(), 3);
        drop(conn);
        store.close().await;
    }
}

/// "计划3月份入库": kept as a month in the store, shown as the month in the
/// chat and the bulletin (tests/it/chat_sheets.rs), written back as the
/// month by the export, which re-imports without a change.
#[tokio::test]
async fn a_pledge_to_a_month_keeps_its_precision_through_store_and_export() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let settings = db.settings();
        let tz = chrono_tz::Asia::Shanghai;
        let now = sh(2026, 11, 27, 10, 0);
        import_file(&store, &wide_sheet(), "w.xlsx", None, now, tz)
            .await
            .unwrap();
        let mut conn = store.conn().await.unwrap();
        let w1 = projects::by_code(&mut conn, "W1").await.unwrap().unwrap();
        let ms = milestones::of_project(&mut conn, w1.id).await.unwrap();
        let entry = ms.iter().find(|m| m.name == "入库").unwrap();
        assert_eq!(entry.pledge(), Due::month(2027, 3).unwrap());
        assert_eq!(entry.original_pledge().precision, Precision::Month);
        let start = ms.iter().find(|m| m.name == "开工").unwrap();
        assert_eq!(start.pledge().precision, Precision::Day);
        let history = milestones::revisions(&mut conn, entry.id).await.unwrap();
        assert_eq!(history[0].precision, Precision::Month);
        drop(conn);

        let csv = long_csv(&store, &settings, &ExportScope::All, now, Lang::ZhCn)
            .await
            .unwrap();
        let text = String::from_utf8(csv.clone()).unwrap();
        assert!(text.contains(",入库,2027-03,"), "{text}");
        assert!(text.contains(",开工,2026-05-01,"), "{text}");
        let before = portfolio_rows(&dump(&store).await);
        let again = import_file(&store, &csv, "back.csv", None, now, tz)
            .await
            .unwrap();
        assert_eq!(
            (again.milestones_revised, again.projects_updated),
            (0, 0),
            "{again}"
        );
        assert_eq!(portfolio_rows(&dump(&store).await), before);

        // Past W1's 入库 pledge: the bulletin's overdue line shows the
        // month and the project's 责任领导.
        let late = sh(2027, 4, 9, 16, 0);
        let b = duban::service::portfolio::bulletin(&store, &settings, late)
            .await
            .unwrap();
        let text = duban::render::bulletin::render(&b, Lang::ZhCn, tz);
        let line = text
            .lines()
            .find(|l| l.contains("W1") && l.contains("入库"))
            .unwrap_or_else(|| panic!("no overdue line for W1 in:\n{text}"));
        assert!(line.contains("承诺 2027年3月"), "{line}");
        assert!(line.ends_with("· 责任领导 李副区长"), "{line}");
        store.close().await;
    }
}

#[test]
fn the_binary_imports_a_workbook_by_content_and_names_the_sheet_asked_for() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    // A workbook named .csv: the content, not the name, decides.
    let path = dir.path().join("军令状.csv");
    std::fs::write(&path, wide_sheet()).unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_duban"))
            .args(args)
            .current_dir(dir.path())
            .env("DUBAN__DATABASE__URL", &db.url)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    let file = path.display().to_string();
    let out = run(&[
        "--now",
        "2026-11-27 10:00",
        "import",
        &file,
        "--sheet",
        "汇总",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("projects: 2 created"), "{stdout}");
    let out = run(&["import", &file, "--sheet", "项目"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no sheet '项目' (the sheets are: 汇总)"),
        "{stderr}"
    );
}
