//! A project's traffic light and its reasons in words, as `/status` shows
//! them (and the battle map will).

use crate::domain::indicators::{Light, ProjectLight, Reason};
use crate::domain::lang::Lang;

use super::text::t;

pub fn light_label(light: Light, lang: Lang) -> String {
    let key = match light {
        Light::Red => "light.red",
        Light::Yellow => "light.yellow",
        Light::Green => "light.green",
    };
    t(lang, key, &[])
}

pub fn reason(r: &Reason, lang: Lang) -> String {
    let n = |v: i64| v.to_string();
    match r {
        Reason::LongOverdue { milestone, days } | Reason::Overdue { milestone, days } => t(
            lang,
            "reason.overdue",
            &[("milestone", milestone.clone()), ("days", n(*days))],
        ),
        Reason::Escalated { id, days } => t(
            lang,
            "reason.escalated",
            &[("id", n(*id)), ("days", n(*days))],
        ),
        Reason::Silent { weeks } => t(lang, "reason.silent", &[("weeks", n(*weeks))]),
        Reason::AtRisk {
            milestone,
            days_left,
        } => t(
            lang,
            "reason.at_risk",
            &[("milestone", milestone.clone()), ("days", n(*days_left))],
        ),
        Reason::NoReport => t(lang, "reason.no_report", &[]),
        Reason::BelowPace { gap } => t(lang, "reason.below_pace", &[("points", n(*gap))]),
    }
}

/// "状态灯：红灯（开工逾期 45 天；问题 #7 已 25 天未解决）".
pub fn light_line(l: &ProjectLight, lang: Lang) -> String {
    let reasons = if l.reasons.is_empty() {
        String::new()
    } else {
        let sep = if lang == Lang::En { "; " } else { "；" };
        let words: Vec<String> = l.reasons.iter().map(|r| reason(r, lang)).collect();
        t(
            lang,
            "status.light_reasons",
            &[("reasons", words.join(sep))],
        )
    };
    t(
        lang,
        "status.light",
        &[("light", light_label(l.light, lang)), ("reasons", reasons)],
    )
}
