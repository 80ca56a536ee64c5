//! The command line end to end: demo, run, check, help.

use crate::common::{bin, grid_csv, grid_scenario, root, run_in, temp_dir, write};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn demo_writes_its_files_and_states_a_verdict() {
    let d = temp_dir("cli-demo");
    let o = run_in(&d, &["demo"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    assert!(text.contains("VERDICT:"), "{text}");
    assert!(text.contains("Static coverage"), "{text}");
    let out = d.join("patrolsim-demo");
    let incidents = std::fs::read_to_string(out.join("incidents.csv")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();

    // The default scenario is as large as promised.
    assert!(summary["network"]["nodes"].as_u64().unwrap() >= 20_000);
    assert!(summary["units"].as_u64().unwrap() >= 50);
    let calls = summary["calls"]["counted"].as_u64().unwrap();
    assert!(calls >= 2_000, "{calls} calls");

    // summary.json agrees with incidents.csv.
    let mut rdr = csv::Reader::from_reader(incidents.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (met, resp) = (col("met_target"), col("response_s"));
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len() as u64, calls);
    let within = rows.iter().filter(|r| &r[met] == "true").count();
    let compliance = summary["target"]["compliance"].as_f64().unwrap();
    assert!((compliance - within as f64 / rows.len() as f64).abs() < 1e-12);
    for r in &rows {
        let s: f64 = r[resp].parse().unwrap();
        assert_eq!(&r[met] == "true", s <= 300.0 + 5e-4, "row {r:?}");
    }
    let meets = summary["target"]["meets"].as_bool().unwrap();
    assert_eq!(meets, compliance >= 0.9);
    assert!(text.contains(if meets { "MEETS" } else { "MISSES" }));
    let units = std::fs::read_to_string(out.join("units.csv")).unwrap();
    assert_eq!(
        units.lines().count() as u64,
        summary["units"].as_u64().unwrap() + 1
    );
    // No temporary files are left behind.
    for e in std::fs::read_dir(&out).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "left behind: {name}");
    }
}

#[test]
fn run_writes_to_out_and_response_parts_add_up() {
    let d = temp_dir("cli-run");
    grid_csv(&d);
    write(&d, "s.toml", &grid_scenario(""));
    let o = run_in(&d, &["run", "s.toml", "--out", "res"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(d.join("res/incidents.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let mut n = 0;
    for r in rdr.records() {
        let r = r.unwrap();
        let f = |name: &str| {
            let i = headers.iter().position(|h| h == name).unwrap();
            r[i].parse::<f64>().unwrap()
        };
        // response = handling (60) + wait + travel, to the millisecond.
        let (time, dispatch, arrive, clear) =
            (f("time_s"), f("dispatch_s"), f("arrive_s"), f("clear_s"));
        let (wait, travel, response) = (f("wait_s"), f("travel_s"), f("response_s"));
        assert!((response - (60.0 + wait + travel)).abs() < 2e-3, "{r:?}");
        assert!((arrive - time - response).abs() < 2e-3);
        assert!(dispatch >= time + 60.0 - 1e-3 && arrive >= dispatch && clear >= arrive);
        n += 1;
    }
    assert!(n > 10, "only {n} calls");
}

#[test]
fn check_reports_snapping_and_static_coverage() {
    let o = bin()
        .args([
            "check",
            root().join("scenarios/default.toml").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("OK"));
    assert!(text.contains("snapped"));
    assert!(text.contains("of expected calls"));
    assert!(text.contains("20 with 60 units"), "{text}");
    assert!(text.contains("lap target 15:00"), "{text}");
}

#[test]
fn check_on_a_grid_gives_exact_coverage() {
    // 4 x 4 grid, 10 s per block, station in a corner: the far corner is 60 s
    // away. With a 30 s target only nodes within 3 blocks are covered: 10 of 16.
    let d = temp_dir("cli-grid-coverage");
    grid_csv(&d);
    write(
        &d,
        "s.toml",
        &grid_scenario("[targets]\nresponse_s = 30\n[dispatch]\ncall_handling_s = 10\n"),
    );
    let o = run_in(&d, &["check", "s.toml"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    // Within 30 s: 10/16 = 62.5%; within 20 s (30 - 10 handling): 6/16 = 37.5%.
    assert!(text.contains("62.5% of nodes"), "{text}");
    assert!(text.contains("37.5% of nodes"), "{text}");
    assert!(text.contains("node 16 (1:00)"), "{text}");
}

#[test]
fn help_lists_commands_and_examples() {
    let o = bin().arg("--help").output().unwrap();
    let text = stdout(&o);
    for w in ["run", "check", "demo", "Examples:", "Exit codes"] {
        assert!(text.contains(w), "--help lacks {w}");
    }
    let o = bin().args(["run", "--help"]).output().unwrap();
    let text = stdout(&o);
    for w in ["--out", "--seed", "--rep"] {
        assert!(text.contains(w), "run --help lacks {w}");
    }
}

#[test]
fn export_geojson_writes_valid_layers() {
    let d = temp_dir("cli-geojson");
    let scenario = root().join("scenarios/teaching.toml");
    let o = bin()
        .args(["export", "geojson", scenario.to_str().unwrap(), "--out"])
        .arg(d.join("gis"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let scn = patrolsim::scenario::load::from_path(&scenario).unwrap();
    let layer = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("gis").join(name)).unwrap()).unwrap()
    };
    let count = |v: &serde_json::Value| v["features"].as_array().unwrap().len();
    assert_eq!(count(&layer("stations.geojson")), scn.stations.len());
    assert_eq!(count(&layer("hotspots.geojson")), scn.hotspots.len());
    assert_eq!(count(&layer("loops.geojson")), scn.patrols.len());
    let cov = layer("coverage.geojson");
    assert_eq!(count(&cov), scn.net.node_count());
    for f in cov["features"].as_array().unwrap() {
        assert_eq!(f["type"], "Feature");
        let c = &f["geometry"]["coordinates"];
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(
            (114.0..115.0).contains(&lon) && (30.0..31.0).contains(&lat),
            "{c}"
        );
        let p = &f["properties"];
        let within = p["time_s"].as_f64().unwrap() <= 300.05;
        assert_eq!(p["within_target"].as_bool().unwrap(), within, "{p}");
    }
    // Loops are closed lines.
    for f in layer("loops.geojson")["features"].as_array().unwrap() {
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        assert_eq!(c.first(), c.last());
    }
}
