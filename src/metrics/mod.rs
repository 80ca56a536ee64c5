//! Measuring a run: per-call records, per-unit figures and the summary.
//!
//! [`Recorder`] is an [`Observer`] of the engine's events; it never looks
//! inside the engine. [`Outcome::new`] turns what it saw into the
//! [`CallRecord`]s, [`UnitRecord`]s and the [`Summary`] that the report
//! writes. Only calls that arrive at or after `warmup_s` count; busy time and
//! queue length are measured over `[warmup_s, horizon_s)`. Percentiles use the
//! nearest-rank method, so every figure is the response time of a real call.
//! Patrol figures (lap times, gaps between passes at hotspots) count laps and
//! gaps that begin and end within the window.

pub mod presence;

use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::demand::Call;
use crate::exact;
use crate::network::Network;
use crate::order::{ordered, sort_f64};
use crate::scenario::Scenario;
use crate::sim::events::{Observer, SimEvent};
use crate::sim::patrol::LoopPlan;
use crate::sim::Prepared;

/// Streaming statistics of a sequence of values: exact count, sum, maximum
/// and share within a limit, and nearest-rank percentiles from a histogram of
/// whole milliseconds (each bucket keeps its smallest and largest value, so a
/// percentile is exact whenever its bucket holds one distinct value, and
/// within a millisecond otherwise). Memory grows with the number of distinct
/// milliseconds (32 bytes each, kept sorted), not with the number of values.
#[derive(Clone, Debug)]
pub struct StatsAcc {
    n: usize,
    sum: f64,
    max: f64,
    limit: f64,
    within: usize,
    /// The buckets last used, `(millisecond, bucket)` (most values repeat
    /// one of a few recent ones); the others are in `hist` and `fresh`.
    recent: [(i64, Bucket); RECENT],
    /// Next of `recent` to give up.
    evict: usize,
    /// One bucket per millisecond, sorted, in exactly the memory they need.
    hist: Vec<(i64, Bucket)>,
    /// Buckets given up since `hist` was last merged (keys may repeat):
    /// merged into it once they are an eighth of its size.
    fresh: Vec<(i64, Bucket)>,
}

/// Buckets kept at hand by a [`StatsAcc`].
const RECENT: usize = 4;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    n: u64,
    min: f64,
    max: f64,
}

impl Bucket {
    const EMPTY: Bucket = Bucket {
        n: 0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
    };

    /// The bucket of one value.
    #[inline]
    fn of(x: f64) -> Bucket {
        Bucket {
            n: 1,
            min: x,
            max: x,
        }
    }

    #[inline]
    fn add(&mut self, o: Bucket) {
        self.n += o.n;
        // (One comparison each, where `f64::min` and `max` take five to
        // pass over a NaN; a NaN in `o` is passed over here too.)
        if o.min < self.min {
            self.min = o.min;
        }
        if o.max > self.max {
            self.max = o.max;
        }
    }
}

/// `floor(x * 1000)`: the whole millisecond a value falls in.
#[inline]
fn ms_of(x: f64) -> i64 {
    let y = x * 1000.0;
    let k = y as i64;
    if (k as f64) > y {
        k - 1
    } else {
        k
    }
}

/// Add the buckets of `more` (any order, keys may repeat; sorted and
/// coalesced here, so left changed) to `hist` (one per key, by key), keeping
/// it one per key, by key, in exactly the memory it needs: buckets of keys
/// it has are added in place, and the new keys merged in from the back.
fn merge_into(hist: &mut Vec<(i64, Bucket)>, more: &mut Vec<(i64, Bucket)>) {
    more.sort_unstable_by_key(|b| b.0);
    more.dedup_by(|b, a| {
        let same = a.0 == b.0;
        if same {
            a.1.add(b.1);
        }
        same
    });
    // Keys `hist` has take their bucket now; the others are kept, in order.
    let mut i = 0;
    let mut new = 0;
    for r in 0..more.len() {
        let (key, b) = more[r];
        // `more` is an eighth of `hist` or less: walk rather than search.
        while hist.get(i).is_some_and(|h| h.0 < key) {
            i += 1;
        }
        match hist.get_mut(i) {
            Some(h) if h.0 == key => h.1.add(b),
            _ => {
                more[new] = (key, b);
                new += 1;
            }
        }
    }
    more.truncate(new);
    if new == 0 {
        return;
    }
    let old = hist.len();
    hist.reserve_exact(new);
    hist.resize(old + new, (i64::MAX, Bucket::EMPTY));
    // From the back: the larger of the two tails goes last.
    let (mut i, mut j) = (old, new);
    for k in (0..old + new).rev() {
        if j == 0 {
            break;
        }
        if i > 0 && hist[i - 1].0 > more[j - 1].0 {
            hist[k] = hist[i - 1];
            i -= 1;
        } else {
            hist[k] = more[j - 1];
            j -= 1;
        }
    }
}

impl StatsAcc {
    /// No values yet; [`StatsAcc::within`] counts values `<= limit`.
    pub fn new(limit: f64) -> StatsAcc {
        StatsAcc {
            n: 0,
            sum: 0.0,
            max: f64::NEG_INFINITY,
            limit,
            within: 0,
            recent: [(i64::MIN, Bucket::EMPTY); RECENT],
            evict: 0,
            hist: Vec::new(),
            fresh: Vec::new(),
        }
    }

    /// Add a value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.tally(x);
        self.add(ms_of(x), Bucket::of(x));
    }

    /// Count `x` in the figures kept outside the buckets.
    #[inline]
    fn tally(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        if x > self.max {
            self.max = x;
        }
        self.within += usize::from(x <= self.limit);
    }

    /// Add every value of `xs`, in order (as [`StatsAcc::push`] of each;
    /// a run of values in one millisecond, as laps of a loop are, costs
    /// one bucket update).
    pub fn extend(&mut self, xs: impl IntoIterator<Item = f64>) {
        let mut run: Option<(i64, Bucket)> = None;
        for x in xs {
            self.tally(x);
            let key = ms_of(x);
            match &mut run {
                Some((k, b)) if *k == key => b.add(Bucket::of(x)),
                _ => {
                    if let Some((k, b)) = run.replace((key, Bucket::of(x))) {
                        self.add(k, b);
                    }
                }
            }
        }
        if let Some((k, b)) = run {
            self.add(k, b);
        }
    }

    /// Add bucket `b` of millisecond `key`: to a recent bucket if it is one.
    #[inline]
    fn add(&mut self, key: i64, b: Bucket) {
        if let Some(r) = self.recent.iter_mut().find(|r| r.0 == key) {
            r.1.add(b);
            return;
        }
        let (old_key, old) = std::mem::replace(&mut self.recent[self.evict], (key, b));
        self.evict = (self.evict + 1) % RECENT;
        if old.n > 0 {
            self.keep(old_key, old);
        }
    }

    /// Add the value `x` `n` times (one value repeating, as the gaps of an
    /// undisturbed stretch of patrols do).
    pub fn push_n(&mut self, x: f64, n: u64) {
        if n == 0 {
            return;
        }
        if n == 1 {
            return self.push(x);
        }
        self.n += n as usize;
        self.sum += x * n as f64;
        if x > self.max {
            self.max = x;
        }
        if x <= self.limit {
            self.within += n as usize;
        }
        self.keep(ms_of(x), Bucket { n, min: x, max: x });
    }

    /// Add bucket `b` of millisecond `key` to the histogram.
    fn keep(&mut self, key: i64, b: Bucket) {
        self.fresh.push((key, b));
        if self.fresh.len() >= (self.hist.len() / 8).max(64) {
            merge_into(&mut self.hist, &mut self.fresh);
            self.fresh.clear();
        }
    }

    /// Every bucket, by millisecond.
    fn buckets_sorted(&self) -> Vec<(i64, Bucket)> {
        let mut rest = self.fresh.clone();
        rest.extend(self.recent.iter().filter(|r| r.1.n > 0));
        let mut all = self.hist.clone();
        merge_into(&mut all, &mut rest);
        all
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True before the first value.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Share of the values within the limit (`None` without values).
    pub fn within(&self) -> Option<f64> {
        share(self.within, self.n)
    }

    /// Number of histogram buckets (distinct whole milliseconds).
    pub fn buckets(&self) -> usize {
        self.buckets_sorted().len()
    }

    /// Nearest-rank percentiles of the values, for ascending shares `ps`.
    fn percentiles<const N: usize>(&self, ps: [f64; N]) -> [Option<f64>; N] {
        let mut out = [None; N];
        if self.n == 0 {
            return out;
        }
        let buckets = self.buckets_sorted();
        let ranks = ps.map(|p| ((p * self.n as f64).ceil() as u64).clamp(1, self.n as u64));
        let mut seen = 0u64;
        let mut i = 0;
        for (_, b) in buckets {
            while i < N && ranks[i] <= seen + b.n {
                // Exact at either end of the bucket; within it, its largest
                // value is less than a millisecond above the true one.
                out[i] = Some(if ranks[i] == seen + 1 { b.min } else { b.max });
                i += 1;
            }
            seen += b.n;
            if i == N {
                break;
            }
        }
        out
    }

    /// Mean, nearest-rank percentiles and maximum.
    pub fn stats(&self) -> Stats {
        let [p50, p90, p95] = self.percentiles([0.5, 0.9, 0.95]);
        Stats {
            n: self.n,
            mean: (self.n > 0).then(|| self.sum / self.n as f64),
            p50,
            p90,
            p95,
            max: (self.n > 0).then_some(self.max),
        }
    }
}

/// What a loop's recorder needs to know of it.
#[derive(Clone, Debug)]
struct LoopInfo {
    lap_s: f64,
    wp_offset_s: Vec<f64>,
    hotspots: Vec<Option<usize>>,
    post: bool,
}

/// A patrol unit driving its loop undisturbed (see [`Observer::looping`]).
#[derive(Clone, Copy, Debug)]
struct Stretch {
    since: f64,
    patrol: u32,
    phase_s: f64,
}

/// A stay at a post, as far as the window goes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stay {
    /// Began before the window; not yet known to reach into it.
    Before,
    /// Its start (clipped to the window) has been merged.
    Logged,
    /// Began after the window: ignored.
    After,
}

