//! The pictures posted with the bulletin and the monthly analysis: charts
//! of `render::chart`, stacked into one SVG and drawn to PNG by resvg. The
//! text is drawn in a font built into the binary (assets/fonts/README.md),
//! and only in it, so a picture looks the same on every machine and
//! Chinese renders where no font is installed.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use resvg::{tiny_skia, usvg};

use crate::domain::bulletin::Bulletin;
use crate::domain::indicators::Rates;
use crate::domain::lang::Lang;
use crate::domain::status::MilestoneStatus;

use super::chart::{self, Chart, DaysBar, FONT_FAMILY, Series, ZoneBar};
use super::text::{t, week_label, zone_label};

/// A subset of Noto Sans CJK SC (OFL 1.1): see assets/fonts/README.md.
static FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");

/// Pixels a chart's unit becomes: twice, so text stays sharp on a phone.
const SCALE: f32 = 2.0;

/// The most overdue milestones the weekly picture draws, worst first.
const OVERDUE_BARS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("drawing the {what} picture: its SVG does not parse: {source}")]
    Svg {
        what: &'static str,
        source: usvg::Error,
    },
    #[error("drawing the {what} picture: {width}×{height} pixels is no size to draw")]
    Size {
        what: &'static str,
        width: u32,
        height: u32,
    },
    #[error("drawing the {what} picture: PNG encoding failed: {reason}")]
    Encode { what: &'static str, reason: String },
}

/// The options every picture is parsed with: the embedded font as the
/// only one, and as the default family.
fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: LazyLock<usvg::Options<'static>> = LazyLock::new(|| {
        let mut fonts = usvg::fontdb::Database::new();
        fonts.load_font_data(FONT.to_vec());
        usvg::Options {
            font_family: FONT_FAMILY.to_string(),
            fontdb: Arc::new(fonts),
            ..usvg::Options::default()
        }
    });
    &OPTIONS
}

