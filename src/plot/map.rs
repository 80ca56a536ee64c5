//! The maps: the city (roads, stations, hotspots, loops, calls) and its
//! static coverage.

use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::*;
use super::DrawResult;
use crate::analysis::coverage::Coverage;
use crate::metrics::Outcome;
use crate::network::{Network, NodeId, RoadClass};
use crate::routing::nearest_source_times;
use crate::scenario::{HotspotKind, Scenario};
use crate::sim::Prepared;

type MapChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type AreaResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Node positions in km east and north of the network's south-west corner.
pub(super) struct Frame {
    origin: [f64; 2],
    extent: [f64; 2],
}

impl Frame {
    pub(super) fn of(net: &Network) -> Frame {
        let [lo, hi] = net.bbox_m();
        if !(lo[0].is_finite() && hi[0].is_finite()) {
            return Frame {
                origin: [0.0; 2],
                extent: [1.0; 2],
            };
        }
        Frame {
            origin: lo,
            extent: [(hi[0] - lo[0]) / 1000.0, (hi[1] - lo[1]) / 1000.0],
        }
    }

    pub(super) fn km(&self, net: &Network, v: usize) -> (f64, f64) {
        self.km_at(net.xy[v])
    }

    /// A point in local metres, in the map's kilometres.
    pub(super) fn km_at(&self, p: [f64; 2]) -> (f64, f64) {
        (
            (p[0] - self.origin[0]) / 1000.0,
            (p[1] - self.origin[1]) / 1000.0,
        )
    }
}

// Margins and label areas around a map's plot, pixels.
const M_TOP: u32 = 8;
const M_BOTTOM: u32 = 8;
const M_LEFT: u32 = 8;
const M_RIGHT: u32 = 20;
const X_LABELS: u32 = 48;
const Y_LABELS: u32 = 56;

impl Frame {
    /// The data ranges drawn: the extent with a small pad, km.
    /// The padded ranges widened so that a `w` x `h` pixel plotting area
    /// shows x and y at the same scale.
    pub(super) fn equal_scale(&self, w: u32, h: u32) -> (Range<f64>, Range<f64>) {
        let (w, h) = (w.max(1) as f64, h.max(1) as f64);
        let (xr, yr) = self.padded();
        let (mut x0, mut x1) = (xr.start, xr.end);
        let (mut y0, mut y1) = (yr.start, yr.end);
        let (kx, ky) = ((x1 - x0) / w, (y1 - y0) / h);
        if kx > ky {
            let extra = kx * h - (y1 - y0);
            y0 -= extra / 2.0;
            y1 += extra / 2.0;
        } else {
            let extra = ky * w - (x1 - x0);
            x0 -= extra / 2.0;
            x1 += extra / 2.0;
        }
        (x0..x1, y0..y1)
    }

    pub(super) fn padded(&self) -> (Range<f64>, Range<f64>) {
        let span = self.extent[0].max(self.extent[1]).max(0.5);
        let pad = 0.015 * span;
        (
            -pad..self.extent[0].max(0.0) + pad,
            -pad..self.extent[1].max(0.0) + pad,
        )
    }
}

/// The size of the map of `frame` that fits in `(w, h)` pixels at equal
/// scale in x and y, axes included.
fn fitted_size(frame: &Frame, (w, h): (u32, u32)) -> (u32, u32) {
    let (xr, yr) = frame.padded();
    let pw = w.saturating_sub(M_LEFT + M_RIGHT + Y_LABELS).max(1) as f64;
    let ph = h.saturating_sub(M_TOP + M_BOTTOM + X_LABELS).max(1) as f64;
    let (ex, ey) = (xr.end - xr.start, yr.end - yr.start);
    let k = (pw / ex).min(ph / ey);
    (
        ((ex * k).round() as u32 + M_LEFT + M_RIGHT + Y_LABELS).min(w),
        ((ey * k).round() as u32 + M_TOP + M_BOTTOM + X_LABELS).min(h),
    )
}