/// What happens at a hotspot, clipped to the window.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mark {
    /// A pass of a driving unit.
    Pass,
    /// A unit starts standing at a post here.
    Open,
    /// A unit standing here leaves (or the window ends).
    Close,
}

/// A unit passing a hotspot at `base + k * lap_s` (`k = 0, 1, ...`) after
/// `since`, while it drives its loop undisturbed.
#[derive(Clone, Copy, Debug)]
struct Source {
    unit: u32,
    base: f64,
    lap_s: f64,
    since: f64,
}

/// Passes at one hotspot, merged in time order as they become final:
/// overlapping passes merge into one; the gaps between merged passes go to a
/// [`StatsAcc`]. The passes of units driving their loops undisturbed are not
/// listed but worked out from the [`Source`]s when something changes here.
#[derive(Clone, Debug)]
struct PassLog {
    /// Units driving their loops through here, undisturbed.
    sources: Vec<Source>,
    /// Every pass before this time has been merged (and at it, with `done_incl`).
    done: f64,
    done_incl: bool,
    /// Units standing at a post here since before the window.
    before: Vec<u32>,
    /// Merged passes so far.
    passes: usize,
    /// Start of the first merged pass.
    first: f64,
    /// End of the current merged pass so far (while `open == 0`).
    end: f64,
    /// Stays at posts in the current merged pass not yet ended.
    open: u32,
    gaps: StatsAcc,
}

impl PassLog {
    fn new(revisit_s: f64) -> PassLog {
        PassLog {
            sources: Vec::new(),
            done: f64::NEG_INFINITY,
            done_incl: false,
            before: Vec::new(),
            passes: 0,
            first: f64::NAN,
            end: f64::NAN,
            open: 0,
            gaps: StatsAcc::new(revisit_s),
        }
    }

    /// Merge the next mark (in time order; a pass or an arrival at a time
    /// before a departure at that time, so that touching passes merge).
    /// Returns the gap it closed, if any.
    #[inline]
    fn feed(&mut self, t: f64, mark: Mark) -> Option<f64> {
        let mut gap = None;
        match mark {
            Mark::Pass | Mark::Open => {
                if self.passes > 0 && (self.open > 0 || t <= self.end) {
                    self.end = self.end.max(t);
                } else {
                    if self.passes > 0 {
                        let g = t - self.end;
                        self.gaps.push(g);
                        gap = Some(g);
                    } else {
                        self.first = t;
                    }
                    self.passes += 1;
                    self.end = t;
                }
                if mark == Mark::Open {
                    self.open += 1;
                }
            }
            Mark::Close => {
                self.open = self.open.saturating_sub(1);
                self.end = self.end.max(t);
            }
        }
        gap
    }
}

/// Figures of the passes at one hotspot within the window.
#[derive(Clone, Debug, PartialEq)]
pub struct PassFigures {
    /// Merged passes (a stay at a post counts once).
    pub passes: usize,
    /// Gaps between consecutive merged passes.
    pub gaps_s: Stats,
    /// Share of the gaps within the hotspot's `revisit_s`.
    pub gaps_within_revisit: Option<f64>,
    /// Longest time without a pass, including the stretches from the start of
    /// the window to the first pass and from the last pass to its end.
    pub longest_without_s: f64,
}

/// Where passes at `base + k * lap_s` fall in a range: the first `k` and
/// how many.
#[derive(Clone, Copy, Debug)]
struct Run {
    base: f64,
    lap_s: f64,
    k0: u64,
    n: u64,
}

impl Run {
    #[inline]
    fn at(&self, r: u64) -> f64 {
        self.base + (self.k0 + r) as f64 * self.lap_s
    }
}

/// The passes at `base + k * lap_s` (`k >= 0`) with `ok_lo` and `ok_hi`
/// (both monotonic in time: false then true, and true then false).
fn run_of(
    base: f64,
    lap_s: f64,
    lo: f64,
    ok_lo: impl Fn(f64) -> bool,
    hi: f64,
    ok_hi: impl Fn(f64) -> bool,
) -> Run {
    let at = |k: u64| base + k as f64 * lap_s;
    let estimate = |x: f64| {
        ((x - base) / lap_s)
            .ceil()
            .max(0.0)
            .min(u64::MAX as f64 / 4.0) as u64
    };
    let mut k0 = estimate(lo);
    while k0 > 0 && ok_lo(at(k0 - 1)) {
        k0 -= 1;
    }
    while !ok_lo(at(k0)) {
        k0 += 1;
    }
    let mut k1 = estimate(hi).max(k0);
    while k1 > k0 && !ok_hi(at(k1 - 1)) {
        k1 -= 1;
    }
    while ok_hi(at(k1)) {
        k1 += 1;
    }
    Run {
        base,
        lap_s,
        k0,
        n: k1 - k0,
    }
}

/// The lap from a pass of waypoint 0 at `last` to the next at `t`, if it
/// counts: begun and ended within `window` (`[warmup_s, horizon_s]`).
#[inline]
fn counted_lap((w0, w1): (f64, f64), last: f64, t: f64) -> Option<f64> {
    (last >= w0 && t <= w1).then_some(t - last)
}

/// Simulated time merged at once, at most, where passes must be listed
/// (units on loops of different laps at one hotspot), seconds.
const CHUNK_S: f64 = 3600.0;

/// Collects what happens in a run.
///
/// Patrol passes and laps are reduced to statistics as the run goes (see
/// [`StatsAcc`]). The passes a unit makes while driving its loop undisturbed
/// ([`Observer::looping`]) are not listed: each hotspot keeps the units
/// passing it so, and when anything changes there (a unit starts or stops
/// driving its loop, a unit passes it at the end of a drive, a post is
/// taken or left, the run ends) the passes since the last change are merged
/// at once. Units of one loop pass a hotspot in the same order every lap, so
/// the gaps of a lap repeat until the next change and are counted, not
/// listed: the cost grows with the changes, not with the passes.
#[derive(Clone, Debug)]
pub struct Recorder {
    warmup_s: f64,
    horizon_s: f64,
    /// Dispatch time of each call (NaN until dispatched).
    pub dispatch_s: Vec<f64>,
    /// Arrival on scene of each call.
    pub arrive_s: Vec<f64>,
    /// Time each call was cleared.
    pub clear_s: Vec<f64>,
    /// Unit that served each call (`u32::MAX` until dispatched).
    pub unit: Vec<u32>,
    /// Whether each call waited in the queue.
    pub queued: Vec<bool>,
    busy_from: Vec<f64>,
    /// Busy time of each unit within the measured window, seconds.
    pub busy_s: Vec<f64>,
    q_len: usize,
    q_last: f64,
    q_area: f64,
    q_max: usize,
    loops: Vec<LoopInfo>,
    /// Per hotspot: its passes.
    passes: Vec<PassLog>,
    /// Per unit: an open stay at a post, `(hotspot, since, state)`.
    posted: Vec<Option<(usize, f64, Stay)>>,
    /// Per unit: an open stretch of undisturbed loop driving.
    stretches: Vec<Option<Stretch>>,
    /// Per unit: its last pass of waypoint 0.
    last_start: Vec<f64>,
    /// Per loop: observed lap times within the window.
    laps: Vec<StatsAcc>,
    /// Scratch for listed passes.
    batch: Vec<f64>,
    /// Scratch for runs of passes.
    runs: Vec<Run>,
    /// Scratch: the next pass of each run ([`Recorder::merge_listed`]).
    next: Vec<u64>,
    /// Scratch: a lap's gaps ([`Recorder::merge_periodic`]).
    gaps: Vec<f64>,
    /// The most passes ever listed at once.
    peak: usize,
}

impl Recorder {
    /// A recorder for `calls` calls and `units` units, over the window
    /// `[warmup_s, horizon_s)`, for the given loops; `revisit_s` holds each
    /// hotspot's longest allowed gap between passes and `lap_target_s` the
    /// lap target (gaps and laps within them are counted exactly).
    pub fn new(
        calls: usize,
        units: usize,
        window: (f64, f64),
        loops: &[LoopPlan],
        revisit_s: &[f64],
        lap_target_s: f64,
    ) -> Recorder {
        Recorder {
            loops: loops
                .iter()
                .map(|l| LoopInfo {
                    lap_s: l.lap_s,
                    wp_offset_s: l.wp_offset_s.clone(),
                    hotspots: l.hotspots.clone(),
                    post: l.is_post(),
                })
                .collect(),
            laps: vec![StatsAcc::new(lap_target_s); loops.len()],
            passes: revisit_s.iter().map(|&r| PassLog::new(r)).collect(),
            posted: vec![None; units],
            stretches: vec![None; units],
            last_start: vec![f64::NAN; units],
            batch: Vec::new(),
            runs: Vec::new(),
            next: Vec::new(),
            gaps: Vec::new(),
            peak: 0,
            warmup_s: window.0,
            horizon_s: window.1,
            dispatch_s: vec![f64::NAN; calls],
            arrive_s: vec![f64::NAN; calls],
            clear_s: vec![f64::NAN; calls],
            unit: vec![u32::MAX; calls],
            queued: vec![false; calls],
            busy_from: vec![f64::NAN; units],
            busy_s: vec![0.0; units],
            q_len: 0,
            q_last: 0.0,
            q_area: 0.0,
            q_max: 0,
        }
    }

    fn clip(&self, a: f64, b: f64) -> f64 {
        (b.min(self.horizon_s) - a.max(self.warmup_s)).max(0.0)
    }

    fn queue_to(&mut self, t: f64) {
        self.q_area += self.q_len as f64 * self.clip(self.q_last, t);
        self.q_last = t;
    }

    /// Observed laps of loop `l` (waypoint 0 to waypoint 0 by one unit,
    /// starting at or after the warm-up and ending by the horizon).
    pub fn laps(&self, l: usize) -> &StatsAcc {
        &self.laps[l]
    }

