//! The charts: response-time distribution, compliance by hour, unit
//! utilisation, loop laps and hotspot revisit gaps.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::common::*;
use super::DrawResult;
use crate::metrics::{percentile, Outcome};
use crate::scenario::Scenario;

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type AreaResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

const GRID: RGBColor = RGBColor(228, 228, 228);
const BAR: RGBColor = RGBColor(188, 208, 228);
const LINE: RGBColor = RGBColor(31, 78, 140);
const LINE_LIGHT: RGBColor = RGBColor(140, 165, 200);
const STATION_BAR: RGBColor = RGBColor(70, 120, 180);
const PATROL_BAR: RGBColor = RGBColor(235, 140, 40);
const BAND: RGBColor = RGBColor(242, 242, 242);
const ALL_CALLS: RGBColor = RGBColor(150, 150, 150);

/// A nice bin or tick step for a span, so that it has at most `n` steps.
fn nice_step(span: f64, n: f64) -> f64 {
    const STEPS: [f64; 12] = [
        0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| span / s <= n)
        .unwrap_or(1200.0)
}

fn chart_mesh<DB: DrawingBackend>(
    chart: &mut Chart<DB>,
    x_desc: &str,
    y_desc: &str,
    y_fmt: &dyn Fn(&f64) -> String,
) -> DrawResult<DB> {
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .x_label_formatter(&tick)
        .y_label_formatter(y_fmt)
        .draw()
}

