//! Money as owners write it (`1200万`, `3.2亿`, `5亿元`, `1,200万`, `12000000`),
//! held as whole yuan in an `i64` so sums are exact.

use super::lang::{Lang, fold_width};

pub const WAN: i64 = 10_000;
pub const YI: i64 = 100_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("no amount given")]
    Empty,
    #[error("'{0}' is not an amount (examples: 1200万, 3.2亿, 5亿元, 12000000)")]
    Invalid(String),
    #[error("amounts cannot be negative")]
    Negative,
    #[error("'{0}' is more precise than one yuan")]
    TooPrecise(String),
    #[error("'{0}' is too large")]
    TooLarge(String),
}

impl MoneyError {
    /// Catalogue key of the user-facing explanation.
    pub fn key(&self) -> &'static str {
        match self {
            MoneyError::Empty => "money.empty",
            MoneyError::Invalid(_) => "money.invalid",
            MoneyError::Negative => "money.negative",
            MoneyError::TooPrecise(_) => "money.too_precise",
            MoneyError::TooLarge(_) => "money.too_large",
        }
    }
}

/// Parses an amount into whole yuan.
pub fn parse_money(input: &str) -> Result<i64, MoneyError> {
    let folded = fold_width(input);
    let s: String = folded
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | '_') && !c.is_whitespace())
        .collect();
    if s.is_empty() {
        return Err(MoneyError::Empty);
    }
    if s.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    let lower = s.to_lowercase();
    let (number, unit) = [
        ("亿元", YI),
        ("亿", YI),
        ("万元", WAN),
        ("万", WAN),
        ("元", 1),
        ("yuan", 1),
        ("rmb", 1),
        ("cny", 1),
    ]
    .iter()
    .find_map(|(suffix, mult)| lower.strip_suffix(suffix).map(|n| (n, *mult)))
    .unwrap_or((lower.as_str(), 1));
    let invalid = || MoneyError::Invalid(input.trim().to_string());
    let (int_part, frac_part) = match number.split_once('.') {
        Some((i, f)) => (i, f),
        None => (number, ""),
    };
    let digits_only = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !digits_only(int_part)
        || !digits_only(frac_part)
    {
        return Err(invalid());
    }
    let too_large = || MoneyError::TooLarge(input.trim().to_string());
    let int: i128 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| too_large())?
    };
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > 18 {
        return Err(MoneyError::TooPrecise(input.trim().to_string()));
    }
    let scale = 10i128.pow(frac_trimmed.len() as u32);
    let frac: i128 = if frac_trimmed.is_empty() {
        0
    } else {
        frac_trimmed.parse().map_err(|_| invalid())?
    };
    let frac_yuan = frac * unit as i128;
    if frac_yuan % scale != 0 {
        return Err(MoneyError::TooPrecise(input.trim().to_string()));
    }
    let total = int
        .checked_mul(unit as i128)
        .and_then(|v| v.checked_add(frac_yuan / scale))
        .ok_or_else(too_large)?;
    i64::try_from(total).map_err(|_| too_large())
}

/// Exact rendering that [`parse_money`] reads back to the same value; what an
/// echo shows, so the owner sees precisely what was recorded.
pub fn format_money_exact(yuan: i64, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => {
            if yuan != 0 && yuan % WAN == 0 {
                if yuan >= YI {
                    format!("{}亿元", decimal(yuan, YI))
                } else {
                    format!("{}万元", yuan / WAN)
                }
            } else {
                format!("{yuan}元")
            }
        }
        Lang::En => format!("{} yuan", group_thousands(yuan)),
    }
}