    /// The passes at hotspot `h` within the window; complete after [`Recorder::finish`].
    pub fn passes(&self, h: usize) -> PassFigures {
        let log = &self.passes[h];
        let (w0, w1) = (self.warmup_s, self.horizon_s);
        let longest = if log.passes == 0 {
            w1 - w0
        } else {
            let edges = (log.first - w0).max(w1 - log.end).max(0.0);
            if log.gaps.is_empty() {
                edges
            } else {
                edges.max(log.gaps.max)
            }
        };
        PassFigures {
            passes: log.passes,
            gaps_s: log.gaps.stats(),
            gaps_within_revisit: log.gaps.within(),
            longest_without_s: longest,
        }
    }

    /// The most passes ever listed at once to be merged (a measure of the
    /// memory patrol passes take: it does not grow with the run).
    pub fn peak_listed(&self) -> usize {
        self.peak
    }

    /// Merge every pass at hotspot `h` before `t` (or at it too, with
    /// `inclusive`): nothing changes there before then.
    fn advance(&mut self, h: usize, t: f64, inclusive: bool) {
        let (w0, w1) = (self.warmup_s, self.horizon_s);
        let log = &mut self.passes[h];
        if (t > w0 || (inclusive && t >= w0)) && !log.before.is_empty() {
            // Stays that began before the window and last into it: they
            // start it, before any pass in it.
            for u in std::mem::take(&mut log.before) {
                if let Some(p) = self.posted[u as usize].as_mut() {
                    p.2 = Stay::Logged;
                    log.feed(w0, Mark::Open);
                }
            }
        }
        // Passes after `done` (and at it, unless merged already) are new.
        let (done, done_incl) = (log.done, log.done_incl);
        if t > done {
            (log.done, log.done_incl) = (t, inclusive);
        } else if t == done {
            log.done_incl |= inclusive;
        }
        if log.sources.is_empty() || t < done || (t == done && (done_incl || !inclusive)) {
            return;
        }
        let lo = done.max(w0);
        let mut runs = std::mem::take(&mut self.runs);
        runs.clear();
        runs.extend(log.sources.iter().map(|s| {
            let since = s.since;
            run_of(
                s.base,
                s.lap_s,
                lo,
                |x| x > since && x >= lo && (x > done || (x == done && !done_incl)),
                t,
                |x| x <= w1 && (x < t || (inclusive && x == t)),
            )
        }));
        runs.retain(|r| r.n > 0);
        if let Some(first) = runs.first() {
            let lap = first.lap_s.to_bits();
            let total: u64 = runs.iter().map(|r| r.n).sum();
            if runs.iter().all(|r| r.lap_s.to_bits() == lap) && total > 4 * runs.len() as u64 {
                self.merge_periodic(h, &runs);
            } else {
                self.merge_listed(h, &runs);
            }
        }
        self.runs = runs;
    }

    /// Merge runs of passes by listing them, a chunk of time at a time.
    fn merge_listed(&mut self, h: usize, runs: &[Run]) {
        let mut next = std::mem::take(&mut self.next);
        next.clear();
        next.resize(runs.len(), 0);
        self.merge_listed_with(h, runs, &mut next);
        self.next = next;
    }

    fn merge_listed_with(&mut self, h: usize, runs: &[Run], next: &mut [u64]) {
        let mut from = runs.iter().map(|r| r.at(0)).fold(f64::INFINITY, f64::min);
        loop {
            let upto = from + CHUNK_S;
            self.batch.clear();
            for (r, k) in runs.iter().zip(next.iter_mut()) {
                while *k < r.n && r.at(*k) < upto {
                    self.batch.push(r.at(*k));
                    *k += 1;
                }
            }
            if self.batch.is_empty() {
                if next.iter().zip(runs).all(|(k, r)| *k >= r.n) {
                    return;
                }
                from = upto;
                continue;
            }
            self.peak = self.peak.max(self.batch.len());
            self.batch.sort_unstable_by_key(|&x| ordered(x));
            for &x in &self.batch {
                self.passes[h].feed(x, Mark::Pass);
            }
            from = upto;
        }
    }

    /// Merge runs of passes with one lap, lap by lap (the `k`-th pass of
    /// every run, in time order). While every run passes, each lap repeats
    /// the one before: its passes and gaps are the same (but for rounding),
    /// so they are counted rather than merged again.
    fn merge_periodic(&mut self, h: usize, runs: &[Run]) {
        let nmin = runs.iter().map(|r| r.n).min().unwrap_or(0);
        let nmax = runs.iter().map(|r| r.n).max().unwrap_or(0);
        let log = &mut self.passes[h];
        let batch = &mut self.batch;
        // Merge lap `k`; returns the passes it added and its gaps.
        let mut lap = |log: &mut PassLog, k: u64, gaps: &mut Vec<f64>| {
            batch.clear();
            batch.extend(runs.iter().filter(|r| k < r.n).map(|r| r.at(k)));
            batch.sort_unstable_by_key(|&x| ordered(x));
            let before = log.passes;
            gaps.clear();
            for &x in batch.iter() {
                if let Some(g) = log.feed(x, Mark::Pass) {
                    gaps.push(g);
                }
            }
            log.passes - before
        };
        let mut gaps = std::mem::take(&mut self.gaps);
        let mut k = 0;
        while k < nmax {
            let added = lap(log, k, &mut gaps);
            k += 1;
            if k == 2 && nmin >= 4 {
                // Laps 2 to nmin - 2 repeat lap 1.
                let copies = nmin - 3;
                log.passes += added * copies as usize;
                for &g in &gaps {
                    log.gaps.push_n(g, copies);
                }
                k += copies;
                let last = runs
                    .iter()
                    .map(|r| r.at(k - 1))
                    .fold(f64::NEG_INFINITY, f64::max);
                log.end = log.end.max(last);
            }
        }
        self.gaps = gaps;
        self.peak = self.peak.max(runs.len());
    }

    /// A pass of waypoint 0 of a driven loop by `unit` at `t`.
    #[inline]
    fn lap_mark(&mut self, unit: usize, patrol: usize, t: f64) {
        let window = (self.warmup_s, self.horizon_s);
        if let Some(lap) = counted_lap(window, self.last_start[unit], t) {
            self.laps[patrol].push(lap);
        }
        self.last_start[unit] = t;
    }

    /// `unit` starts driving loop `patrol` undisturbed at `t`.
    fn start_stretch(&mut self, unit: usize, patrol: u32, t: f64, phase_s: f64) {
        let p = patrol as usize;
        let lap = self.loops[p].lap_s;
        for i in 0..self.loops[p].wp_offset_s.len() {
            if let Some(h) = self.loops[p].hotspots[i] {
                self.advance(h, t, false);
                let d = exact::rem_euclid(self.loops[p].wp_offset_s[i] - phase_s, lap);
                self.passes[h].sources.push(Source {
                    unit: unit as u32,
                    base: t + d,
                    lap_s: lap,
                    since: t,
                });
            }
        }
        self.stretches[unit] = Some(Stretch {
            since: t,
            patrol,
            phase_s,
        });
    }

    /// End `unit`'s stretch of loop driving at `t`: its passes before `t`
    /// (or at it too, with `inclusive`) are all it made.
    fn end_stretch(&mut self, unit: usize, t: f64, inclusive: bool) {
        let Some(s) = self.stretches[unit].take() else {
            return;
        };
        let p = s.patrol as usize;
        for i in 0..self.loops[p].wp_offset_s.len() {
            if let Some(h) = self.loops[p].hotspots[i] {
                self.advance(h, t, inclusive);
                self.passes[h].sources.retain(|x| x.unit != unit as u32);
            }
        }
        // Its laps: passes of waypoint 0 at `since + d + k lap`.
        let lap = self.loops[p].lap_s;
        let base = s.since + exact::rem_euclid(self.loops[p].wp_offset_s[0] - s.phase_s, lap);
        let since = s.since;
        let run = run_of(
            base,
            lap,
            since,
            |x| x > since,
            t,
            |x| x < t || (inclusive && x == t),
        );
        // Each lap is the time since the one before (counted if both are
        // in the window): most are in one millisecond.
        let window = (self.warmup_s, self.horizon_s);
        let mut last = self.last_start[unit];
        self.laps[p].extend((0..run.n).filter_map(|k| {
            let t = run.at(k);
            let lap = counted_lap(window, last, t);
            last = t;
            lap
        }));
        self.last_start[unit] = last;
    }

    /// A pass of hotspot `h` at `t` as an event.
    fn pass(&mut self, h: usize, t: f64) {
        self.advance(h, t, false);
        if t >= self.warmup_s && t <= self.horizon_s {
            self.passes[h].feed(t, Mark::Pass);
        }
    }

    /// `unit` starts standing at the post at hotspot `h` at `t`.
    fn take_post(&mut self, unit: usize, h: usize, t: f64) {
        self.leave_post(unit, t);
        self.advance(h, t, false);
        let stay = if t > self.horizon_s {
            Stay::After
        } else if t >= self.warmup_s {
            self.passes[h].feed(t, Mark::Open);
            Stay::Logged
        } else {
            self.passes[h].before.push(unit as u32);
            Stay::Before
        };
        self.posted[unit] = Some((h, t, stay));
    }

    /// A stay at a post by `unit` ends at `t`.
    fn leave_post(&mut self, unit: usize, t: f64) {
        let Some((h, _, _)) = self.posted[unit] else {
            return;
        };
        self.advance(h, t, false);
        let Some((_, _, stay)) = self.posted[unit].take() else {
            return;
        };
        let (w0, w1) = (self.warmup_s, self.horizon_s);
        let log = &mut self.passes[h];
        match stay {
            Stay::Logged => {
                log.feed(t.min(w1), Mark::Close);
            }
            Stay::Before => {
                log.before.retain(|&u| u != unit as u32);
                if t >= w0 {
                    log.feed(w0, Mark::Open);
                    log.feed(t.min(w1), Mark::Close);
                }
            }
            Stay::After => {}
        }
    }

    /// Close stays at posts and stretches of loop driving that last until
    /// the end of the run at `end`, and merge every pass.
    pub fn finish(&mut self, end: f64) {
        for u in 0..self.posted.len() {
            self.leave_post(u, end);
        }
        // A pass at the very end of the run is made, as an event would be.
        for u in 0..self.stretches.len() {
            self.end_stretch(u, end, true);
        }
        for h in 0..self.passes.len() {
            self.advance(h, end, true);
        }
    }
}

