//! The scenario file's schema: what a user writes in TOML.
//!
//! Every key is documented here with its unit and default, and mirrored in
//! `docs/scenario.md`. Unknown keys are rejected. Validation of values and
//! resolution against the network happen in [`super::load`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::network::synthetic::SyntheticSpec;

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name shown in reports; default: the file's stem.
    #[serde(default)]
    pub name: Option<String>,
    /// Free text shown in reports.
    #[serde(default)]
    pub description: Option<String>,
    /// The road network.
    pub network: NetworkSection,
    /// Police stations, in file order (the order breaks dispatch ties).
    #[serde(default)]
    pub stations: Vec<StationSpec>,
    /// Must-patrol places; calls may be drawn near them.
    #[serde(default)]
    pub hotspots: Vec<HotspotSpec>,
    /// Patrol loops and the units that drive them.
    #[serde(default)]
    pub patrols: Vec<PatrolSpec>,
    /// Where and when calls happen.
    pub demand: DemandSection,
    /// Time on scene.
    #[serde(default)]
    pub service: ServiceSection,
    /// The dispatch centre.
    #[serde(default)]
    pub dispatch: DispatchSection,
    /// The targets a layout is judged against.
    #[serde(default)]
    pub targets: TargetsSection,
    /// Horizon, warm-up and seed.
    #[serde(default)]
    pub simulation: SimulationSection,
}

/// How node coordinates are given.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Coordinates {
    /// WGS84 lon/lat in degrees (`x` = lon, `y` = lat).
    #[default]
    Lonlat,
    /// A local planar grid; `unit_m` metres per unit.
    Planar,
}

/// `[network]`: one of `synthetic = { ... }` or `nodes` + `edges`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// A generated city (see `docs/scenario.md` for its keys).
    #[serde(default)]
    pub synthetic: Option<SyntheticSpec>,
    /// `nodes.csv` (OSMnx convention: `osmid`/`id`, `x`, `y`), relative to the scenario file.
    #[serde(default)]
    pub nodes: Option<PathBuf>,
    /// `edges.csv` (OSMnx convention: `u`, `v`, `length` m, `speed_kph`, `travel_time` s).
    #[serde(default)]
    pub edges: Option<PathBuf>,
    /// An OpenStreetMap extract (`.osm.pbf`), relative to the scenario file;
    /// a binary cache is kept beside it.
    #[serde(default)]
    pub osm: Option<PathBuf>,
    /// With `osm`: keep `highway=service` roads too. Default false.
    #[serde(default)]
    pub osm_service: bool,
    /// Add the reverse of every edge (for plain undirected road lists). Default false.
    #[serde(default)]
    pub undirected: bool,
    /// `"lonlat"` (default) or `"planar"`.
    #[serde(default)]
    pub coordinates: Coordinates,
    /// Metres per coordinate unit, for `coordinates = "planar"`. Default 1.
    #[serde(default)]
    pub unit_m: Option<f64>,
    /// Speed for edges with neither `speed_kph` nor `travel_time`, km/h. Default 30.
    #[serde(default = "default_speed")]
    pub default_speed_kph: f64,
    /// Farthest a station, hotspot or call may lie from its nearest node, metres. Default 500.
    #[serde(default = "default_snap")]
    pub snap_max_m: f64,
}

fn default_speed() -> f64 {
    30.0
}
fn default_snap() -> f64 {
    500.0
}

/// Where a point is: a node id of the source, or coordinates.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Place {
    /// Node id in the source (OSM id, CSV id, or synthetic index).
    pub node: Option<i64>,
    /// Longitude, degrees (or planar x).
    pub lon: Option<f64>,
    /// Latitude, degrees (or planar y).
    pub lat: Option<f64>,
}

/// `[[stations]]`: a police station with its units.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StationSpec {
    /// Unique name.
    pub name: String,
    /// Node id in the source (OSM id, CSV id, or synthetic index); or give `lon` + `lat`.
    #[serde(default)]
    pub node: Option<i64>,
    /// Longitude, degrees (`x` on planar networks).
    #[serde(default, alias = "x")]
    pub lon: Option<f64>,
    /// Latitude, degrees (`y` on planar networks).
    #[serde(default, alias = "y")]
    pub lat: Option<f64>,
    /// Response units based here (at least 1). Default 1.
    #[serde(default = "one")]
    pub units: u32,
}

fn one() -> u32 {
    1
}

/// Kind of a must-patrol place.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum HotspotKind {
    /// Schools and universities.
    School,
    /// Hospitals.
    Hospital,
    /// Shopping and commercial districts.
    Mall,
    /// Anything else (armed patrol points, stations, squares).
    #[default]
    Other,
}

