//! OpenStreetMap import end to end: the command, the scenario source, bad files.
//! The real extracts in `../shared/data/osm/` are used when present.

use crate::common::{run_in, shared_data, temp_dir, write};

#[test]
fn import_osm_writes_csv_that_a_scenario_loads() {
    let Some(dir) = shared_data("osm") else {
        eprintln!("skipped: ../shared/data/osm is not present");
        return;
    };
    let d = temp_dir("osm-import");
    // Work on a copy: the cache is written beside the source.
    std::fs::copy(dir.join("monaco.osm.pbf"), d.join("monaco.osm.pbf")).unwrap();
    let o = run_in(&d, &["import", "osm", "monaco.osm.pbf", "--out", "city"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("imported in"), "{text}");
    // The second time comes from the cache.
    let o = run_in(&d, &["import", "osm", "monaco.osm.pbf", "--out", "city"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("loaded from the cache"));

    // Edges keep the shape of their ways, from the cache too: the length
    // along the shape is the edge's length.
    use patrolsim::network::osm::{load, shape_path, OsmOptions};
    use patrolsim::network::EdgeId;
    let pbf_path = d.join("monaco.osm.pbf");
    let (net, info) = load(&pbf_path, &OsmOptions::default(), false).unwrap();
    assert!(info.from_cache);
    let shape = net.edge_shape.as_ref().expect("shapes survive the cache");
    assert!(
        shape.iter().any(|s| s.len() >= 3),
        "no curved way in Monaco?"
    );
    for (e, inner) in shape.iter().enumerate() {
        let mut pts = vec![net.pos[net.edge_from[e] as usize]];
        pts.extend_from_slice(inner);
        pts.push(net.pos[net.fwd.head[e] as usize]);
        let along: f64 = pts
            .windows(2)
            .map(|w| net.projection.distance_m(w[0], w[1]))
            .sum();
        assert!(
            (along - net.edge_len_m[e]).abs() <= 1e-6 * along.max(1.0),
            "edge {e}"
        );
        assert_eq!(net.edge_points_m(EdgeId(e as u32)).len(), pts.len());
    }
    // A damaged shape file is ignored: straight edges, no error.
    let sp = shape_path(&pbf_path);
    let mut bytes = std::fs::read(&sp).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&sp, bytes).unwrap();
    let (net2, _) = load(&pbf_path, &OsmOptions::default(), false).unwrap();
    assert!(net2.edge_shape.is_none());
    assert_eq!(net2.fwd.head, net.fwd.head);

    // The CSVs and the extract itself give the same network to a scenario.
    let station = "[[stations]]\nname = \"Port\"\nlon = 7.4246\nlat = 43.7347\nunits = 2\n";
    let rest = "[demand]\ncalls_per_hour = 3\n[simulation]\nhorizon_s = 7200\n";
    let csv = write(
        &d,
        "csv.toml",
        &format!(
            "[network]\nnodes = \"city/nodes.csv\"\nedges = \"city/edges.csv\"\n{station}{rest}"
        ),
    );
    let pbf = write(
        &d,
        "pbf.toml",
        &format!("[network]\nosm = \"monaco.osm.pbf\"\n{station}{rest}"),
    );
    let a = patrolsim::scenario::load::from_path(&csv).unwrap();
    let b = patrolsim::scenario::load::from_path(&pbf).unwrap();
    assert_eq!(a.net.node_count(), b.net.node_count());
    assert_eq!(a.net.fwd.head, b.net.fwd.head);
    assert_eq!(a.net.ext_id, b.net.ext_id);
    assert_eq!(a.stations[0].node, b.stations[0].node);
    for (x, y) in a.net.fwd.time_s.iter().zip(&b.net.fwd.time_s) {
        assert!((x - y).abs() <= 1e-9 * x.max(1.0));
    }
    // And it runs.
    let o = run_in(&d, &["run", "pbf.toml", "--out", "res"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_file_that_is_not_a_pbf_is_rejected_with_exit_code_2() {
    let d = temp_dir("osm-bad");
    write(&d, "bad.osm.pbf", "this is not a protocol buffer\n");
    let o = run_in(&d, &["import", "osm", "bad.osm.pbf"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("bad.osm.pbf"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    // Through a scenario, the message names the field too.
    write(
        &d,
        "s.toml",
        "[network]\nosm = \"bad.osm.pbf\"\n[[stations]]\nname = \"A\"\nnode = 1\n[demand]\ncalls_per_hour = 1\n",
    );
    let o = run_in(&d, &["check", "s.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("network.osm") && err.contains("bad.osm.pbf"),
        "{err}"
    );
}

#[test]
fn a_missing_extract_is_rejected_with_exit_code_2() {
    let d = temp_dir("osm-missing");
    let o = run_in(&d, &["import", "osm", "nowhere.osm.pbf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nowhere.osm.pbf"));
}
