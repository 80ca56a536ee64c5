//! The placement map (`placement.png/.svg`): where `patrolsim place` puts the
//! stations, against the current ones.
//!
//! Roads are drawn lightly; every node with demand is a dot whose size grows
//! with its expected share of calls, green when the new layout reaches it
//! within the target and orange when it does not; current stations are open
//! squares, chosen stations filled diamonds (a current station that is kept
//! shows both). Equal scale in x and y, axes in km from the south-west corner
//! of the network (its `xy` metres).

use std::ops::Range;
use std::path::{Path, PathBuf};

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::*;
use super::{write_figure, DrawResult, Figure, MAP_SIZE};
use crate::error::Result;
use crate::network::NodeId;
use crate::scenario::Scenario;

/// What the placement map shows.
#[derive(Clone, Debug)]
pub struct PlacementMap<'a> {
    /// Heading.
    pub title: String,
    /// Line under the heading (objective and headline figures).
    pub subtitle: String,
    /// Nodes of the current stations.
    pub current: &'a [NodeId],
    /// Nodes of the chosen stations.
    pub chosen: &'a [NodeId],
    /// Travel time from the nearest chosen station to every node, seconds.
    pub time_s: &'a [f64],
    /// Response target, seconds.
    pub target_s: f64,
}

const ROAD: RGBColor = RGBColor(222, 222, 222);
const CHOSEN: RGBColor = RGBColor(31, 100, 200);

type MapChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type AreaResult<T, DB> =
    std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

use super::map::Frame;

/// A chart on `area` showing the whole network at equal scale in x and y.
fn map_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    frame: &Frame,
) -> AreaResult<MapChart<'a, DB>, DB> {
    let build = |x: Range<f64>, y: Range<f64>| {
        ChartBuilder::on(area)
            .margin(8)
            .margin_right(20)
            .x_label_area_size(48)
            .y_label_area_size(56)
            .build_cartesian_2d(x, y)
    };
    let (w, h) = build(0.0..1.0, 0.0..1.0)?.plotting_area().dim_in_pixel();
    let (x, y) = frame.equal_scale(w, h);
    let mut chart = build(x, y)?;
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
        .draw()?;
    Ok(chart)
}

