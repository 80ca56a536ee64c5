//! Every scenario shipped in `scenarios/` loads, checks and runs.

use patrolsim::analysis::coverage::Coverage;
use patrolsim::scenario::load;
use patrolsim::sim;

use crate::common::root;

/// The megacity benchmark scenario of issue 8 (`benches/megacity.rs`).
const MEGACITY: &str = "megacity-year.toml";

fn shipped() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_shipped_scenario_loads_checks_and_runs() {
    let all = shipped();
    for name in [
        "default.toml",
        "teaching.toml",
        "wuhan-three-circles.toml",
        "riverside-baseline.toml",
        "riverside-more-stations.toml",
        MEGACITY,
    ] {
        assert!(
            all.iter().any(|p| p.ends_with(name)),
            "scenarios/{name} is missing"
        );
    }
    // The megacity year (276k nodes, a year of calls) is a benchmark's input:
    // far too big to run here; `megacity_scenario_has_the_issues_figures` checks it.
    for path in all.into_iter().filter(|p| !p.ends_with(MEGACITY)) {
        let scn = load::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
        let cov = Coverage::of(&scn, 3);
        assert!(
            cov.nodes_within_target > 0.5,
            "{}: coverage",
            path.display()
        );
        let prep = sim::Prepared::new(&scn);
        let out = sim::run(&scn, &prep, 0).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let s = &out.summary;
        assert!(s.calls.counted > 0, "{}: no calls", path.display());
        assert!(out.calls.iter().all(|c| c.arrive_s.is_finite()));
        // Every designed or explicit loop closes within the target when undisturbed
        // (posts have no lap).
        for l in &s.loops {
            assert!(
                l.static_lap_s <= scn.targets.patrol_loop_s,
                "{}: {}",
                path.display(),
                l.name
            );
        }
    }
}

#[test]
fn wuhan_scenario_has_the_programmes_figures() {
    let scn = load::from_path(&root().join("scenarios/wuhan-three-circles.toml")).unwrap();
    assert_eq!(scn.stations.len(), 52);
    let kinds = |k: &str| scn.hotspots.iter().filter(|h| h.kind.name() == k).count();
    assert_eq!(kinds("hospital"), 24);
    assert_eq!(kinds("mall"), 8);
    assert_eq!(kinds("school"), 23);
    assert_eq!(kinds("other"), 72);
    let posts = scn
        .patrols
        .iter()
        .filter(|p| p.waypoints.len() == 1)
        .count();
    assert_eq!(posts, 72);
    assert_eq!(scn.targets.patrol_loop_s, 900.0);
    assert_eq!(scn.targets.response_s, 300.0);
    // Every must-patrol place is on a designed loop.
    for (h, hs) in scn
        .hotspots
        .iter()
        .enumerate()
        .filter(|(_, h)| h.kind.name() != "other")
    {
        let on = scn
            .patrols
            .iter()
            .filter(|p| p.waypoints.iter().any(|w| w.hotspot == Some(h)))
            .count();
        assert_eq!(on, 1, "{}", hs.name);
    }
    // Three districts joined by bridges: the network has bridge edges.
    let bridges = scn
        .net
        .edge_class
        .iter()
        .filter(|&&c| c == patrolsim::network::RoadClass::Other)
        .count();
    assert_eq!(bridges, 2 * (6 + 4));
}

/// The megacity year keeps the figures of issue 8. Only the file is parsed
/// (building the 276k-node city takes seconds in a release build);
/// `benches/megacity.rs` loads and runs it.
#[test]
fn megacity_scenario_has_the_issues_figures() {
    let path = root().join("scenarios").join(MEGACITY);
    let text = std::fs::read_to_string(&path).unwrap();
    let file = load::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    let city = file.network.synthetic.as_ref().expect("a synthetic city");
    // 535 x 535 intersections, less the rivers: 276,330 kept (checked by `patrolsim check`).
    assert_eq!((city.rows, city.cols), (535, 535));
    assert!(city.rivers);
    assert_eq!(file.stations.len(), 52);
    assert_eq!(file.stations.iter().map(|s| s.units).sum::<u32>(), 200);
    let kinds = |k: &str| file.hotspots.iter().filter(|h| h.kind.name() == k).count();
    assert_eq!(
        (kinds("hospital"), kinds("mall"), kinds("school")),
        (235, 105, 140)
    );
    // 102 designed loops of 3 cars (306 patrol units), for priority-1 calls only.
    assert_eq!(file.patrols.len(), 102);
    for p in &file.patrols {
        assert!(!p.auto);
        assert_eq!((p.units, p.max_priority), (3, Some(1)), "{}", p.name);
    }
    assert_eq!(file.simulation.horizon_s, 365.0 * 86_400.0);
    let calls = file.demand.calls_per_hour.unwrap() * file.simulation.horizon_s / 3600.0;
    assert!((calls - 1.0e6).abs() < 100.0, "{calls} calls a year");
}
