//! `patrolsim coverage` and `patrolsim place`: the command-line side of
//! static coverage and station placement.
//!
//! `coverage` reports how far every node is from its nearest station
//! ([`crate::analysis::coverage::Coverage`]) and writes `coverage.json` and the
//! coverage map. `place` reads the candidate sites, builds the placement
//! [`Instance`], solves it ([`placement::solve`], [`placement::solve_lscp`]),
//! proves the optimum when the instance is small enough, and writes the
//! chosen sites (`sites.csv`), every figure (`placement.json`), a ready
//! scenario with the new stations (`placed.toml`) and a map
//! (`placement.png/.svg`). With `--verify` it simulates the best layouts and
//! the current one on common random numbers ([`crate::batch::compare`]) and
//! ranks them by simulated compliance.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use super::coverage::Coverage;
use super::placement::{self, DataMode, Instance, LayoutFigures, Objective, SolveOptions};
use crate::error::{Error, Result};
use crate::network::csv_import::Table;
use crate::network::snap::Snapper;
use crate::network::{CoordSystem, NodeId};
use crate::output::{ensure_dir, write_string};
use crate::report::{mmss, pct, thousands};
use crate::scenario::file::{ScenarioFile, StationSpec, WaypointSpec};
use crate::scenario::{load, Scenario};

/// Largest exhaustive enumeration `place` runs to prove the optimum:
/// layouts times demand nodes.
pub const EXHAUSTIVE_MAX_WORK: u128 = 100_000_000;

/// Options of `patrolsim coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Output directory for coverage.json and coverage.png/.svg.
    #[arg(long, default_value = "patrolsim-coverage")]
    pub out: PathBuf,
    /// Worst-served nodes to list, slowest first (a count of nodes).
    #[arg(long, default_value_t = 10)]
    pub worst: usize,
}

/// Which stations `place` keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Keep {
    /// The scenario's current stations are in every layout.
    Existing,
}

/// Options of `patrolsim place`.
#[derive(Debug, Args)]
pub struct PlaceArgs {
    /// Scenario file (TOML): its network, demand, target and current stations.
    pub scenario: PathBuf,
    /// Stations in the new layout (a count; kept ones included). Required,
    /// except with `--objective lscp`, where it is the most allowed.
    #[arg(long)]
    pub stations: Option<usize>,
    /// Candidate sites: `all` (every node, or every k-th node when there are
    /// more than --max-candidates, plus the current stations), or a CSV file
    /// with a `node` column (source node ids) or `lon,lat` columns (degrees;
    /// `x,y` in the network's units on planar networks), one site a row.
    #[arg(long, default_value = "all")]
    pub candidates: String,
    /// With `--candidates all`: most nodes sampled as candidate sites (a
    /// count); the current stations come on top.
    #[arg(long, default_value_t = 2000)]
    pub max_candidates: usize,
    /// `existing`: keep the current stations in every layout (they count
    /// towards --stations).
    #[arg(long, value_enum)]
    pub keep: Option<Keep>,
    /// What to optimise: `mclp` (most expected calls within the response
    /// target), `lscp` (fewest stations putting --share of calls within it),
    /// `pmedian` (least demand-weighted mean travel time, seconds) or `backup`
    /// (most calls within the target of two stations).
    #[arg(long, value_enum, default_value_t = Objective::Mclp)]
    pub objective: Objective,
    /// With `--objective lscp`: share of expected calls to put within the
    /// response target (a fraction, above 0 and at most 1).
    #[arg(long, default_value_t = 1.0)]
    pub share: f64,
    /// Starts of the local search (a count): the greedy one, then randomised
    /// greedy ones; their local optima are the runners-up.
    #[arg(long, default_value_t = 4)]
    pub starts: usize,
    /// Units at each new station (a count); default: the most common number
    /// at the current stations. Kept stations keep theirs.
    #[arg(long)]
    pub units: Option<u32>,
    /// Output directory for placement.json, sites.csv, placed.toml and
    /// placement.png/.svg (and verify.csv, verify.json with --verify).
    #[arg(long, default_value = "patrolsim-place")]
    pub out: PathBuf,
    /// Simulate the best layouts and the current one on the same calls and
    /// rank them by simulated compliance.
    #[arg(long)]
    pub verify: bool,
    /// With --verify: replications per layout (a count).
    #[arg(long, default_value_t = 10)]
    pub reps: u64,
    /// With --verify: placed layouts to simulate (a count: the best and the
    /// runners-up), besides the current one.
    #[arg(long, default_value_t = 3)]
    pub top: usize,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// With --verify: seed of every random stream; overrides `simulation.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
}

// ----------------------------------------------------------------- coverage

/// A station as listed in `coverage.json`.
#[derive(Clone, Debug, Serialize)]
struct StationRow {
    name: String,
    node: i64,
    lon: f64,
    lat: f64,
    units: u32,
}

/// `coverage.json`.
#[derive(Serialize)]
struct CoverageFile<'a> {
    scenario: &'a str,
    stations: Vec<StationRow>,
    #[serde(flatten)]
    coverage: &'a Coverage,
}

/// `patrolsim coverage`: print the static coverage of a scenario's stations
/// and write `coverage.json` and `coverage.png/.svg`.
pub fn run_coverage(args: &CoverageArgs) -> Result<()> {
    let scn = load::from_path(&args.scenario)?;
    let cov = Coverage::of(&scn, args.worst);
    print!("{}", coverage_text(&scn, &cov));
    ensure_dir(&args.out)?;
    let file = CoverageFile {
        scenario: &scn.name,
        stations: scn
            .stations
            .iter()
            .map(|s| StationRow {
                name: s.name.clone(),
                node: scn.net.ext_id[s.node.idx()],
                lon: scn.net.pos[s.node.idx()][0],
                lat: scn.net.pos[s.node.idx()][1],
                units: s.units,
            })
            .collect(),
        coverage: &cov,
    };
    write_json(&args.out.join("coverage.json"), &file)?;
    let prepared = crate::sim::Prepared::new(&scn);
    crate::plot::coverage_map(&args.out, &scn, &prepared, &cov)?;
    println!(
        "\nWrote {0}/coverage.json and {0}/coverage.png (.svg).",
        args.out.display()
    );
    Ok(())
}

