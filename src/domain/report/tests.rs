//! The report parser on the template and its refusals.
use super::*;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const README_EXAMPLE: &str = "进度: 65%\n本周投资: 1200万\n累计投资: 3.2亿\n完成节点: 开工 2026-11-18\n本周完成: 桩基施工完成80%\n下周计划: 主体结构施工\n问题: 临时用电未接通; 施工许可证审批延迟";

#[test]
fn reads_the_spec_example() {
    let r = parse_report(README_EXAMPLE).unwrap();
    assert_eq!(r.progress, Some(65));
    assert_eq!(r.invested_week, Some(12_000_000));
    assert_eq!(r.invested_total, Some(320_000_000));
    assert_eq!(
        r.done,
        vec![DoneEntry {
            line: 4,
            name: "开工".into(),
            date: Some(Due::day(d(2026, 11, 18)))
        }]
    );
    assert_eq!(r.this_week.as_deref(), Some("桩基施工完成80%"));
    assert_eq!(r.next_week.as_deref(), Some("主体结构施工"));
    assert_eq!(r.problems, vec!["临时用电未接通", "施工许可证审批延迟"]);
    assert!(r.free_text.is_empty());
}

#[test]
fn reads_english_keys_full_width_colons_and_keeps_unknown_lines() {
    let r = parse_report(
        "Progress：７０\nInvested week: 5万\nNext-Week: roof\n天气: 多雨\njust a note\n问题：无",
    )
    .unwrap();
    assert_eq!(r.progress, Some(70));
    assert_eq!(r.invested_week, Some(50_000));
    assert_eq!(r.next_week.as_deref(), Some("roof"));
    assert_eq!(r.free_text, vec!["天气: 多雨", "just a note"]);
    assert!(r.problems.is_empty());
}

#[test]
fn undated_completion_defaults_to_today_and_names_may_have_spaces() {
    let r = parse_report("done: Phase 2 roof; 竣工 2026/11/20").unwrap();
    assert_eq!(r.done[0].name, "Phase 2 roof");
    assert_eq!(r.done[0].date, None);
    assert_eq!(r.done[1].date, Some(Due::day(d(2026, 11, 20))));
}

#[test]
fn names_the_bad_line() {
    let e = parse_report("进度: 65%\n\n本周投资: 12x万").unwrap_err();
    assert_eq!(e.line, Some(3));
    assert_eq!(e.text, "本周投资: 12x万");
    assert!(matches!(e.kind, ReportErrorKind::BadMoney(_)));

    let e = parse_report("进度: 165%").unwrap_err();
    assert_eq!((e.line, e.kind), (Some(1), ReportErrorKind::BadProgress));

    let e = parse_report("进度: 60\nprogress: 70").unwrap_err();
    assert_eq!(
        (e.line, e.kind),
        (Some(2), ReportErrorKind::DuplicateField(Field::Progress))
    );

    let e = parse_report("完成节点: 开工 2026-13-01").unwrap_err();
    assert!(matches!(e.kind, ReportErrorKind::BadDate(_)));

    let e = parse_report("完成节点: 2026-11-01").unwrap_err();
    assert_eq!(e.kind, ReportErrorKind::MissingMilestoneName);

    let long = format!("本周完成: {}", "字".repeat(MAX_FIELD_CHARS + 1));
    let e = parse_report(&format!("进度: 1\n{long}")).unwrap_err();
    assert_eq!(
        (e.line, e.kind),
        (
            Some(2),
            ReportErrorKind::FieldTooLong {
                limit: MAX_FIELD_CHARS
            }
        )
    );
    let many = (0..=MAX_PROBLEMS)
        .map(|i| format!("问题{i}"))
        .collect::<Vec<_>>()
        .join(";");
    let e = parse_report(&format!("问题: {many}")).unwrap_err();
    assert_eq!(
        e.kind,
        ReportErrorKind::TooManyProblems {
            limit: MAX_PROBLEMS
        }
    );

    let e = parse_report("收到，谢谢").unwrap_err();
    assert_eq!((e.line, e.kind), (None, ReportErrorKind::NoFields));
}

#[test]
fn resolves_completions_against_the_pledge() {
    let ms = vec![Milestone {
        id: 7,
        project_id: 1,
        name: "开工".into(),
        pledged_original: d(2026, 11, 1),
        pledged: d(2026, 11, 1),
        actual: None,
        position: 0,
        original_precision: Default::default(),
        pledged_precision: Default::default(),
    }];
    let today = d(2026, 11, 25);
    let ok = resolve_done(&parse_report("完成节点: 开工").unwrap(), &ms, today).unwrap();
    assert_eq!(
        ok,
        vec![(
            7,
            DoneMilestone {
                name: "开工".into(),
                date: today
            }
        )]
    );

    let e = resolve_done(&parse_report("完成节点: 封顶").unwrap(), &ms, today).unwrap_err();
    assert_eq!(
        e.kind,
        ReportErrorKind::UnknownMilestone {
            known: vec!["开工".into()]
        }
    );
    let e = resolve_done(
        &parse_report("完成节点: 开工 2026-12-01").unwrap(),
        &ms,
        today,
    )
    .unwrap_err();
    assert_eq!(e.kind, ReportErrorKind::FutureDate { today });

    // Done "in November" while November lasts counts from today; an
    // earlier month from its last day; a later month is still the future.
    let done = |text: &str| resolve_done(&parse_report(text).unwrap(), &ms, today);
    assert_eq!(done("完成节点: 开工 2026年11月").unwrap()[0].1.date, today);
    assert_eq!(
        done("完成节点: 开工 2026年10月").unwrap()[0].1.date,
        d(2026, 10, 31)
    );
    assert_eq!(
        done("完成节点: 开工 2026年12月").unwrap_err().kind,
        ReportErrorKind::FutureDate { today }
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,300}") {
        let _ = parse_report(&s);
    }

    #[test]
    fn never_panics_on_report_shaped_text(
        lines in proptest::collection::vec(
            (prop_oneof![
                Just("进度"), Just("本周投资"), Just("累计投资"), Just("完成节点"),
                Just("问题"), Just("progress"), Just("done"), Just("x")
            ], prop_oneof![Just(":"), Just("："), Just("")], "\\PC{0,20}"),
            0..12,
        )
    ) {
        let text: Vec<String> = lines.iter().map(|(k, c, v)| format!("{k}{c}{v}")).collect();
        if let Err(ReportError { line: Some(n), .. }) = parse_report(&text.join("\n")) {
            prop_assert!(n >= 1 && n <= lines.len());
        }
    }

    #[test]
    fn progress_round_trips(p in 0u8..=100) {
        prop_assert_eq!(parse_report(&format!("进度: {p}%")).unwrap().progress, Some(p));
    }
}
