//! Importing a real city: Porto (`../shared/data/osm/porto_portugal.osm.pbf`,
//! 3.2 MB). The first import decodes the PBF and builds the graph (and writes
//! the cache); the reload reads the cache. Skipped with a message when the
//! extract is absent.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use patrolsim::network::osm::{self, OsmOptions};

fn osm_import(c: &mut Criterion) {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/osm/porto_portugal.osm.pbf");
    if !src.exists() {
        eprintln!("skipped: {} is not present", src.display());
        return;
    }
    let dir = std::env::temp_dir().join(format!("patrolsim-bench-osm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pbf = dir.join("porto.osm.pbf");
    std::fs::copy(&src, &pbf).unwrap();
    let opts = OsmOptions::default();
    let cache = osm::cache_path(&pbf);
    let mut group = c.benchmark_group("osm_porto");
    group.sample_size(10);
    group.bench_function("first_import", |b| {
        b.iter(|| {
            let _ = std::fs::remove_file(&cache);
            let (net, info) = osm::load(&pbf, &opts, false).unwrap();
            assert!(!info.from_cache);
            black_box(net.node_count())
        })
    });
    osm::load(&pbf, &opts, false).unwrap();
    group.bench_function("cached_reload", |b| {
        b.iter(|| {
            let (net, info) = osm::load(&pbf, &opts, false).unwrap();
            assert!(info.from_cache);
            black_box(net.node_count())
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, osm_import);
criterion_main!(benches);
