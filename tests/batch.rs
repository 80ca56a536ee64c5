//! Monte Carlo batches, comparisons, sweeps and shards.

use std::path::Path;

use patrolsim::batch::{self, compare, Estimate, RepRow};
use patrolsim::scenario::load;
use patrolsim::sim;

use crate::common::{bin, root, temp_dir};

fn teaching() -> std::path::PathBuf {
    root().join("scenarios/teaching.toml")
}

fn patrolsim(args: &[&str], dir: &Path) -> std::process::Output {
    bin().args(args).current_dir(dir).output().unwrap()
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn batch_results_do_not_depend_on_the_thread_count() {
    let d = temp_dir("batch-threads");
    let s = teaching();
    let s = s.to_str().unwrap();
    ok(&patrolsim(
        &["batch", s, "--reps", "12", "--threads", "1", "--out", "one"],
        &d,
    ));
    ok(&patrolsim(
        &["batch", s, "--reps", "12", "--threads", "2", "--out", "two"],
        &d,
    ));
    for f in ["replications.csv", "batch.json"] {
        assert!(
            read(&d.join("one").join(f)) == read(&d.join("two").join(f)),
            "{f} differs"
        );
    }
}

#[test]
fn four_shards_merged_equal_the_unsharded_batch() {
    let d = temp_dir("batch-shards");
    let s = teaching();
    let s = s.to_str().unwrap();
    ok(&patrolsim(
        &["batch", s, "--reps", "10", "--out", "whole"],
        &d,
    ));
    // Four separate processes, as a cluster's job array would run them.
    let children: Vec<_> = (0..4)
        .map(|i| {
            bin()
                .args([
                    "batch",
                    s,
                    "--reps",
                    "10",
                    "--shard",
                    &format!("{i}/4"),
                    "--out",
                    &format!("part{i}"),
                ])
                .current_dir(&d)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    // Shard order on the command line does not matter.
    ok(&patrolsim(
        &[
            "merge", "part2", "part0", "part3", "part1", "--out", "merged",
        ],
        &d,
    ));
    for f in ["replications.csv", "batch.json"] {
        assert!(
            read(&d.join("whole").join(f)) == read(&d.join("merged").join(f)),
            "{f} differs"
        );
    }
    // A missing shard is an error, not a smaller batch.
    let o = patrolsim(&["merge", "part0", "part1", "part2", "--out", "bad"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing"));
    // So is a shard given twice.
    let o = patrolsim(&["merge", "part0", "part0", "part1", "part2", "part3"], &d);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_replication_reruns_alone_with_run_rep() {
    let d = temp_dir("batch-rep");
    let s = teaching();
    let s = s.to_str().unwrap();
    ok(&patrolsim(&["batch", s, "--reps", "5", "--out", "b"], &d));
    ok(&patrolsim(&["run", s, "--rep", "3", "--out", "r3"], &d));
    let rows = batch::read_rows(&d.join("b/replications.csv")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&read(&d.join("r3/summary.json"))).unwrap();
    assert_eq!(rows[3].rep, 3);
    assert_eq!(
        rows[3].mean_response_s,
        summary["response_s"]["mean"].as_f64().unwrap()
    );
    assert_eq!(rows[3].calls, summary["calls"]["counted"].as_u64().unwrap());
}

#[test]
fn confidence_intervals_shrink_with_the_square_root_of_replications() {
    let scn = load::from_path(&teaching()).unwrap();
    let prep = sim::Prepared::new(&scn);
    let ids: Vec<u64> = (0..160).collect();
    let rows: Vec<RepRow> = batch::run_reps(&scn, &prep, &ids, 0, &|| {}).unwrap();
    let hw = |n: usize| {
        Estimate::of(rows[..n].iter().map(|r| r.mean_response_s))
            .half_width
            .unwrap()
    };
    // Four times the replications: about half the width (t quantiles and the
    // sample sd move a little, so allow some slack).
    let (h10, h40, h160) = (hw(10), hw(40), hw(160));
    let r1 = h10 / h40;
    let r2 = h40 / h160;
    assert!((1.5..3.0).contains(&r1), "10 -> 40: ratio {r1}");
    assert!((1.5..2.7).contains(&r2), "40 -> 160: ratio {r2}");
}

#[test]
fn comparing_a_layout_with_itself_gives_exactly_zero_differences() {
    let a = load::from_path(&teaching()).unwrap();
    let mut layouts = vec![a.clone(), a];
    let (c, rows) = compare::compare(&mut layouts, 6, 0, &|| {}).unwrap();
    assert!(c.common_calls);
    assert_eq!(rows[0], rows[1]);
    for m in &c.metrics {
        let d = &m.difference[1];
        if d.n > 0 {
            assert_eq!(d.mean, Some(0.0), "{}", m.metric);
            assert_eq!(d.sd, Some(0.0), "{}", m.metric);
        }
    }
}

#[test]
fn compare_and_sweep_commands_write_their_files() {
    let d = temp_dir("batch-compare-sweep");
    let (a, b) = (
        root().join("scenarios/riverside-baseline.toml"),
        root().join("scenarios/riverside-more-stations.toml"),
    );
    let o = patrolsim(
        &[
            "compare",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--reps",
            "4",
            "--out",
            "cmp",
        ],
        &d,
    );
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("paired against `riverside-baseline`"),
        "{text}"
    );
    for f in ["compare.csv", "compare.json", "compare.png", "compare.svg"] {
        assert!(d.join("cmp").join(f).exists(), "{f}");
    }
    // More stations: a significant gain in compliance on the same calls.
    let cmp: serde_json::Value =
        serde_json::from_slice(&read(&d.join("cmp/compare.json"))).unwrap();
    assert_eq!(cmp["common_calls"], true);
    let m = cmp["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "compliance")
        .unwrap();
    assert!(m["difference"][1]["ci_low"].as_f64().unwrap() > 0.0);

    let o = patrolsim(
        &[
            "sweep",
            teaching().to_str().unwrap(),
            "--set",
            "stations.units=1..2",
            "--set",
            "dispatch.call_handling_s=30,90",
            "--reps",
            "3",
            "--out",
            "sw",
        ],
        &d,
    );
    ok(&o);
    let csv = String::from_utf8(read(&d.join("sw/sweep.csv"))).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4, "{csv}");
    assert!(csv.starts_with("stations.units,dispatch.call_handling_s,replications"));
    assert!(d.join("sw/sweep.png").exists());
}

#[test]
fn bad_batch_options_exit_with_code_2() {
    let d = temp_dir("batch-bad");
    let s = teaching();
    let s = s.to_str().unwrap();
    for args in [
        vec!["batch", s, "--reps", "0"],
        vec!["batch", s, "--shard", "4/4"],
        vec!["batch", s, "--shard", "two"],
        vec!["sweep", s, "--set", "stations.units"],
        vec!["sweep", s, "--set", "stations[7].units=1,2"],
        vec!["sweep", s, "--set", "dispatch.call_handling_s=-5"],
        vec!["merge", "nowhere"],
    ] {
        let o = patrolsim(&args, &d);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.starts_with("error: ") && !err.contains("panicked"),
            "{err}"
        );
    }
}

#[test]
fn sweep_shards_merged_equal_the_unsharded_sweep() {
    let d = temp_dir("sweep-shards");
    let s = teaching();
    let s = s.to_str().unwrap();
    let base = [
        "sweep",
        s,
        "--set",
        "stations.units=1..2",
        "--set",
        "dispatch.call_handling_s=30,90",
        "--reps",
        "4",
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|x| x.to_string()).collect()
    };
    let run = |args: Vec<String>| {
        let o = bin().args(&args).current_dir(&d).output().unwrap();
        ok(&o);
    };
    run(with(&["--out", "whole"]));
    for i in 0..3 {
        run(with(&[
            "--shard",
            &format!("{i}/3"),
            "--out",
            &format!("p{i}"),
        ]));
    }
    ok(&patrolsim(
        &["merge", "p2", "p0", "p1", "--out", "merged"],
        &d,
    ));
    for f in ["sweep.csv", "sweep.json"] {
        assert!(
            read(&d.join("whole").join(f)) == read(&d.join("merged").join(f)),
            "{f} differs"
        );
    }
    let o = patrolsim(&["merge", "p0", "p1", "--out", "bad"], &d);
    assert_eq!(o.status.code(), Some(2));
}

/// Caught when route times became whole milliseconds past departure: a mean
/// written to `summary.json` read back one unit in the last place off,
/// because serde_json's default float parser does not always round
/// correctly. Shards and summaries must read back the values written.
#[test]
fn json_floats_read_back_exactly() {
    for x in [
        191.64269230769239_f64,
        0.1 + 0.2,
        1e-300,
        123_456.789_012_345_67,
    ] {
        let text = serde_json::to_string(&x).unwrap();
        let back: f64 = serde_json::from_str(&text).unwrap();
        assert_eq!(back.to_bits(), x.to_bits(), "{text}");
    }
}
