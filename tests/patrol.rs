//! Patrol loops on a hand-built graph where every lap, position and gap can
//! be worked out by hand.
//!
//! A one-way square 1 -> 2 -> 3 -> 4 -> 1: planar coordinates (0,0),
//! (100,0), (100,100), (0,100); edges of 10, 10, 15 and 15 s. A spur 4 <-> 5
//! of 1,000 s each way holds the station, far from everything. Hotspot A is
//! at node 1 and B at node 3; the loop [A, B] drives 1 -> 2 -> 3 (20 s) and
//! 3 -> 4 -> 1 (30 s): a lap of 50 s.

use std::path::Path;

use patrolsim::metrics::{CallRecord, Outcome};
use patrolsim::scenario::{load, Scenario};
use patrolsim::sim::events::{Observer, SimEvent};
use patrolsim::sim::units::{Loc, Route};
use patrolsim::sim::{self, Engine, Prepared};

use crate::common::{temp_dir, write};

fn square(dir: &Path, calls: &str, extra: &str) -> Scenario {
    write(
        dir,
        "nodes.csv",
        "id,x,y\n1,0,0\n2,100,0\n3,100,100\n4,0,100\n5,-1000,100\n",
    );
    write(
        dir,
        "edges.csv",
        "u,v,length,travel_time\n1,2,100,10\n2,3,100,10\n3,4,100,15\n4,1,100,15\n4,5,1000,1000\n5,4,1000,1000\n",
    );
    write(dir, "calls.csv", calls);
    let text = format!(
        r#"
[network]
nodes = "nodes.csv"
edges = "edges.csv"
coordinates = "planar"

[[stations]]
name = "Far"
node = 5

[[hotspots]]
name = "A"
node = 1

[[hotspots]]
name = "B"
kind = "hospital"
node = 3

[[patrols]]
name = "Square"
station = "Far"
waypoints = ["A", "B"]
{extra}
[demand]
replay = "calls.csv"

[dispatch]
call_handling_s = 60

[targets]
patrol_loop_s = 60

[simulation]
horizon_s = 1000
"#
    );
    load::from_path(&write(dir, "s.toml", &text)).unwrap()
}

fn run(scn: &Scenario) -> Outcome {
    let prep = Prepared::new(scn);
    sim::run(scn, &prep, 0).unwrap()
}

/// A drive: a route, or undisturbed loop driving `(loop, phase_s)` (see
/// `Observer::looping`).
enum Drive {
    Route(Route),
    Loop(u32, f64),
}

/// Records every drive, to ask where a unit was at any time.
#[derive(Default)]
struct Drives(Vec<(f64, u32, Drive)>, Vec<(f64, SimEvent)>);

impl Observer for Drives {
    fn event(&mut self, t: f64, ev: &SimEvent) {
        self.1.push((t, *ev));
    }
    fn route(&mut self, t: f64, unit: u32, route: &Route) {
        self.0.push((t, unit, Drive::Route(route.clone())));
    }
    fn looping(&mut self, t: f64, unit: u32, patrol: u32, phase_s: f64) {
        self.0.push((t, unit, Drive::Loop(patrol, phase_s)));
    }
}

fn position(scn: &Scenario, prep: &Prepared, d: &Drives, unit: u32, t: f64) -> [f64; 2] {
    let (since, _, drive) =
        d.0.iter()
            .rfind(|(s, u, _)| *u == unit && *s <= t)
            .expect("the unit has driven");
    let net = &scn.net;
    match drive {
        Drive::Route(r) => r.locate(net, t).position(net),
        Drive::Loop(p, phase) => {
            let plan = &prep.loops[*p as usize];
            let at = plan.pos_at(plan.offset_at(*phase, *since, t));
            let edge = plan.lap_edges[at.edge];
            let loc = if at.rem_s > 0.0 {
                Loc::OnEdge {
                    edge,
                    rem_s: at.rem_s,
                }
            } else {
                Loc::AtNode(net.edge_to(edge))
            };
            loc.position(net)
        }
    }
}

