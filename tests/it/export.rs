//! `duban export` and the export API: the leadership workbook read back
//! with `calamine` (sheet names, headers, date cells, amounts as numbers),
//! the long CSV imported again without changing anything, a liaison's scope,
//! the command line from outside, and the sample pledge sheet
//! `examples/pledge-sheet.xlsx` (generated here) imported as a newcomer would.

use std::io::Cursor;
use std::process::Output;

use calamine::{Data, Range, Reader, open_workbook_auto_from_rs};
use chrono::{DateTime, NaiveDate, Utc};
use duban::config::Settings;
use duban::domain::lang::Lang;
use duban::domain::model::{Project, Stage};
use duban::service::import::{import_csv, import_file};
use duban::service::reports::submit;
use duban::sheets::{ExportScope, long_csv, workbook};
use duban::store::{Store, projects};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::helpers::{EXAMPLE_CSV, TestDb, duban, dump, revised_csv, sh};

const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The instant every export here is made as of (Friday of week 48).
fn now() -> DateTime<Utc> {
    sh(2026, 11, 27, 16, 0)
}

/// The example portfolio, a slipped pledge (P2026-003's start moved to
/// 11-10), a milestone completed through a report (P2026-004), reports of
/// weeks 45 and 48 (one late), and four problems.
async fn portfolio(store: &Store, settings: &Settings) {
    import_csv(
        store,
        EXAMPLE_CSV.as_bytes(),
        "v1",
        sh(2026, 11, 25, 8, 0),
        SHANGHAI,
    )
    .await
    .unwrap();
    let v2 = revised_csv();
    import_csv(store, v2.as_bytes(), "v2", sh(2026, 11, 25, 9, 0), SHANGHAI)
        .await
        .unwrap();
    let reports = [
        (
            "P2026-003",
            sh(2026, 11, 2, 10, 0),
            "进度: 5%\n问题: 环评批复未下达",
        ),
        (
            "P2026-002",
            sh(2026, 11, 25, 10, 0),
            "进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n本周完成: 主体结构施工\n问题: 临时用电未接通; 施工许可证审批延迟",
        ),
        (
            "P2026-004",
            sh(2026, 11, 24, 11, 0),
            "progress: 10\ndone: 土地摘牌 2026-11-23",
        ),
        (
            "P2026-001",
            sh(2026, 11, 26, 19, 0),
            "进度: 40%\n问题: 用地指标未落实",
        ),
    ];
    for (code, at, text) in reports {
        submit(store, settings, code, text, "owner", at)
            .await
            .unwrap();
    }
}

fn sheet(bytes: &[u8], name: &str) -> Range<Data> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(name).unwrap()
}

fn sheet_names(bytes: &[u8]) -> Vec<String> {
    open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .unwrap()
        .sheet_names()
}

fn headers(range: &Range<Data>) -> Vec<String> {
    range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

/// The cells below header `header`, top to bottom.
fn column(range: &Range<Data>, header: &str) -> Vec<Data> {
    let at = headers(range)
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header}: {:?}", headers(range)));
    range.rows().skip(1).map(|r| r[at].clone()).collect()
}

/// The row whose first cell (the code, or a problem's number) is `key`.
fn row(range: &Range<Data>, header: &str, key: &str) -> Vec<Data> {
    let at = headers(range).iter().position(|h| h == header).unwrap();
    range
        .rows()
        .find(|r| r[at] == key)
        .unwrap_or_else(|| panic!("no row {key}"))
        .to_vec()
}

fn date_of(cell: &Data) -> NaiveDate {
    match cell {
        Data::DateTime(dt) => dt.as_datetime().unwrap().date(),
        other => panic!("not a date cell: {other:?}"),
    }
}

fn codes(range: &Range<Data>, header: &str) -> Vec<String> {
    column(range, header)
        .iter()
        .map(|c| c.to_string())
        .collect()
}