impl Observer for Recorder {
    fn event(&mut self, t: f64, ev: &SimEvent) {
        match *ev {
            SimEvent::Queued { call } => {
                self.queue_to(t);
                self.q_len += 1;
                if t >= self.warmup_s && t < self.horizon_s {
                    self.q_max = self.q_max.max(self.q_len);
                }
                self.queued[call as usize] = true;
            }
            SimEvent::Dispatched {
                call,
                unit,
                from_queue,
                ..
            } => {
                if from_queue {
                    self.queue_to(t);
                    self.q_len -= 1;
                }
                self.dispatch_s[call as usize] = t;
                self.unit[call as usize] = unit;
                if self.busy_from[unit as usize].is_nan() {
                    self.busy_from[unit as usize] = t;
                }
            }
            SimEvent::Arrived { call, .. } => self.arrive_s[call as usize] = t,
            SimEvent::Cleared { call, unit } => {
                self.clear_s[call as usize] = t;
                let from = self.busy_from[unit as usize];
                self.busy_s[unit as usize] += self.clip(from, t);
                self.busy_from[unit as usize] = f64::NAN;
            }
            SimEvent::PatrolPass {
                unit,
                patrol,
                waypoint,
            } => {
                let (u, p) = (unit as usize, patrol as usize);
                let hotspot = self.loops[p].hotspots[waypoint as usize];
                let is_post = self.loops[p].post;
                match hotspot {
                    Some(h) if is_post => self.take_post(u, h, t),
                    Some(h) => self.pass(h, t),
                    None => {}
                }
                if waypoint == 0 && !is_post {
                    self.lap_mark(u, p, t);
                }
            }
            SimEvent::PatrolLeave { unit, .. } => self.leave_post(unit as usize, t),
            SimEvent::Returning { .. } | SimEvent::Home { .. } | SimEvent::Rejoining { .. } => {}
        }
    }

    fn route(&mut self, t: f64, unit: u32, _route: &crate::sim::units::Route) {
        self.end_stretch(unit as usize, t, false);
    }

    fn looping(&mut self, t: f64, unit: u32, patrol: u32, phase_s: f64) {
        let u = unit as usize;
        self.end_stretch(u, t, false);
        if self.loops[patrol as usize].lap_s > 0.0 {
            self.start_stretch(u, patrol, t, phase_s);
        }
    }
}

/// A name shared by many records (a station's or a loop's, on every call its
/// units answer): one allocation per name, not per record. It reads, prints,
/// compares and serialises as the text itself.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label(Arc<str>);

impl Label {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Label {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Label {
    fn from(s: &str) -> Label {
        Label(Arc::from(s))
    }
}

impl std::fmt::Debug for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Label {
    fn eq(&self, o: &str) -> bool {
        &*self.0 == o
    }
}

impl PartialEq<&str> for Label {
    fn eq(&self, o: &&str) -> bool {
        &*self.0 == *o
    }
}

impl PartialEq<String> for Label {
    fn eq(&self, o: &String) -> bool {
        *self.0 == **o
    }
}

impl Serialize for Label {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        ser.serialize_str(&self.0)
    }
}

/// One row of `incidents.csv`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CallRecord {
    /// Call id.
    pub id: u64,
    /// Call time, seconds.
    pub time_s: f64,
    /// Priority (1 = most urgent).
    pub priority: u8,
    /// Node, as the source's id.
    pub node: i64,
    /// Unit that answered.
    pub unit: u32,
    /// That unit's station.
    pub station: Label,
    /// `station` (a station's response unit) or `patrol` (a unit taken off its loop).
    pub unit_kind: &'static str,
    /// The loop of a patrol unit (empty for station units).
    pub patrol: Label,
    /// Dispatch time, seconds.
    pub dispatch_s: f64,
    /// Arrival on scene, seconds.
    pub arrive_s: f64,
    /// Scene cleared, seconds.
    pub clear_s: f64,
    /// Time in the queue after becoming dispatchable, seconds.
    pub wait_s: f64,
    /// Drive time, seconds.
    pub travel_s: f64,
    /// Arrival minus call time, seconds.
    pub response_s: f64,
    /// `response_s <= targets.response_s`.
    pub met_target: bool,
    /// True when no unit was available as the call became dispatchable.
    pub queued: bool,
    /// False for calls before the warm-up ends (not in the summary).
    pub counted: bool,
}

/// Every call's results, kept as the run left them (the calls, and what
/// became of each, column by column: about 61 bytes a call): its
/// [`CallRecord`] rows, with their names and derived times, are made as they
/// are read.
#[derive(Clone, Debug)]
pub struct CallTable {
    calls: Vec<Call>,
    /// For the nodes' ids in the source.
    net: Arc<Network>,
    unit: Vec<u32>,
    dispatch_s: Vec<f64>,
    arrive_s: Vec<f64>,
    clear_s: Vec<f64>,
    queued: Vec<bool>,
    /// Per unit: its kind, station and loop (and one more for no unit).
    who: Vec<(&'static str, Label, Label)>,
    handling_s: f64,
    target_s: f64,
    warmup_s: f64,
}

impl PartialEq for CallTable {
    fn eq(&self, o: &CallTable) -> bool {
        self.len() == o.len() && self.iter().eq(o.iter())
    }
}

impl CallTable {
    /// Calls in the run.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// True when the run had no calls.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Response time of call `i`: arrival on scene minus call time, seconds.
    fn response_s(&self, i: usize) -> f64 {
        self.arrive_s[i] - self.calls[i].time_s
    }

    /// Time call `i` waited after becoming dispatchable, seconds.
    fn wait_s(&self, i: usize) -> f64 {
        self.dispatch_s[i] - (self.calls[i].time_s + self.handling_s)
    }

    /// Whether call `i` falls after the warm-up.
    fn counted(&self, i: usize) -> bool {
        self.calls[i].time_s >= self.warmup_s
    }

    /// The row of call `i` (in call order).
    pub fn get(&self, i: usize) -> Option<CallRecord> {
        (i < self.len()).then(|| self.row(i))
    }

    /// Every row, in call order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = CallRecord> + '_ {
        (0..self.len()).map(|i| self.row(i))
    }

    /// Every row, in call order, in a vector.
    pub fn to_vec(&self) -> Vec<CallRecord> {
        self.iter().collect()
    }

    fn row(&self, i: usize) -> CallRecord {
        let c = &self.calls[i];
        let unit = self.unit[i];
        let nobody = self.who.len() - 1;
        let (unit_kind, station, patrol) = &self.who[(unit as usize).min(nobody)];
        let response_s = self.response_s(i);
        CallRecord {
            id: c.id,
            time_s: c.time_s,
            priority: c.priority,
            node: self.net.ext_id[c.node.idx()],
            unit,
            station: station.clone(),
            unit_kind,
            patrol: patrol.clone(),
            dispatch_s: self.dispatch_s[i],
            arrive_s: self.arrive_s[i],
            clear_s: self.clear_s[i],
            wait_s: self.wait_s(i),
            travel_s: self.arrive_s[i] - self.dispatch_s[i],
            response_s,
            met_target: response_s <= self.target_s,
            queued: self.queued[i],
            counted: self.counted(i),
        }
    }
}

/// One row of `units.csv`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct UnitRecord {
    /// Unit index.
    pub unit: u32,
    /// Its station.
    pub station: String,
    /// `station` or `patrol`.
    pub kind: &'static str,
    /// Its loop, for patrol units.
    pub patrol: String,
    /// Counted calls it served.
    pub calls_served: u32,
    /// Time from dispatch to clear within the measured window, seconds.
    pub busy_s: f64,
    /// `busy_s` over the window length.
    pub utilisation: f64,
}

/// Mean and nearest-rank percentiles.
#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct Stats {
    /// Number of values.
    pub n: usize,
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

/// Nearest-rank percentile of sorted values: the smallest value with at
/// least a share `p` of values at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let k = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[k - 1])
}

impl Stats {
    /// Statistics of some values.
    pub fn of(mut xs: Vec<f64>) -> Stats {
        sort_f64(&mut xs);
        let n = xs.len();
        Stats {
            n,
            mean: (n > 0).then(|| xs.iter().sum::<f64>() / n as f64),
            p50: percentile(&xs, 0.5),
            p90: percentile(&xs, 0.9),
            p95: percentile(&xs, 0.95),
            max: xs.last().copied(),
        }
    }
}

/// The verdict on the response target.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Verdict {
    /// Target response time, seconds.
    pub response_s: f64,
    /// Required share of calls within it.
    pub compliance_goal: f64,
    /// Observed share of counted calls within it.
    pub compliance: Option<f64>,
    /// `compliance >= compliance_goal`.
    pub meets: bool,
}

/// Figures for one priority.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PriorityRow {
    /// Priority.
    pub priority: u8,
    /// Counted calls.
    pub calls: usize,
    /// Share within the target.
    pub compliance: Option<f64>,
    /// Response time statistics, seconds.
    pub response_s: Stats,
}

/// Figures for one hour of the day (by call time).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HourRow {
    /// Hour of day, 0 to 23.
    pub hour: u8,
    /// Counted calls.
    pub calls: usize,
    /// Share within the target.
    pub compliance: Option<f64>,
    /// Mean response time, seconds.
    pub mean_response_s: Option<f64>,
}

/// Queueing figures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct QueueStats {
    /// Counted calls that found no unit available.
    pub calls_queued: usize,
    /// Their share of counted calls.
    pub share_queued: Option<f64>,
    /// Mean time between becoming dispatchable and dispatch, seconds (all counted calls).
    pub mean_wait_s: Option<f64>,
    /// Mean wait of the calls that waited, seconds.
    pub mean_wait_if_queued_s: Option<f64>,
    /// Longest wait, seconds.
    pub max_wait_s: Option<f64>,
    /// Longest queue within the window.
    pub max_length: usize,
    /// Time-average queue length within the window.
    pub mean_length: f64,
}