/// The console text of `patrolsim coverage`.
pub fn coverage_text(scn: &Scenario, cov: &Coverage) -> String {
    let net = &scn.net;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{}: static coverage of {} stations (travel time from the nearest station; every station assumed free)",
        scn.name,
        scn.stations.len()
    );
    let _ = writeln!(t, "  network  {}", crate::report::network_line(scn));
    t.push_str(&crate::report::coverage_shares(cov, "  "));
    let longest = cov.time_s.iter().copied().fold(0.0, f64::max);
    let _ = writeln!(
        t,
        "  demand-weighted mean drive {}, longest {}",
        mmss(cov.mean_time_s),
        mmss(longest)
    );
    let _ = writeln!(t, "\n  Catchments (the nodes each station reaches first):");
    let _ = writeln!(
        t,
        "    {:<24} {:>10} {:>12} {:>12} {:>8} {:>9} {:>9}",
        "station", "node", "lon", "lat", "nodes", "calls", "farthest"
    );
    for (s, c) in scn.stations.iter().zip(&cov.catchments) {
        let p = net.pos[s.node.idx()];
        let _ = writeln!(
            t,
            "    {:<24} {:>10} {:>12.6} {:>12.6} {:>8} {:>9} {:>9}",
            s.name,
            net.ext_id[s.node.idx()],
            p[0],
            p[1],
            thousands(c.nodes),
            pct(Some(c.demand_share)),
            mmss(c.max_time_s)
        );
    }
    if !cov.worst.is_empty() {
        let _ = writeln!(
            t,
            "\n  Worst-served places (travel time from the nearest station):"
        );
        let _ = writeln!(
            t,
            "    {:>10} {:>12} {:>12} {:>8}",
            "node", "lon", "lat", "time"
        );
        for w in &cov.worst {
            let _ = writeln!(
                t,
                "    {:>10} {:>12.6} {:>12.6} {:>8}{}",
                w.node,
                w.pos[0],
                w.pos[1],
                mmss(w.time_s),
                if w.time_s > cov.target_s {
                    "  beyond the target"
                } else {
                    ""
                }
            );
        }
    }
    if !matches!(net.projection.coords, CoordSystem::LonLat) {
        let _ = writeln!(t, "  (planar network: lon, lat are its x, y)");
    }
    t
}

// ----------------------------------------------------------------- place

/// The candidate sites of a placement.
#[derive(Clone, Debug, Serialize)]
pub struct CandidateSet {
    /// Sites, in candidate order.
    #[serde(skip)]
    pub nodes: Vec<NodeId>,
    /// Number of sites.
    pub count: usize,
    /// Where they came from, in words.
    pub source: String,
    /// Rows of a candidate file naming a site already listed.
    pub duplicates: usize,
}

/// Read or sample the candidate sites.
pub fn candidates(scn: &Scenario, spec: &str, max: usize, keep: bool) -> Result<CandidateSet> {
    let net = &scn.net;
    let current: Vec<NodeId> = scn.stations.iter().map(|s| s.node).collect();
    if spec == "all" {
        let n = net.node_count();
        let mut nodes = placement::sample_nodes(n, max);
        let step = n.div_ceil(max.max(1)).max(1);
        nodes.extend(&current);
        nodes.sort_unstable();
        nodes.dedup();
        let source = if step == 1 {
            "every node".to_string()
        } else {
            format!(
                "every {}{} node ({} of {}) and the {} current stations",
                step,
                ordinal(step),
                thousands(n.div_ceil(step)),
                thousands(n),
                current.len()
            )
        };
        return Ok(CandidateSet {
            count: nodes.len(),
            nodes,
            source,
            duplicates: 0,
        });
    }
    let path = Path::new(spec);
    let (mut nodes, duplicates) = read_candidates(scn, path)?;
    let mut source = format!("{} ({} sites)", path.display(), thousands(nodes.len()));
    if keep {
        let before = nodes.len();
        for &v in &current {
            if !nodes.contains(&v) {
                nodes.push(v);
            }
        }
        if nodes.len() > before {
            let _ = write!(source, " and {} current stations", nodes.len() - before);
        }
    }
    Ok(CandidateSet {
        count: nodes.len(),
        nodes,
        source,
        duplicates,
    })
}

fn ordinal(n: usize) -> &'static str {
    match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    }
}

/// A candidate CSV: `node` (source node ids) or `lon,lat` (`x,y`) per row.
/// Returns the sites in file order (the first of duplicates kept) and the
/// number of duplicate rows.
pub fn read_candidates(scn: &Scenario, path: &Path) -> Result<(Vec<NodeId>, usize)> {
    let net = &scn.net;
    let mut t = Table::open(path)?;
    let c_node = t.col(&["node", "osmid", "id"]);
    let c_lon = t.col(&["lon", "x"]);
    let c_lat = t.col(&["lat", "y"]);
    let snap_max = scn.file.network.snap_max_m;
    let lonlat = net.projection.coords == CoordSystem::LonLat;
    let snapper = (c_node.is_none()).then(|| Snapper::new(net));
    if c_node.is_none() && (c_lon.is_none() || c_lat.is_none()) {
        t.require(&["node", "lon", "lat"])?;
        // A `lon` column without `lat` (or the reverse).
        t.require(&[if c_lon.is_none() { "lon" } else { "lat" }])?;
    }
    let mut seen = vec![false; net.node_count()];
    let mut out = Vec::new();
    let mut dups = 0usize;
    t.rows(|r| {
        let v = match (c_node, c_lon, c_lat, &snapper) {
            (Some(c), _, _, _) => {
                let id = r.id(c)?;
                net.node_by_ext(id).ok_or_else(|| {
                    r.err(
                        c,
                        format!(
                            "node {id} is not on the network (unknown id, or dropped with a part \
                             of the graph not strongly connected to the rest)"
                        ),
                    )
                })?
            }
            (None, Some(cx), Some(cy), Some(snapper)) => {
                let (x, y) = (r.f64(cx)?, r.f64(cy)?);
                if lonlat {
                    if x.abs() > 180.0 {
                        return Err(r.err(cx, format!("{x} is outside -180..180")));
                    }
                    if y.abs() > 90.0 {
                        return Err(r.err(cy, format!("{y} is outside -90..90")));
                    }
                }
                let s = snapper.nearest(net, [x, y]);
                if s.distance_m.is_nan() || s.distance_m > snap_max {
                    return Err(r.err(
                        cx,
                        format!(
                            "({x}, {y}) is {:.0} m from the nearest road node, more than \
                             network.snap_max_m = {snap_max} m: off the map?",
                            s.distance_m
                        ),
                    ));
                }
                s.node
            }
            _ => return Err(Error::Internal("candidate columns".into())),
        };
        if seen[v.idx()] {
            dups += 1;
        } else {
            seen[v.idx()] = true;
            out.push(v);
        }
        Ok(())
    })?;
    if out.is_empty() {
        return Err(Error::csv(
            path,
            1,
            t.name(c_node.or(c_lon).unwrap_or(0)).to_string(),
            "the file lists no candidate sites",
        ));
    }
    Ok((out, dups))
}

