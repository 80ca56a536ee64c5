//! Megacity scale (issue 8): a year of a ten-million city on one core.
//!
//! * `megacity_year/<city>`: one replication of `scenarios/megacity-year.toml`
//!   (52 stations, 200 station units, about 300 patrol units on designed
//!   loops, about 1,000,000 calls in 365 days) through `sim::run`. Loading the
//!   scenario and `sim::Prepared::new` happen once, outside the measurement.
//!   `<city>` is the synthetic river city of the file (276k nodes), and
//!   Porto (`../shared/data/osm/porto_portugal.osm.pbf`, 55k graph nodes)
//!   with the same numbers of stations, places, units and calls when the
//!   extract is present. The cities go one at a time (loaded, measured,
//!   dropped), so the peak memory printed for each is its own.
//! * `nearest_unit/500_random_<router>/<city>`: the nearest-available-unit
//!   query alone, 500 idle units at random nodes, a random call node each
//!   time, with the plain Dijkstra router and with the fast one (`ch`; 500
//!   sources are too many for its table, so they are in buckets);
//!   `nearest_unit/scenario_at_stations_<router>/<city>`: the same with the
//!   scenario's units all idle at their 52 stations (the query the
//!   simulation mostly asks: units are clustered, so searches go farther).
//!
//! `PATROLSIM_BENCH_DAYS=30` shortens the simulated horizon (default 365),
//! for engines too slow to run a year ten times over. Targets: a year in
//! at most 5 s and 500 MB; a query in at most 20 µs (median).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use patrolsim::network::osm::{self, OsmOptions};
use patrolsim::network::{Network, NodeId};
use patrolsim::routing::ch::Ch;
use patrolsim::scenario::file::{HotspotSpec, ScenarioFile, StationSpec};
use patrolsim::scenario::RouterKind;
use patrolsim::scenario::{load, Scenario};
use patrolsim::sim;
use patrolsim::sim::dispatch::{Avail, FastIndex, Router, View};
use patrolsim::sim::units::Unit;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Simulated days: `PATROLSIM_BENCH_DAYS`, default a year.
fn days() -> f64 {
    std::env::var("PATROLSIM_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(365.0)
}

/// Peak resident memory of this process so far, MB (Linux), for the log.
fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// CPU time of this thread so far, seconds (Linux; `None` elsewhere): unlike
/// wall-clock time, it does not count time the machine gave to others.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let f: Vec<&str> = s.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ
}

/// A deterministic stream of pseudo-random numbers (splitmix64).
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `count` nodes drawn uniformly (with repetition) from the network.
fn random_nodes(net: &Network, count: usize, seed: u64) -> Vec<NodeId> {
    let mut rng = Mix(seed);
    (0..count)
        .map(|_| NodeId(rng.below(net.node_count()) as u32))
        .collect()
}

/// `k` nodes that split the network evenly (Lloyd's k-means on node
/// positions, from random nodes, each centre moved to its nearest node).
fn spread_nodes(net: &Network, k: usize, seed: u64) -> Vec<usize> {
    let xy = &net.xy;
    let d2 = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
    let mut centres: Vec<[f64; 2]> = random_nodes(net, k, seed)
        .into_iter()
        .map(|v| xy[v.idx()])
        .collect();
    for _ in 0..20 {
        let mut sums = vec![[0.0, 0.0, 0.0]; k];
        for &p in xy {
            let j = (0..k)
                .min_by(|&a, &b| d2(p, centres[a]).total_cmp(&d2(p, centres[b])))
                .unwrap();
            sums[j][0] += p[0];
            sums[j][1] += p[1];
            sums[j][2] += 1.0;
        }
        for (c, s) in centres.iter_mut().zip(&sums) {
            if s[2] > 0.0 {
                *c = [s[0] / s[2], s[1] / s[2]];
            }
        }
    }
    centres
        .iter()
        .map(|&c| {
            (0..xy.len())
                .min_by(|&a, &b| d2(xy[a], c).total_cmp(&d2(xy[b], c)))
                .unwrap()
        })
        .collect()
}

