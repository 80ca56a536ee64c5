//! The dispatch model on hand-built graphs, where every time can be worked
//! out by hand (see docs/model.md).

use std::path::Path;

use patrolsim::metrics::CallRecord;
use patrolsim::scenario::load;
use patrolsim::sim;

use crate::common::{temp_dir, write};

/// A line 1 - 2 - 3 - 4 - 5, 100 m per edge at 36 km/h: 10 s per edge both ways.
fn line(dir: &Path) {
    write(
        dir,
        "nodes.csv",
        "id,x,y\n1,0,0\n2,100,0\n3,200,0\n4,300,0\n5,400,0\n",
    );
    write(
        dir,
        "edges.csv",
        "u,v,length,speed_kph\n1,2,100,36\n2,3,100,36\n3,4,100,36\n4,5,100,36\n",
    );
}

fn scenario(dir: &Path, stations: &str, calls: &str) -> Vec<CallRecord> {
    line(dir);
    write(dir, "calls.csv", calls);
    let text = format!(
        r#"
[network]
nodes = "nodes.csv"
edges = "edges.csv"
undirected = true
coordinates = "planar"
{stations}
[demand]
replay = "calls.csv"
[dispatch]
call_handling_s = 60
[simulation]
horizon_s = 3600
"#
    );
    let path = write(dir, "s.toml", &text);
    let scn = load::from_path(&path).unwrap();
    let prep = sim::Prepared::new(&scn);
    sim::run(&scn, &prep, 0).unwrap().calls.to_vec()
}

const ONE_STATION: &str = "[[stations]]\nname = \"West\"\nnode = 1\nunits = 1\n";

#[test]
fn single_call_times_follow_the_model() {
    let d = temp_dir("engine-single");
    let r = scenario(
        &d,
        ONE_STATION,
        "id,time_s,node,priority,service_s\n7,0,5,1,100\n",
    );
    assert_eq!(r.len(), 1);
    let c = &r[0];
    // Dispatchable at 60; 4 edges of 10 s; 100 s on scene.
    assert_eq!((c.dispatch_s, c.arrive_s, c.clear_s), (60.0, 100.0, 200.0));
    assert_eq!((c.wait_s, c.travel_s, c.response_s), (0.0, 40.0, 100.0));
    assert!(c.met_target);
    assert_eq!(c.station, "West");
}

#[test]
fn returning_unit_is_dispatched_from_mid_edge_with_the_time_left_on_it() {
    let d = temp_dir("engine-midedge");
    // The unit clears node 5 at 200 and drives home: node 4 at 210, node 3 at 220.
    // Call 2 becomes dispatchable at 155 + 60 = 215, when the unit is half-way
    // from 4 to 3 with 5 s left: it reaches node 3 at 220.
    let r = scenario(
        &d,
        ONE_STATION,
        "id,time_s,node,priority,service_s\n1,0,5,1,100\n2,155,3,1,30\n",
    );
    let c = &r[1];
    assert_eq!(c.dispatch_s, 215.0);
    assert_eq!(c.travel_s, 5.0);
    assert_eq!(c.arrive_s, 220.0);
    assert_eq!(c.response_s, 65.0);
    assert_eq!(c.clear_s, 250.0);
}

#[test]
fn busy_unit_goes_straight_from_the_scene_to_the_queue_head() {
    let d = temp_dir("engine-queue");
    // Calls 2 and 3 arrive while the only unit is on scene at node 5
    // (100 .. 200). Call 3 has the higher priority, so it is served first,
    // straight from node 5 (2 edges to node 3), then call 2 at node 4.
    let r = scenario(
        &d,
        ONE_STATION,
        "id,time_s,node,priority,service_s\n1,0,5,2,100\n2,10,4,2,50\n3,20,3,1,50\n",
    );
    let (c2, c3) = (&r[1], &r[2]);
    assert_eq!(
        (c3.dispatch_s, c3.arrive_s, c3.clear_s),
        (200.0, 220.0, 270.0)
    );
    assert!(c3.queued);
    assert_eq!(c3.wait_s, 200.0 - 80.0);
    assert_eq!(
        (c2.dispatch_s, c2.arrive_s, c2.clear_s),
        (270.0, 280.0, 330.0)
    );
    assert_eq!(c2.response_s, 270.0);
    assert!(c2.met_target); // 270 s <= 300 s
}

#[test]
fn nearest_available_unit_wins_and_ties_go_to_the_lower_unit() {
    let d = temp_dir("engine-nearest");
    let stations = "[[stations]]\nname = \"West\"\nnode = 1\nunits = 1\n\
                    [[stations]]\nname = \"East\"\nnode = 5\nunits = 1\n";
    // Call 1 at node 4: East (10 s) beats West (30 s).
    // Call 2 at node 3 while East is busy: West takes it.
    // Call 3 at node 3 when both are home: equal times (20 s); unit 0 (West) wins.
    let r = scenario(
        &d,
        stations,
        "id,time_s,node,priority,service_s\n1,0,4,1,1000\n2,10,3,1,10\n3,2000,3,1,10\n",
    );
    assert_eq!((r[0].unit, r[0].station.as_str()), (1, "East"));
    assert_eq!((r[1].unit, r[1].station.as_str()), (0, "West"));
    assert_eq!(r[1].travel_s, 20.0);
    assert_eq!((r[2].unit, r[2].travel_s), (0, 20.0));
}

#[test]
fn replayed_calls_without_service_time_draw_it_per_replication() {
    let d = temp_dir("engine-replay-service");
    line(&d);
    write(
        &d,
        "calls.csv",
        "id,time_s,node,service_s\n1,0,5,\n2,5000,3,77\n",
    );
    let text = format!(
        "[network]\nnodes = \"nodes.csv\"\nedges = \"edges.csv\"\nundirected = true\n\
         coordinates = \"planar\"\n{ONE_STATION}\n[demand]\nreplay = \"calls.csv\"\n"
    );
    let scn = load::from_path(&write(&d, "s.toml", &text)).unwrap();
    let prep = sim::Prepared::new(&scn);
    let a = sim::run(&scn, &prep, 0).unwrap().calls.to_vec();
    let b = sim::run(&scn, &prep, 1).unwrap().calls.to_vec();
    let a2 = sim::run(&scn, &prep, 0).unwrap().calls.to_vec();
    let service = |r: &CallRecord| r.clear_s - r.arrive_s;
    assert_eq!(a, a2);
    assert!(service(&a[0]) > 0.0);
    assert_ne!(service(&a[0]), service(&b[0]));
    // A given service time is kept as it is.
    assert_eq!((service(&a[1]), service(&b[1])), (77.0, 77.0));
}
