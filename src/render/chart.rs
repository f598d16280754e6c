//! Charts as SVG: lights by zone, the overdue milestones' days, the rates'
//! trend, a milestone timeline against its pledges (a baseline Gantt) and a
//! progress line. The dashboard inlines them; `render::picture` draws the
//! same SVG to PNG for the chats. Colours are presentation attributes, not
//! `style`, so the page's CSP needs no inline style, and every text names
//! the font `render::picture` embeds.

use std::fmt;

use chrono::NaiveDate;

use super::html::escape_html as esc;

const RED: &str = "#d63031";
const YELLOW: &str = "#f1c40f";
const GREEN: &str = "#27ae60";
const GREY: &str = "#95a5a6";
const INK: &str = "#1d2327";

/// One zone's bar: its name and its red, yellow and green counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneBar {
    pub zone: String,
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
}

/// One chart: its SVG and its size, so charts can be stacked into one
/// picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub svg: String,
}

impl fmt::Display for Chart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.svg)
    }
}

/// The font the charts name first: the one `render::picture` embeds
/// (assets/fonts/README.md); a browser falls back to its own.
pub const FONT_FAMILY: &str = "Noto Sans CJK SC";

/// Stacked horizontal bars, one a zone, red first.
pub fn lights_by_zone(bars: &[ZoneBar], title: &str) -> Chart {
    let rows: Vec<Row<'_>> = bars
        .iter()
        .map(|b| Row {
            label: &b.zone,
            parts: vec![(b.red, RED), (b.yellow, YELLOW), (b.green, GREEN)],
            after: (b.red + b.yellow + b.green).to_string(),
        })
        .collect();
    horizontal(&rows, 150.0, 420.0, title)
}

/// One overdue milestone's bar: what it is and how many days it is late,
/// with the figure as the reader's language writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaysBar {
    pub label: String,
    pub days: i64,
    pub value: String,
}

/// Horizontal red bars, as long as the days overdue, worst first as given.
pub fn overdue_days(bars: &[DaysBar], title: &str) -> Chart {
    let rows: Vec<Row<'_>> = bars
        .iter()
        .map(|b| Row {
            label: &b.label,
            parts: vec![(usize::try_from(b.days).unwrap_or(0), RED)],
            after: b.value.clone(),
        })
        .collect();
    horizontal(&rows, 200.0, 370.0, title)
}

/// One bar of a horizontal bar chart: its label, its parts end to end
/// (a count and a colour each), and what is written after it.
struct Row<'a> {
    label: &'a str,
    parts: Vec<(usize, &'static str)>,
    after: String,
}

/// Bars one under another, labels right-aligned before them; the longest
/// bar fills `bar_w`, a part of one at least 2 wide so it shows.
fn horizontal(rows: &[Row<'_>], label_w: f64, bar_w: f64, title: &str) -> Chart {
    let row_h = 26.0;
    let total = |r: &Row<'_>| r.parts.iter().map(|(n, _)| n).sum::<usize>();
    let most = rows.iter().map(total).max().unwrap_or(0).max(1) as f64;
    let height = row_h * rows.len() as f64 + 10.0;
    let width = label_w + bar_w + 60.0;
    let mut out = svg_open(width, height, title);
    for (i, r) in rows.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        out.push_str(&text(label_w - 8.0, y + 17.0, "end", r.label));
        let mut x = label_w;
        for (n, colour) in r.parts.iter().filter(|(n, _)| *n > 0) {
            let w = (bar_w * *n as f64 / most).max(2.0);
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"{colour}\"><title>{n}</title></rect>",
                y + 3.0
            ));
            x += w;
        }
        out.push_str(&text(x + 6.0, y + 17.0, "start", &r.after));
    }
    close(out, width, height)
}

/// One rate over time: its name and its value (percent) at each point,
/// none where there was nothing to count.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<Option<f64>>,
}

const SERIES_COLOURS: [&str; 4] = ["#2962ff", "#27ae60", "#e67e22", "#8e44ad"];

