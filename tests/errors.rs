//! Bad input: every malformed or inconsistent file gives exit code 2 and one
//! line on stderr, `error: ...`, naming the file and the field (and for CSV
//! the line, for TOML syntax the line and column), never a panic.
//!
//! Each test starts from the valid grid of [`common::grid_csv`] and
//! [`common::grid_scenario`] and breaks one thing.

use std::path::{Path, PathBuf};

use crate::common;

/// The station block of [`common::grid_scenario`].
const STATION: &str = "[[stations]]\nname = \"A\"\nnode = 1\nunits = 2\n";

/// A fresh directory holding the valid grid network.
fn grid_dir(name: &str) -> PathBuf {
    let dir = common::temp_dir(&format!("errors-{name}"));
    common::grid_csv(&dir);
    dir
}

/// The grid scenario with `from` replaced by `to` (which must occur).
fn scenario_with(from: &str, to: &str) -> String {
    let base = common::grid_scenario("");
    assert!(base.contains(from), "the base scenario has no `{from}`");
    base.replacen(from, to, 1)
}

/// The grid scenario replaying `calls.csv` instead of a Poisson rate.
fn replay_scenario() -> String {
    scenario_with("calls_per_hour = 4", "replay = \"calls.csv\"")
}

/// Append rows to a file written earlier.
fn append(dir: &Path, name: &str, rows: &str) {
    let p = dir.join(name);
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str(rows);
    std::fs::write(&p, text).unwrap();
}

