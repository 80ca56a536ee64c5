//! The animation: frame counts, picture size, file size, and the command's
//! option checks.

use std::path::Path;

use patrolsim::plot::{animate, AnimateOptions};
use patrolsim::scenario::load;
use patrolsim::sim::{self, Prepared};

use crate::common::{root, run_in, temp_dir};

/// What the blocks of a GIF say.
#[derive(Debug)]
struct GifFacts {
    width: u16,
    height: u16,
    /// Image descriptors (0x2C), one per frame.
    frames: usize,
    /// Delay of each frame, hundredths of a second (from its graphic control extension).
    delays: Vec<u16>,
    /// Whether the NETSCAPE2.0 loop extension is present.
    loops: bool,
}

/// Walk a GIF's blocks (header, colour tables, extensions, images, trailer)
/// and count its frames; panic on anything malformed.
fn gif_facts(bytes: &[u8]) -> GifFacts {
    assert!(
        bytes.starts_with(b"GIF89a") || bytes.starts_with(b"GIF87a"),
        "not a GIF"
    );
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let (width, height) = (u16_at(6), u16_at(8));
    let table = |packed: u8| {
        if packed & 0x80 != 0 {
            3 << ((packed & 7) + 1)
        } else {
            0
        }
    };
    let mut i = 13 + table(bytes[10]);
    // Skip data sub-blocks from `i`; return the index after the terminator.
    let skip_blocks = |mut i: usize| loop {
        let n = bytes[i] as usize;
        i += 1 + n;
        if n == 0 {
            return i;
        }
    };
    let mut facts = GifFacts {
        width,
        height,
        frames: 0,
        delays: Vec::new(),
        loops: false,
    };
    loop {
        match bytes[i] {
            0x21 => {
                let label = bytes[i + 1];
                if label == 0xF9 {
                    facts.delays.push(u16_at(i + 4));
                }
                if label == 0xFF && &bytes[i + 3..i + 14] == b"NETSCAPE2.0" {
                    facts.loops = true;
                }
                i = skip_blocks(i + 2);
            }
            0x2C => {
                let (left, top, w, h) =
                    (u16_at(i + 1), u16_at(i + 3), u16_at(i + 5), u16_at(i + 7));
                assert!(
                    w > 0 && h > 0 && left + w <= width && top + h <= height,
                    "frame {} at {left},{top} size {w}x{h} outside {width}x{height}",
                    facts.frames
                );
                facts.frames += 1;
                i += 10 + table(bytes[i + 9]);
                // LZW minimum code size, then the data sub-blocks.
                i = skip_blocks(i + 1);
            }
            0x3B => {
                assert_eq!(i + 1, bytes.len(), "bytes after the trailer");
                return facts;
            }
            b => panic!("unexpected block 0x{b:02x} at byte {i}"),
        }
    }
}

fn teaching() -> patrolsim::scenario::Scenario {
    load::from_path(&root().join("scenarios/teaching.toml")).unwrap()
}

fn no_temporary_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "left behind: {name}");
    }
}

#[test]
fn the_gif_has_the_expected_frames_and_size() {
    let d = temp_dir("animate-frames");
    let scn = teaching();
    let prep = Prepared::new(&scn);
    let (outcome, trace) = sim::run_traced(&scn, &prep, 0).unwrap();
    // (from, to, fps, speed, width, height) and the frames expected:
    // ceil((to - from) * fps / speed).
    let cases = [
        ((600.0, 1500.0, 5, 60.0, 800, 600), 75),
        ((600.0, 1600.0, 5, 60.0, 800, 600), 84),
        ((0.0, 300.0, 2, 30.0, 640, 480), 20),
        ((7200.0, 7260.0, 10, 60.0, 800, 600), 10),
        ((100.0, 101.0, 5, 60.0, 800, 600), 1),
    ];
    for (i, ((from_s, to_s, fps, speed, width, height), frames)) in cases.into_iter().enumerate() {
        let opts = AnimateOptions {
            from_s,
            to_s,
            fps,
            speed,
            width,
            height,
        };
        assert_eq!(opts.frame_count(), frames);
        let path = d.join(format!("a{i}.gif"));
        let info = animate(&path, &scn, &prep, &trace, &outcome, &opts).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let facts = gif_facts(&bytes);
        assert_eq!(facts.frames, frames, "{opts:?}");
        assert_eq!(info.frames, frames);
        assert_eq!((facts.width as u32, facts.height as u32), (width, height));
        assert!(facts.loops);
        let delay = (100.0 / fps as f64).round() as u16;
        assert_eq!(facts.delays, vec![delay; frames]);
        assert_eq!(info.bytes, bytes.len() as u64);
        assert!((info.duration_s - frames as f64 * delay as f64 / 100.0).abs() < 1e-9);
    }
    no_temporary_files(&d);
}