/// The megacity scenario file with its horizon set to `days()`.
fn megacity_file() -> (PathBuf, ScenarioFile) {
    let path = root().join("scenarios/megacity-year.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut file = load::parse(&text, &path).unwrap();
    file.simulation.horizon_s = days() * 86_400.0;
    (path, file)
}

/// The megacity layout on Porto: the file's stations (with their unit
/// counts) moved to nodes that split Porto evenly, its places (kinds and
/// weights) to random nodes at least 250 m apart, the same demand and the
/// same number of patrol units shared over the loops designed on Porto.
/// `None` when the extract is absent.
fn porto_scenario(patrol_units: u32) -> Option<Scenario> {
    let src = root().join("../shared/data/osm/porto_portugal.osm.pbf");
    if !src.exists() {
        eprintln!("Porto skipped: {} is not present", src.display());
        return None;
    }
    // A copy, so that the caches (network, routing) are written beside it and
    // not in shared/; kept between runs.
    let dir = std::env::temp_dir().join("patrolsim-bench-megacity");
    std::fs::create_dir_all(&dir).unwrap();
    let pbf = dir.join("porto.osm.pbf");
    if std::fs::read(&pbf).ok() != std::fs::read(&src).ok() {
        std::fs::copy(&src, &pbf).unwrap();
    }
    let (net, _) = osm::load(&pbf, &OsmOptions::default(), false).unwrap();

    let (_, mut file) = megacity_file();
    file.name = Some("megacity-year-porto".into());
    file.description = Some("The megacity layout and demand on Porto's road graph".into());
    file.network.synthetic = None;
    file.network.osm = Some(pbf.clone());
    let sites = spread_nodes(&net, file.stations.len(), 52);
    file.stations = file
        .stations
        .iter()
        .zip(&sites)
        .enumerate()
        .map(|(i, (s, &v))| StationSpec {
            name: format!("Porto {:02}", i + 1),
            node: Some(net.ext_id[v]),
            lon: None,
            lat: None,
            units: s.units,
        })
        .collect();
    let mut rng = Mix(480);
    let mut taken: Vec<[f64; 2]> = Vec::new();
    let hotspots: Vec<HotspotSpec> = file
        .hotspots
        .iter()
        .map(|h| loop {
            let v = rng.below(net.node_count());
            let p = net.xy[v];
            if taken
                .iter()
                .all(|q| (p[0] - q[0]).hypot(p[1] - q[1]) > 250.0)
            {
                taken.push(p);
                break HotspotSpec {
                    node: Some(net.ext_id[v]),
                    lon: None,
                    lat: None,
                    ..h.clone()
                };
            }
        })
        .collect();
    file.hotspots = hotspots;
    // The file's loops name its own stations: design Porto's own instead.
    let text = std::fs::read_to_string(root().join("scenarios/megacity-year.toml")).unwrap();
    let head = text.split("\n[[patrols]]").next().unwrap_or_default();
    let auto =
        format!("{head}\n[[patrols]]\nname = \"Loop\"\nauto = true\nunits = 3\nmax_priority = 1\n");
    file.patrols = load::parse(&auto, &dir.join("loops.toml")).unwrap().patrols;
    let pseudo = dir.join("megacity-year-porto.toml");
    let mut scn = load::resolve(file, &pseudo, &dir).unwrap();
    let loops = scn.patrols.len() as u32;
    for (i, p) in scn.patrols.iter_mut().enumerate() {
        p.units = patrol_units / loops + u32::from((i as u32) < patrol_units % loops);
    }
    Some(scn)
}

fn synthetic_scenario() -> Scenario {
    let (path, _) = megacity_file();
    let mut scn = load::from_path(&path).unwrap();
    scn.sim.horizon_s = days() * 86_400.0;
    scn
}

fn describe(name: &str, scn: &Scenario) {
    let patrol: u32 = scn.patrols.iter().map(|p| p.units).sum();
    eprintln!(
        "{name}: {} nodes, {} edges, {} stations, {} units ({} on {} loops), {} days",
        scn.net.node_count(),
        scn.net.edge_count(),
        scn.stations.len(),
        scn.unit_count(),
        patrol,
        scn.patrols.len(),
        scn.sim.horizon_s / 86_400.0
    );
}

fn year(c: &mut Criterion, name: &str, scn: &Scenario) {
    let mut group = c.benchmark_group("megacity_year");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(60));
    let t = Instant::now();
    let prep = sim::Prepared::new(scn);
    eprintln!("{name}: prepared in {:.2} s", t.elapsed().as_secs_f64());
    let (t, cpu) = (Instant::now(), thread_cpu_s());
    let calls = sim::run(scn, &prep, 0).unwrap().calls.len() as u64;
    let cpu = thread_cpu_s().zip(cpu).map_or(f64::NAN, |(b, a)| b - a);
    eprintln!(
        "{name}: one run of {calls} calls in {:.2} s ({cpu:.2} s CPU: {:.1} µs per call); \
         peak memory so far {:.0} MB",
        t.elapsed().as_secs_f64(),
        cpu / calls as f64 * 1e6,
        peak_rss_mb().unwrap_or(f64::NAN)
    );
    group.throughput(Throughput::Elements(calls));
    group.bench_function(name, |b| {
        b.iter(|| black_box(sim::run(scn, &prep, 0).unwrap().summary.target.compliance))
    });
    group.finish();
}

