//! Routing and dispatch against plain reference implementations on random graphs.

use patrolsim::network::build::{RawEdge, RawNetwork, RawNode};
use patrolsim::network::{CoordSystem, Network, NodeId, RoadClass};
use patrolsim::routing::{Direction, Search, Tree};
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
}

// --- Contraction hierarchies against plain integer-weight Dijkstra ---------

use patrolsim::network::{EdgeId, Weight};
use patrolsim::routing::ch::{
    frozen_space, frozen_target_space, join, upward_space, Ch, ChQuery, FixedTarget, Frozen,
};
use patrolsim::routing::{Step, WeightSearch};

/// Plain Dijkstra over `net.fwd.w` from `s`, run until every node is settled.
fn plain_search(net: &Network, s: NodeId) -> WeightSearch {
    let mut search = WeightSearch::new(net.node_count());
    search.start(Direction::Forward);
    search.add_source(s, 0);
    search.run(net, |_, _| Step::Continue);
    search
}

/// The edges of `p` chain from `s` to `t`, and their weights add up to `w`.
fn check_chain(net: &Network, p: &[EdgeId], s: NodeId, t: NodeId, w: Weight) -> Result<(), String> {
    let mut at = s;
    for &e in p {
        if net.edge_tail(e) != at {
            return Err(format!("edge {e:?} does not leave {at:?}"));
        }
        at = net.edge_to(e);
    }
    if at != t {
        return Err(format!("path ends at {at:?}, not {t:?}"));
    }
    let sum: Weight = p.iter().map(|&e| net.edge_weight(e)).sum();
    if sum != w {
        return Err(format!("path weighs {sum}, distance {w}"));
    }
    Ok(())
}

/// A frozen space as its columns: ranks, weights and ways back.
fn columns(space: &[Frozen]) -> (Vec<u32>, Vec<Weight>, Vec<(u32, u32)>) {
    (
        space.iter().map(|f| f.rank).collect(),
        space.iter().map(|f| f.w).collect(),
        space.iter().map(|f| f.up).collect(),
    )
}

