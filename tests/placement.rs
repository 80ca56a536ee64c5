//! Station placement (`place`) and static coverage (`coverage`): the
//! heuristic against exhaustive optima on small generated cities, set
//! covering, monotone coverage, bad options, the files written, and the
//! simulated check.

use std::path::{Path, PathBuf};

use clap::Parser;
use patrolsim::analysis::coverage::Coverage;
use patrolsim::analysis::placement::{
    self, Instance, LayoutFigures, Objective, SolveOptions, DENSE_MAX_ENTRIES,
};
use patrolsim::analysis::placement_cmd::{run_coverage, run_place, CoverageArgs, PlaceArgs};
use patrolsim::network::NodeId;
use patrolsim::scenario::{load, Scenario};
use patrolsim::Error;

use crate::common::{temp_dir, write};

/// A small generated city: `rows` x `rows` intersections, 150 m blocks, three
/// stations, a 90 s response target (so that one station covers little).
fn city_text(rows: usize, seed: u64) -> String {
    format!(
        r#"name = "small"
[network]
synthetic = {{ seed = {seed}, rows = {rows}, cols = {rows}, block_m = 150.0, rings = 0 }}

[[stations]]
name = "West"
lon = 114.2955
lat = 30.5900
units = 2

[[stations]]
name = "East"
lon = 114.3045
lat = 30.5900
units = 2

[[stations]]
name = "South"
lon = 114.3000
lat = 30.5860
units = 1

[demand]
calls_per_hour = 20
hotspot_share = 0.0

[targets]
response_s = 90

[simulation]
horizon_s = 14400
seed = 5
"#
    )
}

fn city(rows: usize, seed: u64) -> Scenario {
    load::from_str(&city_text(rows, seed), "small.toml".as_ref(), ".".as_ref()).unwrap()
}

fn instance(scn: &Scenario, obj: Objective, max: usize) -> Instance<'_> {
    let sites = placement::sample_nodes(scn.net.node_count(), max);
    Instance::new(
        &scn.net,
        &scn.demand.spatial.prob,
        sites,
        scn.targets.response_s,
        obj,
        DENSE_MAX_ENTRIES,
    )
}

/// Relative gap of a heuristic score to the optimum's (0 when optimal).
fn gap(opt: f64, got: f64) -> f64 {
    ((opt - got) / opt.abs().max(1e-300)).max(0.0)
}

#[test]
fn the_heuristic_reaches_the_exhaustive_optimum_on_small_cities() {
    // Three cities, 20 to 24 candidates, 2 to 5 stations: every layout enumerated.
    let mut rows = Vec::new();
    for (size, seed, max) in [(12, 1, 24), (13, 2, 22), (14, 3, 20)] {
        let scn = city(size, seed);
        for obj in [Objective::Mclp, Objective::PMedian, Objective::Backup] {
            let inst = instance(&scn, obj, max);
            for k in 2..=5 {
                let h = placement::solve(
                    &inst,
                    &SolveOptions {
                        k,
                        starts: 4,
                        ..Default::default()
                    },
                )
                .unwrap();
                let x = placement::exhaustive(&inst, k, &[]).unwrap();
                assert!(
                    x.score.order(&h.best.score) != std::cmp::Ordering::Less,
                    "the exhaustive optimum must be at least the heuristic's"
                );
                let g = gap(x.score.main, h.best.score.main);
                let greedy = gap(x.score.main, h.greedy.score.main);
                rows.push((size, obj, inst.len(), k, g, greedy));
            }
        }
    }
    println!("city  objective  candidates  k  gap (heuristic)  gap (greedy alone)");
    for (size, obj, m, k, g, gg) in &rows {
        println!(
            "{size:>4}  {:<9}  {m:>10}  {k}  {:>14.4}%  {:>17.4}%",
            obj.name(),
            100.0 * g,
            100.0 * gg
        );
    }
    let optimal = rows.iter().filter(|r| r.4 == 0.0).count();
    let worst = rows.iter().map(|r| r.4).fold(0.0, f64::max);
    println!(
        "optimal in {optimal} of {} instances; largest gap {:.4}%",
        rows.len(),
        100.0 * worst
    );
    // MCLP and p-median: the swap search reaches the optimum on these cities.
    for r in rows.iter().filter(|r| r.1 != Objective::Backup) {
        assert_eq!(
            r.4, 0.0,
            "{:?} on the {}-row city with k = {}: gap {}",
            r.1, r.0, r.3, r.4
        );
    }
    // Backup coverage is not submodular; its gap stays small.
    assert!(worst < 0.02, "largest gap {worst}");
}

