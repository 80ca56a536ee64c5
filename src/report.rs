//! Turning results into files and plain words.
//!
//! Writes `incidents.csv`, `units.csv` and `summary.json` (each atomically)
//! and renders the console summary whose last line is the verdict. Numbers in
//! CSV files are seconds with three decimals (millisecond resolution).

use std::fmt::Write as _;
use std::path::Path;

use crate::analysis::coverage::Coverage;
use crate::error::Result;
use crate::metrics::Outcome;
use crate::output::{ensure_dir, write_atomic, write_string};
use crate::scenario::Scenario;

/// `m:ss` for a duration in seconds.
pub fn mmss(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    let total = s.round() as i64;
    format!("{}:{:02}", total / 60, total % 60)
}

/// A duration as `m:ss`, or `h:mm:ss` from an hour on.
pub fn hmmss(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    let t = s.round().max(0.0) as u64;
    if t >= 3600 {
        format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    } else {
        mmss(s)
    }
}

/// A share as a whole percentage when whole (`90%`), else one decimal.
pub fn pct0(x: f64) -> String {
    let p = 100.0 * x;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// A share as a percentage with one decimal.
pub fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
}

/// Thousands separators.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn ms(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        String::new()
    }
}

/// Write `incidents.csv`, `units.csv`, `loops.csv`, `hotspots.csv` and
/// `summary.json` into `dir`.
pub fn write_outputs(dir: &Path, out: &Outcome) -> Result<()> {
    ensure_dir(dir)?;
    write_atomic(&dir.join("incidents.csv"), |w| {
        writeln!(
            w,
            "id,time_s,priority,node,unit,station,unit_kind,patrol,dispatch_s,arrive_s,clear_s,wait_s,travel_s,response_s,met_target,queued,counted"
        )?;
        for r in out.calls.iter() {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.id,
                ms(r.time_s),
                r.priority,
                r.node,
                r.unit,
                csv_text(&r.station),
                r.unit_kind,
                csv_text(&r.patrol),
                ms(r.dispatch_s),
                ms(r.arrive_s),
                ms(r.clear_s),
                ms(r.wait_s),
                ms(r.travel_s),
                ms(r.response_s),
                r.met_target,
                r.queued,
                r.counted
            )?;
        }
        Ok(())
    })?;
    write_atomic(&dir.join("units.csv"), |w| {
        writeln!(
            w,
            "unit,station,kind,patrol,calls_served,busy_s,utilisation"
        )?;
        for u in &out.units {
            writeln!(
                w,
                "{},{},{},{},{},{},{:.6}",
                u.unit,
                csv_text(&u.station),
                u.kind,
                csv_text(&u.patrol),
                u.calls_served,
                ms(u.busy_s),
                u.utilisation
            )?;
        }
        Ok(())
    })?;
    let opt = |x: Option<f64>| x.map_or_else(String::new, ms);
    let share = |x: Option<f64>| x.map_or_else(String::new, |v| format!("{v:.6}"));
    write_atomic(&dir.join("loops.csv"), |w| {
        writeln!(
            w,
            "loop,station,units,waypoints,rejoin,static_lap_s,laps,mean_lap_s,p90_lap_s,max_lap_s,laps_within_target,meets"
        )?;
        for l in &out.summary.loops {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{},{}",
                csv_text(&l.name),
                csv_text(&l.station),
                l.units,
                l.waypoints.len(),
                l.rejoin,
                ms(l.static_lap_s),
                l.laps.n,
                opt(l.laps.mean),
                opt(l.laps.p90),
                opt(l.laps.max),
                share(l.laps_within_target),
                l.meets
            )?;
        }
        Ok(())
    })?;
    write_atomic(&dir.join("hotspots.csv"), |w| {
        writeln!(
            w,
            "hotspot,kind,revisit_s,loops,passes,mean_gap_s,p90_gap_s,max_gap_s,gaps_within_revisit,longest_without_s,presence,meets"
        )?;
        for h in &out.summary.hotspots {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{},{},{:.6},{}",
                csv_text(&h.name),
                h.kind,
                ms(h.revisit_s),
                h.loops,
                h.passes,
                opt(h.gaps_s.mean),
                opt(h.gaps_s.p90),
                opt(h.gaps_s.max),
                share(h.gaps_within_revisit),
                ms(h.longest_without_s),
                h.presence,
                h.meets
            )?;
        }
        Ok(())
    })?;
    let json = serde_json::to_string_pretty(&out.summary)
        .map_err(|e| crate::error::Error::Internal(format!("summary does not serialise: {e}")))?;
    write_string(&dir.join("summary.json"), &(json + "\n"))
}

