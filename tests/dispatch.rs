//! The two routers against each other and against brute force, with units
//! idle, posted, driving loops and driving home; and whole runs with each.

use patrolsim::network::build::{RawEdge, RawNetwork, RawNode};
use patrolsim::network::{CoordSystem, Network, NodeId, RoadClass};
use patrolsim::routing::{Direction, Search, Step, WeightSearch};
use patrolsim::scenario::{Patrol, Rejoin, Waypoint};
use patrolsim::sim::dispatch::{Avail, Cost, FastIndex, Router, View};
use patrolsim::sim::patrol::LoopPlan;
use patrolsim::sim::units::{Route, Unit, UnitState};
use proptest::prelude::*;

/// A random network on a plane: `n` nodes at random points, a two-way ring
/// keeping it strongly connected, and random one-way edges whose time is
/// their length over a random speed (so straight-line bounds are exercised).
fn city(n: usize, pts: &[(u16, u16)], edges: &[(usize, usize, u8)]) -> Network {
    let nodes = (0..n)
        .map(|i| {
            let (x, y) = pts[i % pts.len()];
            RawNode {
                ext_id: i as i64,
                pos: [x as f64 + i as f64 * 0.01, y as f64],
                weight: None,
            }
        })
        .collect::<Vec<_>>();
    let len = |u: usize, v: usize| {
        let (a, b) = (&nodes[u].pos, &nodes[v].pos);
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2))
            .sqrt()
            .max(1.0)
    };
    let mut es = Vec::new();
    let mut push = |u: usize, v: usize, kph: f64| {
        let l = len(u, v);
        es.push(RawEdge {
            u,
            v,
            length_m: Some(l),
            time_s: Some(l / (kph / 3.6)),
            speed_kph: None,
            class: RoadClass::Local,
        });
    };
    for i in 0..n {
        push(i, (i + 1) % n, 30.0);
        push((i + 1) % n, i, 30.0);
    }
    for &(u, v, s) in edges {
        push(u % n, v % n, 10.0 + s as f64);
    }
    RawNetwork {
        coords: CoordSystem::Planar { unit_m: 1.0 },
        nodes,
        edges: es,
    }
    .freeze(30.0)
    .unwrap()
}

fn waypoint(node: NodeId) -> Waypoint {
    Waypoint {
        node,
        hotspot: None,
        label: String::new(),
    }
}

