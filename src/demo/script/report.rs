//! The text of an owner's weekly report: progress, investment and work
//! derived from the project's pace and stage, in the way people write them.

use duban::domain::lang::Lang;

use super::Tr;
use super::beats::Report;
use super::portfolio::ProjectSpec;

/// What the owner writes as the week's report: the usual lines from the
/// project's pace, then the extra ones.
pub fn report_text(p: &ProjectSpec, week: u32, r: &Report, lang: Lang) -> String {
    let w = i64::from(week);
    let progress =
        (i64::from(p.progress.0) + i64::from(p.progress.1) * w + i64::from(r.adjust)).clamp(0, 100);
    let total = p.invested.0 + p.invested.1 * (w + 1);
    let (this_week, next_week) = work(p.stage, week);
    let mut lines = Vec::new();
    let zh = lang == Lang::ZhCn;
    lines.push(match (zh, r.broken) {
        (true, false) => format!("进度: {progress}%"),
        (true, true) => "进度: 三成左右".to_string(),
        (false, false) => format!("progress: {progress}%"),
        (false, true) => "progress: about a third".to_string(),
    });
    if p.invested.1 > 0 {
        if zh {
            lines.push(format!("本周投资: {}万", p.invested.1));
            lines.push(format!("累计投资: {}", wan_text(total)));
        } else {
            lines.push(format!(
                "invested_week: {} yuan",
                thousands(p.invested.1 * 10_000)
            ));
            lines.push(format!(
                "invested_total: {} yuan",
                thousands(total * 10_000)
            ));
        }
    }
    if zh {
        lines.push(format!("本周完成: {}", this_week.0));
        lines.push(format!("下周计划: {}", next_week.0));
    } else {
        lines.push(format!("this_week: {}", this_week.1));
        lines.push(format!("next_week: {}", next_week.1));
    }
    if let Some(extra) = r.extra {
        lines.push(extra.get(lang).to_string());
    }
    lines.join("\n")
}

/// Amounts as people in the office write them: `1.2亿`, `3500万`.
fn wan_text(wan: i64) -> String {
    if wan >= 10_000 {
        let frac = format!("{:04}", wan % 10_000);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            format!("{}亿", wan / 10_000)
        } else {
            format!("{}.{frac}亿", wan / 10_000)
        }
    } else {
        format!("{wan}万")
    }
}

fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn work(stage: &str, week: u32) -> (Tr, Tr) {
    let options: [(Tr, Tr); 2] = match stage {
        "signed" => [
            (
                Tr("完成项目公司注册", "project company registered"),
                Tr("准备土地摘牌材料", "prepare the land auction papers"),
            ),
            (
                Tr("用地预审材料已报送", "land pre-approval filed"),
                Tr("跟进用地预审", "follow the land pre-approval"),
            ),
        ],
        "landed" => [
            (
                Tr("场地平整与地勘", "site levelling and survey"),
                Tr("办理施工许可", "apply for the construction permit"),
            ),
            (
                Tr("施工图审查", "construction drawings under review"),
                Tr("施工单位进场准备", "contractor mobilisation"),
            ),
        ],
        "construction" => [
            (
                Tr("主体结构施工", "main structure works"),
                Tr("主体结构施工、机电预埋", "main structure and MEP embedding"),
            ),
            (
                Tr("钢结构吊装", "steel structure erection"),
                Tr("屋面及外墙施工", "roof and facade works"),
            ),
        ],
        "production" => [
            (
                Tr("产线稳定运行，产能爬坡", "lines running, output ramping up"),
                Tr("二期设备调试", "phase-2 equipment commissioning"),
            ),
            (
                Tr("完成月度产值统计", "monthly output statistics done"),
                Tr("新产品试产", "trial run of a new product"),
            ),
        ],
        _ => [
            (
                Tr("产值统计报送", "output statistics filed"),
                Tr("季度产值统计", "quarterly output statistics"),
            ),
            (
                Tr("配合入库核查", "registration audit support"),
                Tr("年度统计准备", "prepare the annual statistics"),
            ),
        ],
    };
    options[week as usize % 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::script::beats::Via;
    use crate::demo::script::portfolio::PROJECTS;

    #[test]
    fn amounts_read_back_as_written() {
        use duban::domain::money::parse_money;
        assert_eq!(wan_text(31_000 + 1_200), "3.22亿");
        assert_eq!(parse_money(&wan_text(32_200)), Ok(322_000_000));
        assert_eq!(wan_text(2_400), "2400万");
        assert_eq!(thousands(12_000_000), "12,000,000");
        assert_eq!(parse_money("12,000,000 yuan"), Ok(12_000_000));
    }

    #[test]
    fn every_report_the_owners_write_is_read() {
        for lang in [Lang::ZhCn, Lang::En] {
            for p in &PROJECTS {
                let text = report_text(p, 2, &Report::new(Via::Prompt), lang);
                duban::domain::report::parse_report(&text)
                    .unwrap_or_else(|e| panic!("{}: {text}: {e}", p.code));
            }
        }
    }
}
