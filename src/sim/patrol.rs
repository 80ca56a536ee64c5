//! Patrol loops as driven: the legs between waypoints and where a unit is
//! on its loop.
//!
//! A [`LoopPlan`] is built once per scenario from a [`Patrol`]: leg `i` is a
//! shortest path from waypoint `i` to waypoint `i + 1` (the last leg closes
//! the loop back to waypoint 0), and the lap time is the sum of the legs.

use crate::network::{EdgeId, Network, NodeId};
use crate::routing::{Direction, Search};
use crate::scenario::Patrol;

/// A loop ready to drive.
#[derive(Clone, Debug)]
pub struct LoopPlan {
    /// Waypoint nodes in driving order.
    pub nodes: Vec<NodeId>,
    /// Hotspot of each waypoint, if it is one.
    pub hotspots: Vec<Option<usize>>,
    /// Leg `i`: edges from waypoint `i` to waypoint `i + 1` (mod the count).
    pub legs: Vec<Vec<EdgeId>>,
    /// Drive time of each leg, seconds.
    pub leg_s: Vec<f64>,
    /// Time to drive the loop once, undisturbed, seconds.
    pub lap_s: f64,
}

impl LoopPlan {
    /// Plan a patrol's loop along shortest paths.
    pub fn new(net: &Network, search: &mut Search, patrol: &Patrol) -> LoopPlan {
        let nodes: Vec<NodeId> = patrol.waypoints.iter().map(|w| w.node).collect();
        let k = nodes.len();
        let mut legs = Vec::with_capacity(k);
        let mut leg_s = Vec::with_capacity(k);
        for i in 0..k {
            let (a, b) = (nodes[i], nodes[(i + 1) % k]);
            search.start(Direction::Forward);
            search.add_source(a, 0.0);
            // The network is strongly connected, so b is always reached.
            search.run_to(net, b);
            let path = search.path(net, b);
            leg_s.push(path.iter().map(|&e| net.edge_time(e)).sum());
            legs.push(path);
        }
        LoopPlan {
            hotspots: patrol.waypoints.iter().map(|w| w.hotspot).collect(),
            lap_s: leg_s.iter().sum(),
            nodes,
            legs,
            leg_s,
        }
    }

    /// Number of waypoints.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True for a loop without waypoints (never built by a scenario).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// A loop that takes no time to drive: its units stand at a post.
    pub fn is_post(&self) -> bool {
        self.lap_s <= 0.0
    }

    /// The leg a unit is on `offset_s` seconds after leaving waypoint 0, and
    /// how far into that leg it is, seconds.
    pub fn at_offset(&self, offset_s: f64) -> (usize, f64) {
        let mut acc = 0.0;
        for (i, &t) in self.leg_s.iter().enumerate() {
            if offset_s < acc + t {
                return (i, offset_s - acc);
            }
            acc += t;
        }
        (0, 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::build::test_line;
    use crate::scenario::{Rejoin, Waypoint};

    #[test]
    fn lap_is_the_sum_of_shortest_legs() {
        // 0 <-> 1 <-> 2, 10 s and 20 s each way, plus a slow 0 -> 2 of 50 s.
        let net = test_line(
            &[0.0, 100.0, 300.0],
            &[
                (0, 1, 100.0, 10.0),
                (1, 0, 100.0, 10.0),
                (1, 2, 200.0, 20.0),
                (2, 1, 200.0, 20.0),
                (0, 2, 300.0, 50.0),
            ],
        );
        let wp = |n: u32| Waypoint {
            node: NodeId(n),
            hotspot: None,
            label: n.to_string(),
        };
        let p = Patrol {
            name: "p".into(),
            station: 0,
            units: 1,
            waypoints: vec![wp(0), wp(2)],
            rejoin: Rejoin::Resume,
            max_priority: u8::MAX,
        };
        let plan = LoopPlan::new(&net, &mut Search::new(3), &p);
        // 0 -> 2 via 1 (30 s, not the 50 s direct edge), 2 -> 0 via 1 (30 s).
        assert_eq!(plan.leg_s, vec![30.0, 30.0]);
        assert_eq!(plan.lap_s, 60.0);
        assert_eq!(plan.legs[0].len(), 2);
        assert_eq!(plan.at_offset(0.0), (0, 0.0));
        assert_eq!(plan.at_offset(45.0), (1, 15.0));
        assert!(!plan.is_post());
    }
}