/// Quote a CSV text cell when it needs it.
pub fn csv_text(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One line on the network, for `run` and `check`.
pub fn network_line(scn: &Scenario) -> String {
    let net = &scn.net;
    let d = &net.dropped;
    let mut s = format!(
        "{} nodes, {} directed edges, {:.0} km of road",
        thousands(net.node_count()),
        thousands(net.edge_count()),
        net.total_km()
    );
    if d.dropped_nodes > 0 {
        let _ = write!(
            s,
            " (dropped {} nodes and {} edges in {} parts not strongly connected to the rest)",
            thousands(d.dropped_nodes),
            thousands(d.dropped_edges),
            thousands(d.dropped_components)
        );
    }
    s
}

/// The console summary of a run, ending with the verdict.
pub fn console_summary(scn: &Scenario, out: &Outcome) -> String {
    let s = &out.summary;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "patrolsim: {} (seed {}, replication {})",
        s.scenario, s.seed, s.replication
    );
    if let Some(d) = &scn.file.description {
        let _ = writeln!(t, "  {d}");
    }
    let _ = writeln!(t, "  network  {}", network_line(scn));
    let _ = writeln!(t, "  layout   {} stations, {} units", s.stations, s.units);
    let _ = writeln!(
        t,
        "  calls    {} in {:.1} h ({} counted after a {:.1} h warm-up)",
        thousands(s.calls.total),
        s.horizon_s / 3600.0,
        thousands(s.calls.counted),
        s.warmup_s / 3600.0
    );
    let r = &s.response_s;
    let f = |x: Option<f64>| x.map_or_else(|| "-".into(), mmss);
    let _ = writeln!(
        t,
        "\n  Response time (call to arrival, including {} s call handling)",
        s.call_handling_s
    );
    let _ = writeln!(
        t,
        "    mean {}   p50 {}   p90 {}   p95 {}   max {}",
        f(r.mean),
        f(r.p50),
        f(r.p90),
        f(r.p95),
        f(r.max)
    );
    let target = s.target.response_s;
    let _ = writeln!(
        t,
        "    within {}: {} of calls (goal {})",
        mmss(target),
        pct(s.target.compliance),
        pct(Some(s.target.compliance_goal))
    );
    if s.by_priority.len() > 1 {
        let parts: Vec<String> = s
            .by_priority
            .iter()
            .map(|p| {
                format!(
                    "P{} {} of {}",
                    p.priority,
                    pct(p.compliance),
                    thousands(p.calls)
                )
            })
            .collect();
        let _ = writeln!(t, "    by priority: {}", parts.join(", "));
    }
    let mut hours: Vec<_> = s.by_hour.iter().filter(|h| h.calls > 0).collect();
    hours.sort_by(|a, b| {
        a.compliance
            .unwrap_or(1.0)
            .total_cmp(&b.compliance.unwrap_or(1.0))
            .then(a.hour.cmp(&b.hour))
    });
    if hours.len() > 3 && hours[0].compliance.is_some_and(|c| c < 1.0) {
        let parts: Vec<String> = hours
            .iter()
            .take(3)
            .map(|h| format!("{:02}h {}", h.hour, pct(h.compliance)))
            .collect();
        let _ = writeln!(t, "    weakest hours: {}", parts.join(", "));
    }
    let u = &s.utilisation;
    let _ = writeln!(
        t,
        "  Units: utilisation mean {} (min {}, max {})",
        pct(Some(u.mean)),
        pct(Some(u.min)),
        pct(Some(u.max))
    );
    let q = &s.queue;
    let _ = writeln!(
        t,
        "  Queue: {} of calls found no free unit (mean wait {} when they did; longest queue {})",
        pct(q.share_queued),
        q.mean_wait_if_queued_s.map_or_else(|| "-".into(), mmss),
        q.max_length
    );
    let lap_target = s.patrol.loop_target_s;
    if !s.loops.is_empty() {
        let _ = writeln!(
            t,
            "\n  Patrol loops ({} on {}; lap target {}):",
            plural(s.patrol.patrol_units, "unit"),
            plural(s.loops.len(), "loop"),
            mmss(lap_target)
        );
        for l in &s.loops {
            let observed = match (l.laps.mean, l.laps.p90) {
                (Some(m), Some(p)) => format!(
                    "observed mean {} p90 {} max {}, {} of {} laps within",
                    mmss(m),
                    mmss(p),
                    l.laps.max.map_or_else(|| "-".into(), mmss),
                    pct(l.laps_within_target),
                    l.laps.n
                ),
                _ if l.static_lap_s <= 0.0 => "a fixed post".into(),
                _ => "no lap completed".into(),
            };
            let _ = writeln!(
                t,
                "    {:<28} {} stops  lap {}  {}  {}",
                l.name,
                l.waypoints.len(),
                mmss(l.static_lap_s),
                observed,
                if l.meets { "meets" } else { "MISSES" }
            );
        }
    }
    if !s.hotspots.is_empty() {
        let p = &s.patrol;
        let mut worst: Vec<_> = s.hotspots.iter().collect();
        worst.sort_by(|a, b| {
            b.longest_without_s
                .total_cmp(&a.longest_without_s)
                .then(a.name.cmp(&b.name))
        });
        let presence = pct(Some(
            s.hotspots.iter().map(|h| h.presence).sum::<f64>() / s.hotspots.len() as f64,
        ));
        if s.loops.is_empty() {
            let _ = writeln!(
                t,
                "  Hotspots: {}, no patrol loops; presence (a unit within {:.0} m) mean {presence}",
                p.hotspots, scn.targets.presence_radius_m
            );
            return verdict_lines(t, s);
        }
        let _ = writeln!(
            t,
            "  Hotspots: {} of {} on a loop, {} within their revisit limit; presence (a unit within {:.0} m) mean {presence}",
            p.hotspots_on_loops,
            p.hotspots,
            p.hotspots_meeting,
            scn.targets.presence_radius_m,
        );
        let parts: Vec<String> = worst
            .iter()
            .take(3)
            .map(|h| format!("{} {}", h.name, mmss(h.longest_without_s)))
            .collect();
        let _ = writeln!(t, "    longest without a patrol: {}", parts.join(", "));
    }
    verdict_lines(t, s)
}