#[tokio::test]
async fn the_workbook_has_its_sheets_headers_dates_and_amounts() {
    for db in TestDb::all().await {
        let (store, settings) = (db.store().await, db.settings());
        portfolio(&store, &settings).await;
        let bytes = workbook(&store, &settings, &ExportScope::All, now(), Lang::ZhCn)
            .await
            .unwrap();
        assert_eq!(
            sheet_names(&bytes),
            ["项目", "节点", "周报", "问题"],
            "{}",
            db.label
        );

        let ps = sheet(&bytes, "项目");
        assert_eq!(
            headers(&ps),
            [
                "项目编号",
                "项目名称",
                "业主单位",
                "园区",
                "产业链",
                "阶段",
                "总投资（万元）",
                "年度计划投资（万元）",
                "联络员",
                "责任领导",
                "最近周报（周次）",
                "最近进度（%）",
                "累计完成投资（万元）",
                "未解决问题（个）",
                "状态",
            ]
        );
        assert_eq!(codes(&ps, "项目编号").len(), 6);
        let p2 = row(&ps, "项目编号", "P2026-002");
        assert_eq!(p2[5], Data::String("在建".into()));
        assert_eq!(p2[6], Data::Float(35_000.0), "3.5亿 in 万元, a number");
        assert_eq!(p2[10], Data::String("2026-W48".into()));
        assert_eq!(p2[11], Data::Float(65.0));
        assert_eq!(p2[12], Data::Float(32_000.0));
        assert_eq!(p2[13], Data::Float(2.0));
        assert_eq!(p2[14], Data::String("临期（剩 8 天）".into()));
        let p3 = row(&ps, "项目编号", "P2026-003");
        assert_eq!(p3[14], Data::String("逾期 17 天".into()));
        assert_eq!(p3[8], Data::String("王强".into()));

        let ms = sheet(&bytes, "节点");
        assert_eq!(
            headers(&ms)[..5],
            ["项目编号", "项目名称", "节点", "原承诺日期", "现承诺日期"]
        );
        assert_eq!(codes(&ms, "项目编号").len(), 14);
        let start = ms
            .rows()
            .find(|r| r[0] == "P2026-003" && r[2] == "开工")
            .unwrap()
            .to_vec();
        assert_eq!(date_of(&start[3]), d(2026, 10, 15));
        assert_eq!(date_of(&start[4]), d(2026, 11, 10));
        assert_eq!(start[5], Data::Float(1.0), "one revision");
        assert_eq!(start[6], Data::Empty);
        assert_eq!(start[8], Data::Float(17.0), "days late");

        let rs = sheet(&bytes, "周报");
        assert_eq!(
            codes(&rs, "项目编号"),
            ["P2026-001", "P2026-002", "P2026-004", "P2026-003"],
            "newest week first, then by code"
        );
        let late = row(&rs, "项目编号", "P2026-001");
        assert!(matches!(late[3], Data::DateTime(_)), "{:?}", late[3]);
        assert_eq!(late[10], Data::String("是".into()));
        let p2 = row(&rs, "项目编号", "P2026-002");
        assert_eq!(p2[6], Data::Float(1_200.0));
        assert_eq!(p2[8], Data::String("主体结构施工".into()));

        let qs = sheet(&bytes, "问题");
        assert_eq!(codes(&qs, "项目编号").len(), 4);
        let first = row(&qs, "项目编号", "P2026-003");
        assert_eq!(date_of(&first[3]), d(2026, 11, 2));
        assert_eq!(first[4], Data::String("未解决".into()));
        assert_eq!(first[5], Data::Float(25.0));
        assert_eq!(
            first[6],
            Data::String("是".into()),
            "open 25 days ≥ 14: escalated"
        );

        let en = workbook(&store, &settings, &ExportScope::All, now(), Lang::En)
            .await
            .unwrap();
        assert_eq!(
            sheet_names(&en),
            ["Projects", "Milestones", "Reports", "Problems"]
        );
        let ps = sheet(&en, "Projects");
        assert_eq!(headers(&ps)[6], "Investment (10,000 yuan)");
        assert_eq!(
            row(&ps, "Code", "P2026-001")[5],
            Data::String("under construction".into())
        );
        // As of a given instant the workbook is the same file each time.
        let again = workbook(&store, &settings, &ExportScope::All, now(), Lang::En)
            .await
            .unwrap();
        assert_eq!(again, en);
    }
}

