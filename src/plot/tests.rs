//! Tests of the pictures: every file written, valid PNGs of the stated size
//! that are not blank, SVGs with their titles, and the generic drawing API.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::prelude::*;

use super::*;
use crate::scenario::load::default_scenario;

struct Run {
    scn: Scenario,
    prepared: Prepared,
    outcome: Outcome,
    coverage: Coverage,
}

/// The default scenario over a shorter horizon (6 hours), run once.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let mut scn = default_scenario().expect("default scenario");
        scn.sim.horizon_s = 6.0 * 3600.0;
        let prepared = Prepared::new(&scn);
        let outcome = crate::sim::run(&scn, &prepared, 0).expect("run");
        let coverage = Coverage::of(&scn, 5);
        Run {
            scn,
            prepared,
            outcome,
            coverage,
        }
    })
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("patrolsim-plot-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A decoded 8-bit, non-interlaced PNG: size and pixels (channels each).
struct Png {
    width: u32,
    height: u32,
    channels: usize,
    pixels: Vec<u8>,
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = a as i16 + b as i16 - c as i16;
    let (pa, pb, pc) = (
        (p - a as i16).abs(),
        (p - b as i16).abs(),
        (p - c as i16).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// Decode a PNG as plotters writes it (8-bit RGB or RGBA), checking the
/// signature, the chunk CRCs and the IHDR, with flate2 for the image data.
fn decode_png(path: &Path) -> Png {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{}: not a PNG",
        path.display()
    );
    let mut pos = 8;
    let mut header = None;
    let mut idat = Vec::new();
    loop {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        let data = &bytes[pos + 8..pos + 8 + len];
        let crc = u32::from_be_bytes(bytes[pos + 8 + len..pos + 12 + len].try_into().unwrap());
        let mut check = flate2::Crc::new();
        check.update(kind);
        check.update(data);
        assert_eq!(check.sum(), crc, "{}: bad CRC", path.display());
        if pos == 8 {
            assert_eq!(kind, b"IHDR", "{}: IHDR must come first", path.display());
        }
        match kind {
            b"IHDR" => {
                let w = u32::from_be_bytes(data[0..4].try_into().unwrap());
                let h = u32::from_be_bytes(data[4..8].try_into().unwrap());
                header = Some((w, h, data[8], data[9], data[12]));
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        pos += 12 + len;
    }
    let (width, height, depth, colour, interlace) = header.unwrap();
    assert_eq!((depth, interlace), (8, 0), "{}", path.display());
    let channels = match colour {
        0 => 1,
        2 => 3,
        4 => 2,
        6 => 4,
        other => panic!("{}: colour type {other}", path.display()),
    };
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = width as usize * channels;
    assert_eq!(raw.len(), height as usize * (stride + 1));
    let mut pixels = vec![0u8; height as usize * stride];
    let mut prev = vec![0u8; stride];
    for y in 0..height as usize {
        let line = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let b = prev[i];
            let c = if i >= channels { prev[i - channels] } else { 0 };
            let predictor = match line[0] {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((a as u16 + b as u16) / 2) as u8,
                4 => paeth(a, b, c),
                f => panic!("{}: filter {f}", path.display()),
            };
            cur[i] = line[1 + i].wrapping_add(predictor);
        }
        pixels[y * stride..(y + 1) * stride].copy_from_slice(&cur);
        prev = cur;
    }
    Png {
        width,
        height,
        channels,
        pixels,
    }
}

/// Distinct colours and the share of pixels that are not white.
fn ink(pixels: &[u8], channels: usize) -> (usize, f64) {
    let mut colours = HashSet::new();
    let mut inked = 0usize;
    for p in pixels.chunks_exact(channels) {
        let rgb = match channels {
            1 | 2 => [p[0]; 3],
            _ => [p[0], p[1], p[2]],
        };
        colours.insert(rgb);
        inked += (rgb != [255, 255, 255]) as usize;
    }
    (
        colours.len(),
        inked as f64 / (pixels.len() / channels).max(1) as f64,
    )
}

const EXPECTED: [(&str, (u32, u32), &str); 7] = [
    ("map", MAP_SIZE, "City map: default"),
    ("coverage", MAP_SIZE, "Static coverage: default"),
    ("response", CHART_SIZE, "Response time: default"),
    ("hourly", CHART_SIZE, "Compliance by hour of day: default"),
    ("utilisation", CHART_SIZE, "Unit utilisation: default"),
    ("loops", CHART_SIZE, "Patrol loop laps: default"),
    ("hotspots", CHART_SIZE, "Hotspot revisits: default"),
];

#[test]
fn write_all_writes_every_picture_as_png_and_svg() {
    let r = run();
    assert!(!r.scn.patrols.is_empty() && !r.scn.hotspots.is_empty());
    let dir = temp_dir("all");
    let files = write_all(&dir, &r.scn, &r.prepared, &r.outcome, &r.coverage).unwrap();
    let expected: Vec<PathBuf> = EXPECTED
        .iter()
        .flat_map(|(stem, _, _)| {
            [
                dir.join(format!("{stem}.png")),
                dir.join(format!("{stem}.svg")),
            ]
        })
        .collect();
    assert_eq!(files, expected);
    for (stem, (w, h), title) in EXPECTED {
        let png = decode_png(&dir.join(format!("{stem}.png")));
        assert_eq!((png.width, png.height), (w, h), "{stem}.png size");
        let (colours, share) = ink(&png.pixels, png.channels);
        assert!(colours >= 40, "{stem}.png has only {colours} colours");
        assert!(
            share > 0.03 && share < 0.97,
            "{stem}.png: {:.1}% of pixels inked",
            100.0 * share
        );
        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{stem}.svg");
        assert!(svg.contains(&format!("width=\"{w}\"")), "{stem}.svg width");
        assert!(svg.contains(title), "{stem}.svg lacks its title");
        assert!(svg.trim_end().ends_with("</svg>"), "{stem}.svg is cut off");
    }
    // No temporary file is left behind.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 14, "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn loop_and_hotspot_charts_are_skipped_without_loops_or_hotspots() {
    let r = run();
    let mut outcome = r.outcome.clone();
    outcome.summary.loops.clear();
    outcome.summary.hotspots.clear();
    let dir = temp_dir("skip");
    std::fs::create_dir_all(&dir).unwrap();
    assert!(loops(&dir, &r.scn, &outcome).unwrap().is_empty());
    assert!(hotspots(&dir, &r.scn, &outcome).unwrap().is_empty());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unwritable_directory_is_a_write_error() {
    let r = run();
    let dir = temp_dir("blocked");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = response(&file, &r.scn, &r.outcome).unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every `draw_*` function draws on an in-memory bitmap of another size.
#[test]
fn draw_functions_render_into_a_buffer() {
    let r = run();
    register_fonts().unwrap();
    let (w, h) = (800u32, 560u32);
    let check = |name: &str, draw: &dyn Fn(&DrawingArea<BitMapBackend, Shift>)| {
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            draw(&root);
            root.present().unwrap();
        }
        let (colours, share) = ink(&buf, 3);
        assert!(colours >= 40, "{name}: only {colours} colours");
        assert!(share > 0.03, "{name}: blank");
    };
    check("map", &|a| {
        draw_city_map(a, &r.scn, &r.prepared, &r.outcome).unwrap()
    });
    check("coverage", &|a| {
        draw_coverage_map(a, &r.scn, &r.prepared, &r.coverage).unwrap()
    });
    check("response", &|a| {
        draw_response(a, &r.scn, &r.outcome).unwrap()
    });
    check("hourly", &|a| draw_hourly(a, &r.scn, &r.outcome).unwrap());
    check("utilisation", &|a| {
        draw_utilisation(a, &r.scn, &r.outcome).unwrap()
    });
    check("loops", &|a| draw_loops(a, &r.scn, &r.outcome).unwrap());
    check("hotspots", &|a| {
        draw_hotspots(a, &r.scn, &r.outcome).unwrap()
    });
}

/// The road polylines cover every undirected road segment exactly once.
#[test]
fn roads_cover_every_segment_once() {
    let net = &run().scn.net;
    let mut want = HashSet::new();
    for e in 0..net.edge_count() {
        let (u, v) = (net.edge_from[e], net.fwd.head[e]);
        if u != v {
            want.insert((u.min(v), u.max(v)));
        }
    }
    let mut got = HashSet::new();
    let mut segments = 0;
    for road in map::roads(net) {
        assert!(road.nodes.len() >= 2);
        for w in road.nodes.windows(2) {
            segments += 1;
            got.insert((w[0].min(w[1]), w[0].max(w[1])));
        }
    }
    assert_eq!(got, want);
    assert_eq!(segments, want.len(), "a segment drawn twice");
}

#[test]
fn time_formats() {
    assert_eq!(common::mmss(300.0), "5:00");
    assert_eq!(common::mmss(13139.4), "218:59");
    assert_eq!(common::thousands(2193), "2,193");
    assert_eq!(common::thousands(12), "12");
    assert_eq!(common::thousands(1234567), "1,234,567");
}

/// Render the default scenario (a full day; or the scenario file
/// `$PATROLSIM_PLOT_SCENARIO`) into `$PATROLSIM_PLOT_DIR` (default
/// `/tmp/plots`) and print the time taken, for looking at the pictures:
/// `cargo test --release --lib plot::tests::render_default -- --ignored --nocapture`.
#[test]
#[ignore]
fn render_default() {
    let scn = match std::env::var("PATROLSIM_PLOT_SCENARIO") {
        Ok(path) => crate::scenario::load::from_path(Path::new(&path)).unwrap(),
        Err(_) => default_scenario().unwrap(),
    };
    let prepared = Prepared::new(&scn);
    let outcome = crate::sim::run(&scn, &prepared, 0).unwrap();
    let coverage = Coverage::of(&scn, 5);
    let dir =
        PathBuf::from(std::env::var("PATROLSIM_PLOT_DIR").unwrap_or_else(|_| "/tmp/plots".into()));
    register_fonts().unwrap();
    let t = std::time::Instant::now();
    let files = write_all(&dir, &scn, &prepared, &outcome, &coverage).unwrap();
    let all = t.elapsed();
    for f in &files {
        let len = std::fs::metadata(f).unwrap().len();
        println!("{} {} kB", f.display(), len / 1000);
    }
    println!("write_all: {:.3} s", all.as_secs_f64());
    let t = std::time::Instant::now();
    city_map(&dir, &scn, &prepared, &outcome).unwrap();
    println!("map: {:.3} s", t.elapsed().as_secs_f64());
    let t = std::time::Instant::now();
    coverage_map(&dir, &scn, &prepared, &coverage).unwrap();
    println!("coverage: {:.3} s", t.elapsed().as_secs_f64());
    for (name, f) in [
        (
            "response",
            response as fn(&Path, &Scenario, &Outcome) -> Result<Vec<PathBuf>>,
        ),
        ("hourly", hourly),
        ("utilisation", utilisation),
        ("loops", loops),
        ("hotspots", hotspots),
    ] {
        let t = std::time::Instant::now();
        f(&dir, &scn, &outcome).unwrap();
        println!("{name}: {:.3} s", t.elapsed().as_secs_f64());
    }
}
