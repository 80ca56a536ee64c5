//! Megacity scale (issue 8): time per call against graph size and units.
//!
//! Synthetic cities of about 10k, 50k and 276k nodes (the default city's
//! streets, 110 m blocks, so a larger graph is a larger city) × 50, 200 and
//! 500 units: 40 % at stations (4 per station, stations on an even lattice),
//! 60 % on patrol loops (3 cars per loop, each loop its station and 3 places
//! within 1.5 km of it, leaving the loop only for priority-1 calls). Calls
//! come at 0.24 per unit per hour, so utilisation stays moderate whatever
//! the number of units, and the horizon is set for 20,000 calls (`PATROLSIM_BENCH_CALLS` to change). One
//! measurement is one `sim::run` (draw the calls and simulate); criterion's
//! throughput is calls per second. Each scenario is built and prepared once,
//! outside the measurement, and dropped before the next.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use patrolsim::network::Network;
use patrolsim::scenario::{load, Scenario};
use patrolsim::sim;

/// Calls per run: `PATROLSIM_BENCH_CALLS`, default 20,000 (fewer for slow engines).
fn calls_per_run() -> f64 {
    std::env::var("PATROLSIM_BENCH_CALLS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(20_000.0)
}
/// Calls per unit per hour.
const RATE_PER_UNIT: f64 = 0.24;

/// Grid side of each city: 100² ≈ 10k, 224² ≈ 50k, 526² ≈ 276k nodes kept.
const SIDES: [usize; 3] = [100, 224, 526];
const UNITS: [u32; 3] = [50, 200, 500];

const DEMAND: &str = r#"
priority_shares = [0.15, 0.45, 0.40]
hotspot_share = 0.3
hotspot_radius_m = 400

[service]
on_scene = [
  { distribution = "lognormal", mean_s = 1500, sd_s = 700 },
  { distribution = "lognormal", mean_s = 900, sd_s = 450 },
  { distribution = "exponential", mean_s = 600 },
]
"#;

fn network_toml(side: usize) -> String {
    format!(
        "[network]\nsynthetic = {{ seed = 7, rows = {side}, cols = {side}, block_m = 110.0 }}\n"
    )
}

/// The city alone (one station, one unit), to choose sites on it.
fn city(side: usize) -> Network {
    let text = format!(
        "{}[[stations]]\nname = \"S\"\nnode = 0\n[demand]\ncalls_per_hour = 1\n",
        network_toml(side)
    );
    let scn = load::from_str(&text, Path::new("scaling-city.toml"), Path::new(".")).unwrap();
    std::sync::Arc::try_unwrap(scn.net).unwrap_or_else(|a| (*a).clone())
}

/// CPU time of this thread so far, seconds (Linux; `None` elsewhere): unlike
/// wall-clock time, it does not count time the machine gave to others.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let f: Vec<&str> = s.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ
}

/// The kept node nearest to a point (local metres).
fn nearest_node(net: &Network, p: [f64; 2]) -> usize {
    let d2 = |q: [f64; 2]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
    (0..net.node_count())
        .min_by(|&a, &b| d2(net.xy[a]).total_cmp(&d2(net.xy[b])))
        .unwrap()
}

/// The scenario of `units` units on a city.
fn scenario(net: &Network, side: usize, units: u32) -> Scenario {
    let station_units = units * 2 / 5;
    let stations = (station_units / 4) as usize;
    let loops = ((units - station_units) / 3) as usize;
    let rate = RATE_PER_UNIT * units as f64;
    let horizon_s = (calls_per_run() / rate * 3600.0).round();
    let [[x0, y0], [x1, y1]] = net.bbox_m();
    let mut t = network_toml(side);
    writeln!(t, "[demand]\ncalls_per_hour = {rate}\n{DEMAND}").unwrap();
    writeln!(t, "[simulation]\nhorizon_s = {horizon_s}\nseed = 1\n").unwrap();
    // Stations on an even g x g lattice of cells, `stations` of its cells taken evenly.
    let g = (stations as f64).sqrt().ceil() as usize;
    let mut station_xy = Vec::new();
    for k in 0..stations {
        let cell = k * g * g / stations;
        let (r, c) = (cell / g, cell % g);
        let p = [
            x0 + (x1 - x0) * (c as f64 + 0.5) / g as f64,
            y0 + (y1 - y0) * (r as f64 + 0.5) / g as f64,
        ];
        let v = nearest_node(net, p);
        station_xy.push(net.xy[v]);
        writeln!(
            t,
            "[[stations]]\nname = \"S{k}\"\nnode = {}\nunits = 4\n",
            net.ext_id[v]
        )
        .unwrap();
    }
    // Three places within 1.5 km of each loop's station, drawn from a fixed stream.
    let mut state = 0x5eed_u64 + side as u64 * 1000 + units as u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for j in 0..loops {
        let s = station_xy[j % stations];
        let mut names = vec![format!("\"S{}\"", j % stations)];
        for h in 0..3 {
            let v = loop {
                let v = (next() % net.node_count() as u64) as usize;
                let q = net.xy[v];
                if (q[0] - s[0]).hypot(q[1] - s[1]) < 1500.0 {
                    break v;
                }
            };
            writeln!(
                t,
                "[[hotspots]]\nname = \"H{j}.{h}\"\nnode = {}\n",
                net.ext_id[v]
            )
            .unwrap();
            names.push(format!("\"H{j}.{h}\""));
        }
        writeln!(
            t,
            "[[patrols]]\nname = \"L{j}\"\nstation = \"S{}\"\nunits = 3\nmax_priority = 1\nwaypoints = [{}]\n",
            j % stations,
            names.join(", ")
        )
        .unwrap();
    }
    load::from_str(&t, Path::new("scaling.toml"), Path::new(".")).unwrap()
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    for side in SIDES {
        let net = city(side);
        let nodes = net.node_count();
        for units in UNITS {
            let scn = scenario(&net, side, units);
            let prep = sim::Prepared::new(&scn);
            let (t, cpu) = (Instant::now(), thread_cpu_s());
            let calls = sim::run(&scn, &prep, 0).unwrap().calls.len();
            let once = t.elapsed().as_secs_f64();
            let cpu = thread_cpu_s().zip(cpu).map_or(f64::NAN, |(b, a)| b - a);
            eprintln!(
                "{nodes} nodes, {} units ({} on {} loops): {calls} calls in {:.1} days, \
                 one run {once:.2} s ({cpu:.2} s CPU: {:.1} µs per call)",
                scn.unit_count(),
                scn.patrols.iter().map(|p| p.units).sum::<u32>(),
                scn.patrols.len(),
                scn.sim.horizon_s / 86_400.0,
                cpu / calls as f64 * 1e6
            );
            group.throughput(Throughput::Elements(calls as u64));
            group.measurement_time(Duration::from_secs_f64((once * 11.0).max(1.0)));
            let id = BenchmarkId::new(format!("{}k_nodes", nodes / 1000), format!("{units}_units"));
            group.bench_function(id, |b| {
                b.iter(|| black_box(sim::run(&scn, &prep, 0).unwrap().summary.target.compliance))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, scaling);
criterion_main!(benches);