/// `1 unit`, `2 units`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", thousands(n))
    }
}

/// The closing verdict lines of the console summary.
fn verdict_lines(mut t: String, s: &crate::metrics::Summary) -> String {
    let target = s.target.response_s;
    let lap_target = s.patrol.loop_target_s;
    let verdict = if s.target.meets { "MEETS" } else { "MISSES" };
    let _ = writeln!(
        t,
        "\nVERDICT: {verdict} the {}-minute response target: {} of calls reached within {}, goal {}.",
        format_minutes(target),
        pct(s.target.compliance),
        mmss(target),
        pct(Some(s.target.compliance_goal))
    );
    if let Some(m) = s.patrol.meets {
        let _ = writeln!(
            t,
            "VERDICT: {} the {}-minute patrol loop: {} of {} loops close within {} (static lap, and {} of observed laps).",
            if m { "MEETS" } else { "MISSES" },
            format_minutes(lap_target),
            s.patrol.loops_meeting,
            s.patrol.loops,
            mmss(lap_target),
            pct(Some(s.target.compliance_goal))
        );
    }
    t
}

fn format_minutes(s: f64) -> String {
    let m = s / 60.0;
    if (m - m.round()).abs() < 1e-9 {
        format!("{}", m.round() as i64)
    } else {
        format!("{m:.1}")
    }
}

