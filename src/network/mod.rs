//! The road network: a frozen, directed graph in compressed sparse row form.
//!
//! This module owns the [`Network`] type and its typed ids. Building one goes
//! through [`build::RawNetwork`] (an edge list from any source: CSV, the
//! synthetic city, later OpenStreetMap), which keeps the largest strongly
//! connected component and freezes the forward and backward CSR arrays that
//! routing queries. Nodes carry their original coordinates (WGS84 lon/lat or a
//! planar grid) and a local metric projection used for snapping, lengths and
//! drawing.

pub mod build;
pub mod csv_import;
pub mod osm;
pub mod snap;
pub mod synthetic;

use serde::Serialize;

/// Index of a node in a [`Network`] (not the source file's id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The index as `usize`, for indexing per-node vectors.
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// Index of a directed edge in a [`Network`]; equal to its slot in the forward CSR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct EdgeId(pub u32);

impl EdgeId {
    /// The index as `usize`, for indexing per-edge vectors.
    #[inline]
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// How node coordinates are to be read.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum CoordSystem {
    /// WGS84 longitude (x) and latitude (y), in degrees.
    LonLat,
    /// A local planar grid; one coordinate unit is `unit_m` metres.
    Planar {
        /// Metres per coordinate unit.
        unit_m: f64,
    },
}

/// Functional class of a road, used for default speeds and for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum RoadClass {
    /// Residential and local streets.
    Local,
    /// Arterial (primary, secondary, tertiary) roads.
    Arterial,
    /// Ring roads and expressways.
    Expressway,
    /// Bridges over a river (synthetic cities) or unclassified roads.
    Other,
}

impl RoadClass {
    /// Parse an OSM `highway` value, or one of our own class names.
    pub fn from_tag(tag: &str) -> RoadClass {
        match tag.trim() {
            "motorway" | "motorway_link" | "trunk" | "trunk_link" | "expressway" | "ring" => {
                RoadClass::Expressway
            }
            "primary" | "primary_link" | "secondary" | "secondary_link" | "tertiary"
            | "tertiary_link" | "arterial" => RoadClass::Arterial,
            "residential" | "living_street" | "unclassified" | "service" | "local" => {
                RoadClass::Local
            }
            _ => RoadClass::Other,
        }
    }

    /// Short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            RoadClass::Local => "local",
            RoadClass::Arterial => "arterial",
            RoadClass::Expressway => "expressway",
            RoadClass::Other => "other",
        }
    }
}

/// Metres per degree of latitude on the WGS84 mean sphere (R = 6,371,008.8 m).
pub const M_PER_DEG_LAT: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// Equirectangular projection around a reference point: good to well under
/// 0.1 % across a city, and exact for planar grids.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Projection {
    /// Coordinate system of the source coordinates.
    pub coords: CoordSystem,
    /// Reference x (longitude or planar x).
    pub x0: f64,
    /// Reference y (latitude or planar y).
    pub y0: f64,
    /// Metres per unit of x.
    pub kx: f64,
    /// Metres per unit of y.
    pub ky: f64,
}

impl Projection {
    /// A projection centred on `(x0, y0)`.
    pub fn new(coords: CoordSystem, x0: f64, y0: f64) -> Self {
        let (kx, ky) = match coords {
            CoordSystem::LonLat => (M_PER_DEG_LAT * y0.to_radians().cos(), M_PER_DEG_LAT),
            CoordSystem::Planar { unit_m } => (unit_m, unit_m),
        };
        Projection {
            coords,
            x0,
            y0,
            kx,
            ky,
        }
    }

    /// Source coordinates to local metres.
    #[inline]
    pub fn to_metres(&self, p: [f64; 2]) -> [f64; 2] {
        [(p[0] - self.x0) * self.kx, (p[1] - self.y0) * self.ky]
    }

    /// Local metres back to source coordinates.
    #[inline]
    pub fn from_metres(&self, m: [f64; 2]) -> [f64; 2] {
        [m[0] / self.kx + self.x0, m[1] / self.ky + self.y0]
    }

