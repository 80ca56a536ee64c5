//! The simulation: event queue, units, dispatch and the engine.
//!
//! [`run`] is the one-call entry point: draw the calls of a replication,
//! run the engine with a [`Recorder`], and return the [`Outcome`].

pub mod dispatch;
pub mod engine;
pub mod events;
pub mod queue;
pub mod units;

pub use engine::{Engine, Prepared};

use crate::error::Result;
use crate::metrics::{Outcome, Recorder};
use crate::scenario::Scenario;

/// Simulate replication `rep` of a scenario.
pub fn run(scn: &Scenario, prepared: &Prepared, rep: u64) -> Result<Outcome> {
    let calls = scn
        .demand
        .calls(&scn.service, scn.sim.seed, rep, scn.sim.horizon_s);
    let rec = Recorder::new(
        calls.len(),
        scn.unit_count(),
        scn.sim.warmup_s,
        scn.sim.horizon_s,
    );
    let rec = Engine::new(scn, prepared, &calls, rec).run()?;
    Ok(Outcome::new(scn, &calls, &rec, rep))
}
