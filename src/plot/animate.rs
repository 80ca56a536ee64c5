//! The animation: a GIF of a run, with units moving along the roads.
//!
//! [`animate`] replays a [`Trace`] between two instants of city time. Every
//! frame shows the roads, stations, hotspots and patrol loops (drawn once,
//! into a background that each frame starts from), the units as dots
//! coloured by what they are doing, the open calls (a red ring while the
//! call waits for a unit, a red disc once a unit is on scene), a clock, and
//! the running share of calls reached within the response target.
//!
//! Frame `i` shows city time `from_s + i * speed / fps`; there are
//! `ceil((to_s - from_s) * fps / speed)` frames, each shown for `1 / fps`
//! seconds (rounded to the GIF's hundredths of a second). With the defaults
//! (5 frames per second, one minute of city time per second of playback), an
//! hour of city time is 300 frames and a minute of playback.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::*;
use super::map::{hotspot_marker, roads};
use super::{draw_error, register_fonts, DrawResult};
use crate::error::{Error, Result};
use crate::metrics::Outcome;
use crate::network::RoadClass;
use crate::scenario::Scenario;
use crate::sim::Prepared;
use crate::trace::{Activity, Trace};

/// Most frames an animation may have (a day at the default rate is 7,200).
pub const MAX_FRAMES: usize = 20_000;

/// What to animate and how.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnimateOptions {
    /// First instant shown, seconds of city time from the start of the run.
    pub from_s: f64,
    /// End of the window, seconds of city time (exclusive: the last frame
    /// shows the instant one frame step before it).
    pub to_s: f64,
    /// Frames per second of playback, 1 to 30.
    pub fps: u32,
    /// Seconds of city time per second of playback (60: a minute a second).
    pub speed: f64,
    /// Width of the picture, pixels.
    pub width: u32,
    /// Height of the picture, pixels.
    pub height: u32,
}

impl Default for AnimateOptions {
    /// The first hour, 5 frames a second, a minute of city time a second, 800 x 600.
    fn default() -> Self {
        AnimateOptions {
            from_s: 0.0,
            to_s: 3600.0,
            fps: 5,
            speed: 60.0,
            width: 800,
            height: 600,
        }
    }
}

fn option_error(option: &str, message: impl Into<String>) -> Error {
    Error::Option {
        option: option.into(),
        message: message.into(),
    }
}

impl AnimateOptions {
    /// City seconds between frames.
    pub fn step_s(&self) -> f64 {
        self.speed / self.fps as f64
    }

    /// The number of frames: `ceil((to_s - from_s) / step_s)`, at least 1.
    pub fn frame_count(&self) -> usize {
        let n = (self.to_s - self.from_s) / self.step_s();
        // A hair below the exact quotient, so that 3600 / 12 is 300, not 301.
        ((n - 1e-9).ceil().max(1.0)) as usize
    }

    /// How long each frame is shown, hundredths of a second (GIF's unit).
    pub fn delay_cs(&self) -> u32 {
        ((100.0 / self.fps.max(1) as f64).round() as u32).max(1)
    }

    /// Check the options against a run of `horizon_s` seconds; errors are
    /// [`Error::Option`] naming the command-line flag.
    pub fn validate(&self, horizon_s: f64) -> Result<()> {
        if !(1..=30).contains(&self.fps) {
            return Err(option_error(
                "--fps",
                format!("must be 1 to 30 frames per second, not {}", self.fps),
            ));
        }
        if !(self.speed.is_finite() && self.speed > 0.0) {
            return Err(option_error(
                "--speed",
                format!(
                    "must be a positive number of city seconds per second, not {}",
                    self.speed
                ),
            ));
        }
        if !(self.from_s.is_finite() && self.from_s >= 0.0) {
            return Err(option_error(
                "--from",
                format!("must be 0 or more seconds, not {}", self.from_s),
            ));
        }
        if self.from_s >= horizon_s {
            return Err(option_error(
                "--from",
                format!(
                    "{} s is not before the end of the run ({} s, simulation.horizon_s)",
                    self.from_s, horizon_s
                ),
            ));
        }
        if !self.to_s.is_finite() || self.to_s <= self.from_s {
            return Err(option_error(
                "--to",
                format!(
                    "must be after --from ({} s), not {} s",
                    self.from_s, self.to_s
                ),
            ));
        }
        if self.to_s > horizon_s {
            return Err(option_error(
                "--to",
                format!(
                    "{} s is after the end of the run ({} s, simulation.horizon_s)",
                    self.to_s, horizon_s
                ),
            ));
        }
        if !(480..=4000).contains(&self.width) || !(480..=4000).contains(&self.height) {
            return Err(option_error(
                "size",
                format!(
                    "{} x {} pixels: width and height must each be 480 to 4000",
                    self.width, self.height
                ),
            ));
        }
        let frames = (self.to_s - self.from_s) / self.step_s();
        if frames > MAX_FRAMES as f64 {
            return Err(option_error(
                "--speed",
                format!(
                    "{:.0} frames would be drawn (at most {MAX_FRAMES}): raise --speed, lower --fps or shorten --from/--to",
                    frames.ceil()
                ),
            ));
        }
        Ok(())
    }
}

/// What [`animate`] wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct AnimationInfo {
    /// The GIF.
    pub path: PathBuf,
    /// Number of frames.
    pub frames: usize,
    /// Playback time of one loop of the GIF, seconds.
    pub duration_s: f64,
    /// File size, bytes.
    pub bytes: u64,
    /// Picture size, pixels.
    pub width: u32,
    /// Picture size, pixels.
    pub height: u32,
}