/// Utilisation across units.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Utilisation {
    /// Mean over units.
    pub mean: f64,
    /// Least-used unit.
    pub min: f64,
    /// Busiest unit.
    pub max: f64,
}

/// Counts of calls.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CallCounts {
    /// All calls simulated.
    pub total: usize,
    /// Calls at or after the warm-up (the summary's base).
    pub counted: usize,
}

/// Size of the network and what loading dropped.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NetworkSummary {
    /// Nodes kept.
    pub nodes: usize,
    /// Directed edges kept.
    pub edges: usize,
    /// Total directed road length, km.
    pub road_km: f64,
    /// Nodes dropped (outside the largest strongly connected component).
    pub dropped_nodes: usize,
    /// Edges dropped.
    pub dropped_edges: usize,
}

/// Everything `summary.json` holds.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the random streams.
    pub seed: u64,
    /// Replication index.
    pub replication: u64,
    /// Horizon, seconds.
    pub horizon_s: f64,
    /// Warm-up, seconds.
    pub warmup_s: f64,
    /// Call handling time, seconds.
    pub call_handling_s: f64,
    /// The network.
    pub network: NetworkSummary,
    /// Number of stations.
    pub stations: usize,
    /// Number of units.
    pub units: usize,
    /// Calls.
    pub calls: CallCounts,
    /// The verdict on the response target.
    pub target: Verdict,
    /// Response time (call to arrival), seconds.
    pub response_s: Stats,
    /// Drive time (dispatch to arrival), seconds.
    pub travel_s: Stats,
    /// By priority.
    pub by_priority: Vec<PriorityRow>,
    /// By hour of day of the call.
    pub by_hour: Vec<HourRow>,
    /// Unit utilisation.
    pub utilisation: Utilisation,
    /// The queue.
    pub queue: QueueStats,
    /// The verdict on the patrol loops.
    pub patrol: PatrolVerdict,
    /// Response target met and every loop meets the lap target.
    pub layout_meets: bool,
    /// Per loop.
    pub loops: Vec<LoopStats>,
    /// Per hotspot.
    pub hotspots: Vec<HotspotStats>,
}

/// The verdict on the patrol loops.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PatrolVerdict {
    /// Number of loops.
    pub loops: usize,
    /// Loops that meet the lap target.
    pub loops_meeting: usize,
    /// Units on loops.
    pub patrol_units: usize,
    /// The lap target, seconds.
    pub loop_target_s: f64,
    /// Number of hotspots.
    pub hotspots: usize,
    /// Hotspots that are a waypoint of some loop.
    pub hotspots_on_loops: usize,
    /// Hotspots whose revisit gaps meet their limit.
    pub hotspots_meeting: usize,
    /// Every loop meets the lap target (`null` without loops).
    pub meets: Option<bool>,
}

/// All results of one run.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Per call, in call order.
    pub calls: CallTable,
    /// Per unit.
    pub units: Vec<UnitRecord>,
    /// The summary.
    pub summary: Summary,
}

fn share(k: usize, n: usize) -> Option<f64> {
    (n > 0).then(|| k as f64 / n as f64)
}

impl Outcome {
    /// Build the results from the calls and what the recorder saw (its
    /// per-call columns move into the results).
    pub fn new(
        scn: &Scenario,
        prepared: &Prepared,
        calls: Vec<Call>,
        mut rec: Recorder,
        presence: &[f64],
        rep: u64,
    ) -> Outcome {
        let specs = scn.units();
        // Each name once; every call answered by a unit shares its unit's.
        let stations: Vec<Label> = scn.stations.iter().map(|s| Label::from(&*s.name)).collect();
        let patrols: Vec<Label> = scn.patrols.iter().map(|p| Label::from(&*p.name)).collect();
        let none = Label::from("");
        let mut who: Vec<(&'static str, Label, Label)> = specs
            .iter()
            .map(|s| match s.patrol {
                Some(p) => ("patrol", stations[s.station].clone(), patrols[p].clone()),
                None => ("station", stations[s.station].clone(), none.clone()),
            })
            .collect();
        who.push(("station", none.clone(), none));
        let warm = scn.sim.warmup_s;
        let mut served = vec![0u32; specs.len()];
        for (c, &unit) in calls.iter().zip(&rec.unit) {
            if c.time_s >= warm && (unit as usize) < served.len() {
                served[unit as usize] += 1;
            }
        }
        let records = CallTable {
            calls,
            net: scn.net.clone(),
            unit: std::mem::take(&mut rec.unit),
            dispatch_s: std::mem::take(&mut rec.dispatch_s),
            arrive_s: std::mem::take(&mut rec.arrive_s),
            clear_s: std::mem::take(&mut rec.clear_s),
            queued: std::mem::take(&mut rec.queued),
            who,
            handling_s: scn.call_handling_s,
            target_s: scn.targets.response_s,
            warmup_s: warm,
        };
        let rec = &rec;
        let who = &records.who;
        let window = scn.sim.horizon_s - warm;
        let units: Vec<UnitRecord> = specs
            .iter()
            .enumerate()
            .map(|(u, s)| {
                let (kind, _, patrol) = &who[u];
                UnitRecord {
                    unit: u as u32,
                    station: scn.stations[s.station].name.clone(),
                    kind,
                    patrol: patrol.to_string(),
                    calls_served: served[u],
                    busy_s: rec.busy_s[u],
                    utilisation: rec.busy_s[u] / window,
                }
            })
            .collect();
        let loops = loop_stats(scn, prepared, rec);
        let hotspots = hotspot_stats(scn, prepared, rec, presence);
        let summary = summarise(scn, &records, &units, rec, rep, loops, hotspots);
        Outcome {
            calls: records,
            units,
            summary,
        }
    }
}

/// Figures for one patrol loop.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LoopStats {
    /// Loop name.
    pub name: String,
    /// Home station.
    pub station: String,
    /// Units on the loop.
    pub units: u32,
    /// Waypoints, in driving order.
    pub waypoints: Vec<String>,
    /// Where units rejoin after a call.
    pub rejoin: &'static str,
    /// Undisturbed lap time, seconds.
    pub static_lap_s: f64,
    /// Observed laps (waypoint 0 to waypoint 0 by one unit, calls included), seconds.
    pub laps: Stats,
    /// Share of observed laps within the lap target.
    pub laps_within_target: Option<f64>,
    /// Static lap within the target, and the share of observed laps within it
    /// at least the compliance goal (a post, with no lap, meets it).
    pub meets: bool,
}

/// Figures for one hotspot.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HotspotStats {
    /// Hotspot name.
    pub name: String,
    /// Kind of place.
    pub kind: &'static str,
    /// Longest allowed gap between passes, seconds.
    pub revisit_s: f64,
    /// Loops that have it as a waypoint.
    pub loops: usize,
    /// Patrol passes within the window (a stay at a post counts once).
    pub passes: usize,
    /// Gaps between consecutive passes, both within the window, seconds.
    pub gaps_s: Stats,
    /// Share of those gaps within `revisit_s`.
    pub gaps_within_revisit: Option<f64>,
    /// Longest time without a patrol unit there, including the stretches
    /// before the first and after the last pass in the window, seconds.
    pub longest_without_s: f64,
    /// Share of the window with some unit (of any kind) within the presence radius.
    pub presence: f64,
    /// On a loop, and the share of gaps within `revisit_s` at least the compliance goal.
    pub meets: bool,
}

fn loop_stats(scn: &Scenario, prepared: &Prepared, rec: &Recorder) -> Vec<LoopStats> {
    let target = scn.targets.patrol_loop_s;
    scn.patrols
        .iter()
        .zip(&prepared.loops)
        .enumerate()
        .map(|(i, (p, plan))| {
            let laps = rec.laps(i);
            let within = laps.within();
            let meets = plan.lap_s <= target
                && (plan.is_post() || within.is_some_and(|w| w >= scn.targets.compliance));
            LoopStats {
                name: p.name.clone(),
                station: scn.stations[p.station].name.clone(),
                units: p.units,
                waypoints: p.waypoints.iter().map(|w| w.label.clone()).collect(),
                rejoin: p.rejoin.name(),
                static_lap_s: plan.lap_s,
                laps: laps.stats(),
                laps_within_target: within,
                meets,
            }
        })
        .collect()
}

fn hotspot_stats(
    scn: &Scenario,
    prepared: &Prepared,
    rec: &Recorder,
    presence: &[f64],
) -> Vec<HotspotStats> {
    scn.hotspots
        .iter()
        .enumerate()
        .map(|(h, hs)| {
            let loops = prepared
                .loops
                .iter()
                .filter(|l| l.hotspots.contains(&Some(h)))
                .count();
            let PassFigures {
                passes,
                gaps_s,
                gaps_within_revisit: within,
                longest_without_s: longest,
            } = rec.passes(h);
            HotspotStats {
                name: hs.name.clone(),
                kind: hs.kind.name(),
                revisit_s: hs.revisit_s,
                loops,
                passes,
                gaps_s,
                gaps_within_revisit: within,
                longest_without_s: longest,
                presence: presence.get(h).copied().unwrap_or(0.0),
                meets: loops > 0
                    && (within.is_some_and(|w| w >= scn.targets.compliance)
                        || (passes > 0 && longest <= hs.revisit_s)),
            }
        })
        .collect()
}