/// A chosen station, as listed in `placement.json` and `sites.csv`.
#[derive(Clone, Debug, Serialize)]
pub struct SiteRow {
    /// 1-based, in candidate order.
    pub rank: usize,
    /// Station name in `placed.toml`.
    pub name: String,
    /// Source node id.
    pub node: i64,
    /// Longitude (x on planar networks).
    pub lon: f64,
    /// Latitude (y on planar networks).
    pub lat: f64,
    /// Index among the candidates.
    pub candidate: usize,
    /// The current station at this node, if any.
    pub current_station: Option<String>,
    /// Units in `placed.toml`.
    pub units: u32,
    /// Nodes it reaches first.
    pub catchment_nodes: usize,
    /// Share of expected calls it reaches first.
    pub catchment_demand: f64,
}

/// A layout with its exact figures.
#[derive(Clone, Debug, Serialize)]
pub struct LayoutReport {
    /// Its stations.
    pub sites: Vec<SiteRow>,
    /// Exact figures (f64 travel times on the network).
    pub figures: LayoutFigures,
    /// The objective's figure (see [`Objective::figure`]).
    pub objective_value: f64,
    /// The solver's score (on the instance: f32 times for p-median,
    /// demand weights rounded to 2^-40).
    pub score: placement::Score,
}

/// The proof of optimality, for small instances.
#[derive(Clone, Debug, Serialize)]
pub struct OptimumReport {
    /// Layouts enumerated.
    pub layouts: u64,
    /// The optimum's objective figure.
    pub objective_value: f64,
    /// Relative gap of the heuristic's score to the optimum's (0: optimal).
    pub gap: f64,
    /// True when the heuristic found an optimal layout.
    pub heuristic_optimal: bool,
}

/// Everything `place` found (`placement.json`).
#[derive(Clone, Debug, Serialize)]
pub struct PlaceReport {
    /// Scenario name.
    pub scenario: String,
    /// The objective.
    pub objective: Objective,
    /// Response target, seconds.
    pub target_s: f64,
    /// Stations asked for (LSCP: the cap, if any).
    pub stations_asked: Option<usize>,
    /// Current stations kept in every layout.
    pub kept: usize,
    /// With LSCP: the share of demand to put within the target.
    pub share: Option<f64>,
    /// The candidate sites.
    pub candidates: CandidateSet,
    /// How the instance holds its times.
    pub data: DataMode,
    /// Entries held (covered pairs, or matrix cells).
    pub data_entries: usize,
    /// Bytes held by the travel-time data.
    pub data_bytes: usize,
    /// The current layout.
    pub current: LayoutReport,
    /// The best layout found.
    pub placed: LayoutReport,
    /// The plain greedy layout's objective figure (before any swap).
    pub greedy_objective_value: f64,
    /// Placed minus current objective figure (p-median: negative is better).
    pub improvement: f64,
    /// Further distinct layouts found, best first.
    pub runners_up: Vec<LayoutReport>,
    /// The optimum, when the instance was small enough to enumerate.
    pub optimum: Option<OptimumReport>,
    /// Starts of the local search (greedy and randomised greedy).
    pub starts: usize,
    /// True when the current layout was one more start (all its stations
    /// are candidates and there are at most K of them).
    pub current_start: bool,
    /// Swaps made over all starts.
    pub swaps: usize,
    /// Candidate evaluations over all starts.
    pub evaluations: u64,
    /// With `--verify`: the simulated ranking.
    pub verify: Option<VerifyReport>,
}

/// The simulated check of `place --verify`.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    /// Replications per layout.
    pub replications: u64,
    /// Seed shared by every layout.
    pub seed: u64,
    /// True when every layout saw the same calls.
    pub common_calls: bool,
    /// Layouts ranked by mean simulated compliance, best first.
    pub ranking: Vec<VerifyRow>,
}

/// One layout of the simulated check.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyRow {
    /// `current`, `placed #1`, ...
    pub layout: String,
    /// Stations.
    pub stations: usize,
    /// Units at the stations.
    pub units: u32,
    /// Static share of expected calls within the target.
    pub static_within_target: f64,
    /// Simulated compliance.
    pub compliance: crate::batch::Estimate,
    /// Paired difference of compliance from the current layout.
    pub vs_current: crate::batch::Estimate,
    /// Simulated mean response, seconds.
    pub mean_response_s: crate::batch::Estimate,
}

/// Check the options that need no scenario.
fn check_args(a: &PlaceArgs) -> Result<()> {
    let opt = |o: &str, m: String| Error::Option {
        option: o.into(),
        message: m,
    };
    match (a.stations, a.objective) {
        (Some(0), _) => return Err(opt("--stations", "must be at least 1".into())),
        (None, o) if o != Objective::Lscp => {
            return Err(opt(
                "--stations",
                format!(
                    "needed with --objective {}: how many stations the new layout has (kept ones included)",
                    o.name()
                ),
            ))
        }
        _ => {}
    }
    if a.max_candidates == 0 {
        return Err(opt("--max-candidates", "must be at least 1".into()));
    }
    if !(a.share > 0.0 && a.share <= 1.0) {
        return Err(opt(
            "--share",
            format!("must be above 0 and at most 1, got {}", a.share),
        ));
    }
    if a.starts == 0 || a.starts > 1000 {
        return Err(opt(
            "--starts",
            format!("must be 1 to 1,000, got {}", a.starts),
        ));
    }
    if a.units == Some(0) {
        return Err(opt("--units", "must be at least 1".into()));
    }
    if a.verify {
        if a.reps == 0 || a.reps > 1_000_000 {
            return Err(opt(
                "--reps",
                format!("must be 1 to 1,000,000, got {}", a.reps),
            ));
        }
        if a.top == 0 {
            return Err(opt("--top", "must be at least 1".into()));
        }
    }
    Ok(())
}

