//! Pledge sheets through the chat, end to end through the simulator: a
//! liaison sends the sample workbook privately (`getFile`, then the file
//! URL) and gets the import's summary; a broken sheet gets its rows named
//! and writes nothing; strangers, and files over 20 MB, are refused;
//! `/export` answers with the workbook as a document, which `calamine`
//! reads back with the asker's projects.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use tgsim::{BotApiSim, Sent};

use crate::bot::{
    ADMIN, GROUP, LEAD_CHAT, LIAISON, Running, STRANGER, appoint, ask, reply_to, setup_project,
    world,
};
use crate::helpers::{TestDb, dump, portfolio_rows};

const SAMPLE: &[u8] = include_bytes!("../../examples/pledge-sheet.xlsx");

/// Sends `bytes` as a document in `from`'s private chat; the bot's answer.
async fn send_sheet(sim: &BotApiSim, from: i64, name: &str, bytes: &[u8]) -> Sent {
    let p = sim.push_document(from, from, name, bytes, "");
    reply_to(sim, from, p.message_id).await
}

/// The project codes on a workbook's 项目 sheet, below its header.
fn workbook_codes(bytes: Vec<u8>) -> Vec<String> {
    let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes)).expect("a workbook");
    assert_eq!(wb.sheet_names(), ["项目", "节点", "周报", "问题"]);
    let range = wb.worksheet_range("项目").expect("the 项目 sheet");
    let mut rows = range.rows();
    assert_eq!(rows.next().unwrap()[0], Data::String("项目编号".into()));
    rows.map(|r| r[0].to_string()).collect()
}

#[tokio::test]
async fn a_liaison_sends_the_pledge_sheet_privately_and_gets_what_it_changed() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        let r = send_sheet(&sim, LIAISON, "承诺表.xlsx", SAMPLE).await;
        assert!(
            r.text.starts_with("已导入 承诺表.xlsx：项目新建 "),
            "{}\n{:?}",
            r.text,
            sim.errors()
        );
        assert!(!r.text.contains("项目新建 0、"), "{}", r.text);
        assert!(
            sim.requests().iter().any(|(m, _)| m == "getFile"),
            "the file was fetched through getFile"
        );
        let store = db.store().await;
        let after_first = portfolio_rows(&dump(&store).await);
        assert!(!after_first.is_empty(), "{}", db.label);
        // The same sheet again changes nothing, and says so.
        let r = send_sheet(&sim, LIAISON, "承诺表.xlsx", SAMPLE).await;
        assert!(r.text.contains("项目新建 0、更新 0、"), "{}", r.text);
        assert!(
            r.text.contains("节点新建 0、调整 0、完成 0、"),
            "{}",
            r.text
        );
        assert_eq!(portfolio_rows(&dump(&store).await), after_first);
        store.close().await;
        bot.stop().await;
    }
}