/// Draw the placement map (see the module documentation).
pub fn draw_placement_map<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    m: &PlacementMap<'_>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let net = &scn.net;
    let body = title_block(root, &m.title, &m.subtitle)?;
    let (w, _) = body.dim_in_pixel();
    let legend_w = 300u32.min(w / 3);
    let (map_area, legend_area) = body.split_horizontally(w.saturating_sub(legend_w));
    let frame = Frame::of(net);
    let mut chart = map_chart(&map_area, &frame)?;

    // Roads, lightly.
    let roads = super::map::roads(net);
    chart.draw_series(roads.iter().map(|r| {
        PathElement::new(
            r.points_m(net)
                .into_iter()
                .map(|p| frame.km_at(p))
                .collect::<Vec<_>>(),
            ShapeStyle::from(&ROAD).stroke_width(1),
        )
    }))?;

    // Demand: dot size by expected calls, colour by coverage.
    let prob = &scn.demand.spatial.prob;
    let mut ws: Vec<f64> = prob.iter().copied().filter(|&x| x > 0.0).collect();
    let median = if ws.is_empty() {
        1.0
    } else {
        let k = ws.len() / 2;
        *ws.select_nth_unstable_by(k, f64::total_cmp).1
    };
    let radius = |x: f64| -> i32 { (1.0 + (x / median).sqrt()).round().clamp(1.0, 6.0) as i32 };
    let (mut in_n, mut in_d, mut out_n, mut out_d) = (0usize, 0.0, 0usize, 0.0);
    let mut dots: [Vec<((f64, f64), i32)>; 2] = Default::default();
    for v in 0..net.node_count() {
        let x = prob.get(v).copied().unwrap_or(0.0);
        let t = m.time_s.get(v).copied().unwrap_or(f64::INFINITY);
        let covered = t <= m.target_s;
        if covered {
            in_n += 1;
            in_d += x;
        } else {
            out_n += 1;
            out_d += x;
        }
        if x > 0.0 {
            dots[usize::from(!covered)].push((frame.km(net, v), radius(x)));
        }
    }
    // Covered demand faintly, so that roads and stations show through;
    // demand beyond the target on top and never smaller than 3 px.
    for (k, colour, min_r) in [(0, GOOD.mix(0.35), 1), (1, LATE.mix(0.95), 3)] {
        chart.draw_series(
            dots[k]
                .iter()
                .map(|&(p, r)| Circle::new(p, r.max(min_r), colour.filled())),
        )?;
    }

    // Current stations (open squares), then the chosen ones (diamonds).
    for &v in m.current {
        let p = frame.km(net, v.idx());
        chart.plotting_area().draw(
            &(EmptyElement::at(p)
                + Rectangle::new([(-7, -7), (7, 7)], WHITE.mix(0.6).filled())
                + Rectangle::new([(-7, -7), (7, 7)], ShapeStyle::from(&INK).stroke_width(2))),
        )?;
    }
    for &v in m.chosen {
        draw_marker(
            chart.plotting_area(),
            frame.km(net, v.idx()),
            Marker::Diamond(CHOSEN),
            6,
        )?;
    }

    // Legend.
    let kept = m.chosen.iter().filter(|v| m.current.contains(v)).count();
    let total = (in_d + out_d).max(f64::MIN_POSITIVE);
    let n = (in_n + out_n).max(1) as f64;
    let target = mmss(m.target_s);
    let lines: Vec<(Option<Swatch>, String, bool)> = vec![
        (None, "Stations".into(), true),
        (
            Some(Swatch::Mark(Marker::Diamond(CHOSEN))),
            format!("Chosen ({})", m.chosen.len()),
            false,
        ),
        (
            Some(Swatch::Mark(Marker::Square(WHITE))),
            format!("Current ({})", m.current.len()),
            false,
        ),
        (None, format!("{kept} current kept"), false),
        (None, "Demand, by the new layout".into(), true),
        (
            Some(Swatch::Dot(GOOD)),
            format!("Within {target}: {}", pct(in_d / total)),
            false,
        ),
        (
            None,
            format!("  of calls; {} of nodes", pct(in_n as f64 / n)),
            false,
        ),
        (
            Some(Swatch::Dot(LATE)),
            format!("Beyond {target}: {}", pct(out_d / total)),
            false,
        ),
        (
            None,
            format!("  of calls; {} nodes", thousands(out_n)),
            false,
        ),
        (None, "Dot size: expected calls".into(), false),
        (None, "Roads in light grey".into(), false),
    ];
    let step = 24;
    let mut y = 20;
    for (swatch, text, header) in lines {
        match (swatch, header) {
            (_, true) => legend_area.draw(&Text::new(
                text,
                (8, y),
                anchored(bold(16.0), HPos::Left, VPos::Center),
            ))?,
            (Some(s), false) => legend_item(&legend_area, s, &text, (10, y), 14.0)?,
            (None, false) => legend_area.draw(&Text::new(
                text,
                (46, y),
                anchored(font(14.0).color(&MUTED), HPos::Left, VPos::Center),
            ))?,
        }
        y += step;
    }
    Ok(())
}

/// Write `placement.png` and `placement.svg` into `dir` (created if needed).
pub fn placement_map(dir: &Path, scn: &Scenario, m: &PlacementMap<'_>) -> Result<Vec<PathBuf>> {
    struct F<'a>(&'a Scenario, &'a PlacementMap<'a>);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_placement_map(root, self.0, self.1)
        }
    }
    crate::output::ensure_dir(dir)?;
    write_figure(dir, "placement", MAP_SIZE, &F(scn, m))
}
