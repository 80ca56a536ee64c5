//! The HTML report: one self-contained page per run (`report.html`).
//!
//! [`write_report`] writes a single file that needs nothing else: no
//! network, no fonts, no scripts or pictures beside it (a
//! Content-Security-Policy in the page forbids loading anything). It holds,
//! from the top:
//!
//! * the verdict on both targets (response time, and patrol loops) with the
//!   numbers behind it, on a green or red banner;
//! * the key figures and the scenario's facts (network, stations, units,
//!   calls, targets);
//! * an in-page playback of the run: a canvas that replays the units'
//!   positions (coloured by what they do) and the open calls from a thinned
//!   trace embedded in the page as JSON, over a picture of the roads drawn by
//!   the animation's background renderer at a known extent, with a clock,
//!   the running share of calls reached in time, play/pause (`#play`), a time
//!   slider (`#slider`) and a speed choice (`#speed`);
//! * the summary tables (response figures, by priority, by hour, loops,
//!   hotspots, units);
//! * every plot of the run, inline as `data:image/png;base64,...`.
//!
//! The trace is sampled every [`BASE_STEP_S`] seconds of city time (more
//! coarsely for long runs or many units, so that the samples stay within
//! about [`TRACE_BUDGET`] bytes); the page interpolates positions between
//! samples. Positions are whole pixels of the background picture, each
//! sample's given as the change from the previous one (0 for a unit that
//! stands still), which takes about a third off for a city of mostly
//! waiting units.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analysis::coverage::Coverage;
use crate::error::{Error, Result};
use crate::metrics::{Outcome, Stats};
use crate::plot::AnimateOptions;
use crate::report::{mmss, pct, thousands};
use crate::scenario::{load, Scenario};
use crate::sim::{self, Prepared};
use crate::trace::{Activity, Trace};

/// Finest sampling of the embedded trace, seconds of city time.
pub const BASE_STEP_S: f64 = 30.0;
/// Most bytes the sampled unit positions may take in the page.
pub const TRACE_BUDGET: usize = 3_000_000;
/// Width of the playback's background picture, pixels (the height follows
/// the city's shape).
const MAP_W: u32 = 1000;

/// The plots' captions, by file stem (the table of `plot`).
const CAPTIONS: [(&str, &str, &str); 7] = [
    (
        "map",
        "City map",
        "Roads by class, stations, hotspots by kind, patrol loops, and calls coloured by response.",
    ),
    (
        "coverage",
        "Static coverage",
        "Travel time from the nearest station (and, with loops, from the nearest loop), every unit assumed free.",
    ),
    (
        "response",
        "Response times",
        "Histogram and empirical distribution per priority, against the target and the goal.",
    ),
    (
        "hourly",
        "By hour of day",
        "Call volume and compliance by hour of the call, against the goal.",
    ),
    (
        "utilisation",
        "Unit utilisation",
        "Share of the time each unit was dispatched or on scene, grouped by station.",
    ),
    (
        "loops",
        "Patrol loops",
        "Static and observed lap times per loop against the lap target.",
    ),
    (
        "hotspots",
        "Hotspots",
        "Gaps between patrol passes per hotspot against its revisit limit.",
    ),
];

/// Write `report.html` into `dir` (created if needed) for a run of `scn`
/// with results `outcome` and trace `trace`; `plots` are the files
/// [`crate::plot::write_all`] wrote (PNGs are embedded; an SVG only when no
/// PNG of the same name is given). Returns the page's path. The file is
/// written under a temporary name and renamed into place.
pub fn write_report(
    dir: &Path,
    scn: &Scenario,
    prepared: &Prepared,
    outcome: &Outcome,
    trace: &Trace,
    plots: &[PathBuf],
) -> Result<PathBuf> {
    crate::output::ensure_dir(dir)?;
    let path = dir.join("report.html");
    // The playback's background: the animation's map without its panel,
    // drawn through a temporary PNG (plotters writes PNGs to files).
    let opts = background_options(scn);
    let tmp = dir.join(format!(".report-map.tmp-{}.png", std::process::id()));
    let drawn = opts.write_map_background(&tmp, scn, prepared);
    let read = std::fs::read(&tmp);
    let _ = std::fs::remove_file(&tmp);
    let bg = drawn?;
    let png = read.map_err(|e| Error::read(&tmp, e))?;
    let geo = MapGeometry {
        width: bg.width,
        height: bg.height,
        metres_per_px: bg.metres_per_px(),
        act: BY_CODE.map(|a| bg.activity_rgb(a)),
        labels: BY_CODE.map(|a| bg.activity_label(a)),
        call: bg.call_rgb(),
    };
    let playback = Playback::sample(scn, outcome, trace, &geo, &|m| bg.px(m));
    let playback_json = serde_json::to_string(&playback)
        .map_err(|e| Error::Internal(format!("playback does not serialise: {e}")))?;
    let mut figures = Vec::new();
    for p in plot_files(plots) {
        let bytes = std::fs::read(&p).map_err(|e| Error::read(&p, e))?;
        figures.push((p, bytes));
    }
    let html = page(
        scn,
        outcome,
        &playback,
        &playback_json,
        &png,
        &geo,
        &figures,
    );
    crate::output::write_string(&path, &html)?;
    Ok(path)
}

/// `patrolsim report SCENARIO --out DIR [--seed N] [--rep R]` (and
/// `run --report`): load the scenario, simulate replication `rep` with a
/// trace, write the usual outputs and plots into `out` and `report.html`
/// beside them, and print the console summary and where the report is.
pub fn report_command(scenario_path: &Path, out: &Path, rep: u64, seed: Option<u64>) -> Result<()> {
    let mut scn = load::from_path(scenario_path)?;
    if let Some(seed) = seed {
        scn.sim.seed = seed;
    }
    report_scenario(&scn, out, rep, true)
}