#[tokio::test]
async fn a_broken_sheet_names_its_rows_and_a_strangers_or_an_oversized_one_is_refused() {
    let broken = "项目编号,项目名称,业主单位,阶段,投资额,节点,承诺日期\n\
                  B1,甲,某公司,在建,1亿,开工,2026-12-01\n\
                  B2,乙,某公司,在建中,1亿,开工,2026-12-01\n\
                  B3,丙,某公司,在建,1亿,开工,明年\n";
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        let store = db.store().await;
        let before = portfolio_rows(&dump(&store).await);
        let r = send_sheet(&sim, LIAISON, "坏表.csv", broken.as_bytes()).await;
        assert!(
            r.text.starts_with("坏表.csv 未导入，什么都没有改动。"),
            "{}",
            r.text
        );
        assert!(
            r.text.contains("line 3: unknown stage '在建中'"),
            "{}",
            r.text
        );
        assert!(r.text.contains("line 4: pledged: '明年'"), "{}", r.text);
        assert_eq!(portfolio_rows(&dump(&store).await), before, "{}", db.label);

        let r = send_sheet(&sim, STRANGER, "承诺表.xlsx", SAMPLE).await;
        assert_eq!(r.text, "抱歉，只有管理员和本项目联络员可以使用这个命令。");
        let huge = vec![b'x'; 21 * 1024 * 1024];
        let r = send_sheet(&sim, ADMIN, "大表.xlsx", &huge).await;
        assert!(r.text.contains("超过了 20 MB 的上限"), "{}", r.text);
        assert_eq!(portfolio_rows(&dump(&store).await), before, "{}", db.label);
        // A file shared in a project group is the group's, not a sheet for
        // the bot: no answer, nothing imported (the next reply is to /help).
        setup_project(&sim).await;
        let with_p1 = portfolio_rows(&dump(&store).await);
        sim.push_document(GROUP, ADMIN, "承诺表.xlsx", SAMPLE, "");
        let r = ask(&sim, GROUP, ADMIN, "/help").await;
        assert!(r.text.contains("督办机器人"), "{}", r.text);
        assert!(!sim.sent_to(GROUP).iter().any(|s| s.text.contains("已导入")));
        assert_eq!(portfolio_rows(&dump(&store).await), with_p1, "{}", db.label);
        store.close().await;
        bot.stop().await;
    }
}

#[tokio::test]
async fn export_answers_with_the_askers_workbook_as_a_document() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        setup_project(&sim).await;
        appoint(&sim, GROUP, LIAISON, "/setliaison").await;
        let r = send_sheet(&sim, ADMIN, "承诺表.xlsx", SAMPLE).await;
        assert!(r.text.starts_with("已导入"), "{}", r.text);

        // The liaison, privately: their own project only.
        let r = ask(&sim, LIAISON, LIAISON, "/export").await;
        assert_eq!(r.method, "sendDocument", "{r:#?}");
        assert_eq!(r.file_name.as_deref(), Some("duban-2026-W48.xlsx"));
        assert!(r.text.contains("已导出 1 个项目"), "{}", r.text);
        let bytes = sim.file_content(r.file_id.as_deref().unwrap()).unwrap();
        assert_eq!(workbook_codes(bytes), ["P1"]);

        // A leadership chat: every project.
        let r = ask(&sim, LEAD_CHAT, ADMIN, "/export").await;
        assert_eq!(r.method, "sendDocument", "{r:#?}");
        let codes = workbook_codes(sim.file_content(r.file_id.as_deref().unwrap()).unwrap());
        assert!(
            codes.len() > 1 && codes.contains(&"P1".to_string()),
            "{codes:?}"
        );

        // Anyone else, privately, is refused; a project group is no place
        // for the workbook.
        let r = ask(&sim, STRANGER, STRANGER, "/export").await;
        assert_eq!(r.text, "抱歉，只有管理员和本项目联络员可以使用这个命令。");
        let r = ask(&sim, GROUP, ADMIN, "/export").await;
        assert_eq!(r.text, "这个命令不能在这里使用。");
        bot.stop().await;
    }
}

#[tokio::test]
async fn a_pledge_to_a_month_is_shown_as_the_month_in_the_chat() {
    for db in TestDb::all().await {
        let sim = world().await;
        let bot = Running::start(&db, &sim).await;
        setup_project(&sim).await;
        let r = ask(&sim, GROUP, ADMIN, "/pledge\n入库 2027年3月").await;
        assert!(r.text.contains("入库 2027年3月"), "{}", r.text);
        let r = ask(&sim, GROUP, ADMIN, "/pledge\n入库 2027-04").await;
        assert!(r.text.contains("2027年4月"), "{}", r.text);
        assert!(
            r.text.contains("2027年3月"),
            "the revision names the month it replaces: {}",
            r.text
        );
        let r = ask(&sim, GROUP, ADMIN, "/status").await;
        assert!(
            r.text.contains("入库 · 承诺 2027年4月（原承诺 2027年3月）"),
            "{}",
            r.text
        );
        assert!(!r.text.contains("2027-04-30"), "{}", r.text);
        bot.stop().await;
    }
}