/// Write an animated GIF of `trace` (a run of `scn`, whose results are
/// `outcome`) to `path`, through a temporary file renamed into place. The
/// parent directory is created if needed.
pub fn animate(
    path: &Path,
    scn: &Scenario,
    prepared: &Prepared,
    trace: &Trace,
    outcome: &Outcome,
    opts: &AnimateOptions,
) -> Result<AnimationInfo> {
    opts.validate(scn.sim.horizon_s)?;
    register_fonts()?;
    let scene = Scene::new(scn, prepared, trace, outcome, opts);
    let background = scene.background(path)?;

    let (w, h) = (opts.width, opts.height);
    let palette = Palette::new(&background, &scene.dynamic_colours());
    let frames = opts.frame_count();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::output::ensure_dir(dir)?;
    }
    let mut frame = background.clone();
    crate::output::write_atomic(path, |out| {
        let mut gif = GifWriter::new(out, (w as u16, h as u16), palette, opts.delay_cs() as u16)?;
        for i in 0..frames {
            let t = opts.from_s + i as f64 * opts.step_s();
            frame.copy_from_slice(&background);
            {
                let root = BitMapBackend::with_buffer(&mut frame, (w, h)).into_drawing_area();
                scene
                    .frame(&root, t)
                    .and_then(|()| root.present())
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
            }
            gif.frame(&frame)?;
        }
        gif.finish()
    })?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| Error::write(path, e))?
        .len();
    Ok(AnimationInfo {
        path: path.to_path_buf(),
        frames,
        duration_s: frames as f64 * opts.delay_cs() as f64 / 100.0,
        bytes,
        width: opts.width,
        height: opts.height,
    })
}

/// The colour of a unit doing `a`.
fn activity_colour(a: Activity) -> RGBColor {
    match a {
        Activity::Patrolling => RGBColor(31, 119, 180),
        Activity::EnRoute => RGBColor(255, 127, 0),
        Activity::OnScene => RGBColor(106, 61, 154),
        Activity::Returning => RGBColor(44, 160, 44),
        Activity::Idle => RGBColor(150, 150, 150),
    }
}

/// The legend label of `a`.
fn activity_label(a: Activity) -> &'static str {
    match a {
        Activity::Idle => "at station",
        other => other.name(),
    }
}

/// A sample in the map key.
#[derive(Clone, Copy, Debug)]
enum Key {
    Mark(Marker),
    Loop,
    Post,
}

/// Drawing order: idle units first, units on scene last (over the calls).
const DRAW_ORDER: [Activity; 5] = [
    Activity::Idle,
    Activity::Patrolling,
    Activity::Returning,
    Activity::EnRoute,
    Activity::OnScene,
];

/// Open calls.
const CALL: RGBColor = RGBColor(220, 30, 30);
/// The empty part of the progress bar.
const BAR: RGBColor = RGBColor(222, 222, 222);
/// The side panel's background.
const PANEL: RGBColor = RGBColor(246, 246, 246);
/// Radius of a unit's dot, pixels.
const UNIT_R: i32 = 4;
/// Radius of a call's marker, pixels.
const CALL_R: i32 = 7;

/// Roads: colour and width, lighter than on the static map so that the
/// units stand out.
fn road_style(c: RoadClass) -> (RGBColor, u32) {
    match c {
        RoadClass::Local => (RGBColor(226, 226, 226), 1),
        RoadClass::Other => (RGBColor(180, 188, 212), 1),
        RoadClass::Arterial => (RGBColor(190, 190, 190), 1),
        RoadClass::Expressway => (RGBColor(150, 150, 150), 2),
    }
}

/// `c` blended with white: `a` of `c`, the rest white (a flat colour, not
/// an alpha, so that the GIF palette stays small).
fn faint(c: RGBColor, a: f64) -> RGBColor {
    let f = |x: u8| (255.0 - a * (255.0 - x as f64)).round() as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

/// City time as `HH:MM` (with seconds when `seconds`).
fn clock(t: f64, seconds: bool) -> String {
    let s = t.max(0.0).floor() as u64 % 86_400;
    if seconds {
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 3600, s / 60 % 60)
    }
}

/// Metres to pixels: equal scale in x and y, north up.
#[derive(Clone, Debug)]
struct Mapper {
    lo: [f64; 2],
    hi_y: f64,
    k: f64,
    off: (f64, f64),
}

impl Mapper {
    /// The network's extent, centred in `w` x `h` pixels with a 12-pixel margin.
    fn fit(net: &crate::network::Network, w: f64, h: f64) -> Mapper {
        let [lo, hi] = net.bbox_m();
        let (lo, hi) = if lo[0].is_finite() && hi[0].is_finite() {
            (lo, hi)
        } else {
            ([0.0; 2], [1.0; 2])
        };
        let pad = 12.0;
        let (aw, ah) = (w - 2.0 * pad, h - 2.0 * pad);
        let (ex, ey) = ((hi[0] - lo[0]).max(1.0), (hi[1] - lo[1]).max(1.0));
        let k = (aw / ex).min(ah / ey);
        Mapper {
            lo,
            hi_y: hi[1],
            k,
            off: (pad + (aw - ex * k) / 2.0, pad + (ah - ey * k) / 2.0),
        }
    }

    /// Pixel (unrounded) of a point in local metres.
    fn px_f(&self, m: [f64; 2]) -> (f64, f64) {
        (
            self.off.0 + (m[0] - self.lo[0]) * self.k,
            self.off.1 + (self.hi_y - m[1]) * self.k,
        )
    }

    fn px(&self, m: [f64; 2]) -> (i32, i32) {
        let (x, y) = self.px_f(m);
        (x.round() as i32, y.round() as i32)
    }
}

/// Everything a frame needs, computed once.
struct Scene<'a> {
    scn: &'a Scenario,
    prepared: &'a Prepared,
    trace: &'a Trace,
    opts: &'a AnimateOptions,
    map: Mapper,
    /// Left edge of the side panel, pixels.
    panel_x: i32,
    /// Counted calls that were reached: (arrival time, within the target), by arrival.
    reached: Vec<(f64, bool)>,
    /// Units that drive a loop.
    patrol_units: usize,
}