/// A chart on `area` showing the whole network at equal scale in x and y
/// (the longer side of the area gets the slack).
fn map_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    frame: &Frame,
) -> AreaResult<MapChart<'a, DB>, DB> {
    let build = |x: Range<f64>, y: Range<f64>| {
        ChartBuilder::on(area)
            .margin_top(M_TOP)
            .margin_bottom(M_BOTTOM)
            .margin_left(M_LEFT)
            .margin_right(M_RIGHT)
            .x_label_area_size(X_LABELS)
            .y_label_area_size(Y_LABELS)
            .build_cartesian_2d(x, y)
    };
    let (w, h) = build(0.0..1.0, 0.0..1.0)?.plotting_area().dim_in_pixel();
    let (x, y) = frame.equal_scale(w, h);
    build(x, y)
}

fn map_axes<DB: DrawingBackend>(chart: &mut MapChart<DB>) -> DrawResult<DB> {
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("Easting (km)")
        .y_desc("Northing (km)")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .x_labels(10)
        .y_labels(10)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()
}

/// A road drawn as one polyline: consecutive undirected segments of one
/// class that continue in roughly the same direction.
pub(super) struct Road {
    pub(super) class: RoadClass,
    pub(super) nodes: Vec<u32>,
}

const MAX_CHAIN: usize = 400;

/// Every undirected road segment once, chained into polylines.
pub(super) fn roads(net: &Network) -> Vec<Road> {
    let n = net.node_count();
    let mut segs: Vec<(u32, u32, RoadClass)> = Vec::new();
    for e in 0..net.edge_count() {
        let (u, v) = (net.edge_from[e], net.fwd.head[e]);
        if u == v {
            continue;
        }
        if u > v && net.fwd.range(v).any(|s| net.fwd.head[s] == u) {
            continue;
        }
        segs.push((u, v, net.edge_class[e]));
    }
    let mut first = vec![0usize; n + 1];
    for &(u, v, _) in &segs {
        first[u as usize + 1] += 1;
        first[v as usize + 1] += 1;
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut fill = first.clone();
    let mut adj = vec![0u32; 2 * segs.len()];
    for (i, &(u, v, _)) in segs.iter().enumerate() {
        for w in [u, v] {
            adj[fill[w as usize]] = i as u32;
            fill[w as usize] += 1;
        }
    }
    let mut used = vec![false; segs.len()];

    // Extend a chain from its last node along the straightest unused
    // segment of the same class (turning less than about 37 degrees).
    let extend = |pts: &mut Vec<u32>, class: RoadClass, used: &mut [bool]| {
        while pts.len() < MAX_CHAIN {
            let q = pts[pts.len() - 1] as usize;
            let p = pts[pts.len() - 2] as usize;
            let d = unit(net.xy[p], net.xy[q]);
            let mut best: Option<(f64, usize, u32)> = None;
            for &t in &adj[first[q]..first[q + 1]] {
                let t = t as usize;
                let (a, b, c) = segs[t];
                if used[t] || c != class {
                    continue;
                }
                let o = if a as usize == q { b } else { a };
                let d2 = unit(net.xy[q], net.xy[o as usize]);
                let cos = d[0] * d2[0] + d[1] * d2[1];
                if cos > 0.8 && best.is_none_or(|(bc, _, _)| cos > bc) {
                    best = Some((cos, t, o));
                }
            }
            match best {
                Some((_, t, o)) => {
                    used[t] = true;
                    pts.push(o);
                }
                None => break,
            }
        }
    };

    let mut out = Vec::new();
    for s in 0..segs.len() {
        if used[s] {
            continue;
        }
        used[s] = true;
        let (a, b, class) = segs[s];
        let mut ahead = vec![a, b];
        extend(&mut ahead, class, &mut used);
        let mut behind = vec![b, a];
        extend(&mut behind, class, &mut used);
        let mut nodes: Vec<u32> = behind.into_iter().rev().collect();
        nodes.extend_from_slice(&ahead[2..]);
        out.push(Road { class, nodes });
    }
    out
}

impl Road {
    /// The road's points in local metres, following the shapes of its edges.
    pub(super) fn points_m(&self, net: &Network) -> Vec<[f64; 2]> {
        let mut out = vec![net.xy[self.nodes[0] as usize]];
        for w in self.nodes.windows(2) {
            let (u, v) = (NodeId(w[0]), NodeId(w[1]));
            let mut pts = match (net.edge_between(u, v), net.edge_between(v, u)) {
                (Some(e), _) => net.edge_points_m(e),
                (None, Some(e)) => {
                    let mut p = net.edge_points_m(e);
                    p.reverse();
                    p
                }
                (None, None) => vec![net.xy[u.idx()], net.xy[v.idx()]],
            };
            pts.remove(0);
            out.extend(pts);
        }
        out
    }
}

fn unit(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l = (dx * dx + dy * dy).sqrt();
    [dx / l, dy / l]
}

const ROAD_ORDER: [RoadClass; 4] = [
    RoadClass::Local,
    RoadClass::Other,
    RoadClass::Arterial,
    RoadClass::Expressway,
];

fn road_style(c: RoadClass) -> (RGBColor, u32) {
    match c {
        RoadClass::Local => (RGBColor(212, 212, 212), 1),
        RoadClass::Other => (RGBColor(105, 115, 150), 2),
        RoadClass::Arterial => (RGBColor(150, 150, 150), 2),
        RoadClass::Expressway => (RGBColor(80, 80, 80), 3),
    }
}

fn road_label(c: RoadClass) -> &'static str {
    match c {
        RoadClass::Local => "Local street",
        RoadClass::Other => "Other road / bridge",
        RoadClass::Arterial => "Arterial",
        RoadClass::Expressway => "Expressway / ring",
    }
}