/// A project with no pledge yet, a leader and an annual plan: the rows the
/// example lacks.
async fn add_unpledged(store: &Store) {
    let p = Project {
        id: 0,
        code: "P2026-099".into(),
        name: "储备项目, 含逗号".into(),
        owner_org: "某储备公司".into(),
        zone: String::new(),
        industry_chain: "新材料".into(),
        stage: Stage::Signed,
        investment: 123_456_789,
        liaison_name: String::new(),
        leader: "李副区长".into(),
        annual_plan: Some(30_000_000),
        active: true,
    };
    projects::insert(&mut store.conn().await.unwrap(), &p, sh(2026, 11, 25, 8, 0))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_long_csv_imports_again_without_changing_anything() {
    for db in TestDb::all().await {
        let (store, settings) = (db.store().await, db.settings());
        portfolio(&store, &settings).await;
        add_unpledged(&store).await;
        for lang in [Lang::ZhCn, Lang::En] {
            let bytes = long_csv(&store, &settings, &ExportScope::All, now(), lang)
                .await
                .unwrap();
            let text = std::str::from_utf8(&bytes).unwrap();
            let header = match lang {
                Lang::ZhCn => {
                    "\u{FEFF}项目编号,项目名称,业主单位,阶段,投资额,节点,承诺日期,完成日期,园区,产业链,联络员,责任领导,年度计划投资\n"
                }
                Lang::En => {
                    "\u{FEFF}code,name,owner,stage,investment,milestone,pledged,actual,zone,industry,liaison,leader,annual_plan\n"
                }
            };
            assert!(text.starts_with(header), "{text}");
            assert_eq!(text.lines().count(), 1 + 14 + 1, "{text}");
            if lang == Lang::ZhCn {
                assert!(
                    text.contains("P2026-003,生物医药研发中心,某生物医药公司,落地,80000000,开工,2026-11-10,,生物园,生物医药,王强,,\n"),
                    "the pledge in force, in yuan: {text}"
                );
                assert!(text.contains("P2026-004,冷链物流中心,某物流公司,签约,20000000,土地摘牌,2026-11-20,2026-11-23,"));
                assert!(text.contains("P2026-099,\"储备项目, 含逗号\",某储备公司,签约,123456789,,,,,新材料,,李副区长,30000000\n"));
            }
            let before = dump(&store).await;
            let summary = import_csv(
                &store,
                &bytes,
                "export.csv",
                sh(2026, 11, 28, 9, 0),
                SHANGHAI,
            )
            .await
            .unwrap();
            let s = (
                summary.projects_created,
                summary.projects_updated,
                summary.milestones_created,
                summary.milestones_revised,
                summary.milestones_completed,
            );
            assert_eq!(s, (0, 0, 0, 0, 0), "{} {lang}: {summary}", db.label);
            assert_eq!(
                (summary.projects_unchanged, summary.milestones_unchanged),
                (7, 14)
            );
            assert_eq!(dump(&store).await, before, "{} {lang}", db.label);
        }
    }
}

#[tokio::test]
async fn a_liaisons_scope_holds_only_their_projects() {
    for db in TestDb::all().await {
        let (store, settings) = (db.store().await, db.settings());
        portfolio(&store, &settings).await;
        let mut conn = store.conn().await.unwrap();
        let mut ids = Vec::new();
        for code in ["P2026-001", "P2026-004"] {
            ids.push(
                projects::by_code(&mut conn, code)
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
            );
        }
        drop(conn);
        let scope = ExportScope::Projects(ids);
        let bytes = workbook(&store, &settings, &scope, now(), Lang::ZhCn)
            .await
            .unwrap();
        let mine = ["P2026-001", "P2026-004"];
        assert_eq!(codes(&sheet(&bytes, "项目"), "项目编号"), mine);
        let ms = codes(&sheet(&bytes, "节点"), "项目编号");
        assert_eq!(ms.len(), 5, "{ms:?}");
        assert!(ms.iter().all(|c| mine.contains(&c.as_str())), "{ms:?}");
        assert_eq!(codes(&sheet(&bytes, "周报"), "项目编号"), mine);
        assert_eq!(codes(&sheet(&bytes, "问题"), "项目编号"), ["P2026-001"]);
        let csv = long_csv(&store, &settings, &scope, now(), Lang::ZhCn)
            .await
            .unwrap();
        let text = String::from_utf8(csv).unwrap();
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 5);
        assert!(
            rows.iter().all(|r| mine.iter().any(|c| r.starts_with(c))),
            "{text}"
        );
    }
}

