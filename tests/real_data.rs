//! Real data from `../shared/data/` (skipped with a message when absent).
//!
//! CUMCM 2011 problem B, district A: 92 intersections, 20 police platforms,
//! a 1:100,000 map in millimetres (1 unit = 100 m), police cars at 60 km/h,
//! and a 3-minute response standard. Loading it exercises planar coordinates,
//! undirected edge lists without lengths, and node weights from a column.

use patrolsim::analysis::coverage::Coverage;
use patrolsim::scenario::load;

use crate::common::{shared_data, temp_dir, write};

#[test]
fn cumcm_district_a_platform_coverage() {
    let Some(src) = shared_data("cumcm2011b") else {
        eprintln!("skipped: ../shared/data/cumcm2011b is not present");
        return;
    };
    let d = temp_dir("cumcm-a");
    // District A only: nodes 1..=92 and the roads between them.
    let nodes = std::fs::read_to_string(src.join("nodes.csv")).unwrap();
    let a_nodes: String = nodes
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.split(',').nth(3) == Some("A"))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let roads = std::fs::read_to_string(src.join("roads.csv")).unwrap();
    let in_a = |s: &str| s.parse::<u32>().is_ok_and(|v| (1..=92).contains(&v));
    let a_roads: String = roads
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.split(',').all(in_a))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    write(&d, "nodes.csv", &a_nodes);
    write(&d, "edges.csv", &a_roads);
    let stations: String = (1..=20)
        .map(|i| format!("[[stations]]\nname = \"A{i}\"\nnode = {i}\n"))
        .collect();
    let text = format!(
        r#"
[network]
nodes = "nodes.csv"
edges = "edges.csv"
undirected = true
coordinates = "planar"
unit_m = 100
default_speed_kph = 60
[demand]
calls_per_hour = 5.1875
node_weights = "incident_rate"
[dispatch]
call_handling_s = 0
[targets]
response_s = 180
{stations}"#
    );
    let path = write(&d, "a.toml", &text);
    let scn = load::from_path(&path).unwrap();
    assert_eq!(scn.net.node_count(), 92);
    assert_eq!(scn.net.edge_count(), 2 * 140);
    let cov = Coverage::of(&scn, 92);
    let late: Vec<i64> = cov
        .worst
        .iter()
        .filter(|p| p.time_s > 180.0)
        .map(|p| p.node)
        .collect();
    let mut late_sorted = late.clone();
    late_sorted.sort();
    // The intersections of district A that no platform reaches within 3 km.
    assert_eq!(late_sorted, vec![28, 29, 38, 39, 61, 92], "late: {late:?}");
    // Demand weights come from the incident_rate column (district A: 124.5 a day).
    let p28 = scn.demand.spatial.prob[scn.net.node_by_ext(28).unwrap().idx()];
    let rate28: f64 = a_nodes
        .lines()
        .nth(28)
        .unwrap()
        .split(',')
        .nth(4)
        .unwrap()
        .parse()
        .unwrap();
    assert!((p28 - rate28 / 124.5).abs() < 1e-12);
}
