//! What the engine does, as events others can subscribe to.
//!
//! The engine emits a [`SimEvent`] for every state change of a call or a
//! unit; metrics, traces and animations are [`Observer`]s and never reach
//! into the engine's state.

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
}

/// Something that watches a run.
pub trait Observer {
    /// Called for every event, in order of time.
    fn event(&mut self, t: f64, ev: &SimEvent);
}

impl Observer for () {
    fn event(&mut self, _: f64, _: &SimEvent) {}
}

impl<A: Observer, B: Observer> Observer for (A, B) {
    fn event(&mut self, t: f64, ev: &SimEvent) {
        self.0.event(t, ev);
        self.1.event(t, ev);
    }
}
