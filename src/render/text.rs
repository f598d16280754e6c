//! Catalogue look-up and the small texts every reply shares: statuses,
//! weeks, times, and why a money or date value was refused.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::lang::Lang;
use crate::domain::money::MoneyError;
use crate::domain::status::MilestoneStatus;
use crate::domain::time::{DateError, Due, Precision, ReportingWeek};

/// Looks `key` up in the catalogue of `lang` and fills its `%{name}`
/// placeholders. Values are inserted once, never re-read as placeholders.
pub fn t(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    let raw = crate::_rust_i18n_translate(lang.code(), key);
    if args.is_empty() {
        return raw.into_owned();
    }
    let names: Vec<&str> = args.iter().map(|(n, _)| *n).collect();
    let values: Vec<String> = args.iter().map(|(_, v)| v.clone()).collect();
    rust_i18n::replace_patterns(&raw, &names, &values)
}

/// `2026-11-27 16:00` in the configured zone.
pub fn fmt_local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// A zone's name as a page or a chart shows it; one the sheet left empty
/// is said to be so.
pub fn zone_label(zone: &str, lang: Lang) -> String {
    if zone.is_empty() {
        t(lang, "web.no_zone", &[])
    } else {
        zone.to_string()
    }
}

pub fn week_label(w: ReportingWeek, lang: Lang) -> String {
    let fmt = |d: chrono::NaiveDate| match lang {
        Lang::ZhCn => d.format("%-m月%-d日").to_string(),
        Lang::En => d.format("%-d %b").to_string(),
    };
    t(
        lang,
        "week.label",
        &[
            ("year", w.year.to_string()),
            ("week", w.week.to_string()),
            ("from", fmt(w.monday())),
            ("to", fmt(w.sunday())),
        ],
    )
}

pub fn status_label(s: MilestoneStatus, lang: Lang) -> String {
    match s {
        MilestoneStatus::Done => t(lang, "status.done", &[]),
        MilestoneStatus::DoneLate { days } => {
            t(lang, "status.done_late", &[("days", days.to_string())])
        }
        MilestoneStatus::OnTrack => t(lang, "status.on_track", &[]),
        MilestoneStatus::AtRisk { days_left } => {
            t(lang, "status.at_risk", &[("days", days_left.to_string())])
        }
        MilestoneStatus::Overdue { days } => {
            t(lang, "status.overdue", &[("days", days.to_string())])
        }
    }
}

pub fn money_error(e: &MoneyError, lang: Lang) -> String {
    let value = match e {
        MoneyError::Invalid(v) | MoneyError::TooPrecise(v) | MoneyError::TooLarge(v) => v.clone(),
        MoneyError::Empty | MoneyError::Negative => String::new(),
    };
    t(lang, e.key(), &[("value", value)])
}

/// A pledged date as it was made: `2026-11-20`, or a month (`2027年3月`).
pub fn due(d: Due, lang: Lang) -> String {
    match d.precision {
        Precision::Day => d.date.to_string(),
        Precision::Month => {
            use chrono::Datelike;
            let args = [
                ("year", d.date.year().to_string()),
                ("month", d.date.month().to_string()),
                ("mm", format!("{:02}", d.date.month())),
            ];
            t(lang, "date.month", &args)
        }
    }
}

pub fn date_error(e: &DateError, lang: Lang) -> String {
    let (DateError::Invalid(v) | DateError::NoSuchDay(v)) = e;
    t(lang, e.key(), &[("value", v.clone())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(src: &str) -> BTreeSet<String> {
        src.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('_') && l.contains(": "))
            .map(|l| l.split_once(": ").unwrap().0.to_string())
            .collect()
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let zh = keys(include_str!("../../locales/zh-CN.yml"));
        let en = keys(include_str!("../../locales/en.yml"));
        assert_eq!(
            zh.symmetric_difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new()
        );
        for k in &zh {
            for lang in [Lang::ZhCn, Lang::En] {
                assert_ne!(t(lang, k, &[]), format!("{}.{k}", lang.code()), "{k}");
            }
        }
    }

    #[test]
    fn placeholders_are_filled_once() {
        let s = t(
            Lang::En,
            "report.echo.progress",
            &[("value", "%{value}".into())],
        );
        assert_eq!(s, "Progress: %{value}%");
    }
}
