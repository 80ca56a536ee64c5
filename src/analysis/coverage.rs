//! Static coverage: how far every node is from its nearest station.
//!
//! One multi-source Dijkstra from all station nodes gives each node's travel
//! time from the nearest station and which station that is. From it follow
//! the share of nodes, and of expected calls (weighted by the demand model),
//! within the response target, with and without the call-handling time taken
//! off the budget. It assumes the nearest station always has a free unit;
//! the simulation is what checks that.

use serde::Serialize;

use crate::routing::nearest_source_times;
use crate::scenario::Scenario;

/// Coverage of one station's catchment.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Catchment {
    /// Station name.
    pub station: String,
    /// Nodes this station reaches first.
    pub nodes: usize,
    /// Share of expected calls in its catchment.
    pub demand_share: f64,
    /// Longest travel time within its catchment, seconds.
    pub max_time_s: f64,
}

/// A badly served node.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Place {
    /// Node id in the source.
    pub node: i64,
    /// Coordinates in the source's system.
    pub pos: [f64; 2],
    /// Travel time from the nearest station, seconds.
    pub time_s: f64,
}

/// Static coverage of a layout.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Coverage {
    /// Response target, seconds.
    pub target_s: f64,
    /// Call handling time, seconds.
    pub call_handling_s: f64,
    /// Share of nodes within `target_s` of travel from the nearest station.
    pub nodes_within_target: f64,
    /// Share of expected calls within `target_s` of travel.
    pub demand_within_target: f64,
    /// Share of nodes within `target_s - call_handling_s` of travel.
    pub nodes_within_budget: f64,
    /// Share of expected calls within `target_s - call_handling_s` of travel.
    pub demand_within_budget: f64,
    /// Demand-weighted mean travel time from the nearest station, seconds.
    pub mean_time_s: f64,
    /// Per station.
    pub catchments: Vec<Catchment>,
    /// The worst-served nodes, slowest first.
    pub worst: Vec<Place>,
    /// Travel time from the nearest station for every node, seconds.
    #[serde(skip)]
    pub time_s: Vec<f64>,
}

impl Coverage {
    /// Compute the coverage of a scenario's stations; list the `worst` slowest nodes.
    pub fn of(scn: &Scenario, worst: usize) -> Coverage {
        let net = &scn.net;
        let sources: Vec<_> = scn.stations.iter().map(|s| s.node).collect();
        let (time, owner) = nearest_source_times(net, &sources);
        let prob = &scn.demand.spatial.prob;
        let target = scn.targets.response_s;
        let budget = target - scn.call_handling_s;
        let n = net.node_count() as f64;
        let (mut nt, mut dt, mut nb, mut db, mut mean) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut catch: Vec<Catchment> = scn
            .stations
            .iter()
            .map(|s| Catchment {
                station: s.name.clone(),
                nodes: 0,
                demand_share: 0.0,
                max_time_s: 0.0,
            })
            .collect();
        for (v, &t) in time.iter().enumerate() {
            if t <= target {
                nt += 1.0;
                dt += prob[v];
            }
            if t <= budget {
                nb += 1.0;
                db += prob[v];
            }
            mean += prob[v] * t;
            if let Some(c) = catch.get_mut(owner[v] as usize) {
                c.nodes += 1;
                c.demand_share += prob[v];
                c.max_time_s = c.max_time_s.max(t);
            }
        }
        let mut order: Vec<usize> = (0..time.len()).collect();
        order.sort_by(|&a, &b| time[b].total_cmp(&time[a]).then(a.cmp(&b)));
        let worst = order
            .into_iter()
            .take(worst)
            .map(|v| Place {
                node: net.ext_id[v],
                pos: net.pos[v],
                time_s: time[v],
            })
            .collect();
        Coverage {
            target_s: target,
            call_handling_s: scn.call_handling_s,
            nodes_within_target: nt / n,
            demand_within_target: dt,
            nodes_within_budget: nb / n,
            demand_within_budget: db,
            mean_time_s: mean,
            catchments: catch,
            worst,
            time_s: time,
        }
    }
}