#[test]
fn set_covering_returns_a_feasible_minimal_set() {
    for (size, seed, share) in [(12, 4, 1.0f64), (13, 5, 0.9), (14, 6, 0.95)] {
        let scn = city(size, seed);
        let inst = instance(&scn, Objective::Lscp, 22);
        let share = share.min(inst.coverable_share());
        let s = placement::solve_lscp(&inst, &[], share, None, 3, &[]).unwrap();
        let total = inst.total_weight();
        let need = share * total - 1e-12 * (1.0 + total);
        // Feasible.
        assert!(inst.evaluate(&s.best.sites).main >= need);
        // Irredundant: closing any station falls short.
        for &c in &s.best.sites {
            let fewer: Vec<usize> = s.best.sites.iter().copied().filter(|&x| x != c).collect();
            assert!(
                fewer.is_empty() || inst.evaluate(&fewer).main < need,
                "site {c} is redundant"
            );
        }
        // Minimum: no layout with one station fewer reaches the share.
        let k = s.best.sites.len();
        if k > 1 {
            let x = placement::exhaustive(&inst, k - 1, &[]).unwrap();
            assert!(x.score.main < need, "{} stations would do", k - 1);
        }
        println!(
            "city {size}: {k} stations for {:.1}% of demand",
            100.0 * share
        );
    }
    // A share no layout reaches is a clear error.
    let scn = city(12, 4);
    let sites = vec![NodeId(0)];
    let inst = Instance::new(
        &scn.net,
        &scn.demand.spatial.prob,
        sites,
        90.0,
        Objective::Lscp,
        DENSE_MAX_ENTRIES,
    );
    let e = placement::solve_lscp(&inst, &[], 1.0, None, 1, &[]).unwrap_err();
    assert!(
        matches!(&e, Error::Option { option, .. } if option == "--share"),
        "{e}"
    );
}

#[test]
fn adding_a_station_never_lowers_coverage() {
    let scn = city(14, 7);
    let net = &scn.net;
    let prob = &scn.demand.spatial.prob;
    let t = scn.targets.response_s;
    let order = placement::sample_nodes(net.node_count(), 12);
    let mut layout: Vec<NodeId> = Vec::new();
    let mut last: Option<LayoutFigures> = None;
    for &v in &order {
        layout.push(v);
        let (f, _) = LayoutFigures::of(net, prob, &layout, t, t - 60.0);
        if let Some(l) = &last {
            assert!(f.demand_within_target >= l.demand_within_target);
            assert!(f.nodes_within_target >= l.nodes_within_target);
            assert!(f.demand_covered_twice >= l.demand_covered_twice);
            assert!(f.mean_time_s <= l.mean_time_s + 1e-9);
        }
        last = Some(f);
    }
    // The same through Coverage::of, with a station added to the scenario.
    let before = Coverage::of(&scn, 3);
    let mut more = scn.clone();
    more.stations.push(patrolsim::scenario::Station {
        name: "Extra".into(),
        node: NodeId((net.node_count() - 1) as u32),
        snap_m: 0.0,
        units: 1,
    });
    let after = Coverage::of(&more, 3);
    assert!(after.demand_within_target >= before.demand_within_target);
    assert!(after.nodes_within_target >= before.nodes_within_target);
    // And the optimum of k + 1 stations is never below the optimum of k.
    let inst = instance(&scn, Objective::Mclp, 16);
    let mut prev = f64::NEG_INFINITY;
    for k in 1..=4 {
        let x = placement::exhaustive(&inst, k, &[]).unwrap();
        assert!(x.score.main >= prev);
        prev = x.score.main;
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let scn = city(16, 8);
    let run = |threads: usize, obj: Objective| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let inst = instance(&scn, obj, 200);
            placement::solve(
                &inst,
                &SolveOptions {
                    k: 6,
                    starts: 3,
                    ..Default::default()
                },
            )
            .unwrap()
        })
    };
    for obj in [Objective::Mclp, Objective::PMedian, Objective::Backup] {
        assert_eq!(run(1, obj), run(2, obj), "{obj:?}");
    }
}