pub(super) fn hotspot_marker(kind: HotspotKind) -> Marker {
    match kind {
        HotspotKind::School => Marker::Triangle(RGBColor(255, 200, 0)),
        HotspotKind::Hospital => Marker::Plus(RGBColor(225, 30, 45)),
        HotspotKind::Mall => Marker::Diamond(RGBColor(170, 70, 215)),
        HotspotKind::Other => Marker::Circle(RGBColor(0, 175, 175)),
    }
}

fn hotspot_label(kind: HotspotKind) -> &'static str {
    match kind {
        HotspotKind::School => "School / university",
        HotspotKind::Hospital => "Hospital",
        HotspotKind::Mall => "Shopping district",
        HotspotKind::Other => "Other hotspot",
    }
}

const STATION: Marker = Marker::Square(INK);

/// One line of the map legend.
enum Entry {
    Header(String),
    Item(Swatch, String),
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    top: i32,
) -> DrawResult<DB> {
    let (_, h) = area.dim_in_pixel();
    let rows = entries.len().max(1) as i32;
    let step = ((h as i32 - top - 10) / rows).clamp(14, 24);
    let size = if step >= 20 { 15.0 } else { 13.0 };
    let mut y = top + step / 2;
    for e in entries {
        match e {
            Entry::Header(t) => {
                area.draw(&Text::new(
                    t.clone(),
                    (8, y + 2),
                    anchored(bold(size + 1.0), HPos::Left, VPos::Center),
                ))?;
            }
            Entry::Item(s, t) => legend_item(area, *s, t, (12, y), size)?,
        }
        y += step;
    }
    Ok(())
}