/// The two lines of static coverage shares: within the target of driving,
/// and within the target less the call handling.
pub fn coverage_shares(cov: &Coverage, indent: &str) -> String {
    format!(
        "{indent}within {} of driving:             {} of nodes, {} of expected calls\n\
         {indent}within {} (target less {} s handling): {} of nodes, {} of expected calls\n",
        mmss(cov.target_s),
        pct(Some(cov.nodes_within_target)),
        pct(Some(cov.demand_within_target)),
        mmss(cov.target_s - cov.call_handling_s),
        cov.call_handling_s,
        pct(Some(cov.nodes_within_budget)),
        pct(Some(cov.demand_within_budget))
    )
}

/// The `check` report: network, snapping, static coverage.
pub fn check_report(scn: &Scenario, cov: &Coverage) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{}: OK", scn.path.display());
    if let Some(d) = &scn.file.description {
        let _ = writeln!(t, "  {d}");
    }
    let _ = writeln!(t, "  network  {}", network_line(scn));
    let _ = writeln!(
        t,
        "  stations {} with {} units",
        scn.stations.len(),
        scn.stations.iter().map(|s| s.units as usize).sum::<usize>()
    );
    for (s, c) in scn.stations.iter().zip(&cov.catchments) {
        let _ = writeln!(
            t,
            "    {:<24} {} units  snapped {:>5.0} m  node {:<10} catchment {:>6} nodes, {:>5} of calls, farthest {}",
            s.name,
            s.units,
            s.snap_m,
            scn.net.ext_id[s.node.idx()],
            thousands(c.nodes),
            pct(Some(c.demand_share)),
            mmss(c.max_time_s)
        );
    }
    if !scn.patrols.is_empty() {
        let mut search = crate::routing::Search::new(scn.net.node_count());
        let target = scn.targets.patrol_loop_s;
        let _ = writeln!(
            t,
            "  patrols  {} loops with {} units (lap target {})",
            scn.patrols.len(),
            scn.patrols.iter().map(|p| p.units as usize).sum::<usize>(),
            mmss(target)
        );
        for p in &scn.patrols {
            let plan = crate::sim::patrol::LoopPlan::new(&scn.net, &mut search, p);
            let _ = writeln!(
                t,
                "    {:<32} {} units  {} waypoints  lap {}{}",
                p.name,
                p.units,
                p.waypoints.len(),
                mmss(plan.lap_s),
                if plan.lap_s > target {
                    "  OVER THE TARGET"
                } else {
                    ""
                }
            );
        }
    }
    if !scn.hotspots.is_empty() {
        let far = scn.hotspots.iter().fold((0.0f64, ""), |a, h| {
            if h.snap_m > a.0 {
                (h.snap_m, &h.name)
            } else {
                a
            }
        });
        let _ = writeln!(
            t,
            "  hotspots {} (farthest snap {:.0} m, `{}`)",
            scn.hotspots.len(),
            far.0,
            far.1
        );
    }
    let _ = writeln!(
        t,
        "\n  Static coverage (travel time from the nearest station, every station assumed free):"
    );
    t.push_str(&coverage_shares(cov, "    "));
    let _ = writeln!(
        t,
        "    demand-weighted mean drive {}",
        mmss(cov.mean_time_s)
    );
    if !cov.worst.is_empty() {
        let parts: Vec<String> = cov
            .worst
            .iter()
            .map(|p| format!("node {} ({})", p.node, mmss(p.time_s)))
            .collect();
        let _ = writeln!(t, "    worst served: {}", parts.join(", "));
    }
    t
}