/// `patrolsim place`: choose station sites, write the results, and with
/// `--verify` check the best layouts by simulation.
pub fn run_place(args: &PlaceArgs) -> Result<()> {
    check_args(args)?;
    let mut scn = load::from_path(&args.scenario)?;
    if let Some(seed) = args.seed {
        scn.sim.seed = seed;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))?;
    pool.install(|| {
        let (report, text, layouts) = place(&scn, args)?;
        print!("{text}");
        write_place(&scn, args, &report, &layouts)
    })
}

/// A layout as station nodes, for files and simulation.
struct Layout {
    nodes: Vec<NodeId>,
}

/// Solve; return the report, its console text and the layouts (best first).
fn place(scn: &Scenario, a: &PlaceArgs) -> Result<(PlaceReport, String, Vec<Layout>)> {
    let net = &scn.net;
    let keep = a.keep == Some(Keep::Existing);
    let cands = candidates(scn, &a.candidates, a.max_candidates, keep)?;
    let m = cands.count;
    let current: Vec<NodeId> = scn.stations.iter().map(|s| s.node).collect();
    let mut fixed: Vec<usize> = if keep {
        current
            .iter()
            .filter_map(|v| cands.nodes.iter().position(|c| c == v))
            .collect()
    } else {
        Vec::new()
    };
    fixed.sort_unstable();
    fixed.dedup();
    if let Some(k) = a.stations {
        if k > m {
            return Err(Error::Option {
                option: "--stations".into(),
                message: format!(
                    "{k} stations asked for, but there are only {m} candidate sites ({})",
                    cands.source
                ),
            });
        }
        if k < fixed.len() {
            return Err(Error::Option {
                option: "--stations".into(),
                message: format!(
                    "{k} stations asked for with --keep existing, but the scenario already has {} \
                     at distinct nodes; --stations counts the total, so ask for at least {}",
                    fixed.len(),
                    fixed.len()
                ),
            });
        }
    }
    let target = scn.targets.response_s;
    let budget = target - scn.call_handling_s;
    let prob = &scn.demand.spatial.prob;
    let t0 = Instant::now();
    let inst = Instance::new(
        net,
        prob,
        cands.nodes.clone(),
        target,
        a.objective,
        placement::DENSE_MAX_ENTRIES,
    );
    let t_data = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    // The current stations, where they are all candidates: one more start
    // (completed greedily when K is larger), and the layout that equal
    // scores prefer, so that no station moves unless it helps.
    let cur: Option<Vec<usize>> = current
        .iter()
        .map(|v| cands.nodes.iter().position(|c| c == v))
        .collect::<Option<Vec<usize>>>()
        .map(|mut c| {
            c.sort_unstable();
            c.dedup();
            c
        });
    let (best, others, greedy_sites, swaps, evals) = if a.objective == Objective::Lscp {
        let prefer = cur.clone().unwrap_or_default();
        let s = placement::solve_lscp(&inst, &fixed, a.share, a.stations, a.starts, &prefer)?;
        (s.best, s.alternatives, None, 0usize, 0u64)
    } else {
        let k = a.stations.unwrap_or(1);
        let s = placement::solve(
            &inst,
            &SolveOptions {
                k,
                fixed: fixed.clone(),
                starts: a.starts,
                initial: cur.iter().filter(|c| c.len() <= k).cloned().collect(),
                prefer: cur.clone().unwrap_or_default(),
            },
        )?;
        let others = s.found[1..].to_vec();
        (s.best, others, Some(s.greedy.sites), s.swaps, s.evaluations)
    };
    let t_solve = t1.elapsed().as_secs_f64();

    // The optimum, when small enough to enumerate.
    let k = best.sites.len();
    let count = placement::exhaustive_count(&inst, k, &fixed);
    let t2 = Instant::now();
    let optimum = if a.objective != Objective::Lscp
        && inst.mode != DataMode::OnDemand
        && count.saturating_mul(inst.weight.len().max(1) as u128) <= EXHAUSTIVE_MAX_WORK
    {
        let x = placement::exhaustive(&inst, k, &fixed)?;
        let gap = (x.score.main - best.score.main) / x.score.main.abs().max(1e-300);
        let nodes: Vec<NodeId> = x.sites.iter().map(|&c| cands.nodes[c]).collect();
        let (f, _) = LayoutFigures::of(net, prob, &nodes, target, budget);
        Some(OptimumReport {
            layouts: u64::try_from(count).unwrap_or(u64::MAX),
            objective_value: a.objective.figure(&f),
            gap: gap.max(0.0),
            heuristic_optimal: x.score.order(&best.score) != std::cmp::Ordering::Greater,
        })
    } else {
        None
    };
    let t_opt = t2.elapsed().as_secs_f64();

    let units_new = a.units.unwrap_or_else(|| usual_units(scn));
    let layout_report = |nodes: &[NodeId], cand: &[Option<usize>], score: placement::Score| {
        let (figures, _) = LayoutFigures::of(net, prob, nodes, target, budget);
        let mut uniq: Vec<NodeId> = nodes.to_vec();
        uniq.dedup();
        let (_, owner) = crate::routing::nearest_source_times(net, nodes);
        let total: f64 = prob.iter().sum();
        let mut catch = vec![(0usize, 0.0f64); nodes.len()];
        for (v, &o) in owner.iter().enumerate() {
            if let Some(c) = catch.get_mut(o as usize) {
                c.0 += 1;
                c.1 += prob[v] / total;
            }
        }
        let names = station_names(scn, nodes);
        let sites = nodes
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let cur = scn.stations.iter().find(|s| s.node == v);
                SiteRow {
                    rank: i + 1,
                    name: names[i].clone(),
                    node: net.ext_id[v.idx()],
                    lon: net.pos[v.idx()][0],
                    lat: net.pos[v.idx()][1],
                    candidate: cand.get(i).copied().flatten().unwrap_or(usize::MAX),
                    current_station: cur.map(|s| s.name.clone()),
                    units: cur.map_or(units_new, |s| s.units),
                    catchment_nodes: catch[i].0,
                    catchment_demand: catch[i].1,
                }
            })
            .collect();
        LayoutReport {
            objective_value: a.objective.figure(&figures),
            figures,
            sites,
            score,
        }
    };
    let as_nodes = |s: &[usize]| -> Vec<NodeId> { s.iter().map(|&c| cands.nodes[c]).collect() };
    let as_cand = |s: &[usize]| -> Vec<Option<usize>> { s.iter().map(|&c| Some(c)).collect() };
    let cur_cand: Vec<Option<usize>> = current
        .iter()
        .map(|v| cands.nodes.iter().position(|c| c == v))
        .collect();
    let cur_score = if cur_cand.iter().all(Option::is_some) {
        let mut s: Vec<usize> = cur_cand.iter().flatten().copied().collect();
        s.sort_unstable();
        s.dedup();
        inst.evaluate(&s)
    } else {
        placement::Score::default()
    };
    let current_report = layout_report(&current, &cur_cand, cur_score);
    let placed = layout_report(&as_nodes(&best.sites), &as_cand(&best.sites), best.score);
    let greedy_value = match &greedy_sites {
        Some(g) => {
            let (f, _) = LayoutFigures::of(net, prob, &as_nodes(g), target, budget);
            a.objective.figure(&f)
        }
        None => placed.objective_value,
    };
    let runners_up: Vec<LayoutReport> = others
        .iter()
        .map(|s| layout_report(&as_nodes(&s.sites), &as_cand(&s.sites), s.score))
        .collect();
    let improvement = placed.objective_value - current_report.objective_value;
    let mut layouts = vec![Layout {
        nodes: as_nodes(&best.sites),
    }];
    layouts.extend(others.iter().map(|s| Layout {
        nodes: as_nodes(&s.sites),
    }));
    let report = PlaceReport {
        scenario: scn.name.clone(),
        objective: a.objective,
        target_s: target,
        stations_asked: a.stations,
        kept: fixed.len(),
        share: (a.objective == Objective::Lscp).then_some(a.share),
        candidates: cands,
        data: inst.mode,
        data_entries: inst.entries,
        data_bytes: inst.bytes(),
        current: current_report,
        placed,
        greedy_objective_value: greedy_value,
        improvement,
        runners_up,
        optimum,
        starts: a.starts,
        current_start: a.objective != Objective::Lscp
            && cur
                .as_ref()
                .is_some_and(|c| a.stations.is_some_and(|k| c.len() <= k)),
        swaps,
        evaluations: evals,
        verify: None,
    };
    let text = place_text(scn, a, &report, (t_data, t_solve, t_opt), count);
    Ok((report, text, layouts))
}

