//! Contraction hierarchies (`patrolsim::routing::ch`): building one and
//! querying it, on the default city (about 22,500 nodes), on Porto
//! (`../shared/data/osm/porto_portugal.osm.pbf`, about 55,000 nodes) and on
//! the synthetic city of `scenarios/megacity-year.toml` (276k nodes; its
//! hierarchy comes from the cache beside the file, built on first use, and
//! is not timed). A missing network is skipped with a message.
//!
//! Before the timings, each network prints its hierarchy's size, and for
//! every query type the mean time and the mean number of settled nodes over
//! a fixed list of 4096 random pairs (`distance`, `path`, `target_space`,
//! `meet` from random sources to one target space, and `path_to_fixed` to a
//! prepared [`FixedTarget`]). `cargo bench --bench ch -- summary` prints
//! only these lines (no criterion run matches that filter).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use patrolsim::network::{Network, NodeId, Weight};
use patrolsim::routing::ch::{Ch, ChQuery, FixedTarget};
use patrolsim::scenario::load;

/// A fixed pseudo-random sequence of node pairs.
fn pairs(n: usize, count: usize) -> Vec<(NodeId, NodeId)> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        NodeId((x % n as u64) as u32)
    };
    (0..count).map(|_| (next(), next())).collect()
}

/// Mean µs and mean settled nodes of `f` over `pairs` (two passes, the
/// second timed).
fn mean(
    q: &mut ChQuery,
    pairs: &[(NodeId, NodeId)],
    mut f: impl FnMut(&mut ChQuery, NodeId, NodeId) -> usize,
) -> (f64, f64) {
    let mut settled = 0;
    for &(s, t) in pairs {
        black_box(f(q, s, t));
    }
    let t0 = Instant::now();
    for &(s, t) in pairs {
        settled += f(q, s, t);
    }
    let us = t0.elapsed().as_secs_f64() * 1e6 / pairs.len() as f64;
    (us, settled as f64 / pairs.len() as f64)
}

/// The summary lines of one network (see the module documentation).
fn summary(name: &str, net: &Network, ch: &Ch, pairs: &[(NodeId, NodeId)]) {
    eprintln!(
        "{name}: {} nodes, {} edges, {} shortcuts",
        net.node_count(),
        net.edge_count(),
        ch.shortcut_count(),
    );
    let mut q = ChQuery::new(ch);
    let mut path = Vec::new();
    let line = |what: &str, (us, settled): (f64, f64)| {
        eprintln!("  {name} {what:<14} {us:8.2} us {settled:7.1} settled");
    };
    line(
        "distance",
        mean(&mut q, pairs, |q, s, t| {
            black_box(q.distance(ch, s, t));
            q.last_settled()
        }),
    );
    line(
        "path",
        mean(&mut q, pairs, |q, s, t| {
            black_box(q.path(ch, s, t, &mut path));
            q.last_settled()
        }),
    );
    line(
        "target_space",
        mean(&mut q, pairs, |q, _, t| {
            black_box(q.target_space(ch, t).len());
            q.last_settled()
        }),
    );
    q.target_space(ch, pairs[0].1);
    line(
        "meet",
        mean(&mut q, pairs, |q, s, _| {
            black_box(q.meet(ch, s, Weight::MAX));
            q.last_settled()
        }),
    );
    let targets: Vec<FixedTarget> = pairs[..16]
        .iter()
        .map(|&(_, t)| FixedTarget::new(ch, t))
        .collect();
    let mut k = 0;
    line(
        "path_to_fixed",
        mean(&mut q, pairs, |q, s, _| {
            k = (k + 1) % targets.len();
            black_box(q.path_to_fixed(ch, s, &targets[k], &mut path));
            q.last_settled()
        }),
    );
}

/// Criterion timings of the queries (and of the build when `build`).
fn city(c: &mut Criterion, name: &str, net: &Network, ch: &Ch, build: bool) {
    let pairs = pairs(net.node_count(), 4096);
    summary(name, net, ch, &pairs);
    if build {
        let mut group = c.benchmark_group(format!("ch_{name}"));
        group.sample_size(10);
        group.bench_function("build", |b| b.iter(|| black_box(Ch::build(net))));
        group.finish();
    }
    let mut q = ChQuery::new(ch);
    let mut k = 0;
    c.bench_function(&format!("ch_{name}_distance"), |b| {
        b.iter(|| {
            k = (k + 1) % pairs.len();
            let (s, t) = pairs[k];
            black_box(q.distance(ch, s, t))
        })
    });
    let mut path = Vec::new();
    c.bench_function(&format!("ch_{name}_path"), |b| {
        b.iter(|| {
            k = (k + 1) % pairs.len();
            let (s, t) = pairs[k];
            black_box(q.path(ch, s, t, &mut path))
        })
    });
    c.bench_function(&format!("ch_{name}_target_space"), |b| {
        b.iter(|| {
            k = (k + 1) % pairs.len();
            black_box(q.target_space(ch, pairs[k].1).len())
        })
    });
    q.target_space(ch, pairs[0].1);
    c.bench_function(&format!("ch_{name}_meet"), |b| {
        b.iter(|| {
            k = (k + 1) % pairs.len();
            black_box(q.meet(ch, pairs[k].0, Weight::MAX))
        })
    });
    let fixed = FixedTarget::new(ch, pairs[0].1);
    c.bench_function(&format!("ch_{name}_path_to_fixed"), |b| {
        b.iter(|| {
            k = (k + 1) % pairs.len();
            black_box(q.path_to_fixed(ch, pairs[k].0, &fixed, &mut path))
        })
    });
}

fn ch(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scn = load::default_scenario().unwrap();
    let ch = Ch::build(&scn.net);
    city(c, "default_city", &scn.net, &ch, true);
    let porto = root.join("../shared/data/osm/porto_portugal.osm.pbf");
    if porto.exists() {
        let opts = patrolsim::network::osm::OsmOptions::default();
        let net = patrolsim::network::osm::read(&porto, &opts)
            .unwrap()
            .freeze(30.0)
            .unwrap();
        let ch = Ch::build(&net);
        city(c, "porto", &net, &ch, true);
    } else {
        eprintln!("skipped: {} is not present", porto.display());
    }
    let mega = root.join("scenarios/megacity-year.toml");
    match load::from_path(&mega) {
        Ok(scn) => {
            let ch = Ch::load_or_build(&scn.net, Some(&load::ch_cache_beside(&mega)));
            city(c, "megacity", &scn.net, &ch, false);
        }
        Err(e) => eprintln!("skipped: {}: {e}", mega.display()),
    }
}

criterion_group!(benches, ch);
criterion_main!(benches);
