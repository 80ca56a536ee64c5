//! Routing on the default city (about 22,500 nodes): a full one-to-all
//! Dijkstra, and one nearest-available-unit query with every unit at home.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use patrolsim::network::NodeId;
use patrolsim::routing::{Direction, Search, Step};
use patrolsim::scenario::load;
use patrolsim::sim::dispatch::Dispatcher;
use patrolsim::sim::units::Unit;

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
    let units: Vec<Unit> = scn
        .units()
        .into_iter()
        .map(|u| Unit::at_station(u.station as u32, scn.stations[u.station].node))
        .collect();
    let mut disp = Dispatcher::new(n);
    let mut target = 0u32;
    c.bench_function("nearest_unit_query_default_city_60_units", |b| {
        b.iter(|| {
            target = (target + 7919) % n as u32;
            black_box(disp.nearest(net, &units, 0.0, NodeId(target), 1))
        })
    });
}

criterion_group!(benches, routing);
criterion_main!(benches);