/// The most common number of units at the current stations (ties: fewer).
fn usual_units(scn: &Scenario) -> u32 {
    let mut counts: Vec<(u32, usize)> = Vec::new();
    for s in &scn.stations {
        match counts.iter_mut().find(|(u, _)| *u == s.units) {
            Some(c) => c.1 += 1,
            None => counts.push((s.units, 1)),
        }
    }
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map_or(1, |c| c.0)
}

/// Names of the stations of a layout: a current station's name where one
/// stands, `Site N` for the others (never clashing with a current name).
fn station_names(scn: &Scenario, nodes: &[NodeId]) -> Vec<String> {
    let mut used: Vec<String> = Vec::new();
    let mut k = 0;
    nodes
        .iter()
        .map(|v| {
            let name = match scn
                .stations
                .iter()
                .find(|s| s.node == *v && !used.contains(&s.name))
            {
                Some(s) => s.name.clone(),
                None => loop {
                    k += 1;
                    let n = format!("Site {k}");
                    if !scn.stations.iter().any(|s| s.name == n) {
                        break n;
                    }
                },
            };
            used.push(name.clone());
            name
        })
        .collect()
}

fn signed_pts(x: f64) -> String {
    format!("{:+.1} pts", 100.0 * x)
}

fn signed_mmss(s: f64) -> String {
    if s < 0.0 {
        format!("-{}", mmss(-s))
    } else {
        format!("+{}", mmss(s))
    }
}

