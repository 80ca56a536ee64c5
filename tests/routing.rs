//! Routing and dispatch against plain reference implementations on random graphs.

use patrolsim::network::build::{RawEdge, RawNetwork, RawNode};
use patrolsim::network::{CoordSystem, Network, NodeId, RoadClass};
use patrolsim::routing::{Direction, Search, Tree};
use patrolsim::sim::dispatch::Dispatcher;
use patrolsim::sim::units::{Route, Unit, UnitState};
use proptest::prelude::*;

/// A random directed graph: `n` nodes, edges as (u, v, seconds).
fn graph(n: usize, edges: &[(usize, usize, u16)]) -> Option<Network> {
    let nodes = (0..n)
        .map(|i| RawNode {
            ext_id: i as i64,
            pos: [i as f64, (i * 7 % 11) as f64],
            weight: None,
        })
        .collect();
    // A ring keeps most of the graph strongly connected.
    let mut es: Vec<RawEdge> = (0..n)
        .map(|i| (i, (i + 1) % n, 50u16))
        .chain(edges.iter().map(|&(u, v, t)| (u % n, v % n, t)))
        .map(|(u, v, t)| RawEdge {
            u,
            v,
            length_m: Some(t as f64),
            time_s: Some(t as f64 / 7.0),
            speed_kph: None,
            class: RoadClass::Local,
        })
        .collect();
    es.retain(|e| e.u != e.v);
    RawNetwork {
        coords: CoordSystem::Planar { unit_m: 1.0 },
        nodes,
        edges: es,
    }
    .freeze(30.0)
    .ok()
}

/// Reference: petgraph's Dijkstra on the same edges.
fn reference(net: &Network, src: NodeId, backward: bool) -> Vec<f64> {
    let mut g = petgraph::Graph::<(), f64>::new();
    let ids: Vec<_> = (0..net.node_count()).map(|_| g.add_node(())).collect();
    for e in 0..net.edge_count() {
        let (u, v) = (net.edge_from[e] as usize, net.fwd.head[e] as usize);
        let (a, b) = if backward { (v, u) } else { (u, v) };
        g.add_edge(ids[a], ids[b], net.fwd.time_s[e]);
    }
    let d = petgraph::algo::dijkstra(&g, ids[src.idx()], None, |e| *e.weight());
    (0..net.node_count())
        .map(|v| d.get(&ids[v]).copied().unwrap_or(f64::INFINITY))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn dijkstra_agrees_with_petgraph(
        n in 2usize..40,
        edges in prop::collection::vec((0usize..40, 0usize..40, 1u16..500), 0..120),
        src in 0usize..40,
    ) {
        let net = graph(n, &edges).unwrap();
        let src = NodeId((src % net.node_count()) as u32);
        let mut s = Search::new(net.node_count());
        for (dir, backward) in [(Direction::Forward, false), (Direction::Backward, true)] {
            let tree = Tree::grow(&net, &mut s, src, dir);
            let want = reference(&net, src, backward);
            for (v, &w) in want.iter().enumerate() {
                prop_assert!(close(tree.time_s[v], w), "node {v}: {} vs {w}", tree.time_s[v]);
                // The path's edge times add up to the distance.
                let p = tree.path(&net, NodeId(v as u32));
                let sum: f64 = p.iter().map(|&e| net.edge_time(e)).sum();
                prop_assert!(close(sum, tree.time_s[v]));
            }
        }
    }

    #[test]
    fn dispatcher_finds_the_unit_a_brute_force_search_finds(
        edges in prop::collection::vec((0usize..30, 0usize..30, 1u16..500), 20..90),
        homes in prop::collection::vec(0usize..30, 1..8),
        moving in prop::collection::vec((0usize..30, 0u16..1000), 0..8),
        target in 0usize..30,
    ) {
        let net = graph(30, &edges).unwrap();
        let n = net.node_count();
        let mut s = Search::new(n);
        let t = 500.0;
        let mut units: Vec<Unit> = homes
            .iter()
            .map(|&h| Unit::at_station(0, NodeId((h % n) as u32)))
            .collect();
        // Some units are driving home from elsewhere, started at various times.
        for (i, &(from, started)) in moving.iter().enumerate() {
            if let Some(u) = units.get_mut(i) {
                let from = NodeId((from % n) as u32);
                let home_tree = Tree::grow(&net, &mut s, u.home, Direction::Backward);
                let path = home_tree.path(&net, from);
                let t0 = t - started as f64 / 10.0;
                u.state = UnitState::Returning { route: Route::from_node(&net, t0, from, path) };
            }
        }
        let target = NodeId((target % n) as u32);
        let to_target = Tree::grow(&net, &mut s, target, Direction::Backward);
        let mut best: Option<(f64, u32)> = None;
        for (i, u) in units.iter().enumerate() {
            let (next, rem) = u.locate(&net, t).next(&net);
            let cost = rem + to_target.time(next);
            if best.is_none_or(|(b, _)| cost < b) {
                best = Some((cost, i as u32));
            }
        }
        let (want_cost, want_unit) = best.unwrap();
        let got = Dispatcher::new(n).nearest(&net, &units, t, target, 1).unwrap();
        prop_assert!(close(got.travel_s, want_cost), "{} vs {}", got.travel_s, want_cost);
        if got.unit != want_unit {
            // Only a tie may pick another unit.
            let (next, rem) = units[got.unit as usize].locate(&net, t).next(&net);
            prop_assert!(close(rem + to_target.time(next), want_cost));
        }
        // The returned path leads from the unit's next node to the target.
        let mut at = got.loc.next(&net).0;
        for e in &got.path {
            prop_assert_eq!(net.edge_tail(*e), at);
            at = net.edge_to(*e);
        }
        prop_assert_eq!(at, target);
    }
}
