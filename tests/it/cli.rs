//! The `duban` binary from outside, as users and their scripts run it:
//! flags, exit codes, stdout and stderr, on SQLite and (when reachable)
//! PostgreSQL.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::helpers::{EXAMPLE_CSV, TestDb, dump, revised_csv};

struct Cli<'a> {
    db: &'a TestDb,
    dir: tempfile::TempDir,
}

impl<'a> Cli<'a> {
    fn new(db: &'a TestDb) -> Self {
        Cli {
            db,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str, content: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_duban"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("DUBAN__DATABASE__URL", &self.db.url)
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn duban");
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(pipe);
        child.wait_with_output().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, None, &[])
    }

    /// Runs and expects success; returns stdout.
    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run_with(args, stdin, &[]);
        assert!(
            out.status.success(),
            "{} {args:?} failed: {}",
            self.db.label,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The week of 2026-11-23: a slipped pledge (P2026-003), a milestone done
/// late this week (P2026-004), one late report (P2026-001), a problem open
/// for 25 days (raised by a report of week 45).
fn scenario(cli: &Cli) {
    let v1 = cli.file("v1.csv", EXAMPLE_CSV);
    let v2 = cli.file("v2.csv", &revised_csv());
    let out = cli.ok(&["import", &v1, "--now", "2026-11-25 08:00"], None);
    assert!(out.contains("6 created"), "{out}");
    let out = cli.ok(&["import", &v2, "--now", "2026-11-25 09:00"], None);
    assert!(out.contains("1 revised"), "{out}");
    cli.ok(
        &["report", "P2026-003", "--now", "2026-11-02 10:00"],
        Some("进度: 5%\n问题: 环评批复未下达"),
    );
    let report = cli.file(
        "r.txt",
        "进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n本周完成: 主体结构施工\n问题: 临时用电未接通; 施工许可证审批延迟",
    );
    cli.ok(
        &[
            "report",
            "P2026-002",
            "--file",
            &report,
            "--now",
            "2026-11-25 10:00",
        ],
        None,
    );
    cli.ok(
        &["report", "P2026-004", "--now", "2026-11-24 11:00"],
        Some("progress: 10\ndone: 土地摘牌 2026-11-23"),
    );
    let late = cli.ok(
        &[
            "report",
            "P2026-001",
            "--now",
            "2026-11-26 19:00",
            "--lang",
            "en",
        ],
        Some("进度: 40%\n问题: 用地指标未落实"),
    );
    assert!(late.contains("marked late"), "{late}");
}

const EXPECTED_EN: &str = "\
Weekly bulletin · week 48 of 2026 (23 Nov – 29 Nov)
As of 2026-11-27 16:00

1. Portfolio
  6 projects: signed 1, landed 1, under construction 2, in production 1, registered 1
  Planned investment CNY 4.27 bn; 4 projects of 100 million yuan or more, 2 of 1 billion or more
  started 75% · milestones on time 63% · reports in 50% · investment this year - of plan (year gone 91%)
  lights: red 1 · yellow 3 · green 2

2. Weekly reports (received 3 of 6, 1 late)
  Missing: P2026-003 生物医药研发中心; P2026-005 光伏组件项目; P2026-006 城市数据中心

3. Overdue milestones (1)
  P2026-003 生物医药研发中心 · 开工 · pledged 2026-11-10 (originally 2026-10-15) · 17 days overdue · liaison 王强

4. Milestones at risk (due within 14 days, 1)
  P2026-002 智能装备产业园 · 主体封顶 · pledged 2026-12-05 · 8 days left · liaison 李娜

5. Milestones completed this week (2)
  P2026-004 冷链物流中心 · 土地摘牌 · 2026-11-23 (3 days after the pledge)
  P2026-005 光伏组件项目 · 投产 · 2026-11-25 (on time)

6. Problems (raised this week 3 · resolved this week 0 · open 4 · escalated 1)
  #1 P2026-003 生物医药研发中心 · 环评批复未下达 (open 25 days)

7. Bottom-ranked projects (schedule performance)
  1. P2026-003 生物医药研发中心 · score 0 · 1 milestones due: 0 on time, 0 late, 1 overdue (17 days in all)
  2. P2026-002 智能装备产业园 · score 50 · 1 milestones due: 0 on time, 1 late, 0 overdue (0 days in all)
  3. P2026-004 冷链物流中心 · score 50 · 1 milestones due: 0 on time, 1 late, 0 overdue (0 days in all)
";

#[tokio::test]
async fn bulletin_figures_after_import_revision_and_reports() {
    for db in TestDb::all().await {
        let cli = Cli::new(&db);
        scenario(&cli);
        let en = cli.ok(
            &[
                "bulletin",
                "--dry-run",
                "--now",
                "2026-11-27 16:00",
                "--lang",
                "en",
            ],
            None,
        );
        assert_eq!(en, EXPECTED_EN, "{}", db.label);
        // RFC 3339 names the same instant.
        let rfc = cli.ok(
            &[
                "bulletin",
                "--dry-run",
                "--now",
                "2026-11-27T08:00:00Z",
                "--lang",
                "en",
            ],
            None,
        );
        assert_eq!(rfc, EXPECTED_EN);
        let zh = cli.ok(
            &["bulletin", "--dry-run", "--now", "2026-11-27 16:00"],
            None,
        );
        for needle in [
            "督办周动态 · 2026年第48周（11月23日—11月29日）",
            "共 6 个项目：签约 1 · 落地 1 · 在建 2 · 投产 1 · 入库 1",
            "计划总投资 42.7亿元；亿元以上项目 4 个，十亿元以上项目 2 个",
            "二、周报报送（已报 3/应报 6，迟报 1）",
            "承诺 2026-11-10（原承诺 2026-10-15） · 逾期 17 天 · 联络员 王强",
            "土地摘牌 · 2026-11-23（晚于承诺 3 天）",
            "六、问题（本周新增 3 · 本周解决 0 · 未解决 4 · 已升级 1）",
        ] {
            assert!(zh.contains(needle), "{}: missing {needle}\n{zh}", db.label);
        }
        // The week before: none of this week's reports count.
        let before = cli.ok(
            &[
                "bulletin",
                "--dry-run",
                "--now",
                "2026-11-20 16:00",
                "--lang",
                "en",
            ],
            None,
        );
        assert!(
            before.contains("2. Weekly reports (received 0 of 6, 0 late)"),
            "{before}"
        );
    }
}

#[tokio::test]
async fn status_shows_one_project_or_the_portfolio() {
    for db in TestDb::all().await {
        let cli = Cli::new(&db);
        scenario(&cli);
        let one = cli.ok(
            &[
                "status",
                "P2026-003",
                "--now",
                "2026-11-27 16:00",
                "--lang",
                "en",
            ],
            None,
        );
        assert!(
            one.starts_with("P2026-003 生物医药研发中心 (landed)\n"),
            "{one}"
        );
        assert!(
            one.contains("开工 · pledged 2026-11-10 (originally 2026-10-15) · overdue 17 days"),
            "{one}"
        );
        assert!(one.contains("Latest report: 2026-W45"), "{one}");
        // Red for the escalated problem and three silent weeks; the
        // overdue milestone, not yet 30 days, is the yellow reason after.
        assert!(
            one.contains(
                "\nLight: red (problem #1 open 25 days; no report for 3 weeks; 开工 17 days overdue)\n"
            ),
            "{one}"
        );
        assert!(
            one.contains("#1 环评批复未下达 (open 25 days, escalated)"),
            "{one}"
        );
        let all = cli.ok(
            &["status", "--now", "2026-11-27 16:00", "--lang", "en"],
            None,
        );
        assert_eq!(all.lines().count(), 7, "{all}");
        assert!(all.contains("P2026-002 智能装备产业园 · under construction · next: 主体封顶 2026-12-05 · at risk (8 days left) · reported this week (progress 65%) · open problems 2"), "{all}");
        let unknown = cli.run(&["status", "NOPE"]);
        assert_eq!(unknown.status.code(), Some(1));
        assert!(stderr(&unknown).contains("没有编号为 NOPE 的项目"));
    }
}

#[tokio::test]
async fn bad_input_gets_a_precise_message_and_changes_nothing() {
    for db in TestDb::all().await {
        let cli = Cli::new(&db);
        scenario(&cli);
        let store = db.store().await;
        let before = dump(&store).await;

        let mut bad_csv = revised_csv().replace("2026-11-10", "2026-11-12");
        bad_csv.push_str("P2026-100,坏项目,某公司,签约,很多钱,开工,2027-01-01,,,,\n");
        let bad = cli.file("bad.csv", &bad_csv);
        let out = cli.run(&["import", &bad, "--now", "2026-11-27 10:00"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out)
                .contains("nothing imported\nline 16: investment: '很多钱' is not an amount"),
            "{}",
            stderr(&out)
        );

        let out = cli.run_with(
            &["report", "P2026-005", "--now", "2026-11-27 10:00"],
            Some("进度: 50%\n累计投资: 3..2亿"),
            &[],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).starts_with("第 2 行「累计投资: 3..2亿」有误"),
            "{}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("本次周报未记录"));

        let out = cli.run(&["bulletin", "--dry-run", "--now", "next friday"]);
        assert_ne!(out.status.code(), Some(0));
        assert!(
            stderr(&out).contains("--now: 'next friday' is not a time"),
            "{}",
            stderr(&out)
        );

        let out = cli.run_with(&["status"], None, &[("DUBAN__WARNING_DAYS", "soon")]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("warning_days"), "{}", stderr(&out));

        let out = cli.run_with(&["status"], None, &[("DUBAN__TIMEZONE", "Mars/Base")]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("`timezone`"), "{}", stderr(&out));

        let out = cli.run(&["status", "--lang", "fr"]);
        assert_ne!(out.status.code(), Some(0));
        assert!(stderr(&out).contains("--lang"), "{}", stderr(&out));

        let out = cli.run(&["import", "/nonexistent.csv"]);
        assert_ne!(out.status.code(), Some(0));
        assert!(
            stderr(&out).contains("reading /nonexistent.csv"),
            "{}",
            stderr(&out)
        );

        // Posting needs the bot's token; without one nothing is claimed.
        let out = cli.run(&["bulletin", "--now", "2026-11-27 16:00"]);
        assert_ne!(out.status.code(), Some(0));
        assert!(stderr(&out).contains("no bot token"), "{}", stderr(&out));

        assert_eq!(dump(&store).await, before, "{}", db.label);
    }
}

#[test]
fn a_missing_config_file_is_named() {
    let db = TestDb::sqlite();
    let cli = Cli::new(&db);
    let out = cli.run(&["--config", "/nonexistent/local.toml", "status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/local.toml"));
}

#[test]
fn a_local_config_file_is_layered_over_the_defaults() {
    let db = TestDb::sqlite();
    let cli = Cli::new(&db);
    let cfg = cli.file("local.toml", "locale = \"en\"\nwarning_days = 30\n");
    let csv = cli.file("p.csv", EXAMPLE_CSV);
    cli.ok(
        &[
            "--config",
            &cfg,
            "import",
            &csv,
            "--now",
            "2026-11-25 08:00",
        ],
        None,
    );
    let out = cli.ok(
        &[
            "--config",
            &cfg,
            "bulletin",
            "--dry-run",
            "--now",
            "2026-11-27 16:00",
        ],
        None,
    );
    assert!(
        out.contains("4. Milestones at risk (due within 30 days, 1)"),
        "{out}"
    );
}
