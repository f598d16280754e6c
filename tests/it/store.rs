//! Store and services against real databases: every test body runs on SQLite
//! and, when reachable, on PostgreSQL.

use chrono::NaiveDate;
use duban::domain::model::{Project, Stage};
use duban::domain::report::ReportErrorKind;
use duban::domain::time::ReportingWeek;
use duban::service::import::{ImportError, import_csv};
use duban::service::portfolio;
use duban::service::reports::{SubmitError, submit};
use duban::store::{milestones, problems, projects, reports};

use crate::helpers::{EXAMPLE_CSV, TestDb, dump, revised_csv, sh};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The example portfolio (`examples/portfolio.csv`) imported as of `at`.
async fn import_example(
    store: &duban::store::Store,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<duban::service::import::ImportSummary, ImportError> {
    import_csv(store, EXAMPLE_CSV.as_bytes(), "portfolio.csv", at, SHANGHAI).await
}

const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

#[tokio::test]
async fn migrations_are_idempotent_and_projects_round_trip() {
    for db in TestDb::all().await {
        let store = db.store().await;
        store.migrate().await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let mut p = Project {
            id: 0,
            code: "X-1".into(),
            name: "测试项目".into(),
            owner_org: "Owner".into(),
            zone: "Z".into(),
            industry_chain: "I".into(),
            stage: Stage::Landed,
            investment: 9_000_000_000_000,
            liaison_name: "张伟".into(),
            leader: String::new(),
            annual_plan: None,
            active: true,
        };
        p.id = projects::insert(&mut conn, &p, sh(2026, 11, 1, 9, 0))
            .await
            .unwrap();
        assert_eq!(
            projects::by_code(&mut conn, "X-1").await.unwrap(),
            Some(p.clone()),
            "{}",
            db.label
        );
        assert!(
            projects::insert(&mut conn, &p, sh(2026, 11, 1, 9, 0))
                .await
                .is_err(),
            "{}: duplicate code accepted",
            db.label
        );
        p.stage = Stage::Construction;
        projects::update(&mut conn, &p, sh(2026, 11, 2, 9, 0))
            .await
            .unwrap();
        assert_eq!(
            projects::by_code(&mut conn, "X-1")
                .await
                .unwrap()
                .unwrap()
                .stage,
            Stage::Construction
        );
    }
}

#[tokio::test]
async fn a_revised_pledge_keeps_its_original_and_history() {
    for db in TestDb::all().await {
        let store = db.store().await;
        import_example(&store, sh(2026, 11, 26, 10, 0))
            .await
            .unwrap();
        let summary = import_csv(
            &store,
            revised_csv().as_bytes(),
            "v2",
            sh(2026, 11, 26, 11, 0),
            SHANGHAI,
        )
        .await
        .unwrap();
        assert_eq!(
            (summary.milestones_revised, summary.milestones_unchanged),
            (1, 13),
            "{}",
            db.label
        );
        let mut conn = store.pool().acquire().await.unwrap();
        let p = projects::by_code(&mut conn, "P2026-003")
            .await
            .unwrap()
            .unwrap();
        let ms = milestones::of_project(&mut conn, p.id).await.unwrap();
        let start = ms.iter().find(|m| m.name == "开工").unwrap();
        assert_eq!(
            (start.pledged_original, start.pledged),
            (d(2026, 10, 15), d(2026, 11, 10))
        );
        let history = milestones::revisions(&mut conn, start.id).await.unwrap();
        let dates: Vec<_> = history
            .iter()
            .map(|r| (r.pledged, r.source.as_str()))
            .collect();
        assert_eq!(
            dates,
            vec![
                (d(2026, 10, 15), "import portfolio.csv"),
                (d(2026, 11, 10), "import v2")
            ]
        );
    }
}

#[tokio::test]
async fn reimporting_the_same_file_changes_nothing() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let first = import_example(&store, sh(2026, 11, 26, 10, 0))
            .await
            .unwrap();
        assert_eq!((first.projects_created, first.milestones_created), (6, 14));
        let before = dump(&store).await;
        let again = import_example(&store, sh(2026, 11, 27, 10, 0))
            .await
            .unwrap();
        assert_eq!(
            (again.projects_unchanged, again.milestones_unchanged),
            (6, 14)
        );
        assert_eq!(dump(&store).await, before, "{}", db.label);
    }
}