// ----------------------------------------------------------------- commands

#[derive(Parser)]
struct PlaceCli {
    #[command(flatten)]
    a: PlaceArgs,
}

#[derive(Parser)]
struct CoverageCli {
    #[command(flatten)]
    a: CoverageArgs,
}

fn args(list: &[&str]) -> PlaceArgs {
    let mut v = vec!["place"];
    v.extend_from_slice(list);
    PlaceCli::try_parse_from(v).unwrap().a
}

fn scenario_file(dir: &Path, rows: usize) -> PathBuf {
    write(dir, "small.toml", &city_text(rows, 11))
}

fn json(p: &Path) -> serde_json::Value {
    let t = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&t).unwrap()
}

#[test]
fn place_writes_sites_a_ready_scenario_and_a_map() {
    let d = temp_dir("place-files");
    let s = scenario_file(&d, 16);
    let s = s.to_str().unwrap();
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let o = d.join(out);
        run_place(&args(&[
            s,
            "--stations",
            "5",
            "--max-candidates",
            "30",
            "--threads",
            threads,
            "--out",
            o.to_str().unwrap(),
        ]))
        .unwrap();
    }
    // Same results whatever the thread count.
    for f in ["placement.json", "sites.csv", "placed.toml"] {
        assert_eq!(
            std::fs::read(d.join("one").join(f)).unwrap(),
            std::fs::read(d.join("two").join(f)).unwrap(),
            "{f} differs"
        );
    }
    let o = d.join("one");
    for f in ["placement.png", "placement.svg"] {
        assert!(std::fs::metadata(o.join(f)).unwrap().len() > 1000, "{f}");
    }
    let j = json(&o.join("placement.json"));
    let placed = &j["placed"];
    assert_eq!(placed["sites"].as_array().unwrap().len(), 5);
    assert_eq!(j["objective"], "mclp");
    // 30 sampled nodes and the 3 current stations: small enough to prove the optimum.
    let opt = &j["optimum"];
    assert!(opt.is_object(), "{j}");
    println!(
        "small city, 5 stations: gap {} over {} layouts",
        opt["gap"], opt["layouts"]
    );
    assert!(
        placed["objective_value"].as_f64().unwrap()
            >= j["current"]["objective_value"].as_f64().unwrap()
    );
    // placed.toml loads back with the chosen stations.
    let placed_scn = load::from_path(&o.join("placed.toml")).unwrap();
    let mut want: Vec<i64> = placed["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["node"].as_i64().unwrap())
        .collect();
    let mut got: Vec<i64> = placed_scn
        .stations
        .iter()
        .map(|x| placed_scn.net.ext_id[x.node.idx()])
        .collect();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(want, got);
    let cov = Coverage::of(&placed_scn, 0);
    let f = placed["figures"]["demand_within_target"].as_f64().unwrap();
    assert!(
        (cov.demand_within_target - f).abs() < 1e-9,
        "{} vs {f}",
        cov.demand_within_target
    );
    // sites.csv: a header and one row per site.
    let csv = std::fs::read_to_string(o.join("sites.csv")).unwrap();
    assert!(csv.starts_with("rank,name,node,lon,lat,"));
    assert_eq!(csv.lines().count(), 6);
}