/// Rows of the side panel, pixels from the top.
mod rows {
    pub const NAME: i32 = 12;
    pub const SPEED: i32 = 36;
    pub const CLOCK: i32 = 58;
    pub const BAR: i32 = 104;
    pub const WITHIN: i32 = 140;
    pub const SHARE: i32 = 162;
    pub const REACHED: i32 = 202;
    pub const SINCE: i32 = 220;
    pub const CALLS: i32 = 252;
    pub const UNITS: i32 = 322;
    pub const MAP: i32 = 450;
    pub const STEP: i32 = 21;
}

impl<'a> Scene<'a> {
    fn new(
        scn: &'a Scenario,
        prepared: &'a Prepared,
        trace: &'a Trace,
        outcome: &Outcome,
        opts: &'a AnimateOptions,
    ) -> Scene<'a> {
        let (w, h) = (opts.width as f64, opts.height as f64);
        let panel_w = (0.27 * w).clamp(200.0, 260.0).round();
        let panel_x = (w - panel_w) as i32;
        let map = Mapper::fit(&scn.net, panel_x as f64, h);
        let mut reached: Vec<(f64, bool)> = outcome
            .calls
            .iter()
            .filter(|c| c.counted && c.arrive_s.is_finite())
            .map(|c| (c.arrive_s, c.met_target))
            .collect();
        reached.sort_by(|a, b| a.0.total_cmp(&b.0));
        Scene {
            scn,
            prepared,
            trace,
            opts,
            map,
            panel_x,
            reached,
            patrol_units: scn.units().iter().filter(|u| u.patrol.is_some()).count(),
        }
    }

    /// Pixel position of node `v`.
    fn node_px(&self, v: usize) -> (i32, i32) {
        self.map.px(self.scn.net.xy[v])
    }

    /// Left and right edges of the panel's text.
    fn panel_edges(&self) -> (i32, i32) {
        (self.panel_x + 14, self.opts.width as i32 - 14)
    }

    /// Draw the static background into an RGB buffer.
    fn background(&self, path: &Path) -> Result<Vec<u8>> {
        let (w, h) = (self.opts.width, self.opts.height);
        let mut buf = vec![0u8; 3 * w as usize * h as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            self.draw_background(&root)
                .and_then(|()| root.present())
                .map_err(|e| draw_error(path, e))?;
        }
        Ok(buf)
    }

    fn draw_background<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (w, h) = (self.opts.width as i32, self.opts.height as i32);
        draw_map_layer(root, self.scn, self.prepared, &self.map, (self.panel_x, h))?;

        // The panel and its fixed labels.
        let px = self.panel_x;
        root.draw(&Rectangle::new([(px, 0), (w, h)], PANEL.filled()))?;
        root.draw(&PathElement::new(
            vec![(px, 0), (px, h)],
            ShapeStyle::from(&RGBColor(200, 200, 200)).stroke_width(1),
        ))?;
        let (x0, x1) = self.panel_edges();
        let max_chars = ((x1 - x0) / 9).max(8) as usize;
        root.draw(&Text::new(
            clip_label(&self.scn.name, max_chars),
            (x0, rows::NAME),
            anchored(bold(17.0), HPos::Left, VPos::Top),
        ))?;
        root.draw(&Text::new(
            format!("1 s = {} of city time", span(self.opts.speed)),
            (x0, rows::SPEED),
            anchored(font(13.0).color(&MUTED), HPos::Left, VPos::Top),
        ))?;
        let small = anchored(font(12.0).color(&MUTED), HPos::Left, VPos::Top);
        let multi_day = self.scn.sim.horizon_s > 86_400.0;
        let seconds = self.opts.step_s() < 10.0;
        let label = |t: f64| {
            let day = (t / 86_400.0).floor() as u64 + 1;
            if multi_day {
                format!("day {day} {}", clock(t, seconds))
            } else {
                clock(t, seconds)
            }
        };
        root.draw(&Text::new(
            label(self.opts.from_s),
            (x0, rows::BAR + 10),
            small.clone(),
        ))?;
        root.draw(&Text::new(
            label(self.opts.to_s),
            (x1, rows::BAR + 10),
            anchored(font(12.0).color(&MUTED), HPos::Right, VPos::Top),
        ))?;
        let target = mmss(self.scn.targets.response_s);
        root.draw(&Text::new(
            format!("Reached within {target}"),
            (x0, rows::WITHIN),
            anchored(bold(15.0), HPos::Left, VPos::Top),
        ))?;
        root.draw(&Text::new(
            format!("goal {}", pct0(self.scn.targets.compliance)),
            (x1, rows::SHARE + 14),
            anchored(font(13.0).color(&MUTED), HPos::Right, VPos::Top),
        ))?;
        root.draw(&Text::new(
            {
                let t = self.scn.sim.warmup_s;
                let day = (t / 86_400.0).floor() as u64 + 1;
                let day = if multi_day {
                    format!("day {day} ")
                } else {
                    String::new()
                };
                format!("since {day}{}", clock(t, t % 60.0 != 0.0))
            },
            (x0, rows::SINCE),
            small,
        ))?;

        root.draw(&Text::new(
            "Open calls".to_string(),
            (x0, rows::CALLS),
            anchored(bold(15.0), HPos::Left, VPos::Top),
        ))?;
        let row = |i: i32, top: i32| top + 22 + i * rows::STEP + 8;
        self.call_swatch(root, (x0 + 8, row(0, rows::CALLS)), false)?;
        self.call_swatch(root, (x0 + 8, row(1, rows::CALLS)), true)?;
        for (i, text) in ["waiting for a unit", "unit on scene"].iter().enumerate() {
            root.draw(&Text::new(
                text.to_string(),
                (x0 + 24, row(i as i32, rows::CALLS)),
                anchored(font(14.0), HPos::Left, VPos::Center),
            ))?;
        }

        root.draw(&Text::new(
            format!("Units ({})", self.trace.units.len()),
            (x0, rows::UNITS),
            anchored(bold(15.0), HPos::Left, VPos::Top),
        ))?;
        for (i, &a) in self.legend_activities().iter().enumerate() {
            let y = row(i as i32, rows::UNITS);
            unit_dot(root, (x0 + 8, y), a)?;
            root.draw(&Text::new(
                activity_label(a).to_string(),
                (x0 + 24, y),
                anchored(font(14.0), HPos::Left, VPos::Center),
            ))?;
        }

        // Map key, where the panel is tall enough.
        let mut key: Vec<(Vec<Key>, String)> = vec![(
            vec![Key::Mark(Marker::Square(WHITE))],
            format!("station ({})", self.scn.stations.len()),
        )];
        let mut kinds: Vec<_> = self.scn.hotspots.iter().map(|h| h.kind).collect();
        kinds.sort_by_key(|k| format!("{k:?}"));
        kinds.dedup();
        if !kinds.is_empty() {
            key.push((
                kinds
                    .into_iter()
                    .map(|k| Key::Mark(hotspot_marker(k)))
                    .collect(),
                format!("hotspot ({})", self.scn.hotspots.len()),
            ));
        }
        let posts = self.prepared.loops.iter().filter(|l| l.is_post()).count();
        let driven = self.prepared.loops.len() - posts;
        if driven > 0 {
            key.push((vec![Key::Loop], format!("patrol loop ({driven})")));
        }
        if posts > 0 {
            key.push((vec![Key::Post], format!("patrol post ({posts})")));
        }
        if row(key.len() as i32 - 1, rows::MAP) + 10 <= h {
            root.draw(&Text::new(
                "Map".to_string(),
                (x0, rows::MAP),
                anchored(bold(15.0), HPos::Left, VPos::Top),
            ))?;
            for (i, (swatches, text)) in key.iter().enumerate() {
                let y = row(i as i32, rows::MAP);
                let mut x = x0 + 8;
                for swatch in swatches {
                    let faint_loop = faint(LOOP_COLOURS[0], 0.35);
                    match *swatch {
                        Key::Mark(m) => draw_marker(root, (x, y), m, 5)?,
                        Key::Loop => root.draw(&PathElement::new(
                            vec![(x - 8, y), (x + 8, y)],
                            ShapeStyle::from(&faint_loop).stroke_width(3),
                        ))?,
                        Key::Post => root.draw(&Circle::new(
                            (x, y),
                            7,
                            ShapeStyle::from(&faint_loop).stroke_width(2),
                        ))?,
                    }
                    x += 15;
                }
                root.draw(&Text::new(
                    text.clone(),
                    (x + 1, y),
                    anchored(font(14.0), HPos::Left, VPos::Center),
                ))?;
            }
        }
        Ok(())
    }

    /// The activities listed in the legend (patrolling only with patrol units).
    fn legend_activities(&self) -> Vec<Activity> {
        Activity::ALL
            .iter()
            .copied()
            .filter(|&a| a != Activity::Patrolling || self.patrol_units > 0)
            .collect()
    }

    fn call_swatch<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        at: (i32, i32),
        on_scene: bool,
    ) -> DrawResult<DB> {
        call_marker(root, at, on_scene)?;
        if on_scene {
            unit_dot(root, at, Activity::OnScene)?;
        }
        Ok(())
    }

    /// Colours the frames draw over the background (their anti-aliased
    /// edges are blends of these with what lies below).
    fn dynamic_colours(&self) -> Vec<RGBColor> {
        let mut c: Vec<RGBColor> = Activity::ALL.iter().map(|&a| activity_colour(a)).collect();
        c.extend([CALL, WHITE, INK, MUTED, GOOD, LATE, PANEL, BAR]);
        c
    }

    /// Draw what changes at city time `t` over the background.
    fn frame<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, t: f64) -> DrawResult<DB> {
        let net = &self.scn.net;
        let proj = &net.projection;

        // Calls, then units over them.
        let (mut waiting, mut on_scene) = (0usize, 0usize);
        for (call, reached) in self.trace.open_calls(t) {
            call_marker(root, self.node_px(call.node.idx()), reached)?;
            if reached {
                on_scene += 1;
            } else {
                waiting += 1;
            }
        }
        let mut units: Vec<((i32, i32), Activity)> = (0..self.trace.units.len())
            .map(|u| {
                let (p, a) = self.trace.locate(net, u, t);
                (self.map.px(proj.to_metres(p)), a)
            })
            .collect();
        let mut counts = [0usize; 5];
        for &(_, a) in &units {
            counts[a as usize] += 1;
        }
        units.sort_by_key(|&(_, a)| DRAW_ORDER.iter().position(|&b| b == a));
        for &(p, a) in &units {
            unit_dot(root, p, a)?;
        }

        // The panel: clock, progress, compliance, counts.
        let (x0, x1) = self.panel_edges();
        let time = clock(t, self.opts.step_s() < 10.0);
        root.draw(&Text::new(
            time,
            (x0, rows::CLOCK),
            anchored(bold(38.0), HPos::Left, VPos::Top),
        ))?;
        if self.scn.sim.horizon_s > 86_400.0 {
            root.draw(&Text::new(
                format!("day {}", (t / 86_400.0).floor() as u64 + 1),
                (x1, rows::CLOCK + 22),
                anchored(bold(17.0).color(&MUTED), HPos::Right, VPos::Top),
            ))?;
        }
        let frac = ((t - self.opts.from_s) / (self.opts.to_s - self.opts.from_s)).clamp(0.0, 1.0);
        let bx = x0 + ((x1 - x0) as f64 * frac).round() as i32;
        root.draw(&Rectangle::new(
            [(x0, rows::BAR), (x1, rows::BAR + 6)],
            BAR.filled(),
        ))?;
        root.draw(&Rectangle::new(
            [(x0, rows::BAR), (bx.max(x0 + 1), rows::BAR + 6)],
            MUTED.filled(),
        ))?;

        let n = self.reached.partition_point(|&(a, _)| a <= t);
        let met = self.reached[..n].iter().filter(|&&(_, m)| m).count();
        let (share, colour) = if n == 0 {
            ("-".to_string(), MUTED)
        } else {
            let s = met as f64 / n as f64;
            let c = if s >= self.scn.targets.compliance {
                GOOD
            } else {
                LATE
            };
            (pct(s), c)
        };
        root.draw(&Text::new(
            share,
            (x0, rows::SHARE),
            anchored(coloured(bold(32.0), colour), HPos::Left, VPos::Top),
        ))?;
        root.draw(&Text::new(
            if n == 0 {
                "no call reached yet".to_string()
            } else {
                format!("{} of {} calls reached", thousands(met), thousands(n))
            },
            (x0, rows::REACHED),
            anchored(font(13.0), HPos::Left, VPos::Top),
        ))?;

        let row = |i: usize, top: i32| top + 22 + i as i32 * rows::STEP + 8;
        let number = |n: usize, y: i32| {
            Text::new(
                thousands(n),
                (x1, y),
                anchored(bold(14.0), HPos::Right, VPos::Center),
            )
        };
        root.draw(&number(waiting, row(0, rows::CALLS)))?;
        root.draw(&number(on_scene, row(1, rows::CALLS)))?;
        for (i, &a) in self.legend_activities().iter().enumerate() {
            root.draw(&number(counts[a as usize], row(i, rows::UNITS)))?;
        }
        Ok(())
    }
}