/// Every waypoint pass of `unit` as `(time, waypoint)`, in time order: pass
/// events and the passes implied by loop driving (strictly after it starts
/// and before the unit's next drive, or up to `end`).
fn passes(prep: &Prepared, d: &Drives, unit: u32, end: f64) -> Vec<(f64, u32)> {
    let mut out: Vec<(f64, u32)> =
        d.1.iter()
            .filter_map(|(t, e)| match e {
                SimEvent::PatrolPass {
                    unit: u, waypoint, ..
                } if *u == unit => Some((*t, *waypoint)),
                _ => None,
            })
            .collect();
    let mine: Vec<&(f64, u32, Drive)> = d.0.iter().filter(|(_, u, _)| *u == unit).collect();
    for (i, (since, _, drive)) in mine.iter().enumerate() {
        let Drive::Loop(p, phase) = drive else {
            continue;
        };
        let until = mine.get(i + 1).map_or(end, |next| next.0);
        let plan = &prep.loops[*p as usize];
        for (w, off) in plan.wp_offset_s.iter().enumerate() {
            let base = since + (off - phase).rem_euclid(plan.lap_s);
            let mut k = 0.0;
            loop {
                let x = base + k * plan.lap_s;
                if x > until || (x == until && until < end) {
                    break;
                }
                if x > *since {
                    out.push((x, w as u32));
                }
                k += 1.0;
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

#[test]
fn loop_lap_time_and_positions_are_exact() {
    let d = temp_dir("patrol-positions");
    // One call at the far station's node, answered by the station unit.
    let scn = square(&d, "id,time_s,node,service_s\n1,500,5,10\n", "");
    let prep = Prepared::new(&scn);
    assert_eq!(prep.loops[0].leg_s, vec![20.0, 30.0]);
    assert_eq!(prep.loops[0].lap_s, 50.0);
    let calls = scn.demand.calls(&scn.service, 1, 0, scn.sim.horizon_s);
    let drives = Engine::new(&scn, &prep, &calls, Drives::default())
        .run()
        .unwrap();
    // Unit 1 is the patrol unit (unit 0 is the station's).
    let at = |t: f64, want: [f64; 2]| {
        let p = position(&scn, &prep, &drives, 1, t);
        assert!(
            (p[0] - want[0]).abs() < 1e-9 && (p[1] - want[1]).abs() < 1e-9,
            "at {t} s: {p:?}, want {want:?}"
        );
    };
    at(5.0, [50.0, 0.0]);
    at(20.0, [100.0, 100.0]);
    at(27.5, [50.0, 100.0]);
    at(62.0, [100.0, 20.0]);
    at(1000.0, [0.0, 0.0]);
    at(992.5, [0.0, 50.0]);
    // It passes B at 20, 70, 120, ... and A at 50, 100, ..., 1000.
    let passes = passes(&prep, &drives, 1, scn.sim.horizon_s);
    assert_eq!(passes[..4], [(20.0, 1), (50.0, 0), (70.0, 1), (100.0, 0)]);
    assert_eq!(passes.len(), 40);
    assert_eq!(passes.last(), Some(&(1000.0, 0)));
}

#[test]
fn undisturbed_loop_gaps_equal_the_lap() {
    let d = temp_dir("patrol-gaps");
    let out = run(&square(&d, "id,time_s,node,service_s\n1,500,5,10\n", ""));
    let s = &out.summary;
    let l = &s.loops[0];
    assert_eq!(l.static_lap_s, 50.0);
    assert_eq!(l.laps.n, 19); // passes of A at 50, 100, ..., 1000
    assert_eq!((l.laps.mean, l.laps.max), (Some(50.0), Some(50.0)));
    assert!(l.meets);
    for h in &s.hotspots {
        assert_eq!(h.loops, 1);
        assert_eq!(h.gaps_s.max, Some(50.0), "{}", h.name);
        assert_eq!(h.gaps_s.p50, Some(50.0), "{}", h.name);
        assert_eq!(h.gaps_within_revisit, Some(1.0));
        assert!(h.meets);
    }
    // A: passes at 50..=1000 (20), the first 50 s and none after: longest 50.
    assert_eq!(s.hotspots[0].passes, 20);
    assert_eq!(s.hotspots[0].longest_without_s, 50.0);
    assert_eq!(s.patrol.meets, Some(true));
    // The call went to the station unit.
    assert_eq!(out.calls.get(0).unwrap().unit_kind, "station");
}

#[test]
fn patrol_unit_is_dispatched_from_mid_edge_and_resumes_its_loop() {
    let d = temp_dir("patrol-dispatch");
    // The call at node 3 becomes dispatchable at 45 + 60 = 105. The patrol
    // unit left A at 100 and is half-way along 1 -> 2 (5 s left): it reaches
    // 2 at 110 and 3 at 120. The station unit is over 1,000 s away.
    let out = run(&square(&d, "id,time_s,node,service_s\n1,45,3,30\n", ""));
    let c: &CallRecord = &out.calls.get(0).unwrap();
    assert_eq!(
        (c.unit, c.unit_kind, c.patrol.as_str()),
        (1, "patrol", "Square")
    );
    assert_eq!((c.dispatch_s, c.arrive_s, c.clear_s), (105.0, 120.0, 150.0));
    assert_eq!(c.response_s, 75.0);
    // It was heading for B (node 3) and is there: it passes B at 150 and A
    // at 180, so the lap from 100 to 180 took 80 s, over the 60 s target.
    let l = &out.summary.loops[0];
    assert_eq!(l.laps.max, Some(80.0));
    assert_eq!(l.laps.n, 18);
    let b = &out.summary.hotspots[1];
    // B passes: 20, 70, then 150 (not 120), then every 50 s up to 1,000:
    // 20 passes, 19 gaps, one of them 80 s.
    assert_eq!(b.passes, 20);
    assert_eq!(b.gaps_s.max, Some(80.0));
    assert_eq!(b.gaps_within_revisit, Some(18.0 / 19.0));
}

#[test]
fn a_single_waypoint_loop_is_a_post_with_constant_presence() {
    let d = temp_dir("patrol-post");
    let text = "[[patrols]]\nname = \"Post\"\nstation = \"Far\"\nwaypoints = [\"B\"]\n";
    let out = run(&square(&d, "id,time_s,node,service_s\n1,500,5,10\n", text));
    let s = &out.summary;
    let post = &s.loops[1];
    assert_eq!(post.static_lap_s, 0.0);
    assert!(post.meets);
    // B has a unit standing on it all the time.
    assert_eq!(s.hotspots[1].presence, 1.0);
    assert_eq!(s.hotspots[1].longest_without_s, 0.0);
    assert!(s.hotspots[1].meets);
}

#[test]
fn presence_counts_time_within_the_radius() {
    let d = temp_dir("patrol-presence");
    // Radius 50 m around A (0,0): the patrol unit is within it for the last
    // 7.5 s of 4 -> 1 (15 s over 100 m) and the first 5 s of 1 -> 2: 12.5 s
    // of every 50 s lap, a quarter of the time. Likewise at B (last 5 s of
    // 2 -> 3, first 7.5 s of 3 -> 4). The station unit stays far away.
    let mut scn = square(&d, "id,time_s,node,service_s\n1,500,5,10\n", "");
    scn.targets.presence_radius_m = 50.0;
    let out = run(&scn);
    for h in &out.summary.hotspots {
        assert!(
            (h.presence - 0.25).abs() < 1e-9,
            "{}: {}",
            h.name,
            h.presence
        );
    }
    // With a radius that takes in the whole square, someone is always there.
    scn.targets.presence_radius_m = 150.0;
    let out = run(&scn);
    assert!(out
        .summary
        .hotspots
        .iter()
        .all(|h| (h.presence - 1.0).abs() < 1e-9));
}

#[test]
fn rejoin_resume_and_nearest_differ_as_documented() {
    // The call at node 4 is dispatchable at 105; the patrol unit (heading for
    // B) drives 5 s to node 2, then 2 -> 3 -> 4: arrival 135, clear 165.
    // resume: back to B (4 -> 1 -> 2 -> 3, 35 s) at 200, A at 230: a lap of 130 s.
    // nearest: A (15 s) at 180, so the lap 100 -> 180 is 80 s; then B at 200.
    let calls = "id,time_s,node,service_s\n1,45,4,30\n";
    let d = temp_dir("patrol-rejoin-resume");
    let resume = run(&square(&d, calls, ""));
    let d = temp_dir("patrol-rejoin-nearest");
    let nearest = run(&square(&d, calls, "rejoin = \"nearest\"\n"));
    for out in [&resume, &nearest] {
        let c = &out.calls.get(0).unwrap();
        assert_eq!(
            (c.unit_kind, c.arrive_s, c.clear_s),
            ("patrol", 135.0, 165.0)
        );
    }
    assert_eq!(resume.summary.loops[0].laps.max, Some(130.0));
    assert_eq!(resume.summary.loops[0].rejoin, "resume");
    assert_eq!(nearest.summary.loops[0].laps.max, Some(80.0));
    assert_eq!(nearest.summary.loops[0].rejoin, "nearest");
    // Either way B waits from 70 to 200.
    for out in [&resume, &nearest] {
        assert_eq!(out.summary.hotspots[1].gaps_s.max, Some(130.0));
    }
}

#[test]
fn designed_loops_load_back_from_the_written_fragment() {
    use crate::common::{bin, root};
    let d = temp_dir("patrol-design-roundtrip");
    let default = root().join("scenarios/default.toml");
    let o = bin()
        .args(["patrols", "design", default.to_str().unwrap(), "--out"])
        .arg(&d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("loops"), "{stdout}");

    // The scenario with auto = true ...
    let auto = load::from_path(&default).unwrap();
    // ... and the same scenario with the written fragment in its place.
    let text = std::fs::read_to_string(&default).unwrap();
    let cut = text.find("[[patrols]]").unwrap();
    let fragment = std::fs::read_to_string(d.join("patrols.toml")).unwrap();
    let explicit_path = write(
        &d,
        "explicit.toml",
        &format!("{}\n{fragment}", &text[..cut]),
    );
    let explicit = load::from_path(&explicit_path).unwrap();

    assert!(!auto.patrols.is_empty());
    assert_eq!(auto.patrols.len(), explicit.patrols.len());
    let (pa, pe) = (Prepared::new(&auto), Prepared::new(&explicit));
    let target = auto.targets.patrol_loop_s;
    let mut served = vec![0; auto.hotspots.len()];
    for ((a, e), (la, le)) in auto
        .patrols
        .iter()
        .zip(&explicit.patrols)
        .zip(pa.loops.iter().zip(&pe.loops))
    {
        assert_eq!(a.name, format!("auto: {}", e.name));
        let wa: Vec<&str> = a.waypoints.iter().map(|w| w.label.as_str()).collect();
        let we: Vec<&str> = e.waypoints.iter().map(|w| w.label.as_str()).collect();
        assert_eq!(wa, we);
        assert_eq!(la.lap_s, le.lap_s);
        assert!(la.lap_s <= target, "{}: lap {}", a.name, la.lap_s);
        // Designed loops start at their station.
        assert_eq!(a.waypoints[0].node, auto.stations[a.station].node);
        for w in &a.waypoints {
            if let Some(h) = w.hotspot {
                served[h] += 1;
            }
        }
    }
    // Every hotspot of the default city is on exactly one loop.
    assert!(served.iter().all(|&n| n == 1), "{served:?}");

    // The GeoJSON is a FeatureCollection in lon/lat with one line per loop.
    let geo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("patrols.geojson")).unwrap()).unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let features = geo["features"].as_array().unwrap();
    let lines = features
        .iter()
        .filter(|f| f["geometry"]["type"] == "LineString")
        .count();
    assert_eq!(lines, auto.patrols.len());
    for f in features {
        let g = &f["geometry"]["coordinates"];
        let first = if f["geometry"]["type"] == "Point" {
            g
        } else {
            &g[0]
        };
        let (lon, lat) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
        assert!((114.0..115.0).contains(&lon) && (30.0..31.0).contains(&lat));
    }
}

#[test]
fn patrol_units_only_take_calls_up_to_their_max_priority() {
    // As in the mid-edge case, but the call is priority 2 and the loop's
    // units only leave it for priority 1: the far station unit comes instead
    // (5 -> 4 -> 1 -> 2 -> 3: 1,000 + 15 + 10 + 10 s), and the loop is undisturbed.
    let d = temp_dir("patrol-max-priority");
    let out = run(&square(
        &d,
        "id,time_s,node,priority,service_s\n1,45,3,2,30\n2,500,3,1,30\n",
        "max_priority = 1\n",
    ));
    let (c1, c2) = (&out.calls.get(0).unwrap(), &out.calls.get(1).unwrap());
    assert_eq!((c1.unit_kind, c1.travel_s), ("station", 1035.0));
    // The priority 1 call at 500 (dispatchable at 560) does go to the patrol unit.
    assert_eq!(c2.unit_kind, "patrol");
}

#[test]
fn trace_replays_positions_and_activities() {
    use patrolsim::trace::{Activity, TraceRecorder};
    let d = temp_dir("patrol-trace");
    let scn = square(&d, "id,time_s,node,service_s\n1,45,3,30\n", "");
    let prep = Prepared::new(&scn);
    let calls = scn.demand.calls(&scn.service, 1, 0, scn.sim.horizon_s);
    let homes = scn
        .units()
        .iter()
        .map(|u| scn.stations[u.station].node)
        .collect();
    let patrol = scn.units().iter().map(|u| u.patrol.is_some()).collect();
    let spans: Vec<_> = calls.iter().map(|c| (c.time_s, c.node)).collect();
    let rec = TraceRecorder::new(homes, patrol, &spans, &prep.loops);
    let trace = Engine::new(&scn, &prep, &calls, rec)
        .run()
        .unwrap()
        .finish(scn.sim.horizon_s);
    let at = |u: usize, t: f64| trace.locate(&scn.net, u, t);
    // The station unit never moves.
    assert_eq!(at(0, 500.0), ([-1000.0, 100.0], Activity::Idle));
    // The patrol unit: patrolling, then en route from 105, on scene 120-150,
    // then back on its loop.
    assert_eq!(at(1, 5.0).1, Activity::Patrolling);
    let (p, a) = at(1, 110.0);
    assert_eq!(a, Activity::EnRoute);
    assert!((p[0] - 100.0).abs() < 1e-9 && p[1].abs() < 1e-9, "{p:?}");
    assert_eq!(at(1, 130.0), ([100.0, 100.0], Activity::OnScene));
    assert_eq!(at(1, 165.0).1, Activity::Patrolling);
    // The call is open from 45 until cleared at 150, with a unit on scene from 120.
    assert_eq!(
        trace
            .open_calls(100.0)
            .map(|(_, on)| on)
            .collect::<Vec<_>>(),
        vec![false]
    );
    assert_eq!(
        trace
            .open_calls(125.0)
            .map(|(_, on)| on)
            .collect::<Vec<_>>(),
        vec![true]
    );
    assert_eq!(trace.open_calls(151.0).count(), 0);
}