/// Lines from 0 to 100 %, one a rate, over the periods `labels` name, with
/// a legend above.
pub fn rates_trend(series: &[Series], labels: &[String], title: &str) -> Chart {
    let plot = Plot::new(50.0, 560.0, 180.0, 40.0, labels.len());
    let (width, height) = (plot.right() + 30.0, plot.bottom() + 34.0);
    let mut out = svg_open(width, height, title);
    grid(&mut out, &plot);
    for (k, s) in series.iter().enumerate() {
        let colour = SERIES_COLOURS[k % SERIES_COLOURS.len()];
        let lx = plot.left + 140.0 * k as f64;
        out.push_str(&format!(
            "<rect x=\"{lx:.1}\" y=\"8\" width=\"14\" height=\"14\" fill=\"{colour}\"/>"
        ));
        out.push_str(&text(lx + 20.0, 20.0, "start", &s.name));
        line(&mut out, &plot, &s.points, colour, &[]);
    }
    let every = labels.len() <= 6;
    for (i, label) in labels.iter().enumerate() {
        let anchor = match i {
            0 => "start",
            i if i + 1 == labels.len() => "end",
            _ => "middle",
        };
        if every || i == 0 || i + 1 == labels.len() {
            out.push_str(&text(
                plot.at(i, 0.0).0,
                plot.bottom() + 20.0,
                anchor,
                label,
            ));
        }
    }
    close(out, width, height)
}

/// Where a line chart's points fall: `n` points spread over the plot's
/// width, 0 to 100 % up its height.
struct Plot {
    left: f64,
    width: f64,
    height: f64,
    top: f64,
    step: f64,
}

impl Plot {
    fn new(left: f64, width: f64, height: f64, top: f64, n: usize) -> Plot {
        let step = width / (n.max(2) - 1) as f64;
        Plot {
            left,
            width,
            height,
            top,
            step,
        }
    }

    fn at(&self, i: usize, percent: f64) -> (f64, f64) {
        (
            self.left + self.step * i as f64,
            self.top + self.height * (1.0 - percent.clamp(0.0, 100.0) / 100.0),
        )
    }

    fn right(&self) -> f64 {
        self.left + self.width
    }

    fn bottom(&self) -> f64 {
        self.top + self.height
    }
}

/// One line through the points that have a value, a dot at each, with
/// `tips[i]` as the dot's tooltip where given.
fn line(out: &mut String, plot: &Plot, values: &[Option<f64>], colour: &str, tips: &[String]) {
    let points: Vec<(usize, f64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (i, plot.at(i, v).0, plot.at(i, v).1)))
        .collect();
    let path: Vec<String> = points
        .iter()
        .map(|(_, x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    out.push_str(&format!(
        "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
        path.join(" ")
    ));
    for (i, x, y) in points {
        let tip = tips
            .get(i)
            .map_or_else(String::new, |t| format!("<title>{}</title>", esc(t)));
        out.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{colour}\">{tip}</circle>"
        ));
    }
}

/// Horizontal lines at 0, 50 and 100 %, labelled.
fn grid(out: &mut String, plot: &Plot) {
    for pct in [0, 50, 100] {
        let y = plot.at(0, f64::from(pct)).1;
        out.push_str(&format!(
            "<line x1=\"{}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e3e5e8\"/>",
            plot.left,
            plot.right()
        ));
        out.push_str(&text(plot.left - 6.0, y + 4.0, "end", &format!("{pct}%")));
    }
}

/// Charts one under another, each under its heading, on a white ground:
/// one picture for a chat message.
pub fn stack(title: &str, parts: &[(String, Chart)]) -> Chart {
    let width = parts.iter().map(|(_, c)| c.width).fold(400.0, f64::max) + 20.0;
    let mut body = format!(
        "<text x=\"10\" y=\"28\" font-size=\"18\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
        esc(title)
    );
    let mut y = 44.0;
    for (heading, chart) in parts {
        if !heading.is_empty() {
            body.push_str(&text(10.0, y + 16.0, "start", heading));
            y += 26.0;
        }
        body.push_str(&format!(
            "<svg x=\"10\" y=\"{y:.1}\" width=\"{:.0}\" height=\"{:.0}\" viewBox=\"0 0 {:.0} {:.0}\">{}</svg>",
            chart.width,
            chart.height,
            chart.width,
            chart.height,
            inner(&chart.svg)
        ));
        y += chart.height + 14.0;
    }
    let mut out = svg_open(width, y, title);
    out.push_str(&format!(
        "<rect x=\"0\" y=\"0\" width=\"{width:.0}\" height=\"{y:.0}\" fill=\"#fff\"/>"
    ));
    out.push_str(&body);
    close(out, width, y)
}

