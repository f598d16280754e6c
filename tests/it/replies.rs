//! Replies as owners write them, in both languages, and the figures each
//! must give: the tolerant reader takes what a liaison would read, and
//! refuses, with the line at fault, what a liaison would have to ask about.

use duban::domain::report::{Field, ParsedReport, ReportErrorKind, parse_report};

const WAN: i64 = 10_000;
const YI: i64 = 100_000_000;

/// What a reply must give; `None` where the reply says nothing of it.
#[derive(Default)]
struct Expect {
    progress: Option<u8>,
    week: Option<i64>,
    total: Option<i64>,
    done: &'static [&'static str],
    this_week: Option<&'static str>,
    next_week: Option<&'static str>,
    problems: &'static [&'static str],
    free: usize,
}

fn check(text: &str, e: &Expect) {
    let r: ParsedReport = match parse_report(text) {
        Ok(r) => r,
        Err(err) => panic!("refused {text:?}: {err}"),
    };
    assert_eq!(r.progress, e.progress, "progress of {text:?}");
    assert_eq!(
        r.invested_week, e.week,
        "this week's investment of {text:?}"
    );
    assert_eq!(
        r.invested_total, e.total,
        "cumulative investment of {text:?}"
    );
    let done: Vec<&str> = r.done.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(done, e.done, "milestones of {text:?}");
    assert_eq!(
        r.this_week.as_deref(),
        e.this_week,
        "this week's work of {text:?}"
    );
    assert_eq!(
        r.next_week.as_deref(),
        e.next_week,
        "next week's plan of {text:?}"
    );
    assert_eq!(r.problems, e.problems, "problems of {text:?}");
    assert_eq!(
        r.free_text.len(),
        e.free,
        "free text of {text:?}: {:?}",
        r.free_text
    );
}