fn summarise(
    scn: &Scenario,
    records: &CallTable,
    units: &[UnitRecord],
    rec: &Recorder,
    rep: u64,
    loops: Vec<LoopStats>,
    hotspots: Vec<HotspotStats>,
) -> Summary {
    // One pass for the counts; then the values of one percentile at a time.
    let priorities = scn.priorities();
    let mut per_priority = vec![(0usize, 0usize); priorities];
    let mut hours = vec![(0usize, 0usize, 0.0f64); 24];
    let (mut n, mut met, mut queued) = (0usize, 0usize, 0usize);
    let counted = || (0..records.len()).filter(|&i| records.counted(i));
    for i in counted() {
        let (c, response_s) = (&records.calls[i], records.response_s(i));
        let met_target = response_s <= records.target_s;
        n += 1;
        met += usize::from(met_target);
        queued += usize::from(records.queued[i]);
        if let Some(row) = per_priority.get_mut((c.priority as usize).wrapping_sub(1)) {
            row.0 += 1;
            row.1 += usize::from(met_target);
        }
        let h = ((c.time_s / 3600.0).floor() as i64).rem_euclid(24) as usize;
        hours[h].0 += 1;
        hours[h].1 += met_target as usize;
        hours[h].2 += response_s;
    }
    let response = Stats::of(counted().map(|i| records.response_s(i)).collect());
    let travel = Stats::of(
        counted()
            .map(|i| records.arrive_s[i] - records.dispatch_s[i])
            .collect(),
    );
    let compliance = share(met, n);
    let by_priority = per_priority
        .into_iter()
        .enumerate()
        .map(|(i, (calls, met))| PriorityRow {
            priority: i as u8 + 1,
            calls,
            compliance: share(met, calls),
            response_s: Stats::of(
                counted()
                    .filter(|&k| records.calls[k].priority as usize == i + 1)
                    .map(|k| records.response_s(k))
                    .collect(),
            ),
        })
        .collect();
    let by_hour = hours
        .iter()
        .enumerate()
        .map(|(h, &(k, m, sum))| HourRow {
            hour: h as u8,
            calls: k,
            compliance: share(m, k),
            mean_response_s: (k > 0).then(|| sum / k as f64),
        })
        .collect();
    let utils: Vec<f64> = units.iter().map(|u| u.utilisation).collect();
    let waits = || counted().map(|i| records.wait_s(i));
    let queued_waits = || {
        counted()
            .filter(|&i| records.queued[i])
            .map(|i| records.wait_s(i))
    };
    let window = scn.sim.horizon_s - scn.sim.warmup_s;
    Summary {
        scenario: scn.name.clone(),
        seed: scn.sim.seed,
        replication: rep,
        horizon_s: scn.sim.horizon_s,
        warmup_s: scn.sim.warmup_s,
        call_handling_s: scn.call_handling_s,
        network: NetworkSummary {
            nodes: scn.net.node_count(),
            edges: scn.net.edge_count(),
            road_km: scn.net.total_km(),
            dropped_nodes: scn.net.dropped.dropped_nodes,
            dropped_edges: scn.net.dropped.dropped_edges,
        },
        stations: scn.stations.len(),
        units: units.len(),
        calls: CallCounts {
            total: records.len(),
            counted: n,
        },
        target: Verdict {
            response_s: scn.targets.response_s,
            compliance_goal: scn.targets.compliance,
            compliance,
            meets: compliance.is_some_and(|c| c >= scn.targets.compliance),
        },
        response_s: response,
        travel_s: travel,
        by_priority,
        by_hour,
        utilisation: Utilisation {
            mean: utils.iter().sum::<f64>() / utils.len().max(1) as f64,
            min: utils.iter().copied().fold(f64::INFINITY, f64::min),
            max: utils.iter().copied().fold(0.0, f64::max),
        },
        patrol: PatrolVerdict {
            loops: loops.len(),
            loops_meeting: loops.iter().filter(|l| l.meets).count(),
            patrol_units: units.iter().filter(|u| u.kind == "patrol").count(),
            loop_target_s: scn.targets.patrol_loop_s,
            hotspots: hotspots.len(),
            hotspots_on_loops: hotspots.iter().filter(|h| h.loops > 0).count(),
            hotspots_meeting: hotspots.iter().filter(|h| h.meets).count(),
            meets: (!loops.is_empty()).then(|| loops.iter().all(|l| l.meets)),
        },
        layout_meets: compliance.is_some_and(|c| c >= scn.targets.compliance)
            && loops.iter().all(|l| l.meets),
        loops,
        hotspots,
        queue: QueueStats {
            calls_queued: queued,
            share_queued: share(queued, n),
            mean_wait_s: (n > 0).then(|| waits().sum::<f64>() / n as f64),
            mean_wait_if_queued_s: (queued > 0)
                .then(|| queued_waits().sum::<f64>() / queued as f64),
            max_wait_s: waits().reduce(f64::max),
            max_length: rec.q_max,
            mean_length: rec.q_area / window,
        },
    }
}

/// A small city and scripted runs for the observers' tests: the same
/// movements told the old way (a route per loop leg and a pass event per
/// waypoint) and the new way ([`Observer::looping`] stretches).
#[cfg(test)]
pub(crate) mod testkit {
    use crate::network::build::{RawEdge, RawNetwork, RawNode};
    use crate::network::{CoordSystem, EdgeId, Network, NodeId, RoadClass};
    use crate::routing::Search;
    use crate::scenario::{Patrol, Rejoin, Waypoint};
    use crate::sim::events::{Observer, SimEvent};
    use crate::sim::patrol::LoopPlan;
    use crate::sim::units::Route;

    /// A one-way square 0 -> 1 -> 2 -> 3 -> 0 at (0,0), (100,0), (100,100),
    /// (0,100), with edges of 10, 10, 15 and 15 s, and a spur 3 <-> 4 of
    /// 1,000 s each way to (-1000,100).
    pub fn square() -> Network {
        let pos = [
            [0.0, 0.0],
            [100.0, 0.0],
            [100.0, 100.0],
            [0.0, 100.0],
            [-1000.0, 100.0],
        ];
        let edges = [
            (0, 1, 100.0, 10.0),
            (1, 2, 100.0, 10.0),
            (2, 3, 100.0, 15.0),
            (3, 0, 100.0, 15.0),
            (3, 4, 1000.0, 1000.0),
            (4, 3, 1000.0, 1000.0),
        ];
        RawNetwork {
            coords: CoordSystem::Planar { unit_m: 1.0 },
            nodes: pos
                .iter()
                .enumerate()
                .map(|(i, &pos)| RawNode {
                    ext_id: i as i64,
                    pos,
                    weight: None,
                })
                .collect(),
            edges: edges
                .iter()
                .map(|&(u, v, l, t)| RawEdge {
                    u,
                    v,
                    length_m: Some(l),
                    time_s: Some(t),
                    speed_kph: None,
                    class: RoadClass::Local,
                })
                .collect(),
        }
        .freeze(30.0)
        .unwrap()
    }

    /// The loop through `(node, hotspot)` waypoints.
    pub fn plan(net: &Network, waypoints: &[(u32, Option<usize>)]) -> LoopPlan {
        let p = Patrol {
            name: "p".into(),
            station: 0,
            units: 1,
            waypoints: waypoints
                .iter()
                .map(|&(n, hotspot)| Waypoint {
                    node: NodeId(n),
                    hotspot,
                    label: n.to_string(),
                })
                .collect(),
            rejoin: Rejoin::Resume,
            max_priority: u8::MAX,
        };
        LoopPlan::new(net, &mut Search::new(net.node_count()), &p)
    }

    /// The edges along a walk through `nodes`.
    pub fn walk(net: &Network, nodes: &[u32]) -> Vec<EdgeId> {
        nodes
            .windows(2)
            .map(|w| {
                let slot = net
                    .fwd
                    .range(w[0])
                    .find(|&s| net.fwd.head[s] == w[1])
                    .expect("an edge");
                EdgeId(slot as u32)
            })
            .collect()
    }

    /// One call to an observer.
    #[derive(Clone, Debug)]
    pub enum Call {
        Event(SimEvent),
        Route(u32, Route),
        Looping(u32, u32, f64),
    }

    /// A run told as calls to observers, built unit by unit and played in
    /// time order.
    pub struct Script {
        /// `(time, sequence, call)`.
        pub calls: Vec<(f64, usize, Call)>,
        /// Tell loop driving the old way.
        pub old: bool,
    }

    impl Script {
        pub fn new(old: bool) -> Script {
            Script {
                calls: Vec::new(),
                old,
            }
        }

        pub fn event(&mut self, t: f64, ev: SimEvent) {
            self.calls.push((t, self.calls.len(), Call::Event(ev)));
        }

        pub fn route(&mut self, t: f64, unit: u32, route: Route) {
            self.calls
                .push((t, self.calls.len(), Call::Route(unit, route)));
        }

        /// `unit` drives loop `patrol` undisturbed from `t`, `phase_s` into
        /// the lap, until its next drive at `until` (or, with `run_end`, until
        /// the run ends then: a pass at `until` is made).
        #[allow(clippy::too_many_arguments)]
        pub fn looping(
            &mut self,
            net: &Network,
            plan: &LoopPlan,
            unit: u32,
            patrol: u32,
            t: f64,
            phase_s: f64,
            until: f64,
            run_end: bool,
        ) {
            if !self.old {
                self.calls
                    .push((t, self.calls.len(), Call::Looping(unit, patrol, phase_s)));
                return;
            }
            // The old engine: the leg under way (begun before `t`), then at
            // each waypoint a pass and the next leg.
            let n = plan.len();
            let mut leg = plan
                .wp_offset_s
                .partition_point(|&x| x <= phase_s)
                .saturating_sub(1);
            let mut start = t - phase_s + plan.wp_offset_s[leg];
            let mut at = t;
            loop {
                let route = Route::from_node(net, start, plan.nodes[leg], plan.legs[leg].clone());
                let arrive = route.arrival();
                self.route(at, unit, route);
                if arrive > until || (arrive == until && !run_end) {
                    break;
                }
                leg = (leg + 1) % n;
                self.event(
                    arrive,
                    SimEvent::PatrolPass {
                        unit,
                        patrol,
                        waypoint: leg as u32,
                    },
                );
                start = arrive;
                at = arrive;
            }
        }

        /// Play the calls in time order (then in the order they were made).
        pub fn play<O: Observer>(&self, obs: &mut O) {
            let mut calls: Vec<&(f64, usize, Call)> = self.calls.iter().collect();
            calls.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (t, _, call) in calls {
                match call {
                    Call::Event(ev) => obs.event(*t, ev),
                    Call::Route(u, r) => obs.route(*t, *u, r),
                    Call::Looping(u, p, phase) => obs.looping(*t, *u, *p, *phase),
                }
            }
        }
    }