    /// Distance in metres between two points in source coordinates:
    /// haversine for lon/lat, Euclidean for planar grids.
    pub fn distance_m(&self, a: [f64; 2], b: [f64; 2]) -> f64 {
        match self.coords {
            CoordSystem::LonLat => {
                use geo::{Distance, Haversine, Point};
                Haversine.distance(Point::new(a[0], a[1]), Point::new(b[0], b[1]))
            }
            CoordSystem::Planar { unit_m } => {
                ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt() * unit_m
            }
        }
    }
}

/// An exact routing weight: the travel time in whole milliseconds in the
/// bits above [`TIE_BITS`], plus a small pseudo-random tie-breaker per edge
/// below them. Sums of weights are exact integers, and two different paths
/// with the same travel time almost never have the same weight, so the
/// shortest path between two nodes is unique: every correct router (plain
/// Dijkstra, contraction hierarchies) returns the same one.
pub type Weight = u64;

/// Bits of a [`Weight`] below the milliseconds.
pub const TIE_BITS: u32 = 34;

/// Tie-breakers are below `1 << TIE_MAX_BITS`, so that a path of up to
/// `1 << (TIE_BITS - TIE_MAX_BITS)` edges never carries into the milliseconds.
pub const TIE_MAX_BITS: u32 = 20;

/// Longest travel time an edge may have, milliseconds (about 12 days).
pub const MAX_EDGE_MS: u64 = 1 << 30;

/// A travel time rounded to whole milliseconds, as networks store it.
#[inline]
pub fn round_ms(t_s: f64) -> f64 {
    (t_s * 1000.0).round() / 1000.0
}

/// Whole milliseconds of a weight.
#[inline]
pub fn weight_ms(w: Weight) -> u64 {
    w >> TIE_BITS
}

/// Seconds of a weight (exact: a whole number of milliseconds).
#[inline]
pub fn weight_s(w: Weight) -> f64 {
    (w >> TIE_BITS) as f64 / 1000.0
}

/// The weight of edge `e` with a travel time of `ms` milliseconds.
#[inline]
pub fn edge_weight(ms: u64, e: u32) -> Weight {
    // splitmix64 of the edge index: a fixed, well-spread tie-breaker.
    let mut z = (e as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (ms << TIE_BITS) | (z & ((1 << TIE_MAX_BITS) - 1))
}

/// One direction of a graph in compressed sparse row form.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    /// `first[v]..first[v + 1]` are the slots of node `v`'s edges.
    pub first: Vec<u32>,
    /// The node at the other end of each slot.
    pub head: Vec<u32>,
    /// Travel time of each slot, seconds: a whole number of milliseconds.
    pub time_s: Vec<f64>,
    /// Routing weight of each slot (see [`Weight`]).
    pub w: Vec<Weight>,
    /// The edge each slot stands for.
    pub edge: Vec<u32>,
}

impl Csr {
    /// Slots of node `v`.
    #[inline]
    pub fn range(&self, v: u32) -> std::ops::Range<usize> {
        self.first[v as usize] as usize..self.first[v as usize + 1] as usize
    }
}

/// What loading dropped, so the user can be told.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DropReport {
    /// Nodes in the source.
    pub source_nodes: usize,
    /// Directed edges in the source (after adding reverse edges for undirected input).
    pub source_edges: usize,
    /// Nodes outside the largest strongly connected component.
    pub dropped_nodes: usize,
    /// Edges with an end outside the largest strongly connected component.
    pub dropped_edges: usize,
    /// Strongly connected components other than the largest.
    pub dropped_components: usize,
}