/// The console text of `place` (before any verification).
fn place_text(
    scn: &Scenario,
    a: &PlaceArgs,
    r: &PlaceReport,
    (t_data, t_solve, t_opt): (f64, f64, f64),
    count: u128,
) -> String {
    let mut t = String::new();
    let target = mmss(r.target_s);
    let k = r.placed.sites.len();
    let _ = writeln!(
        t,
        "{}: placing stations on {} nodes ({} stations now)",
        scn.name,
        thousands(scn.net.node_count()),
        scn.stations.len()
    );
    let goal = match r.objective {
        Objective::Mclp => {
            format!("the most expected calls within {target} of driving with {k} stations")
        }
        Objective::Lscp => format!(
            "the fewest stations putting {} of expected calls within {target} of driving",
            pct(Some(r.share.unwrap_or(1.0)))
        ),
        Objective::PMedian => format!("the least demand-weighted mean drive with {k} stations"),
        Objective::Backup => {
            format!("the most expected calls within {target} of two stations with {k} stations")
        }
    };
    let _ = writeln!(t, "  objective  {}: {goal}", r.objective.title());
    let _ = writeln!(
        t,
        "  candidates {} sites: {}{}{}",
        thousands(r.candidates.count),
        r.candidates.source,
        if r.kept > 0 {
            format!("; {} current stations kept", r.kept)
        } else {
            String::new()
        },
        if r.candidates.duplicates > 0 {
            format!("; {} duplicate rows ignored", r.candidates.duplicates)
        } else {
            String::new()
        }
    );
    let mb = r.data_bytes as f64 / 1e6;
    let data = match r.data {
        DataMode::Coverage => format!(
            "{} (site, node) pairs within {target} ({mb:.1} MB), one bounded search per site",
            thousands(r.data_entries)
        ),
        DataMode::Dense => format!(
            "a {} x {} matrix of travel times ({mb:.0} MB), one full search per site",
            thousands(r.candidates.count),
            thousands(r.data_entries / r.candidates.count.max(1))
        ),
        DataMode::OnDemand => "travel times computed when needed (the matrix would not fit)".into(),
    };
    let _ = writeln!(t, "  data       {data}, {t_data:.2} s");
    if r.objective == Objective::Lscp {
        let _ = writeln!(t, "  solver     greedy to the share, then fewer stations by swap local search ({} starts each), {t_solve:.2} s", r.starts);
    } else {
        let _ = writeln!(
            t,
            "  solver     greedy + swap local search, {} starts{}: {} swaps, {} candidate evaluations, {t_solve:.2} s; {} distinct local optima",
            r.starts,
            if r.current_start { " and the current layout" } else { "" },
            thousands(r.swaps),
            thousands(r.evaluations as usize),
            r.runners_up.len() + 1
        );
    }
    match &r.optimum {
        Some(o) if o.heuristic_optimal => {
            let _ = writeln!(
                t,
                "  optimum    proved by enumerating all {} layouts ({t_opt:.2} s): the layout found is optimal",
                thousands(o.layouts as usize)
            );
        }
        Some(o) => {
            let _ = writeln!(
                t,
                "  optimum    proved by enumerating all {} layouts ({t_opt:.2} s): the layout found is {:.3}% short of it",
                thousands(o.layouts as usize),
                100.0 * o.gap
            );
        }
        None if r.objective != Objective::Lscp => {
            let _ = writeln!(
                t,
                "  optimum    not proved: {} layouts are too many to enumerate",
                if count == u128::MAX {
                    "more than 10^38".to_string()
                } else if count > 1_000_000_000_000 {
                    format!("about {:.1e}", count as f64)
                } else {
                    thousands(count as usize)
                }
            );
        }
        None => {}
    }

    let (c, p) = (&r.current.figures, &r.placed.figures);
    let budget = mmss(r.target_s - scn.call_handling_s);
    let _ = writeln!(
        t,
        "\n  {:<44} {:>10} {:>10} {:>12}",
        "", "current", "placed", "change"
    );
    let _ = writeln!(
        t,
        "  {:<44} {:>10} {:>10} {:>12}",
        "stations",
        c.stations,
        p.stations,
        format!("{:+}", p.stations as i64 - c.stations as i64)
    );
    for (label, x, y) in [
        (
            format!("expected calls within {target} of driving"),
            c.demand_within_target,
            p.demand_within_target,
        ),
        (
            format!("expected calls within {budget} (less call handling)"),
            c.demand_within_budget,
            p.demand_within_budget,
        ),
        (
            format!("expected calls within {target} of two stations"),
            c.demand_covered_twice,
            p.demand_covered_twice,
        ),
        (
            format!("nodes within {target}"),
            c.nodes_within_target,
            p.nodes_within_target,
        ),
    ] {
        let _ = writeln!(
            t,
            "  {:<44} {:>10} {:>10} {:>12}",
            label,
            pct(Some(x)),
            pct(Some(y)),
            signed_pts(y - x)
        );
    }
    for (label, x, y) in [
        ("mean drive (demand-weighted)", c.mean_time_s, p.mean_time_s),
        ("longest drive to any node", c.max_time_s, p.max_time_s),
    ] {
        let _ = writeln!(
            t,
            "  {:<44} {:>10} {:>10} {:>12}",
            label,
            mmss(x),
            mmss(y),
            signed_mmss(y - x)
        );
    }
    let mut now: Vec<i64> = r.current.sites.iter().map(|s| s.node).collect();
    let mut new: Vec<i64> = r.placed.sites.iter().map(|s| s.node).collect();
    now.sort_unstable();
    now.dedup();
    new.sort_unstable();
    if now == new {
        let _ = writeln!(
            t,
            "  The current layout is already the best found: no swap of a station improves it (equal scores keep current stations)."
        );
    } else {
        let moved = new.iter().filter(|v| !now.contains(v)).count();
        let _ = writeln!(
            t,
            "  {moved} of the {} stations are at new sites.",
            new.len()
        );
    }
    if r.objective != Objective::Lscp {
        let g = r.greedy_objective_value;
        let shown = |x: f64| {
            if r.objective == Objective::PMedian {
                format!("{x:.1} s")
            } else {
                pct(Some(x))
            }
        };
        let _ = writeln!(
            t,
            "  (the greedy start alone: {}; the swaps made it {})",
            shown(g),
            shown(r.placed.objective_value)
        );
    }

    let planar = !matches!(scn.net.projection.coords, CoordSystem::LonLat);
    let _ = writeln!(
        t,
        "\n  Chosen sites ({}):",
        if planar { "x, y" } else { "lon, lat" }
    );
    let _ = writeln!(
        t,
        "    {:>3}  {:<22} {:>10} {:>12} {:>12} {:>6} {:>8}  reaches first",
        "#",
        "name",
        "node",
        if planar { "x" } else { "lon" },
        if planar { "y" } else { "lat" },
        "units",
        "calls"
    );
    for s in &r.placed.sites {
        let _ = writeln!(
            t,
            "    {:>3}  {:<22} {:>10} {:>12.6} {:>12.6} {:>6} {:>8}  {}{}",
            s.rank,
            s.name,
            s.node,
            s.lon,
            s.lat,
            s.units,
            pct(Some(s.catchment_demand)),
            thousands(s.catchment_nodes),
            if s.current_station.is_some() {
                " nodes (a current station)"
            } else {
                " nodes (new)"
            }
        );
    }
    if !r.runners_up.is_empty() {
        let best: Vec<i64> = r.placed.sites.iter().map(|s| s.node).collect();
        let _ = writeln!(t, "\n  Runners-up (other local optima):");
        for (i, l) in r.runners_up.iter().enumerate().take(5) {
            let differ = l.sites.iter().filter(|s| !best.contains(&s.node)).count();
            let v = if r.objective == Objective::PMedian {
                format!("mean drive {}", mmss(l.objective_value))
            } else {
                format!("{} ({})", pct(Some(l.objective_value)), r.objective.name())
            };
            let _ = writeln!(
                t,
                "    #{}: {v}, {} of calls within {target}; {} of {} sites differ from the best",
                i + 2,
                pct(Some(l.figures.demand_within_target)),
                differ,
                l.sites.len()
            );
        }
    }
    let _ = a;
    t
}