/// Draw a station's name next to it, in a free spot if there is one.
fn place_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    text: &str,
    taken: &mut Vec<[i32; 4]>,
    bounds: &(Range<i32>, Range<i32>),
) -> DrawResult<DB> {
    let style = font(14.0);
    let (tw, th) = root.estimate_text_size(text, &style)?;
    let (tw, th) = (tw as i32, th as i32);
    let offsets = [
        (9, -th - 5),
        (9, 5),
        (-9 - tw, -th - 5),
        (-9 - tw, 5),
        (-tw / 2, -th - 11),
        (-tw / 2, 10),
    ];
    let boxes: Vec<[i32; 4]> = offsets
        .iter()
        .map(|&(dx, dy)| {
            let (x, y) = (at.0 + dx, at.1 + dy);
            [x - 3, y - 2, x + tw + 3, y + th + 3]
        })
        .collect();
    let fits = |b: &[i32; 4]| {
        b[0] >= bounds.0.start
            && b[2] <= bounds.0.end
            && b[1] >= bounds.1.start
            && b[3] <= bounds.1.end
            && !taken
                .iter()
                .any(|t| b[0] < t[2] && t[0] < b[2] && b[1] < t[3] && t[1] < b[3])
    };
    let b = boxes.iter().copied().find(|b| fits(b)).unwrap_or(boxes[0]);
    taken.push(b);
    root.draw(&Rectangle::new(
        [rel(root, (b[0], b[1])), rel(root, (b[2], b[3]))],
        WHITE.mix(0.8).filled(),
    ))?;
    root.draw(&Text::new(
        text.to_string(),
        rel(root, (b[0] + 3, b[1] + 2)),
        anchored(style, HPos::Left, VPos::Top),
    ))
}

