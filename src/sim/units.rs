//! Response units and how they move.
//!
//! Owns [`Unit`], its [`UnitState`], and [`Route`]: a timed drive along
//! edges, from which the unit's position at any instant follows exactly
//! (which edge, the time left on it, how far along, and its coordinates).

use super::patrol::LoopPlan;
use crate::network::{weight_ms, EdgeId, Network, NodeId};

/// Index of a unit; units are numbered station by station in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitId(pub u32);

/// Where a moving unit is at an instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loc {
    /// Exactly at a node.
    AtNode(NodeId),
    /// On an edge, `rem_s` seconds before reaching its head.
    OnEdge {
        /// The edge.
        edge: EdgeId,
        /// Time left on the edge, seconds (> 0).
        rem_s: f64,
    },
}

impl Loc {
    /// The node the unit reaches next (or is at) and the time until then.
    pub fn next(&self, net: &Network) -> (NodeId, f64) {
        match *self {
            Loc::AtNode(v) => (v, 0.0),
            Loc::OnEdge { edge, rem_s } => (net.edge_to(edge), rem_s),
        }
    }

    /// Coordinates in the network's source system, interpolated along the edge.
    pub fn position(&self, net: &Network) -> [f64; 2] {
        match *self {
            Loc::AtNode(v) => net.pos[v.idx()],
            Loc::OnEdge { edge, rem_s } => {
                let total = net.edge_time(edge);
                let f = if total > 0.0 {
                    1.0 - rem_s / total
                } else {
                    1.0
                };
                let a = net.pos[net.edge_tail(edge).idx()];
                let b = net.pos[net.edge_to(edge).idx()];
                [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]
            }
        }
    }
}

/// The time `ms` whole milliseconds after `t0`, seconds: how every time
/// along a drive is reckoned, so that it is the same however the
/// milliseconds were summed.
#[inline]
pub fn at_ms(t0: f64, ms: u64) -> f64 {
    t0 + ms as f64 / 1000.0
}

/// A timed drive. Edge `i` is left at `t_end[i]`; the first edge may be
/// joined part-way (a unit re-routed mid-edge).
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// Departure time, seconds.
    pub t0: f64,
    /// The node the route starts at, or `None` when it starts mid-edge on `edges[0]`.
    pub start: Option<NodeId>,
    /// Edges in driving order.
    pub edges: Vec<EdgeId>,
    /// Time the head of each edge is reached, seconds.
    pub t_end: Vec<f64>,
    /// Destination node.
    pub dest: NodeId,
}

impl Route {
    /// A route leaving `from` (where the unit is at `t0`) along `path`.
    pub fn from_node(net: &Network, t0: f64, from: NodeId, path: Vec<EdgeId>) -> Route {
        Route::from_loc_reusing(net, t0, Loc::AtNode(from), path, Vec::new())
    }

    /// A route that starts at `loc` at time `t0` and continues along `path`
    /// from the next node of `loc`.
    pub fn from_loc(net: &Network, t0: f64, loc: Loc, path: Vec<EdgeId>) -> Route {
        Route::from_loc_reusing(net, t0, loc, path, Vec::new())
    }

    /// As [`Route::from_loc`], filling `t_end` (cleared first) for the
    /// times: the engine passes buffers of routes it no longer needs.
    pub fn from_loc_reusing(
        net: &Network,
        t0: f64,
        loc: Loc,
        mut path: Vec<EdgeId>,
        mut t_end: Vec<f64>,
    ) -> Route {
        let (start, t) = match loc {
            Loc::AtNode(v) => (Some(v), t0),
            Loc::OnEdge { edge, rem_s } => {
                path.insert(0, edge);
                (None, t0 + rem_s)
            }
        };
        // (The destination's node loads while the times are summed.)
        if let Some(&e) = path.last() {
            crate::routing::prefetch(&net.fwd.head[e.idx()]);
        }
        // Times are `t` plus the exact whole milliseconds driven since: one
        // rounding each, whatever the order of the sums (a tree's times
        // give the same ones).
        t_end.clear();
        let mut ms = 0u64;
        for (i, &e) in path.iter().enumerate() {
            // The first edge of a route that starts mid-edge takes `rem_s`.
            if i > 0 || start.is_some() {
                ms += weight_ms(net.edge_weight(e));
            }
            t_end.push(at_ms(t, ms));
        }
        let dest = match (loc, path.last()) {
            (_, Some(&e)) => net.edge_to(e),
            (Loc::AtNode(v), None) => v,
            (Loc::OnEdge { edge, .. }, None) => net.edge_to(edge),
        };
        Route {
            t0,
            start,
            edges: path,
            t_end,
            dest,
        }
    }

    /// Arrival time at the destination.
    pub fn arrival(&self) -> f64 {
        self.t_end.last().copied().unwrap_or(self.t0)
    }

    /// Where the unit is at time `t` (clamped to the route's span).
    pub fn locate(&self, net: &Network, t: f64) -> Loc {
        if self.edges.is_empty() {
            return Loc::AtNode(self.dest);
        }
        if let Some(s) = self.start {
            if t <= self.t0 {
                return Loc::AtNode(s);
            }
        }
        let i = self.t_end.partition_point(|&x| x < t);
        if i >= self.edges.len() {
            return Loc::AtNode(self.dest);
        }
        let e = self.edges[i];
        if self.t_end[i] == t {
            return Loc::AtNode(net.edge_to(e));
        }
        Loc::OnEdge {
            edge: e,
            rem_s: self.t_end[i] - t.max(self.t0),
        }
    }
}