#[tokio::test]
async fn a_bad_row_writes_nothing_of_the_file() {
    for db in TestDb::all().await {
        let store = db.store().await;
        import_example(&store, sh(2026, 11, 26, 10, 0))
            .await
            .unwrap();
        let before = dump(&store).await;
        // A new project, a revision, and one bad row last: none of it may land.
        let mut bad = revised_csv();
        bad.push_str("P2026-099,新项目,某公司,签约,1亿,开工,2027-01-01,,,,\n");
        bad.push_str("P2026-100,坏项目,某公司,签约,很多钱,开工,2027-01-01,,,,\n");
        let err = import_csv(
            &store,
            bad.as_bytes(),
            "bad",
            sh(2026, 11, 26, 11, 0),
            SHANGHAI,
        )
        .await
        .unwrap_err();
        let ImportError::Rows(rows) = err else {
            panic!("{err}")
        };
        assert_eq!(rows.0.len(), 1);
        assert_eq!(rows.0[0].line, 17);
        assert!(
            rows.to_string().starts_with("line 17: investment:"),
            "{rows}"
        );
        assert_eq!(dump(&store).await, before, "{}", db.label);
    }
}

#[tokio::test]
async fn a_second_report_replaces_the_first_and_keeps_history() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let settings = db.settings();
        import_example(&store, sh(2026, 11, 25, 8, 0))
            .await
            .unwrap();
        let first = submit(
            &store,
            &settings,
            "P2026-002",
            "进度: 60%\n完成节点: 主体封顶 2026-11-24\n问题: 临时用电未接通; 施工许可证审批延迟",
            "owner",
            sh(2026, 11, 24, 10, 0),
        )
        .await
        .unwrap();
        assert!(!first.replaced && first.late_after.is_none());
        assert_eq!(first.problems.iter().filter(|p| !p.already_open).count(), 2);

        let second = submit(
            &store,
            &settings,
            "P2026-002",
            "进度: 62%\n问题: 临时用电未接通",
            "owner",
            sh(2026, 11, 26, 19, 0),
        )
        .await
        .unwrap();
        assert!(second.replaced, "{}", db.label);
        assert_eq!(second.late_after, Some(sh(2026, 11, 26, 18, 0)));
        assert!(second.problems[0].already_open);

        let mut conn = store.pool().acquire().await.unwrap();
        let p = projects::by_code(&mut conn, "P2026-002")
            .await
            .unwrap()
            .unwrap();
        let week: ReportingWeek = "2026-W48".parse().unwrap();
        let history = reports::history(&mut conn, p.id, week).await.unwrap();
        assert_eq!(
            history.iter().map(|r| r.progress).collect::<Vec<_>>(),
            vec![Some(60), Some(62)]
        );
        let current = reports::current_for_week(&mut conn, week).await.unwrap();
        assert_eq!(current.len(), 1);
        assert!(current[0].late);
        // The problem the correction dropped is withdrawn; the repeated one is not doubled.
        let open: Vec<_> = problems::of_project(&mut conn, p.id)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.text)
            .collect();
        assert_eq!(open, vec!["临时用电未接通"]);
        // The completion stays recorded.
        let ms = milestones::of_project(&mut conn, p.id).await.unwrap();
        assert_eq!(
            ms.iter().find(|m| m.name == "主体封顶").unwrap().actual,
            Some(d(2026, 11, 24))
        );
    }
}

#[tokio::test]
async fn a_refused_report_writes_nothing() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let settings = db.settings();
        import_example(&store, sh(2026, 11, 25, 8, 0))
            .await
            .unwrap();
        let before = dump(&store).await;
        let now = sh(2026, 11, 24, 10, 0);
        let cases = [
            ("进度: 60%\n本周投资: 12x万\n问题: 停电", Some(2)),
            ("进度: 60%\n完成节点: 不存在的节点\n问题: 停电", Some(2)),
            ("问题: 停电\n完成节点: 主体封顶 2026-12-01", Some(2)),
            ("收到", None),
        ];
        for (text, line) in cases {
            let err = submit(&store, &settings, "P2026-002", text, "owner", now)
                .await
                .unwrap_err();
            let SubmitError::Report(e) = err else {
                panic!("{err}")
            };
            assert_eq!(e.line, line, "{text}");
        }
        let err = submit(&store, &settings, "NOPE", "进度: 1", "owner", now)
            .await
            .unwrap_err();
        assert!(matches!(err, SubmitError::UnknownProject(_)));
        let err = submit(&store, &settings, "P2026-002", "完成节点: 封顶", "o", now)
            .await
            .unwrap_err();
        let SubmitError::Report(e) = err else {
            panic!()
        };
        assert!(matches!(e.kind, ReportErrorKind::UnknownMilestone { .. }));
        assert_eq!(dump(&store).await, before, "{}", db.label);
    }
}