/// Every CH query from each source in `sources` to each target in `targets`
/// against plain Dijkstra: distances, paths edge for edge, target spaces met
/// from every source, and joins of upward spaces.
fn check_ch(net: &Network, ch: &Ch, sources: &[NodeId], targets: &[NodeId]) -> Result<(), String> {
    let mut q = ChQuery::new(ch);
    let mut p = Vec::new();
    let refs: Vec<_> = sources.iter().map(|&s| plain_search(net, s)).collect();
    let fwd: Vec<_> = sources
        .iter()
        .map(|&s| upward_space(ch, s, Direction::Forward))
        .collect();
    for &t in targets {
        let bwd = upward_space(ch, t, Direction::Backward);
        for (i, &s) in sources.iter().enumerate() {
            let plain = &refs[i];
            let want = plain.settled_time(t).unwrap_or(Weight::MAX);
            let ctx = format!("{s:?} -> {t:?}");
            if q.distance(ch, s, t) != Some(want) {
                return Err(format!(
                    "{ctx}: distance {:?}, want {want}",
                    q.distance(ch, s, t)
                ));
            }
            if q.path(ch, s, t, &mut p) != Some(want) {
                return Err(format!("{ctx}: path weight"));
            }
            if p != plain.path(net, t) {
                return Err(format!("{ctx}: path {p:?}, want {:?}", plain.path(net, t)));
            }
            check_chain(net, &p, s, t, want).map_err(|e| format!("{ctx}: {e}"))?;
            if join(&fwd[i], &bwd) != Some(want) {
                return Err(format!("{ctx}: join {:?}", join(&fwd[i], &bwd)));
            }
        }
        // One backward space, met from every source.
        let space = q.target_space(ch, t).to_vec();
        if space.windows(2).any(|w| w[0].1 > w[1].1) || space.first() != Some(&(t.0, 0)) {
            return Err(format!("target space of {t:?} is not in settle order"));
        }
        // Every node of the upward space, at its weight there or lighter (the
        // space's search does not stall, so it may find better paths to a
        // node than a search that does).
        let mut sorted = space.clone();
        sorted.sort_unstable();
        let in_space = |&(v, w): &(u32, Weight)| {
            let k = sorted.partition_point(|x| x.0 < v);
            sorted.get(k).is_some_and(|x| x.0 == v && x.1 <= w)
        };
        if !bwd.iter().all(in_space) {
            return Err(format!(
                "target space of {t:?} misses part of its upward space"
            ));
        }
        for (i, &s) in sources.iter().enumerate() {
            let plain = &refs[i];
            let want = plain.settled_time(t).unwrap_or(Weight::MAX);
            if q.meet(ch, s, Weight::MAX) != Some(want) {
                return Err(format!("{s:?} -> {t:?}: meet"));
            }
            q.meet_path(ch, &mut p);
            if p != plain.path(net, t) {
                return Err(format!("{s:?} -> {t:?}: meet path"));
            }
            // A bound at the distance excludes it; one above keeps it.
            if q.meet(ch, s, want).is_some() || q.meet(ch, s, want + 1) != Some(want) {
                return Err(format!("{s:?} -> {t:?}: meet bound"));
            }
        }
        // The frozen backward space of `t` as the target space: the same
        // meetings, bounds and paths, from searches and from frozen
        // forward spaces alike.
        let ft = frozen_target_space(ch, t);
        let (ranks, ws, ups) = columns(&ft);
        q.fill_space_frozen(ch, t, &ranks, &ws, Weight::MAX);
        q.frozen_target_ups(&ups);
        for (i, &s) in sources.iter().enumerate() {
            let plain = &refs[i];
            let want = plain.settled_time(t).unwrap_or(Weight::MAX);
            if q.meet(ch, s, Weight::MAX) != Some(want) {
                return Err(format!("{s:?} -> {t:?}: meet, frozen target"));
            }
            q.meet_path(ch, &mut p);
            if p != plain.path(net, t) {
                return Err(format!("{s:?} -> {t:?}: meet path, frozen target"));
            }
            if q.meet(ch, s, want).is_some() || q.meet(ch, s, want + 1) != Some(want) {
                return Err(format!("{s:?} -> {t:?}: meet bound, frozen target"));
            }
            let fs = frozen_space(ch, s);
            let (fr, fw, fu) = columns(&fs);
            match q.meet_frozen(&fr, &fw, Weight::MAX) {
                Some((w, meet)) if w == want => {
                    q.meet_frozen_path(ch, &fr, &fu, meet, &mut p);
                    if p != plain.path(net, t) {
                        return Err(format!("{s:?} -> {t:?}: frozen meeting's path"));
                    }
                }
                m => return Err(format!("{s:?} -> {t:?}: frozen meeting {m:?}")),
            }
        }
        // Within a limit: only the lighter entries, still enough below it.
        for (i, &s) in sources.iter().enumerate() {
            let want = refs[i].settled_time(t).unwrap_or(Weight::MAX);
            q.fill_space_frozen(ch, t, &ranks, &ws, want.saturating_add(1));
            q.frozen_target_ups(&ups);
            if q.meet(ch, s, Weight::MAX) != Some(want) {
                return Err(format!(
                    "{s:?} -> {t:?}: meet within a limit, frozen target"
                ));
            }
        }
        let _ = q.target_space(ch, t);
        // A fixed target: the same paths by forward searches alone, and the
        // target space left as it was.
        let fixed = FixedTarget::new(ch, t);
        if fixed.target(ch) != t || fixed.len() != bwd.len() {
            return Err(format!("fixed target {t:?}: space of {}", fixed.len()));
        }
        for (i, &s) in sources.iter().enumerate() {
            let plain = &refs[i];
            let want = plain.settled_time(t).unwrap_or(Weight::MAX);
            if q.path_to_fixed(ch, s, &fixed, &mut p) != Some(want) {
                return Err(format!("{s:?} -> {t:?}: path_to_fixed weight"));
            }
            if p != plain.path(net, t) {
                return Err(format!("{s:?} -> {t:?}: path_to_fixed path"));
            }
            if q.meet(ch, s, Weight::MAX) != Some(want) {
                return Err(format!("{s:?} -> {t:?}: meet after path_to_fixed"));
            }
            // From the frozen forward space of `s`: the same, no search.
            let fs = frozen_space(ch, s);
            let (fr, fw, fu) = columns(&fs);
            if q.path_to_fixed_frozen(ch, (&fr, &fw, &fu), &fixed, &mut p) != Some(want) {
                return Err(format!("{s:?} -> {t:?}: path_to_fixed_frozen weight"));
            }
            if p != plain.path(net, t) {
                return Err(format!("{s:?} -> {t:?}: path_to_fixed_frozen path"));
            }
        }
    }
    Ok(())
}