/// Brute force: every available unit's exact cost, the least.
fn brute(
    net: &Network,
    loops: &[LoopPlan],
    units: &[Unit],
    t: f64,
    target: NodeId,
    pr: u8,
) -> Option<Cost> {
    let mut s = WeightSearch::new(net.node_count());
    s.start(Direction::Backward);
    s.add_source(target, 0);
    s.run(net, |_, _| Step::Continue);
    let mut best: Option<Cost> = None;
    for (i, u) in units.iter().enumerate() {
        if u.available() && u.takes(pr) {
            let (x, rem) = u.locate(net, loops, t).next(net);
            let c = Cost::new(rem, s.settled_time(x).unwrap(), i as u32);
            if c.beats(&best) {
                best = Some(c);
            }
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn both_routers_pick_the_unit_brute_force_picks(
        pts in prop::collection::vec((0u16..3000, 0u16..3000), 40),
        edges in prop::collection::vec((0usize..40, 0usize..40, 0u8..90), 10..80),
        homes in prop::collection::vec(0usize..40, 1..6),
        lap in prop::collection::vec(0usize..40, 2..5),
        looping in prop::collection::vec(0u16..5000, 0..4),
        moving in prop::collection::vec((0usize..40, 0u16..2000), 0..4),
        post in 0usize..40,
        posted in 0usize..3,
        targets in prop::collection::vec(0usize..40, 1..6),
        t in 0u32..20_000,
    ) {
        let net = city(40, &pts, &edges);
        let n = net.node_count();
        let node = |i: usize| NodeId((i % n) as u32);
        let mut search = Search::new(n);
        let patrol = |wps: Vec<NodeId>, max_priority| Patrol {
            name: "p".into(),
            station: 0,
            units: 1,
            waypoints: wps.into_iter().map(waypoint).collect(),
            rejoin: Rejoin::Resume,
            max_priority,
        };
        let loops = vec![
            LoopPlan::new(&net, &mut search, &patrol(lap.iter().map(|&i| node(i)).collect(), 1)),
            LoopPlan::new(&net, &mut search, &patrol(vec![node(post)], u8::MAX)),
        ];
        let stations: Vec<NodeId> = homes.iter().map(|&h| node(h)).collect();
        let t = t as f64 / 3.0;
        let mut units: Vec<Unit> = stations
            .iter()
            .enumerate()
            .map(|(s, &h)| Unit::at_station(s as u32, h))
            .collect();
        // Some station units are driving home, having started at various times.
        for (i, &(from, ago)) in moving.iter().enumerate() {
            if let Some(u) = units.get_mut(i) {
                let from = node(from);
                search.start(Direction::Forward);
                search.add_source(from, 0.0);
                search.run_to(&net, u.home);
                let path = search.path(&net, u.home);
                u.state = UnitState::Returning {
                    route: Route::from_node(&net, t - ago as f64 / 7.0, from, path),
                };
            }
        }
        if !loops[0].is_post() {
            for &ph in &looping {
                units.push(Unit {
                    patrol: Some(0),
                    max_priority: 1,
                    state: UnitState::Looping {
                        since: t / 2.0,
                        phase_s: (ph as f64 / 5000.0) * loops[0].lap_s,
                    },
                    ..Unit::at_station(0, stations[0])
                });
            }
        }
        for _ in 0..posted {
            units.push(Unit {
                patrol: Some(1),
                state: UnitState::Posted { wp: 0, node: node(post) },
                ..Unit::at_station(0, stations[0])
            });
        }
        let avail = Avail::of(&units, stations.len(), loops.len());
        let view = View { net: &net, loops: &loops, units: &units, avail: &avail };
        // The fast router with its table of exact times from the stations
        // and posts, and without (everything in buckets).
        let tabled = FastIndex::in_memory(&net, &stations, &loops, usize::MAX);
        let bucketed = FastIndex::in_memory(&net, &stations, &loops, 0);
        // And with units on drives of their own searched, not met with
        // their next node's frozen space.
        let searched = FastIndex::in_memory_with_limits(&net, &stations, &loops, usize::MAX, 0);
        prop_assert!(tabled.table_sources() > 0);
        prop_assert_eq!(bucketed.table_sources(), 0);
        prop_assert!(tabled.frozen_everywhere() && !searched.frozen_everywhere());
        let mut plain = Router::plain(n);
        let mut fast = Router::fast(&tabled);
        fast.walk_homes_early(true);
        let mut fast_buckets = Router::fast(&bucketed);
        fast_buckets.walk_homes_early(true);
        let mut fast_searched = Router::fast(&searched);
        for &tg in &targets {
            for pr in [1u8, 2] {
                let target = node(tg);
                let want = brute(&net, &loops, &units, t, target, pr);
                let a = plain.nearest(view, t, target, pr);
                let b = fast.nearest(view, t, target, pr);
                prop_assert_eq!(&a, &b);
                prop_assert_eq!(&a, &fast_buckets.nearest(view, t, target, pr));
                prop_assert_eq!(&a, &fast_searched.nearest(view, t, target, pr));
                // Drives home agree too: the winner's, walked with its
                // drive to the call, first (once), then every station's.
                if let Some(b) = &b {
                    let u = &units[b.unit as usize];
                    let home = stations[u.station as usize];
                    let p = plain.path_home(&net, target, u.station, home);
                    prop_assert_eq!(&p, &fast.path_home_of(&net, b.unit, target, u.station, home));
                    prop_assert_eq!(&p, &fast_buckets.path_home_of(&net, b.unit, target, u.station, home));
                }
                for (s, &home) in stations.iter().enumerate() {
                    let p = plain.path_home(&net, target, s as u32, home);
                    prop_assert_eq!(&p, &fast.path_home(&net, target, s as u32, home));
                    prop_assert_eq!(&p, &fast_buckets.path_home(&net, target, s as u32, home));
                }
                // So do drives back to a loop's waypoints.
                for (l, plan) in loops.iter().enumerate() {
                    for (w, &to) in plan.nodes.iter().enumerate() {
                        let (l, w) = (l as u32, w as u32);
                        let p = plain.path_to_waypoint(&net, target, l, w, to);
                        prop_assert_eq!(&p, &fast.path_to_waypoint(&net, target, l, w, to));
                        prop_assert_eq!(&p, &fast_buckets.path_to_waypoint(&net, target, l, w, to));
                    }
                }
                match (want, a) {
                    (None, None) => {}
                    (Some(w), Some(a)) => {
                        prop_assert_eq!(a.unit, w.unit);
                        prop_assert_eq!(a.travel_s, w.total_s);
                        // The path leads from the unit's next node to the target.
                        let mut at = a.loc.next(&net).0;
                        for e in &a.path {
                            prop_assert_eq!(net.edge_tail(*e), at);
                            at = net.edge_to(*e);
                        }
                        prop_assert_eq!(at, target);
                    }
                    (w, a) => prop_assert!(false, "brute force {:?}, router {:?}", w, a),
                }
            }
        }
    }
}

/// Run replication `rep` of `scn` with each router; the per-call records,
/// units and summaries must be identical.
fn same_run_with_both_routers(scn: &patrolsim::scenario::Scenario, reps: &[u64]) {
    use patrolsim::scenario::RouterKind;
    use patrolsim::sim::{self, Prepared};
    let plain = Prepared::with_router(scn, RouterKind::Dijkstra);
    // The fast router with its table of exact times, and without.
    let fast = [
        Prepared::with_options(scn, RouterKind::Ch, usize::MAX),
        Prepared::with_options(scn, RouterKind::Ch, 0),
    ];
    for &rep in reps {
        let a = sim::run(scn, &plain, rep).unwrap();
        assert!(!a.calls.is_empty());
        for f in &fast {
            let b = sim::run(scn, f, rep).unwrap();
            for (x, y) in a.calls.iter().zip(b.calls.iter()) {
                assert_eq!(x, y, "call {} differs between the routers", x.id);
            }
            assert_eq!(a.calls.len(), b.calls.len());
            assert_eq!(a.units, b.units);
            assert_eq!(a.summary, b.summary);
        }
    }
}

#[test]
fn a_whole_day_of_the_default_city_is_identical_with_either_router() {
    let scn = patrolsim::scenario::load::default_scenario().unwrap();
    assert!(!scn.patrols.is_empty());
    same_run_with_both_routers(&scn, &[0, 1]);
}

#[test]
fn a_day_of_wuhan_with_posts_and_loops_is_identical_with_either_router() {
    let path = crate::common::root().join("scenarios/wuhan-three-circles.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // A quarter of a day keeps the test quick.
    let text = text.replace("horizon_s = 86400", "horizon_s = 21600");
    let scn = patrolsim::scenario::load::from_str(&text, &path, path.parent().unwrap()).unwrap();
    same_run_with_both_routers(&scn, &[3]);
}

#[test]
fn a_day_on_columbus_is_identical_with_either_router() {
    use patrolsim::network::osm::{load, OsmOptions};
    let Some(dir) = crate::common::shared_data("osm") else {
        eprintln!("skipped: ../shared/data/osm is not present");
        return;
    };
    let d = crate::common::temp_dir("dispatch-columbus");
    let pbf = d.join("columbus.osm.pbf");
    std::fs::copy(dir.join("otp_columbus.osm.pbf"), &pbf).unwrap();
    let (net, _) = load(&pbf, &OsmOptions::default(), false).unwrap();
    // Stations and hotspots at nodes spread through the node order.
    let n = net.node_count();
    let pick = |k: usize| net.ext_id[(k * 7919 + 13) % n];
    let mut text = String::from(
        "name = \"columbus\"\n[network]\nosm = \"columbus.osm.pbf\"\n\
         [demand]\ncalls_per_hour = 40\nhotspot_share = 0.3\n\
         [simulation]\nhorizon_s = 43200\nseed = 5\n",
    );
    for k in 0..8 {
        text += &format!(
            "[[stations]]\nname = \"S{k}\"\nnode = {}\nunits = 2\n",
            pick(k)
        );
    }
    for k in 0..6 {
        text += &format!(
            "[[hotspots]]\nname = \"H{k}\"\nkind = \"hospital\"\nnode = {}\n",
            pick(k + 100)
        );
    }
    text += "[[patrols]]\nname = \"auto\"\nauto = true\nunits = 1\nmax_priority = 2\n";
    let path = d.join("columbus.toml");
    std::fs::write(&path, &text).unwrap();
    let scn = patrolsim::scenario::load::from_path(&path).unwrap();
    same_run_with_both_routers(&scn, &[0]);
}