/// Replace `from` with `to` in a file written earlier.
fn edit(dir: &Path, name: &str, from: &str, to: &str) {
    let p = dir.join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{name} has no `{from}`");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

/// Run `args` in `dir` and check the bad-input contract: exit code 2, nothing
/// on stdout, one line on stderr starting with `error: ` that contains every
/// one of `needles`, and no panic. Returns that line.
fn fails(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let out = common::run_in(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code for {args:?}\nstderr: {stderr}\nstdout: {stdout}"
    );
    assert!(stdout.is_empty(), "stdout should be empty: {stdout}");
    let line = stderr.strip_suffix('\n').unwrap_or(&stderr);
    assert!(
        !line.contains('\n'),
        "more than one line on stderr:\n{stderr}"
    );
    assert!(line.starts_with("error: "), "no `error: ` prefix: {line}");
    for n in needles {
        assert!(line.contains(n), "`{n}` missing from: {line}");
    }
    line.to_string()
}

/// Write `scenario` as `s.toml` into `dir` and run `patrolsim check` on it.
fn check_fails(dir: &Path, scenario: &str, needles: &[&str]) -> String {
    common::write(dir, "s.toml", scenario);
    fails(dir, &["check", "s.toml"], needles)
}

/// Run `patrolsim check s.toml` in `dir` and expect success.
fn check_passes(dir: &Path) {
    let out = common::run_in(dir, &["check", "s.toml"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// --- the bases are valid, so each failure below comes from the one change.

#[test]
fn the_valid_bases_pass_check() {
    let dir = grid_dir("valid");
    common::write(&dir, "s.toml", &common::grid_scenario(""));
    check_passes(&dir);
    common::write(&dir, "s.toml", &replay_scenario());
    common::write(
        &dir,
        "calls.csv",
        "id,time_s,node,priority,service_s\n1,60,6,1,600\n2,120,16,1,600\n",
    );
    check_passes(&dir);
}

// --- missing files.

#[test]
fn missing_scenario_file_is_rejected() {
    let dir = common::temp_dir("errors-missing-scenario");
    fails(
        &dir,
        &["check", "nowhere.toml"],
        &["nowhere.toml", "cannot read"],
    );
}

#[test]
fn missing_scenario_file_is_rejected_by_run() {
    let dir = common::temp_dir("errors-missing-scenario-run");
    fails(
        &dir,
        &["run", "nowhere.toml", "--out", "out"],
        &["nowhere.toml", "cannot read"],
    );
    assert!(!dir.join("out").exists(), "no output on bad input");
}

#[test]
fn missing_nodes_csv_is_rejected() {
    let dir = grid_dir("missing-nodes");
    std::fs::remove_file(dir.join("nodes.csv")).unwrap();
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["s.toml", "network.nodes", "nodes.csv", "cannot read"],
    );
}

#[test]
fn missing_edges_csv_is_rejected() {
    let dir = grid_dir("missing-edges");
    check_fails(
        &dir,
        &scenario_with("edges = \"edges.csv\"", "edges = \"roads.csv\""),
        &["s.toml", "network.edges", "roads.csv", "cannot read"],
    );
}

#[test]
fn missing_replay_file_is_rejected() {
    let dir = grid_dir("missing-replay");
    check_fails(
        &dir,
        &replay_scenario(),
        &["s.toml", "demand.replay", "calls.csv", "cannot read"],
    );
}

// --- TOML syntax and schema.

#[test]
fn toml_syntax_error_gives_line_and_column() {
    let dir = grid_dir("toml-syntax");
    let base = common::grid_scenario("");
    let line = base.lines().count() + 1;
    // The second `=` is the error: column 8.
    let text = format!("{base}oops = = 1\n");
    check_fails(&dir, &text, &[&format!("s.toml:{line}:8:")]);
}

#[test]
fn unclosed_string_gives_line_and_column() {
    let dir = grid_dir("toml-unclosed");
    // Line 1 is `name = "grid`: the string runs to the end of the line (column 13).
    check_fails(
        &dir,
        &scenario_with("name = \"grid\"", "name = \"grid"),
        &["s.toml:1:13:", "string"],
    );
}

#[test]
fn empty_scenario_file_is_rejected() {
    let dir = grid_dir("toml-empty");
    check_fails(&dir, "", &["s.toml:1:1:", "network"]);
}

#[test]
fn unknown_key_is_rejected_with_its_path() {
    let dir = grid_dir("unknown-key");
    let base = common::grid_scenario("");
    let line = base.lines().count() + 1;
    let text = common::grid_scenario("horizon_h = 10\n");
    check_fails(
        &dir,
        &text,
        &[
            &format!("s.toml:{line}:1:"),
            "simulation.horizon_h",
            "unknown key",
        ],
    );
}

#[test]
fn unknown_station_key_is_rejected_with_its_path() {
    let dir = grid_dir("unknown-station-key");
    check_fails(
        &dir,
        &scenario_with("units = 2", "unit = 2"),
        &["s.toml:", "stations.unit", "unknown key"],
    );
}

#[test]
fn unknown_section_is_rejected() {
    let dir = grid_dir("unknown-section");
    check_fails(
        &dir,
        &common::grid_scenario("[dispach]\ncall_handling_s = 30\n"),
        &["s.toml:", "dispach", "unknown key"],
    );
}

#[test]
fn negative_units_are_a_type_error_naming_the_field() {
    let dir = grid_dir("units-negative");
    check_fails(
        &dir,
        &scenario_with("units = 2", "units = -1"),
        &["s.toml:11:9:", "stations.units"],
    );
}

#[test]
fn rate_given_as_text_is_a_type_error_naming_the_field() {
    let dir = grid_dir("rate-text");
    check_fails(
        &dir,
        &scenario_with("calls_per_hour = 4", "calls_per_hour = \"four\""),
        &["s.toml:", "demand.calls_per_hour"],
    );
}

#[test]
fn unknown_service_distribution_is_rejected() {
    let dir = grid_dir("service-unknown");
    check_fails(
        &dir,
        &common::grid_scenario(
            "[service]\non_scene = [{ distribution = \"gamma\", mean_s = 600 }]\n",
        ),
        &["s.toml:", "service.on_scene", "gamma"],
    );
}

// --- out-of-range numbers.

#[test]
fn negative_calls_per_hour_is_rejected() {
    let dir = grid_dir("rate-negative");
    check_fails(
        &dir,
        &scenario_with("calls_per_hour = 4", "calls_per_hour = -4"),
        &["s.toml", "demand.calls_per_hour", "-4"],
    );
}

#[test]
fn nan_calls_per_hour_is_rejected() {
    let dir = grid_dir("rate-nan");
    check_fails(
        &dir,
        &scenario_with("calls_per_hour = 4", "calls_per_hour = nan"),
        &["s.toml", "demand.calls_per_hour", "NaN"],
    );
}

#[test]
fn infinite_calls_per_hour_is_rejected() {
    let dir = grid_dir("rate-inf");
    check_fails(
        &dir,
        &scenario_with("calls_per_hour = 4", "calls_per_hour = inf"),
        &["s.toml", "demand.calls_per_hour"],
    );
}

#[test]
fn negative_default_speed_is_rejected() {
    let dir = grid_dir("speed-negative");
    check_fails(
        &dir,
        &scenario_with("unit_m = 1.0", "unit_m = 1.0\ndefault_speed_kph = -30"),
        &["s.toml", "network.default_speed_kph", "-30"],
    );
}

#[test]
fn nan_default_speed_is_rejected() {
    let dir = grid_dir("speed-nan");
    check_fails(
        &dir,
        &scenario_with("unit_m = 1.0", "unit_m = 1.0\ndefault_speed_kph = nan"),
        &["s.toml", "network.default_speed_kph", "NaN"],
    );
}

#[test]
fn negative_unit_m_is_rejected() {
    let dir = grid_dir("unit-negative");
    check_fails(
        &dir,
        &scenario_with("unit_m = 1.0", "unit_m = -1.0"),
        &["s.toml", "network.unit_m"],
    );
}

#[test]
fn negative_service_time_is_rejected() {
    let dir = grid_dir("service-negative");
    check_fails(
        &dir,
        &common::grid_scenario(
            "[service]\non_scene = [{ distribution = \"exponential\", mean_s = -600 }]\n",
        ),
        &["s.toml", "service.on_scene[0].mean_s"],
    );
}

#[test]
fn lognormal_spread_too_large_is_rejected() {
    // Used to slip through and stop the run with an internal error (exit 1).
    let dir = grid_dir("service-lognormal-huge");
    check_fails(
        &dir,
        &common::grid_scenario(
            "[service]\n\
             on_scene = [{ distribution = \"lognormal\", mean_s = 1e-300, sd_s = 1e300 }]\n",
        ),
        &["s.toml", "service.on_scene[0].sd_s"],
    );
}

#[test]
fn warmup_not_below_horizon_is_rejected() {
    let dir = grid_dir("warmup");
    check_fails(
        &dir,
        &common::grid_scenario("warmup_s = 36000\n"),
        &["s.toml", "simulation.warmup_s", "horizon_s"],
    );
}

#[test]
fn compliance_above_one_is_rejected() {
    let dir = grid_dir("compliance");
    check_fails(
        &dir,
        &common::grid_scenario("[targets]\ncompliance = 1.5\n"),
        &["s.toml", "targets.compliance", "1.5"],
    );
}

#[test]
fn hotspot_share_above_one_is_rejected() {
    let dir = grid_dir("hotspot-share");
    check_fails(
        &dir,
        &scenario_with(
            "calls_per_hour = 4",
            "calls_per_hour = 4\nhotspot_share = 2",
        ),
        &["s.toml", "demand.hotspot_share"],
    );
}

// --- demand.

#[test]
fn hourly_profile_without_24_values_is_rejected() {
    let dir = grid_dir("profile-short");
    check_fails(
        &dir,
        &scenario_with(
            "calls_per_hour = 4",
            "calls_per_hour = 4\nhourly_profile = [1.0, 2.0, 3.0]",
        ),
        &["s.toml", "demand.hourly_profile", "24", "got 3"],
    );
}

#[test]
fn hourly_profile_with_a_negative_value_is_rejected() {
    let dir = grid_dir("profile-negative");
    let mut p = vec!["1"; 24];
    p[5] = "-1";
    check_fails(
        &dir,
        &scenario_with(
            "calls_per_hour = 4",
            &format!("calls_per_hour = 4\nhourly_profile = [{}]", p.join(", ")),
        ),
        &["s.toml", "demand.hourly_profile[5]"],
    );
}

#[test]
fn hourly_profile_too_large_to_add_up_is_rejected() {
    // Used to scale every hour to 0 and silently generate no calls.
    let dir = grid_dir("profile-huge");
    let mut p = vec!["0"; 24];
    p[0] = "1e308";
    p[1] = "1e308";
    check_fails(
        &dir,
        &scenario_with(
            "calls_per_hour = 4",
            &format!("calls_per_hour = 4\nhourly_profile = [{}]", p.join(", ")),
        ),
        &["s.toml", "demand.hourly_profile"],
    );
}

#[test]
fn neither_rate_nor_replay_is_rejected() {
    let dir = grid_dir("demand-empty");
    check_fails(
        &dir,
        &scenario_with("calls_per_hour = 4", ""),
        &["s.toml", "demand.calls_per_hour"],
    );
}

#[test]
fn both_rate_and_replay_are_rejected() {
    let dir = grid_dir("demand-both");
    check_fails(
        &dir,
        &scenario_with(
            "calls_per_hour = 4",
            "calls_per_hour = 4\nreplay = \"calls.csv\"",
        ),
        &["s.toml", "demand.replay"],
    );
}

#[test]
fn wrong_number_of_service_distributions_is_rejected() {
    let dir = grid_dir("service-count");
    let text = common::grid_scenario(
        "[service]\n\
         on_scene = [{ distribution = \"fixed\", mean_s = 600 },\
                     { distribution = \"fixed\", mean_s = 900 }]\n",
    );
    check_fails(&dir, &text, &["s.toml", "service.on_scene", "got 2"]);
}

#[test]
fn node_weights_on_a_synthetic_network_are_rejected() {
    let dir = common::temp_dir("errors-node-weights-synthetic");
    let text = "[network]\nsynthetic = { rows = 5, cols = 5 }\n\n\
                [[stations]]\nname = \"A\"\nnode = 0\n\n\
                [demand]\ncalls_per_hour = 4\nnode_weights = \"population\"\n";
    check_fails(&dir, text, &["s.toml", "demand.node_weights", "synthetic"]);
}

#[test]
fn node_weights_column_missing_from_nodes_csv_is_rejected() {
    let dir = grid_dir("node-weights-missing");
    check_fails(
        &dir,
        &scenario_with(
            "calls_per_hour = 4",
            "calls_per_hour = 4\nnode_weights = \"population\"",
        ),
        &["nodes.csv", "line 1", "population", "missing column"],
    );
}

#[test]
fn negative_node_weight_is_rejected() {
    let dir = grid_dir("node-weight-negative");
    edit(&dir, "nodes.csv", "id,x,y\n", "id,x,y,population\n");
    let nodes = std::fs::read_to_string(dir.join("nodes.csv")).unwrap();
    let mut out: Vec<String> = Vec::new();
    for (i, l) in nodes.lines().enumerate() {
        match i {
            0 => out.push(l.to_string()),
            3 => out.push(format!("{l},-5")),
            _ => out.push(format!("{l},1")),
        }
    }
    common::write(&dir, "nodes.csv", &(out.join("\n") + "\n"));
    check_fails(
        &dir,
        &scenario_with(
            "calls_per_hour = 4",
            "calls_per_hour = 4\nnode_weights = \"population\"",
        ),
        &["nodes.csv", "line 4", "population", "-5"],
    );
}

// --- stations and hotspots.

#[test]
fn station_with_zero_units_is_rejected() {
    let dir = grid_dir("units-zero");
    check_fails(
        &dir,
        &scenario_with("units = 2", "units = 0"),
        &["s.toml", "stations[0].units", "`A`"],
    );
}

#[test]
fn scenario_without_stations_is_rejected() {
    let dir = grid_dir("no-stations");
    check_fails(&dir, &scenario_with(STATION, ""), &["s.toml", "stations"]);
}

#[test]
fn duplicate_station_names_are_rejected() {
    let dir = grid_dir("dup-station");
    let text = common::grid_scenario("[[stations]]\nname = \"A\"\nnode = 16\n");
    check_fails(&dir, &text, &["s.toml", "stations[1].name", "`A`"]);
}

#[test]
fn duplicate_hotspot_names_are_rejected() {
    let dir = grid_dir("dup-hotspot");
    let text = common::grid_scenario(
        "[[hotspots]]\nname = \"school\"\nnode = 6\n\n[[hotspots]]\nname = \"school\"\nnode = 7\n",
    );
    check_fails(&dir, &text, &["s.toml", "hotspots[1].name", "`school`"]);
}

#[test]
fn station_off_the_map_is_rejected() {
    let dir = grid_dir("station-off-map");
    check_fails(
        &dir,
        &scenario_with("node = 1\n", "x = 5000\ny = 5000\n"),
        &["s.toml", "stations[0]", "`A`", "off the map"],
    );
}

#[test]
fn station_at_unknown_node_is_rejected() {
    let dir = grid_dir("station-unknown-node");
    check_fails(
        &dir,
        &scenario_with("node = 1\n", "node = 99\n"),
        &["s.toml", "stations[0].node", "99"],
    );
}

#[test]
fn station_with_both_node_and_coordinates_is_rejected() {
    let dir = grid_dir("station-both");
    check_fails(
        &dir,
        &scenario_with("node = 1\n", "node = 1\nx = 0\ny = 0\n"),
        &["s.toml", "stations[0].node", "not both"],
    );
}

#[test]
fn station_with_only_one_coordinate_is_rejected() {
    let dir = grid_dir("station-half");
    check_fails(
        &dir,
        &scenario_with("node = 1\n", "x = 0\n"),
        &["s.toml", "stations[0]", "`A`"],
    );
}

#[test]
fn station_with_longitude_out_of_range_is_rejected() {
    // 360 degrees east of a node is the same place on the sphere, so this
    // used to snap silently.
    let dir = common::temp_dir("errors-station-lon-range");
    common::write(
        &dir,
        "nodes.csv",
        "osmid,x,y\n1,116.400,39.900\n2,116.401,39.900\n3,116.401,39.901\n4,116.400,39.901\n",
    );
    common::write(&dir, "edges.csv", "u,v\n1,2\n2,3\n3,4\n4,1\n");
    let text = "[network]\nnodes = \"nodes.csv\"\nedges = \"edges.csv\"\n\n\
                [[stations]]\nname = \"A\"\nlon = 476.4\nlat = 39.9\n\n\
                [demand]\ncalls_per_hour = 4\n";
    check_fails(&dir, text, &["s.toml", "stations[0].lon", "476.4"]);
}

#[test]
fn hotspot_off_the_map_is_rejected() {
    let dir = grid_dir("hotspot-off-map");
    let text = common::grid_scenario("[[hotspots]]\nname = \"mall\"\nx = -3000\ny = 150\n");
    check_fails(
        &dir,
        &text,
        &["s.toml", "hotspots[0]", "`mall`", "off the map"],
    );
}

#[test]
fn station_at_a_node_dropped_from_the_graph_is_rejected() {
    let dir = grid_dir("station-dropped-node");
    append(&dir, "nodes.csv", "17,400,300\n");
    append(&dir, "edges.csv", "16,17,100,36\n");
    check_fails(
        &dir,
        &scenario_with("node = 1\n", "node = 17\n"),
        &["s.toml", "stations[0].node", "17"],
    );
}

// --- the network.

#[test]
fn unit_m_with_lonlat_coordinates_is_rejected() {
    let dir = grid_dir("unit-lonlat");
    check_fails(
        &dir,
        &scenario_with("coordinates = \"planar\"", "coordinates = \"lonlat\""),
        &["s.toml", "network.unit_m", "planar"],
    );
}

#[test]
fn network_without_edges_file_is_rejected() {
    let dir = grid_dir("no-edges-key");
    check_fails(
        &dir,
        &scenario_with("edges = \"edges.csv\"\n", ""),
        &["s.toml", "network"],
    );
}

#[test]
fn nodes_csv_without_rows_is_rejected() {
    let dir = grid_dir("nodes-empty");
    common::write(&dir, "nodes.csv", "id,x,y\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["nodes.csv", "line 1", "`id`", "no nodes"],
    );
}

#[test]
fn edges_csv_without_rows_is_rejected() {
    let dir = grid_dir("edges-empty");
    common::write(&dir, "edges.csv", "u,v,length,speed_kph\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["edges.csv", "line 1", "`u`", "no edges"],
    );
}

#[test]
fn completely_empty_nodes_csv_is_rejected() {
    let dir = grid_dir("nodes-blank");
    common::write(&dir, "nodes.csv", "");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["nodes.csv", "line 1", "empty"],
    );
}

#[test]
fn graph_with_no_strongly_connected_part_is_rejected() {
    // One-way streets only: no node can reach another and come back, so the
    // graph shrinks to a single node. Used to run on that single node.
    let dir = grid_dir("graph-one-way");
    common::write(
        &dir,
        "edges.csv",
        "u,v,length,speed_kph\n1,2,100,36\n2,3,100,36\n3,4,100,36\n",
    );
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["s.toml", "network.edges", "edges.csv", "strongly connected"],
    );
}

#[test]
fn graph_of_self_loops_is_rejected_by_run() {
    let dir = grid_dir("graph-self-loops");
    common::write(
        &dir,
        "edges.csv",
        "u,v,length,speed_kph\n1,1,100,36\n2,2,100,36\n",
    );
    common::write(&dir, "s.toml", &common::grid_scenario(""));
    fails(
        &dir,
        &["run", "s.toml", "--out", "out"],
        &["s.toml", "network.edges", "edges.csv"],
    );
    assert!(!dir.join("out").exists(), "no output on bad input");
}

#[test]
fn duplicate_node_ids_are_rejected() {
    let dir = grid_dir("dup-node");
    append(&dir, "nodes.csv", "7,999,999\n");
    // Header + 16 nodes: the duplicate is line 18.
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["nodes.csv", "line 18", "`id`", "duplicate", "7"],
    );
}

