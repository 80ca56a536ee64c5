//! Snapping points to the road graph with an R-tree (rstar).
//!
//! Owns the spatial index over node positions in local metres. Stations,
//! calls and hotspots given as coordinates are moved to their nearest node;
//! points farther than the allowed distance are rejected by the caller with an
//! error that names the point.

use rstar::primitives::GeomWithData;
use rstar::RTree;

use super::{Network, NodeId};

type Entry = GeomWithData<[f64; 2], u32>;

/// Nearest-node index of a [`Network`].
pub struct Snapper {
    tree: RTree<Entry>,
}

/// The node a point snapped to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snapped {
    /// The nearest node.
    pub node: NodeId,
    /// Distance from the point to the node, metres.
    pub distance_m: f64,
}

impl Snapper {
    /// Build the index over all nodes.
    pub fn new(net: &Network) -> Snapper {
        let entries = net
            .xy
            .iter()
            .enumerate()
            .map(|(i, &p)| Entry::new(p, i as u32))
            .collect();
        Snapper {
            tree: RTree::bulk_load(entries),
        }
    }

    /// The nearest node to a point in the network's source coordinates.
    pub fn nearest(&self, net: &Network, pos: [f64; 2]) -> Snapped {
        let m = net.projection.to_metres(pos);
        // The tree is never empty: a Network has at least one node.
        let e = self
            .tree
            .nearest_neighbor(m)
            .expect("a network has at least one node");
        let node = NodeId(e.data);
        Snapped {
            node,
            distance_m: net.projection.distance_m(pos, net.pos[node.idx()]),
        }
    }

    /// All nodes within `radius_m` of a point given in local metres, sorted by id.
    pub fn within_m(&self, centre_m: [f64; 2], radius_m: f64) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = self
            .tree
            .locate_within_distance(centre_m, radius_m * radius_m)
            .map(|e| NodeId(e.data))
            .collect();
        out.sort_unstable();
        out
    }
}
