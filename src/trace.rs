//! A replayable record of a run: where every unit was, doing what, at any
//! instant, and when every call was open.
//!
//! [`TraceRecorder`] is an [`Observer`]: it keeps each unit's timeline as
//! segments (standing at a node, or driving a route) labelled with what the
//! unit was doing. [`Trace::locate`] answers "where was unit `u` at time `t`
//! and what was it doing" exactly, which the animation and the report's
//! in-page playback sample.

use crate::network::{Network, NodeId};
use crate::sim::events::{Observer, SimEvent};
use crate::sim::units::Route;

/// What a unit is doing, for drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Activity {
    /// Waiting at its station.
    Idle,
    /// Driving its patrol loop (or back to it), or standing at its post.
    Patrolling,
    /// Driving to a call.
    EnRoute,
    /// At a call.
    OnScene,
    /// Driving back to its station.
    Returning,
}

impl Activity {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Activity::Idle => "idle",
            Activity::Patrolling => "patrolling",
            Activity::EnRoute => "en route",
            Activity::OnScene => "on scene",
            Activity::Returning => "returning",
        }
    }

    /// All activities, in drawing-legend order.
    pub const ALL: [Activity; 5] = [
        Activity::Patrolling,
        Activity::EnRoute,
        Activity::OnScene,
        Activity::Returning,
        Activity::Idle,
    ];
}

/// How a unit moves during a segment.
#[derive(Clone, Debug, PartialEq)]
pub enum Motion {
    /// Standing at a node.
    Stand(NodeId),
    /// Driving a route (standing at its end once it arrives).
    Drive(Route),
}

/// A stretch of a unit's timeline, from `t0` until the next segment starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Start time, seconds.
    pub t0: f64,
    /// What the unit is doing.
    pub activity: Activity,
    /// How it moves.
    pub motion: Motion,
}

/// A call's life, for drawing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallSpan {
    /// Call time, seconds.
    pub t_call: f64,
    /// Arrival on scene (NaN if never).
    pub t_arrive: f64,
    /// Scene cleared (NaN if never).
    pub t_clear: f64,
    /// Where.
    pub node: NodeId,
}

/// The record of a run.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Per unit, its segments in time order.
    pub units: Vec<Vec<Segment>>,
    /// Per call (in call order).
    pub calls: Vec<CallSpan>,
}

impl Trace {
    /// Where unit `u` is at time `t` (source coordinates) and what it is doing.
    pub fn locate(&self, net: &Network, u: usize, t: f64) -> ([f64; 2], Activity) {
        let segs = &self.units[u];
        let i = segs.partition_point(|s| s.t0 <= t).saturating_sub(1);
        let s = &segs[i];
        let pos = match &s.motion {
            Motion::Stand(v) => net.pos[v.idx()],
            Motion::Drive(r) => r.locate(net, t).position(net),
        };
        (pos, s.activity)
    }

    /// Calls open (received, not yet cleared) at time `t`, with whether a unit is on scene.
    pub fn open_calls(&self, t: f64) -> impl Iterator<Item = (&CallSpan, bool)> {
        self.calls.iter().filter_map(move |c| {
            let cleared = c.t_clear.is_finite() && c.t_clear <= t;
            (c.t_call <= t && !cleared).then_some((c, c.t_arrive.is_finite() && c.t_arrive <= t))
        })
    }
}

/// Builds a [`Trace`] from the engine's events and drives.
pub struct TraceRecorder {
    trace: Trace,
    /// Station node of each unit.
    homes: Vec<NodeId>,
    patrol: Vec<bool>,
}

impl TraceRecorder {
    /// Watch units standing at `homes` at time 0 (patrol units are put on
    /// their loops by the engine at time 0); `calls` are `(time, node)`.
    pub fn new(homes: Vec<NodeId>, patrol: Vec<bool>, calls: &[(f64, NodeId)]) -> TraceRecorder {
        TraceRecorder {
            trace: Trace {
                units: homes
                    .iter()
                    .map(|&h| {
                        vec![Segment {
                            t0: f64::NEG_INFINITY,
                            activity: Activity::Idle,
                            motion: Motion::Stand(h),
                        }]
                    })
                    .collect(),
                calls: calls
                    .iter()
                    .map(|&(t, node)| CallSpan {
                        t_call: t,
                        t_arrive: f64::NAN,
                        t_clear: f64::NAN,
                        node,
                    })
                    .collect(),
            },
            homes,
            patrol,
        }
    }

    /// The finished trace.
    pub fn finish(self) -> Trace {
        self.trace
    }

    fn push(&mut self, unit: u32, t: f64, activity: Activity, motion: Motion) {
        let segs = &mut self.trace.units[unit as usize];
        // Replace a segment that starts at the same instant.
        if segs.last().is_some_and(|s| s.t0 == t) && segs.len() > 1 {
            segs.pop();
        }
        segs.push(Segment {
            t0: t,
            activity,
            motion,
        });
    }

    fn stand_here(&mut self, unit: u32, t: f64, activity: Activity) {
        let here = match &self.trace.units[unit as usize].last().map(|s| &s.motion) {
            Some(Motion::Drive(r)) => r.dest,
            Some(Motion::Stand(v)) => *v,
            None => self.homes[unit as usize],
        };
        self.push(unit, t, activity, Motion::Stand(here));
    }
}

impl Observer for TraceRecorder {
    fn event(&mut self, t: f64, ev: &SimEvent) {
        match *ev {
            SimEvent::Dispatched { unit, .. } => self.relabel(unit, t, Activity::EnRoute),
            SimEvent::Returning { unit } => self.relabel(unit, t, Activity::Returning),
            SimEvent::Arrived { call, unit } => {
                self.trace.calls[call as usize].t_arrive = t;
                self.stand_here(unit, t, Activity::OnScene);
            }
            SimEvent::Cleared { call, unit } => {
                self.trace.calls[call as usize].t_clear = t;
                // Until its next drive starts (at once, or never for a unit
                // whose station is the scene), it stands here.
                let next = if self.patrol[unit as usize] {
                    Activity::Patrolling
                } else {
                    Activity::Idle
                };
                self.stand_here(unit, t, next);
            }
            SimEvent::Home { unit } => self.stand_here(unit, t, Activity::Idle),
            SimEvent::Queued { .. }
            | SimEvent::PatrolPass { .. }
            | SimEvent::PatrolLeave { .. }
            | SimEvent::Rejoining { .. } => {}
        }
    }

    /// Every drive is patrolling (patrol units) or returning (station units)
    /// unless a dispatch at the same instant relabels it.
    fn route(&mut self, t: f64, unit: u32, route: &Route) {
        let activity = if self.patrol[unit as usize] {
            Activity::Patrolling
        } else {
            Activity::Returning
        };
        self.push(unit, t, activity, Motion::Drive(route.clone()));
    }
}

impl TraceRecorder {
    fn relabel(&mut self, unit: u32, t: f64, activity: Activity) {
        if let Some(s) = self.trace.units[unit as usize].last_mut() {
            if s.t0 == t {
                s.activity = activity;
            }
        }
    }
}