#[test]
fn chinese_replies_give_the_figures_a_liaison_would_read() {
    let cases: Vec<(&str, Expect)> = vec![
        (
            "进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n完成节点: 开工 2026-11-18\n本周完成: 桩基施工完成80%\n下周计划: 主体结构施工\n问题: 临时用电未接通; 施工许可证审批延迟",
            Expect {
                progress: Some(65),
                week: Some(1200 * WAN),
                total: Some(32 * YI / 10),
                done: &["开工"],
                this_week: Some("桩基施工完成80%"),
                next_week: Some("主体结构施工"),
                problems: &["临时用电未接通", "施工许可证审批延迟"],
                ..Expect::default()
            },
        ),
        (
            "1. 进度：30%\n2. 本周投资：200万元\n3. 存在问题：无",
            Expect {
                progress: Some(30),
                week: Some(200 * WAN),
                ..Expect::default()
            },
        ),
        (
            "一、工程进度 45%\n二、本周完成投资 150万\n三、下步计划 设备安装",
            Expect {
                progress: Some(45),
                week: Some(150 * WAN),
                next_week: Some("设备安装"),
                ..Expect::default()
            },
        ),
        (
            "形象进度：40%（上周35%）",
            Expect {
                progress: Some(40),
                ..Expect::default()
            },
        ),
        (
            "进度：大约60％",
            Expect {
                progress: Some(60),
                ..Expect::default()
            },
        ),
        (
            "总体进度为72%",
            Expect {
                progress: Some(72),
                ..Expect::default()
            },
        ),
        (
            "完成进度-55%",
            Expect {
                progress: Some(55),
                ..Expect::default()
            },
        ),
        (
            "进度：桩基完成，整体约50%",
            Expect {
                progress: Some(50),
                ..Expect::default()
            },
        ),
        (
            "进度：完成基础施工40%，本周投资300万元，下周计划钢结构吊装，问题：施工用水未通",
            Expect {
                progress: Some(40),
                week: Some(300 * WAN),
                next_week: Some("钢结构吊装"),
                problems: &["施工用水未通"],
                ..Expect::default()
            },
        ),
        (
            "累计完成投资额：2亿元（占总投资20%）",
            Expect {
                total: Some(2 * YI),
                ..Expect::default()
            },
        ),
        (
            "已完成投资：约8000万",
            Expect {
                total: Some(8000 * WAN),
                ..Expect::default()
            },
        ),
        (
            "本周投资额：1,200万，累计投资：3.2亿",
            Expect {
                week: Some(1200 * WAN),
                total: Some(32 * YI / 10),
                ..Expect::default()
            },
        ),
        (
            "本周完成投资：５０万元",
            Expect {
                week: Some(50 * WAN),
                ..Expect::default()
            },
        ),
        (
            "【周报】\n进度：20%",
            Expect {
                progress: Some(20),
                ..Expect::default()
            },
        ),
        (
            "【新能源项目周报】进度：25%",
            Expect {
                progress: Some(25),
                ..Expect::default()
            },
        ),
        (
            "【存在问题】用电未通；用地指标未落实",
            Expect {
                problems: &["用电未通", "用地指标未落实"],
                ..Expect::default()
            },
        ),
        (
            "存在问题：1、临时用电未接通 2、环评批复未下达",
            Expect {
                problems: &["临时用电未接通", "环评批复未下达"],
                ..Expect::default()
            },
        ),
        (
            "需协调事项：①道路未通②供水管网未接入",
            Expect {
                problems: &["道路未通", "供水管网未接入"],
                ..Expect::default()
            },
        ),
        (
            "困难问题：(1)资金缺口2.5亿；(2)审批慢",
            Expect {
                problems: &["资金缺口2.5亿", "审批慢"],
                ..Expect::default()
            },
        ),
        (
            "存在问题：\n1、土地未交付\n2、规划许可未办理",
            Expect {
                problems: &["土地未交付", "规划许可未办理"],
                ..Expect::default()
            },
        ),
        (
            "问题：用电未通\n需协调解决的问题：规划调整",
            Expect {
                problems: &["用电未通", "规划调整"],
                ..Expect::default()
            },
        ),
        (
            "本周工作：\n1. 桩基施工\n2. 承台浇筑\n下周工作：主体施工",
            Expect {
                this_week: Some("1. 桩基施工\n2. 承台浇筑"),
                next_week: Some("主体施工"),
                ..Expect::default()
            },
        ),
        (
            "本周进展：厂房封顶。下周：设备进场",
            Expect {
                this_week: Some("厂房封顶"),
                next_week: Some("设备进场"),
                ..Expect::default()
            },
        ),
        (
            "- 进度：90%\n- 问题及建议：无",
            Expect {
                progress: Some(90),
                ..Expect::default()
            },
        ),
        (
            "• 进度 88%\n• 本周 完成调试",
            Expect {
                progress: Some(88),
                this_week: Some("完成调试"),
                ..Expect::default()
            },
        ),
        (
            "> 进度：15%",
            Expect {
                progress: Some(15),
                ..Expect::default()
            },
        ),
        (
            "进度：10%\n今天下雨，工地停工半天",
            Expect {
                progress: Some(10),
                free: 1,
                ..Expect::default()
            },
        ),
        (
            "进度：12%\n问题已于上周解决",
            Expect {
                progress: Some(12),
                free: 1,
                ..Expect::default()
            },
        ),
        (
            "进度：50%\n备注：1、2号楼同步施工",
            Expect {
                progress: Some(50),
                free: 1,
                ..Expect::default()
            },
        ),
        (
            "完成节点：开工 2026/11/18；主体封顶 2026年11月20日",
            Expect {
                done: &["开工", "主体封顶"],
                ..Expect::default()
            },
        ),
        (
            "进度：35%，累计投资：1.5亿元左右",
            Expect {
                progress: Some(35),
                total: Some(15 * YI / 10),
                ..Expect::default()
            },
        ),
    ];
    for (text, expect) in &cases {
        check(text, expect);
    }
    assert!(cases.len() >= 30);
}