    /// The city's loops: 0 = [A (node 0), B (node 2)], a lap of 50 s;
    /// 1 = a post at C (node 1); 2 = [C, node 3], a lap of 50 s; 3 = [A,
    /// node 4], out along the spur and back, a lap of 2,050 s.
    /// Hotspots: A = 0, B = 1, C = 2.
    pub fn loops(net: &Network) -> Vec<LoopPlan> {
        vec![
            plan(net, &[(0, Some(0)), (2, Some(1))]),
            plan(net, &[(1, Some(2))]),
            plan(net, &[(1, Some(2)), (3, None)]),
            plan(net, &[(0, Some(0)), (4, None)]),
        ]
    }

    /// Homes of the six units: five patrol units and a station unit, all
    /// of the far station at node 4.
    pub const HOMES: [u32; 6] = [4, 4, 4, 4, 4, 4];

    /// Unit 0 driving loop 0 undisturbed from 0 to `end`, with unrelated
    /// events every 1000 s until 249,000: as the engine tells it, and the old
    /// way (`(new, old)`).
    pub fn long_stretch(net: &Network, loops: &[LoopPlan], end: f64) -> (Script, Script) {
        let mut new = Script::new(false);
        let mut old = Script::new(true);
        for s in [&mut new, &mut old] {
            s.looping(net, &loops[0], 0, 0, 0.0, 0.0, end, true);
            // Unrelated events for the first half; then none until the end.
            for k in 1..250 {
                s.event(f64::from(k) * 1000.0, SimEvent::Home { unit: 1 });
            }
        }
        (new, old)
    }