/// Short rendering for totals in bulletins (two decimals at most).
pub fn format_money_short(yuan: i64, lang: Lang) -> String {
    let round2 = |v: i64, unit: i64| {
        let hundredths = (v as i128 * 100 + unit as i128 / 2) / unit as i128;
        let s = format!("{}.{:02}", hundredths / 100, hundredths % 100);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    match lang {
        Lang::ZhCn if yuan >= YI => format!("{}亿元", round2(yuan, YI)),
        Lang::ZhCn if yuan >= WAN => format!("{}万元", round2(yuan, WAN)),
        Lang::ZhCn => format!("{yuan}元"),
        Lang::En if yuan >= 1_000_000_000 => format!("CNY {} bn", round2(yuan, 1_000_000_000)),
        Lang::En if yuan >= 1_000_000 => format!("CNY {} M", round2(yuan, 1_000_000)),
        Lang::En => format!("CNY {}", group_thousands(yuan)),
    }
}

fn decimal(value: i64, unit: i64) -> String {
    let int = value / unit;
    let frac = value % unit;
    if frac == 0 {
        return int.to_string();
    }
    let width = unit.ilog10() as usize;
    let f = format!("{frac:0width$}");
    format!("{int}.{}", f.trim_end_matches('0'))
}

fn group_thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_forms_owners_write() {
        assert_eq!(parse_money("1200万"), Ok(12_000_000));
        assert_eq!(parse_money("3.2亿"), Ok(320_000_000));
        assert_eq!(parse_money("5亿元"), Ok(500_000_000));
        assert_eq!(parse_money("800万元"), Ok(8_000_000));
        assert_eq!(parse_money("12000000"), Ok(12_000_000));
        assert_eq!(parse_money("1,200万"), Ok(12_000_000));
        assert_eq!(parse_money(" １２００万 "), Ok(12_000_000));
        assert_eq!(parse_money("¥350元"), Ok(350));
        assert_eq!(parse_money("0.5万"), Ok(5_000));
        assert_eq!(parse_money(".5亿"), Ok(50_000_000));
        assert_eq!(parse_money("1.23456789亿"), Ok(123_456_789));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        assert_eq!(parse_money(""), Err(MoneyError::Empty));
        assert_eq!(parse_money("  "), Err(MoneyError::Empty));
        assert!(matches!(parse_money("abc"), Err(MoneyError::Invalid(_))));
        assert!(matches!(parse_money("12x万"), Err(MoneyError::Invalid(_))));
        assert!(matches!(
            parse_money("1.2.3万"),
            Err(MoneyError::Invalid(_))
        ));
        assert!(matches!(parse_money("万"), Err(MoneyError::Invalid(_))));
        assert_eq!(parse_money("-5万"), Err(MoneyError::Negative));
        assert!(matches!(
            parse_money("1.5元"),
            Err(MoneyError::TooPrecise(_))
        ));
        assert!(matches!(
            parse_money("99999999999999亿"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn renders_exactly_and_shortly() {
        assert_eq!(format_money_exact(320_000_000, Lang::ZhCn), "3.2亿元");
        assert_eq!(format_money_exact(12_000_000, Lang::ZhCn), "1200万元");
        assert_eq!(format_money_exact(12_345, Lang::ZhCn), "12345元");
        assert_eq!(format_money_exact(0, Lang::ZhCn), "0元");
        assert_eq!(format_money_exact(12_000_000, Lang::En), "12,000,000 yuan");
        assert_eq!(format_money_short(8_650_000_000, Lang::ZhCn), "86.5亿元");
        assert_eq!(format_money_short(1_234_567, Lang::ZhCn), "123.46万元");
        assert_eq!(format_money_short(8_650_000_000, Lang::En), "CNY 8.65 bn");
        assert_eq!(format_money_short(12_000_000, Lang::En), "CNY 12 M");
        assert_eq!(format_money_short(950, Lang::En), "CNY 950");
    }

    proptest! {
        #[test]
        fn exact_rendering_round_trips(yuan in 0i64..=i64::MAX / 2, en in any::<bool>()) {
            let lang = if en { Lang::En } else { Lang::ZhCn };
            prop_assert_eq!(parse_money(&format_money_exact(yuan, lang)), Ok(yuan));
        }

        #[test]
        fn units_scale_exactly(n in 0i64..=900_000_000) {
            prop_assert_eq!(parse_money(&format!("{n}万")), Ok(n * WAN));
            prop_assert_eq!(parse_money(&format!("{n}")), Ok(n));
        }

        #[test]
        fn never_panics(s in ".{0,40}") {
            let _ = parse_money(&s);
        }
    }
}