/// The city map: roads by class, patrol loops, calls coloured by response,
/// hotspots by kind and stations with their names, with a legend on the
/// right. Equal scale in x and y; axes in km.
pub fn draw_city_map<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    prepared: &Prepared,
    outcome: &Outcome,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let net = &scn.net;
    let s = &outcome.summary;
    let target = mmss(scn.targets.response_s);
    let subtitle = format!(
        "{}, {}, {}, {}; {}, {} reached within {}",
        count(s.stations, "station"),
        count(s.units, "unit"),
        count(scn.patrols.len(), "patrol loop"),
        count(scn.hotspots.len(), "hotspot"),
        count(s.calls.counted, "call"),
        s.target.compliance.map(pct).unwrap_or_else(|| "-".into()),
        target,
    );
    let body = title_block(root, &format!("City map: {}", scn.name), &subtitle)?;
    let (w, h) = body.dim_in_pixel();
    let frame = Frame::of(net);
    // The map at equal scale, as large as leaves 280 px for the legend, which
    // takes what the map does not need.
    let (mw, mh) = fitted_size(&frame, (w.saturating_sub(280), h));
    let map_area = body.clone().shrink((0, (h - mh) / 2), (mw, mh));
    let legend_area = body
        .clone()
        .shrink((mw + 10, 0), (w.saturating_sub(mw + 10), h));
    let mut chart = map_chart(&map_area, &frame)?;
    map_axes(&mut chart)?;

    // Roads.
    let roads = roads(net);
    let mut classes = Vec::new();
    for class in ROAD_ORDER {
        let (colour, width) = road_style(class);
        let style = ShapeStyle::from(&colour).stroke_width(width);
        let mut any = false;
        chart.draw_series(roads.iter().filter(|r| r.class == class).map(|r| {
            any = true;
            PathElement::new(
                r.points_m(net)
                    .into_iter()
                    .map(|p| frame.km_at(p))
                    .collect::<Vec<_>>(),
                style,
            )
        }))?;
        if any {
            classes.push(class);
        }
    }

    // Patrol loops, edge by edge along their legs.
    for (i, plan) in prepared.loops.iter().enumerate() {
        let colour = LOOP_COLOURS[i % LOOP_COLOURS.len()];
        if plan.is_post() {
            for &v in &plan.nodes {
                draw_marker(
                    chart.plotting_area(),
                    frame.km(net, v.idx()),
                    Marker::Ring(colour),
                    10,
                )?;
            }
            continue;
        }
        let style = ShapeStyle::from(&colour).stroke_width(4);
        let edges = plan.legs.iter().flatten();
        chart.draw_series(edges.clone().map(|&e| {
            PathElement::new(
                vec![
                    frame.km(net, net.edge_tail(e).idx()),
                    frame.km(net, net.edge_to(e).idx()),
                ],
                style,
            )
        }))?;
        // Round the joints.
        chart.draw_series(
            edges.map(|&e| Circle::new(frame.km(net, net.edge_to(e).idx()), 2, colour.filled())),
        )?;
    }

    // Calls: within target, not reached, late (late ones on top).
    let mut calls: [Vec<(f64, f64)>; 3] = Default::default();
    for c in outcome.calls.iter().filter(|c| c.counted) {
        let Some(v) = net.node_by_ext(c.node) else {
            continue;
        };
        let k = if !c.arrive_s.is_finite() {
            2
        } else if c.met_target {
            0
        } else {
            1
        };
        calls[k].push(frame.km(net, v.idx()));
    }
    for (k, colour) in [(0, GOOD), (2, NONE), (1, LATE)] {
        chart.draw_series(
            calls[k]
                .iter()
                .map(|&p| Circle::new(p, 2, colour.mix(0.9).filled())),
        )?;
    }

    // Hotspots and stations, then the station names where they fit.
    let mut taken: Vec<[i32; 4]> = Vec::new();
    for h in &scn.hotspots {
        let p = frame.km(net, h.node.idx());
        draw_marker(chart.plotting_area(), p, hotspot_marker(h.kind), 7)?;
        let (x, y) = chart.backend_coord(&p);
        taken.push([x - 8, y - 8, x + 8, y + 8]);
    }
    for st in &scn.stations {
        let p = frame.km(net, st.node.idx());
        draw_marker(chart.plotting_area(), p, STATION, 6)?;
        let (x, y) = chart.backend_coord(&p);
        taken.push([x - 7, y - 7, x + 7, y + 7]);
    }
    let bounds = chart.plotting_area().get_pixel_range();
    for st in &scn.stations {
        let at = chart.backend_coord(&frame.km(net, st.node.idx()));
        place_label(root, at, &st.name, &mut taken, &bounds)?;
    }

    // Legend.
    let mut entries = vec![Entry::Header("Roads".into())];
    for class in classes {
        let (c, w) = road_style(class);
        entries.push(Entry::Item(
            Swatch::Line(c, w + 1),
            road_label(class).into(),
        ));
    }
    entries.push(Entry::Header("Places".into()));
    entries.push(Entry::Item(
        Swatch::Mark(STATION),
        format!("Station ({})", scn.stations.len()),
    ));
    for kind in [
        HotspotKind::Hospital,
        HotspotKind::School,
        HotspotKind::Mall,
        HotspotKind::Other,
    ] {
        let n = scn.hotspots.iter().filter(|h| h.kind == kind).count();
        if n > 0 {
            entries.push(Entry::Item(
                Swatch::Mark(hotspot_marker(kind)),
                format!("{} ({n})", hotspot_label(kind)),
            ));
        }
    }
    if !prepared.loops.is_empty() {
        let posts = prepared.loops.iter().filter(|l| l.is_post()).count();
        let driven = prepared.loops.len() - posts;
        if prepared.loops.len() <= 12 {
            entries.push(Entry::Header(format!(
                "Patrol loops ({})",
                prepared.loops.len()
            )));
            for (i, (p, plan)) in scn.patrols.iter().zip(&prepared.loops).enumerate() {
                let colour = LOOP_COLOURS[i % LOOP_COLOURS.len()];
                let swatch = if plan.is_post() {
                    Swatch::Mark(Marker::Ring(colour))
                } else {
                    Swatch::Line(colour, 4)
                };
                let name = p.name.strip_prefix("auto: ").unwrap_or(&p.name);
                entries.push(Entry::Item(swatch, clip_label(name, 26)));
            }
        } else {
            entries.push(Entry::Header("Patrol loops".into()));
            if driven > 0 {
                entries.push(Entry::Item(
                    Swatch::Line(LOOP_COLOURS[0], 4),
                    format!("Loop, a colour each ({driven})"),
                ));
            }
            if posts > 0 {
                entries.push(Entry::Item(
                    Swatch::Mark(Marker::Ring(LOOP_COLOURS[1])),
                    format!("Post, a unit standing ({posts})"),
                ));
            }
        }
    }
    let n = s.calls.counted.max(1) as f64;
    entries.push(Entry::Header(format!(
        "Calls ({})",
        thousands(s.calls.counted)
    )));
    let share = |k: usize| {
        format!(
            "{} ({})",
            thousands(calls[k].len()),
            pct(calls[k].len() as f64 / n)
        )
    };
    entries.push(Entry::Item(
        Swatch::Dot(GOOD),
        format!("Within {target}: {}", share(0)),
    ));
    entries.push(Entry::Item(
        Swatch::Dot(LATE),
        format!("Later: {}", share(1)),
    ));
    if !calls[2].is_empty() {
        entries.push(Entry::Item(
            Swatch::Dot(NONE),
            format!("Not reached: {}", share(2)),
        ));
    }
    draw_legend(&legend_area, &entries, 4)
}