/// Response-time histogram (left) and empirical CDF per priority (right),
/// with the target time and the compliance goal.
pub fn draw_response<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    outcome: &Outcome,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let s = &outcome.summary;
    let target_s = scn.targets.response_s;
    let target_m = target_s / 60.0;
    let goal = scn.targets.compliance;
    // (priority, response time) of the counted calls that were reached.
    let calls: Vec<(u8, f64)> = outcome
        .calls
        .iter()
        .filter(|c| c.counted && c.response_s.is_finite())
        .map(|c| (c.priority, c.response_s))
        .collect();
    let subtitle = format!(
        "{} counted calls: {} reached within {} (goal {}); median {}, p90 {}, max {}",
        thousands(s.calls.counted),
        s.target.compliance.map(pct).unwrap_or_else(|| "-".into()),
        mmss(target_s),
        pct(goal),
        s.response_s.p50.map(mmss).unwrap_or_else(|| "-".into()),
        s.response_s.p90.map(mmss).unwrap_or_else(|| "-".into()),
        s.response_s.max.map(dur).unwrap_or_else(|| "-".into()),
    );
    let body = title_block(root, &format!("Response time: {}", scn.name), &subtitle)?;
    if calls.is_empty() {
        return message(&body, "No counted call was reached.");
    }
    let mut all: Vec<f64> = calls.iter().map(|c| c.1 / 60.0).collect();
    all.sort_by(f64::total_cmp);
    let max = *all.last().unwrap_or(&0.0);
    let p99 = percentile(&all, 0.99).unwrap_or(max);
    let span = max
        .min((2.0 * target_m).max(p99 * 1.25))
        .max(target_m * 1.2)
        .max(0.5);
    let bin = nice_step(span, 48.0);
    // Whole minutes (or bins, if longer) on the axis.
    let xmax = ceil_to(span, bin.max(1.0));
    let over = all.iter().filter(|&&x| x > xmax).count();

    let (w, _) = body.dim_in_pixel();
    let (left, right) = body.split_horizontally(w / 2);

    // Histogram.
    let (head, plot) = left.split_vertically(34);
    legend_row(
        &head,
        &[
            (Swatch::Fill(GOOD), format!("within {}", mmss(target_s))),
            (Swatch::Fill(LATE), "later".into()),
            (Swatch::Dashed(TARGET, 2), "target".into()),
        ],
        14.0,
    )?;
    let nb = ((xmax / bin).round() as usize).max(1);
    let mut counts = vec![0usize; nb];
    for &x in all.iter().filter(|&&x| x <= xmax) {
        counts[((x / bin) as usize).min(nb - 1)] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64 * 1.15 + 1.0;
    let mut chart = ChartBuilder::on(&plot)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(46)
        .y_label_area_size(62)
        .build_cartesian_2d(0.0..xmax, 0.0..top)?;
    let bin_label = if bin < 1.0 {
        format!("{:.0} s", bin * 60.0)
    } else {
        format!("{} min", tick(&bin))
    };
    chart_mesh(
        &mut chart,
        "Response time (min)",
        &format!("Calls per {bin_label}"),
        &|v| format!("{v:.0}"),
    )?;
    chart.draw_series(counts.iter().enumerate().map(|(i, &k)| {
        let (a, b) = (i as f64 * bin, (i + 1) as f64 * bin);
        let colour = if (a + b) / 2.0 <= target_m {
            GOOD
        } else {
            LATE
        };
        Rectangle::new([(a, 0.0), (b, k as f64)], colour.mix(0.85).filled())
    }))?;
    dashed(
        chart.plotting_area(),
        (target_m, 0.0),
        (target_m, top),
        TARGET,
        2,
    )?;
    if over > 0 {
        let at = chart.backend_coord(&(xmax, top));
        root.draw(&Text::new(
            format!(
                "{over} {} beyond {} min (longest {})",
                if over == 1 { "call" } else { "calls" },
                tick(&xmax),
                dur(max * 60.0)
            ),
            rel(root, (at.0 - 6, at.1 + 8)),
            anchored(font(13.0).color(&MUTED), HPos::Right, VPos::Top),
        ))?;
    }

    // Empirical CDF per priority and for all calls.
    let (head, plot) = right.split_vertically(34);
    let mut entries = vec![(Swatch::Line(ALL_CALLS, 5), "all calls".to_string())];
    let mut curves: Vec<(Vec<f64>, RGBColor)> = Vec::new();
    for p in 1..=scn.priorities() as u8 {
        let mut xs: Vec<f64> = calls
            .iter()
            .filter(|c| c.0 == p)
            .map(|c| c.1 / 60.0)
            .collect();
        if xs.is_empty() {
            continue;
        }
        xs.sort_by(f64::total_cmp);
        let colour = PRIORITY_COLOURS[(p as usize - 1) % PRIORITY_COLOURS.len()];
        entries.push((Swatch::Line(colour, 2), format!("P{p}")));
        curves.push((xs, colour));
    }
    entries.push((Swatch::Dashed(GOAL, 2), format!("goal {}", pct(goal))));
    legend_row(&head, &entries, 14.0)?;
    let mut chart = ChartBuilder::on(&plot)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(46)
        .y_label_area_size(62)
        .build_cartesian_2d(0.0..xmax, 0.0..100.0)?;
    chart_mesh(
        &mut chart,
        "Response time (min)",
        "Calls reached within (%)",
        &|v| format!("{v:.0}"),
    )?;
    // The CDF sampled at a few hundred times: as exact as the pixels, and
    // a monotone path that thick lines draw cleanly.
    let step_path = |xs: &[f64]| {
        let n = xs.len() as f64;
        (0..=400)
            .map(|k| {
                let x = xmax * k as f64 / 400.0;
                (x, 100.0 * xs.partition_point(|&v| v <= x) as f64 / n)
            })
            .collect::<Vec<_>>()
    };
    // All calls underneath, thick, so that the priorities stay visible.
    chart.draw_series(std::iter::once(PathElement::new(
        step_path(&all),
        ShapeStyle::from(&ALL_CALLS).stroke_width(5),
    )))?;
    for (xs, colour) in &curves {
        chart.draw_series(std::iter::once(PathElement::new(
            step_path(xs),
            ShapeStyle::from(colour).stroke_width(2),
        )))?;
    }
    dashed(
        chart.plotting_area(),
        (target_m, 0.0),
        (target_m, 100.0),
        TARGET,
        2,
    )?;
    dashed(
        chart.plotting_area(),
        (0.0, 100.0 * goal),
        (xmax, 100.0 * goal),
        GOAL,
        2,
    )?;
    if let Some(c) = s.target.compliance {
        let p = (target_m, 100.0 * c);
        chart.draw_series(std::iter::once(Circle::new(p, 5, INK.filled())))?;
        let at = chart.backend_coord(&p);
        let text = format!("{} within {}", pct(c), mmss(target_s));
        let style = bold(14.0);
        let (tw, th) = root.estimate_text_size(&text, &style)?;
        let (x, y) = (at.0 + 10, at.1 + 12);
        root.draw(&Rectangle::new(
            [
                rel(root, (x - 3, y - 2)),
                rel(root, (x + tw as i32 + 3, y + th as i32 + 3)),
            ],
            WHITE.mix(0.85).filled(),
        ))?;
        root.draw(&Text::new(
            text,
            rel(root, (x, y)),
            anchored(style, HPos::Left, VPos::Top),
        ))?;
    }
    Ok(())
}

