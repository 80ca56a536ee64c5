//! A replayable record of a run: where every unit was, doing what, at any
//! instant, and when every call was open.
//!
//! [`TraceRecorder`] is an [`Observer`]: it keeps each unit's timeline as
//! segments (standing at a node, or driving a route) labelled with what the
//! unit was doing. [`Trace::locate`] answers "where was unit `u` at time `t`
//! and what was it doing" exactly, which the animation and the report's
//! in-page playback sample. A stretch of undisturbed loop driving
//! ([`Observer::looping`]) is recorded as the legs it drives, one segment
//! each, once it ends.

use crate::network::{Network, NodeId};
use crate::sim::events::{Observer, SimEvent};
use crate::sim::patrol::LoopPlan;
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
    /// The loops units may drive.
    loops: Vec<LoopPlan>,
    /// Per unit: an open stretch of loop driving, `(since, loop, phase_s)`.
    looping: Vec<Option<(f64, u32, f64)>>,
}

impl TraceRecorder {
    /// Watch units standing at `homes` at time 0 (patrol units are put on
    /// their loops by the engine at time 0), which may drive `loops`;
    /// `calls` are `(time, node)`.
    pub fn new(
        homes: Vec<NodeId>,
        patrol: Vec<bool>,
        calls: &[(f64, NodeId)],
        loops: &[LoopPlan],
    ) -> TraceRecorder {
        TraceRecorder {
            looping: vec![None; homes.len()],
            loops: loops.to_vec(),
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

    /// The finished trace of a run that ended at `end` (loop driving that
    /// lasts until then is recorded up to it).
    pub fn finish(mut self, end: f64) -> Trace {
        for u in 0..self.looping.len() {
            self.end_looping(u as u32, end);
        }
        self.trace
    }

    /// Record `unit`'s open stretch of loop driving, which ends at `end`, as
    /// one segment per leg: the leg under way when it began, then every leg
    /// begun before `end`.
    fn end_looping(&mut self, unit: u32, end: f64) {
        let Some((since, patrol, phase)) = self.looping[unit as usize].take() else {
            return;
        };
        let plan = &self.loops[patrol as usize];
        let (lap, n) = (plan.lap_s, plan.len());
        if lap.is_nan() || lap <= 0.0 || n == 0 || !end.is_finite() {
            return;
        }
        // Index into `lap_edges` of each leg's first edge.
        let mut first_edge = Vec::with_capacity(n);
        let mut acc = 0;
        for leg in &plan.legs {
            first_edge.push(acc);
            acc += leg.len();
        }
        let zero = since - phase;
        let mut leg = plan
            .wp_offset_s
            .partition_point(|&x| x <= phase)
            .saturating_sub(1);
        let mut k = 0u64;
        let mut segments = Vec::new();
        loop {
            let base = zero + k as f64 * lap;
            let t0 = base + plan.wp_offset_s[leg];
            let first = segments.is_empty();
            if !first && t0 >= end {
                break;
            }
            let edges = &plan.legs[leg];
            if !edges.is_empty() {
                let j = first_edge[leg];
                let route = Route {
                    t0,
                    start: Some(plan.nodes[leg]),
                    edges: edges.clone(),
                    t_end: plan.lap_end_s[j..j + edges.len()]
                        .iter()
                        .map(|&x| base + x)
                        .collect(),
                    dest: plan.nodes[(leg + 1) % n],
                };
                segments.push((if first { since } else { t0 }, route));
            }
            leg += 1;
            if leg == n {
                leg = 0;
                k += 1;
            }
        }
        for (t, route) in segments {
            self.push(unit, t, Activity::Patrolling, Motion::Drive(route));
        }
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
        self.end_looping(unit, t);
        let activity = if self.patrol[unit as usize] {
            Activity::Patrolling
        } else {
            Activity::Returning
        };
        self.push(unit, t, activity, Motion::Drive(route.clone()));
    }

    fn looping(&mut self, t: f64, unit: u32, patrol: u32, phase_s: f64) {
        self.end_looping(unit, t);
        self.looping[unit as usize] = Some((t, patrol, phase_s));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::testkit::{city_run, loops, square, HOMES};

    #[test]
    fn looping_stretches_replay_as_per_leg_drives_do() {
        let net = square();
        let loops = loops(&net);
        let end = 3000.0;
        let trace = |old: bool| {
            let homes = HOMES.iter().map(|&h| NodeId(h)).collect();
            let patrol = vec![true, true, true, true, false, true];
            let spans = [
                (1000.0, NodeId(4)),
                (5000.0, NodeId(3)),
                (2900.0, NodeId(0)),
            ];
            let mut rec = TraceRecorder::new(homes, patrol, &spans, &loops);
            city_run(&net, &loops, end, old).play(&mut rec);
            rec.finish(end)
        };
        let (old, new) = (trace(true), trace(false));
        // The same positions and activities at every instant.
        for u in 0..HOMES.len() {
            for i in 0..=12_000 {
                let t = f64::from(i) * 0.25;
                let (a, b) = (old.locate(&net, u, t), new.locate(&net, u, t));
                assert_eq!(a.1, b.1, "unit {u} at {t}");
                assert!(
                    (a.0[0] - b.0[0]).abs() < 1e-9 && (a.0[1] - b.0[1]).abs() < 1e-9,
                    "unit {u} at {t}: {:?} vs {:?}",
                    a.0,
                    b.0
                );
            }
        }
        // Unit 1 at 1,000 s: 25 s into the lap at 0, so at offset 25 mod 50,
        // 5 s along 2 -> 3 (15 s over 100 m, from (100,100) to (0,100)).
        let (p, a) = new.locate(&net, 1, 1000.0);
        assert_eq!(a, Activity::Patrolling);
        assert!((p[0] - (100.0 - 100.0 / 3.0)).abs() < 1e-9 && (p[1] - 100.0).abs() < 1e-9);
    }
}