/// The cache of `ch` reads back into the same hierarchy; damaged, truncated
/// and foreign buffers do not.
fn check_cache(net: &Network, ch: &Ch, other: &Network) -> Result<(), String> {
    let bytes = ch.to_bytes(net);
    match Ch::from_bytes(&bytes, net) {
        Some(back) if back == *ch => {}
        _ => return Err("round trip".into()),
    }
    if Ch::from_bytes(&bytes, other).is_some() {
        return Err("accepted for another network".into());
    }
    let len = bytes.len();
    for cut in [0, 7, len / 3, len / 2, len - 9, len - 1] {
        if Ch::from_bytes(&bytes[..cut], net).is_some() {
            return Err(format!("accepted a cut at {cut} of {len}"));
        }
    }
    for k in [0, 12, 45, len / 4, len / 2, 3 * len / 4, len - 8, len - 1] {
        let mut b = bytes.clone();
        b[k] = b[k].wrapping_add(1);
        if Ch::from_bytes(&b, net).is_some() {
            return Err(format!("accepted a change at byte {k} of {len}"));
        }
    }
    Ok(())
}

/// `net` with one edge a millisecond slower: the same shape, another network.
fn one_edge_slower(net: &Network, e: usize) -> Network {
    let mut other = net.clone();
    let w = other.fwd.w[e] + (1 << patrolsim::network::TIE_BITS);
    other.fwd.w[e] = w;
    let slot = other
        .bwd
        .edge
        .iter()
        .position(|&x| x as usize == e)
        .unwrap();
    other.bwd.w[slot] = w;
    other
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ch_agrees_with_plain_dijkstra_on_random_graphs(
        n in 2usize..40,
        edges in prop::collection::vec((0usize..40, 0usize..40, 0u16..500), 0..120),
        coarse in any::<bool>(),
    ) {
        // Coarse times (0, 1, 2 or 3 s) make many paths of equal milliseconds,
        // which only the tie-breakers tell apart.
        let edges: Vec<_> = edges
            .iter()
            .map(|&(u, v, t)| (u, v, if coarse { t % 4 * 7 } else { t }))
            .collect();
        let net = graph(n, &edges).unwrap();
        let ch = Ch::build(&net);
        prop_assert_eq!(ch.node_count(), net.node_count());
        let all: Vec<NodeId> = (0..net.node_count() as u32).map(NodeId).collect();
        if let Err(e) = check_ch(&net, &ch, &all, &all) {
            prop_assert!(false, "{}", e);
        }
        // The same hierarchy again, and through its cache.
        prop_assert!(Ch::build(&net) == ch);
        let other = one_edge_slower(&net, net.edge_count() / 2);
        if let Err(e) = check_cache(&net, &ch, &other) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn ch_on_columbus_agrees_with_plain_dijkstra() {
    let Some(dir) = crate::common::shared_data("osm") else {
        eprintln!("skipped: ../shared/data/osm is not present");
        return;
    };
    let pbf = dir.join("otp_columbus.osm.pbf");
    if !pbf.exists() {
        eprintln!("skipped: {} is not present", pbf.display());
        return;
    }
    let opts = patrolsim::network::osm::OsmOptions::default();
    let net = patrolsim::network::osm::read(&pbf, &opts)
        .unwrap()
        .freeze(30.0)
        .unwrap();
    assert!(net.node_count() > 10_000, "{} nodes", net.node_count());
    let ch = Ch::build(&net);
    assert!(ch.shortcut_count() > 0);
    let n = net.node_count() as u64;
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut pick = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        NodeId((x % n) as u32)
    };
    let sources: Vec<NodeId> = (0..12).map(|_| pick()).collect();
    let targets: Vec<NodeId> = (0..25).map(|_| pick()).collect();
    check_ch(&net, &ch, &sources, &targets).unwrap();
    // Queries stay small: a few hundred settled nodes at most on average.
    let mut q = ChQuery::new(&ch);
    let mut settled = 0;
    for (&s, &t) in sources.iter().zip(&targets) {
        q.distance(&ch, s, t).unwrap();
        settled += q.last_settled();
    }
    assert!(settled / sources.len() < 1000, "{settled} settled");
    let other = one_edge_slower(&net, 12345);
    check_cache(&net, &ch, &other).unwrap();
}