/// Compliance by hour of day (line, left axis) against the goal, over the
/// number of calls (light bars, right axis).
pub fn draw_hourly<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    outcome: &Outcome,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let s = &outcome.summary;
    let goal = scn.targets.compliance;
    let target = mmss(scn.targets.response_s);
    let rows = &s.by_hour;
    let below = rows
        .iter()
        .filter(|r| r.compliance.is_some_and(|c| c < goal))
        .count();
    let subtitle = format!(
        "Share of calls reached within {target}, by hour of the call; {below} of 24 hours below the goal (orange points)"
    );
    let body = title_block(
        root,
        &format!("Compliance by hour of day: {}", scn.name),
        &subtitle,
    )?;
    let (head, plot) = body.split_vertically(34);
    let mut entries = vec![
        (Swatch::Fill(BAR), "calls (right axis)".to_string()),
        (
            Swatch::Line(LINE, 3),
            format!("reached within {target} (left axis)"),
        ),
        (Swatch::Dashed(GOAL, 2), format!("goal {}", pct(goal))),
    ];
    if let Some(c) = s.target.compliance {
        entries.push((Swatch::Line(LINE_LIGHT, 2), format!("all day {}", pct(c))));
    }
    legend_row(&head, &entries, 14.0)?;

    let min_c = rows
        .iter()
        .filter_map(|r| r.compliance)
        .fold(goal, f64::min);
    let ylo = ((100.0 * min_c - 8.0) / 10.0).floor().clamp(0.0, 8.0) * 10.0;
    let max_calls = rows.iter().map(|r| r.calls).max().unwrap_or(0).max(1) as f64;
    let top2 = max_calls * 1.6;
    let mut chart = ChartBuilder::on(&plot)
        .margin(10)
        .margin_top(6)
        .x_label_area_size(46)
        .y_label_area_size(62)
        .right_y_label_area_size(62)
        .build_cartesian_2d(0.0..24.0, ylo..100.0)?
        .set_secondary_coord(0.0..24.0, 0.0..top2);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels(13)
        .x_desc("Hour of day (time of the call)")
        .y_desc(format!("Calls reached within {target} (%)"))
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .x_label_formatter(&|v: &f64| format!("{:02}:00", v.round() as i64))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("Calls per hour")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    chart.draw_secondary_series(rows.iter().map(|r| {
        let h = r.hour as f64;
        Rectangle::new([(h + 0.12, 0.0), (h + 0.88, r.calls as f64)], BAR.filled())
    }))?;
    dashed(
        chart.plotting_area(),
        (0.0, 100.0 * goal),
        (24.0, 100.0 * goal),
        GOAL,
        2,
    )?;
    if let Some(c) = s.target.compliance {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 100.0 * c), (24.0, 100.0 * c)],
            ShapeStyle::from(&LINE_LIGHT).stroke_width(2),
        )))?;
    }
    // The line, broken at hours without calls.
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut runs = Vec::new();
    for r in rows {
        match r.compliance {
            Some(c) => run.push((r.hour as f64 + 0.5, 100.0 * c)),
            None => runs.push(std::mem::take(&mut run)),
        }
    }
    runs.push(run);
    chart.draw_series(
        runs.into_iter()
            .filter(|r| !r.is_empty())
            .map(|r| PathElement::new(r, ShapeStyle::from(&LINE).stroke_width(3))),
    )?;
    chart.draw_series(rows.iter().filter_map(|r| {
        let c = r.compliance?;
        let colour = if c >= goal { GOOD } else { LATE };
        Some(
            EmptyElement::at((r.hour as f64 + 0.5, 100.0 * c))
                + Circle::new((0, 0), 5, colour.filled())
                + Circle::new((0, 0), 5, ShapeStyle::from(&LINE).stroke_width(1)),
        )
    }))?;
    Ok(())
}