/// Travel time bounds of the colour scale, seconds: at least 1.5 and at
/// most 3 times the target, whole minutes.
fn colour_scale_max(target_s: f64, times: &[&[f64]]) -> f64 {
    let max = times
        .iter()
        .flat_map(|t| t.iter())
        .copied()
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max);
    let target_s = if target_s > 0.0 { target_s } else { 300.0 };
    ceil_to(max.clamp(1.5 * target_s, 3.0 * target_s), 60.0)
}

fn time_colour(t: f64, vmax: f64) -> RGBColor {
    if !t.is_finite() {
        return RGBColor(200, 200, 200);
    }
    ViridisRGB::get_color((t / vmax).clamp(0.0, 1.0))
}

const CONTOUR: RGBColor = RGBColor(255, 0, 40);

/// Nodes within `target` with a neighbour beyond it: the inner edge of the
/// target contour.
fn contour(net: &Network, time: &[f64], target: f64) -> Vec<usize> {
    (0..net.node_count())
        .filter(|&v| {
            time[v] <= target
                && (net
                    .fwd
                    .range(v as u32)
                    .any(|s| time[net.fwd.head[s] as usize] > target)
                    || net
                        .bwd
                        .range(v as u32)
                        .any(|s| time[net.bwd.head[s] as usize] > target))
        })
        .collect()
}

/// Shares of nodes and of expected calls within `limit`.
fn shares(scn: &Scenario, time: &[f64], limit: f64) -> (f64, f64) {
    let prob = &scn.demand.spatial.prob;
    let n = time.len().max(1) as f64;
    let (mut nodes, mut demand) = (0.0, 0.0);
    for (v, &t) in time.iter().enumerate() {
        if t <= limit {
            nodes += 1.0;
            demand += prob.get(v).copied().unwrap_or(0.0);
        }
    }
    (nodes / n, demand)
}