/// The scenario file of a layout: the current scenario with these stations.
/// Current stations at chosen nodes keep their entries; new ones are
/// `Site N` by node id with `units_new` units; loops whose home station is
/// gone move to the nearest chosen station; waypoints naming a station that
/// is gone become its coordinates; relative file paths become absolute.
/// Returns the file and notes on what was moved.
pub fn placed_file(
    scn: &Scenario,
    nodes: &[NodeId],
    units_new: u32,
    name: &str,
    description: &str,
) -> (ScenarioFile, Vec<String>) {
    let net = &scn.net;
    let mut file = scn.file.clone();
    file.name = Some(name.to_string());
    file.description = Some(description.to_string());
    let names = station_names(scn, nodes);
    let mut stations: Vec<StationSpec> = Vec::new();
    // Current stations that stay, in file order, then the new ones.
    let mut kept_names: Vec<String> = Vec::new();
    for (i, s) in scn.stations.iter().enumerate() {
        if names.contains(&s.name) && nodes.contains(&s.node) {
            stations.push(scn.file.stations[i].clone());
            kept_names.push(s.name.clone());
        }
    }
    for (v, n) in nodes.iter().zip(&names) {
        if kept_names.contains(n) {
            continue;
        }
        stations.push(StationSpec {
            name: n.clone(),
            node: Some(net.ext_id[v.idx()]),
            lon: None,
            lat: None,
            units: units_new,
        });
    }
    let all_names: Vec<String> = stations.iter().map(|s| s.name.clone()).collect();
    let new_nodes: Vec<NodeId> = stations
        .iter()
        .map(|s| {
            names
                .iter()
                .position(|n| *n == s.name)
                .map_or(nodes[0], |i| nodes[i])
        })
        .collect();
    file.stations = stations;
    let mut notes = Vec::new();
    let (_, owner) = crate::routing::nearest_source_times(net, &new_nodes);
    let gone = |n: &str| {
        scn.stations
            .iter()
            .find(|s| s.name == n && !all_names.contains(&s.name))
    };
    for p in &mut file.patrols {
        if let Some(home) = p.station.clone() {
            if let Some(old) = gone(&home) {
                let to = &all_names[owner[old.node.idx()] as usize];
                notes.push(format!(
                    "loop `{}`: its station `{home}` is gone; it now starts from `{to}`, the nearest chosen station",
                    p.name
                ));
                p.station = Some(to.clone());
            }
        }
        for w in &mut p.waypoints {
            if let WaypointSpec::Name(n) = w {
                if let Some(old) = gone(n) {
                    let pos = net.pos[old.node.idx()];
                    *w = WaypointSpec::Point {
                        lon: pos[0],
                        lat: pos[1],
                    };
                }
            }
        }
    }
    let base = scn.path.parent().map(Path::to_path_buf).unwrap_or_default();
    let abs = |p: &mut Option<PathBuf>| {
        if let Some(x) = p {
            if x.is_relative() {
                let j = base.join(&*x);
                *x = std::path::absolute(&j).unwrap_or(j);
            }
        }
    };
    abs(&mut file.network.nodes);
    abs(&mut file.network.edges);
    abs(&mut file.network.osm);
    abs(&mut file.demand.replay);
    (file, notes)
}

/// The TOML text of a scenario file, with a comment on top.
fn scenario_text(file: &ScenarioFile, header: &str) -> Result<String> {
    let body =
        toml::to_string(file).map_err(|e| Error::Internal(format!("scenario to TOML: {e}")))?;
    let mut t = String::new();
    for line in header.lines() {
        let _ = writeln!(t, "# {line}");
    }
    t.push('\n');
    t.push_str(&body);
    Ok(t)
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let json = serde_json::to_string_pretty(v).map_err(|e| Error::Internal(e.to_string()))?;
    write_string(path, &(json + "\n"))
}

fn sites_csv(r: &LayoutReport) -> String {
    let mut t = String::from(
        "rank,name,node,lon,lat,candidate,current_station,units,catchment_nodes,catchment_demand\n",
    );
    for s in &r.sites {
        let _ = writeln!(
            t,
            "{},{},{},{},{},{},{},{},{},{}",
            s.rank,
            crate::report::csv_text(&s.name),
            s.node,
            s.lon,
            s.lat,
            s.candidate,
            s.current_station
                .as_deref()
                .map(crate::report::csv_text)
                .unwrap_or_default(),
            s.units,
            s.catchment_nodes,
            s.catchment_demand
        );
    }
    t
}

/// Write the files of `place` and run `--verify`.
fn write_place(
    scn: &Scenario,
    a: &PlaceArgs,
    report: &PlaceReport,
    layouts: &[Layout],
) -> Result<()> {
    let out = &a.out;
    ensure_dir(out)?;
    let units_new = a.units.unwrap_or_else(|| usual_units(scn));
    let describe = |i: usize| {
        format!(
            "{} layout #{} by `patrolsim place --objective {}` from {}",
            scn.name,
            i + 1,
            report.objective.name(),
            scn.path.display()
        )
    };
    let (file, notes) = placed_file(
        scn,
        &layouts[0].nodes,
        units_new,
        &format!("{} placed", scn.name),
        &describe(0),
    );
    let header = format!(
        "Written by patrolsim place ({}) from {}.\nThe stations are the chosen sites; everything else is the original scenario\n(relative paths made absolute). Run it with `patrolsim run` or compare it with\n`patrolsim compare {} placed.toml`.",
        report.objective.title(),
        scn.path.display(),
        scn.path.display()
    );
    write_string(&out.join("placed.toml"), &scenario_text(&file, &header)?)?;
    write_string(&out.join("sites.csv"), &sites_csv(&report.placed))?;
    let chosen = &layouts[0].nodes;
    let current: Vec<NodeId> = scn.stations.iter().map(|s| s.node).collect();
    let (_, time) = LayoutFigures::of(
        &scn.net,
        &scn.demand.spatial.prob,
        chosen,
        scn.targets.response_s,
        scn.targets.response_s,
    );
    let target = mmss(scn.targets.response_s);
    let headline = |f: &LayoutFigures| match report.objective {
        Objective::Mclp | Objective::Lscp => {
            format!(
                "{} of expected calls within {target}",
                pct(Some(f.demand_within_target))
            )
        }
        Objective::PMedian => format!("mean drive {}", mmss(f.mean_time_s)),
        Objective::Backup => format!(
            "{} of expected calls within {target} of two stations",
            pct(Some(f.demand_covered_twice))
        ),
    };
    let subtitle = format!(
        "{}: {} stations, {} (now {} with {})",
        report.objective.title(),
        chosen.len(),
        headline(&report.placed.figures),
        headline(&report.current.figures),
        current.len()
    );
    crate::plot::placement::placement_map(
        out,
        scn,
        &crate::plot::placement::PlacementMap {
            title: format!("Station placement: {}", scn.name),
            subtitle,
            current: &current,
            chosen,
            time_s: &time,
            target_s: scn.targets.response_s,
        },
    )?;
    for n in &notes {
        println!("  note: {n}");
    }
    let mut report = report.clone();
    let mut wrote = vec![
        "placement.json",
        "sites.csv",
        "placed.toml (a ready scenario)",
        "placement.png (.svg)",
    ];
    if a.verify {
        let v = verify(scn, a, &report, layouts, units_new)?;
        print!("{}", verify_text(&v, scn));
        report.verify = Some(v.0);
        wrote.extend([
            "verify.csv",
            "verify.json",
            "placed-N.toml (each layout simulated)",
        ]);
    }
    write_json(&out.join("placement.json"), &report)?;
    println!("\nWrote {}: {}.", out.display(), wrote.join(", "));
    Ok(())
}