#[test]
fn place_objectives_keep_and_candidate_files() {
    let d = temp_dir("place-options");
    let s = scenario_file(&d, 14);
    let s = s.to_str().unwrap();
    let out = |n: &str| d.join(n).to_str().unwrap().to_string();
    // --keep existing: the three current stations stay; K counts them.
    let o = out("keep");
    run_place(&args(&[
        s,
        "--stations",
        "5",
        "--keep",
        "existing",
        "--out",
        &o,
    ]))
    .unwrap();
    let j = json(&d.join("keep/placement.json"));
    let names: Vec<String> = j["placed"]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["current_station"].as_str().map(String::from))
        .collect();
    for n in ["West", "East", "South"] {
        assert!(names.contains(&n.to_string()), "{n} not kept: {names:?}");
    }
    assert_eq!(j["kept"], 3);
    // p-median (the alias too) and backup run and write their figures.
    for (obj, dir) in [("p-median", "pmed"), ("backup", "backup")] {
        let o = out(dir);
        run_place(&args(&[
            s,
            "--stations",
            "4",
            "--objective",
            obj,
            "--out",
            &o,
        ]))
        .unwrap();
        let j = json(&d.join(dir).join("placement.json"));
        assert!(j["placed"]["objective_value"].is_number());
    }
    let pm = json(&d.join("pmed/placement.json"));
    assert_eq!(pm["objective"], "pmedian");
    assert_eq!(pm["data"], "dense");
    // LSCP: the fewest stations for 95 % of demand.
    let o = out("lscp");
    run_place(&args(&[
        s,
        "--objective",
        "lscp",
        "--share",
        "0.95",
        "--out",
        &o,
    ]))
    .unwrap();
    let j = json(&d.join("lscp/placement.json"));
    assert!(
        j["placed"]["figures"]["demand_within_target"]
            .as_f64()
            .unwrap()
            >= 0.95 - 1e-9
    );
    // A candidate file by node id and one by lon/lat.
    let scn = load::from_path(Path::new(s)).unwrap();
    let ids: Vec<i64> = (0..scn.net.node_count())
        .step_by(9)
        .map(|v| scn.net.ext_id[v])
        .collect();
    let mut text = String::from("node\n");
    for id in &ids {
        text.push_str(&format!("{id}\n"));
    }
    text.push_str(&format!("{}\n", ids[0])); // a duplicate row is ignored
    let f = write(&d, "cands.csv", &text);
    let o = out("file");
    run_place(&args(&[
        s,
        "--stations",
        "3",
        "--candidates",
        f.to_str().unwrap(),
        "--out",
        &o,
    ]))
    .unwrap();
    let j = json(&d.join("file/placement.json"));
    assert_eq!(j["candidates"]["count"], ids.len());
    assert_eq!(j["candidates"]["duplicates"], 1);
    for site in j["placed"]["sites"].as_array().unwrap() {
        assert!(ids.contains(&site["node"].as_i64().unwrap()));
    }
    let mut text = String::from("lon,lat\n");
    for v in (0..scn.net.node_count()).step_by(13) {
        let p = scn.net.pos[v];
        text.push_str(&format!("{},{}\n", p[0], p[1]));
    }
    let f = write(&d, "lonlat.csv", &text);
    let o = out("lonlat");
    run_place(&args(&[
        s,
        "--stations",
        "3",
        "--candidates",
        f.to_str().unwrap(),
        "--out",
        &o,
    ]))
    .unwrap();
}