/// One coverage panel: heading, map, and the shares within the target.
fn coverage_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    prepared: &Prepared,
    frame: &Frame,
    time: &[f64],
    vmax: f64,
    (heading, show_loops): (&str, bool),
) -> DrawResult<DB> {
    let net = &scn.net;
    let target = scn.targets.response_s;
    let budget = target - scn.call_handling_s;
    // Heading, map at equal scale, footnote: centred as a block.
    let (w, h) = area.dim_in_pixel();
    let (head_h, foot_h) = (30, 54);
    let (mw, mh) = fitted_size(frame, (w, h.saturating_sub(head_h + foot_h)));
    let top = h.saturating_sub(head_h + mh + foot_h) / 2;
    let block = area.clone().shrink((0, top), (w, head_h + mh + foot_h));
    let (head, rest) = block.split_vertically(head_h);
    let (map_area, foot) = rest.split_vertically(mh);
    let map_area = map_area.shrink(((w - mw) / 2, 0), (mw, mh));
    head.draw(&Text::new(
        heading.to_string(),
        (w as i32 / 2, 16),
        anchored(bold(18.0), HPos::Center, VPos::Center),
    ))?;
    let mut chart = map_chart(&map_area, frame)?;
    map_axes(&mut chart)?;

    // Node squares about one block wide (at least 2 px), so that a street
    // grid reads as a surface.
    let mut lens: Vec<f64> = net
        .edge_len_m
        .iter()
        .copied()
        .filter(|l| *l > 0.0)
        .collect();
    let median = if lens.is_empty() {
        100.0
    } else {
        let k = lens.len() / 2;
        *lens.select_nth_unstable_by(k, f64::total_cmp).1
    };
    let (xr, _) = chart.plotting_area().get_pixel_range();
    let xs = chart.x_range();
    let km_per_px = (xs.end - xs.start) / (xr.end - xr.start).max(1) as f64;
    // Squares a little wider than a typical edge, so that neighbours overlap.
    let half = (0.75 * median / 1000.0).max(km_per_px);
    let square = |p: (f64, f64), colour: RGBColor, k: f64| {
        Rectangle::new(
            [
                (p.0 - k * half, p.1 - k * half),
                (p.0 + k * half, p.1 + k * half),
            ],
            colour.filled(),
        )
    };
    chart.draw_series(
        (0..net.node_count()).map(|v| square(frame.km(net, v), time_colour(time[v], vmax), 1.0)),
    )?;
    chart.draw_series(
        contour(net, time, target)
            .into_iter()
            .map(|v| square(frame.km(net, v), CONTOUR, 1.0)),
    )?;
    if show_loops {
        let style = ShapeStyle::from(&WHITE).stroke_width(1);
        for plan in &prepared.loops {
            chart.draw_series(plan.legs.iter().flatten().map(|&e| {
                PathElement::new(
                    vec![
                        frame.km(net, net.edge_tail(e).idx()),
                        frame.km(net, net.edge_to(e).idx()),
                    ],
                    style,
                )
            }))?;
        }
    }
    for st in &scn.stations {
        draw_marker(
            chart.plotting_area(),
            frame.km(net, st.node.idx()),
            Marker::Square(WHITE),
            4,
        )?;
    }

    let (nt, dt) = shares(scn, time, target);
    let (nb, db) = shares(scn, time, budget);
    let lines = [
        format!(
            "Within {}: {} of nodes, {} of expected calls",
            mmss(target),
            pct(nt),
            pct(dt)
        ),
        format!(
            "Within {} (target less call handling): {} / {}",
            mmss(budget),
            pct(nb),
            pct(db)
        ),
    ];
    for (i, line) in lines.iter().enumerate() {
        foot.draw(&Text::new(
            line.clone(),
            (w as i32 / 2, 14 + 22 * i as i32),
            anchored(font(15.0), HPos::Center, VPos::Center),
        ))?;
    }
    Ok(())
}