/// 500 idle units at random nodes (each its own station), and 4,096 random
/// call nodes to cycle through.
fn query_setup(net: &Network) -> (Vec<Unit>, Vec<NodeId>) {
    let units = random_nodes(net, 500, 500)
        .into_iter()
        .enumerate()
        .map(|(i, v)| Unit::at_station(i as u32, v))
        .collect();
    (units, random_nodes(net, 4096, 4096))
}

/// The scenario's own units, all idle at their stations (506 units at 52
/// nodes): the query the simulation mostly asks, when few units are out.
fn home_units(scn: &Scenario) -> Vec<Unit> {
    scn.units()
        .iter()
        .map(|u| Unit::at_station(u.station as u32, scn.stations[u.station].node))
        .collect()
}

fn nearest(c: &mut Criterion, name: &str, scn: &Scenario) {
    let mut group = c.benchmark_group("nearest_unit");
    let net = &*scn.net;
    let ch = Ch::load_or_build(net, scn.ch_cache.as_deref());
    let (random, targets) = query_setup(net);
    let random_homes = random.iter().map(|u| u.home).collect();
    let station_nodes = scn.stations.iter().map(|s| s.node).collect();
    for (what, units, homes) in [
        ("500_random", random, random_homes),
        ("scenario_at_stations", home_units(scn), station_nodes),
    ] {
        let homes: Vec<NodeId> = homes;
        let avail = Avail::of(&units, homes.len(), 0);
        let view = View {
            net,
            loops: &[],
            units: &units,
            avail: &avail,
        };
        let index = FastIndex::new(net, ch.clone(), &homes, &[]);
        eprintln!(
            "{what}/{name}: {} of {} sources in the table of exact times",
            index.table_sources(),
            homes.len()
        );
        for kind in [RouterKind::Dijkstra, RouterKind::Ch] {
            let mut router = match kind {
                RouterKind::Ch => Router::fast(&index),
                RouterKind::Dijkstra => Router::plain(net.node_count()),
            };
            let mut settled = 0;
            let cpu = thread_cpu_s();
            for &t in &targets {
                router.nearest(view, 0.0, t, 1).unwrap();
                settled += router.last_settled();
            }
            let id = format!("{what}_{kind:?}/{name}").to_lowercase();
            eprintln!(
                "{id}: {:.0} nodes settled, {:.1} µs CPU per query on average",
                settled as f64 / targets.len() as f64,
                thread_cpu_s().zip(cpu).map_or(f64::NAN, |(b, a)| b - a) * 1e6
                    / targets.len() as f64
            );
            let mut i = 0;
            group.bench_function(id, |b| {
                b.iter(|| {
                    i = (i + 1) % targets.len();
                    black_box(router.nearest(view, 0.0, targets[i], 1))
                })
            });
        }
    }
    group.finish();
}

/// Porto (when present), then the synthetic city, one at a time: each
/// city's figures, peak memory included, are its own. Porto gets as many
/// patrol units on its loops as the synthetic city has on its own.
fn megacity(c: &mut Criterion) {
    let patrol_units = synthetic_scenario().patrols.iter().map(|p| p.units).sum();
    if let Some(porto) = porto_scenario(patrol_units) {
        city(c, "porto", &porto);
    }
    city(c, "synthetic_276k", &synthetic_scenario());
}

fn city(c: &mut Criterion, name: &str, scn: &Scenario) {
    describe(name, scn);
    nearest(c, name, scn);
    year(c, name, scn);
}

criterion_group!(benches, megacity);
criterion_main!(benches);