fn stdout_ok(db: &TestDb, out: Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {err}", db.label);
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_command_writes_xlsx_or_csv_and_refuses_other_names() {
    for db in TestDb::all().await {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| duban(&db, dir.path(), args);
        std::fs::write(dir.path().join("v1.csv"), EXAMPLE_CSV).unwrap();
        stdout_ok(&db, run(&["import", "v1.csv", "--now", "2026-11-25 08:00"]));
        let at = ["--now", "2026-11-27 16:00"];

        let out = stdout_ok(&db, run(&[&["export", "out.xlsx"][..], &at].concat()));
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(
            out.starts_with("out.xlsx：已导出 6 个项目、14 个节点"),
            "{out}"
        );
        let bytes = std::fs::read(dir.path().join("out.xlsx")).unwrap();
        assert_eq!(sheet_names(&bytes), ["项目", "节点", "周报", "问题"]);

        let en = [&["export", "en.xlsx", "--lang", "en"][..], &at].concat();
        let out = stdout_ok(&db, run(&en));
        assert!(
            out.starts_with("en.xlsx: exported 6 projects, 14 milestones"),
            "{out}"
        );
        let bytes = std::fs::read(dir.path().join("en.xlsx")).unwrap();
        assert_eq!(
            sheet_names(&bytes),
            ["Projects", "Milestones", "Reports", "Problems"]
        );

        let out = stdout_ok(&db, run(&[&["export", "out.csv"][..], &at].concat()));
        assert!(
            out.starts_with("out.csv：已导出 6 个项目、14 个节点"),
            "{out}"
        );
        let store = db.store().await;
        let before = dump(&store).await;
        let out = stdout_ok(
            &db,
            run(&["import", "out.csv", "--now", "2026-11-28 09:00"]),
        );
        assert!(
            out.contains("projects: 0 created, 0 updated, 6 unchanged; milestones: 0 created, 0 revised, 0 completed, 14 unchanged"),
            "{out}"
        );
        assert_eq!(dump(&store).await, before, "{}", db.label);

        let out = run(&["export", "out.txt"]);
        assert_eq!(out.status.code(), Some(1), "{}", db.label);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("out.txt") && err.contains(".xlsx") && err.contains(".csv"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
        assert!(!dir.path().join("out.txt").exists());
        store.close().await;
    }
}

const PLEDGE_SHEET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pledge-sheet.xlsx");

/// The sample's header and rows as the sheet shows them: blank project
/// cells continue the project above; the amounts (column 4, in 万元) are
/// written as numbers and the dates (columns 6 and 7) as date cells.
const SAMPLE_HEADER: [&str; 11] = [
    "项目编号",
    "项目名称",
    "业主单位",
    "阶段",
    "总投资（万元）",
    "节点",
    "承诺日期",
    "完成日期",
    "园区",
    "产业链",
    "联络员",
];
#[rustfmt::skip]
const SAMPLE: [[&str; 11]; 7] = [
    ["S2026-001", "新材料产业园", "某新材料公司", "在建", "60000", "开工", "2026-04-01", "2026-03-28", "高新园", "新材料", "张伟"],
    ["", "", "", "", "", "主体封顶", "2026-12-20", "", "", "", ""],
    ["", "", "", "", "", "竣工", "2027-08-31", "", "", "", ""],
    ["S2026-002", "智慧仓储中心", "某供应链公司", "签约", "15000", "土地摘牌", "2026-12-15", "", "物流园", "现代物流", "李娜"],
    ["", "", "", "", "", "开工", "2027-03-31", "", "", "", ""],
    ["S2026-003", "医疗器械生产基地", "某医疗器械公司", "落地", "32000", "开工", "2027-01-15", "", "生物园", "生物医药", "王强"],
    ["", "", "", "", "", "投产", "2028-06-30", "", "", "", ""],
];

/// `examples/pledge-sheet.xlsx`: a sample pledge sheet as an office keeps
/// one: a title row, the header, three projects, each project's cells on
/// its first row only, dates as date cells, amounts in 万元.
fn pledge_sheet() -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // A fixed date keeps the file the same each time it is generated.
    let created = ExcelDateTime::from_ymd(2026, 12, 1)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let bold = Format::new().set_bold();
    let ws = book.add_worksheet();
    ws.set_name("军令状")?;
    ws.merge_range(0, 0, 0, 10, "2026年重点项目军令状（示例）", &bold)?;
    for (col, h) in SAMPLE_HEADER.iter().enumerate() {
        ws.write_string_with_format(1, col as u16, *h, &bold)?;
    }
    for (i, cells) in SAMPLE.iter().enumerate() {
        let r = i as u32 + 2;
        for (col, text) in cells.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
            let c = col as u16;
            match col {
                4 => ws.write_number(r, c, text.parse::<f64>().unwrap())?,
                6 | 7 => {
                    let day: NaiveDate = text.parse().unwrap();
                    ws.write_datetime_with_format(r, c, day, &date)?
                }
                _ => ws.write_string(r, c, *text)?,
            };
        }
    }
    for (col, width) in [(1, 18), (2, 16), (4, 14), (5, 10), (6, 12), (7, 12)] {
        ws.set_column_width(col, width)?;
    }
    ws.set_freeze_panes(2, 0)?;
    book.save_to_buffer()
}

