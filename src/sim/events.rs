//! What the engine does, as events others can subscribe to.
//!
//! The engine emits a [`SimEvent`] for every state change of a call or a
//! unit; metrics, traces and animations are [`Observer`]s and never reach
//! into the engine's state.

use super::units::Route;

/// A state change, emitted at the time it happens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SimEvent {
    /// A call became dispatchable and no unit was free: it waits in the queue.
    Queued {
        /// Index of the call.
        call: u32,
    },
    /// A unit was sent to a call.
    Dispatched {
        /// Index of the call.
        call: u32,
        /// The unit.
        unit: u32,
        /// Drive time to the scene, seconds.
        travel_s: f64,
        /// True when the call had been waiting in the queue.
        from_queue: bool,
    },
    /// A unit reached the scene.
    Arrived {
        /// Index of the call.
        call: u32,
        /// The unit.
        unit: u32,
    },
    /// A unit finished at the scene.
    Cleared {
        /// Index of the call.
        call: u32,
        /// The unit.
        unit: u32,
    },
    /// A unit started driving back to its station.
    Returning {
        /// The unit.
        unit: u32,
    },
    /// A unit reached its station and is idle.
    Home {
        /// The unit.
        unit: u32,
    },
    /// A patrol unit reached a waypoint of its loop.
    PatrolPass {
        /// The unit.
        unit: u32,
        /// The loop.
        patrol: u32,
        /// Index of the waypoint in the loop.
        waypoint: u32,
    },
    /// A unit standing at a post left it for a call.
    PatrolLeave {
        /// The unit.
        unit: u32,
        /// The loop.
        patrol: u32,
        /// Index of the waypoint.
        waypoint: u32,
    },
    /// A patrol unit, done with a call, heads back to its loop.
    Rejoining {
        /// The unit.
        unit: u32,
        /// The loop.
        patrol: u32,
        /// The waypoint it heads for.
        waypoint: u32,
    },
}

/// Something that watches a run.
pub trait Observer {
    /// Called for every event, in order of time.
    fn event(&mut self, t: f64, ev: &SimEvent);

    /// Called whenever a unit starts a drive at time `t` (the route may have
    /// begun earlier, for units already on a loop at the start). The unit
    /// follows it until its next drive starts; between drives it stands at
    /// the last drive's destination (at first: its station).
    fn route(&mut self, _t: f64, _unit: u32, _route: &Route) {}

    /// Called when a patrol unit starts driving its loop undisturbed at time
    /// `t`, `phase_s` seconds into the lap (from waypoint 0; see
    /// [`LoopPlan`](super::patrol::LoopPlan)). The engine sends no event for
    /// the waypoints it then passes: it passes waypoint `i` at every time
    /// `t + ((wp_offset_s[i] - phase_s) mod lap_s) + k * lap_s` strictly
    /// after `t` and strictly before its next drive starts (the next
    /// [`Observer::route`] for this unit) or the run ends. Between those
    /// times its position follows from [`LoopPlan::pos_at`](super::patrol::LoopPlan::pos_at).
    fn looping(&mut self, _t: f64, _unit: u32, _patrol: u32, _phase_s: f64) {}
}

impl Observer for () {
    fn event(&mut self, _: f64, _: &SimEvent) {}
}

impl<A: Observer, B: Observer> Observer for (A, B) {
    fn event(&mut self, t: f64, ev: &SimEvent) {
        self.0.event(t, ev);
        self.1.event(t, ev);
    }

    fn route(&mut self, t: f64, unit: u32, route: &Route) {
        self.0.route(t, unit, route);
        self.1.route(t, unit, route);
    }

    fn looping(&mut self, t: f64, unit: u32, patrol: u32, phase_s: f64) {
        self.0.looping(t, unit, patrol, phase_s);
        self.1.looping(t, unit, patrol, phase_s);
    }
}
