//! Routing on the default city (about 22,500 nodes): a full one-to-all
//! Dijkstra, a point-to-point query on the contraction hierarchy, and one
//! nearest-available-unit query (every unit at home) with each router.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use patrolsim::network::NodeId;
use patrolsim::routing::ch::{Ch, ChQuery};
use patrolsim::routing::{Direction, Search, Step};
use patrolsim::scenario::{load, RouterKind};
use patrolsim::sim::dispatch::{Avail, Router, View};
use patrolsim::sim::units::Unit;
use patrolsim::sim::Prepared;

fn routing(c: &mut Criterion) {
    let scn = load::default_scenario().unwrap();
    let net = &scn.net;
    let n = net.node_count();
    let mut search = Search::new(n);
    let mut src = 0u32;
    c.bench_function("dijkstra_one_to_all_default_city", |b| {
        b.iter(|| {
            src = (src + 7919) % n as u32;
            search.start(Direction::Forward);
            search.add_source(NodeId(src), 0.0);
            search.run(net, |_, _| Step::Continue);
            black_box(search.settled_count())
        })
    });
    let ch = Ch::build(net);
    let mut q = ChQuery::new(&ch);
    let mut pair = (0u32, 0u32);
    c.bench_function("ch_distance_default_city", |b| {
        b.iter(|| {
            pair = ((pair.0 + 7919) % n as u32, (pair.1 + 104_729) % n as u32);
            black_box(q.distance(&ch, NodeId(pair.0), NodeId(pair.1)))
        })
    });
    let units: Vec<Unit> = scn
        .units()
        .into_iter()
        .filter(|u| u.patrol.is_none())
        .map(|u| Unit::at_station(u.station as u32, scn.stations[u.station].node))
        .collect();
    let avail = Avail::of(&units, scn.stations.len(), 0);
    let view = View {
        net,
        loops: &[],
        units: &units,
        avail: &avail,
    };
    for kind in [RouterKind::Dijkstra, RouterKind::Ch] {
        let mut scn = scn.clone();
        scn.patrols.clear();
        let prep = Prepared::with_router(&scn, kind);
        let mut router = match &prep.fast {
            Some(ix) => Router::fast(ix),
            None => Router::plain(n),
        };
        let mut target = 0u32;
        let name = format!("nearest_unit_default_city_60_units_{kind:?}").to_lowercase();
        c.bench_function(&name, |b| {
            b.iter(|| {
                target = (target + 7919) % n as u32;
                black_box(router.nearest(view, 0.0, NodeId(target), 1))
            })
        });
    }
}

criterion_group!(benches, routing);
criterion_main!(benches);