/// Draw the map part of the background (roads, patrol loops, hotspots,
/// stations and a scale bar) onto a white `root`; the map spans `map_w`
/// pixels from the left edge and `h` pixels down.
fn draw_map_layer<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    prepared: &Prepared,
    map: &Mapper,
    (map_w, h): (i32, i32),
) -> DrawResult<DB> {
    let net = &scn.net;
    let node_px = |v: usize| map.px(net.xy[v]);

    // Roads, lighter classes first.
    let roads = roads(net);
    for class in [
        RoadClass::Local,
        RoadClass::Other,
        RoadClass::Arterial,
        RoadClass::Expressway,
    ] {
        let (colour, width) = road_style(class);
        let style = ShapeStyle::from(&colour).stroke_width(width);
        for r in roads.iter().filter(|r| r.class == class) {
            let pts: Vec<(i32, i32)> = r.points_m(net).into_iter().map(|p| map.px(p)).collect();
            root.draw(&PathElement::new(pts, style))?;
        }
    }

    // Patrol loops, faintly.
    for (i, plan) in prepared.loops.iter().enumerate() {
        let colour = faint(LOOP_COLOURS[i % LOOP_COLOURS.len()], 0.35);
        if plan.is_post() {
            for &v in &plan.nodes {
                root.draw(&Circle::new(
                    node_px(v.idx()),
                    9,
                    ShapeStyle::from(&colour).stroke_width(2),
                ))?;
            }
            continue;
        }
        let style = ShapeStyle::from(&colour).stroke_width(3);
        for &e in plan.legs.iter().flatten() {
            root.draw(&PathElement::new(
                vec![
                    node_px(net.edge_tail(e).idx()),
                    node_px(net.edge_to(e).idx()),
                ],
                style,
            ))?;
        }
    }

    // Hotspots and stations.
    for hs in &scn.hotspots {
        draw_marker(root, node_px(hs.node.idx()), hotspot_marker(hs.kind), 4)?;
    }
    for st in &scn.stations {
        draw_marker(root, node_px(st.node.idx()), Marker::Square(WHITE), 5)?;
    }
    scale_bar(root, map, map_w, h)
}