#[test]
fn bad_placement_options_are_clear_errors() {
    let d = temp_dir("place-errors");
    let s = scenario_file(&d, 12);
    let s = s.to_str().unwrap();
    let o = d.join("out");
    let o = o.to_str().unwrap();
    let option = |r: patrolsim::Result<()>, want: &str| {
        let e = r.unwrap_err();
        assert!(e.is_input(), "{e} must be bad input (exit code 2)");
        match &e {
            Error::Option { option, message } => {
                assert_eq!(option, want, "{e}");
                message.clone()
            }
            other => panic!("expected an option error on {want}, got {other}"),
        }
    };
    // K = 0, and no K for a K objective.
    option(
        run_place(&args(&[s, "--stations", "0", "--out", o])),
        "--stations",
    );
    let m = option(run_place(&args(&[s, "--out", o])), "--stations");
    assert!(m.contains("needed"), "{m}");
    // K larger than the candidates.
    let scn = load::from_path(Path::new(s)).unwrap();
    let ids: Vec<i64> = (0..3).map(|v| scn.net.ext_id[v]).collect();
    let f = write(
        &d,
        "three.csv",
        &format!("node\n{}\n{}\n{}\n", ids[0], ids[1], ids[2]),
    );
    let m = option(
        run_place(&args(&[
            s,
            "--stations",
            "4",
            "--candidates",
            f.to_str().unwrap(),
            "--out",
            o,
        ])),
        "--stations",
    );
    assert!(m.contains("only 3 candidate sites"), "{m}");
    // Fewer stations than kept.
    let m = option(
        run_place(&args(&[
            s,
            "--stations",
            "2",
            "--keep",
            "existing",
            "--out",
            o,
        ])),
        "--stations",
    );
    assert!(m.contains("at least 3"), "{m}");
    // Other options.
    option(
        run_place(&args(&[
            s,
            "--objective",
            "lscp",
            "--share",
            "1.5",
            "--out",
            o,
        ])),
        "--share",
    );
    option(
        run_place(&args(&[
            s,
            "--stations",
            "2",
            "--max-candidates",
            "0",
            "--out",
            o,
        ])),
        "--max-candidates",
    );
    option(
        run_place(&args(&[
            s,
            "--stations",
            "2",
            "--verify",
            "--reps",
            "0",
            "--out",
            o,
        ])),
        "--reps",
    );
    // A candidate file with an unknown node: file, line and column named.
    let bad = write(&d, "bad.csv", &format!("node\n{}\n99999999\n", ids[0]));
    let e = run_place(&args(&[
        s,
        "--stations",
        "1",
        "--candidates",
        bad.to_str().unwrap(),
        "--out",
        o,
    ]))
    .unwrap_err();
    assert!(e.is_input());
    match &e {
        Error::Csv {
            path,
            line,
            field,
            message,
        } => {
            assert_eq!(path, &bad);
            assert_eq!(*line, 3);
            assert_eq!(field, "node");
            assert!(message.contains("99999999"), "{message}");
        }
        other => panic!("expected a CSV error, got {other}"),
    }
    let shown = e.to_string();
    assert!(
        shown.contains("bad.csv") && shown.contains("line 3") && shown.contains("`node`"),
        "{shown}"
    );
    // Not a number, a point off the map, no usable column, no rows.
    let e = run_place(&args(&[
        s,
        "--stations",
        "1",
        "--candidates",
        write(&d, "nan.csv", "node\nabc\n").to_str().unwrap(),
        "--out",
        o,
    ]))
    .unwrap_err();
    assert!(
        matches!(&e, Error::Csv { line: 2, field, .. } if field == "node"),
        "{e}"
    );
    let e = run_place(&args(&[
        s,
        "--stations",
        "1",
        "--candidates",
        write(&d, "far.csv", "lon,lat\n114.3,30.59\n10.0,50.0\n")
            .to_str()
            .unwrap(),
        "--out",
        o,
    ]))
    .unwrap_err();
    assert!(
        matches!(&e, Error::Csv { line: 3, field, .. } if field == "lon"),
        "{e}"
    );
    let e = run_place(&args(&[
        s,
        "--stations",
        "1",
        "--candidates",
        write(&d, "cols.csv", "name\nx\n").to_str().unwrap(),
        "--out",
        o,
    ]))
    .unwrap_err();
    assert!(matches!(&e, Error::Csv { line: 1, .. }), "{e}");
    let e = run_place(&args(&[
        s,
        "--stations",
        "1",
        "--candidates",
        write(&d, "empty.csv", "node\n").to_str().unwrap(),
        "--out",
        o,
    ]))
    .unwrap_err();
    assert!(matches!(&e, Error::Csv { line: 1, .. }), "{e}");
    let e = run_place(&args(&[
        s,
        "--stations",
        "1",
        "--candidates",
        d.join("missing.csv").to_str().unwrap(),
        "--out",
        o,
    ]))
    .unwrap_err();
    assert!(matches!(&e, Error::Read { .. }), "{e}");
    // Unknown objective: clap refuses it.
    assert!(PlaceCli::try_parse_from(["place", s, "--objective", "best"]).is_err());
}