#[test]
fn nodes_csv_missing_a_column_is_rejected() {
    let dir = grid_dir("nodes-no-y");
    common::write(&dir, "nodes.csv", "id,x\n1,0\n2,100\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["nodes.csv", "line 1", "`y`", "missing column"],
    );
}

#[test]
fn nodes_csv_missing_the_id_column_is_rejected() {
    let dir = grid_dir("nodes-no-id");
    common::write(&dir, "nodes.csv", "node,x,y\n1,0,0\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["nodes.csv", "line 1", "`osmid`", "missing column"],
    );
}

#[test]
fn edges_csv_missing_a_column_is_rejected() {
    let dir = grid_dir("edges-no-v");
    common::write(&dir, "edges.csv", "u,length\n1,100\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["edges.csv", "line 1", "`v`", "missing column"],
    );
}

#[test]
fn unparsable_coordinate_names_the_line() {
    let dir = grid_dir("nodes-bad-x");
    // Line 3 is node 2.
    edit(&dir, "nodes.csv", "\n2,100,0\n", "\n2,1OO,0\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["nodes.csv", "line 3", "`x`", "1OO"],
    );
}

#[test]
fn empty_coordinate_cell_names_the_line() {
    let dir = grid_dir("nodes-empty-y");
    edit(&dir, "nodes.csv", "\n2,100,0\n", "\n2,100,\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["nodes.csv", "line 3", "`y`", "empty"],
    );
}