/// A chart's drawing without its outer `<svg …>` and `</svg>`.
fn inner(svg: &str) -> &str {
    let start = svg.find('>').map_or(0, |i| i + 1);
    let end = svg.rfind("</svg>").unwrap_or(svg.len());
    &svg[start..end]
}

/// One milestone on the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GanttRow {
    pub name: String,
    /// The first pledge, every revision in order, the pledge in force last.
    pub pledges: Vec<NaiveDate>,
    pub actual: Option<NaiveDate>,
    /// Done after its pledge in force, or overdue now.
    pub late: bool,
}

/// What the timeline's legend says, in the page's language.
pub struct GanttWords<'a> {
    pub title: &'a str,
    pub original: &'a str,
    pub revised: &'a str,
    pub actual: &'a str,
    pub today: &'a str,
}

/// Each milestone a row: a hollow diamond at the first pledge, small ticks
/// at each revision, a line from the first pledge to the one in force (how
/// far it slipped) and a filled dot at the actual date; today a dashed line.
pub fn gantt(rows: &[GanttRow], today: NaiveDate, words: &GanttWords<'_>) -> Chart {
    let dates = rows
        .iter()
        .flat_map(|r| r.pledges.iter().copied().chain(r.actual))
        .chain([today]);
    let (lo, hi) = dates.fold((today, today), |(lo, hi), d| (lo.min(d), hi.max(d)));
    let (lo, hi) = (
        lo - chrono::Duration::days(15),
        hi + chrono::Duration::days(15),
    );
    let span = (hi - lo).num_days().max(1) as f64;
    let (label_w, plot_w, row_h, top) = (150.0, 560.0, 28.0, 30.0);
    let x = |d: NaiveDate| label_w + plot_w * (d - lo).num_days() as f64 / span;
    let height = top + row_h * rows.len() as f64 + 30.0;
    let width = label_w + plot_w + 20.0;
    let mut out = svg_open(width, height, words.title);
    let bottom = height - 24.0;
    for (d, anchor) in [(lo, "start"), (hi, "end")] {
        out.push_str(&text(
            x(d),
            bottom + 16.0,
            anchor,
            &d.format("%Y-%m").to_string(),
        ));
    }
    let tx = x(today);
    out.push_str(&format!(
        "<line x1=\"{tx:.1}\" y1=\"{top}\" x2=\"{tx:.1}\" y2=\"{bottom:.1}\" stroke=\"{GREY}\" stroke-dasharray=\"4 3\"/>"
    ));
    out.push_str(&text(tx, top - 8.0, "middle", words.today));
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64 + row_h / 2.0;
        out.push_str(&text(label_w - 8.0, y + 5.0, "end", &r.name));
        gantt_row(&mut out, r, y, &x, words);
    }
    close(out, width, height)
}