/// The coverage map: every node coloured by travel time from the nearest
/// station, with the target contour in red and a colour bar; with patrol
/// loops, a second panel with travel time from the nearest point of any loop.
pub fn draw_coverage_map<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    prepared: &Prepared,
    coverage: &Coverage,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let net = &scn.net;
    let target = scn.targets.response_s;
    let loop_time: Option<Vec<f64>> = (!prepared.loops.is_empty()).then(|| {
        let mut sources: Vec<NodeId> = Vec::new();
        for plan in &prepared.loops {
            sources.extend(plan.nodes.iter().copied());
            sources.extend(plan.legs.iter().flatten().map(|&e| net.edge_to(e)));
        }
        sources.sort_unstable();
        sources.dedup();
        nearest_source_times(net, &sources).0
    });
    let mut all: Vec<&[f64]> = vec![&coverage.time_s];
    if let Some(t) = &loop_time {
        all.push(t);
    }
    let vmax = colour_scale_max(target, &all);

    let subtitle = format!(
        "Driving time on the road network, every unit assumed free; red: the {} contour",
        mmss(target)
    );
    let body = title_block(root, &format!("Static coverage: {}", scn.name), &subtitle)?;
    let (w, h) = body.dim_in_pixel();
    let bar_h = 76u32;
    let (panels, bar) = body.split_vertically(h.saturating_sub(bar_h));
    let frame = Frame::of(net);
    let station_heading = "From the nearest station";
    match &loop_time {
        Some(lt) => {
            let (left, right) = panels.split_horizontally(w / 2);
            coverage_panel(
                &left,
                scn,
                prepared,
                &frame,
                &coverage.time_s,
                vmax,
                (station_heading, false),
            )?;
            coverage_panel(
                &right,
                scn,
                prepared,
                &frame,
                lt,
                vmax,
                ("From the nearest point of a patrol loop (white)", true),
            )?;
        }
        None => coverage_panel(
            &panels,
            scn,
            prepared,
            &frame,
            &coverage.time_s,
            vmax,
            (station_heading, false),
        )?,
    }
    colour_bar(&bar, vmax, target)
}

/// A horizontal colour bar of travel time, minutes, with the target marked.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    vmax: f64,
    target: f64,
) -> DrawResult<DB> {
    let (w, _) = area.dim_in_pixel();
    let bw = (w as i32 / 2).clamp(100, 640);
    let x0 = (w as i32 - bw) / 2;
    let (y0, y1) = (22, 40);
    let to_x = |t: f64| x0 + ((t / vmax).clamp(0.0, 1.0) * bw as f64).round() as i32;
    for i in 0..bw {
        let t = vmax * (i as f64 + 0.5) / bw as f64;
        area.draw(&Rectangle::new(
            [(x0 + i, y0), (x0 + i + 1, y1)],
            time_colour(t, vmax).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + bw, y1)],
        ShapeStyle::from(&MUTED).stroke_width(1),
    ))?;
    let vmax_min = vmax / 60.0;
    let step = if vmax_min <= 10.0 {
        1.0
    } else if vmax_min <= 20.0 {
        2.0
    } else {
        5.0
    };
    let mut m = 0.0;
    while m <= vmax_min + 1e-9 {
        let x = to_x(m * 60.0);
        area.draw(&PathElement::new(
            vec![(x, y1), (x, y1 + 5)],
            ShapeStyle::from(&INK).stroke_width(1),
        ))?;
        let label = if (m - vmax_min).abs() < 1e-9 {
            format!("≥{}", tick(&m))
        } else {
            tick(&m)
        };
        area.draw(&Text::new(
            label,
            (x, y1 + 8),
            anchored(font(14.0), HPos::Center, VPos::Top),
        ))?;
        m += step;
    }
    area.draw(&Text::new(
        "Travel time (min)".to_string(),
        (x0 - 14, (y0 + y1) / 2),
        anchored(font(16.0), HPos::Right, VPos::Center),
    ))?;
    let tx = to_x(target);
    area.draw(&PathElement::new(
        vec![(tx, y0 - 5), (tx, y1 + 5)],
        ShapeStyle::from(&CONTOUR).stroke_width(3),
    ))?;
    area.draw(&Text::new(
        format!("target {}", mmss(target)),
        (tx, y0 - 7),
        anchored(bold(14.0).color(&CONTOUR), HPos::Center, VPos::Bottom),
    ))?;
    Ok(())
}