/// Utilisation of every unit: one bar per unit, grouped by station (station
/// names below), patrol units in their own colour, and the mean.
pub fn draw_utilisation<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    outcome: &Outcome,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let s = &outcome.summary;
    let units = &outcome.units;
    let patrol_units = units.iter().filter(|u| u.kind == "patrol").count();
    let subtitle = format!(
        "Share of the measured window each unit is dispatched or on scene; {} ({} on patrol) at {}",
        count(units.len(), "unit"),
        patrol_units,
        count(scn.stations.len(), "station")
    );
    let body = title_block(root, &format!("Unit utilisation: {}", scn.name), &subtitle)?;
    if units.is_empty() {
        return message(&body, "No units.");
    }
    let (head, plot) = body.split_vertically(34);
    let mut entries = vec![(Swatch::Fill(STATION_BAR), "station unit".to_string())];
    if patrol_units > 0 {
        entries.push((Swatch::Fill(PATROL_BAR), "patrol unit".into()));
    }
    entries.push((
        Swatch::Dashed(GOAL, 2),
        format!("mean {}", pct(s.utilisation.mean)),
    ));
    legend_row(&head, &entries, 14.0)?;

    // Groups in station order; station units first, then patrol units.
    let mut groups: Vec<(String, Vec<(f64, bool)>)> = scn
        .stations
        .iter()
        .map(|st| (st.name.clone(), Vec::new()))
        .collect();
    for patrol in [false, true] {
        for u in units.iter().filter(|u| (u.kind == "patrol") == patrol) {
            let g = scn
                .stations
                .iter()
                .position(|st| st.name == u.station)
                .unwrap_or(0);
            if let Some(group) = groups.get_mut(g) {
                group.1.push((u.utilisation, patrol));
            }
        }
    }
    groups.retain(|g| !g.1.is_empty());
    let gap = 0.7;
    let mut spans = Vec::with_capacity(groups.len());
    let mut x = gap / 2.0;
    for g in &groups {
        spans.push((x, x + g.1.len() as f64));
        x += g.1.len() as f64 + gap;
    }
    let xmax = x - gap / 2.0;
    let umax = units.iter().map(|u| u.utilisation).fold(0.0, f64::max);
    let ymax = ceil_to(100.0 * umax + 8.0, 10.0).clamp(10.0, 100.0);

    let label_style = font(14.0);
    let mut longest = 0;
    for g in &groups {
        longest = longest.max(root.estimate_text_size(&g.0, &label_style)?.0);
    }
    let label_area = (longest as i32 + 14).clamp(40, 150);
    let mut chart = ChartBuilder::on(&plot)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(label_area)
        .y_label_area_size(62)
        .build_cartesian_2d(0.0..xmax, 0.0..ymax)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .y_desc("Utilisation (%)")
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    chart.draw_series(spans.iter().enumerate().filter(|(i, _)| i % 2 == 1).map(
        |(_, &(a, b))| Rectangle::new([(a - gap / 2.0, 0.0), (b + gap / 2.0, ymax)], BAND.filled()),
    ))?;
    chart.draw_series(groups.iter().zip(&spans).flat_map(|(g, &(a, _))| {
        g.1.iter().enumerate().map(move |(i, &(u, patrol))| {
            let x = a + i as f64;
            let colour = if patrol { PATROL_BAR } else { STATION_BAR };
            Rectangle::new([(x + 0.1, 0.0), (x + 0.9, 100.0 * u)], colour.filled())
        })
    }))?;
    dashed(
        chart.plotting_area(),
        (0.0, 100.0 * s.utilisation.mean),
        (xmax, 100.0 * s.utilisation.mean),
        GOAL,
        2,
    )?;

    // Station names under their groups, reading upwards; thinned out when
    // the groups are narrower than a line of text.
    let (_, ys) = chart.plotting_area().get_pixel_range();
    let px = |x: f64| chart.backend_coord(&(x, 0.0)).0;
    let mut last_x: Option<i32> = None;
    for (g, &(a, b)) in groups.iter().zip(&spans) {
        let cx = px((a + b) / 2.0);
        if last_x.is_some_and(|l| cx - l < 16) {
            continue;
        }
        last_x = Some(cx);
        root.draw(&Text::new(
            clip_label(&g.0, 22),
            rel(root, (cx, ys.end + 6)),
            anchored(label_style.clone(), HPos::Right, VPos::Center)
                .transform(FontTransform::Rotate270),
        ))?;
    }
    Ok(())
}