/// Writes `examples/pledge-sheet.xlsx`; run by hand after changing the
/// sample: `cargo test --test it export::generate_pledge_sheet -- --ignored`.
#[test]
#[ignore = "writes examples/pledge-sheet.xlsx"]
fn generate_pledge_sheet() {
    std::fs::write(PLEDGE_SHEET, pledge_sheet().unwrap()).unwrap();
}

#[tokio::test]
async fn the_sample_pledge_sheet_imports() {
    let bytes = std::fs::read(PLEDGE_SHEET)
        .expect("examples/pledge-sheet.xlsx (generate_pledge_sheet writes it)");
    assert_eq!(
        bytes,
        pledge_sheet().unwrap(),
        "the sample is what generate_pledge_sheet writes"
    );
    let db = TestDb::sqlite();
    let store = db.store().await;
    let summary = import_file(&store, &bytes, "pledge-sheet.xlsx", None, now(), SHANGHAI)
        .await
        .unwrap();
    assert_eq!(
        (
            summary.projects_created,
            summary.milestones_created,
            summary.milestones_completed
        ),
        (3, 7, 0),
        "{summary}"
    );
    let mut conn = store.conn().await.unwrap();
    let p = projects::by_code(&mut conn, "S2026-001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.investment, p.stage, p.liaison_name.as_str()),
        (600_000_000, Stage::Construction, "张伟")
    );
}
