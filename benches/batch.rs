//! Replications per second of the default scenario on 1 and 2 threads
//! (8 replications per iteration).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use patrolsim::batch;
use patrolsim::scenario::load;
use patrolsim::sim;

fn batches(c: &mut Criterion) {
    let scn = load::default_scenario().unwrap();
    let prep = sim::Prepared::new(&scn);
    let ids: Vec<u64> = (0..8).collect();
    let mut group = c.benchmark_group("batch_default_8_reps");
    group.sample_size(10);
    for threads in [1usize, 2] {
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| {
                black_box(
                    batch::run_reps(&scn, &prep, &ids, threads, &|| {})
                        .unwrap()
                        .len(),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, batches);
criterion_main!(benches);