#[test]
fn non_integer_node_id_names_the_line() {
    let dir = grid_dir("nodes-bad-id");
    edit(&dir, "nodes.csv", "\n2,100,0\n", "\ntwo,100,0\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["nodes.csv", "line 3", "`id`", "two"],
    );
}

#[test]
fn lonlat_node_out_of_range_names_the_line() {
    let dir = grid_dir("nodes-lat-range");
    check_fails(
        &dir,
        &scenario_with(
            "coordinates = \"planar\"\nunit_m = 1.0",
            "coordinates = \"lonlat\"",
        ),
        // Line 4 is node 3 at (200, 0): longitude 200.
        &["nodes.csv", "line 4", "`x`", "longitude 200"],
    );
}

#[test]
fn unparsable_speed_names_the_line() {
    let dir = grid_dir("edges-bad-speed");
    // Line 2 is the first edge, 1 -> 2.
    edit(&dir, "edges.csv", "\n1,2,100,36\n", "\n1,2,100,fast\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["edges.csv", "line 2", "`speed_kph`", "fast"],
    );
}

#[test]
fn negative_edge_length_names_the_line() {
    let dir = grid_dir("edges-negative-length");
    edit(&dir, "edges.csv", "\n1,2,100,36\n", "\n1,2,-100,36\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["edges.csv", "line 2", "`length`", "-100"],
    );
}