/// A scale bar in the map's bottom-left corner, about a fifth of its width
/// (`map_w` pixels; the picture is `h` pixels high).
fn scale_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &Mapper,
    map_w: i32,
    h: i32,
) -> DrawResult<DB> {
    let want_m = 0.25 * (map_w as f64 - 24.0) / map.k;
    let Some(&len_m) = [
        50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5,
    ]
    .iter()
    .rev()
    .find(|&&l| l <= want_m) else {
        return Ok(());
    };
    let label = if len_m >= 1000.0 {
        format!("{} km", len_m / 1000.0)
    } else {
        format!("{len_m} m")
    };
    let style = font(13.0);
    let (tw, _) = root.estimate_text_size(&label, &style)?;
    let len_px = (len_m * map.k).round() as i32;
    let (x, y) = (16, h - 14);
    root.draw(&Rectangle::new(
        [(x - 5, y - 22), (x + len_px.max(tw as i32) + 5, y + 5)],
        WHITE.filled(),
    ))?;
    root.draw(&PathElement::new(
        vec![(x, y - 5), (x, y), (x + len_px, y), (x + len_px, y - 5)],
        ShapeStyle::from(&INK).stroke_width(2),
    ))?;
    root.draw(&Text::new(
        label,
        (x + len_px / 2, y - 5),
        anchored(style, HPos::Center, VPos::Bottom),
    ))
}

/// The animation's map without its side panel, as the HTML report's
/// playback draws over it: where a point in local metres lands on the
/// picture, and the colours the animation gives units and calls.
///
/// Made by [`AnimateOptions::write_map_background`]. Code outside `plot`
/// cannot name this type (the `animate` module is private) but can call its
/// methods on the value it is given.
#[derive(Clone, Debug)]
pub(crate) struct MapBackground {
    /// Picture width, pixels.
    pub(crate) width: u32,
    /// Picture height, pixels.
    pub(crate) height: u32,
    map: Mapper,
}

impl MapBackground {
    /// The pixel (unrounded; x right, y down) of a point in local metres,
    /// exactly as the roads were drawn.
    pub(crate) fn px(&self, metres: [f64; 2]) -> (f64, f64) {
        self.map.px_f(metres)
    }

    /// Metres per pixel.
    pub(crate) fn metres_per_px(&self) -> f64 {
        1.0 / self.map.k
    }

    /// The animation's colour of a unit doing `a`.
    pub(crate) fn activity_rgb(&self, a: Activity) -> [u8; 3] {
        let c = activity_colour(a);
        [c.0, c.1, c.2]
    }

