//! Charts of many replications: layouts compared, and sweeps.
//!
//! `compare.png/.svg`: for four key metrics, each layout's mean with its
//! 95 % interval. `sweep.png/.svg`: compliance (mean and 95 % interval)
//! against the first swept key, one line per combination of the others,
//! with the compliance goal.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{write_figure, DrawResult, Figure, CHART_SIZE};
use crate::batch::compare::Comparison;
use crate::batch::sweep::{Axis, SweepPoint};
use crate::error::Result;

const SERIES: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
];

fn scale(metric: &str) -> (f64, &'static str) {
    if metric.ends_with("_s") {
        (1.0 / 60.0, "min")
    } else {
        (100.0, "%")
    }
}

/// Draw the comparison chart.
pub fn draw_comparison<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Comparison,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let title = format!(
        "Layouts compared: {} replications each, same calls",
        c.replications
    );
    let (top, body) = root.split_vertically(50);
    top.titled(&title, ("sans-serif", 24))?;
    let panels = body.split_evenly((2, 2));
    let shown = [
        ("compliance", "Reached within target"),
        ("mean_response_s", "Mean response"),
        ("p90_response_s", "90th percentile response"),
        ("utilisation", "Mean unit utilisation"),
    ];
    for (area, (metric, label)) in panels.iter().zip(shown) {
        let Some(m) = c.metrics.iter().find(|m| m.metric == metric) else {
            continue;
        };
        let (k, unit) = scale(metric);
        let vals: Vec<(f64, f64, f64)> = m
            .layouts
            .iter()
            .map(|e| {
                let mean = e.mean.unwrap_or(f64::NAN) * k;
                (
                    mean,
                    e.ci_low.map_or(mean, |x| x * k),
                    e.ci_high.map_or(mean, |x| x * k),
                )
            })
            .collect();
        let goal = (metric == "compliance").then(|| c.summaries[0].compliance_goal * 100.0);
        let lo = vals
            .iter()
            .map(|v| v.1)
            .chain(goal)
            .fold(f64::INFINITY, f64::min);
        let hi = vals
            .iter()
            .map(|v| v.2)
            .chain(goal)
            .fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.15).max(0.5);
        let n = c.names.len();
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .caption(format!("{label} ({unit})"), ("sans-serif", 17))
            .x_label_area_size(28)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), (lo - pad)..(hi + pad))?;
        let names = c.names.clone();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < names.len() {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .label_style(("sans-serif", 13))
            .draw()?;
        if let Some(g) = goal {
            chart.draw_series(LineSeries::new(
                [(-0.5, g), (n as f64 - 0.5, g)],
                ShapeStyle::from(&RGBColor(60, 60, 60)).stroke_width(2),
            ))?;
        }
        for (i, &(mean, l, h)) in vals.iter().enumerate() {
            let col = SERIES[i % SERIES.len()];
            let x = i as f64;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, l), (x, h)],
                col.stroke_width(3),
            )))?;
            for y in [l, h] {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x - 0.12, y), (x + 0.12, y)],
                    col.stroke_width(2),
                )))?;
            }
            chart.draw_series(std::iter::once(Circle::new((x, mean), 6, col.filled())))?;
        }
    }
    Ok(())
}

/// Draw the sweep chart.
pub fn draw_sweep<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axes: &[Axis],
    points: &[SweepPoint],
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let first = &axes[0];
    let nx = first.values.len();
    let per = points.len() / nx.max(1);
    let goal = points
        .first()
        .map_or(90.0, |p| p.summary.compliance_goal * 100.0);
    let est = |p: &SweepPoint| p.summary.metric("compliance").cloned();
    let mut lo: f64 = goal;
    let mut hi: f64 = goal;
    for p in points {
        if let Some(e) = est(p) {
            lo = lo.min(e.ci_low.or(e.mean).unwrap_or(goal) * 100.0);
            hi = hi.max(e.ci_high.or(e.mean).unwrap_or(goal) * 100.0);
        }
    }
    let pad = ((hi - lo) * 0.1).max(1.0);
    let labels: Vec<String> = first.values.iter().map(crate::batch::sweep::show).collect();
    let mut chart = ChartBuilder::on(root)
        .margin(16)
        .caption(
            format!(
                "Compliance against {} ({} replications per point)",
                first.key,
                points.first().map_or(0, |p| p.summary.replications)
            ),
            ("sans-serif", 22),
        )
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            -0.5f64..(nx as f64 - 0.5),
            (lo - pad).max(0.0)..(hi + pad).min(100.5),
        )?;
    chart
        .configure_mesh()
        .x_labels(nx)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        })
        .x_desc(first.key.as_str())
        .y_desc("Calls reached within target (%)")
        .label_style(("sans-serif", 14))
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            [(-0.5, goal), (nx as f64 - 0.5, goal)],
            ShapeStyle::from(&RGBColor(60, 60, 60)).stroke_width(2),
        ))?
        .label(format!("goal {goal:.0}%"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RGBColor(60, 60, 60)));
    // Points are ordered with the first axis varying slowest: series s holds
    // points s, s + per, s + 2 per, ...
    for s in 0..per {
        let col = SERIES[s % SERIES.len()];
        let series: Vec<(f64, &SweepPoint)> = (0..nx)
            .filter_map(|i| points.get(i * per + s).map(|p| (i as f64, p)))
            .collect();
        let name = if axes.len() > 1 {
            axes[1..]
                .iter()
                .zip(&series[0].1.values[1..])
                .map(|(a, v)| format!("{}={v}", a.key))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            "mean and 95% interval".into()
        };
        let offset = (s as f64 - (per as f64 - 1.0) / 2.0) * 0.06;
        let line: Vec<(f64, f64)> = series
            .iter()
            .filter_map(|(x, p)| est(p).and_then(|e| e.mean).map(|m| (x + offset, m * 100.0)))
            .collect();
        chart
            .draw_series(LineSeries::new(line.clone(), col.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], col.stroke_width(2)));
        for (x, p) in &series {
            if let Some(e) = est(p) {
                if let (Some(l), Some(h)) = (e.ci_low, e.ci_high) {
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(x + offset, l * 100.0), (x + offset, h * 100.0)],
                        col.stroke_width(2),
                    )))?;
                }
            }
        }
        chart.draw_series(
            line.iter()
                .map(|&(x, y)| Circle::new((x, y), 5, col.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}

/// Write `compare.png` and `compare.svg`.
pub fn comparison(dir: &Path, c: &Comparison) -> Result<Vec<PathBuf>> {
    struct F<'a>(&'a Comparison);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_comparison(root, self.0)
        }
    }
    write_figure(dir, "compare", (1000, 700), &F(c))
}

/// Write `sweep.png` and `sweep.svg`.
pub fn sweep(dir: &Path, axes: &[Axis], points: &[SweepPoint]) -> Result<Vec<PathBuf>> {
    struct F<'a>(&'a [Axis], &'a [SweepPoint]);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_sweep(root, self.0, self.1)
        }
    }
    write_figure(dir, "sweep", CHART_SIZE, &F(axes, points))
}