/// Simulate the current layout and the best `--top` placed ones on common
/// random numbers; rank them by mean compliance.
fn verify(
    scn: &Scenario,
    a: &PlaceArgs,
    report: &PlaceReport,
    layouts: &[Layout],
    units_new: u32,
) -> Result<(VerifyReport, crate::batch::compare::Comparison)> {
    let base = scn.path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut scns = Vec::new();
    let mut cur = scn.clone();
    cur.name = "current".into();
    scns.push(cur);
    let mut statics = vec![report.current.figures.demand_within_target];
    let mut now: Vec<NodeId> = scn.stations.iter().map(|s| s.node).collect();
    now.sort_unstable();
    now.dedup();
    for (i, l) in layouts.iter().take(a.top).enumerate() {
        let mut these = l.nodes.clone();
        these.sort_unstable();
        these.dedup();
        let name = if these == now {
            format!("placed #{} = current", i + 1)
        } else {
            format!("placed #{}", i + 1)
        };
        let (file, _) = placed_file(
            scn,
            &l.nodes,
            units_new,
            &name,
            &format!("layout #{} of patrolsim place", i + 1),
        );
        let text = scenario_text(
            &file,
            &format!("Layout #{} simulated by patrolsim place --verify.", i + 1),
        )?;
        write_string(&a.out.join(format!("placed-{}.toml", i + 1)), &text)?;
        let mut s = load::resolve(file, &scn.path, &base)?;
        s.sim.seed = scn.sim.seed;
        scns.push(s);
        statics.push(if i == 0 {
            report.placed.figures.demand_within_target
        } else {
            report.runners_up[i - 1].figures.demand_within_target
        });
    }
    let bar = crate::cli::progress_bar(a.reps * scns.len() as u64);
    let (cmp, _) = crate::batch::compare::compare(&mut scns, a.reps, a.threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let metric = |name: &str| cmp.metrics.iter().find(|m| m.metric == name);
    let comp = metric("compliance").ok_or_else(|| Error::Internal("no compliance".into()))?;
    let resp = metric("mean_response_s").ok_or_else(|| Error::Internal("no response".into()))?;
    let mut rows: Vec<VerifyRow> = scns
        .iter()
        .enumerate()
        .map(|(i, s)| VerifyRow {
            layout: cmp.names[i].clone(),
            stations: s.stations.len(),
            units: s.stations.iter().map(|x| x.units).sum(),
            static_within_target: statics[i],
            compliance: comp.layouts[i].clone(),
            vs_current: comp.difference[i].clone(),
            mean_response_s: resp.layouts[i].clone(),
        })
        .collect();
    // Stable: equal means keep the order current, placed #1, #2, ...
    rows.sort_by(|x, y| {
        let (mx, my) = (
            x.compliance.mean.unwrap_or(f64::NEG_INFINITY),
            y.compliance.mean.unwrap_or(f64::NEG_INFINITY),
        );
        my.total_cmp(&mx)
    });
    write_string(
        &a.out.join("verify.csv"),
        &crate::batch::compare::comparison_csv(&cmp),
    )?;
    let v = VerifyReport {
        replications: cmp.replications,
        seed: cmp.seed,
        common_calls: cmp.common_calls,
        ranking: rows,
    };
    write_json(
        &a.out.join("verify.json"),
        &serde_json::json!({ "ranking": &v, "comparison": &cmp }),
    )?;
    Ok((v, cmp))
}

fn verify_text(
    (v, _): &(VerifyReport, crate::batch::compare::Comparison),
    scn: &Scenario,
) -> String {
    let mut t = String::new();
    let target = mmss(scn.targets.response_s);
    let _ = writeln!(
        t,
        "\n  Check by simulation: {} replications of each layout on the same calls (seed {}{})",
        v.replications,
        v.seed,
        if v.common_calls {
            ""
        } else {
            "; WARNING: the layouts did not see the same calls"
        }
    );
    let _ = writeln!(
        t,
        "    {:>4}  {:<20} {:>8} {:>6} {:>14} {:>26} {:>26}",
        "rank",
        "layout",
        "stations",
        "units",
        format!("static {target}"),
        "simulated compliance",
        "vs current (paired)"
    );
    let ci = |e: &crate::batch::Estimate, signed: bool| -> String {
        let f = |x: f64| {
            if signed {
                format!("{:+.1}", 100.0 * x)
            } else {
                format!("{:.1}", 100.0 * x)
            }
        };
        let unit = if signed { " pts" } else { "%" };
        match (e.mean, e.ci_low, e.ci_high) {
            (Some(m), Some(l), Some(h)) => format!("{}{unit} [{}, {}]", f(m), f(l), f(h)),
            (Some(m), _, _) => format!("{}{unit}", f(m)),
            _ => "-".into(),
        }
    };
    for (i, r) in v.ranking.iter().enumerate() {
        let _ = writeln!(
            t,
            "    {:>4}  {:<20} {:>8} {:>6} {:>14} {:>26} {:>26}",
            i + 1,
            r.layout,
            r.stations,
            r.units,
            pct(Some(r.static_within_target)),
            ci(&r.compliance, false),
            if r.layout == "current" {
                "-".to_string()
            } else {
                ci(&r.vs_current, true)
            }
        );
    }
    let goal = scn.targets.compliance;
    if let Some(top) = v.ranking.first() {
        let m = top.compliance.mean.unwrap_or(0.0);
        let _ = writeln!(
            t,
            "    Best simulated: {} ({} of calls reached within {target}; goal {}). Static coverage assumes the nearest station always has a free unit; the simulation does not.",
            top.layout,
            pct(Some(m)),
            pct(Some(goal))
        );
    }
    t
}