    /// The animation's label of `a` in its legend.
    pub(crate) fn activity_label(&self, a: Activity) -> &'static str {
        activity_label(a)
    }

    /// The animation's colour of an open call.
    pub(crate) fn call_rgb(&self) -> [u8; 3] {
        [CALL.0, CALL.1, CALL.2]
    }
}

impl AnimateOptions {
    /// Write the map part of the animation's background (roads, patrol
    /// loops, hotspots, stations, scale bar; no side panel) filling
    /// `width` x `height` pixels as a PNG to `png`, whose name must end in
    /// `.png`; return where points land on it. Only the size of the options
    /// is used.
    pub(crate) fn write_map_background(
        &self,
        png: &Path,
        scn: &Scenario,
        prepared: &Prepared,
    ) -> Result<MapBackground> {
        register_fonts()?;
        let (w, h) = (self.width, self.height);
        let map = Mapper::fit(&scn.net, w as f64, h as f64);
        {
            let root = BitMapBackend::new(png, (w, h)).into_drawing_area();
            root.fill(&WHITE)
                .and_then(|()| draw_map_layer(&root, scn, prepared, &map, (w as i32, h as i32)))
                .and_then(|()| root.present())
                .map_err(|e| draw_error(png, e))?;
        }
        Ok(MapBackground {
            width: w,
            height: h,
            map,
        })
    }
}

/// A span of city time in words: `30 s`, `1 min`, `2 h`, `1:30`.
fn span(s: f64) -> String {
    let whole = (s - s.round()).abs() < 1e-9;
    if whole && s < 60.0 {
        format!("{s:.0} s")
    } else if whole && s.round() as u64 % 3600 == 0 {
        format!("{} h", s.round() as u64 / 3600)
    } else if whole && s.round() as u64 % 60 == 0 {
        format!("{} min", s.round() as u64 / 60)
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else {
        dur(s)
    }
}

/// A share as a percentage without decimals when whole (`90%`).
fn pct0(x: f64) -> String {
    crate::report::pct0(x)
}

/// A unit's dot: the activity's colour in a white ring (a unit on scene
/// sits in its call's red disc, without the ring).
fn unit_dot<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    a: Activity,
) -> DrawResult<DB> {
    let r = match a {
        Activity::Idle => UNIT_R - 1,
        Activity::OnScene => UNIT_R,
        _ => {
            root.draw(&Circle::new(at, UNIT_R + 1, WHITE.filled()))?;
            UNIT_R
        }
    };
    root.draw(&Circle::new(at, r, activity_colour(a).filled()))
}

/// A call's marker: a red ring while it waits, a red disc once reached.
fn call_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    reached: bool,
) -> DrawResult<DB> {
    if reached {
        root.draw(&Circle::new(at, CALL_R, CALL.filled()))
    } else {
        root.draw(&Circle::new(
            at,
            CALL_R,
            ShapeStyle::from(&CALL).stroke_width(2),
        ))
    }
}

/// The GIF's colours: one global table of 255 colours (index 255 is
/// transparent), exact for the flat colours drawn and the most common
/// colours of the background, nearest for the rest.
struct Palette {
    colours: Vec<[u8; 3]>,
    index: std::collections::HashMap<[u8; 3], u8>,
}

/// The palette index of "unchanged since the last frame".
const TRANSPARENT: u8 = 255;

impl Palette {
    fn new(background: &[u8], dynamic: &[RGBColor]) -> Palette {
        let mut colours: Vec<[u8; 3]> = Vec::new();
        let add = |c: [u8; 3], colours: &mut Vec<[u8; 3]>| {
            if colours.len() < TRANSPARENT as usize && !colours.contains(&c) {
                colours.push(c);
            }
        };
        // The flat colours, and their anti-aliased edges on the map's white
        // and on the panel.
        for c in dynamic {
            for base in [WHITE, PANEL] {
                for k in [4, 3, 2, 1] {
                    let mix = |x: u8, y: u8| ((x as u32 * k + y as u32 * (4 - k)) / 4) as u8;
                    add(
                        [mix(c.0, base.0), mix(c.1, base.1), mix(c.2, base.2)],
                        &mut colours,
                    );
                }
            }
        }
        for g in (0..=255).step_by(17) {
            add([g as u8; 3], &mut colours);
        }
        // Then the background's own colours, most common first.
        let mut counts: std::collections::HashMap<[u8; 3], usize> = Default::default();
        for p in background.chunks_exact(3) {
            *counts.entry([p[0], p[1], p[2]]).or_default() += 1;
        }
        let mut common: Vec<([u8; 3], usize)> = counts.into_iter().collect();
        common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (c, _) in common {
            add(c, &mut colours);
        }
        let index = colours
            .iter()
            .enumerate()
            .map(|(i, &c)| (c, i as u8))
            .collect();
        Palette { colours, index }
    }

    /// The index of the palette colour nearest to `c`.
    fn of(&mut self, c: [u8; 3]) -> u8 {
        if let Some(&i) = self.index.get(&c) {
            return i;
        }
        let d = |p: &[u8; 3]| {
            let e = |k: usize, w: i32| w * (p[k] as i32 - c[k] as i32).pow(2);
            e(0, 2) + e(1, 4) + e(2, 3)
        };
        let i = (0..self.colours.len())
            .min_by_key(|&i| d(&self.colours[i]))
            .unwrap_or(0) as u8;
        self.index.insert(c, i);
        i
    }

    /// The global colour table: 256 entries.
    fn table(&self) -> Vec<u8> {
        let mut t = vec![0u8; 3 * 256];
        for (i, c) in self.colours.iter().enumerate() {
            t[3 * i..3 * i + 3].copy_from_slice(c);
        }
        t
    }
}

/// A GIF89a encoder for frames that differ little: one global palette, and
/// every frame after the first only the rectangle that changed, with
/// unchanged pixels transparent (drawn over the previous frame).
struct GifWriter<'w> {
    out: &'w mut dyn std::io::Write,
    size: (u16, u16),
    palette: Palette,
    delay_cs: u16,
    prev: Option<Vec<u8>>,
    lzw: Lzw,
}

