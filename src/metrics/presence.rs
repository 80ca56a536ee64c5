//! Police presence at hotspots: the share of time some unit is within a
//! radius of each hotspot.
//!
//! [`Presence`] is an [`Observer`] of unit drives. Positions are linear in
//! time along an edge, so the time a unit spends within the radius while
//! crossing an edge follows exactly from where the straight edge cuts the
//! circle; a standing unit is present for as long as it stands within the
//! radius. A unit driving its loop undisturbed ([`Observer::looping`]) is
//! within the radius at the same offsets into every lap, found once per loop;
//! the units of one loop together make one circle of such offsets. At each
//! hotspot the circle of one loop (the one with the most windows to list)
//! is measured as it repeats, without listing its laps; the windows of
//! other loops (of other laps) are listed lap by lap.
//! Intervals of all units are merged per hotspot and measured within the
//! window `[warmup_s, horizon_s)` as the run goes: every simulated day, each
//! unit's intervals up to then are produced and measured, so memory does not
//! grow with the length of the run. What depends only on the scenario (which
//! edges cut which circle, the hotspots near each node, each loop's offsets)
//! is a [`PresenceMap`], built once in `sim::Prepared` and shared by runs.

use std::borrow::Cow;

use crate::exact;
use crate::network::{weight_s, Network};
use crate::order::ordered;
use crate::sim::events::{Observer, SimEvent};
use crate::sim::patrol::LoopPlan;
use crate::sim::units::Route;

/// Simulated time between checkpoints, seconds.
const SLICE_S: f64 = 86_400.0;

/// A set of indices as a bit per index.
#[derive(Clone)]
struct Bits(Vec<u64>);

impl Bits {
    /// The set of `members` among `n` indices.
    fn new(n: usize, members: impl IntoIterator<Item = u32>) -> Bits {
        let mut bits = vec![0u64; n.div_ceil(64)];
        for i in members {
            bits[i as usize / 64] |= 1 << (i % 64);
        }
        Bits(bits)
    }

    /// Whether `i` is a member.
    #[inline]
    fn has(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }
}

/// A set of indices as [`Bits`], with the bits counted before each word: a
/// member's place among the members costs one word and one count.
#[derive(Clone)]
struct RankedBits {
    bits: Bits,
    /// Bits set in the words before each word of `bits`.
    rank: Vec<u32>,
}

impl RankedBits {
    /// The set of `members` among `n` indices.
    fn new(n: usize, members: impl IntoIterator<Item = u32>) -> RankedBits {
        let bits = Bits::new(n, members);
        let mut rank = Vec::with_capacity(bits.0.len());
        let mut acc = 0;
        for w in &bits.0 {
            rank.push(acc);
            acc += w.count_ones();
        }
        RankedBits { bits, rank }
    }

    /// The place of `i` among the members, if it is one.
    #[inline]
    fn place(&self, i: usize) -> Option<usize> {
        if !self.bits.has(i) {
            return None;
        }
        let below = self.bits.0[i / 64] & ((1u64 << (i % 64)) - 1);
        Some((self.rank[i / 64] + below.count_ones()) as usize)
    }
}

/// The edges that cross a hotspot's circle and where: `(hotspot, f0, f1)`
/// with `f` the share of the edge's length from its tail. Most edges near a
/// hotspot lie wholly within its circle, and no other's: their code is the
/// hotspot, so that such an edge costs a drive one look-up. A bit per edge
/// (16 KiB on Porto, which stays in the nearest cache) says whether it has
/// a code at all: most edges of a drive have none, and are passed over
/// without reading `code` (4 bytes an edge, mostly not in that cache).
#[derive(Clone)]
struct EdgeCuts {
    /// The edges with a code.
    coded: Bits,
    /// Per edge: [`NO_CUT`]; the hotspot whose circle holds it wholly, its
    /// only cut; or [`PART`] and where its cuts start in `cuts`.
    code: Vec<u32>,
    /// The cuts of the other edges, in edge order, the hotspot of each
    /// edge's last one marked with [`PART`].
    cuts: Vec<(u32, f64, f64)>,
}

/// The code of an edge that crosses no circle.
const NO_CUT: u32 = u32::MAX;

/// Marks an [`EdgeCuts::code`] that indexes [`EdgeCuts::cuts`], and an
/// edge's last cut there.
const PART: u32 = 1 << 31;

/// How an edge crosses the circles of hotspots.
enum Crossing<'a> {
    /// Wholly within the circle of this hotspot, and of no other: the cut
    /// `(0.0, 1.0)`.
    Whole(u32),
    /// The cuts from here on, `(hotspot, f0, f1)`, up to the one whose
    /// hotspot is marked with [`PART`].
    Part(&'a [(u32, f64, f64)]),
}

impl Crossing<'_> {
    /// Call `f(hotspot, f0, f1)` for each cut, in order (read in place: a
    /// drive does this for every edge near a hotspot).
    #[inline]
    fn for_each_cut(&self, mut f: impl FnMut(u32, f64, f64)) {
        match *self {
            Crossing::Whole(h) => f(h, 0.0, 1.0),
            Crossing::Part(list) => {
                for &(h, f0, f1) in list {
                    f(h & !PART, f0, f1);
                    if h & PART != 0 {
                        break;
                    }
                }
            }
        }
    }
}

impl EdgeCuts {
    /// From `(edge, hotspot, f0, f1)` sorted by edge, for `m` edges.
    fn new(m: usize, list: &[(u32, u32, f64, f64)]) -> EdgeCuts {
        let (mut code, mut cuts) = (vec![NO_CUT; m], Vec::new());
        for run in list.chunk_by(|x, y| x.0 == y.0) {
            let (e, h, f0, f1) = run[0];
            assert!(h < PART && list.len() < PART as usize, "too many hotspots");
            code[e as usize] = if run.len() == 1 && f0.to_bits() == 0 && f1 == 1.0 {
                h
            } else {
                let at = PART | cuts.len() as u32;
                cuts.extend(run.iter().map(|c| (c.1, c.2, c.3)));
                cuts.last_mut().unwrap().0 |= PART;
                at
            };
        }
        let coded = Bits::new(m, list.chunk_by(|x, y| x.0 == y.0).map(|run| run[0].0));
        EdgeCuts { coded, code, cuts }
    }

    /// How edge `e` crosses circles, if it does.
    #[inline]
    fn of(&self, e: usize) -> Option<Crossing<'_>> {
        if !self.coded.has(e) {
            return None;
        }
        let code = self.code[e];
        if code & PART == 0 {
            return Some(Crossing::Whole(code));
        }
        Some(Crossing::Part(&self.cuts[(code & !PART) as usize..]))
    }
}

/// The hotspots within the radius of each node. A bit per node says
/// whether it has any; the bits counted before a node index where its
/// hotspots start.
#[derive(Clone)]
struct NearNodes {
    has: RankedBits,
    /// Per node with hotspots, in node order: where they start in
    /// `hotspots` (and one more).
    first: Vec<u32>,
    hotspots: Vec<u32>,
}