/// A horizontal chart with one row per item (names on the left, a note on
/// the right of each row); row `i` is centred at `y = n - i - 0.5`.
fn row_chart<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &'a DrawingArea<DB, Shift>,
    names: &[String],
    notes: &[(String, RGBColor)],
    xmax: f64,
    x_desc: &str,
) -> AreaResult<Chart<'a, DB>, DB> {
    let n = names.len().max(1);
    let (_, h) = plot.dim_in_pixel();
    let row_px = (h as f64 - 60.0) / n as f64;
    let size = (row_px * 0.75).clamp(11.0, 15.0);
    let style = font(size);
    let mut name_w = 0;
    for name in names {
        name_w = name_w.max(root.estimate_text_size(name, &style)?.0);
    }
    let mut note_w = 0;
    for (note, _) in notes {
        note_w = note_w.max(root.estimate_text_size(note, &style)?.0);
    }
    let mut chart = ChartBuilder::on(plot)
        .margin(10)
        .x_label_area_size(46)
        .y_label_area_size((name_w as i32 + 18).clamp(60, 300))
        .right_y_label_area_size((note_w as i32 + 16).clamp(20, 240))
        .build_cartesian_2d(0.0..xmax, 0.0..n as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_desc(x_desc)
        .label_style(font(15.0))
        .axis_desc_style(font(16.0))
        .x_label_formatter(&tick)
        .draw()?;
    for (i, name) in names.iter().enumerate() {
        let yc = n as f64 - i as f64 - 0.5;
        let (x, y) = chart.backend_coord(&(0.0, yc));
        root.draw(&Text::new(
            name.clone(),
            rel(root, (x - 8, y)),
            anchored(style.clone(), HPos::Right, VPos::Center),
        ))?;
        if let Some((note, colour)) = notes.get(i) {
            let (x, y) = chart.backend_coord(&(xmax, yc));
            root.draw(&Text::new(
                note.clone(),
                rel(root, (x + 8, y)),
                anchored(coloured(style.clone(), *colour), HPos::Left, VPos::Center),
            ))?;
        }
    }
    Ok(chart)
}

/// Draw a range from `a` to `b` (minutes) on row `yc` as a whisker, ending
/// in a tick, or in an arrow when `b` is past `xmax` (the row's note gives
/// the value).
fn whisker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart<DB>,
    (a, b): (f64, f64),
    yc: f64,
    xmax: f64,
) -> DrawResult<DB> {
    let st = ShapeStyle::from(&INK).stroke_width(2);
    let end = b.min(xmax);
    chart
        .plotting_area()
        .draw(&PathElement::new(vec![(a, yc), (end, yc)], st))?;
    let (x, y) = chart.backend_coord(&(end, yc));
    if b <= xmax {
        root.draw(&PathElement::new(
            vec![rel(root, (x, y - 7)), rel(root, (x, y + 7))],
            st,
        ))
    } else {
        root.draw(&Polygon::new(
            vec![
                rel(root, (x, y)),
                rel(root, (x - 10, y - 6)),
                rel(root, (x - 10, y + 6)),
            ],
            INK.filled(),
        ))
    }
}

/// How many rows of at least 18 px fit in a row chart drawn on `plot`.
fn row_capacity<DB: DrawingBackend>(plot: &DrawingArea<DB, Shift>) -> usize {
    let (_, h) = plot.dim_in_pixel();
    ((h as f64 - 60.0) / 18.0).floor().max(4.0) as usize
}

/// The rows to draw: all of `items` in order when they fit, else the `cap`
/// worst (largest `badness`), worst first.
fn pick_rows(items: &[usize], cap: usize, badness: impl Fn(usize) -> f64) -> Vec<usize> {
    let mut rows = items.to_vec();
    if rows.len() > cap {
        rows.sort_by(|&a, &b| badness(b).total_cmp(&badness(a)).then(a.cmp(&b)));
        rows.truncate(cap);
    }
    rows
}

/// Half the height of a bar in a row chart, in rows.
const BAR_HALF: f64 = 0.2;

/// Upper end of a time axis in minutes: room for the reference lines and
/// the percentiles; longer maxima are drawn as arrows.
fn time_axis(refs_s: f64, p90s: impl Iterator<Item = f64>) -> f64 {
    let m = p90s.fold(refs_s * 1.5, f64::max) * 1.08 / 60.0;
    let m = m.max(1.0);
    ceil_to(m, nice_step(m, 12.0))
}