/// The `patrols design` report: the loops and the hotspots no loop can serve.
pub fn design_report(
    scn: &Scenario,
    d: &crate::analysis::patrol_design::Design,
    station_names: &[String],
    hotspot_names: &[String],
) -> String {
    let mut t = String::new();
    let served: usize = d.loops.iter().map(|l| l.hotspots.len()).sum();
    let _ = writeln!(
        t,
        "{}: {} loops ({} units at one per loop) pass {} of {} hotspots within the {} lap target",
        scn.name,
        d.loops.len(),
        d.loops.len(),
        served,
        hotspot_names.len(),
        mmss(d.target_s)
    );
    for (l, name) in d.loops.iter().zip(d.loop_names(station_names)) {
        let stops: Vec<&str> = l
            .hotspots
            .iter()
            .map(|&h| hotspot_names[h].as_str())
            .collect();
        let _ = writeln!(
            t,
            "  {:<28} lap {}  {}",
            name,
            mmss(l.lap_s),
            stops.join(" -> ")
        );
    }
    if !d.unservable.is_empty() {
        let _ = writeln!(t, "\n  No loop can serve {} hotspots:", d.unservable.len());
        for u in &d.unservable {
            let _ = writeln!(
                t,
                "    {:<28} its round trip from the nearest station ({}) alone is {}, over {}",
                hotspot_names[u.hotspot],
                station_names[u.best_station],
                mmss(u.round_trip_s),
                mmss(d.target_s)
            );
        }
    }
    t
}

/// A metric's value as people read it: shares in %, seconds as m:ss.
pub fn metric_value(metric: &str, v: f64) -> String {
    if metric.ends_with("_s") {
        mmss(v)
    } else if metric == "calls" {
        format!("{v:.0}")
    } else {
        format!("{:.1}%", v * 100.0)
    }
}

/// A metric's spread as people read it.
fn metric_spread(metric: &str, v: f64) -> String {
    if metric.ends_with("_s") {
        format!("{v:.1} s")
    } else if metric == "calls" {
        format!("{v:.1}")
    } else {
        format!("{:.2} pts", v * 100.0)
    }
}

/// `mean ± half-width (95% CI lo .. hi)`.
pub fn estimate_text(metric: &str, e: &crate::batch::Estimate) -> String {
    match (e.mean, e.half_width, e.ci_low, e.ci_high) {
        (Some(m), Some(h), Some(lo), Some(hi)) => format!(
            "{} ± {}  (95% CI {} .. {})",
            metric_value(metric, m),
            metric_spread(metric, h),
            metric_value(metric, lo),
            metric_value(metric, hi)
        ),
        (Some(m), ..) => metric_value(metric, m),
        _ => "-".into(),
    }
}

/// The console report of a batch.
pub fn batch_report(s: &crate::batch::BatchSummary, elapsed: Option<f64>) -> String {
    let mut t = String::new();
    let _ = write!(
        t,
        "patrolsim batch: {}, {} replications (seed {})",
        s.scenario, s.replications, s.seed
    );
    if let Some(e) = elapsed {
        let _ = write!(
            t,
            " in {e:.1} s ({:.1} replications/s)",
            s.replications as f64 / e.max(1e-9)
        );
    }
    t.push('\n');
    for (name, e) in &s.metrics {
        if e.n > 0 {
            let _ = writeln!(t, "  {:<22} {}", name, estimate_text(name, e));
        }
    }
    if let (Some(c), Some(meets)) = (s.metric("compliance"), s.meets) {
        let conf = match s.meets_with_confidence {
            Some(true) => "with 95% confidence",
            _ if meets => "on average, but not with 95% confidence",
            _ => "",
        };
        let _ = writeln!(
            t,
            "\nVERDICT: {} the {}-minute response target{}: mean compliance {} (95% CI {} .. {}), goal {}.",
            if meets { "MEETS" } else { "MISSES" },
            format_minutes(s.response_target_s),
            if conf.is_empty() { String::new() } else { format!(" {conf}") },
            pct(c.mean),
            pct(c.ci_low),
            pct(c.ci_high),
            pct(Some(s.compliance_goal))
        );
    }
    t
}

