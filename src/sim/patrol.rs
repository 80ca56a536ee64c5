//! Patrol loops as driven: the legs between waypoints and where a unit is
//! on its loop.
//!
//! A [`LoopPlan`] is built once per scenario from a [`Patrol`]: leg `i` is a
//! shortest path from waypoint `i` to waypoint `i + 1` (the last leg closes
//! the loop back to waypoint 0), and the lap time is the sum of the legs.

use super::units::Loc;
use crate::exact;
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
    /// Offset of each waypoint into the lap (from waypoint 0), seconds.
    pub wp_offset_s: Vec<f64>,
    /// Every edge of one lap, from waypoint 0, in driving order.
    pub lap_edges: Vec<EdgeId>,
    /// Offset into the lap at which each of `lap_edges` ends, seconds
    /// (the sum of edge times in driving order; the last is `lap_s`).
    pub lap_end_s: Vec<f64>,
}

/// Where a unit driving its loop undisturbed is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoopPos {
    /// Offset into the lap, seconds, in `[0, lap_s)`.
    pub offset_s: f64,
    /// Index into `lap_edges` of the edge it is on, or whose head it is at.
    pub edge: usize,
    /// Time left on that edge, seconds (0: at its head).
    pub rem_s: f64,
    /// The waypoint it is heading for (the first at or after `offset_s`).
    pub next_wp: u32,
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
        let mut lap_edges = Vec::new();
        let mut lap_end_s = Vec::new();
        let mut wp_offset_s = Vec::with_capacity(k);
        let mut t = 0.0;
        for leg in &legs {
            wp_offset_s.push(t);
            for &e in leg {
                t += net.edge_time(e);
                lap_edges.push(e);
                lap_end_s.push(t);
            }
        }
        LoopPlan {
            hotspots: patrol.waypoints.iter().map(|w| w.hotspot).collect(),
            // The same sum as the lap's edge ends, so the two always agree.
            lap_s: t,
            nodes,
            legs,
            leg_s,
            wp_offset_s,
            lap_edges,
            lap_end_s,
        }
    }

    /// Offset into the lap of a unit that was `phase_s` into it at `since`
    /// and has driven on undisturbed until `t`.
    #[inline]
    pub fn offset_at(&self, phase_s: f64, since: f64, t: f64) -> f64 {
        let off = exact::rem_euclid(phase_s + (t - since), self.lap_s);
        // rem_euclid can round up to the modulus itself.
        if off >= self.lap_s {
            0.0
        } else {
            off
        }
    }

    /// Where a unit driving this loop undisturbed since `since`, `phase_s`
    /// into the lap then, is at `t`.
    pub fn loc_at(&self, net: &Network, phase_s: f64, since: f64, t: f64) -> Loc {
        let p = self.pos_at(self.offset_at(phase_s, since, t));
        let edge = self.lap_edges[p.edge];
        if p.rem_s > 0.0 {
            Loc::OnEdge {
                edge,
                rem_s: p.rem_s,
            }
        } else {
            Loc::AtNode(net.edge_to(edge))
        }
    }

    /// The edge of the lap a unit is on at offset `offset_s` and the time
    /// left on it: [`LoopPlan::pos_at`]'s `edge` and `rem_s`.
    #[inline]
    pub fn edge_at(&self, offset_s: f64) -> (usize, f64) {
        let i = self.lap_end_s.partition_point(|&x| x <= offset_s);
        if i > 0 && self.lap_end_s[i - 1] == offset_s {
            return (i - 1, 0.0);
        }
        if i == 0 && offset_s == 0.0 {
            // At waypoint 0: the head of the lap's last edge.
            return (self.lap_edges.len() - 1, 0.0);
        }
        let i = i.min(self.lap_edges.len() - 1);
        (i, self.lap_end_s[i] - offset_s)
    }

    /// Where on the lap a unit is at offset `offset_s` (in `[0, lap_s)`):
    /// at the head of the last edge ending at or before it (`rem_s == 0`), or
    /// on the edge it is driving.
    pub fn pos_at(&self, offset_s: f64) -> LoopPos {
        let (edge, rem_s) = self.edge_at(offset_s);
        let next_wp = self.wp_offset_s.partition_point(|&x| x < offset_s);
        let next_wp = if next_wp >= self.len() { 0 } else { next_wp } as u32;
        LoopPos {
            offset_s,
            edge,
            rem_s,
            next_wp,
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
        assert_eq!(plan.wp_offset_s, vec![0.0, 30.0]);
        assert_eq!(plan.lap_end_s, vec![10.0, 30.0, 50.0, 60.0]);
        // 10 s in: at node 1, the head of the first edge; heading for waypoint 1.
        let p = plan.pos_at(10.0);
        assert_eq!((p.edge, p.rem_s, p.next_wp), (0, 0.0, 1));
        let p = plan.pos_at(12.5);
        assert_eq!((p.edge, p.rem_s, p.next_wp), (1, 17.5, 1));
        // At waypoint 1 exactly: arriving there now.
        assert_eq!(plan.pos_at(30.0).next_wp, 1);
        assert_eq!(plan.pos_at(30.5).next_wp, 0);
        // Waypoint 0 is the head of the lap's last edge.
        let p = plan.pos_at(0.0);
        assert_eq!((p.edge, p.rem_s, p.next_wp), (3, 0.0, 0));
        assert_eq!(plan.offset_at(50.0, 100.0, 125.0), 15.0);
    }
}