/// Static and observed lap times per patrol loop against the lap target.
pub fn draw_loops<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    outcome: &Outcome,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let all = &outcome.summary.loops;
    let target_s = scn.targets.patrol_loop_s;
    let goal = scn.targets.compliance;
    // Posts (loops that take no time to drive) have no laps: left out.
    let driven: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].static_lap_s > 0.0)
        .collect();
    let posts = all.len() - driven.len();
    let meeting = driven.iter().filter(|&&i| all[i].meets).count();
    let mut subtitle = format!(
        "{meeting} of {} loops meet the {} lap target (static lap within it, {} of observed laps within it)",
        driven.len(),
        mmss(target_s),
        pct(goal)
    );
    if posts > 0 {
        subtitle.push_str(&format!("; {posts} posts not shown"));
    }
    let body = title_block(root, &format!("Patrol loop laps: {}", scn.name), &subtitle)?;
    if driven.is_empty() {
        return message(&body, "No patrol loop to drive: every loop is a post.");
    }
    let (head, plot) = body.split_vertically(34);
    legend_row(
        &head,
        &[
            (Swatch::Mark(Marker::Diamond(WHITE)), "static lap".into()),
            (Swatch::Fill(GOOD), "observed p50 to p90".into()),
            (Swatch::Fill(LATE), "p90 over target".into()),
            (Swatch::Whisker, "to longest lap".into()),
            (
                Swatch::Dashed(TARGET, 2),
                format!("target {}", mmss(target_s)),
            ),
        ],
        14.0,
    )?;
    let rows = pick_rows(&driven, row_capacity(&plot), |i| {
        let l = &all[i];
        let p90 = l.laps.p90.unwrap_or(l.static_lap_s);
        (if l.meets { 0.0 } else { 1e6 }) + p90 / target_s.max(1.0)
    });
    let loops: Vec<&crate::metrics::LoopStats> = rows.iter().map(|&i| &all[i]).collect();
    let x_desc = if rows.len() < driven.len() {
        format!(
            "Lap time (min); the {} worst of {} loops, worst first",
            rows.len(),
            driven.len()
        )
    } else {
        "Lap time (min)".to_string()
    };
    let xmax = time_axis(
        target_s,
        loops
            .iter()
            .flat_map(|l| [l.static_lap_s, l.laps.p90.unwrap_or(0.0)]),
    );
    let names: Vec<String> = loops
        .iter()
        .map(|l| clip_label(l.name.strip_prefix("auto: ").unwrap_or(&l.name), 34))
        .collect();
    let notes: Vec<(String, RGBColor)> = loops
        .iter()
        .map(|l| match l.laps_within_target {
            Some(w) => (
                format!(
                    "{} of {} laps; max {}",
                    pct(w),
                    thousands(l.laps.n),
                    l.laps.max.map(dur).unwrap_or_default()
                ),
                if l.meets { GOOD } else { LATE },
            ),
            None => ("no laps".into(), MUTED),
        })
        .collect();
    let chart = row_chart(root, &plot, &names, &notes, xmax, &x_desc)?;
    let n = loops.len() as f64;
    dashed(
        chart.plotting_area(),
        (target_s / 60.0, 0.0),
        (target_s / 60.0, n),
        TARGET,
        2,
    )?;
    for (i, l) in loops.iter().enumerate() {
        let yc = n - i as f64 - 0.5;
        if let (Some(p50), Some(p90), Some(max)) = (l.laps.p50, l.laps.p90, l.laps.max) {
            let (p50, p90, max) = (p50 / 60.0, p90 / 60.0, max / 60.0);
            whisker(root, &chart, (p90, max), yc, xmax)?;
            let colour = if p90 * 60.0 <= target_s { GOOD } else { LATE };
            // At least 6 px wide, so that p50 = p90 still shows.
            let (a, b) = (p50, p90.max(p50 + xmax * 0.01));
            let bar = [(a, yc - BAR_HALF), (b, yc + BAR_HALF)];
            chart
                .plotting_area()
                .draw(&Rectangle::new(bar, colour.filled()))?;
            chart
                .plotting_area()
                .draw(&Rectangle::new(bar, ShapeStyle::from(&INK).stroke_width(1)))?;
        } else {
            let (x, y) = chart.backend_coord(&(l.static_lap_s / 60.0, yc));
            let text = if l.static_lap_s <= 0.0 {
                "post: no laps"
            } else {
                "no complete lap observed"
            };
            root.draw(&Text::new(
                text.to_string(),
                rel(root, (x + 14, y)),
                anchored(font(13.0).color(&MUTED), HPos::Left, VPos::Center),
            ))?;
        }
        draw_marker(
            chart.plotting_area(),
            (l.static_lap_s / 60.0, yc),
            Marker::Diamond(WHITE),
            6,
        )?;
    }
    Ok(())
}