/// The console report of a comparison.
pub fn comparison_report(c: &crate::batch::compare::Comparison) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "patrolsim compare: {} layouts, {} replications each (seed {}), paired against `{}`",
        c.names.len(),
        c.replications,
        c.seed,
        c.names[0]
    );
    if !c.common_calls {
        let _ = writeln!(
            t,
            "  note: the layouts do not share the same calls (different network or demand), so differences include the noise of different calls"
        );
    }
    for m in &c.metrics {
        if m.layouts.iter().all(|e| e.n == 0) || m.metric == "calls" {
            continue;
        }
        let _ = writeln!(t, "\n  {}", m.metric);
        for (i, name) in c.names.iter().enumerate() {
            let diff = if i == 0 {
                String::from("(reference)")
            } else {
                let d = &m.difference[i];
                match (d.mean, d.ci_low, d.ci_high) {
                    (Some(x), Some(lo), Some(hi)) => format!(
                        "difference {}{} (95% CI {} .. {}){}",
                        if x >= 0.0 { "+" } else { "" },
                        metric_spread(&m.metric, x),
                        metric_spread(&m.metric, lo),
                        metric_spread(&m.metric, hi),
                        if lo > 0.0 || hi < 0.0 {
                            ", significant"
                        } else {
                            ""
                        }
                    ),
                    _ => "-".into(),
                }
            };
            let _ = writeln!(
                t,
                "    {:<28} {}  {}",
                name,
                estimate_text(&m.metric, &m.layouts[i]),
                diff
            );
        }
    }
    t.push('\n');
    for s in &c.summaries {
        let _ = writeln!(
            t,
            "VERDICT: {:<28} {} the {}-minute target: mean compliance {}, goal {}.",
            s.scenario,
            match (s.meets, s.meets_with_confidence) {
                (Some(true), Some(true)) => "MEETS (with 95% confidence)",
                (Some(true), _) => "MEETS (on average)",
                _ => "MISSES",
            },
            format_minutes(s.response_target_s),
            pct(s.metric("compliance").and_then(|e| e.mean)),
            pct(Some(s.compliance_goal))
        );
    }
    t
}

/// The console report of a sweep.
pub fn sweep_report(
    axes: &[crate::batch::sweep::Axis],
    points: &[crate::batch::sweep::SweepPoint],
) -> String {
    let mut t = String::new();
    let keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
    let _ = writeln!(
        t,
        "patrolsim sweep: {} points over {}, {} replications each",
        points.len(),
        keys.join(" x "),
        points.first().map_or(0, |p| p.summary.replications)
    );
    for p in points {
        let c = p.summary.metric("compliance");
        let r = p.summary.metric("mean_response_s");
        let _ = writeln!(
            t,
            "  {:<40} compliance {}   mean response {}   {}",
            keys.iter()
                .zip(&p.values)
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
            c.map_or_else(|| "-".into(), |e| estimate_text("compliance", e)),
            r.and_then(|e| e.mean).map_or_else(|| "-".into(), mmss),
            match p.summary.meets {
                Some(true) => "meets",
                _ => "misses",
            }
        );
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(mmss(299.6), "5:00");
        assert_eq!(mmss(61.0), "1:01");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(csv_text("a,b"), "\"a,b\"");
    }
}
