//! Scenarios: the TOML schema ([`file`]) and the resolved, validated
//! [`Scenario`] that the rest of patrolsim consumes ([`load`]).
//!
//! A resolved scenario owns its frozen network, stations and hotspots snapped
//! to nodes, the demand model, service distributions, targets and run
//! parameters. Everything in it has been checked; downstream code does not
//! re-validate.

pub mod file;
pub mod load;

use std::path::PathBuf;
use std::sync::Arc;

use crate::demand::Demand;
use crate::network::{Network, NodeId};
pub use file::{
    HotspotKind, Rejoin, RouterKind, ScenarioFile, ServiceDist, SimulationSection, TargetsSection,
};

/// The scenario shipped with patrolsim and run by `patrolsim demo`.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");

/// A station resolved to a node.
#[derive(Clone, Debug)]
pub struct Station {
    /// Unique name.
    pub name: String,
    /// Node it sits at.
    pub node: NodeId,
    /// Distance from the given coordinates to the node, metres (0 when given by node).
    pub snap_m: f64,
    /// Units based here.
    pub units: u32,
}

/// A must-patrol place resolved to a node.
#[derive(Clone, Debug)]
pub struct Hotspot {
    /// Unique name.
    pub name: String,
    /// Kind of place.
    pub kind: HotspotKind,
    /// Node it sits at.
    pub node: NodeId,
    /// Distance from the given coordinates to the node, metres.
    pub snap_m: f64,
    /// Relative weight in the hotspot part of demand.
    pub weight: f64,
    /// Longest allowed gap between patrol passes, seconds.
    pub revisit_s: f64,
}

/// A waypoint of a patrol loop, resolved to a node.
#[derive(Clone, Debug)]
pub struct Waypoint {
    /// Node it sits at.
    pub node: NodeId,
    /// The hotspot it is, if any (index into the scenario's hotspots).
    pub hotspot: Option<usize>,
    /// Hotspot or station name, or the coordinates as written.
    pub label: String,
}

/// A patrol loop resolved to nodes.
#[derive(Clone, Debug)]
pub struct Patrol {
    /// Unique name.
    pub name: String,
    /// Home station (index into the scenario's stations).
    pub station: usize,
    /// Units driving the loop.
    pub units: u32,
    /// Waypoints in driving order; the loop closes from the last to the first.
    pub waypoints: Vec<Waypoint>,
    /// Where a unit goes after a call.
    pub rejoin: Rejoin,
    /// The least urgent priority its units are sent to (0: none; 255: all).
    pub max_priority: u8,
}

/// What a unit is: a station's response unit or a patrol unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitSpec {
    /// Home station.
    pub station: usize,
    /// The loop it drives, for patrol units.
    pub patrol: Option<usize>,
}

/// A resolved scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Where it came from, for messages.
    pub path: PathBuf,
    /// Name shown in reports.
    pub name: String,
    /// The file as written (after defaults).
    pub file: ScenarioFile,
    /// The road network.
    pub net: Arc<Network>,
    /// Stations in file order.
    pub stations: Vec<Station>,
    /// Hotspots in file order.
    pub hotspots: Vec<Hotspot>,
    /// Patrol loops (explicit ones in file order, then designed ones).
    pub patrols: Vec<Patrol>,
    /// Demand model.
    pub demand: Demand,
    /// On-scene time distribution per priority (index 0 = priority 1).
    pub service: Vec<ServiceDist>,
    /// Call to dispatchable, seconds.
    pub call_handling_s: f64,
    /// Which router answers the simulation's shortest-path queries.
    pub router: RouterKind,
    /// Where the network's routing preprocessing is cached (beside the
    /// network's source file, or the scenario file for a synthetic city);
    /// `None`: kept in memory only.
    pub ch_cache: Option<PathBuf>,
    /// Targets.
    pub targets: TargetsSection,
    /// Horizon, warm-up, seed.
    pub sim: SimulationSection,
}

impl Scenario {
    /// Total number of units.
    pub fn unit_count(&self) -> usize {
        self.stations
            .iter()
            .map(|s| s.units as usize)
            .sum::<usize>()
            + self.patrols.iter().map(|p| p.units as usize).sum::<usize>()
    }

    /// Every unit, in index order: the stations' response units station by
    /// station in file order, then the patrol units loop by loop.
    pub fn units(&self) -> Vec<UnitSpec> {
        let mut out = Vec::with_capacity(self.unit_count());
        for (i, s) in self.stations.iter().enumerate() {
            out.extend(std::iter::repeat_n(
                UnitSpec {
                    station: i,
                    patrol: None,
                },
                s.units as usize,
            ));
        }
        for (i, p) in self.patrols.iter().enumerate() {
            out.extend(std::iter::repeat_n(
                UnitSpec {
                    station: p.station,
                    patrol: Some(i),
                },
                p.units as usize,
            ));
        }
        out
    }

    /// Number of priorities.
    pub fn priorities(&self) -> usize {
        self.demand.priorities
    }

    /// The service distribution of a priority (1-based).
    pub fn service_for(&self, priority: u8) -> &ServiceDist {
        let i = (priority as usize - 1).min(self.service.len() - 1);
        &self.service[i]
    }
}