impl<'w> GifWriter<'w> {
    /// Write the header, the colour table and the loop-forever extension.
    fn new(
        out: &'w mut dyn std::io::Write,
        size: (u16, u16),
        palette: Palette,
        delay_cs: u16,
    ) -> std::io::Result<Self> {
        out.write_all(b"GIF89a")?;
        out.write_all(&size.0.to_le_bytes())?;
        out.write_all(&size.1.to_le_bytes())?;
        // Global colour table of 2^(7+1) entries, 8 bits per primary.
        out.write_all(&[0xF7, 0, 0])?;
        out.write_all(&palette.table())?;
        out.write_all(b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00")?;
        Ok(GifWriter {
            out,
            size,
            palette,
            delay_cs,
            prev: None,
            lzw: Lzw::new(),
        })
    }

    /// Add a frame (RGB, row by row).
    fn frame(&mut self, rgb: &[u8]) -> std::io::Result<()> {
        let (w, h) = (self.size.0 as usize, self.size.1 as usize);
        // The rectangle that changed: x0..x1, y0..y1.
        let (x0, y0, x1, y1) = match &self.prev {
            None => (0, 0, w, h),
            Some(prev) => {
                let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
                for y in 0..h {
                    let row = 3 * w * y..3 * w * (y + 1);
                    let (a, b) = (&rgb[row.clone()], &prev[row]);
                    if a == b {
                        continue;
                    }
                    let differs = |x: &usize| a[3 * x..3 * x + 3] != b[3 * x..3 * x + 3];
                    let first = (0..w).find(differs).unwrap_or(0);
                    let last = (0..w).rev().find(differs).unwrap_or(w - 1);
                    (x0, x1) = (x0.min(first), x1.max(last + 1));
                    (y0, y1) = (y0.min(y), y + 1);
                }
                if x1 == 0 {
                    (0, 0, 1, 1)
                } else {
                    (x0, y0, x1, y1)
                }
            }
        };
        let mut indices = Vec::with_capacity((x1 - x0) * (y1 - y0));
        for y in y0..y1 {
            for x in x0..x1 {
                let k = 3 * (w * y + x);
                let c = [rgb[k], rgb[k + 1], rgb[k + 2]];
                let same = self.prev.as_ref().is_some_and(|p| p[k..k + 3] == c);
                indices.push(if same {
                    TRANSPARENT
                } else {
                    self.palette.of(c)
                });
            }
        }
        // Graphic control: leave the frame in place, transparent index (not
        // on the first frame), delay.
        let transparent = u8::from(self.prev.is_some());
        let d = self.delay_cs.to_le_bytes();
        self.out.write_all(&[
            0x21,
            0xF9,
            4,
            (1 << 2) | transparent,
            d[0],
            d[1],
            TRANSPARENT,
            0,
        ])?;
        // Image descriptor, no local colour table, not interlaced.
        self.out.write_all(&[0x2C])?;
        for v in [x0, y0, x1 - x0, y1 - y0] {
            self.out.write_all(&(v as u16).to_le_bytes())?;
        }
        self.out.write_all(&[0, 8])?;
        let data = self.lzw.encode(&indices);
        for block in data.chunks(255) {
            self.out.write_all(&[block.len() as u8])?;
            self.out.write_all(block)?;
        }
        self.out.write_all(&[0])?;
        match &mut self.prev {
            Some(p) => p.copy_from_slice(rgb),
            None => self.prev = Some(rgb.to_vec()),
        }
        Ok(())
    }

    /// Write the trailer.
    fn finish(self) -> std::io::Result<()> {
        self.out.write_all(&[0x3B])
    }
}

/// GIF's variable-width LZW for 8-bit indices (as giflib writes it).
struct Lzw {
    /// `(prefix code << 8 | index)` to `generation << 12 | code`.
    table: Vec<u32>,
    generation: u32,
}

impl Lzw {
    const CLEAR: u32 = 256;
    const END: u32 = 257;

    fn new() -> Lzw {
        Lzw {
            table: vec![0; 4096 * 256],
            generation: 0,
        }
    }

    /// Forget every string (in O(1), by moving to a new generation).
    fn reset(&mut self) {
        self.generation += 1;
        if self.generation >= 1 << 20 {
            self.table.fill(0);
            self.generation = 1;
        }
    }