/// Gaps between patrol passes per hotspot: p90 (bar) and longest (whisker)
/// against each hotspot's revisit limit (tick).
pub fn draw_hotspots<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    scn: &Scenario,
    outcome: &Outcome,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let all = &outcome.summary.hotspots;
    let goal = scn.targets.compliance;
    let meeting = all.iter().filter(|h| h.meets).count();
    let subtitle = format!(
        "{meeting} of {} hotspots within their revisit limit ({} of gaps between patrol passes within it)",
        all.len(),
        pct(goal)
    );
    let body = title_block(root, &format!("Hotspot revisits: {}", scn.name), &subtitle)?;
    if all.is_empty() {
        return message(&body, "No hotspots.");
    }
    let (head, plot) = body.split_vertically(34);
    legend_row(
        &head,
        &[
            (Swatch::Fill(GOOD), "p90 gap within limit".into()),
            (Swatch::Fill(LATE), "p90 gap over limit".into()),
            (Swatch::Whisker, "to longest gap".into()),
            (Swatch::Tick(TARGET), "revisit limit".into()),
        ],
        14.0,
    )?;
    let every: Vec<usize> = (0..all.len()).collect();
    let rows = pick_rows(&every, row_capacity(&plot), |i| {
        let h = &all[i];
        let over = h.gaps_s.p90.unwrap_or(h.longest_without_s) / h.revisit_s.max(1.0);
        match (h.meets, h.loops) {
            (_, 0) => 2e6 + over,
            (false, _) => 1e6 + over,
            (true, _) => over,
        }
    });
    let hs: Vec<&crate::metrics::HotspotStats> = rows.iter().map(|&i| &all[i]).collect();
    let x_desc = if rows.len() < all.len() {
        format!(
            "Gap between patrol passes (min); the {} worst of {} hotspots, worst first",
            rows.len(),
            all.len()
        )
    } else {
        "Gap between patrol passes (min)".to_string()
    };
    let xmax = time_axis(
        hs.iter().map(|h| h.revisit_s).fold(0.0, f64::max),
        hs.iter().map(|h| h.gaps_s.p90.unwrap_or(0.0)),
    );
    let names: Vec<String> = hs.iter().map(|h| clip_label(&h.name, 34)).collect();
    let notes: Vec<(String, RGBColor)> = hs
        .iter()
        .map(|h| match h.gaps_within_revisit {
            Some(w) => (
                format!(
                    "{} of {} gaps; max {}",
                    pct(w),
                    thousands(h.gaps_s.n),
                    h.gaps_s.max.map(dur).unwrap_or_default()
                ),
                if h.meets { GOOD } else { LATE },
            ),
            None if h.loops == 0 => ("not on a loop".into(), LATE),
            None => (format!("{} passes", h.passes), MUTED),
        })
        .collect();
    let chart = row_chart(root, &plot, &names, &notes, xmax, &x_desc)?;
    let n = hs.len() as f64;
    for (i, h) in hs.iter().enumerate() {
        let yc = n - i as f64 - 0.5;
        if let (Some(p90), Some(max)) = (h.gaps_s.p90, h.gaps_s.max) {
            let (p90, max) = (p90 / 60.0, max / 60.0);
            whisker(root, &chart, (p90, max), yc, xmax)?;
            let colour = if p90 * 60.0 <= h.revisit_s {
                GOOD
            } else {
                LATE
            };
            chart.plotting_area().draw(&Rectangle::new(
                [(0.0, yc - BAR_HALF), (p90, yc + BAR_HALF)],
                colour.filled(),
            ))?;
        } else {
            let (x, y) = chart.backend_coord(&(0.0, yc));
            let text = if h.loops == 0 {
                "no patrol passes"
            } else {
                "fewer than two passes: no gap measured"
            };
            root.draw(&Text::new(
                text.to_string(),
                rel(root, (x + 8, y)),
                anchored(font(13.0).color(&MUTED), HPos::Left, VPos::Center),
            ))?;
        }
        let r = (h.revisit_s / 60.0).min(xmax);
        chart.plotting_area().draw(&PathElement::new(
            vec![(r, yc - 0.38), (r, yc + 0.38)],
            ShapeStyle::from(&TARGET).stroke_width(3),
        ))?;
    }
    Ok(())
}
