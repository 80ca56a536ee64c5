//! Station placement (`patrolsim place`) on the default city (22,497 nodes):
//! every 12th node and the 20 current stations as candidate sites (1,895),
//! 20 stations, 4 starts plus the current layout, as the command runs it.
//! `*_data` builds the travel-time data (coverage lists within 5 minutes, or
//! the dense p-median matrix); `*_solve` runs greedy + swap local search on it.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use patrolsim::analysis::placement::{self, Instance, Objective, SolveOptions, DENSE_MAX_ENTRIES};
use patrolsim::network::NodeId;
use patrolsim::scenario::load;

fn place(c: &mut Criterion) {
    let scn = load::default_scenario().unwrap();
    let net = &scn.net;
    let prob = &scn.demand.spatial.prob;
    let target = scn.targets.response_s;
    let current: Vec<NodeId> = scn.stations.iter().map(|s| s.node).collect();
    let mut sites = placement::sample_nodes(net.node_count(), 2000);
    sites.extend(&current);
    sites.sort_unstable();
    sites.dedup();
    assert!(sites.len() >= 1000);
    let cur: Vec<usize> = current
        .iter()
        .map(|v| sites.binary_search(v).unwrap())
        .collect();
    let opts = SolveOptions {
        k: 20,
        starts: 4,
        initial: vec![cur.clone()],
        prefer: cur.clone(),
        ..SolveOptions::default()
    };
    let build =
        |obj: Objective| Instance::new(net, prob, sites.clone(), target, obj, DENSE_MAX_ENTRIES);

    let mut g = c.benchmark_group(format!("place_default_{}_candidates", sites.len()));
    g.sample_size(10);
    g.bench_function("coverage_data", |b| {
        b.iter(|| black_box(build(Objective::Mclp).entries))
    });
    let cov = build(Objective::Mclp);
    g.bench_function("mclp_solve_k20", |b| {
        b.iter(|| black_box(placement::solve(&cov, &opts).unwrap().best.score))
    });
    let backup = build(Objective::Backup);
    g.bench_function("backup_solve_k20", |b| {
        b.iter(|| black_box(placement::solve(&backup, &opts).unwrap().best.score))
    });
    let lscp = build(Objective::Lscp);
    g.bench_function("lscp_solve_share_1", |b| {
        b.iter(|| {
            black_box(
                placement::solve_lscp(&lscp, &[], 1.0, None, 4, &cur)
                    .unwrap()
                    .best
                    .sites
                    .len(),
            )
        })
    });
    drop((cov, backup, lscp));
    g.bench_function("pmedian_data", |b| {
        b.iter(|| black_box(build(Objective::PMedian).entries))
    });
    let pm = build(Objective::PMedian);
    g.bench_function("pmedian_solve_k20", |b| {
        b.iter(|| black_box(placement::solve(&pm, &opts).unwrap().best.score))
    });
    g.finish();
}

criterion_group!(benches, place);
criterion_main!(benches);