#[tokio::test]
async fn bulletin_figures_are_the_same_on_every_backend() {
    let mut seen = Vec::new();
    for db in TestDb::all().await {
        let store = db.store().await;
        let settings = db.settings();
        import_example(&store, sh(2026, 11, 25, 8, 0))
            .await
            .unwrap();
        submit(
            &store,
            &settings,
            "P2026-001",
            "进度: 40%\n问题: 用地指标未落实",
            "o",
            sh(2026, 11, 24, 9, 0),
        )
        .await
        .unwrap();
        let b = portfolio::bulletin(&store, &settings, sh(2026, 11, 27, 16, 0))
            .await
            .unwrap();
        assert_eq!(b.project_count, 6);
        assert_eq!(b.total_investment, 4_270_000_000);
        assert_eq!((b.count_100m, b.count_1b), (4, 2));
        assert_eq!((b.reports_received, b.reports_expected), (1, 6));
        assert_eq!(b.overdue.len(), 2);
        assert_eq!(b.problems_raised, 1);
        seen.push(b);
    }
    if let [a, b] = seen.as_slice() {
        assert_eq!(a, b, "SQLite and PostgreSQL disagree");
    }
}

#[tokio::test]
async fn corrections_per_week_are_limited_and_the_refusal_writes_nothing() {
    use duban::service::reports::MAX_REPORTS_PER_WEEK;
    for db in TestDb::all().await {
        let store = db.store().await;
        let settings = db.settings();
        import_example(&store, sh(2026, 11, 25, 8, 0))
            .await
            .unwrap();
        for i in 0..MAX_REPORTS_PER_WEEK {
            let text = format!("进度: {i}");
            submit(
                &store,
                &settings,
                "P2026-001",
                &text,
                "o",
                sh(2026, 11, 25, 9, 0),
            )
            .await
            .unwrap();
        }
        let before = dump(&store).await;
        let err = submit(
            &store,
            &settings,
            "P2026-001",
            "进度: 99",
            "o",
            sh(2026, 11, 25, 10, 0),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, SubmitError::TooManyReports(n) if n == MAX_REPORTS_PER_WEEK));
        assert_eq!(dump(&store).await, before, "{}", db.label);
        // Next week is a new week.
        submit(
            &store,
            &settings,
            "P2026-001",
            "进度: 99",
            "o",
            sh(2026, 12, 1, 10, 0),
        )
        .await
        .unwrap();
    }
}

/// Telegram announces a group's upgrade twice, in the old group and in the
/// new supergroup, and the bot handles the two chats at once: whichever way
/// the two transactions interleave, the supergroup keeps the project.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_halves_of_a_group_migration_keep_the_binding() {
    use crate::helpers::tg_chat;
    use duban::domain::ids::ChatKind;
    use duban::store::chats;
    for db in TestDb::all().await {
        let store = db.store().await;
        import_example(&store, sh(2026, 11, 26, 10, 0))
            .await
            .unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let project = projects::by_code(&mut conn, "P2026-001")
            .await
            .unwrap()
            .unwrap()
            .id;
        drop(conn);
        for round in 0..200u64 {
            let (old, new) = (
                tg_chat(format!("-{}", 500 + round)),
                tg_chat(format!("-100{}", 500 + round)),
            );
            let mut tx = store.begin().await.unwrap();
            let chat = chats::upsert(&mut tx, &old, ChatKind::Group, "g")
                .await
                .unwrap();
            chats::bind(&mut tx, chat.id, project).await.unwrap();
            tx.commit().await.unwrap();
            // The second half starts a little later each round (10 µs more,
            // up to 2 ms: a whole transaction of the first), so that it
            // meets the first at every step.
            let halves: Vec<_> = [0, round * 10]
                .into_iter()
                .map(|delay_us| {
                    let (store, old, new) = (store.clone(), old.clone(), new.clone());
                    tokio::spawn(async move {
                        let until =
                            std::time::Instant::now() + std::time::Duration::from_micros(delay_us);
                        while std::time::Instant::now() < until {
                            std::hint::spin_loop();
                        }
                        let mut tx = store.begin().await.unwrap();
                        chats::migrate(&mut tx, &old, &new).await.unwrap();
                        tx.commit().await.unwrap();
                    })
                })
                .collect();
            for h in halves {
                h.await.unwrap();
            }
            let mut conn = store.pool().acquire().await.unwrap();
            let moved = chats::by_external(&mut conn, &new).await.unwrap().unwrap();
            assert_eq!(
                moved.project_id,
                Some(project),
                "{} round {round}",
                db.label
            );
            assert!(moved.active, "{} round {round}", db.label);
        }
    }
}