/// The chart drawn to PNG at [`SCALE`], on white.
pub fn png(chart: &Chart, what: &'static str) -> Result<Vec<u8>, PictureError> {
    let tree = usvg::Tree::from_str(&chart.svg, options())
        .map_err(|source| PictureError::Svg { what, source })?;
    let size = tree.size();
    let (width, height) = (
        (size.width() * SCALE).ceil() as u32,
        (size.height() * SCALE).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(width, height).ok_or(PictureError::Size {
        what,
        width,
        height,
    })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(SCALE, SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| PictureError::Encode {
        what,
        reason: e.to_string(),
    })
}

/// Each zone's lights as bars, in the zones' order (the weekly picture's
/// and the battle map's).
pub fn zone_bars(by_zone: &BTreeMap<String, Rates>, lang: Lang) -> Vec<ZoneBar> {
    by_zone
        .iter()
        .map(|(zone, r)| ZoneBar {
            zone: zone_label(zone, lang),
            red: r.red,
            yellow: r.yellow,
            green: r.green,
        })
        .collect()
}

/// The longest-overdue milestones, worst first, as bars with their days
/// (the weekly picture's and the late page's).
pub fn overdue_bars(b: &Bulletin, lang: Lang) -> Vec<DaysBar> {
    b.overdue
        .iter()
        .take(OVERDUE_BARS)
        .filter_map(|m| match m.status {
            MilestoneStatus::Overdue { days } => Some(DaysBar {
                label: format!("{} {}", shortened(&m.project.name), m.milestone),
                days,
                value: t(lang, "chart.days", &[("days", days.to_string())]),
            }),
            _ => None,
        })
        .collect()
}

/// The title above the overdue bars: how many they show of how many.
pub fn overdue_title(b: &Bulletin, shown: usize, lang: Lang) -> String {
    t(
        lang,
        "chart.overdue_days",
        &[
            ("shown", shown.to_string()),
            ("count", b.overdue.len().to_string()),
        ],
    )
}

/// The weekly picture: lights by zone, then the longest-overdue
/// milestones' days; none for a portfolio without projects.
pub fn bulletin_chart(b: &Bulletin, lang: Lang) -> Option<Chart> {
    let bars = zone_bars(&b.by_zone, lang);
    if bars.is_empty() {
        return None;
    }
    let lights_title = t(lang, "web.chart_lights", &[]);
    let counts = t(
        lang,
        "bulletin.lights",
        &[
            ("red", b.rates.red.to_string()),
            ("yellow", b.rates.yellow.to_string()),
            ("green", b.rates.green.to_string()),
        ],
    );
    let mut parts = vec![(
        format!("{lights_title} · {counts}"),
        chart::lights_by_zone(&bars, &lights_title),
    )];
    let days = overdue_bars(b, lang);
    if !days.is_empty() {
        let title = overdue_title(b, days.len(), lang);
        parts.push((title.clone(), chart::overdue_days(&days, &title)));
    }
    let title = t(
        lang,
        "chart.bulletin_title",
        &[("week", week_label(b.week, lang))],
    );
    Some(chart::stack(&title, &parts))
}

/// A project's name cut to what fits a bar's label.
fn shortened(name: &str) -> String {
    const MOST: usize = 12;
    if name.chars().count() <= MOST {
        name.to_string()
    } else {
        name.chars().take(MOST - 1).chain(['…']).collect()
    }
}

/// The period picture: the rates week by week through the period.
pub fn trend_chart(title: &str, labels: &[String], series: &[Series]) -> Option<Chart> {
    if labels.is_empty() || series.iter().all(|s| s.points.iter().all(Option::is_none)) {
        return None;
    }
    // The chart's legend names the rates; no heading above it.
    Some(chart::stack(
        title,
        &[(String::new(), chart::rates_trend(series, labels, title))],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dark pixels in a PNG: what text and bars leave on the white ground.
    fn inked(png: &[u8]) -> usize {
        let pixmap = tiny_skia::Pixmap::decode_png(png).unwrap();
        pixmap
            .pixels()
            .iter()
            .filter(|p| u16::from(p.red()) + u16::from(p.green()) + u16::from(p.blue()) < 300)
            .count()
    }

    fn label(text: &str) -> Chart {
        let svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"40\" font-size=\"20\"><text x=\"5\" y=\"28\" fill=\"#000\">{text}</text></svg>"
        );
        Chart {
            width: 200.0,
            height: 40.0,
            svg,
        }
    }

    #[test]
    fn chinese_text_is_drawn_in_the_embedded_font_with_nothing_installed() {
        // The options hold the embedded font only, so ink here is its work.
        let drawn = inked(&png(&label("东部园区 新能源"), "test").unwrap());
        assert!(drawn > 200, "only {drawn} dark pixels");
        // A character no font here has leaves no more than a box would.
        let missing = inked(&png(&label("\u{10FFFD}"), "test").unwrap());
        assert!(missing < drawn / 4, "{missing} vs {drawn}");
    }

    #[test]
    fn every_character_of_the_message_catalogues_is_in_the_embedded_font() {
        let face = ttf_parser::Face::parse(FONT, 0).unwrap();
        for file in ["locales/zh-CN.yml", "locales/en.yml", "config/default.toml"] {
            let text = std::fs::read_to_string(file).unwrap();
            let missing: std::collections::BTreeSet<char> = text
                .chars()
                .filter(|c| !c.is_control() && !c.is_whitespace())
                .filter(|c| face.glyph_index(*c).is_none())
                .collect();
            // Emoji, dingbats and the progress bar's blocks are the chats'
            // business; no chart draws them.
            let missing: Vec<char> = missing
                .into_iter()
                .filter(|c| !('\u{2580}'..='\u{27BF}').contains(c) && *c < '\u{1F000}')
                .filter(|c| *c != '\u{FE0F}')
                .collect();
            assert!(missing.is_empty(), "{file}: {missing:?}");
        }
    }

    /// A bulletin of three zones whose projects slipped by different days.
    fn bulletin() -> Bulletin {
        use chrono::TimeZone;
        let now = chrono::Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
        let c = crate::domain::rhythm::tests::ctx(now);
        let snaps: Vec<_> = (0..12)
            .map(|i| {
                let mut s = crate::domain::rhythm::tests::snap();
                s.project.id = i + 1;
                s.project.code = format!("P{i:02}");
                s.project.name = format!("新能源电池项目{i}");
                s.project.zone = ["东部园区", "西部园区", "高新区"][i as usize % 3].into();
                s.milestones[0].pledged -= chrono::Duration::days(i * 9);
                s
            })
            .collect();
        let week = crate::domain::time::ReportingWeek::of_instant(now, c.tz);
        crate::domain::bulletin::compose(week, now, c.tz, &snaps, c.policy)
    }

    #[test]
    fn the_weekly_picture_draws_every_zone_and_the_worst_overdue_first() {
        let b = bulletin();
        let chart = bulletin_chart(&b, Lang::ZhCn).unwrap();
        for zone in ["东部园区", "西部园区", "高新区"] {
            assert_eq!(chart.svg.matches(zone).count(), 1, "{zone}");
        }
        // Worst first: project 11 slipped 99 days more than its pledge.
        let first = chart.svg.find("新能源电池项目11 开工").unwrap();
        let second = chart.svg.find("新能源电池项目10 开工").unwrap();
        assert!(first < second);
        assert!(chart.svg.contains(">106天<"), "{}", chart.svg);
        let png = png(&chart, "weekly").unwrap();
        assert_eq!(&png[1..4], b"PNG");
        // Kept for a look, as the browser test keeps its screenshots.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/pictures");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("weekly.png"), &png).unwrap();
        assert!(inked(&png) > 5_000);
    }

    #[test]
    fn a_portfolio_without_projects_has_no_picture() {
        let mut b = bulletin();
        b.by_zone.clear();
        assert_eq!(bulletin_chart(&b, Lang::En), None);
    }

    #[test]
    fn a_picture_is_twice_its_chart_in_pixels() {
        let png = png(&label("园区"), "test").unwrap();
        let pixmap = tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!((pixmap.width(), pixmap.height()), (400, 80));
    }

    #[test]
    fn broken_svg_is_a_named_error_not_a_panic() {
        let chart = Chart {
            width: 1.0,
            height: 1.0,
            svg: "<svg".into(),
        };
        let e = png(&chart, "weekly").unwrap_err();
        assert!(
            e.to_string().starts_with("drawing the weekly picture"),
            "{e}"
        );
    }
}
