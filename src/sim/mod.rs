//! The simulation: event queue, units, dispatch, patrol loops and the engine.
//!
//! [`run`] is the one-call entry point: draw the calls of a replication,
//! run the engine with a [`Recorder`] and a [`Presence`] observer, and
//! return the [`Outcome`]. [`run_traced`] does the same and also returns a
//! [`Trace`] of every unit's movements, for animation.
//! [`run_with_progress`] reports the simulated time reached as it goes, for a
//! progress bar; [`with_progress`] does so for runs made deeper down.

pub mod dispatch;
pub mod engine;
pub mod events;
pub mod patrol;
pub mod queue;
pub mod units;

pub use engine::{Engine, Prepared};

use std::borrow::Cow;
use std::cell::RefCell;

use crate::demand::Call;
use crate::error::Result;
use crate::metrics::presence::Presence;
use crate::metrics::{Outcome, Recorder};
use crate::scenario::Scenario;
use crate::trace::{Trace, TraceRecorder};
use events::{Observer, SimEvent};
use units::Route;

/// Simulate replication `rep` of a scenario.
///
/// Inside [`with_progress`], progress is reported to its callback.
pub fn run(scn: &Scenario, prepared: &Prepared, rep: u64) -> Result<Outcome> {
    with_ambient(|progress| run_with_progress(scn, prepared, rep, progress))
}

/// Simulate replication `rep` of a scenario as [`run`] does, calling
/// `progress` with the simulated time reached now and then: every few
/// thousand engine events, or whenever another simulated hour has passed,
/// whichever comes first (cheap enough for any run).
pub fn run_with_progress(
    scn: &Scenario,
    prepared: &Prepared,
    rep: u64,
    progress: &mut dyn FnMut(f64),
) -> Result<Outcome> {
    simulate(scn, prepared, rep, progress, |_| ()).map(|(outcome, (), _)| outcome)
}

/// Simulate replication `rep` of a scenario as [`run`] does, and also record
/// a [`Trace`] (where every unit was, doing what, and when every call was
/// open) for replay and animation. The outcome is the one [`run`] returns.
///
/// Inside [`with_progress`], progress is reported to its callback.
pub fn run_traced(scn: &Scenario, prepared: &Prepared, rep: u64) -> Result<(Outcome, Trace)> {
    with_ambient(|progress| {
        let (outcome, rec, end) = simulate(scn, prepared, rep, progress, |calls| {
            let units = scn.units();
            let homes = units.iter().map(|u| scn.stations[u.station].node).collect();
            let patrol = units.iter().map(|u| u.patrol.is_some()).collect();
            let spans: Vec<_> = calls.iter().map(|c| (c.time_s, c.node)).collect();
            TraceRecorder::new(homes, patrol, &spans, &prepared.loops)
        })?;
        Ok((outcome, rec.finish(end)))
    })
}

/// A progress callback kept for the runs of a [`with_progress`] scope.
type Callback = Box<dyn FnMut(f64)>;

thread_local! {
    /// The callback of the innermost [`with_progress`] on this thread.
    static PROGRESS: RefCell<Option<Callback>> = const { RefCell::new(None) };
}

/// Run `f`, reporting the progress of every [`run`] and [`run_traced`] it
/// makes on this thread (not on other threads, so not those of a batch) to
/// `progress`, as [`run_with_progress`] does. For callers that reach the
/// simulation through other layers (the `run` command through the report).
pub fn with_progress<R>(progress: impl FnMut(f64) + 'static, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Callback>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take();
            PROGRESS.with(|p| *p.borrow_mut() = before);
        }
    }
    let before = PROGRESS.with(|p| p.borrow_mut().replace(Box::new(progress)));
    let _restore = Restore(before);
    f()
}

/// Call `f` with the ambient progress callback (or one that ignores it).
fn with_ambient<R>(f: impl FnOnce(&mut dyn FnMut(f64)) -> R) -> R {
    match PROGRESS.with(|p| p.borrow_mut().take()) {
        Some(cb) => {
            // Put it back afterwards, even if `f` panics, for the next run.
            struct Back(Option<Callback>);
            impl Drop for Back {
                fn drop(&mut self) {
                    if let Some(cb) = self.0.take() {
                        PROGRESS.with(|p| {
                            p.borrow_mut().get_or_insert(cb);
                        });
                    }
                }
            }
            let mut back = Back(Some(cb));
            match back.0.as_mut() {
                Some(cb) => f(&mut **cb),
                None => f(&mut |_| {}),
            }
        }
        None => f(&mut |_| {}),
    }
}

/// Reports the simulated time to a callback now and then.
struct Ticker<'p> {
    progress: &'p mut dyn FnMut(f64),
    count: u32,
    next_s: f64,
}

impl Ticker<'_> {
    /// Engine events between reports at most.
    const EVENTS: u32 = 4096;

    #[inline]
    fn tick(&mut self, t: f64) {
        self.count += 1;
        if self.count >= Self::EVENTS || t >= self.next_s {
            self.count = 0;
            self.next_s = ((t / 3600.0).floor() + 1.0) * 3600.0;
            (self.progress)(t);
        }
    }
}

impl Observer for Ticker<'_> {
    fn event(&mut self, t: f64, _: &SimEvent) {
        self.tick(t);
    }

    fn route(&mut self, t: f64, _: u32, _: &Route) {
        self.tick(t);
    }

    fn looping(&mut self, t: f64, _: u32, _: u32, _: f64) {
        self.tick(t);
    }
}

/// Draw the calls of replication `rep`, run the engine with the metrics
/// observers and the extra observer `extra` builds from the calls, and
/// return the outcome with that observer and the time the run ended.
fn simulate<O: Observer>(
    scn: &Scenario,
    prepared: &Prepared,
    rep: u64,
    progress: &mut dyn FnMut(f64),
    extra: impl FnOnce(&[Call]) -> O,
) -> Result<(Outcome, O, f64)> {
    let calls = scn
        .demand
        .calls(&scn.service, scn.sim.seed, rep, scn.sim.horizon_s);
    let window = (scn.sim.warmup_s, scn.sim.horizon_s);
    let revisit: Vec<f64> = scn.hotspots.iter().map(|h| h.revisit_s).collect();
    let rec = Recorder::new(
        calls.len(),
        scn.unit_count(),
        window,
        &prepared.loops,
        &revisit,
        scn.targets.patrol_loop_s,
    );
    let homes: Vec<u32> = scn
        .units()
        .iter()
        .map(|u| scn.stations[u.station].node.0)
        .collect();
    let presence = Presence::with_map(&scn.net, Cow::Borrowed(&prepared.presence), &homes, window);
    let extra = extra(&calls);
    let ticker = Ticker {
        progress,
        count: 0,
        next_s: 0.0,
    };
    let (((mut rec, presence), extra), _) =
        Engine::new(scn, prepared, &calls, (((rec, presence), extra), ticker)).run()?;
    let end = rec.clear_s.iter().copied().fold(window.1, f64::max);
    rec.finish(end);
    let presence = presence.finish(end);
    Ok((
        Outcome::new(scn, prepared, calls, rec, &presence, rep),
        extra,
        end,
    ))
}