#[test]
fn nan_edge_length_names_the_line() {
    let dir = grid_dir("edges-nan-length");
    edit(&dir, "edges.csv", "\n1,2,100,36\n", "\n1,2,NaN,36\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["edges.csv", "line 2", "`length`", "NaN"],
    );
}

#[test]
fn zero_edge_speed_names_the_line() {
    let dir = grid_dir("edges-zero-speed");
    edit(&dir, "edges.csv", "\n1,2,100,36\n", "\n1,2,100,0\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["edges.csv", "line 2", "`speed_kph`"],
    );
}

#[test]
fn edge_to_an_unknown_node_names_the_line() {
    let dir = grid_dir("edges-unknown-node");
    edit(&dir, "edges.csv", "\n1,2,100,36\n", "\n1,42,100,36\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["edges.csv", "line 2", "`v`", "42", "nodes.csv"],
    );
}

#[test]
fn edge_with_infinite_travel_time_is_rejected() {
    let dir = grid_dir("edges-inf-time");
    edit(&dir, "edges.csv", "\n1,2,100,36\n", "\n1,2,1e308,1e-300\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["s.toml", "network.edges", "edges.csv", "travel time"],
    );
}

#[test]
fn short_csv_row_names_the_line() {
    let dir = grid_dir("edges-short-row");
    edit(&dir, "edges.csv", "\n1,2,100,36\n", "\n1,2,100\n");
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["edges.csv", "line 2", "3 fields", "4"],
    );
}