#[test]
fn verify_ranks_the_layouts_by_simulated_compliance() {
    let d = temp_dir("place-verify");
    let s = scenario_file(&d, 14);
    let o = d.join("v");
    run_place(&args(&[
        s.to_str().unwrap(),
        "--stations",
        "3",
        "--verify",
        "--reps",
        "3",
        "--top",
        "2",
        "--starts",
        "3",
        "--out",
        o.to_str().unwrap(),
    ]))
    .unwrap();
    let j = json(&o.join("placement.json"));
    let v = &j["verify"];
    assert_eq!(v["replications"], 3);
    assert_eq!(v["common_calls"], true);
    let ranking = v["ranking"].as_array().unwrap();
    assert!(ranking.len() >= 2 && ranking.len() <= 3, "{v}");
    assert!(ranking.iter().any(|r| r["layout"] == "current"));
    let means: Vec<f64> = ranking
        .iter()
        .map(|r| r["compliance"]["mean"].as_f64().unwrap())
        .collect();
    assert!(means.windows(2).all(|w| w[0] >= w[1]), "{means:?}");
    for f in ["verify.csv", "verify.json", "placed-1.toml"] {
        assert!(o.join(f).exists(), "{f}");
    }
}

#[test]
fn coverage_writes_json_and_map() {
    let d = temp_dir("coverage-cmd");
    let s = scenario_file(&d, 14);
    let o = d.join("c");
    let a = CoverageCli::try_parse_from([
        "coverage",
        s.to_str().unwrap(),
        "--worst",
        "4",
        "--out",
        o.to_str().unwrap(),
    ])
    .unwrap()
    .a;
    run_coverage(&a).unwrap();
    let j = json(&o.join("coverage.json"));
    assert_eq!(j["scenario"], "small");
    assert_eq!(j["stations"].as_array().unwrap().len(), 3);
    assert_eq!(j["catchments"].as_array().unwrap().len(), 3);
    assert_eq!(j["worst"].as_array().unwrap().len(), 4);
    let share: f64 = j["catchments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["demand_share"].as_f64().unwrap())
        .sum();
    assert!((share - 1.0).abs() < 1e-9);
    assert!(j["demand_within_target"].as_f64().unwrap() <= 1.0);
    assert!(o.join("coverage.png").exists() && o.join("coverage.svg").exists());
}

#[test]
fn the_placed_scenario_rehomes_loops_whose_station_is_gone() {
    let d = temp_dir("placed-loops");
    let text = city_text(14, 12)
        + r#"
[[patrols]]
name = "Round"
station = "West"
waypoints = ["West", "East", { lon = 114.3000, lat = 30.5940 }]
"#;
    let s = write(&d, "loops.toml", &text);
    let scn = load::from_path(&s).unwrap();
    // Keep East and South, drop West, add two new sites.
    let east = scn.stations[1].node;
    let south = scn.stations[2].node;
    let n = scn.net.node_count();
    let nodes = vec![NodeId(3), east, south, NodeId((n - 4) as u32)];
    let (file, notes) =
        patrolsim::analysis::placement_cmd::placed_file(&scn, &nodes, 2, "moved", "test");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("`West` is gone"), "{}", notes[0]);
    let names: Vec<&str> = file.stations.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["East", "South", "Site 1", "Site 2"]);
    assert!(file.stations[2].node.is_some() && file.stations[2].units == 2);
    // It loads: the loop starts from a chosen station; West as a waypoint is now a point.
    let body = toml::to_string(&file).unwrap();
    let moved = load::from_str(&body, &d.join("moved.toml"), &d).unwrap();
    assert_eq!(moved.stations.len(), 4);
    assert_eq!(moved.patrols.len(), 1);
    assert!(["East", "South", "Site 1", "Site 2"]
        .contains(&moved.stations[moved.patrols[0].station].name.as_str()));
    assert_eq!(moved.patrols[0].waypoints[0].node, scn.stations[0].node);
}
