//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The patrolsim binary built for these tests.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_patrolsim"))
}

/// Run the binary with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the patrolsim binary runs")
}

/// A fresh, empty temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("patrolsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Write a file into `dir`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/data/<sub>` beside the checkout, if present.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let p = root().join("..").join("shared").join("data").join(sub);
    p.exists().then_some(p)
}

/// A small valid CSV network: a 4 x 4 two-way grid, 100 m blocks, 36 km/h
/// (10 s per block), planar metres. Node ids are 1..=16, row by row.
pub fn grid_csv(dir: &Path) {
    let mut nodes = String::from("id,x,y\n");
    let mut edges = String::from("u,v,length,speed_kph\n");
    for r in 0..4 {
        for c in 0..4 {
            let id = r * 4 + c + 1;
            nodes.push_str(&format!("{id},{},{}\n", c * 100, r * 100));
            if c < 3 {
                edges.push_str(&format!("{id},{},100,36\n{},{id},100,36\n", id + 1, id + 1));
            }
            if r < 3 {
                edges.push_str(&format!("{id},{},100,36\n{},{id},100,36\n", id + 4, id + 4));
            }
        }
    }
    write(dir, "nodes.csv", &nodes);
    write(dir, "edges.csv", &edges);
}

/// A valid scenario on [`grid_csv`]; `extra` is appended verbatim.
pub fn grid_scenario(extra: &str) -> String {
    format!(
        r#"name = "grid"
[network]
nodes = "nodes.csv"
edges = "edges.csv"
coordinates = "planar"
unit_m = 1.0

[[stations]]
name = "A"
node = 1
units = 2

[demand]
calls_per_hour = 4

[simulation]
horizon_s = 36000
seed = 3
{extra}"#
    )
}