/// A frozen road network.
#[derive(Clone, Debug)]
pub struct Network {
    /// How source coordinates are read.
    pub projection: Projection,
    /// Source coordinates of each node (lon/lat or planar x/y).
    pub pos: Vec<[f64; 2]>,
    /// Local metric coordinates of each node, metres.
    pub xy: Vec<[f64; 2]>,
    /// The source's id of each node (OSM id, CSV id, or the synthetic index).
    pub ext_id: Vec<i64>,
    /// `(ext_id, node)` sorted by ext_id, for lookups by source id.
    ext_sorted: Vec<(i64, NodeId)>,
    /// Forward adjacency: edges leaving each node. Slot `i` is edge `i`.
    pub fwd: Csr,
    /// Backward adjacency: edges entering each node.
    pub bwd: Csr,
    /// Tail node of each edge.
    pub edge_from: Vec<u32>,
    /// Length of each edge, metres.
    pub edge_len_m: Vec<f64>,
    /// Road class of each edge.
    pub edge_class: Vec<RoadClass>,
    /// Optional per-node weights read from the source (demand weights).
    pub node_weight: Option<Vec<f64>>,
    /// What was dropped on load.
    pub dropped: DropReport,
    /// Highest speed on any edge, metres per second (a routing lower bound).
    pub max_speed_mps: f64,
    /// The shape of each edge between its ends (source coordinates, in
    /// driving order, ends excluded), where the source has one (OpenStreetMap
    /// ways); `None` for straight edges.
    pub edge_shape: Option<Vec<Vec<[f64; 2]>>>,
}

impl Network {
    /// Back the large arrays that routes and queries read with huge pages
    /// ([`crate::pages`]).
    pub fn prefer_huge_pages(&self) {
        use crate::pages::prefer_huge;
        prefer_huge(&self.xy);
        for c in [&self.fwd, &self.bwd] {
            prefer_huge(&c.first);
            prefer_huge(&c.head);
            prefer_huge(&c.time_s);
            prefer_huge(&c.w);
            prefer_huge(&c.edge);
        }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.pos.len()
    }

    /// Number of directed edges.
    pub fn edge_count(&self) -> usize {
        self.fwd.head.len()
    }

    /// Head node of an edge.
    #[inline]
    pub fn edge_to(&self, e: EdgeId) -> NodeId {
        NodeId(self.fwd.head[e.idx()])
    }

    /// Tail node of an edge.
    #[inline]
    pub fn edge_tail(&self, e: EdgeId) -> NodeId {
        NodeId(self.edge_from[e.idx()])
    }

    /// Travel time of an edge, seconds.
    #[inline]
    pub fn edge_time(&self, e: EdgeId) -> f64 {
        self.fwd.time_s[e.idx()]
    }

    /// Routing weight of an edge.
    #[inline]
    pub fn edge_weight(&self, e: EdgeId) -> Weight {
        self.fwd.w[e.idx()]
    }

    /// The node with this source id, if it survived loading.
    pub fn node_by_ext(&self, ext: i64) -> Option<NodeId> {
        self.ext_sorted
            .binary_search_by_key(&ext, |&(e, _)| e)
            .ok()
            .map(|i| self.ext_sorted[i].1)
    }

    /// Total length of all directed edges, kilometres.
    pub fn total_km(&self) -> f64 {
        self.edge_len_m.iter().sum::<f64>() / 1000.0
    }

    /// The points of edge `e` in local metres, from its tail to its head,
    /// following its shape where it has one.
    pub fn edge_points_m(&self, e: EdgeId) -> Vec<[f64; 2]> {
        let mut pts = vec![self.xy[self.edge_from[e.idx()] as usize]];
        if let Some(shape) = &self.edge_shape {
            pts.extend(shape[e.idx()].iter().map(|&p| self.projection.to_metres(p)));
        }
        pts.push(self.xy[self.fwd.head[e.idx()] as usize]);
        pts
    }

    /// The edge from `u` to `v`, if there is one (the quickest of parallel edges).
    pub fn edge_between(&self, u: NodeId, v: NodeId) -> Option<EdgeId> {
        self.fwd
            .range(u.0)
            .find(|&s| self.fwd.head[s] == v.0)
            .map(|s| EdgeId(s as u32))
    }

    /// Bounding box of the node coordinates in local metres: `[min, max]`.
    pub fn bbox_m(&self) -> [[f64; 2]; 2] {
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for p in &self.xy {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        [lo, hi]
    }
}
