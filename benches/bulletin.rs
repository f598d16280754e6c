//! Benchmark 3: composing (and rendering, and drawing the picture of) the
//! weekly bulletin for 1,000, 10,000 and 100,000 projects, from snapshots
//! built in memory, with the peak heap it takes. `cargo bench --bench
//! bulletin`.

// The peak-heap figure needs a counting global allocator, which is unsafe
// by nature; nothing else in the workspace may use `unsafe`.
#![allow(unsafe_code)]

#[path = "../examples/bench/machine.rs"]
mod machine;
#[path = "../examples/bench/portfolio.rs"]
mod portfolio;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use duban::domain::analysis::compose_analysis;
use duban::domain::bulletin::{Policy, compose};
use duban::domain::lang::Lang;
use duban::domain::model::{PledgeRevision, Report};
use duban::domain::time::ReportingWeek;
use duban::render::bulletin::render;
use duban::render::picture::{bulletin_chart, png};

/// The system allocator, counting the bytes live and their high-water mark,
/// so the benchmark can say how much heap composing takes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are
// updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Heap taken at the peak of `f` beyond what was live before it, and how
/// long `f` took.
fn peak_of<R>(f: impl FnOnce() -> R) -> (R, usize, Duration) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let start = Instant::now();
    let r = f();
    let took = start.elapsed();
    (r, PEAK.load(Ordering::Relaxed) - before, took)
}

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];

const POLICY: Policy = Policy {
    warning_days: 14,
    escalate_days: 14,
    bottom_count: 3,
    list_limit: 20,
    lights: duban::domain::indicators::LightRules::DEFAULT,
};

/// The bulletin's picture as posted: its charts drawn to PNG.
fn drawn(b: &duban::domain::bulletin::Bulletin) -> Vec<u8> {
    let chart = bulletin_chart(b, Lang::ZhCn).expect("a portfolio has a picture");
    png(&chart, "bench").expect("the picture draws")
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0 / 1024.0
}

/// One cold run per size, outside criterion: the peak heap, and the output's
/// size so a change that shortens the work is noticed.
fn memory_report() {
    let now = portfolio::bulletin_time();
    let tz = portfolio::TZ;
    let week = ReportingWeek::of_instant(now, tz);
    println!("bulletin: peak heap (one cold run; snapshots are the input, held before)");
    for n in SIZES {
        let (snaps, input, _) = peak_of(|| portfolio::snapshots(n));
        let (b, compose_peak, compose_time) =
            peak_of(|| compose(week, now, tz, black_box(&snaps), POLICY));
        let (text, render_peak, render_time) = peak_of(|| render(&b, Lang::ZhCn, tz));
        let (picture, picture_peak, picture_time) = peak_of(|| drawn(&b));
        println!(
            "  {n:>7} projects: snapshots {:.1} MiB | compose {:.1} ms, peak {:.1} MiB | render {:.1} ms, peak {:.1} MiB | picture {:.1} ms, peak {:.1} MiB, {:.0} KiB of PNG | {} overdue, {} at risk, {} lines, {:.1} MiB of text",
            mib(input),
            compose_time.as_secs_f64() * 1e3,
            mib(compose_peak),
            render_time.as_secs_f64() * 1e3,
            mib(render_peak),
            picture_time.as_secs_f64() * 1e3,
            mib(picture_peak),
            picture.len() as f64 / 1024.0,
            b.overdue.len(),
            b.at_risk.len(),
            text.lines().count(),
            mib(text.len()),
        );
    }
}

/// The monthly analysis of November over `n` projects, each with a report
/// in force for every week of the year so far and its pledges recorded:
/// one cold run, timed (five weeks rebuilt as they stood, and the period).
fn analysis_report() {
    let tz = portfolio::TZ;
    println!("analysis: compose_analysis of 2026-11 (one cold run)");
    for n in [1_000, 10_000] {
        let snaps = portfolio::snapshots(n);
        let mut reports = Vec::new();
        let mut week =
            ReportingWeek::containing(chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date"));
        for _ in 0..47 {
            reports.extend(snaps.iter().map(|s| Report {
                id: 0,
                project_id: s.project.id,
                week,
                submitted_at: portfolio::sh(2026, 1, 1, 0, 0),
                submitted_by: "bench".into(),
                late: false,
                progress: Some(50),
                invested_week: Some(1_000_000),
                invested_total: None,
                this_week: None,
                next_week: None,
                free_text: Vec::new(),
            }));
            week = week.next();
        }
        let revisions: Vec<PledgeRevision> = snaps
            .iter()
            .flat_map(|s| &s.milestones)
            .map(|m| PledgeRevision {
                milestone_id: m.id,
                pledged: m.pledged,
                precision: m.pledged_precision,
                recorded_at: portfolio::sh(2026, 1, 1, 0, 0),
                source: "bench".into(),
            })
            .collect();
        let now = portfolio::sh(2026, 12, 1, 1, 0);
        let start = Instant::now();
        let a = compose_analysis("2026-11", &snaps, &reports, &revisions, now, tz, POLICY);
        let took = start.elapsed();
        let weeks = a.map_or(0, |a| a.trend.len());
        println!(
            "  {n:>7} projects, {} reports, {} pledges: {:.1} ms ({weeks} weeks rebuilt)",
            reports.len(),
            revisions.len(),
            took.as_secs_f64() * 1e3
        );
    }
}

fn benches(c: &mut Criterion) {
    let now = portfolio::bulletin_time();
    let tz = portfolio::TZ;
    let week = ReportingWeek::of_instant(now, tz);
    let mut group = c.benchmark_group("bulletin");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let snaps = portfolio::snapshots(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("compose", n), &snaps, |b, snaps| {
            b.iter(|| compose(week, now, tz, black_box(snaps), POLICY));
        });
        let composed = compose(week, now, tz, &snaps, POLICY);
        group.bench_with_input(BenchmarkId::new("render", n), &composed, |b, composed| {
            b.iter(|| render(black_box(composed), Lang::ZhCn, tz));
        });
        group.bench_with_input(BenchmarkId::new("picture", n), &composed, |b, composed| {
            b.iter(|| drawn(black_box(composed)));
        });
    }
    group.finish();
}

fn main() {
    println!("machine: {}", machine::describe());
    println!("before: {}", machine::load());
    memory_report();
    analysis_report();
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    println!("after: {}", machine::load());
}
