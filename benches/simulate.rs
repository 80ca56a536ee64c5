//! One simulated day of the default scenario (about 22,500 nodes, 60 units,
//! 2,200 calls) on one core: drawing the calls and running the engine.
//! Loading the scenario and growing the stations' trees happen once, outside
//! the measurement, and are measured separately.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use patrolsim::scenario::load;
use patrolsim::sim;

fn simulate(c: &mut Criterion) {
    let scn = load::default_scenario().unwrap();
    let prep = sim::Prepared::new(&scn);
    let mut group = c.benchmark_group("default_scenario");
    group.sample_size(20);
    let mut rep = 0;
    group.bench_function("one_simulated_day", |b| {
        b.iter(|| {
            rep += 1;
            black_box(
                sim::run(&scn, &prep, rep)
                    .unwrap()
                    .summary
                    .target
                    .compliance,
            )
        })
    });
    group.bench_function("load_scenario_and_prepare", |b| {
        b.iter(|| {
            let s = load::default_scenario().unwrap();
            black_box(sim::Prepared::new(&s));
        })
    });
    group.finish();
}

criterion_group!(benches, simulate);
criterion_main!(benches);
