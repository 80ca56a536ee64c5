//! Same scenario and seed: byte-identical outputs, whatever the thread count.
//! Another seed: other calls.

use std::path::Path;

use crate::common::{bin, root, temp_dir};

const FILES: [&str; 10] = [
    "incidents.csv",
    "units.csv",
    "loops.csv",
    "hotspots.csv",
    "summary.json",
    "map.png",
    "coverage.png",
    "response.svg",
    "loops.svg",
    "hotspots.png",
];

fn run(out: &Path, threads: &str, seed: &str) {
    let scenario = root().join("scenarios/default.toml");
    let o = bin()
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--seed",
            seed,
        ])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn read(dir: &Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap()
}

#[test]
fn same_seed_gives_identical_files_on_one_and_two_threads() {
    let d = temp_dir("determinism");
    let (a, b, c) = (d.join("a"), d.join("b"), d.join("c"));
    run(&a, "1", "5");
    run(&b, "2", "5");
    run(&c, "2", "6");
    for f in FILES {
        assert!(
            read(&a, f) == read(&b, f),
            "{f} differs between 1 and 2 threads"
        );
    }
    assert!(
        read(&a, "incidents.csv") != read(&c, "incidents.csv"),
        "seed has no effect"
    );
    let sa = String::from_utf8(read(&a, "summary.json")).unwrap();
    assert!(sa.contains("\"seed\": 5"));
}