impl HotspotKind {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            HotspotKind::School => "school",
            HotspotKind::Hospital => "hospital",
            HotspotKind::Mall => "mall",
            HotspotKind::Other => "other",
        }
    }
}

/// `[[hotspots]]`: a must-patrol place.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotSpec {
    /// Unique name.
    pub name: String,
    /// `school`, `hospital`, `mall` or `other` (default).
    #[serde(default)]
    pub kind: HotspotKind,
    /// Node id in the source (OSM id, CSV id, or synthetic index); or give `lon` + `lat`.
    #[serde(default)]
    pub node: Option<i64>,
    /// Longitude, degrees (`x` on planar networks).
    #[serde(default, alias = "x")]
    pub lon: Option<f64>,
    /// Latitude, degrees (`y` on planar networks).
    #[serde(default, alias = "y")]
    pub lat: Option<f64>,
    /// Relative share of the hotspot part of demand drawn near it. Default 1.
    #[serde(default = "one_f")]
    pub weight: f64,
    /// Longest allowed gap between two patrol passes, seconds. Default `targets.patrol_loop_s`.
    #[serde(default)]
    pub revisit_s: Option<f64>,
}

fn one_f() -> f64 {
    1.0
}

/// Where a patrol unit goes after a call, when no call is waiting.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Rejoin {
    /// Back to the waypoint it was heading for when dispatched, then on round
    /// the loop: no waypoint is skipped.
    #[default]
    Resume,
    /// To the loop's waypoint nearest (in travel time) to the scene, then on
    /// round the loop from there: back on patrol soonest.
    Nearest,
}

impl Rejoin {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Rejoin::Resume => "resume",
            Rejoin::Nearest => "nearest",
        }
    }
}

/// A waypoint of a patrol loop: a hotspot or station name, or coordinates.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum WaypointSpec {
    /// The name of a `[[hotspots]]` or `[[stations]]` entry.
    Name(String),
    /// A point: `{ lon = ..., lat = ... }` (or `x`, `y` on planar networks).
    Point {
        /// Longitude, degrees (or planar x).
        #[serde(alias = "x")]
        lon: f64,
        /// Latitude, degrees (or planar y).
        #[serde(alias = "y")]
        lat: f64,
    },
}

/// `[[patrols]]`: a loop driven round and round by its units.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PatrolSpec {
    /// Unique name.
    pub name: String,
    /// Home station (a `[[stations]]` name). Required unless `auto = true`.
    #[serde(default)]
    pub station: Option<String>,
    /// Units driving the loop, spread evenly round it at the start (at least 1).
    /// These come on top of the station's own `units`. Default 1.
    #[serde(default = "one")]
    pub units: u32,
    /// Waypoints in driving order; the loop closes from the last back to the first.
    #[serde(default)]
    pub waypoints: Vec<WaypointSpec>,
    /// Let patrolsim design loops through every hotspot from the stations
    /// (as `patrolsim patrols design` does); `station` and `waypoints` must
    /// then be left out. Default false.
    #[serde(default)]
    pub auto: bool,
    /// Where a unit goes after a call: `"resume"` (default) or `"nearest"`.
    #[serde(default)]
    pub rejoin: Rejoin,
    /// The least urgent priority its units are sent to (1 = only the most
    /// urgent calls; 0 = never taken off the loop). Default: every call.
    #[serde(default)]
    pub max_priority: Option<u8>,
}

/// `[demand]`: a Poisson process (`calls_per_hour`) or a replay of recorded calls.
#[derive(Clone, Debug, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DemandSection {
    /// Mean calls per hour over the day (Poisson). Mutually exclusive with `replay`.
    #[serde(default)]
    pub calls_per_hour: Option<f64>,
    /// 24 relative rates for hours 0..23, scaled so their mean is 1. Default flat.
    #[serde(default)]
    pub hourly_profile: Option<Vec<f64>>,
    /// Shares of priorities 1 (most urgent), 2, ...; normalised. Default `[1.0]`.
    #[serde(default)]
    pub priority_shares: Option<Vec<f64>>,
    /// Share of calls drawn near hotspots (0 to 1); the rest spread over nodes. Default 0.
    #[serde(default)]
    pub hotspot_share: f64,
    /// Radius around a hotspot within which its calls fall, metres. Default 300.
    #[serde(default = "default_radius")]
    pub hotspot_radius_m: f64,
    /// Column of `nodes.csv` with per-node weights for the spread part. Default: uniform.
    #[serde(default)]
    pub node_weights: Option<String>,
    /// `incidents.csv` to replay (`id,time_s,x,y,priority,service_s`; `node` may replace `x,y`).
    #[serde(default)]
    pub replay: Option<PathBuf>,
}