impl NearNodes {
    /// From `(node, hotspot)` sorted by node, for `n` nodes.
    fn new(n: usize, list: &[(u32, u32)]) -> NearNodes {
        let mut first = Vec::new();
        let mut start = 0;
        for run in list.chunk_by(|x, y| x.0 == y.0) {
            first.push(start);
            start += run.len() as u32;
        }
        first.push(start);
        NearNodes {
            has: RankedBits::new(n, list.chunk_by(|x, y| x.0 == y.0).map(|run| run[0].0)),
            first,
            hotspots: list.iter().map(|x| x.1).collect(),
        }
    }

    /// The hotspots within the radius of node `v`, in order.
    #[inline]
    fn of(&self, v: u32) -> &[u32] {
        let Some(k) = self.has.place(v as usize) else {
            return &[];
        };
        &self.hotspots[self.first[k] as usize..self.first[k + 1] as usize]
    }
}

/// For each point, the centres within `reach` of it: a grid of cells of
/// that size over the centres.
struct Grid {
    lo: [f64; 2],
    cell: f64,
    dims: [usize; 2],
    cells: Vec<Vec<u32>>,
}

impl Grid {
    fn new(centres: &[[f64; 2]], reach: f64) -> Grid {
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for c in centres {
            for k in 0..2 {
                lo[k] = lo[k].min(c[k]);
                hi[k] = hi[k].max(c[k]);
            }
        }
        // At most about a million cells, whatever the reach.
        let extent = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(0.0);
        let cell = reach.max(extent / 1000.0).max(1e-6);
        let dims = [0, 1].map(|k| ((hi[k] - lo[k]) / cell).floor() as usize + 1);
        let mut cells = vec![Vec::new(); dims[0] * dims[1]];
        for (h, c) in centres.iter().enumerate() {
            let (i, j) = (
                ((c[0] - lo[0]) / cell) as usize,
                ((c[1] - lo[1]) / cell) as usize,
            );
            cells[j * dims[0] + i].push(h as u32);
        }
        Grid {
            lo,
            cell,
            dims,
            cells,
        }
    }

    /// Centres in the cells around `p` (a superset of those within reach).
    fn around(&self, p: [f64; 2], out: &mut Vec<u32>) {
        out.clear();
        let (x, y) = (
            (p[0] - self.lo[0]) / self.cell,
            (p[1] - self.lo[1]) / self.cell,
        );
        if !(x > -2.0 && y > -2.0 && x < self.dims[0] as f64 + 1.0 && y < self.dims[1] as f64 + 1.0)
        {
            return;
        }
        let (x, y) = (x.floor() as i64, y.floor() as i64);
        for j in (y - 1).max(0)..=(y + 1).min(self.dims[1] as i64 - 1) {
            for i in (x - 1).max(0)..=(x + 1).min(self.dims[0] as i64 - 1) {
                out.extend_from_slice(&self.cells[j as usize * self.dims[0] + i as usize]);
            }
        }
    }
}

/// Where the segment `a -> b` lies within `r` of `c`, as shares of its length.
fn cut(a: [f64; 2], b: [f64; 2], c: [f64; 2], r: f64) -> Option<(f64, f64)> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let m = [a[0] - c[0], a[1] - c[1]];
    let qa = d[0] * d[0] + d[1] * d[1];
    let qb = 2.0 * (m[0] * d[0] + m[1] * d[1]);
    let qc = m[0] * m[0] + m[1] * m[1] - r * r;
    if qa == 0.0 {
        return (qc <= 0.0).then_some((0.0, 1.0));
    }
    let disc = qb * qb - 4.0 * qa * qc;
    if disc < 0.0 {
        return None;
    }
    let s = disc.sqrt();
    let (f0, f1) = ((-qb - s) / (2.0 * qa), (-qb + s) / (2.0 * qa));
    let (f0, f1) = (f0.max(0.0), f1.min(1.0));
    (f0 < f1).then_some((f0, f1))
}

/// Where a unit is within the radius of hotspots while driving a loop:
/// per hotspot, offsets into the lap (merged, in order).
#[derive(Clone)]
struct LapWindows {
    lap_s: f64,
    node0: u32,
    /// `(hotspot, windows)`, by hotspot.
    windows: Vec<(u32, Vec<(f64, f64)>)>,
}

/// How a unit moves from its `since` on.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Motion {
    /// Standing at `node`.
    Stand,
    /// Driving `route` (standing at its end once it arrives).
    Drive,
    /// Driving loop `patrol` undisturbed, at offset 0 of a lap at `zero` (mod the lap).
    Loop,
}

struct Track {
    /// Intervals before this time have been produced.
    since: f64,
    motion: Motion,
    /// Where it stands, or where its drive ends.
    node: u32,
    /// When its drive ends.
    arrive: f64,
    /// The intervals of its drive near hotspots not yet produced, `(hotspot,
    /// from, to)`, in driving order (as if it drove to the end).
    ahead: Vec<(u32, f64, f64)>,
    patrol: u32,
    zero: f64,
}

/// A unit driving loop `patrol` undisturbed from `from` to `to`, at offset
/// 0 of a lap at `zero` (mod the lap): near a hotspot in the loop's windows.
#[derive(Clone, Copy, Debug)]
struct Piece {
    patrol: u32,
    /// Where the hotspot's windows are in the loop's [`LapWindows::windows`].
    win: u32,
    zero: f64,
    from: f64,
    to: f64,
}

/// The union of windows repeating every `lap_s`: `arcs` (disjoint, sorted,
/// within `[0, lap_s]`) from `zero` on.
struct Periodic<'a> {
    zero: f64,
    lap_s: f64,
    arcs: &'a [(f64, f64)],
    per_lap: f64,
}

impl Periodic<'_> {
    /// The time covered from `zero` to `x` (for `x` not long before `zero`).
    fn upto(&self, x: f64) -> f64 {
        let u = x - self.zero;
        let n = floor(u / self.lap_s);
        let r = u - n * self.lap_s;
        // Arcs from `r` on add nothing (they are in order).
        let part = self
            .arcs
            .iter()
            .take_while(|&&(a, _)| a < r)
            .fold(0.0, |sum, &(a, b)| sum + later(earlier(r, b) - a, 0.0));
        n * self.per_lap + part
    }

    /// The time covered within the union of `list` (disjoint, in order),
    /// clipped to `[a, b)`: a sweep along both, skipping laps far from
    /// the next interval.
    fn overlap(&self, list: &[(f64, f64)], a: f64, b: f64) -> f64 {
        let arcs = self.arcs;
        let (Some(&(x, y)), false) = (list.first(), arcs.is_empty()) else {
            return 0.0;
        };
        let lap = self.lap_s;
        let (mut x, mut y) = (later(x, a), earlier(y, b));
        // The lap before the one under way at `x` (against rounding).
        let mut k = floor((x - self.zero) / lap) - 1.0;
        let mut base = self.zero + k * lap;
        let (mut j, mut i) = (0, 1);
        let mut sum = 0.0;
        // Each step adds the overlap of arc `j` of lap `k` with interval
        // `i - 1`, then moves past whichever of the two ends first.
        loop {
            let (p0, p1) = (base + arcs[j].0, base + arcs[j].1);
            let (lo, hi) = (later(p0, x), earlier(p1, y));
            if hi > lo {
                sum += hi - lo;
            }
            if p1 <= y {
                j += 1;
                if j == arcs.len() {
                    j = 0;
                    k += 1.0;
                    base = self.zero + k * lap;
                }
            } else {
                let Some(&(nx, ny)) = list.get(i) else {
                    break;
                };
                i += 1;
                (x, y) = (later(nx, a), earlier(ny, b));
                if x - base > 2.0 * lap {
                    k = floor((x - self.zero) / lap) - 1.0;
                    base = self.zero + k * lap;
                    j = 0;
                }
            }
        }
        sum
    }

    /// The time covered within `[a, b)`.
    fn within(&self, a: f64, b: f64) -> f64 {
        // Within one lap (as most intervals are): the arcs' overlap with it.
        let u = a - self.zero;
        let r = u - floor(u / self.lap_s) * self.lap_s;
        let s = r + (b - a);
        if s <= self.lap_s && r >= 0.0 {
            // Only the arcs that end after `r` and start before `s` add
            // anything (they are in order).
            return self
                .arcs
                .iter()
                .skip_while(|&&(_, y)| y <= r)
                .take_while(|&&(x, _)| x < s)
                .fold(0.0, |sum, &(x, y)| {
                    sum + later(earlier(s, y) - later(r, x), 0.0)
                });
        }
        later(self.upto(b) - self.upto(a), 0.0)
    }
}