#[test]
fn invalid_utf8_in_csv_names_the_line_and_column() {
    let dir = grid_dir("edges-utf8");
    let mut bytes = b"u,v,length,speed_kph,name\n1,2,100,36,".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\n2,1,100,36,x\n");
    std::fs::write(dir.join("edges.csv"), bytes).unwrap();
    check_fails(
        &dir,
        &common::grid_scenario(""),
        &["edges.csv", "line 2", "`name`", "UTF-8"],
    );
}

// --- replayed calls.

#[test]
fn call_at_a_node_no_station_can_reach_is_rejected() {
    // Node 17 is only reachable one way (16 -> 17): it is not in the largest
    // strongly connected component, so it is dropped and no unit could come
    // back from it.
    let dir = grid_dir("replay-unreachable");
    append(&dir, "nodes.csv", "17,400,300\n");
    append(&dir, "edges.csv", "16,17,100,36\n");
    common::write(
        &dir,
        "calls.csv",
        "id,time_s,node,priority,service_s\n1,60,6,1,600\n2,120,17,1,600\n",
    );
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 3", "`node`", "17", "strongly connected"],
    );
}

#[test]
fn call_at_a_node_no_station_can_reach_is_rejected_by_run() {
    let dir = grid_dir("replay-unreachable-run");
    append(&dir, "nodes.csv", "17,400,300\n");
    append(&dir, "edges.csv", "16,17,100,36\n");
    common::write(
        &dir,
        "calls.csv",
        "id,time_s,node,priority,service_s\n1,60,17,1,600\n",
    );
    common::write(&dir, "s.toml", &replay_scenario());
    fails(
        &dir,
        &["run", "s.toml", "--out", "out"],
        &["calls.csv", "line 2", "`node`", "17"],
    );
    assert!(!dir.join("out").exists(), "no output on bad input");
}