/// Simulate replication `rep` of a loaded scenario and write every output
/// into `out`: the CSV files, summary.json, the plots and, with `html`,
/// report.html; then print the console summary and what was written.
pub fn report_scenario(scn: &Scenario, out: &Path, rep: u64, html: bool) -> Result<()> {
    let prepared = Prepared::new(scn);
    let (outcome, trace) = if html {
        let (o, t) = sim::run_traced(scn, &prepared, rep)?;
        (o, Some(t))
    } else {
        (sim::run(scn, &prepared, rep)?, None)
    };
    crate::report::write_outputs(out, &outcome)?;
    let coverage = Coverage::of(scn, 5);
    let plots = crate::plot::write_all(out, scn, &prepared, &outcome, &coverage)?;
    let html = match &trace {
        Some(trace) => Some(write_report(out, scn, &prepared, &outcome, trace, &plots)?),
        None => None,
    };
    print!("{}", crate::report::console_summary(scn, &outcome));
    let names: Vec<String> = plots
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    println!(
        "\nWrote {}/: incidents.csv (per call), units.csv (per unit), loops.csv (per patrol loop), hotspots.csv (per hotspot), summary.json (all figures),\nand plots as PNG and SVG: {}.",
        out.display(),
        names.join(", ")
    );
    if let Some(html) = html {
        let bytes = std::fs::metadata(&html)
            .map_err(|e| Error::read(&html, e))?
            .len();
        println!(
            "Report: {} ({:.1} MB, self-contained: verdict, tables, plots and a playback of the run; open it in any browser).",
            html.display(),
            bytes as f64 / 1e6
        );
    }
    Ok(())
}

/// The plot files to embed: every PNG, and an SVG only without a PNG of the
/// same stem, in the given order.
fn plot_files(plots: &[PathBuf]) -> Vec<PathBuf> {
    let ext = |p: &Path, e: &str| p.extension().is_some_and(|x| x.eq_ignore_ascii_case(e));
    plots
        .iter()
        .filter(|p| ext(p, "png") || (ext(p, "svg") && !plots.contains(&p.with_extension("png"))))
        .cloned()
        .collect()
}

/// The size of the playback's background: [`MAP_W`] wide, as high as the
/// city's shape asks (400 to 1400 pixels).
fn background_options(scn: &Scenario) -> AnimateOptions {
    let [lo, hi] = scn.net.bbox_m();
    let aspect = if lo[0].is_finite() && hi[0].is_finite() {
        (hi[1] - lo[1]).max(1.0) / (hi[0] - lo[0]).max(1.0)
    } else {
        1.0
    };
    let height = ((MAP_W as f64 - 24.0) * aspect + 24.0)
        .round()
        .clamp(400.0, 1400.0) as u32;
    AnimateOptions {
        width: MAP_W,
        height,
        ..AnimateOptions::default()
    }
}

/// What the page needs to know of the background picture.
struct MapGeometry {
    /// Size, pixels.
    width: u32,
    height: u32,
    /// Scale.
    metres_per_px: f64,
    /// The animation's colour and label of each activity code.
    act: [[u8; 3]; 5],
    labels: [&'static str; 5],
    /// The animation's colour of open calls.
    call: [u8; 3],
}

/// The trace as the page replays it.
#[derive(Serialize)]
struct Playback {
    /// Background size, pixels.
    w: u32,
    h: u32,
    /// Time of the first sample and between samples, seconds.
    t0: f64,
    step: f64,
    /// End of the run, seconds.
    horizon: f64,
    /// Warm-up (calls before it are not counted), seconds.
    warmup: f64,
    /// Response target, seconds, and the share of calls that should meet it.
    target: f64,
    goal: f64,
    /// The target as people read it (`5:00`).
    #[serde(rename = "targetText")]
    target_text: String,
    /// Number of units.
    units: usize,
    /// Per sample: `x, y, activity` of every unit, flat; `x` and `y` are
    /// the change from the previous sample (the first sample's are absolute).
    f: Vec<Vec<i32>>,
    /// Per call: `call, arrive, clear` (whole seconds, -1 for never), `x, y`,
    /// priority, flags (1: within the target, 2: counted).
    c: Vec<[i64; 7]>,
    /// Colour of each activity code (`Activity as u8`), `[r, g, b]`.
    act: Vec<[u8; 3]>,
    /// Legend label of each activity code.
    labels: Vec<&'static str>,
    /// Activity codes in legend order (patrolling only with patrol units).
    legend: Vec<u8>,
    /// Activity codes in drawing order (last on top).
    order: Vec<u8>,
    /// Colour of open calls.
    call: [u8; 3],
}

/// Activities by code (`Activity as u8`).
const BY_CODE: [Activity; 5] = [
    Activity::Idle,
    Activity::Patrolling,
    Activity::EnRoute,
    Activity::OnScene,
    Activity::Returning,
];

impl Playback {
    /// Sample `trace` every [`BASE_STEP_S`] seconds, or every multiple of it
    /// that keeps the samples within [`TRACE_BUDGET`].
    fn sample(
        scn: &Scenario,
        outcome: &Outcome,
        trace: &Trace,
        geo: &MapGeometry,
        to_px: &dyn Fn([f64; 2]) -> (f64, f64),
    ) -> Playback {
        let net = &scn.net;
        let horizon = scn.sim.horizon_s.max(1.0);
        let units = trace.units.len();
        let px = |m: [f64; 2]| {
            let (x, y) = to_px(m);
            (x.round() as i32, y.round() as i32)
        };
        let sample = |step: f64| -> Vec<Vec<i32>> {
            let n = (horizon / step).ceil() as usize + 1;
            let mut prev = vec![(0, 0); units];
            (0..n)
                .map(|i| {
                    let t = (i as f64 * step).min(horizon);
                    let mut row = Vec::with_capacity(3 * units);
                    for (u, last) in prev.iter_mut().enumerate() {
                        let (p, a) = trace.locate(net, u, t);
                        let (x, y) = px(net.projection.to_metres(p));
                        row.extend([x - last.0, y - last.1, a as i32]);
                        *last = (x, y);
                    }
                    row
                })
                .collect()
        };
        // Sample every BASE_STEP_S; while the samples are over the budget,
        // lengthen the step in proportion (to a multiple of BASE_STEP_S).
        let mut step = BASE_STEP_S;
        let mut f = sample(step);
        loop {
            let bytes = encoded_len(&f);
            if bytes <= TRACE_BUDGET || step >= horizon {
                break;
            }
            let longer =
                (step * bytes as f64 / TRACE_BUDGET as f64 / BASE_STEP_S).ceil() * BASE_STEP_S;
            step = longer.max(step + BASE_STEP_S).min(horizon);
            f = sample(step);
        }
        let secs = |t: f64| if t.is_finite() { t.round() as i64 } else { -1 };
        let c = trace
            .calls
            .iter()
            .enumerate()
            .map(|(i, span)| {
                let (x, y) = px(net.xy[span.node.idx()]);
                let rec = outcome.calls.get(i);
                let flags = rec.as_ref().map_or(0, |r| {
                    i64::from(r.met_target && r.arrive_s.is_finite()) | (i64::from(r.counted) << 1)
                });
                [
                    secs(span.t_call),
                    secs(span.t_arrive),
                    secs(span.t_clear),
                    x as i64,
                    y as i64,
                    rec.map_or(0, |r| r.priority as i64),
                    flags,
                ]
            })
            .collect();
        let patrol_units = scn.units().iter().any(|u| u.patrol.is_some());
        Playback {
            w: geo.width,
            h: geo.height,
            t0: 0.0,
            step,
            horizon,
            warmup: scn.sim.warmup_s,
            target: scn.targets.response_s,
            goal: scn.targets.compliance,
            target_text: mmss(scn.targets.response_s),
            units,
            f,
            c,
            act: geo.act.to_vec(),
            labels: geo.labels.to_vec(),
            legend: Activity::ALL
                .iter()
                .filter(|&&a| a != Activity::Patrolling || patrol_units)
                .map(|&a| a as u8)
                .collect(),
            order: [
                Activity::Idle,
                Activity::Patrolling,
                Activity::Returning,
                Activity::EnRoute,
                Activity::OnScene,
            ]
            .iter()
            .map(|&a| a as u8)
            .collect(),
            call: geo.call,
        }
    }
}

/// Length of `f` as compact JSON.
fn encoded_len(f: &[Vec<i32>]) -> usize {
    let digits = |v: i32| {
        let mut n = usize::from(v < 0) + 1;
        let mut a = v.unsigned_abs();
        while a >= 10 {
            a /= 10;
            n += 1;
        }
        n
    };
    2 + f
        .iter()
        .map(|row| 2 + row.len().saturating_sub(1) + row.iter().map(|&v| digits(v)).sum::<usize>())
        .sum::<usize>()
        + f.len().saturating_sub(1)
}

/// Standard base64 (RFC 4648, with padding).
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = |i: usize| chunk.get(i).copied().unwrap_or(0) as u32;
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        let sextet = |shift: u32| ALPHABET[((n >> shift) & 63) as usize] as char;
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// Escape text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whole minutes when whole (`5`), else one decimal (`4.5`).
fn minutes(s: f64) -> String {
    let m = s / 60.0;
    if (m - m.round()).abs() < 1e-9 {
        format!("{}", m.round() as i64)
    } else {
        format!("{m:.1}")
    }
}

/// `m:ss`, or `-` for none.
fn opt_mmss(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), mmss)
}