/// The later of two times: `f64::max` for values that are never NaN (as
/// times here are not), in one instruction rather than five (`f64::max`
/// must also pass over a NaN).
#[inline]
fn later(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// The earlier of two times (see [`later`]).
#[inline]
fn earlier(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

/// `x.floor()`, exactly, without calling the maths library (as the default
/// x86-64 target, lacking a rounding instruction, does for `f64::floor`).
#[inline]
fn floor(x: f64) -> f64 {
    // From 2^52 on every f64 is an integer (and NaN stays NaN).
    if x.abs() < 4_503_599_627_370_496.0 {
        let t = x as i64 as f64;
        // The sign, for -0.0 (and -0.5 and the like, which round to -1.0).
        (if t > x { t - 1.0 } else { t }).copysign(x)
    } else {
        x
    }
}

/// Most descents (an interval starting before the one ahead of it) for
/// which [`sort_by_start`] sorts by insertion.
const FEW_DESCENTS: usize = 8;

/// Sort intervals by start. A hotspot's pending intervals come nearly in
/// order (each unit's in order, units flushed as they change): most lists
/// have no descent or a few, and are sorted by moving those few into place
/// (about 40 intervals a day, and 3 descents, at a hotspot on Porto's
/// loops); the others by the library's sort. Intervals that start together
/// may end in either order, as with any unstable sort: what is measured of
/// them does not depend on it.
fn sort_by_start(v: &mut [(f64, f64)]) {
    let descents = v.windows(2).filter(|w| w[1].0 < w[0].0).count();
    if descents > FEW_DESCENTS {
        v.sort_unstable_by_key(|x| ordered(x.0));
        return;
    }
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && x.0 < v[j - 1].0 {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

/// The length of the union of intervals sorted by start, clipped to `[a, b)`.
fn union_len(sorted: &[(f64, f64)], a: f64, b: f64, out: &mut Vec<(f64, f64)>) -> f64 {
    union_of(sorted.iter().copied(), a, b, out)
}

/// The length of the union of intervals in sorted runs (`list[ends[i -
/// 1]..ends[i]]`, each sorted by start), clipped to `[a, b)`: as
/// [`union_len`] of them all sorted, without sorting them (the runs are
/// merged as they are read; `heads` is scratch).
fn union_runs(
    list: &mut [(f64, f64)],
    ends: &[usize],
    a: f64,
    b: f64,
    heads: &mut Vec<(f64, usize, usize)>,
    out: &mut Vec<(f64, f64)>,
) -> f64 {
    if ends.len() > MERGE_RUNS {
        list.sort_unstable_by_key(|x| ordered(x.0));
        return union_len(list, a, b, out);
    }
    // Each run's next start, where it is, and where the run ends.
    heads.clear();
    let mut from = 0;
    for &end in ends {
        if end > from {
            heads.push((list[from].0, from, end));
        }
        from = end;
    }
    if heads.is_empty() {
        out.clear();
        return 0.0;
    }
    let list = &*list;
    if let [(_, from, end)] = heads[..] {
        return union_of(list[from..end].iter().copied(), a, b, out);
    }
    let merged = std::iter::from_fn(|| {
        // The run whose next interval starts first (starts are times, never
        // NaN); a run is let go once read to its end.
        let mut r = 0;
        for (k, h) in heads.iter().enumerate().skip(1) {
            if h.0 < heads[r].0 {
                r = k;
            }
        }
        let h = heads.get_mut(r)?;
        let x = list[h.1];
        h.1 += 1;
        if h.1 < h.2 {
            h.0 = list[h.1].0;
        } else {
            heads.swap_remove(r);
        }
        Some(x)
    });
    union_of(merged, a, b, out)
}

/// The length of the union of `sorted` (by start) clipped to `[a, b)`,
/// the union (disjoint, in order) into `out`.
#[inline]
fn union_of(
    sorted: impl Iterator<Item = (f64, f64)>,
    a: f64,
    b: f64,
    out: &mut Vec<(f64, f64)>,
) -> f64 {
    out.clear();
    for (x, y) in sorted {
        let (x, y) = (later(x, a), earlier(y, b));
        if y <= x {
            continue;
        }
        match out.last_mut() {
            Some(l) if x <= l.1 => l.1 = later(l.1, y),
            _ => out.push((x, y)),
        }
    }
    out.iter().map(|&(x, y)| y - x).sum()
}

/// Close the sorted run that ends at `len` in a list whose runs end at
/// `ends` (nothing when no interval was added since the last run).
#[inline]
fn end_run(ends: &mut Vec<usize>, len: usize) {
    if ends.last().map_or(0, |&e| e) < len {
        ends.push(len);
    }
}

/// Most sorted runs [`union_runs`] merges as it reads them; more are sorted.
const MERGE_RUNS: usize = 16;

/// Buffers reused by [`Union::merge`].
#[derive(Default)]
struct Scratch {
    cuts: Vec<f64>,
    /// The union of all but the lead loop's windows (disjoint, in order).
    merged: Vec<(f64, f64)>,
    /// The plain intervals and the other loops' windows, in sorted runs.
    extra: Vec<(f64, f64)>,
    /// The pieces covering the window swept, by index into `Union::pieces`,
    /// in that order.
    active: Vec<u32>,
    /// The pieces by start, to be let into `active` as the sweep passes it.
    by_from: Vec<u32>,
    arcs: Vec<(f64, f64)>,
    /// The lead loop's circle in the window swept.
    circle: Circle,
    /// The pieces by loop, `(patrol, piece)`.
    by_loop: Vec<(u32, u32)>,
    /// Where each sorted run of `extra` ends.
    ends: Vec<usize>,
    /// Each run's next start, where that is and where the run ends (for
    /// [`union_runs`]).
    heads: Vec<(f64, usize, usize)>,
}

/// The union of one hotspot's intervals, measured as they become final.
#[derive(Default)]
struct Union {
    /// Intervals not yet measured (all starting at or after those measured).
    pending: Vec<(f64, f64)>,
    /// Loop driving not yet measured (within the same slice of time).
    pieces: Vec<Piece>,
    /// The merged interval that later ones may still extend.
    cur: Option<(f64, f64)>,
    /// Length of the merged intervals before `cur`.
    covered: f64,
}

impl Union {
    /// Measure what is pending: every interval of the slice of time it
    /// falls in is known.
    fn merge(&mut self, (w0, w1): (f64, f64), loops: &[LapWindows], sc: &mut Scratch) {
        if self.pieces.is_empty() {
            // Plain intervals: merged in order, across slices.
            sort_by_start(&mut self.pending);
            for &(a, b) in &self.pending {
                let (a, b) = (later(a, w0), earlier(b, w1));
                if b <= a {
                    continue;
                }
                self.cur = match self.cur {
                    Some((ca, cb)) if a <= cb => Some((ca, later(cb, b))),
                    Some((ca, cb)) => {
                        self.covered += cb - ca;
                        Some((a, b))
                    }
                    None => Some((a, b)),
                };
            }
            self.pending.clear();
            return;
        }
        // Everything merged so far ends by the start of this slice, so the
        // slice is measured on its own.
        if let Some((ca, cb)) = self.cur.take() {
            self.covered += cb - ca;
        }
        let Scratch {
            cuts,
            merged,
            extra,
            active,
            by_from,
            arcs,
            circle,
            by_loop,
            ends,
            heads,
        } = sc;
        // (A new merge: its pieces are other pieces.)
        circle.members.clear();
        for p in &mut self.pieces {
            (p.from, p.to) = (later(p.from, w0), earlier(p.to, w1));
        }
        self.pieces.retain(|p| p.to > p.from);
        // The lead loop: the one whose windows would be listed most. They
        // are measured as they repeat; those of other loops are listed.
        by_loop.clear();
        by_loop.extend(
            self.pieces
                .iter()
                .enumerate()
                .map(|(i, p)| (p.patrol, i as u32)),
        );
        by_loop.sort_unstable();
        let (mut lead, mut most) = (u32::MAX, f64::NEG_INFINITY);
        for group in by_loop.chunk_by(|x, y| x.0 == y.0) {
            let lw = &loops[group[0].0 as usize];
            let listed = group
                .iter()
                .map(|&(_, i)| {
                    let p = &self.pieces[i as usize];
                    (p.to - p.from) * lw.windows[p.win as usize].1.len() as f64
                })
                .sum::<f64>()
                / lw.lap_s;
            if listed > most {
                (lead, most) = (group[0].0, listed);
            }
        }
        // The rest as sorted runs, their union measured at once: the plain
        // intervals, then the windows of each other loop's piece, lap by lap.
        sort_by_start(&mut self.pending);
        extra.clear();
        ends.clear();
        extra.extend_from_slice(&self.pending);
        end_run(ends, extra.len());
        for p in self.pieces.iter().filter(|p| p.patrol != lead) {
            let lw = &loops[p.patrol as usize];
            lap_windows(
                lw.lap_s,
                &lw.windows[p.win as usize].1,
                p.zero,
                p.from,
                p.to,
                extra,
            );
            end_run(ends, extra.len());
        }
        self.covered += union_runs(extra, ends, w0, w1, heads, merged);
        // The lead loop adds what of its windows that union leaves out,
        // window by window between the ends of its pieces: a piece covers
        // a window `[a, b)` if it starts by `a` and ends after `a`. The
        // sweep lets pieces in at their start and out at their end.
        self.pieces.retain(|p| p.patrol == lead);
        let pieces = &self.pieces;
        cuts.clear();
        cuts.extend(pieces.iter().flat_map(|p| [p.from, p.to]));
        cuts.sort_unstable_by_key(|&x| ordered(x));
        cuts.dedup();
        by_from.clear();
        by_from.extend(0..pieces.len() as u32);
        by_from.sort_unstable_by_key(|&i| ordered(pieces[i as usize].from));
        let mut entering = by_from.iter().peekable();
        active.clear();
        let lw = loops.get(lead as usize);
        let mut lo = 0;
        for w in 1..cuts.len() {
            let (a, b) = (cuts[w - 1], cuts[w]);
            active.retain(|&i| pieces[i as usize].to > a);
            while let Some(&i) = entering.next_if(|&&i| pieces[i as usize].from <= a) {
                if pieces[i as usize].to > a {
                    let at = active.partition_point(|&j| j < i);
                    active.insert(at, i);
                }
            }
            let Some(lw) = lw.filter(|_| !active.is_empty()) else {
                continue;
            };
            // The units of the lead loop repeat every lap: their windows
            // are one circle of arcs.
            let c = &mut *circle;
            c.of(active, pieces, lw, arcs);
            let periodic = Periodic {
                zero: c.zero,
                lap_s: lw.lap_s,
                per_lap: c.per_lap,
                arcs: &c.arcs,
            };
            // The union's intervals near the window (it is in order).
            while lo < merged.len() && merged[lo].1 <= a {
                lo += 1;
            }
            let near = merged[lo..].partition_point(|x| x.0 < b);
            let both = periodic.overlap(&merged[lo..lo + near], a, b);
            self.covered += later(periodic.within(a, b) - both, 0.0);
        }
        self.pending.clear();
        self.pieces.clear();
    }
}

/// The circle of the lead loop's units in a window: their windows as
/// offsets into the lap from `zero` (arcs within `[0, lap]`, merged, in
/// order). Made again only when those units change (windows change a piece
/// or two at a time).
#[derive(Default)]
struct Circle {
    /// Its pieces (by index into `Union::pieces`), as the circle was made.
    members: Vec<u32>,
    zero: f64,
    arcs: Vec<(f64, f64)>,
    /// The arcs' total length.
    per_lap: f64,
}

impl Circle {
    /// The circle of the units driving `pieces[i]` for `i` in `active` (of
    /// one loop, with windows `lw`), made again if they are not its
    /// members (`arcs` is scratch).
    fn of(
        &mut self,
        active: &[u32],
        pieces: &[Piece],
        lw: &LapWindows,
        arcs: &mut Vec<(f64, f64)>,
    ) {
        if self.members != active {
            self.members.clear();
            self.members.extend_from_slice(active);
            self.zero = pieces[active[0] as usize].zero;
            circle_of(active, pieces, lw, self.zero, arcs, &mut self.arcs);
            self.per_lap = self.arcs.iter().map(|&(x, y)| y - x).sum();
        }
    }
}

/// The windows of the units of one loop (driving `pieces[i]` for `i` in
/// `group`) as offsets into a lap from `zero`: arcs within `[0, lap]`,
/// merged, in order (`arcs` is scratch).
fn circle_of(
    group: &[u32],
    pieces: &[Piece],
    lw: &LapWindows,
    zero: f64,
    arcs: &mut Vec<(f64, f64)>,
    circle: &mut Vec<(f64, f64)>,
) {
    let lap = lw.lap_s;
    arcs.clear();
    for &i in group {
        let p = &pieces[i as usize];
        let shift = exact::rem_euclid(p.zero - zero, lap);
        for &(x0, x1) in &lw.windows[p.win as usize].1 {
            let (x0, x1) = (x0 + shift, x1 + shift);
            if x1 <= lap {
                arcs.push((x0, x1));
            } else if x0 >= lap {
                arcs.push((x0 - lap, x1 - lap));
            } else {
                arcs.push((x0, lap));
                arcs.push((0.0, x1 - lap));
            }
        }
    }
    arcs.sort_unstable_by_key(|x| ordered(x.0));
    circle.clear();
    for &(x0, x1) in arcs.iter() {
        match circle.last_mut() {
            Some(l) if x0 <= l.1 => l.1 = later(l.1, x1),
            _ => circle.push((x0, x1)),
        }
    }
}

/// The windows of a unit driving a loop (lap `lap_s`, offset 0 at `zero`)
/// within `[from, to)`, listed lap by lap.
fn lap_windows(
    lap_s: f64,
    windows: &[(f64, f64)],
    zero: f64,
    from: f64,
    to: f64,
    out: &mut Vec<(f64, f64)>,
) {
    if to <= from || windows.is_empty() {
        return;
    }
    // The lap under way at `from` (one earlier, against rounding).
    let mut k = (floor((from - zero) / lap_s) - 1.0).max(0.0) as u64;
    loop {
        let base = zero + k as f64 * lap_s;
        if base >= to {
            break;
        }
        for &(x0, x1) in windows {
            let (a, b) = (later(base + x0, from), earlier(base + x1, to));
            if b > a {
                out.push((a, b));
            }
        }
        k += 1;
    }
}

/// Where units are near hotspots, worked out once per scenario and shared
/// by every run: which edges cross which hotspot's circle and where, the
/// hotspots within the radius of each node, and the windows of each loop's
/// lap near each hotspot.
#[derive(Clone)]
pub struct PresenceMap {
    edges: EdgeCuts,
    /// The hotspots within the radius of each node.
    near: NearNodes,
    loops: Vec<LapWindows>,
    /// Number of hotspots.
    hotspots: usize,
}

/// Measures presence at hotspots from the drives of all units.
pub struct Presence<'a> {
    net: &'a Network,
    map: Cow<'a, PresenceMap>,
    units: Vec<Track>,
    /// Units driving a loop undisturbed.
    looping: usize,
    hot: Vec<Union>,
    window: (f64, f64),
    next_check: f64,
    /// The most intervals ever waiting to be merged.
    peak: usize,
    scratch: Scratch,
}

/// The intervals during which a unit driving `route` from `from` on is
/// within the radius of hotspots, `(hotspot, from, to)`, in driving order.
fn drive(
    net: &Network,
    edges: &EdgeCuts,
    route: &Route,
    from: f64,
    out: &mut Vec<(u32, f64, f64)>,
) {
    let start = match route.t_end.first() {
        Some(&x) if x > from => 0,
        _ => route.t_end.partition_point(|&x| x <= from),
    };
    // Across a node within the circle: one interval (as merged).
    let mut emit = |h: u32, a: f64, b: f64| {
        if b > a {
            match out.last_mut() {
                Some(l) if l.0 == h && a <= l.2 => l.2 = later(l.2, b),
                _ => out.push((h, a, b)),
            }
        }
    };
    for i in start..route.edges.len() {
        let e = route.edges[i].idx();
        let Some(crossing) = edges.of(e) else {
            continue;
        };
        // (The edge's time from its weight, which the route has just read:
        // the same value as `time_s`, one array fewer in the cache.)
        let te = weight_s(net.fwd.w[e]);
        let (s, f) = (route.t_end[i] - te, route.t_end[i]);
        let (lo, hi) = (later(later(s, from), route.t0), f);
        if te <= 0.0 || hi <= lo {
            continue;
        }
        // (A whole edge's cut `(0, 1)` gives `s` and `s + te` exactly.)
        crossing
            .for_each_cut(|h, f0, f1| emit(h, later(s + f0 * te, lo), earlier(s + f1 * te, hi)));
    }
}

impl PresenceMap {
    /// The map of hotspots at `hotspot_nodes`, within `radius_m`, for units
    /// that may drive the given loops.
    pub fn new(
        net: &Network,
        hotspot_nodes: &[u32],
        loops: &[LoopPlan],
        radius_m: f64,
    ) -> PresenceMap {
        let centres: Vec<[f64; 2]> = hotspot_nodes.iter().map(|&v| net.xy[v as usize]).collect();
        // The longest edge, as the straight segment between its ends.
        let chord = |slot: usize, a: [f64; 2]| {
            let b = net.xy[net.fwd.head[slot] as usize];
            ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt()
        };
        let max_len = if centres.is_empty() {
            0.0
        } else {
            (0..net.node_count())
                .flat_map(|v| net.fwd.range(v as u32).map(move |s| (s, v)))
                .map(|(s, v)| chord(s, net.xy[v]))
                .fold(0.0, f64::max)
        };
        // A segment of length L within r of a centre has its midpoint within
        // r + L/2 of it, and its tail within r + L: look around each node
        // for the centres its edges may come near.
        let reach = radius_m + max_len + 1.0;
        let mut near: Vec<(u32, u32)> = Vec::new();
        let mut cuts = Vec::new();
        if !centres.is_empty() {
            let grid = Grid::new(&centres, reach);
            let mut around = Vec::new();
            for (v, &a) in net.xy.iter().enumerate() {
                let v = v as u32;
                grid.around(a, &mut around);
                if around.is_empty() {
                    continue;
                }
                around.sort_unstable();
                for &h in &around {
                    let c = centres[h as usize];
                    if (a[0] - c[0]).powi(2) + (a[1] - c[1]).powi(2) <= radius_m * radius_m {
                        near.push((v, h));
                    }
                }
                for slot in net.fwd.range(v) {
                    let b = net.xy[net.fwd.head[slot] as usize];
                    let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
                    let within = radius_m + chord(slot, a) / 2.0 + 1.0;
                    for &h in &around {
                        let c = centres[h as usize];
                        if (mid[0] - c[0]).powi(2) + (mid[1] - c[1]).powi(2) > within * within {
                            continue;
                        }
                        if let Some((f0, f1)) = cut(a, b, c, radius_m) {
                            cuts.push((slot as u32, h, f0, f1));
                        }
                    }
                }
            }
        }
        let edges = EdgeCuts::new(net.edge_count(), &cuts);
        let loops = loops
            .iter()
            .map(|plan| {
                let mut windows: Vec<(u32, f64, f64)> = Vec::new();
                for (j, &e) in plan.lap_edges.iter().enumerate() {
                    let e = e.idx();
                    let te = net.fwd.time_s[e];
                    if te <= 0.0 {
                        continue;
                    }
                    // The edge is entered where the one before it ends (so
                    // that a window running on across a node is one window).
                    let s = if j == 0 { 0.0 } else { plan.lap_end_s[j - 1] };
                    let Some(crossing) = edges.of(e) else {
                        continue;
                    };
                    crossing.for_each_cut(|h, f0, f1| windows.push((h, s + f0 * te, s + f1 * te)));
                }
                // One window per visit: merge the overlapping and touching.
                windows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
                let mut by_hotspot: Vec<(u32, Vec<(f64, f64)>)> = Vec::new();
                for (h, x0, x1) in windows {
                    match by_hotspot.last_mut() {
                        Some((g, list)) if *g == h => match list.last_mut() {
                            Some(m) if x0 <= m.1 => m.1 = m.1.max(x1),
                            _ => list.push((x0, x1)),
                        },
                        _ => by_hotspot.push((h, vec![(x0, x1)])),
                    }
                }
                LapWindows {
                    lap_s: plan.lap_s,
                    node0: plan.nodes.first().map_or(0, |v| v.0),
                    windows: by_hotspot,
                }
            })
            .collect();
        PresenceMap {
            edges,
            near: NearNodes::new(net.node_count(), &near),
            loops,
            hotspots: centres.len(),
        }
    }
}

impl<'a> Presence<'a> {
    /// Watch `homes.len()` units standing at `homes` at time 0, for hotspots
    /// at `hotspot_nodes`, within `radius_m`, measured over `window`; units
    /// may drive the given loops.
    pub fn new(
        net: &'a Network,
        hotspot_nodes: &[u32],
        homes: &[u32],
        loops: &[LoopPlan],
        radius_m: f64,
        window: (f64, f64),
    ) -> Presence<'a> {
        let map = PresenceMap::new(net, hotspot_nodes, loops, radius_m);
        Presence::with_map(net, Cow::Owned(map), homes, window)
    }

    /// As [`Presence::new`], with the hotspots, radius and loops of `map`
    /// (built once for many runs).
    pub fn with_map(
        net: &'a Network,
        map: Cow<'a, PresenceMap>,
        homes: &[u32],
        window: (f64, f64),
    ) -> Presence<'a> {
        Presence {
            net,
            units: homes
                .iter()
                .map(|&h| Track {
                    since: 0.0,
                    motion: Motion::Stand,
                    node: h,
                    arrive: 0.0,
                    ahead: Vec::new(),
                    patrol: 0,
                    zero: 0.0,
                })
                .collect(),
            looping: 0,
            hot: (0..map.hotspots).map(|_| Union::default()).collect(),
            map,
            window,
            next_check: SLICE_S,
            peak: 0,
            scratch: Scratch::default(),
        }
    }

    /// Produce unit `u`'s intervals up to `t`.
    fn flush(&mut self, u: usize, t: f64) {
        let tr = &mut self.units[u];
        if t <= tr.since {
            return;
        }
        let stand = |hot: &mut [Union], node: u32, from: f64| {
            if t > from {
                for &h in self.map.near.of(node) {
                    hot[h as usize].pending.push((from, t));
                }
            }
        };
        match tr.motion {
            Motion::Stand => stand(&mut self.hot, tr.node, tr.since),
            Motion::Drive => {
                let hot = &mut self.hot;
                if t >= tr.arrive {
                    // Arrived: all of the drive is produced.
                    for (h, a, b) in tr.ahead.drain(..) {
                        let to = b.min(t);
                        if to > a {
                            hot[h as usize].pending.push((a, to));
                        }
                    }
                    tr.motion = Motion::Stand;
                } else {
                    tr.ahead.retain_mut(|(h, a, b)| {
                        if *a >= t {
                            return true;
                        }
                        let to = b.min(t);
                        if to > *a {
                            hot[*h as usize].pending.push((*a, to));
                        }
                        *a = t;
                        *b > t
                    });
                }
                stand(&mut self.hot, tr.node, tr.arrive.max(tr.since));
            }
            Motion::Loop => {
                for (win, (h, _)) in self.map.loops[tr.patrol as usize]
                    .windows
                    .iter()
                    .enumerate()
                {
                    self.hot[*h as usize].pieces.push(Piece {
                        patrol: tr.patrol,
                        win: win as u32,
                        zero: tr.zero,
                        from: tr.since,
                        to: t,
                    });
                }
            }
        }
        tr.since = t;
    }

    /// Every unit's intervals before `t` are produced: merge them.
    fn checkpoint(&mut self, t: f64) {
        for u in 0..self.units.len() {
            self.flush(u, t);
        }
        self.peak = self.peak.max(self.buffered());
        for u in self.hot.iter_mut() {
            u.merge(self.window, &self.map.loops, &mut self.scratch);
        }
    }

    /// Pass every checkpoint up to `t` (called before anything at `t`).
    #[inline]
    fn advance(&mut self, t: f64) {
        if t >= self.next_check {
            self.checkpoints(t);
        }
    }

    #[cold]
    fn checkpoints(&mut self, t: f64) {
        while self.next_check <= t {
            self.checkpoint(self.next_check);
            if self.looping == 0 {
                // Nothing grows with time: skip the idle slices.
                self.next_check = self.next_check.max(((t / SLICE_S).floor() + 1.0) * SLICE_S);
            } else {
                self.next_check += SLICE_S;
            }
        }
    }

    /// A unit starts something new at `t`.
    fn start(&mut self, t: f64, unit: u32) -> &mut Track {
        self.advance(t);
        self.flush(unit as usize, t);
        let tr = &mut self.units[unit as usize];
        if tr.motion == Motion::Loop {
            self.looping -= 1;
        }
        tr.since = t;
        tr
    }

    /// Intervals and stretches of loop driving waiting to be measured, over
    /// all hotspots.
    pub fn buffered(&self) -> usize {
        self.hot
            .iter()
            .map(|h| h.pending.len() + h.pieces.len())
            .sum()
    }

    /// The most that ever waited to be measured (about a day's worth).
    pub fn peak_buffered(&self) -> usize {
        self.peak.max(self.buffered())
    }

    /// The share of the window during which each hotspot had a unit within the radius.
    pub fn finish(mut self, end: f64) -> Vec<f64> {
        let end = end.max(self.window.1);
        self.advance(end);
        self.checkpoint(end);
        let (w0, w1) = self.window;
        self.hot
            .iter()
            .map(|h| {
                let last = h.cur.map_or(0.0, |(ca, cb)| cb - ca);
                (h.covered + last) / (w1 - w0)
            })
            .collect()
    }
}

impl Observer for Presence<'_> {
    fn event(&mut self, t: f64, _: &SimEvent) {
        self.advance(t);
    }

    fn route(&mut self, t: f64, unit: u32, route: &Route) {
        self.start(t, unit);
        let tr = &mut self.units[unit as usize];
        tr.motion = Motion::Drive;
        tr.node = route.dest.0;
        tr.arrive = route.arrival();
        tr.ahead.clear();
        drive(self.net, &self.map.edges, route, t, &mut tr.ahead);
    }

    fn looping(&mut self, t: f64, unit: u32, patrol: u32, phase_s: f64) {
        let (lap_s, node0) = {
            let lw = &self.map.loops[patrol as usize];
            (lw.lap_s, lw.node0)
        };
        let tr = self.start(t, unit);
        if lap_s > 0.0 {
            tr.motion = Motion::Loop;
            tr.patrol = patrol;
            tr.zero = t - phase_s;
            self.looping += 1;
        } else {
            tr.motion = Motion::Stand;
            tr.node = node0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_circle_cuts() {
        // A horizontal segment through a circle of radius 5 centred on it.
        assert_eq!(
            cut([0.0, 0.0], [20.0, 0.0], [10.0, 0.0], 5.0),
            Some((0.25, 0.75))
        );
        // Starting inside.
        assert_eq!(
            cut([10.0, 0.0], [20.0, 0.0], [10.0, 0.0], 5.0),
            Some((0.0, 0.5))
        );
        // Passing by.
        assert_eq!(cut([0.0, 6.0], [20.0, 6.0], [10.0, 0.0], 5.0), None);
    }

    #[test]
    fn every_edge_gives_its_own_cuts_and_no_other() {
        // Edges at the ends of bit words, with a whole cut, several cuts,
        // and one part cut; the others have none.
        let list = [
            (0, 3, 0.0, 1.0),
            (63, 1, 0.0, 0.5),
            (63, 2, 0.25, 1.0),
            (64, 7, 0.0, 1.0),
            (127, 0, 0.125, 0.75),
            (129, 5, 0.0, 1.0),
        ];
        let edges = EdgeCuts::new(130, &list);
        for e in 0..130 {
            let mut got = Vec::new();
            if let Some(c) = edges.of(e) {
                c.for_each_cut(|h, f0, f1| got.push((e as u32, h, f0, f1)));
            }
            let want: Vec<_> = list.iter().copied().filter(|c| c.0 == e as u32).collect();
            assert_eq!(got, want, "edge {e}");
        }
        assert!(matches!(edges.of(64), Some(Crossing::Whole(7))));
    }

    proptest::proptest! {
        /// A slice with units of several loops (of different laps, several
        /// units on one loop) and plain intervals measures what listing
        /// every lap of every unit and merging it all measures.
        #[test]
        fn loop_driving_is_measured_as_if_every_lap_were_listed(
            loops in proptest::collection::vec(
                (50u32..400, proptest::collection::vec((0u32..100, 1u32..40), 1..4)), 1..4),
            units in proptest::collection::vec(
                (0usize..4, 0u32..1000, 0u32..3000, 0u32..3000), 0..8),
            plain in proptest::collection::vec((0u32..3000, 1u32..300), 0..10),
            (w0, w1) in (0u32..500, 1500u32..3500),
        ) {
            // Each loop's lap, and its windows from `s` % of the lap for
            // `l` % more (within the lap, merged).
            let laps: Vec<LapWindows> = loops
                .iter()
                .map(|(lap, ws)| {
                    let lap = f64::from(*lap);
                    let share = |x: u32| f64::from(x.min(100)) / 100.0 * lap;
                    let mut ws: Vec<(f64, f64)> =
                        ws.iter().map(|&(s, l)| (share(s), share(s + l))).collect();
                    ws.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let mut merged: Vec<(f64, f64)> = Vec::new();
                    for (x0, x1) in ws {
                        match merged.last_mut() {
                            Some(m) if x0 <= m.1 => m.1 = m.1.max(x1),
                            _ => merged.push((x0, x1)),
                        }
                    }
                    LapWindows { lap_s: lap, node0: 0, windows: vec![(0, merged)] }
                })
                .collect();
            let window = (f64::from(w0), f64::from(w1));
            let mut union = Union::default();
            let mut all: Vec<(f64, f64)> = Vec::new();
            for &(l, zero, from, len) in &units {
                let l = l % laps.len();
                let (zero, from) = (f64::from(zero), f64::from(zero + from));
                let to = from + f64::from(len);
                union.pieces.push(Piece { patrol: l as u32, win: 0, zero, from, to });
                // Every lap's windows, listed.
                let lw = &laps[l];
                let mut base = zero;
                while base < to {
                    for &(x0, x1) in &lw.windows[0].1 {
                        let (a, b) = ((base + x0).max(from), (base + x1).min(to));
                        if b > a {
                            all.push((a, b));
                        }
                    }
                    base += lw.lap_s;
                }
            }
            for &(a, len) in &plain {
                let iv = (f64::from(a), f64::from(a + len));
                union.pending.push(iv);
                all.push(iv);
            }
            // A merge before, of the same pieces a little later in their
            // laps, leaves nothing behind in the scratch that this one reads.
            let mut scratch = Scratch::default();
            let mut before = Union {
                pieces: union.pieces.iter().map(|&p| Piece { zero: p.zero + 7.0, ..p }).collect(),
                ..Union::default()
            };
            before.merge(window, &laps, &mut scratch);
            union.merge(window, &laps, &mut scratch);
            let got = union.covered + union.cur.map_or(0.0, |(a, b)| b - a);
            all.sort_by(|a, b| a.0.total_cmp(&b.0));
            let want = union_len(&all, window.0, window.1, &mut Vec::new());
            proptest::prop_assert!((got - want).abs() < 1e-6, "{} vs {}", got, want);
        }

        /// Merging sorted runs as they are read gives the union of them all
        /// sorted, interval for interval, whatever the number of runs.
        #[test]
        fn union_of_sorted_runs_is_that_of_all_sorted(
            runs in proptest::collection::vec(
                proptest::collection::vec((0u32..400, 0u32..60), 0..12), 0..10),
            (a, b) in (0u32..200, 150u32..500),
        ) {
            let (mut list, mut ends) = (Vec::new(), Vec::new());
            for run in &runs {
                let mut run: Vec<(f64, f64)> =
                    run.iter().map(|&(x, w)| (f64::from(x), f64::from(x + w))).collect();
                run.sort_by(|p, q| p.0.total_cmp(&q.0));
                list.extend(run);
                ends.push(list.len());
            }
            let (a, b) = (f64::from(a), f64::from(b));
            let mut all = list.clone();
            all.sort_by(|p, q| p.0.total_cmp(&q.0));
            let (mut want, mut got, mut heads) = (Vec::new(), Vec::new(), Vec::new());
            let len = union_len(&all, a, b, &mut want);
            proptest::prop_assert_eq!(union_runs(&mut list, &ends, a, b, &mut heads, &mut got), len);
            proptest::prop_assert_eq!(got, want);
        }

        /// Lists made of a few sorted runs (few descents, sorted by
        /// insertion) and lists of many (the library's sort) come out
        /// sorted by start, with the same intervals, and measure the same
        /// union as the library's sort gives.
        #[test]
        fn sorting_by_start_keeps_the_intervals_and_their_union(
            runs in proptest::collection::vec(
                proptest::collection::vec((0u32..400, 0u32..60), 0..15), 1..14),
        ) {
            let mut list: Vec<(f64, f64)> = Vec::new();
            for run in &runs {
                let mut run: Vec<(f64, f64)> =
                    run.iter().map(|&(x, w)| (f64::from(x), f64::from(x + w))).collect();
                run.sort_by(|p, q| p.0.total_cmp(&q.0));
                list.extend(run);
            }
            let mut want = list.clone();
            want.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)));
            let mut got = list;
            sort_by_start(&mut got);
            proptest::prop_assert!(got.windows(2).all(|w| w[0].0 <= w[1].0));
            let (mut x, mut y) = (Vec::new(), Vec::new());
            proptest::prop_assert_eq!(union_len(&got, 0.0, 500.0, &mut x), union_len(&want, 0.0, 500.0, &mut y));
            got.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)));
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn floor_is_exactly_that_of_the_library() {
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            -1e-300,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            -9.1e18,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        let mut z = 1u64;
        for _ in 0..10_000 {
            z = z.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let x = ((z >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 1e6;
            xs.extend([x, x.trunc(), f64::from_bits(z)]);
        }
        for x in xs {
            let (want, got) = (x.floor(), floor(x));
            assert!(
                want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
                "{x:e}: {got:e}, not {want:e}"
            );
        }
    }

    use crate::metrics::testkit::{city_run, long_stretch, loops, square, Script, HOMES};
    use crate::sim::patrol::LoopPlan;

    /// Presence as it was measured: every interval kept, merged at the end.
    struct Reference<'a> {
        net: &'a Network,
        centres: Vec<[f64; 2]>,
        radius_m: f64,
        current: Vec<(Option<Route>, f64, u32)>,
        intervals: Vec<Vec<(f64, f64)>>,
    }

    impl<'a> Reference<'a> {
        fn new(net: &'a Network, hotspots: &[u32], radius_m: f64) -> Self {
            Reference {
                net,
                centres: hotspots.iter().map(|&v| net.xy[v as usize]).collect(),
                radius_m,
                current: HOMES.iter().map(|&h| (None, 0.0, h)).collect(),
                intervals: vec![Vec::new(); hotspots.len()],
            }
        }

        fn flush(&mut self, unit: usize, t: f64) {
            let (route, since, node) = std::mem::replace(&mut self.current[unit], (None, t, 0));
            let (node, stand_from) = match route {
                Some(r) => {
                    let end = r.arrival();
                    for (i, &e) in r.edges.iter().enumerate() {
                        let te = self.net.edge_time(e);
                        let (s, f) = (r.t_end[i] - te, r.t_end[i]);
                        let (lo, hi) = (s.max(since).max(r.t0), f.min(t.min(end)));
                        if te <= 0.0 || hi <= lo {
                            continue;
                        }
                        let a = self.net.xy[self.net.edge_tail(e).idx()];
                        let b = self.net.xy[self.net.edge_to(e).idx()];
                        for (h, &c) in self.centres.iter().enumerate() {
                            if let Some((f0, f1)) = cut(a, b, c, self.radius_m) {
                                let (x, y) = ((s + f0 * te).max(lo), (s + f1 * te).min(hi));
                                if y > x {
                                    self.intervals[h].push((x, y));
                                }
                            }
                        }
                    }
                    (r.dest.0, end.max(since))
                }
                None => (node, since),
            };
            let p = self.net.xy[node as usize];
            for (h, c) in self.centres.iter().enumerate() {
                let d2 = (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
                if d2 <= self.radius_m * self.radius_m && t > stand_from {
                    self.intervals[h].push((stand_from, t));
                }
            }
            self.current[unit].2 = node;
        }

        fn finish(mut self, end: f64, (w0, w1): (f64, f64)) -> Vec<f64> {
            for u in 0..self.current.len() {
                self.flush(u, end.max(w1));
            }
            self.intervals
                .iter_mut()
                .map(|iv| {
                    iv.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let mut covered = 0.0;
                    let mut cur: Option<(f64, f64)> = None;
                    for &(a, b) in iv.iter() {
                        let (a, b) = (a.max(w0), b.min(w1));
                        if b <= a {
                            continue;
                        }
                        cur = match cur {
                            Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
                            Some((ca, cb)) => {
                                covered += cb - ca;
                                Some((a, b))
                            }
                            None => Some((a, b)),
                        };
                    }
                    if let Some((ca, cb)) = cur {
                        covered += cb - ca;
                    }
                    covered / (w1 - w0)
                })
                .collect()
        }
    }

    impl Observer for Reference<'_> {
        fn event(&mut self, _: f64, _: &SimEvent) {}

        fn route(&mut self, t: f64, unit: u32, route: &Route) {
            self.flush(unit as usize, t);
            self.current[unit as usize] = (Some(route.clone()), t, 0);
        }
    }

    /// Hotspots A, B, C of the test city, and one on the spur.
    const HOTSPOTS: [u32; 4] = [0, 2, 1, 4];

    fn measure(
        net: &Network,
        loops: &[LoopPlan],
        script: &Script,
        radius_m: f64,
        window: (f64, f64),
        end: f64,
    ) -> Vec<f64> {
        let mut p = Presence::new(net, &HOTSPOTS, &HOMES, loops, radius_m, window);
        script.play(&mut p);
        p.finish(end)
    }

    #[test]
    fn looping_stretches_give_the_presence_of_per_leg_drives() {
        let net = square();
        let loops = loops(&net);
        let end = 20_000.0;
        let old = city_run(&net, &loops, end, true);
        let new = city_run(&net, &loops, end, false);
        for radius in [20.0, 50.0, 70.0, 150.0, 600.0] {
            for window in [
                (0.0, 20_000.0),
                (600.0, 19_000.0),
                (5000.0, 7100.0),
                (12.3, 45.6),
            ] {
                let mut reference = Reference::new(&net, &HOTSPOTS, radius);
                old.play(&mut reference);
                let want = reference.finish(end, window);
                let a = measure(&net, &loops, &old, radius, window, end);
                let b = measure(&net, &loops, &new, radius, window, end);
                // The per-leg drives give exactly what they always gave.
                assert_eq!(a, want, "radius {radius}, window {window:?}");
                for h in 0..HOTSPOTS.len() {
                    assert!(
                        (b[h] - want[h]).abs() <= 1e-9 * want[h].max(1e-3),
                        "radius {radius}, window {window:?}, hotspot {h}: {} vs {}",
                        b[h],
                        want[h]
                    );
                }
            }
        }
        // The spur's end (radius 20 m, 20 s of the 1 m/s spur): the station
        // unit stands there but from 3020 (20 s after leaving for A) to 5115
        // (20 s before it is home): 2,095 s. Unit 5 (loop 3, 100 s in at 0)
        // turns there at 935 + 2050 k, within 20 m for 40 s: from 5015 to
        // 5055 it fills some of that. (Unit 0 comes by from 2215 to 2305,
        // while the station unit is there.)
        let p = measure(&net, &loops, &new, 20.0, (0.0, end), end);
        assert!((p[3] - (1.0 - 2055.0 / end)).abs() < 1e-12, "{}", p[3]);
    }

    #[test]
    fn a_long_stretch_is_measured_in_bounded_memory() {
        let net = square();
        let loops = loops(&net);
        let end = 500_000.0;
        let window = (100.0, end);
        let (new, old) = long_stretch(&net, &loops, end);
        let mut p = Presence::new(&net, &HOTSPOTS, &HOMES, &loops, 50.0, window);
        new.play(&mut p);
        // A day's stretch of loop driving near each of A, B and C, and the
        // other units standing at the spur's end (hotspot 3): never a lap
        // at a time.
        assert!(p.peak_buffered() <= 3 + 5, "{}", p.peak_buffered());
        let got = p.finish(end);
        let want = measure(&net, &loops, &old, 50.0, window, end);
        // Within 50 m of A 12.5 s of every 50 s lap (likewise B).
        for h in 0..2 {
            assert!((got[h] - 0.25).abs() < 1e-9, "{}", got[h]);
            assert!((got[h] - want[h]).abs() < 1e-9, "{} vs {}", got[h], want[h]);
        }
    }
}