#[test]
fn replay_row_with_unknown_node_is_rejected() {
    let dir = grid_dir("replay-unknown-node");
    common::write(
        &dir,
        "calls.csv",
        "id,time_s,node,priority,service_s\n1,60,6,1,600\n2,120,999,1,600\n",
    );
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 3", "`node`", "999"],
    );
}

#[test]
fn replay_with_duplicate_call_ids_is_rejected() {
    let dir = grid_dir("replay-dup-id");
    common::write(
        &dir,
        "calls.csv",
        "id,time_s,node,priority,service_s\n1,60,6,1,600\n2,90,7,1,600\n1,120,8,1,600\n",
    );
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 4", "`id`", "duplicate", "1"],
    );
}

#[test]
fn replay_missing_a_column_is_rejected() {
    let dir = grid_dir("replay-no-time");
    common::write(&dir, "calls.csv", "id,node\n1,6\n");
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 1", "`time_s`", "missing column"],
    );
}

#[test]
fn replay_without_location_columns_is_rejected() {
    let dir = grid_dir("replay-no-place");
    common::write(&dir, "calls.csv", "id,time_s,priority\n1,60,1\n");
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 1", "missing column"],
    );
}

#[test]
fn replay_with_unparsable_time_names_the_line() {
    let dir = grid_dir("replay-bad-time");
    common::write(
        &dir,
        "calls.csv",
        "id,time_s,node,priority,service_s\n1,60,6,1,600\n2,noon,7,1,600\n",
    );
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 3", "`time_s`", "noon"],
    );
}

#[test]
fn replay_with_negative_service_time_names_the_line() {
    let dir = grid_dir("replay-negative-service");
    common::write(
        &dir,
        "calls.csv",
        "id,time_s,node,priority,service_s\n1,60,6,1,-600\n",
    );
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 2", "`service_s`", "-600"],
    );
}

#[test]
fn replay_with_priority_zero_names_the_line() {
    let dir = grid_dir("replay-priority-zero");
    common::write(
        &dir,
        "calls.csv",
        "id,time_s,node,priority,service_s\n1,60,6,0,600\n",
    );
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 2", "`priority`"],
    );
}

#[test]
fn replay_row_with_empty_node_cell_is_rejected() {
    // Without x/y columns this used to read the id as coordinates.
    let dir = grid_dir("replay-empty-node");
    common::write(&dir, "calls.csv", "id,time_s,node\n1,60,6\n2,90,\n");
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 3", "`node`", "empty"],
    );
}

#[test]
fn replay_call_off_the_map_names_the_line() {
    let dir = grid_dir("replay-off-map");
    common::write(
        &dir,
        "calls.csv",
        "id,time_s,x,y\n1,60,100,100\n2,90,9000,9000\n",
    );
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 3", "`x`", "off the map"],
    );
}

#[test]
fn replay_without_calls_is_rejected() {
    let dir = grid_dir("replay-empty");
    common::write(&dir, "calls.csv", "id,time_s,node\n");
    check_fails(
        &dir,
        &replay_scenario(),
        &["calls.csv", "line 1", "`id`", "no calls"],
    );
}

#[test]
fn replay_with_every_call_after_the_horizon_is_rejected() {
    let dir = grid_dir("replay-after-horizon");
    common::write(&dir, "calls.csv", "id,time_s,node\n1,40000,5\n2,50000,6\n");
    check_fails(
        &dir,
        &replay_scenario(),
        &["s.toml", "demand.replay", "calls.csv", "horizon_s"],
    );
}

#[test]
fn undirected_on_a_synthetic_network_is_rejected() {
    let dir = common::temp_dir("errors-undirected-synthetic");
    let text = "[network]\nsynthetic = { rows = 5, cols = 5 }\nundirected = true\n\n\
                [[stations]]\nname = \"A\"\nnode = 0\n\n\
                [demand]\ncalls_per_hour = 4\n";
    check_fails(&dir, text, &["s.toml", "network.undirected"]);
}

#[test]
fn node_weights_column_that_is_empty_everywhere_is_rejected() {
    let dir = grid_dir("node-weights-empty");
    edit(&dir, "nodes.csv", "id,x,y\n", "id,x,y,population\n");
    let nodes = std::fs::read_to_string(dir.join("nodes.csv")).unwrap();
    let padded: String = nodes
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                format!("{l},\n")
            }
        })
        .collect();
    common::write(&dir, "nodes.csv", &padded);
    check_fails(
        &dir,
        &scenario_with(
            "calls_per_hour = 4",
            "calls_per_hour = 4\nnode_weights = \"population\"",
        ),
        &["s.toml", "demand.node_weights", "empty"],
    );
}