/// [`dur`], or `-` for none.
fn opt_dur(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), dur)
}

/// A duration as `m:ss`, or `h:mm:ss` from an hour on.
fn dur(s: f64) -> String {
    crate::report::hmmss(s)
}

/// A span of city time: `24 h`, `90 min`, or `h:mm:ss`.
fn span(s: f64) -> String {
    let t = s.round().max(0.0) as u64;
    if t > 0 && t % 3600 == 0 {
        format!("{} h", t / 3600)
    } else if t > 0 && t % 60 == 0 {
        format!("{} min", t / 60)
    } else {
        dur(s)
    }
}

/// `2,193 calls, all counted` or `2,193 calls, 2,000 counted after a 2 h warm-up`.
fn calls_text(s: &crate::metrics::Summary) -> String {
    if s.calls.counted == s.calls.total {
        format!("{} calls, all counted", thousands(s.calls.total))
    } else {
        format!(
            "{} calls, {} counted after a {} warm-up",
            thousands(s.calls.total),
            thousands(s.calls.counted),
            span(s.warmup_s)
        )
    }
}

/// `2,193 in 24 h, all counted`, or with the warm-up.
fn calls_fact(s: &crate::metrics::Summary) -> String {
    let mut t = format!("{} in {}", thousands(s.calls.total), span(s.horizon_s));
    if s.calls.counted == s.calls.total {
        t.push_str(", all counted");
    } else {
        let _ = write!(
            t,
            ", {} counted after a {} warm-up",
            thousands(s.calls.counted),
            span(s.warmup_s)
        );
    }
    t
}

/// A share as a whole percentage when whole (`90%`), else one decimal.
fn pct0(x: f64) -> String {
    crate::report::pct0(x)
}

/// The two verdict sentences (as the console prints them) and whether each
/// target is met (`None`: no loops, so no loop verdict).
fn verdicts(s: &crate::metrics::Summary) -> [(Option<bool>, String); 2] {
    let response = format!(
        "{} the {}-minute response target: {} of calls reached within {}, goal {}.",
        if s.target.meets { "MEETS" } else { "MISSES" },
        minutes(s.target.response_s),
        pct(s.target.compliance),
        mmss(s.target.response_s),
        pct(Some(s.target.compliance_goal))
    );
    let lap = s.patrol.loop_target_s;
    let loops = match s.patrol.meets {
        Some(m) => format!(
            "{} the {}-minute patrol loop: {} of {} loops close within {} (static lap, and {} of observed laps).",
            if m { "MEETS" } else { "MISSES" },
            minutes(lap),
            s.patrol.loops_meeting,
            s.patrol.loops,
            mmss(lap),
            pct(Some(s.target.compliance_goal))
        ),
        None => format!(
            "No patrol loops: the {}-minute loop target does not apply.",
            minutes(lap)
        ),
    };
    [(Some(s.target.meets), response), (s.patrol.meets, loops)]
}