fn gantt_row(
    out: &mut String,
    r: &GanttRow,
    y: f64,
    x: &dyn Fn(NaiveDate) -> f64,
    w: &GanttWords<'_>,
) {
    let (Some(first), Some(last)) = (r.pledges.first(), r.pledges.last()) else {
        return;
    };
    let (x0, x1) = (x(*first), x(*last));
    out.push_str(&format!(
        "<line x1=\"{x0:.1}\" y1=\"{y:.1}\" x2=\"{x1:.1}\" y2=\"{y:.1}\" stroke=\"{GREY}\" stroke-width=\"4\"/>"
    ));
    out.push_str(&format!(
        "<path d=\"M{x0:.1} {:.1} l6 6 l-6 6 l-6 -6 z\" fill=\"#fff\" stroke=\"{INK}\" stroke-width=\"1.5\"><title>{} {first}</title></path>",
        y - 6.0,
        esc(w.original)
    ));
    for d in &r.pledges[1..] {
        let xd = x(*d);
        out.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"14\" fill=\"{INK}\"><title>{} {d}</title></rect>",
            xd - 1.5,
            y - 7.0,
            esc(w.revised)
        ));
    }
    if let Some(a) = r.actual {
        let colour = if r.late { RED } else { GREEN };
        out.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"{colour}\"><title>{} {a}</title></circle>",
            x(a),
            esc(w.actual)
        ));
    } else if r.late {
        out.push_str(&format!(
            "<circle cx=\"{x1:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"none\" stroke=\"{RED}\" stroke-width=\"2\"/>"
        ));
    }
}

/// Progress (0–100) week by week, as a line with a dot a report.
pub fn progress_line(points: &[(String, u8)], title: &str) -> Chart {
    let plot = Plot::new(40.0, 600.0, 140.0, 10.0, points.len());
    let (width, height) = (plot.right() + 20.0, plot.bottom() + 30.0);
    let mut out = svg_open(width, height, title);
    grid(&mut out, &plot);
    let values: Vec<Option<f64>> = points.iter().map(|(_, p)| Some(f64::from(*p))).collect();
    let tips: Vec<String> = points.iter().map(|(w, p)| format!("{w} {p}%")).collect();
    line(&mut out, &plot, &values, "#2962ff", &tips);
    if let (Some((first, _)), Some((last, _))) = (points.first(), points.last()) {
        let bottom = plot.bottom() + 20.0;
        out.push_str(&text(plot.left, bottom, "start", first));
        out.push_str(&text(plot.right(), bottom, "end", last));
    }
    close(out, width, height)
}

fn svg_open(width: f64, height: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" font-size=\"13\" font-family=\"{FONT_FAMILY}, sans-serif\"><title>{}</title>",
        esc(title)
    )
}

fn close(mut svg: String, width: f64, height: f64) -> Chart {
    svg.push_str("</svg>");
    Chart { width, height, svg }
}

fn text(x: f64, y: f64, anchor: &str, s: &str) -> String {
    format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" fill=\"{INK}\">{}</text>",
        esc(s)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_counts_and_names_are_escaped() {
        let bars = [
            ZoneBar {
                zone: "<东区>".into(),
                red: 2,
                yellow: 0,
                green: 2,
            },
            ZoneBar {
                zone: "西区".into(),
                red: 0,
                yellow: 1,
                green: 0,
            },
        ];
        let svg = lights_by_zone(&bars, "t").svg;
        assert!(svg.contains("&lt;东区&gt;"), "{svg}");
        assert!(!svg.contains("<东区>"));
        // The longest bar fills the width: two reds of four are half of it.
        assert!(
            svg.contains("width=\"210.0\" height=\"18\" fill=\"#d63031\""),
            "{svg}"
        );
        assert!(
            svg.contains("width=\"105.0\" height=\"18\" fill=\"#f1c40f\""),
            "{svg}"
        );
    }

    #[test]
    fn a_slipped_milestone_shows_its_first_pledge_each_revision_and_its_actual_date() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let rows = [GanttRow {
            name: "开工".into(),
            pledges: vec![d(3, 1), d(5, 1), d(6, 1)],
            actual: Some(d(6, 20)),
            late: true,
        }];
        let words = GanttWords {
            title: "t",
            original: "首次承诺",
            revised: "调整",
            actual: "实际",
            today: "今天",
        };
        let svg = gantt(&rows, d(7, 1), &words).svg;
        assert_eq!(svg.matches("<title>调整").count(), 2, "{svg}");
        assert!(svg.contains("<title>首次承诺 2026-03-01</title>"));
        assert!(svg.contains("fill=\"#d63031\"><title>实际 2026-06-20</title>"));
    }
}