#[test]
fn call_rate_too_large_for_one_run_is_rejected() {
    let dir = grid_dir("too-many-calls");
    check_fails(
        &dir,
        &scenario_with("calls_per_hour = 4", "calls_per_hour = 1e9"),
        &["s.toml", "demand.calls_per_hour", "calls"],
    );
}

#[test]
fn too_many_units_are_rejected() {
    let dir = grid_dir("too-many-units");
    check_fails(
        &dir,
        &scenario_with("units = 2", "units = 4000000000"),
        &["s.toml", "stations", "units"],
    );
}

/// The grid scenario with one hotspot and the given `[[patrols]]` text.
fn patrol_scenario(patrols: &str) -> String {
    common::grid_scenario(&format!(
        "[[hotspots]]\nname = \"H\"\nnode = 16\n\n{patrols}"
    ))
}

#[test]
fn patrol_with_unknown_station_is_rejected() {
    let dir = grid_dir("patrol-unknown-station");
    check_fails(
        &dir,
        &patrol_scenario("[[patrols]]\nname = \"P\"\nstation = \"Nowhere\"\nwaypoints = [\"H\"]\n"),
        &["s.toml", "patrols[0].station", "Nowhere"],
    );
}

#[test]
fn patrol_with_unknown_waypoint_is_rejected() {
    let dir = grid_dir("patrol-unknown-waypoint");
    check_fails(
        &dir,
        &patrol_scenario(
            "[[patrols]]\nname = \"P\"\nstation = \"A\"\nwaypoints = [\"H\", \"Mall\"]\n",
        ),
        &["s.toml", "patrols[0].waypoints[1]", "Mall"],
    );
}

#[test]
fn patrol_without_waypoints_is_rejected() {
    let dir = grid_dir("patrol-no-waypoints");
    check_fails(
        &dir,
        &patrol_scenario("[[patrols]]\nname = \"P\"\nstation = \"A\"\n"),
        &["s.toml", "patrols[0].waypoints"],
    );
}

#[test]
fn patrol_with_zero_units_is_rejected() {
    let dir = grid_dir("patrol-zero-units");
    check_fails(
        &dir,
        &patrol_scenario(
            "[[patrols]]\nname = \"P\"\nstation = \"A\"\nunits = 0\nwaypoints = [\"H\"]\n",
        ),
        &["s.toml", "patrols[0].units"],
    );
}

#[test]
fn duplicate_patrol_names_are_rejected() {
    let dir = grid_dir("patrol-duplicate");
    let p = "[[patrols]]\nname = \"P\"\nstation = \"A\"\nwaypoints = [\"H\"]\n";
    check_fails(
        &dir,
        &patrol_scenario(&format!("{p}\n{p}")),
        &["s.toml", "patrols[1].name", "duplicate"],
    );
}

#[test]
fn auto_patrol_with_waypoints_is_rejected() {
    let dir = grid_dir("patrol-auto-waypoints");
    check_fails(
        &dir,
        &patrol_scenario("[[patrols]]\nname = \"P\"\nauto = true\nwaypoints = [\"H\"]\n"),
        &["s.toml", "patrols[0].auto"],
    );
}

#[test]
fn patrol_waypoint_off_the_map_is_rejected() {
    let dir = grid_dir("patrol-waypoint-off-map");
    check_fails(
        &dir,
        &patrol_scenario(
            "[[patrols]]\nname = \"P\"\nstation = \"A\"\nwaypoints = [\"H\", { x = 5000, y = 5000 }]\n",
        ),
        &["s.toml", "patrols[0].waypoints[1]", "snap_max_m"],
    );
}

#[test]
fn unknown_rejoin_rule_is_rejected() {
    let dir = grid_dir("patrol-bad-rejoin");
    check_fails(
        &dir,
        &patrol_scenario(
            "[[patrols]]\nname = \"P\"\nstation = \"A\"\nwaypoints = [\"H\"]\nrejoin = \"teleport\"\n",
        ),
        &["s.toml", "rejoin"],
    );
}

#[test]
fn zero_presence_radius_is_rejected() {
    let dir = grid_dir("presence-radius");
    check_fails(
        &dir,
        &common::grid_scenario("[targets]\npresence_radius_m = 0\n"),
        &["s.toml", "targets.presence_radius_m"],
    );
}

#[test]
fn patrols_design_without_hotspots_is_rejected() {
    let dir = grid_dir("design-no-hotspots");
    common::write(&dir, "s.toml", &common::grid_scenario(""));
    fails(
        &dir,
        &["patrols", "design", "s.toml"],
        &["s.toml", "hotspots"],
    );
}
