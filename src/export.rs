//! GeoJSON export of a scenario: stations, hotspots, patrol loops and the
//! static coverage of every node, as layers that QGIS or kepler.gl open.
//!
//! Coordinates are the network's source coordinates: WGS84 `[lon, lat]` for
//! lon/lat networks (RFC 7946); for planar networks they are the planar
//! `[x, y]` as given, which GIS tools can read in a local projection.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::analysis::coverage::Coverage;
use crate::error::Result;
use crate::network::{NodeId, RoadClass};
use crate::output::{ensure_dir, write_string};
use crate::routing::{nearest_source_times, Search};
use crate::scenario::Scenario;
use crate::sim::patrol::LoopPlan;

fn point(scn: &Scenario, v: NodeId, props: Value) -> Value {
    let p = scn.net.pos[v.idx()];
    json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [p[0], p[1]] },
        "properties": props,
    })
}

fn collection(features: Vec<Value>) -> Value {
    json!({ "type": "FeatureCollection", "features": features })
}

/// The stations layer.
pub fn stations(scn: &Scenario, cov: &Coverage) -> Value {
    collection(
        scn.stations
            .iter()
            .zip(&cov.catchments)
            .map(|(s, c)| {
                point(
                    scn,
                    s.node,
                    json!({
                        "name": s.name,
                        "units": s.units,
                        "node": scn.net.ext_id[s.node.idx()],
                        "snap_m": s.snap_m,
                        "catchment_nodes": c.nodes,
                        "catchment_demand_share": c.demand_share,
                        "farthest_s": c.max_time_s,
                    }),
                )
            })
            .collect(),
    )
}

/// The hotspots layer, with the loops that pass each.
pub fn hotspots(scn: &Scenario) -> Value {
    collection(
        scn.hotspots
            .iter()
            .enumerate()
            .map(|(h, hs)| {
                let loops: Vec<&str> = scn
                    .patrols
                    .iter()
                    .filter(|p| p.waypoints.iter().any(|w| w.hotspot == Some(h)))
                    .map(|p| p.name.as_str())
                    .collect();
                point(
                    scn,
                    hs.node,
                    json!({
                        "name": hs.name,
                        "kind": hs.kind.name(),
                        "weight": hs.weight,
                        "revisit_s": hs.revisit_s,
                        "loops": loops,
                    }),
                )
            })
            .collect(),
    )
}

/// The patrol loops layer: one closed LineString per loop along its legs.
pub fn loops(scn: &Scenario) -> Value {
    let net = &scn.net;
    let mut search = Search::new(net.node_count());
    let target = scn.targets.patrol_loop_s;
    collection(
        scn.patrols
            .iter()
            .map(|p| {
                let plan = LoopPlan::new(net, &mut search, p);
                let mut coords = vec![net.pos[plan.nodes[0].idx()]];
                for leg in &plan.legs {
                    coords.extend(leg.iter().map(|&e| net.pos[net.edge_to(e).idx()]));
                }
                let coords: Vec<[f64; 2]> = if coords.len() < 2 {
                    vec![coords[0], coords[0]]
                } else {
                    coords
                };
                json!({
                    "type": "Feature",
                    "geometry": { "type": "LineString", "coordinates": coords },
                    "properties": {
                        "name": p.name,
                        "station": scn.stations[p.station].name,
                        "units": p.units,
                        "waypoints": p.waypoints.iter().map(|w| w.label.as_str()).collect::<Vec<_>>(),
                        "lap_s": plan.lap_s,
                        "lap_min": plan.lap_s / 60.0,
                        "within_target": plan.lap_s <= target,
                    },
                })
            })
            .collect(),
    )
}

/// The coverage layer: every node with its travel time from the nearest
/// station (and from the nearest point of a loop, when there are loops).
pub fn coverage(scn: &Scenario, cov: &Coverage) -> Value {
    let net = &scn.net;
    let loop_nodes: Vec<NodeId> = {
        let mut search = Search::new(net.node_count());
        let mut v: Vec<NodeId> = scn
            .patrols
            .iter()
            .flat_map(|p| {
                let plan = LoopPlan::new(net, &mut search, p);
                let mut nodes = plan.nodes.clone();
                nodes.extend(plan.legs.iter().flatten().map(|&e| net.edge_to(e)));
                nodes
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let from_loops = (!loop_nodes.is_empty()).then(|| nearest_source_times(net, &loop_nodes).0);
    let (_, owner) = nearest_source_times(
        net,
        &scn.stations.iter().map(|s| s.node).collect::<Vec<_>>(),
    );
    let target = scn.targets.response_s;
    collection(
        (0..net.node_count())
            .map(|v| {
                let t = cov.time_s[v];
                let mut props = json!({
                    "node": net.ext_id[v],
                    "station": scn.stations.get(owner[v] as usize).map(|s| s.name.as_str()),
                    "time_s": (t * 10.0).round() / 10.0,
                    "within_target": t <= target,
                    "within_budget": t <= target - scn.call_handling_s,
                    "demand": scn.demand.spatial.prob[v],
                });
                if let Some(l) = &from_loops {
                    props["loop_time_s"] = json!((l[v] * 10.0).round() / 10.0);
                }
                point(scn, NodeId(v as u32), props)
            })
            .collect(),
    )
}

/// The roads layer: one LineString per road (a two-way street once), with its class and speed.
pub fn roads(scn: &Scenario) -> Value {
    let net = &scn.net;
    let mut features = Vec::new();
    for e in 0..net.edge_count() {
        let (u, v) = (net.edge_from[e], net.fwd.head[e]);
        let two_way = net.fwd.range(v).any(|s| net.fwd.head[s] == u);
        if two_way && u > v {
            continue;
        }
        let class = net.edge_class[e];
        let mut coords = vec![net.pos[u as usize]];
        if let Some(shape) = &net.edge_shape {
            coords.extend_from_slice(&shape[e]);
        }
        coords.push(net.pos[v as usize]);
        features.push(json!({
            "type": "Feature",
            "geometry": { "type": "LineString", "coordinates": coords },
            "properties": {
                "class": if class == RoadClass::Other { "other" } else { class.name() },
                "length_m": (net.edge_len_m[e] * 10.0).round() / 10.0,
                "speed_kph": (net.edge_len_m[e] / net.fwd.time_s[e] * 3.6 * 10.0).round() / 10.0,
                "oneway": !two_way,
            },
        }));
    }
    collection(features)
}

/// Write every layer into `dir`; returns the files written.
pub fn write_geojson(dir: &Path, scn: &Scenario) -> Result<Vec<PathBuf>> {
    ensure_dir(dir)?;
    let cov = Coverage::of(scn, 0);
    let layers = [
        ("stations.geojson", stations(scn, &cov)),
        ("hotspots.geojson", hotspots(scn)),
        ("loops.geojson", loops(scn)),
        ("coverage.geojson", coverage(scn, &cov)),
        ("roads.geojson", roads(scn)),
    ];
    let mut out = Vec::new();
    for (name, value) in layers {
        let path = dir.join(name);
        write_string(&path, &(value.to_string() + "\n"))?;
        out.push(path);
    }
    Ok(out)
}