/// What a unit is doing.
#[derive(Clone, Debug, PartialEq)]
pub enum UnitState {
    /// Waiting at its station.
    Idle,
    /// Driving to a call (index into the call list).
    Responding {
        /// The call.
        call: u32,
        /// The drive.
        route: Route,
    },
    /// At a call.
    OnScene {
        /// The call.
        call: u32,
        /// Where.
        node: NodeId,
    },
    /// Driving back to its station; available for dispatch on the way.
    Returning {
        /// The drive.
        route: Route,
    },
    /// Driving its patrol loop towards waypoint `wp` (also when rejoining
    /// the loop after a call); available.
    Patrolling {
        /// The drive to the waypoint.
        route: Route,
        /// Index of the waypoint it is heading for.
        wp: u32,
    },
    /// Driving its loop undisturbed (no events on the way; see
    /// [`Observer::looping`](super::events::Observer::looping)); available.
    Looping {
        /// When it started to.
        since: f64,
        /// How far into the lap it was then, seconds.
        phase_s: f64,
    },
    /// Standing at the only place of a loop that takes no time to drive; available.
    Posted {
        /// Index of the waypoint.
        wp: u32,
        /// Its node.
        node: NodeId,
    },
}

/// A response unit.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Its station (index into the scenario's stations).
    pub station: u32,
    /// The station's node.
    pub home: NodeId,
    /// Current state.
    pub state: UnitState,
    /// Bumped whenever the unit's plan changes, so that stale events are ignored.
    pub epoch: u32,
    /// The loop it drives, for patrol units.
    pub patrol: Option<u32>,
    /// For patrol units: the waypoint it was heading for when last dispatched.
    pub resume_wp: u32,
    /// Least urgent priority it is sent to (0: never taken off its loop).
    pub max_priority: u8,
}

impl Unit {
    /// A unit of `station` waiting there (a station unit at the start).
    pub fn at_station(station: u32, home: NodeId) -> Unit {
        Unit {
            station,
            home,
            state: UnitState::Idle,
            epoch: 0,
            patrol: None,
            resume_wp: 0,
            max_priority: u8::MAX,
        }
    }

    /// True when the unit may be sent to calls of this priority.
    pub fn takes(&self, priority: u8) -> bool {
        priority <= self.max_priority
    }

    /// True when the unit can take a call now.
    pub fn available(&self) -> bool {
        matches!(
            self.state,
            UnitState::Idle
                | UnitState::Returning { .. }
                | UnitState::Patrolling { .. }
                | UnitState::Looping { .. }
                | UnitState::Posted { .. }
        )
    }

    /// Where the unit is at time `t` (`loops`: the scenario's loop plans).
    pub fn locate(&self, net: &Network, loops: &[LoopPlan], t: f64) -> Loc {
        match &self.state {
            UnitState::Looping { since, phase_s } => {
                loops[self.patrol.unwrap_or_default() as usize].loc_at(net, *phase_s, *since, t)
            }
            UnitState::Idle => Loc::AtNode(self.home),
            UnitState::OnScene { node, .. } | UnitState::Posted { node, .. } => Loc::AtNode(*node),
            UnitState::Responding { route, .. }
            | UnitState::Returning { route }
            | UnitState::Patrolling { route, .. } => route.locate(net, t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::build::test_line;

    /// 0 -> 1 -> 2 along x, 100 m and 10 s per edge (and back).
    fn line() -> Network {
        let e = |u, v| (u, v, 100.0, 10.0);
        test_line(&[0.0, 100.0, 200.0], &[e(0, 1), e(1, 2), e(1, 0), e(2, 1)])
    }

    #[test]
    fn positions_along_a_route_are_exact() {
        let net = line();
        // Edges are sorted by (tail, head): 0->1 is edge 0, 1->2 is edge 2.
        let path = vec![EdgeId(0), EdgeId(2)];
        let r = Route::from_node(&net, 100.0, NodeId(0), path);
        assert_eq!(r.arrival(), 120.0);
        assert_eq!(r.locate(&net, 100.0), Loc::AtNode(NodeId(0)));
        assert_eq!(r.locate(&net, 90.0), Loc::AtNode(NodeId(0)));
        let l = r.locate(&net, 104.0);
        assert_eq!(
            l,
            Loc::OnEdge {
                edge: EdgeId(0),
                rem_s: 6.0
            }
        );
        assert_eq!(l.position(&net), [40.0, 0.0]);
        assert_eq!(l.next(&net), (NodeId(1), 6.0));
        assert_eq!(r.locate(&net, 110.0), Loc::AtNode(NodeId(1)));
        assert_eq!(r.locate(&net, 117.5).position(&net), [175.0, 0.0]);
        assert_eq!(r.locate(&net, 130.0), Loc::AtNode(NodeId(2)));
    }

    #[test]
    fn a_route_joined_mid_edge_keeps_the_time_left() {
        let net = line();
        let at = Loc::OnEdge {
            edge: EdgeId(0),
            rem_s: 2.5,
        };
        let r = Route::from_loc(&net, 50.0, at, vec![EdgeId(2)]);
        assert_eq!(r.t_end, vec![52.5, 62.5]);
        // At departure the unit is still where it was.
        assert_eq!(r.locate(&net, 50.0), at);
        assert_eq!(r.locate(&net, 50.0).position(&net), [75.0, 0.0]);
        assert_eq!(r.dest, NodeId(2));
    }
}