#[test]
fn an_hour_of_the_default_scenario_is_small() {
    // 06:00 to 07:00 at the defaults: 300 frames, a minute of playback.
    let d = temp_dir("animate-hour");
    let scn = load::default_scenario().unwrap();
    let prep = Prepared::new(&scn);
    let (outcome, trace) = sim::run_traced(&scn, &prep, 0).unwrap();
    let opts = AnimateOptions {
        from_s: 6.0 * 3600.0,
        to_s: 7.0 * 3600.0,
        ..AnimateOptions::default()
    };
    let path = d.join("hour.gif");
    let info = animate(&path, &scn, &prep, &trace, &outcome, &opts).unwrap();
    let facts = gif_facts(&std::fs::read(&path).unwrap());
    assert_eq!((info.frames, facts.frames), (300, 300));
    assert_eq!((facts.width, facts.height), (800, 600));
    assert_eq!(info.duration_s, 60.0);
    // About 0.75 MB when written.
    assert!(info.bytes < 5_000_000, "{} bytes", info.bytes);
}

#[test]
fn run_traced_returns_the_outcome_of_run() {
    let scn = teaching();
    let prep = Prepared::new(&scn);
    let plain = sim::run(&scn, &prep, 1).unwrap();
    let (traced, trace) = sim::run_traced(&scn, &prep, 1).unwrap();
    assert_eq!(
        serde_json::to_string(&plain.summary).unwrap(),
        serde_json::to_string(&traced.summary).unwrap()
    );
    assert_eq!(plain.calls.len(), traced.calls.len());
    assert_eq!(trace.calls.len(), traced.calls.len());
    assert_eq!(trace.units.len(), scn.unit_count());
    for (c, span) in traced.calls.iter().zip(&trace.calls) {
        assert_eq!(c.time_s, span.t_call);
        if c.arrive_s.is_finite() {
            assert!((c.arrive_s - span.t_arrive).abs() < 1e-3, "{c:?} {span:?}");
        }
    }
}

#[test]
fn the_command_writes_the_gif_and_reports_it() {
    let d = temp_dir("animate-cli");
    let scenario = root().join("scenarios/teaching.toml");
    let o = run_in(
        &d,
        &[
            "animate",
            scenario.to_str().unwrap(),
            "--out",
            "sub/a.gif",
            "--from",
            "3600",
            "--to",
            "4200",
            "--fps",
            "4",
            "--speed",
            "120",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    // 600 s at 120 city seconds per second, 4 frames a second: 20 frames, 5 s.
    assert!(text.contains("20 frames"), "{text}");
    assert!(text.contains("5.0 s"), "{text}");
    assert!(text.contains("01:00 to 01:10"), "{text}");
    assert!(text.contains("MB"), "{text}");
    let facts = gif_facts(&std::fs::read(d.join("sub/a.gif")).unwrap());
    assert_eq!(facts.frames, 20);
    no_temporary_files(&d.join("sub"));

    // Without --to: an hour, or up to the end of the run (6 h).
    let o = run_in(
        &d,
        &[
            "animate",
            scenario.to_str().unwrap(),
            "--out",
            "b.gif",
            "--from",
            "19800",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // 05:30 to 06:00: 1,800 s at 60 per second and 5 frames a second.
    assert_eq!(
        gif_facts(&std::fs::read(d.join("b.gif")).unwrap()).frames,
        150
    );
}

#[test]
fn bad_options_exit_with_code_2() {
    let d = temp_dir("animate-bad");
    let scenario = root().join("scenarios/teaching.toml");
    let s = scenario.to_str().unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["--fps", "0"], "--fps"),
        (&["--fps", "31"], "--fps"),
        (&["--speed", "0"], "--speed"),
        (&["--speed=-60"], "--speed"),
        (&["--from", "600", "--to", "600"], "--to"),
        (&["--to", "30000"], "--to"),
        (&["--from", "21600"], "--from"),
        (&["--from=-5"], "--from"),
    ];
    for (extra, option) in cases {
        let mut args = vec!["animate", s, "--out", "x.gif"];
        args.extend_from_slice(extra);
        let o = run_in(&d, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(option), "{extra:?}: {err}");
        assert!(!d.join("x.gif").exists());
    }
    // A missing --out is clap's usage error, also code 2.
    let o = run_in(&d, &["animate", s]);
    assert_eq!(o.status.code(), Some(2));
    no_temporary_files(&d);
}
