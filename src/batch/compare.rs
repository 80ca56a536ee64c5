//! Comparing layouts of one city on common random numbers.
//!
//! Every layout runs the same replications with the same seed, so
//! replication `r` of every layout sees exactly the same calls (when the
//! layouts share the network and the demand model). Differences are paired
//! replication by replication against the first layout, and their confidence
//! intervals are therefore free of the noise of different calls.

use serde::Serialize;

use super::{run_reps, BatchSummary, Estimate, RepRow, METRICS};
use crate::error::Result;
use crate::scenario::Scenario;
use crate::sim::Prepared;

/// One metric across layouts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricComparison {
    /// The metric (see [`METRICS`]).
    pub metric: String,
    /// Per layout: its estimate.
    pub layouts: Vec<Estimate>,
    /// Per layout: the paired difference from the first layout (layout minus first).
    pub difference: Vec<Estimate>,
}

/// The comparison of several layouts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// Layout names, in the order given.
    pub names: Vec<String>,
    /// Replications per layout.
    pub replications: u64,
    /// Seed used for every layout.
    pub seed: u64,
    /// True when every layout saw the same calls in replication 0.
    pub common_calls: bool,
    /// Per layout: its batch summary (verdict included).
    pub summaries: Vec<BatchSummary>,
    /// Per metric.
    pub metrics: Vec<MetricComparison>,
}

/// Run `reps` replications of every layout with the seed of the first and compare them.
pub fn compare(
    layouts: &mut [Scenario],
    reps: u64,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<(Comparison, Vec<Vec<RepRow>>)> {
    let seed = layouts[0].sim.seed;
    for s in layouts.iter_mut() {
        s.sim.seed = seed;
    }
    let first_calls =
        layouts[0]
            .demand
            .calls(&layouts[0].service, seed, 0, layouts[0].sim.horizon_s);
    let common_calls = layouts.iter().all(|s| {
        s.demand.calls(&s.service, seed, 0, s.sim.horizon_s) == first_calls
            && s.net.ext_id == layouts[0].net.ext_id
    });
    let ids: Vec<u64> = (0..reps).collect();
    let mut all_rows = Vec::with_capacity(layouts.len());
    for s in layouts.iter() {
        let prep = Prepared::new(s);
        all_rows.push(run_reps(s, &prep, &ids, threads, progress)?);
    }
    let metrics = METRICS
        .iter()
        .map(|&m| MetricComparison {
            metric: m.to_string(),
            layouts: all_rows
                .iter()
                .map(|rows| Estimate::of(rows.iter().map(|r| r.get(m))))
                .collect(),
            difference: all_rows
                .iter()
                .map(|rows| {
                    Estimate::of(
                        rows.iter()
                            .zip(&all_rows[0])
                            .map(|(a, b)| a.get(m) - b.get(m)),
                    )
                })
                .collect(),
        })
        .collect();
    let summaries = layouts
        .iter()
        .zip(&all_rows)
        .map(|(s, rows)| BatchSummary::of(s, reps, rows))
        .collect();
    Ok((
        Comparison {
            names: layouts.iter().map(|s| s.name.clone()).collect(),
            replications: reps,
            seed,
            common_calls,
            summaries,
            metrics,
        },
        all_rows,
    ))
}

/// `compare.csv`: per metric and layout, its estimate and its paired difference from the first.
pub fn comparison_csv(c: &Comparison) -> String {
    let f = |x: Option<f64>| x.map_or_else(String::new, |v| format!("{v}"));
    let mut t =
        String::from("metric,layout,n,mean,ci_low,ci_high,diff_mean,diff_ci_low,diff_ci_high\n");
    for m in &c.metrics {
        for (i, name) in c.names.iter().enumerate() {
            let (e, d) = (&m.layouts[i], &m.difference[i]);
            t.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\n",
                m.metric,
                crate::report::csv_text(name),
                e.n,
                f(e.mean),
                f(e.ci_low),
                f(e.ci_high),
                f(d.mean),
                f(d.ci_low),
                f(d.ci_high)
            ));
        }
    }
    t
}