    /// The code stream of `data` (minimum code size 8), without sub-blocks.
    fn encode(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 4 + 16);
        let (mut acc, mut bits) = (0u32, 0u32);
        let mut emit = |code: u32, width: u32, out: &mut Vec<u8>| {
            acc |= code << bits;
            bits += width;
            while bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        };
        let (mut width, mut next) = (9u32, 258u32);
        self.reset();
        emit(Self::CLEAR, width, &mut out);
        let Some((&first, rest)) = data.split_first() else {
            emit(Self::END, width, &mut out);
            emit(0, 7, &mut out);
            return out;
        };
        let mut cur = first as u32;
        for &k in rest {
            let key = ((cur << 8) | k as u32) as usize;
            let e = self.table[key];
            if e >> 12 == self.generation {
                cur = e & 0xFFF;
                continue;
            }
            emit(cur, width, &mut out);
            if next >= 1 << width && width < 12 {
                width += 1;
            }
            if next >= 4095 {
                emit(Self::CLEAR, width, &mut out);
                self.reset();
                (width, next) = (9, 258);
            } else {
                self.table[key] = (self.generation << 12) | next;
                next += 1;
            }
            cur = k as u32;
        }
        emit(cur, width, &mut out);
        if next >= 1 << width && width < 12 {
            width += 1;
        }
        emit(Self::END, width, &mut out);
        // Flush the last partial byte.
        emit(0, 7, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_counts_and_delays() {
        let o = AnimateOptions::default();
        assert_eq!(o.frame_count(), 300);
        assert_eq!(o.delay_cs(), 20);
        let o = AnimateOptions { to_s: 3601.0, ..o };
        assert_eq!(o.frame_count(), 301);
        let o = AnimateOptions {
            from_s: 100.0,
            to_s: 101.0,
            ..o
        };
        assert_eq!(o.frame_count(), 1);
        let o = AnimateOptions {
            fps: 30,
            speed: 1.0,
            to_s: 200.0,
            from_s: 100.0,
            ..o
        };
        assert_eq!((o.frame_count(), o.delay_cs()), (3000, 3));
    }

    #[test]
    fn options_are_checked() {
        let ok = AnimateOptions::default();
        assert!(ok.validate(86_400.0).is_ok());
        let bad = |o: AnimateOptions, flag: &str| match o.validate(86_400.0) {
            Err(Error::Option { option, .. }) => assert_eq!(option, flag, "{o:?}"),
            other => panic!("{o:?}: {other:?}"),
        };
        bad(AnimateOptions { fps: 0, ..ok }, "--fps");
        bad(AnimateOptions { fps: 31, ..ok }, "--fps");
        bad(AnimateOptions { speed: 0.0, ..ok }, "--speed");
        bad(
            AnimateOptions {
                speed: f64::NAN,
                ..ok
            },
            "--speed",
        );
        bad(AnimateOptions { to_s: 0.0, ..ok }, "--to");
        bad(
            AnimateOptions {
                to_s: 90_000.0,
                ..ok
            },
            "--to",
        );
        bad(AnimateOptions { from_s: -1.0, ..ok }, "--from");
        bad(
            AnimateOptions {
                from_s: 86_400.0,
                to_s: 90_000.0,
                ..ok
            },
            "--from",
        );
        bad(
            AnimateOptions {
                speed: 1.0,
                fps: 30,
                to_s: 86_400.0,
                ..ok
            },
            "--speed",
        );
        bad(AnimateOptions { width: 100, ..ok }, "size");
    }

    #[test]
    fn clock_format() {
        assert_eq!(clock(6.0 * 3600.0 + 23.0 * 60.0 + 5.0, false), "06:23");
        assert_eq!(clock(86_400.0 + 61.0, true), "00:01:01");
    }

    /// A plain GIF LZW decoder (minimum code size 8), for the round trip.
    fn lzw_decode(data: &[u8]) -> Vec<u8> {
        let mut pos = 0usize;
        let mut read = |width: u32| -> u32 {
            let mut v = 0;
            for i in 0..width {
                let bit = (data[pos / 8] >> (pos % 8)) & 1;
                v |= (bit as u32) << i;
                pos += 1;
            }
            v
        };
        let fresh = || -> Vec<Vec<u8>> {
            let mut d: Vec<Vec<u8>> = (0..=255u8).map(|i| vec![i]).collect();
            d.extend([vec![], vec![]]);
            d
        };
        let (mut dict, mut width, mut prev) = (fresh(), 9u32, None::<Vec<u8>>);
        let mut out = Vec::new();
        loop {
            let code = read(width) as usize;
            if code == 256 {
                (dict, width, prev) = (fresh(), 9, None);
                continue;
            }
            if code == 257 {
                return out;
            }
            let entry = match (&prev, dict.get(code)) {
                (_, Some(e)) => e.clone(),
                (Some(p), None) => {
                    assert_eq!(code, dict.len(), "code out of range");
                    let mut e = p.clone();
                    e.push(p[0]);
                    e
                }
                (None, None) => panic!("code {code} out of range after a clear"),
            };
            out.extend_from_slice(&entry);
            if let Some(mut p) = prev.take() {
                if dict.len() < 4096 {
                    p.push(entry[0]);
                    dict.push(p);
                }
            }
            if dict.len() == 1 << width && width < 12 {
                width += 1;
            }
            prev = Some(entry);
        }
    }

    #[test]
    fn lzw_round_trips() {
        let mut lzw = Lzw::new();
        let mut x = 12345u64;
        let mut random = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) % n) as u8
        };
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            vec![7],
            vec![0; 100_000],
            (0..300_000).map(|_| random(256)).collect(),
            (0..300_000).map(|_| random(4)).collect(),
            (0..200_000u32)
                .map(|i| {
                    if i % 997 < 5 {
                        random(255)
                    } else {
                        TRANSPARENT
                    }
                })
                .collect(),
        ];
        for data in cases {
            // Twice, so that the table's generations are exercised.
            for _ in 0..2 {
                assert_eq!(
                    lzw_decode(&lzw.encode(&data)),
                    data,
                    "length {}",
                    data.len()
                );
            }
        }
    }

    #[test]
    fn later_frames_carry_only_what_changed() {
        let (w, h) = (40u16, 30u16);
        let mut a = vec![255u8; 3 * w as usize * h as usize];
        let palette = Palette::new(&a, &[CALL]);
        let mut out = Vec::new();
        {
            let mut gif = GifWriter::new(&mut out, (w, h), palette, 20).unwrap();
            gif.frame(&a).unwrap();
            // Two pixels change: (5, 7) and (12, 9).
            for (x, y) in [(5usize, 7usize), (12, 9)] {
                let k = 3 * (w as usize * y + x);
                a[k..k + 3].copy_from_slice(&[CALL.0, CALL.1, CALL.2]);
            }
            gif.frame(&a).unwrap();
            // Nothing changes.
            gif.frame(&a).unwrap();
            gif.finish().unwrap();
        }
        let descriptors: Vec<[u16; 4]> = out
            .windows(10)
            .enumerate()
            .filter(|(i, win)| {
                *i >= 8 && win[0] == 0x2C && out[i - 8] == 0x21 && out[i - 7] == 0xF9
            })
            .map(|(_, win)| {
                let f = |j: usize| u16::from_le_bytes([win[j], win[j + 1]]);
                [f(1), f(3), f(5), f(7)]
            })
            .collect();
        assert_eq!(
            descriptors,
            vec![[0, 0, 40, 30], [5, 7, 8, 3], [0, 0, 1, 1]]
        );
        assert_eq!(out.last(), Some(&0x3B));
    }
}