#[test]
fn english_replies_give_the_figures_a_liaison_would_read() {
    let cases: Vec<(&str, Expect)> = vec![
        (
            "progress: 65%\ninvested_week: 12000000\ninvested_total: 320000000",
            Expect {
                progress: Some(65),
                week: Some(12_000_000),
                total: Some(320_000_000),
                ..Expect::default()
            },
        ),
        (
            "Progress 45%\nTotal invested: 35,000,000",
            Expect {
                progress: Some(45),
                total: Some(35_000_000),
                ..Expect::default()
            },
        ),
        (
            "1. Progress: about 70%\n2. Invested this week: 2,000,000 yuan",
            Expect {
                progress: Some(70),
                week: Some(2_000_000),
                ..Expect::default()
            },
        ),
        (
            "Invested in total - 1.2亿",
            Expect {
                total: Some(12 * YI / 10),
                ..Expect::default()
            },
        ),
        (
            "This week: foundations poured\nNext week: steel frame",
            Expect {
                this_week: Some("foundations poured"),
                next_week: Some("steel frame"),
                ..Expect::default()
            },
        ),
        (
            "Issues: power not connected; permit delayed",
            Expect {
                problems: &["power not connected", "permit delayed"],
                ..Expect::default()
            },
        ),
        (
            "Blockers: 1. land not handed over 2. no water",
            Expect {
                problems: &["land not handed over", "no water"],
                ..Expect::default()
            },
        ),
        (
            "progress: 30% (was 25% last week)",
            Expect {
                progress: Some(30),
                ..Expect::default()
            },
        ),
        (
            "Progress = approximately 80%",
            Expect {
                progress: Some(80),
                ..Expect::default()
            },
        ),
        (
            "progress: 20%\nDone with the piling, thanks",
            Expect {
                progress: Some(20),
                free: 1,
                ..Expect::default()
            },
        ),
        (
            "- progress: 5%\n- problems: none",
            Expect {
                progress: Some(5),
                ..Expect::default()
            },
        ),
        (
            "Weekly report\nProgress: 60%",
            Expect {
                progress: Some(60),
                free: 1,
                ..Expect::default()
            },
        ),
    ];
    for (text, expect) in &cases {
        check(text, expect);
    }
    assert!(cases.len() >= 10);
}

#[test]
fn the_readmes_examples_read_as_the_template_does() {
    let same = Expect {
        progress: Some(65),
        week: Some(1200 * WAN),
        total: Some(32 * YI / 10),
        done: &["开工"],
        this_week: Some("桩基施工完成80%"),
        next_week: Some("主体结构施工"),
        problems: &["临时用电未接通", "施工许可证审批延迟"],
        ..Expect::default()
    };
    check(
        "进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n完成节点: 开工 2026-11-18\n本周完成: 桩基施工完成80%\n下周计划: 主体结构施工\n问题: 临时用电未接通; 施工许可证审批延迟",
        &same,
    );
    check(
        "【周报】\n1. 工程进度 约65%（上周60%）\n2. 本周完成投资1,200万元，累计完成投资额：3.2亿元（占总投资32%）\n3. 完成节点：开工 2026/11/18\n4. 本周进展：桩基施工完成80%。下步计划：主体结构施工\n5. 存在问题：\n   ① 临时用电未接通\n   ② 施工许可证审批延迟",
        &same,
    );
    check(
        "Progress 65%, invested this week: 12,000,000, total invested: 320,000,000\nNext week: main structure\nIssues: temporary power not connected; permit delayed",
        &Expect {
            progress: Some(65),
            week: Some(12_000_000),
            total: Some(320_000_000),
            next_week: Some("main structure"),
            problems: &["temporary power not connected", "permit delayed"],
            ..Expect::default()
        },
    );
}

#[test]
fn a_figure_that_cannot_be_read_refuses_the_report_at_its_line() {
    let cases: Vec<(&str, usize, ReportErrorKind)> = vec![
        ("进度：六成左右", 1, ReportErrorKind::BadProgress),
        (
            "本周完成：桩基\n进度：165%",
            2,
            ReportErrorKind::BadProgress,
        ),
        (
            "进度：主体40%，装修10%",
            1,
            ReportErrorKind::SeveralPercentages,
        ),
        (
            "工程进度：40%\n形象进度：45%",
            2,
            ReportErrorKind::DuplicateField(Field::Progress),
        ),
        ("progress: most of it", 1, ReportErrorKind::BadProgress),
    ];
    for (text, line, kind) in cases {
        let e = parse_report(text).expect_err(text);
        assert_eq!((e.line, e.kind), (Some(line), kind), "{text}");
    }
    let e = parse_report("本周投资：-100万").expect_err("a negative amount");
    assert!(matches!(e.kind, ReportErrorKind::BadMoney(_)), "{e}");
    let e = parse_report("累计投资：很多").expect_err("no amount");
    assert!(matches!(e.kind, ReportErrorKind::BadMoney(_)), "{e}");
}

#[test]
fn replies_without_a_field_are_not_reports() {
    for text in [
        "收到",
        "好的，稍后报",
        "👍",
        "ok thanks",
        "问题已解决",
        "进度正常，请放心",
    ] {
        let e = parse_report(text).expect_err(text);
        assert_eq!(e.kind, ReportErrorKind::NoFields, "{text}");
    }
}