fn default_radius() -> f64 {
    300.0
}

/// A distribution of on-scene time.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "distribution", rename_all = "lowercase", deny_unknown_fields)]
pub enum ServiceDist {
    /// Always `mean_s` seconds.
    Fixed {
        /// Seconds.
        mean_s: f64,
    },
    /// Exponential with mean `mean_s` seconds.
    Exponential {
        /// Seconds.
        mean_s: f64,
    },
    /// Log-normal with mean `mean_s` and standard deviation `sd_s` seconds.
    Lognormal {
        /// Seconds.
        mean_s: f64,
        /// Seconds.
        sd_s: f64,
    },
}

impl ServiceDist {
    /// Mean of the distribution, seconds.
    pub fn mean_s(&self) -> f64 {
        match *self {
            ServiceDist::Fixed { mean_s }
            | ServiceDist::Exponential { mean_s }
            | ServiceDist::Lognormal { mean_s, .. } => mean_s,
        }
    }
}

/// `[service]`: on-scene time per priority.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    /// One distribution for all priorities, or one per priority in order.
    /// Default: lognormal, mean 1,200 s, sd 600 s.
    pub on_scene: Vec<ServiceDist>,
}

impl Default for ServiceSection {
    fn default() -> Self {
        ServiceSection {
            on_scene: vec![ServiceDist::Lognormal {
                mean_s: 1200.0,
                sd_s: 600.0,
            }],
        }
    }
}

/// `[dispatch]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchSection {
    /// Time from the call to the moment it can be dispatched, seconds. Default 60.
    #[serde(default = "default_handling")]
    pub call_handling_s: f64,
    /// How travel times are found: `"ch"` (default; contraction hierarchies,
    /// preprocessed once per network and cached beside it) or `"dijkstra"`
    /// (plain Dijkstra searches; the reference, slower on large cities).
    /// Both give identical results.
    #[serde(default)]
    pub router: RouterKind,
}

/// `dispatch.router`: which shortest-path engine answers the simulation's queries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RouterKind {
    /// Contraction hierarchies with bucket-based nearest-unit queries.
    #[default]
    Ch,
    /// Plain Dijkstra: one bounded search per query.
    Dijkstra,
}

fn default_handling() -> f64 {
    60.0
}

impl Default for DispatchSection {
    fn default() -> Self {
        DispatchSection {
            call_handling_s: default_handling(),
            router: RouterKind::Ch,
        }
    }
}

/// `[targets]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetsSection {
    /// Response-time target (call to arrival on scene), seconds. Default 300.
    #[serde(default = "default_response")]
    pub response_s: f64,
    /// Patrol-loop lap target, seconds. Default 900.
    #[serde(default = "default_loop")]
    pub patrol_loop_s: f64,
    /// Share of calls that must meet `response_s`, and of laps that must close
    /// within `patrol_loop_s` (0 to 1). Default 0.90.
    #[serde(default = "default_compliance")]
    pub compliance: f64,
    /// A unit within this distance of a hotspot counts as police presence there, metres. Default 300.
    #[serde(default = "default_presence")]
    pub presence_radius_m: f64,
}

fn default_presence() -> f64 {
    300.0
}

fn default_response() -> f64 {
    300.0
}
fn default_loop() -> f64 {
    900.0
}
fn default_compliance() -> f64 {
    0.9
}

impl Default for TargetsSection {
    fn default() -> Self {
        TargetsSection {
            response_s: default_response(),
            patrol_loop_s: default_loop(),
            compliance: default_compliance(),
            presence_radius_m: default_presence(),
        }
    }
}

/// `[simulation]`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    /// Calls are generated in `[0, horizon_s)`, seconds. Default 86,400 (one day).
    #[serde(default = "default_horizon")]
    pub horizon_s: f64,
    /// Calls before this time are simulated but not counted, seconds. Default 0.
    #[serde(default)]
    pub warmup_s: f64,
    /// Seed of every random stream. Default 1.
    #[serde(default = "one_u64")]
    pub seed: u64,
}

fn default_horizon() -> f64 {
    86_400.0
}
fn one_u64() -> u64 {
    1
}

impl Default for SimulationSection {
    fn default() -> Self {
        SimulationSection {
            horizon_s: default_horizon(),
            warmup_s: 0.0,
            seed: 1,
        }
    }
}

impl StationSpec {
    /// Where the station is.
    pub fn place(&self) -> Place {
        Place {
            node: self.node,
            lon: self.lon,
            lat: self.lat,
        }
    }
}

impl HotspotSpec {
    /// Where the hotspot is.
    pub fn place(&self) -> Place {
        Place {
            node: self.node,
            lon: self.lon,
            lat: self.lat,
        }
    }
}