/// A table: header cells and rows of cells (already HTML); numeric columns
/// (by index) are right-aligned.
fn table(head: &[&str], rows: &[Vec<String>], numeric: &[usize]) -> String {
    let mut t = String::from("<div class=\"scroll\"><table>\n<thead><tr>");
    for (i, h) in head.iter().enumerate() {
        let class = if numeric.contains(&i) {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(t, "<th{class}>{h}</th>");
    }
    t.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        t.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if numeric.contains(&i) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(t, "<td{class}>{cell}</td>");
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</tbody></table></div>\n");
    t
}

/// A yes/no badge.
fn badge(ok: bool, yes: &str, no: &str) -> String {
    if ok {
        format!("<span class=\"ok\">{yes}</span>")
    } else {
        format!("<span class=\"bad\">{no}</span>")
    }
}

/// A share, green at or above `goal`, orange below, with a small bar.
fn share_cell(x: Option<f64>, goal: f64) -> String {
    match x {
        None => "-".into(),
        Some(v) => format!(
            "<span class=\"bar\"><span style=\"width:{:.0}%\" class=\"{}\"></span></span> {}",
            (v * 100.0).clamp(0.0, 100.0),
            if v >= goal { "fill-ok" } else { "fill-bad" },
            pct(Some(v))
        ),
    }
}

fn stats_row(label: &str, s: &Stats) -> Vec<String> {
    vec![
        label.to_string(),
        thousands(s.n),
        opt_mmss(s.mean),
        opt_mmss(s.p50),
        opt_mmss(s.p90),
        opt_mmss(s.p95),
        opt_mmss(s.max),
    ]
}

/// The whole page.
fn page(
    scn: &Scenario,
    outcome: &Outcome,
    playback: &Playback,
    playback_json: &str,
    background_png: &[u8],
    geo: &MapGeometry,
    figures: &[(PathBuf, Vec<u8>)],
) -> String {
    let s = &outcome.summary;
    let goal = s.target.compliance_goal;
    let target = s.target.response_s;
    let mut h = String::with_capacity(12_000_000);
    let title = format!("patrolsim report: {}", s.scenario);
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="patrolsim {version}">
<title>{title}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>{title}</h1>
<p class="sub">{desc}Seed {seed}, replication {rep}; {hours} of city time, {calls}.</p>
</header>
"#,
        version = env!("CARGO_PKG_VERSION"),
        title = esc(&title),
        desc = scn
            .file
            .description
            .as_deref()
            .map(|d| format!("{}. ", esc(d.trim_end_matches('.'))))
            .unwrap_or_default(),
        seed = s.seed,
        rep = s.replication,
        hours = span(s.horizon_s),
        calls = calls_text(s),
    );

    // The verdict.
    let [(resp_ok, resp_text), (loop_ok, loop_text)] = verdicts(s);
    let overall = s.layout_meets;
    let line = |ok: Option<bool>, text: &str, id: &str| {
        let (class, word) = match ok {
            Some(true) => ("pass", "MEETS"),
            Some(false) => ("fail", "MISSES"),
            None => ("na", ""),
        };
        let rest = text.strip_prefix(word).unwrap_or(text).trim_start();
        if word.is_empty() {
            format!(
                "<p id=\"{id}\"><span class=\"pill na\">N/A</span> {}</p>",
                esc(rest)
            )
        } else {
            format!(
                "<p id=\"{id}\"><span class=\"pill {class}\">{word}</span> {}</p>",
                esc(rest)
            )
        }
    };
    let _ = write!(
        h,
        "<section id=\"verdict\" class=\"verdict {}\">\n<h2>Verdict: the layout {}</h2>\n{}\n{}\n</section>\n",
        if overall { "pass" } else { "fail" },
        if overall {
            "meets its targets"
        } else {
            "misses its targets"
        },
        line(resp_ok, &resp_text, "verdict-response"),
        line(loop_ok, &loop_text, "verdict-loops"),
    );

    // Key figures.
    let r = &s.response_s;
    let cards = [
        (
            pct(s.target.compliance),
            format!(
                "of calls reached within {} (goal {})",
                mmss(target),
                pct0(goal)
            ),
            Some(s.target.meets),
        ),
        (
            opt_mmss(r.mean),
            format!("mean response; p90 {}", opt_mmss(r.p90)),
            None,
        ),
        (
            if s.patrol.loops > 0 {
                format!("{} / {}", s.patrol.loops_meeting, s.patrol.loops)
            } else {
                "-".into()
            },
            format!("patrol loops within {}", mmss(s.patrol.loop_target_s)),
            s.patrol.meets,
        ),
        (
            pct(s.queue.share_queued),
            "of calls found no unit free".into(),
            None,
        ),
        (
            pct(Some(s.utilisation.mean)),
            format!(
                "mean unit utilisation (max {})",
                pct(Some(s.utilisation.max))
            ),
            None,
        ),
    ];
    h.push_str("<section class=\"cards\">\n");
    for (value, label, ok) in cards {
        let class = match ok {
            Some(true) => " pass",
            Some(false) => " fail",
            None => "",
        };
        let _ = writeln!(
            h,
            "<div class=\"card{class}\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
            esc(&value),
            esc(&label)
        );
    }
    h.push_str("</section>\n");

    // Scenario facts.
    let station_units: usize = scn.stations.iter().map(|st| st.units as usize).sum();
    let facts: Vec<(String, String)> = vec![
        ("Scenario".into(), esc(&s.scenario)),
        ("File".into(), esc(&scn.path.display().to_string())),
        (
            "Road network".into(),
            esc(&crate::report::network_line(scn)),
        ),
        (
            "Stations".into(),
            format!(
                "{} with {} response units",
                thousands(s.stations),
                thousands(station_units)
            ),
        ),
        (
            "Patrols".into(),
            if s.patrol.loops == 0 {
                format!(
                    "no patrol loops; {} hotspots",
                    thousands(s.patrol.hotspots)
                )
            } else {
                format!(
                    "{} loops with {} units; {} hotspots, {} on a loop",
                    thousands(s.patrol.loops),
                    thousands(s.patrol.patrol_units),
                    thousands(s.patrol.hotspots),
                    thousands(s.patrol.hotspots_on_loops)
                )
            },
        ),
        ("Units".into(), thousands(s.units)),
        (
            "Calls".into(),
            calls_fact(s),
        ),
        (
            "Targets".into(),
            format!(
                "response within {} for {} of calls (including {} s call handling); patrol loops close within {}",
                mmss(target),
                pct0(goal),
                s.call_handling_s,
                mmss(s.patrol.loop_target_s)
            ),
        ),
        ("Seed, replication".into(), format!("{}, {}", s.seed, s.replication)),
    ];
    h.push_str("<section>\n<h2>Scenario</h2>\n<table class=\"facts\">\n");
    for (k, v) in &facts {
        let _ = writeln!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    h.push_str("</table>\n</section>\n");

    // Playback.
    h.push_str(&playback_section(scn, playback, background_png, geo));

    // Response figures.
    let q = &s.queue;
    h.push_str("<section>\n<h2>Response</h2>\n");
    let _ = writeln!(
        h,
        "<p>Response time is call to arrival on scene, including {} s of call handling; drive time is dispatch to arrival. Percentiles are nearest-rank, so each is a real call's time.</p>",
        s.call_handling_s
    );
    h.push_str("<div class=\"side\">\n");
    h.push_str(&table(
        &["", "calls", "mean", "p50", "p90", "p95", "max"],
        &[
            stats_row("Response time", r),
            stats_row("Drive time", &s.travel_s),
        ],
        &[1, 2, 3, 4, 5, 6],
    ));
    h.push_str(&table(
        &["queue", "value"],
        &[
            vec![
                "Calls that found no unit free".into(),
                format!("{} ({})", thousands(q.calls_queued), pct(q.share_queued)),
            ],
            vec![
                "Mean wait of those calls".into(),
                opt_mmss(q.mean_wait_if_queued_s),
            ],
            vec!["Longest wait".into(), opt_mmss(q.max_wait_s)],
            vec!["Longest queue".into(), thousands(q.max_length)],
            vec!["Mean queue length".into(), format!("{:.3}", q.mean_length)],
            vec![
                "Unit utilisation (mean, min, max)".into(),
                format!(
                    "{}, {}, {}",
                    pct(Some(s.utilisation.mean)),
                    pct(Some(s.utilisation.min)),
                    pct(Some(s.utilisation.max))
                ),
            ],
        ],
        &[1],
    ));
    h.push_str("</div>\n");
    h.push_str("</section>\n");

    // By priority.
    h.push_str("<section>\n<h2>By priority</h2>\n");
    let rows: Vec<Vec<String>> = s
        .by_priority
        .iter()
        .map(|p| {
            vec![
                format!("P{}", p.priority),
                thousands(p.calls),
                share_cell(p.compliance, goal),
                opt_mmss(p.response_s.mean),
                opt_mmss(p.response_s.p50),
                opt_mmss(p.response_s.p90),
                opt_mmss(p.response_s.max),
            ]
        })
        .collect();
    let within = format!("within {}", mmss(target));
    h.push_str(&table(
        &["priority", "calls", &within, "mean", "p50", "p90", "max"],
        &rows,
        &[1, 3, 4, 5, 6],
    ));
    h.push_str("</section>\n");

    // By hour.
    h.push_str("<section>\n<h2>By hour of day</h2>\n<p>By the hour of the call (hours of every day together).</p>\n");
    let rows: Vec<Vec<String>> = s
        .by_hour
        .iter()
        .map(|r| {
            vec![
                format!("{:02}:00", r.hour),
                thousands(r.calls),
                share_cell(r.compliance, goal),
                opt_mmss(r.mean_response_s),
            ]
        })
        .collect();
    h.push_str("<div class=\"side\">\n");
    for half in rows.chunks(rows.len().div_ceil(2).max(1)) {
        h.push_str(&table(
            &["hour", "calls", &within, "mean response"],
            half,
            &[1, 3],
        ));
    }
    h.push_str("</div>\n</section>\n");

    // Loops.
    h.push_str("<section>\n<h2>Patrol loops</h2>\n");
    if s.loops.is_empty() {
        h.push_str("<p>The scenario has no patrol loops.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p>A loop meets the {} target when its undisturbed lap is within it and at least {} of observed laps (calls included) are.</p>",
            mmss(s.patrol.loop_target_s),
            pct0(goal)
        );
        let rows: Vec<Vec<String>> = s
            .loops
            .iter()
            .map(|l| {
                vec![
                    esc(&l.name),
                    esc(&l.station),
                    l.units.to_string(),
                    l.waypoints.len().to_string(),
                    l.rejoin.to_string(),
                    dur(l.static_lap_s),
                    thousands(l.laps.n),
                    opt_dur(l.laps.mean),
                    opt_dur(l.laps.p90),
                    opt_dur(l.laps.max),
                    share_cell(l.laps_within_target, goal),
                    badge(l.meets, "meets", "MISSES"),
                ]
            })
            .collect();
        h.push_str(&table(
            &[
                "loop",
                "station",
                "units",
                "stops",
                "rejoin",
                "static lap",
                "laps",
                "mean",
                "p90",
                "max",
                "laps within",
                "",
            ],
            &rows,
            &[2, 3, 5, 6, 7, 8, 9],
        ));
    }
    h.push_str("</section>\n");

    // Hotspots.
    h.push_str("<section>\n<h2>Hotspots</h2>\n");
    if s.hotspots.is_empty() {
        h.push_str("<p>The scenario has no hotspots.</p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p>Gaps between patrol passes against each place's revisit limit; presence is the share of the time some unit was within {:.0} m.</p>",
            scn.targets.presence_radius_m
        );
        let rows: Vec<Vec<String>> = s
            .hotspots
            .iter()
            .map(|x| {
                vec![
                    esc(&x.name),
                    x.kind.to_string(),
                    mmss(x.revisit_s),
                    x.loops.to_string(),
                    thousands(x.passes),
                    opt_dur(x.gaps_s.mean),
                    opt_dur(x.gaps_s.p90),
                    opt_dur(x.gaps_s.max),
                    share_cell(x.gaps_within_revisit, goal),
                    dur(x.longest_without_s),
                    pct(Some(x.presence)),
                    badge(x.meets, "meets", "MISSES"),
                ]
            })
            .collect();
        h.push_str(&table(
            &[
                "hotspot",
                "kind",
                "revisit",
                "loops",
                "passes",
                "mean gap",
                "p90 gap",
                "max gap",
                "gaps within",
                "longest without",
                "presence",
                "",
            ],
            &rows,
            &[2, 3, 4, 5, 6, 7, 9, 10],
        ));
    }
    h.push_str("</section>\n");

    // Units.
    h.push_str(&units_section(scn, outcome));

    // Plots.
    h.push_str("<section>\n<h2>Plots</h2>\n");
    for (path, bytes) in figures {
        let stem = path
            .file_stem()
            .map(|x| x.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (heading, caption) = CAPTIONS
            .iter()
            .find(|(k, ..)| *k == stem)
            .map_or((stem.as_str(), ""), |(_, t, c)| (*t, *c));
        let mime = if path.extension().is_some_and(|e| e == "svg") {
            "image/svg+xml"
        } else {
            "image/png"
        };
        let _ = writeln!(
            h,
            "<figure id=\"fig-{id}\"><img class=\"plot\" data-plot=\"{id}\" alt=\"{heading}\" src=\"data:{mime};base64,{data}\"><figcaption><b>{heading}.</b> {caption}</figcaption></figure>",
            id = esc(&stem),
            heading = esc(heading),
            data = base64(bytes),
            caption = esc(caption),
        );
    }
    h.push_str("</section>\n");

    let _ = write!(
        h,
        "<footer>Written by patrolsim {} from {}, seed {}, replication {}. The model is described in patrolsim's docs/model.md.</footer>\n</main>\n<script type=\"application/json\" id=\"trace-data\">{}</script>\n<script>{}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&scn.path.display().to_string()),
        s.seed,
        s.replication,
        playback_json.replace("</", "<\\/"),
        SCRIPT
    );
    h
}

/// The playback: canvas, controls and side panel.
fn playback_section(
    scn: &Scenario,
    pb: &Playback,
    background_png: &[u8],
    geo: &MapGeometry,
) -> String {
    let mut h = String::new();
    let rgb = |c: [u8; 3]| format!("rgb({},{},{})", c[0], c[1], c[2]);
    let _ = writeln!(
        h,
        "<section id=\"playback-section\">\n<h2>Playback</h2>\n<p>The run replayed from its trace: every unit's position every {} of city time (in between, the page interpolates), coloured by what it is doing, and the open calls. Scale: {:.0} m per pixel of the map.</p>",
        if pb.step < 60.0 {
            format!("{:.0} s", pb.step)
        } else {
            span(pb.step)
        },
        geo.metres_per_px
    );
    let _ = writeln!(
        h,
        "<div class=\"player\">\n<div class=\"stage\">\n<canvas id=\"playback\" width=\"{w}\" height=\"{hh}\" aria-label=\"Playback of the run\"></canvas>\n<img id=\"playback-bg\" alt=\"\" hidden src=\"data:image/png;base64,{data}\">\n<div class=\"controls\">\n<button id=\"play\" type=\"button\" aria-label=\"Play\">&#9654; Play</button>\n<input id=\"slider\" type=\"range\" min=\"0\" max=\"{max}\" step=\"1\" value=\"0\" aria-label=\"City time\">\n<label>speed <select id=\"speed\">",
        w = pb.w,
        hh = pb.h,
        data = base64(background_png),
        max = pb.horizon.round() as i64,
    );
    for (v, label) in [
        (30, "30 s / s"),
        (60, "1 min / s"),
        (120, "2 min / s"),
        (300, "5 min / s"),
        (600, "10 min / s"),
        (1800, "30 min / s"),
    ] {
        let sel = if v == 120 { " selected" } else { "" };
        let _ = write!(h, "<option value=\"{v}\"{sel}>{label}</option>");
    }
    h.push_str("</select></label>\n</div>\n</div>\n<aside class=\"panel\">\n");
    let _ = writeln!(
        h,
        "<div id=\"clock\" class=\"clock\">00:00</div><div id=\"day\" class=\"muted\"></div>\n<h3>Reached within {}</h3>\n<div id=\"share\" class=\"share\">-</div>\n<div id=\"reached\" class=\"muted\">no call reached yet</div>\n<div class=\"muted\">goal {}{}</div>",
        mmss(pb.target),
        pct0(pb.goal),
        if pb.warmup > 0.0 {
            format!(", calls after {}", dur(pb.warmup))
        } else {
            String::new()
        }
    );
    let call = rgb(pb.call);
    let _ = writeln!(
        h,
        "<h3>Open calls</h3>\n<div class=\"row\"><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"6\" fill=\"none\" stroke=\"{call}\" stroke-width=\"2\"/></svg> waiting for a unit <b id=\"n-waiting\">0</b></div>\n<div class=\"row\"><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"7\" fill=\"{call}\"/><circle cx=\"9\" cy=\"9\" r=\"4\" fill=\"{}\"/></svg> unit on scene <b id=\"n-onscene\">0</b></div>",
        rgb(pb.act[Activity::OnScene as usize])
    );
    let _ = writeln!(h, "<h3>Units ({})</h3>", thousands(pb.units));
    for &code in &pb.legend {
        let _ = writeln!(
            h,
            "<div class=\"row\"><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"5\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"1\"/></svg> {} <b id=\"n-act-{code}\">0</b></div>",
            rgb(pb.act[code as usize]),
            esc(pb.labels[code as usize])
        );
    }
    // The map key: the markers the background is drawn with.
    h.push_str("<h3>Map</h3>\n<div class=\"row\"><svg width=\"18\" height=\"18\"><rect x=\"4\" y=\"4\" width=\"10\" height=\"10\" fill=\"#fff\" stroke=\"#1e1e1e\"/></svg> station</div>\n");
    let mut kinds: Vec<_> = scn.hotspots.iter().map(|x| x.kind).collect();
    kinds.sort_by_key(|k| k.name());
    kinds.dedup();
    for k in kinds {
        use crate::scenario::HotspotKind as K;
        let (icon, label) = match k {
            K::School => (
                "<polygon points=\"9,3 15,14 3,14\" fill=\"rgb(255,200,0)\" stroke=\"#1e1e1e\"/>",
                "school / university",
            ),
            K::Hospital => (
                "<path d=\"M7 3h4v4h4v4h-4v4H7v-4H3V7h4z\" fill=\"rgb(225,30,45)\" stroke=\"#1e1e1e\"/>",
                "hospital",
            ),
            K::Mall => (
                "<polygon points=\"9,3 15,9 9,15 3,9\" fill=\"rgb(170,70,215)\" stroke=\"#1e1e1e\"/>",
                "shopping district",
            ),
            K::Other => (
                "<circle cx=\"9\" cy=\"9\" r=\"5\" fill=\"rgb(0,175,175)\" stroke=\"#1e1e1e\"/>",
                "other hotspot",
            ),
        };
        let _ = writeln!(
            h,
            "<div class=\"row\"><svg width=\"18\" height=\"18\">{icon}</svg> {label}</div>"
        );
    }
    if !scn.patrols.is_empty() {
        h.push_str("<div class=\"row\"><svg width=\"18\" height=\"18\"><line x1=\"1\" y1=\"9\" x2=\"17\" y2=\"9\" stroke=\"rgb(175,207,233)\" stroke-width=\"3\"/></svg> patrol loop (faint)</div>\n");
    }
    h.push_str("</aside>\n</div>\n</section>\n");
    h
}

/// Units: by station, then every unit in a collapsed list.
fn units_section(scn: &Scenario, outcome: &Outcome) -> String {
    let mut h = String::from("<section>\n<h2>Units</h2>\n<p>Utilisation is the share of the measured window a unit spent dispatched or on scene; calls served counts counted calls.</p>\n");
    let specs = scn.units();
    let mut rows = Vec::new();
    for (i, st) in scn.stations.iter().enumerate() {
        let here: Vec<_> = outcome
            .units
            .iter()
            .zip(&specs)
            .filter(|(_, spec)| spec.station == i)
            .map(|(u, _)| u)
            .collect();
        if here.is_empty() {
            continue;
        }
        let patrol = here.iter().filter(|u| u.kind == "patrol").count();
        let calls: u32 = here.iter().map(|u| u.calls_served).sum();
        let mean = here.iter().map(|u| u.utilisation).sum::<f64>() / here.len() as f64;
        let max = here.iter().map(|u| u.utilisation).fold(0.0, f64::max);
        rows.push(vec![
            esc(&st.name),
            (here.len() - patrol).to_string(),
            patrol.to_string(),
            thousands(calls as usize),
            pct(Some(mean)),
            pct(Some(max)),
        ]);
    }
    h.push_str(&table(
        &[
            "station",
            "response units",
            "patrol units",
            "calls served",
            "mean utilisation",
            "busiest unit",
        ],
        &rows,
        &[1, 2, 3, 4, 5],
    ));
    let rows: Vec<Vec<String>> = outcome
        .units
        .iter()
        .map(|u| {
            vec![
                u.unit.to_string(),
                esc(&u.station),
                u.kind.to_string(),
                esc(&u.patrol),
                thousands(u.calls_served as usize),
                dur(u.busy_s),
                pct(Some(u.utilisation)),
            ]
        })
        .collect();
    let _ = write!(
        h,
        "<details><summary>All {} units</summary>\n{}</details>\n</section>\n",
        thousands(outcome.units.len()),
        table(
            &[
                "unit",
                "station",
                "kind",
                "loop",
                "calls served",
                "busy",
                "utilisation"
            ],
            &rows,
            &[0, 4, 5, 6],
        )
    );
    h
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1e1e1e;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:26px;margin:4px 0 2px}
h2{font-size:20px;margin:0 0 10px}
h3{font-size:15px;margin:14px 0 6px}
.sub,.muted{color:#5a5a5a}
section{background:#fff;border:1px solid #dcdfe4;border-radius:8px;padding:16px 20px;margin:16px 0}
.verdict{border-width:2px}
.verdict.pass{background:#e8f5ec;border-color:#1a9850}
.verdict.fail{background:#fdecea;border-color:#d73027}
.verdict h2{font-size:22px}
.verdict.pass h2{color:#116b38}
.verdict.fail h2{color:#a5221c}
.verdict p{margin:6px 0;font-size:16px}
.pill{display:inline-block;min-width:78px;text-align:center;font-weight:700;border-radius:4px;padding:1px 8px;margin-right:6px;color:#fff}
.pill.pass{background:#1a9850}.pill.fail{background:#d73027}.pill.na{background:#8c8c8c}
.cards{display:flex;flex-wrap:wrap;gap:12px;background:none;border:none;padding:0}
.card{flex:1 1 180px;background:#fff;border:1px solid #dcdfe4;border-radius:8px;padding:12px 14px}
.card .value{font-size:26px;font-weight:700}
.card.pass .value{color:#1a9850}.card.fail .value{color:#d73027}
.card .label{color:#5a5a5a;font-size:13px}
table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{padding:4px 10px;border-bottom:1px solid #e6e8eb;text-align:left;white-space:nowrap}
thead th{background:#f0f2f5;font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
.facts th{color:#5a5a5a;font-weight:600;width:170px;vertical-align:top}
.facts td{white-space:normal}
.scroll{overflow-x:auto}
.ok{color:#1a9850;font-weight:600}.bad{color:#d73027;font-weight:600}
.bar{display:inline-block;width:60px;height:8px;background:#e3e5e8;border-radius:2px;vertical-align:middle;margin-right:4px;overflow:hidden}
.bar span{display:block;height:100%}
.fill-ok{background:#1a9850}.fill-bad{background:#e6550d}
.side{display:flex;flex-wrap:wrap;gap:0 32px;align-items:flex-start}
details{margin-top:8px}summary{cursor:pointer;color:#1f5fa8}
.player{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}
.stage{flex:1 1 600px;min-width:0}
#playback{display:block;margin:0 auto;width:auto;height:auto;max-width:100%;max-height:calc(100vh - 90px);border:1px solid #dcdfe4;border-radius:4px;background:#fff}
.controls{display:flex;align-items:center;gap:12px;margin-top:8px}
.controls input[type=range]{flex:1}
#play{font:inherit;font-weight:600;min-width:96px;padding:6px 12px;border:1px solid #1f5fa8;background:#1f77b4;color:#fff;border-radius:4px;cursor:pointer}
#play.playing{background:#fff;color:#1f5fa8}
select{font:inherit}
.panel{flex:0 0 260px;background:#f6f6f6;border:1px solid #dcdfe4;border-radius:6px;padding:12px 14px}
.panel h3:first-of-type{margin-top:6px}
.clock{font-size:40px;font-weight:700;font-variant-numeric:tabular-nums;line-height:1.1}
.share{font-size:30px;font-weight:700;font-variant-numeric:tabular-nums}
.row{display:flex;align-items:center;gap:6px;margin:3px 0}
.row b{margin-left:auto;font-variant-numeric:tabular-nums}
figure{margin:0 0 24px}
figure img{max-width:100%;height:auto;border:1px solid #e6e8eb;display:block}
figcaption{color:#5a5a5a;font-size:13px;margin-top:4px}
footer{color:#5a5a5a;font-size:13px;margin-top:20px}
"#;

const SCRIPT: &str = r#"
(function () {
  'use strict';
  var T = JSON.parse(document.getElementById('trace-data').textContent);
  var canvas = document.getElementById('playback');
  var ctx = canvas.getContext('2d');
  var bg = document.getElementById('playback-bg');
  var play = document.getElementById('play');
  var slider = document.getElementById('slider');
  var speed = document.getElementById('speed');
  var $ = function (id) { return document.getElementById(id); };
  var rgb = function (c) { return 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')'; };
  var ACT = T.act.map(rgb), CALL = rgb(T.call), N = T.f.length, U = T.units;
  // Positions come as changes from the previous sample: add them up.
  for (var i = 1; i < N; i++) {
    var prev = T.f[i - 1], row = T.f[i];
    for (var k = 0; k < row.length; k += 3) { row[k] += prev[k]; row[k + 1] += prev[k + 1]; }
  }
  var multiDay = T.horizon > 86400;
  // Counted calls that were reached, by arrival: running compliance.
  var reached = [];
  T.c.forEach(function (c) { if ((c[6] & 2) && c[1] >= 0) reached.push([c[1], c[6] & 1]); });
  reached.sort(function (a, b) { return a[0] - b[0]; });
  var cumMet = [], m = 0;
  reached.forEach(function (r) { m += r[1]; cumMet.push(m); });
  function upto(t) {
    var lo = 0, hi = reached.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (reached[mid][0] <= t) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function clock(t) {
    var s = Math.max(0, Math.floor(t));
    return two(Math.floor(s / 3600) % 24) + ':' + two(Math.floor(s / 60) % 60);
  }
  function pct(x) { return (100 * x).toFixed(1) + '%'; }
  var t = T.t0, playing = false, last = null;
  function positions(t) {
    var x = (t - T.t0) / T.step, i = Math.max(0, Math.min(N - 1, Math.floor(x)));
    var j = Math.min(i + 1, N - 1), fr = Math.max(0, Math.min(1, x - i));
    var a = T.f[i], b = T.f[j], out = [];
    for (var u = 0; u < U; u++) {
      var k = 3 * u;
      out.push([a[k] + (b[k] - a[k]) * fr, a[k + 1] + (b[k + 1] - a[k + 1]) * fr, fr < 0.5 ? a[k + 2] : b[k + 2]]);
    }
    return out;
  }
  function dot(x, y, r, fill, ring, k) {
    if (ring) { ctx.beginPath(); ctx.arc(x, y, r + 1.5 * k, 0, 2 * Math.PI); ctx.fillStyle = '#fff'; ctx.fill(); }
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fillStyle = fill; ctx.fill();
  }
  function render() {
    // Canvas pixels per screen pixel: markers keep their size on screen.
    var k = Math.max(1, canvas.width / Math.max(1, canvas.getBoundingClientRect().width));
    if (bg.complete && bg.naturalWidth > 0) ctx.drawImage(bg, 0, 0);
    else { ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, canvas.width, canvas.height); }
    var waiting = 0, onScene = 0;
    for (var i = 0; i < T.c.length; i++) {
      var c = T.c[i];
      if (c[0] > t || (c[2] >= 0 && c[2] <= t)) continue;
      ctx.beginPath(); ctx.arc(c[3], c[4], 7 * k, 0, 2 * Math.PI);
      if (c[1] >= 0 && c[1] <= t) { ctx.fillStyle = CALL; ctx.fill(); onScene++; }
      else { ctx.strokeStyle = CALL; ctx.lineWidth = 2 * k; ctx.stroke(); waiting++; }
    }
    var pos = positions(t), counts = [0, 0, 0, 0, 0];
    pos.forEach(function (p) { counts[p[2]]++; });
    T.order.forEach(function (code) {
      pos.forEach(function (p) {
        if (p[2] !== code) return;
        var idle = code === 0, scene = code === 3;
        dot(p[0], p[1], (idle ? 3 : 4) * k, ACT[code], !idle && !scene, k);
      });
    });
    // Clock and running compliance, in the map's top-left corner.
    var n = upto(t), met = n ? cumMet[n - 1] : 0, share = n ? met / n : null;
    var colour = share === null ? '#5a5a5a' : (share >= T.goal ? '#1a9850' : '#e6550d');
    ctx.save(); ctx.scale(k, k);
    ctx.fillStyle = 'rgba(255,255,255,0.9)'; ctx.fillRect(8, 8, 170, 58);
    ctx.strokeStyle = '#c8c8c8'; ctx.lineWidth = 1; ctx.strokeRect(8.5, 8.5, 169, 57);
    ctx.fillStyle = '#1e1e1e'; ctx.font = 'bold 26px sans-serif'; ctx.textBaseline = 'top';
    ctx.fillText(clock(t), 16, 13);
    if (multiDay) { ctx.font = 'bold 13px sans-serif'; ctx.fillText('day ' + (Math.floor(t / 86400) + 1), 104, 21); }
    ctx.fillStyle = colour; ctx.font = 'bold 14px sans-serif';
    ctx.fillText(share === null ? 'no call reached yet' : pct(share) + ' within ' + T.targetText, 16, 45);
    ctx.restore();
    // The panel.
    $('clock').textContent = clock(t);
    $('day').textContent = multiDay ? 'day ' + (Math.floor(t / 86400) + 1) : '';
    $('share').textContent = share === null ? '-' : pct(share);
    $('share').style.color = colour;
    $('reached').textContent = n ? met.toLocaleString('en') + ' of ' + n.toLocaleString('en') + ' calls reached' : 'no call reached yet';
    $('n-waiting').textContent = waiting;
    $('n-onscene').textContent = onScene;
    T.legend.forEach(function (code) { $('n-act-' + code).textContent = counts[code]; });
    slider.value = Math.round(t);
  }
  function setPlaying(p) {
    playing = p; last = null;
    play.textContent = p ? '\u275A\u275A Pause' : '\u25B6 Play';
    play.setAttribute('aria-label', p ? 'Pause' : 'Play');
    play.classList.toggle('playing', p);
    if (p) requestAnimationFrame(tick);
  }
  function tick(now) {
    if (!playing) return;
    if (last !== null) {
      t += (now - last) / 1000 * Number(speed.value);
      if (t >= T.horizon) { t = T.horizon; render(); setPlaying(false); return; }
    }
    last = now;
    render();
    requestAnimationFrame(tick);
  }
  play.addEventListener('click', function () {
    if (!playing && t >= T.horizon) t = T.t0;
    setPlaying(!playing);
  });
  slider.addEventListener('input', function () { t = Number(slider.value); last = null; render(); });
  window.addEventListener('resize', function () { if (!playing) render(); });
  function ready() { render(); document.body.setAttribute('data-ready', '1'); }
  if (bg.complete && bg.naturalWidth > 0) ready();
  else { bg.addEventListener('load', ready); bg.addEventListener('error', ready); }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_known_vectors() {
        // RFC 4648, section 10.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain:?}");
        }
        // Every byte value, and the last letters of the alphabet.
        assert_eq!(base64(&[0xFB, 0xFF, 0xBF]), "+/+/");
        assert_eq!(base64(&[0, 0, 0]), "AAAA");
        let all: Vec<u8> = (0..=255).collect();
        let coded = base64(&all);
        assert_eq!(coded.len(), 344);
        assert!(coded.starts_with("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"));
        assert!(coded.ends_with("+/w=="));
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn encoded_length_is_exact() {
        for f in [
            vec![],
            vec![vec![]],
            vec![
                vec![0, -1, 10],
                vec![-123, 4567, 0],
                vec![i32::MIN, i32::MAX],
            ],
        ] {
            assert_eq!(
                encoded_len(&f),
                serde_json::to_string(&f).unwrap().len(),
                "{f:?}"
            );
        }
    }

    #[test]
    fn svg_only_without_png() {
        let p = |s: &str| PathBuf::from(s);
        let files = [p("d/map.png"), p("d/map.svg"), p("d/extra.svg")];
        assert_eq!(plot_files(&files), vec![p("d/map.png"), p("d/extra.svg")]);
    }
}