mod forms {
    //! Properties of the tolerant reader over generated reports.

    use duban::domain::report::parse_report;
    use proptest::prelude::*;

    /// The three figures a report may carry, and how each is written.
    #[derive(Debug, Clone)]
    struct Figures {
        progress: u8,
        week_wan: i64,
        total_wan: i64,
    }

    fn figures() -> impl Strategy<Value = Figures> {
        (0u8..=100, 0i64..100_000, 0i64..1_000_000).prop_map(|(progress, week_wan, total_wan)| {
            Figures {
                progress,
                week_wan,
                total_wan,
            }
        })
    }

    const PREFIXES: [&str; 10] = ["", "1. ", "2、", "(3)", "①", "一、", "- ", "• ", "* ", "> "];
    const SEPARATORS: [&str; 8] = [": ", "：", " ", " - ", "—", "=", "为", " : "];
    const PROGRESS_KEYS: [&str; 5] = ["进度", "工程进度", "形象进度", "总体进度", "progress"];
    const WEEK_KEYS: [&str; 4] = [
        "本周投资",
        "本周完成投资",
        "本周投资额",
        "invested this week",
    ];
    const TOTAL_KEYS: [&str; 4] = ["累计投资", "累计完成投资额", "已完成投资", "total invested"];

    fn lines(f: &Figures, form: &[usize]) -> Vec<String> {
        let pick = |list: &[&'static str], i: usize| list[form[i] % list.len()];
        vec![
            format!(
                "{}{}{}{}%",
                pick(&PREFIXES, 0),
                pick(&PROGRESS_KEYS, 1),
                pick(&SEPARATORS, 2),
                f.progress
            ),
            format!(
                "{}{}{}{}万",
                pick(&PREFIXES, 3),
                pick(&WEEK_KEYS, 4),
                pick(&SEPARATORS, 5),
                f.week_wan
            ),
            format!(
                "{}{}{}{}万元",
                pick(&PREFIXES, 6),
                pick(&TOTAL_KEYS, 7),
                pick(&SEPARATORS, 8),
                f.total_wan
            ),
        ]
    }

    fn figures_read(text: &str) -> (Option<u8>, Option<i64>, Option<i64>) {
        let r = parse_report(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        (r.progress, r.invested_week, r.invested_total)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn prefixes_separators_and_order_never_change_the_figures(
            f in figures(),
            form in proptest::collection::vec(0usize..64, 9),
            order in Just([0usize, 1, 2]).prop_shuffle(),
        ) {
            let lines = lines(&f, &form);
            let text: Vec<&str> = order.iter().map(|i| lines[*i].as_str()).collect();
            let expected = (
                Some(f.progress),
                Some(f.week_wan * 10_000),
                Some(f.total_wan * 10_000),
            );
            prop_assert_eq!(figures_read(&text.join("\n")), expected);
            let template = format!(
                "进度: {}%\n本周投资: {}万\n累计投资: {}万",
                f.progress, f.week_wan, f.total_wan
            );
            prop_assert_eq!(figures_read(&template), expected);
        }

        #[test]
        fn a_number_is_never_read_into_a_field_whose_key_is_not_on_its_line(
            f in figures(),
            noise in proptest::collection::vec(
                "(今天|天气|工人|设备|备注|说明)[^\n:：%]{0,8}[0-9]{1,3}(%|万|人|台)?", 0..5),
        ) {
            let mut text = format!("进度: {}%", f.progress);
            for n in &noise {
                text.push('\n');
                text.push_str(n);
            }
            let r = parse_report(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            prop_assert_eq!(r.progress, Some(f.progress));
            prop_assert_eq!(r.invested_week, None);
            prop_assert_eq!(r.invested_total, None);
            prop_assert_eq!(r.free_text.len(), noise.len());
        }

        #[test]
        fn the_reader_never_panics_on_report_shaped_text(
            parts in proptest::collection::vec(
                "(1\\.|①|一、|- |【周报】)?(进度|本周投资|累计投资|问题|本周完成|下周计划|progress)?(:|：| |为|—)?[0-9０-９%％万亿元,，;；。()（）约 a-z中文]{0,20}", 0..12),
        ) {
            let text = parts.join("\n");
            let _ = parse_report(&text);
            let one_line = parts.join("，");
            let _ = parse_report(&one_line);
        }
    }
}