    /// A run until `end`: unit 0 on loop 0 from waypoint 0, taken off it at
    /// 1234.5 to the far node and back to B; unit 1 on loop 0 half a lap
    /// on, undisturbed; unit 2 at the post C, away from 5000.25 to 7050.25;
    /// unit 3 on loop 2, 10 s in, undisturbed; unit 4, the station unit,
    /// sent to A at 3000 and home again; unit 5 on loop 3 (so A sees two
    /// laps), 100 s in, undisturbed. Calls 0, 1 and 2.
    pub fn city_run(net: &Network, loops: &[LoopPlan], end: f64, old: bool) -> Script {
        let mut s = Script::new(old);
        // Unit 0.
        let t = 1234.5;
        s.looping(net, &loops[0], 0, 0, 0.0, 0.0, t, false);
        let at = loops[0].loc_at(net, 0.0, 0.0, t);
        // 1234.5 s in: 34.5 s into the lap, on 2 -> 3 (heading for 3).
        let out = Route::from_loc(net, t, at, walk(net, &[3, 4]));
        let arrive = out.arrival();
        s.route(t, 0, out);
        s.event(
            t,
            SimEvent::Dispatched {
                call: 0,
                unit: 0,
                travel_s: arrive - t,
                from_queue: false,
            },
        );
        s.event(arrive, SimEvent::Arrived { call: 0, unit: 0 });
        let clear = arrive + 50.0;
        s.event(clear, SimEvent::Cleared { call: 0, unit: 0 });
        s.event(
            clear,
            SimEvent::Rejoining {
                unit: 0,
                patrol: 0,
                waypoint: 1,
            },
        );
        let back = Route::from_node(net, clear, NodeId(4), walk(net, &[4, 3, 0, 1, 2]));
        let rejoin = back.arrival();
        s.route(clear, 0, back);
        s.event(
            rejoin,
            SimEvent::PatrolPass {
                unit: 0,
                patrol: 0,
                waypoint: 1,
            },
        );
        s.looping(
            net,
            &loops[0],
            0,
            0,
            rejoin,
            loops[0].wp_offset_s[1],
            end,
            true,
        );
        // Unit 1.
        s.looping(net, &loops[0], 1, 0, 0.0, 25.0, end, true);
        // Unit 2, at the post.
        s.route(0.0, 2, Route::from_node(net, 0.0, NodeId(1), Vec::new()));
        let pass = SimEvent::PatrolPass {
            unit: 2,
            patrol: 1,
            waypoint: 0,
        };
        s.event(0.0, pass);
        let t = 5000.25;
        let out = Route::from_node(net, t, NodeId(1), walk(net, &[1, 2, 3]));
        let arrive = out.arrival();
        s.route(t, 2, out);
        s.event(
            t,
            SimEvent::PatrolLeave {
                unit: 2,
                patrol: 1,
                waypoint: 0,
            },
        );
        s.event(
            t,
            SimEvent::Dispatched {
                call: 1,
                unit: 2,
                travel_s: arrive - t,
                from_queue: false,
            },
        );
        s.event(arrive, SimEvent::Arrived { call: 1, unit: 2 });
        let clear = arrive + 2000.0;
        s.event(clear, SimEvent::Cleared { call: 1, unit: 2 });
        let back = Route::from_node(net, clear, NodeId(3), walk(net, &[3, 0, 1]));
        let home = back.arrival();
        s.route(clear, 2, back);
        s.event(home, pass);
        // Unit 3.
        s.looping(net, &loops[2], 3, 2, 0.0, 10.0, end, true);
        // Unit 5.
        s.looping(net, &loops[3], 5, 3, 0.0, 100.0, end, true);
        // Unit 4, the station unit.
        let t = 3000.0;
        let out = Route::from_node(net, t, NodeId(4), walk(net, &[4, 3, 0]));
        let arrive = out.arrival();
        s.route(t, 4, out);
        s.event(
            t,
            SimEvent::Dispatched {
                call: 2,
                unit: 4,
                travel_s: arrive - t,
                from_queue: false,
            },
        );
        s.event(arrive, SimEvent::Arrived { call: 2, unit: 4 });
        let clear = arrive + 85.0;
        s.event(clear, SimEvent::Cleared { call: 2, unit: 4 });
        let back = Route::from_node(net, clear, NodeId(0), walk(net, &[0, 1, 2, 3, 4]));
        let home = back.arrival();
        s.route(clear, 4, back);
        s.event(clear, SimEvent::Returning { unit: 4 });
        s.event(home, SimEvent::Home { unit: 4 });
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&xs, 0.5), Some(5.0));
        assert_eq!(percentile(&xs, 0.9), Some(9.0));
        assert_eq!(percentile(&xs, 0.95), Some(10.0));
        assert_eq!(percentile(&xs, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    use super::testkit::{city_run, long_stretch, loops, square, Script};
    use crate::sim::units::Route;

    /// The recorder as it was: every pass kept, merged at the end.
    struct Reference {
        loops: Vec<LoopPlan>,
        window: (f64, f64),
        passes: Vec<Vec<(f64, f64)>>,
        posted: Vec<Option<(usize, f64)>>,
        last_start: Vec<f64>,
        laps: Vec<Vec<f64>>,
    }

    impl Reference {
        fn new(loops: &[LoopPlan], window: (f64, f64), hotspots: usize, units: usize) -> Self {
            Reference {
                loops: loops.to_vec(),
                window,
                passes: vec![Vec::new(); hotspots],
                posted: vec![None; units],
                last_start: vec![f64::NAN; units],
                laps: vec![Vec::new(); loops.len()],
            }
        }

        fn finish(&mut self, end: f64) {
            for p in self.posted.iter_mut() {
                if let Some((h, since)) = p.take() {
                    self.passes[h].push((since, end));
                }
            }
        }

        /// `(passes, gaps, longest)` as the old code measured them.
        fn gaps(&self, h: usize) -> (usize, Vec<f64>, f64) {
            let (w0, w1) = self.window;
            let mut iv: Vec<(f64, f64)> = self.passes[h]
                .iter()
                .copied()
                .filter(|&(a, b)| b >= w0 && a <= w1)
                .collect();
            iv.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
            let mut merged: Vec<(f64, f64)> = Vec::new();
            for (a, b) in iv {
                match merged.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            let gaps: Vec<f64> = merged.windows(2).map(|w| w[1].0 - w[0].1).collect();
            let longest = match (merged.first(), merged.last()) {
                (Some(f), Some(l)) => gaps
                    .iter()
                    .copied()
                    .fold((f.0 - w0).max(w1 - l.1).max(0.0), f64::max),
                _ => w1 - w0,
            };
            (merged.len(), gaps, longest)
        }
    }

    impl Observer for Reference {
        fn event(&mut self, t: f64, ev: &SimEvent) {
            match *ev {
                SimEvent::PatrolPass {
                    unit,
                    patrol,
                    waypoint,
                } => {
                    let plan = &self.loops[patrol as usize];
                    let hotspot = plan.hotspots[waypoint as usize];
                    let is_post = plan.is_post();
                    match hotspot {
                        Some(h) if is_post => self.posted[unit as usize] = Some((h, t)),
                        Some(h) => self.passes[h].push((t, t)),
                        None => {}
                    }
                    if waypoint == 0 && !is_post {
                        let last = self.last_start[unit as usize];
                        if last >= self.window.0 && t <= self.window.1 {
                            self.laps[patrol as usize].push(t - last);
                        }
                        self.last_start[unit as usize] = t;
                    }
                }
                SimEvent::PatrolLeave { unit, .. } => {
                    if let Some((h, since)) = self.posted[unit as usize].take() {
                        self.passes[h].push((since, t));
                    }
                }
                _ => {}
            }
        }
    }

    const REVISIT: [f64; 3] = [50.0, 60.0, 25.0];

    fn record(script: &Script, loops: &[LoopPlan], window: (f64, f64), end: f64) -> Recorder {
        let mut rec = Recorder::new(3, 6, window, loops, &REVISIT, 60.0);
        script.play(&mut rec);
        rec.finish(end);
        rec
    }

    fn assert_same_stats(a: &Stats, b: &Stats, what: &str) {
        assert_eq!(
            (a.n, a.p50, a.p90, a.p95, a.max),
            (b.n, b.p50, b.p90, b.p95, b.max),
            "{what}"
        );
        match (a.mean, b.mean) {
            (Some(x), Some(y)) => {
                assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{what}: {x} {y}")
            }
            (x, y) => assert_eq!(x, y, "{what}"),
        }
    }

    #[test]
    fn stats_accumulator_extended_is_pushed_one_by_one() {
        // Runs of values in one millisecond (as laps are), and values that
        // jump between milliseconds.
        let xs: Vec<f64> = (0..20_000u64)
            .map(|i| 870.0 + ((i / 37) % 5) as f64 * 0.001 + (i % 3) as f64 * 1e-7)
            .chain((0..3000u64).map(|i| ((i * 7919) % 613) as f64 * 0.25))
            .collect();
        let (mut one, mut all) = (StatsAcc::new(870.002), StatsAcc::new(870.002));
        xs.iter().for_each(|&x| one.push(x));
        all.extend(xs.iter().copied());
        assert_eq!(all.stats(), one.stats());
        assert_eq!(all.within(), one.within());
        assert_eq!(all.buckets(), one.buckets());
        assert_eq!(all.sum.to_bits(), one.sum.to_bits());
    }

    proptest::proptest! {
        /// However values arrive (one by one, repeated, in runs), the
        /// histogram holds every millisecond once, in order, with its count
        /// and its smallest and largest value.
        #[test]
        fn histogram_holds_each_millisecond_once(
            values in proptest::collection::vec((0u32..400_000, 1u64..4), 0..3000),
        ) {
            let mut acc = StatsAcc::new(100.0);
            let mut want = std::collections::BTreeMap::<i64, (u64, f64, f64)>::new();
            for &(v, n) in &values {
                // Few distinct milliseconds, some values within one.
                let x = f64::from(v % 5000) * 0.25 + f64::from(v / 5000) * 1e-5;
                if n == 3 {
                    acc.push_n(x, 7);
                } else {
                    acc.push(x);
                }
                let e = want.entry(ms_of(x)).or_insert((0, f64::INFINITY, f64::NEG_INFINITY));
                *e = (e.0 + if n == 3 { 7 } else { 1 }, e.1.min(x), e.2.max(x));
            }
            let got: Vec<(i64, (u64, f64, f64))> = acc
                .buckets_sorted()
                .into_iter()
                .map(|(k, b)| (k, (b.n, b.min, b.max)))
                .collect();
            proptest::prop_assert_eq!(got, want.into_iter().collect::<Vec<_>>());
            proptest::prop_assert!(acc.hist.capacity() == acc.hist.len());
        }
    }

    #[test]
    fn stats_accumulator_matches_sorted_values() {
        // Values with sub-millisecond parts, many repeated.
        let xs: Vec<f64> = (0..5000u64)
            .map(|i| ((i * 7919) % 613) as f64 * 0.25 + ((i * 31) % 7) as f64 * 1e-4)
            .collect();
        let mut acc = StatsAcc::new(100.0);
        for &x in &xs {
            acc.push(x);
        }
        let want = Stats::of(xs.clone());
        let got = acc.stats();
        assert_eq!((got.n, got.max), (want.n, want.max));
        assert!((got.mean.unwrap() - want.mean.unwrap()).abs() < 1e-9);
        for (g, w) in [
            (got.p50, want.p50),
            (got.p90, want.p90),
            (got.p95, want.p95),
        ] {
            assert!((g.unwrap() - w.unwrap()).abs() < 1e-3, "{g:?} {w:?}");
        }
        let within = xs.iter().filter(|&&x| x <= 100.0).count() as f64 / xs.len() as f64;
        assert_eq!(acc.within(), Some(within));
        // Values that are whole milliseconds come out exactly.
        let ys: Vec<f64> = (1..=1000).map(|i| f64::from(i % 97) * 0.5).collect();
        let mut acc = StatsAcc::new(10.0);
        ys.iter().for_each(|&y| acc.push(y));
        assert_same_stats(&acc.stats(), &Stats::of(ys), "whole ms");
        assert_eq!(StatsAcc::new(1.0).stats(), Stats::default());
    }

    #[test]
    fn looping_stretches_record_what_per_leg_events_do() {
        let net = square();
        let loops = loops(&net);
        let end = 20_000.0;
        let old = city_run(&net, &loops, end, true);
        let new = city_run(&net, &loops, end, false);
        assert!(old.calls.len() > 10 * new.calls.len());
        for window in [
            (0.0, 20_000.0),
            (600.0, 19_000.0),
            (1300.0, 5010.0),
            (5000.25, 7050.25),
            (7100.0, 7101.0),
        ] {
            let mut reference = Reference::new(&loops, window, 3, 6);
            old.play(&mut reference);
            reference.finish(end);
            let a = record(&old, &loops, window, end);
            let b = record(&new, &loops, window, end);
            for (h, revisit) in REVISIT.iter().enumerate() {
                let what = format!("hotspot {h} in {window:?}");
                let (passes, gaps, longest) = reference.gaps(h);
                let within = share(gaps.iter().filter(|&g| g <= revisit).count(), gaps.len());
                for rec in [&a, &b] {
                    let f = rec.passes(h);
                    assert_eq!(f.passes, passes, "{what}");
                    assert_eq!(f.longest_without_s, longest, "{what}");
                    assert_eq!(f.gaps_within_revisit, within, "{what}");
                    assert_same_stats(&f.gaps_s, &Stats::of(gaps.clone()), &what);
                }
            }
            for l in 0..4 {
                let what = format!("loop {l} in {window:?}");
                let laps = &reference.laps[l];
                let within = share(laps.iter().filter(|&&x| x <= 60.0).count(), laps.len());
                for rec in [&a, &b] {
                    assert_same_stats(&rec.laps(l).stats(), &Stats::of(laps.clone()), &what);
                    assert_eq!(rec.laps(l).within(), within, "{what}");
                }
            }
        }
        // The figures worked out by hand for the whole run: unit 0 is away
        // from A from 1200 (its last pass) to 3350 (B at 3320, then A).
        let rec = record(&new, &loops, (0.0, end), end);
        let laps = rec.laps(0).stats();
        assert_eq!(laps.max, Some(2150.0));
        // Unit 1 passes A every 50 s throughout, so A never waits longer.
        assert_eq!(rec.passes(0).gaps_s.max, Some(50.0));
        // B: unit 0 passes it at 1220 (its last before the call), unit 1 at
        // 1245 and every 50 s on: gaps of 25 s, then 50 s while unit 0 is away.
        assert_eq!(rec.passes(1).gaps_s.p50, Some(25.0));
        // C: the post stands there except from 5000.25 to 7050.25, when
        // loop 2 passes it (10 s in at 0: every 50 s from 40).
        let c = rec.passes(2);
        assert_eq!(c.gaps_s.max, Some(50.0));
        assert_eq!(c.longest_without_s, 50.0);
    }

    #[test]
    fn a_long_stretch_is_recorded_in_bounded_memory() {
        // 10,000 laps of 50 s.
        let net = square();
        let loops = loops(&net);
        let end = 500_000.0;
        let window = (0.0, end);
        let (new, old) = long_stretch(&net, &loops, end);
        let mut rec = Recorder::new(0, 2, window, &loops, &REVISIT, 60.0);
        new.play(&mut rec);
        rec.finish(end);
        // Passes are counted, never listed, but for a lap at a time.
        assert!(rec.peak_listed() <= 2, "{}", rec.peak_listed());
        // A at 50, 100, ..., 500,000: 10,000 passes, 9,999 laps of 50 s.
        let laps = rec.laps(0);
        assert_eq!(laps.stats().n, 9_999);
        assert_eq!(
            (laps.stats().mean, laps.stats().max),
            (Some(50.0), Some(50.0))
        );
        assert_eq!(laps.buckets(), 1);
        for h in 0..2 {
            let f = rec.passes(h);
            assert_eq!(f.passes, 10_000);
            assert_eq!(f.gaps_s.max, Some(50.0));
            assert_eq!(f.gaps_s.p50, Some(50.0));
        }
        assert_eq!(rec.passes(0).longest_without_s, 50.0);
        // Told the old way: the same figures.
        let b = record(&old, &loops, window, end);
        for h in 0..3 {
            assert_eq!(rec.passes(h), b.passes(h));
        }
        assert_eq!(rec.laps(0).stats(), b.laps(0).stats());
    }

    #[test]
    fn a_pass_at_the_moment_of_a_change_counts_once() {
        // Unit 1 passes A at 50, 100, ..., 1000; unit 0 starts its stretch at
        // 100, 25 s into the lap (A at 125, 175, ..., 975): 38 passes.
        let net = square();
        let loops = loops(&net);
        let end = 1000.0;
        let mut figures = Vec::new();
        for old in [true, false] {
            let mut s = Script::new(old);
            s.looping(&net, &loops[0], 1, 0, 0.0, 0.0, end, true);
            s.looping(&net, &loops[0], 0, 0, 100.0, 25.0, end, true);
            let rec = record(&s, &loops, (0.0, end), end);
            figures.push((rec.passes(0), rec.laps(0).stats()));
        }
        assert_eq!(figures[0], figures[1]);
        let (a, laps) = &figures[1];
        assert_eq!(a.passes, 38);
        // 50 s between unit 1's passes until unit 0 comes, 25 s after.
        assert_eq!((a.gaps_s.max, a.gaps_s.p50), (Some(50.0), Some(25.0)));
        // Unit 1: 19 laps; unit 0: 17.
        assert_eq!(laps.n, 36);
    }

    #[test]
    fn a_stretch_ends_with_the_units_next_drive() {
        // Passes strictly between the start of the stretch and the next
        // drive: from 0 at waypoint 0, the drive at 100 (a pass of A is due
        // then) leaves passes of B at 20 and 70 and of A at 50.
        let net = square();
        let loops = loops(&net);
        let mut rec = Recorder::new(0, 1, (0.0, 1000.0), &loops, &REVISIT, 60.0);
        rec.looping(0.0, 0, 0, 0.0);
        let stay = Route::from_node(&net, 100.0, crate::network::NodeId(0), Vec::new());
        rec.route(100.0, 0, &stay);
        rec.finish(1000.0);
        assert_eq!(rec.passes(0).passes, 1);
        assert_eq!(rec.passes(1).passes, 2);
        assert_eq!(rec.passes(1).gaps_s.max, Some(50.0));
        assert_eq!(rec.passes(0).longest_without_s, 950.0);
        // Waypoint 0 passed once: no lap.
        assert!(rec.laps(0).is_empty());
    }
}
