//! Station placement: where should K stations go?
//!
//! The classic location models, each on real travel times *from* a candidate
//! site *to* the call (forward searches) and on the demand model's expected
//! share of calls per node (`demand.spatial.prob`):
//!
//! * **maximal covering** (MCLP, [`Objective::Mclp`]): the most demand within
//!   the response target with K stations;
//! * **set covering** (LSCP, [`Objective::Lscp`], [`solve_lscp`]): the fewest
//!   stations that put a given share of demand within the target;
//! * **p-median** ([`Objective::PMedian`]): the least demand-weighted mean
//!   travel time from the nearest station;
//! * **backup coverage** ([`Objective::Backup`]): the most demand within the
//!   target of at least two stations; ties go to the most demand within the
//!   target of one.
//!
//! **Data** ([`Instance`]). Only nodes with positive demand count. For the
//! coverage models one forward Dijkstra per candidate, stopped at the target,
//! gives the demand nodes it covers: sparse lists, a few thousand entries per
//! candidate on a city. p-median needs every time: a dense candidate × demand
//! node matrix of `f32` seconds when it has at most [`DENSE_MAX_ENTRIES`]
//! entries, otherwise each candidate's times are computed again whenever they
//! are needed (slower, but memory stays at one row per thread). Searches run
//! in parallel with one [`Search`] per thread, and results are kept in
//! candidate order, so nothing depends on the thread count.
//!
//! **Solver** ([`solve`]). A greedy start (lazy evaluation for the submodular
//! objectives: MCLP, LSCP and p-median) followed by a swap local search in the
//! style of Teitz and Bart, with Whitaker's fast interchange: for a candidate
//! outside the solution, one pass over the demand it reaches gives the change
//! of swapping it with *every* station at once, from each node's nearest,
//! second and third nearest open station. Candidates are examined in fixed
//! blocks of [`BLOCK`]; the best improving swap of a block is made; the search
//! stops when a whole cycle of candidates brings no improvement, that is at a
//! local optimum for single swaps. Further starts are randomised greedy
//! (GRASP: each pick among the three best, from fixed seeds) and give the
//! runner-up layouts. Ties go to the lowest candidate index everywhere.
//! [`exhaustive`] enumerates every layout of small instances, to prove the
//! optimum and measure the heuristic's gap.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::network::{Network, NodeId};
use crate::routing::{nearest_source_times, Direction, Search, Step};

/// Largest dense p-median matrix (candidates × demand nodes) kept in memory;
/// at 4 bytes an entry, 800 MB.
pub const DENSE_MAX_ENTRIES: usize = 200_000_000;

/// Candidates examined between two swaps at most.
pub const BLOCK: usize = 256;

/// Travel time charged in p-median for a node no open station reaches (only
/// while a greedy start has no station open), seconds.
const UNSERVED_S: f32 = 1.0e7;

/// Demand weights are rounded to multiples of 1 / this of the total.
const QUANTUM_INV: f64 = (1u64 << 40) as f64;

const NONE: u32 = u32::MAX;
const INF: f32 = f32::INFINITY;

/// What a layout is optimised for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Maximal covering: the most demand within the target with K stations.
    Mclp,
    /// Set covering: the fewest stations putting `--share` of demand within the target.
    Lscp,
    /// p-median: the least demand-weighted mean travel time with K stations.
    #[value(name = "pmedian", alias = "p-median")]
    #[serde(rename = "pmedian")]
    PMedian,
    /// Backup coverage: the most demand within the target of two stations.
    Backup,
}

impl Objective {
    /// Short name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Objective::Mclp => "mclp",
            Objective::Lscp => "lscp",
            Objective::PMedian => "pmedian",
            Objective::Backup => "backup",
        }
    }

    /// What it is called in reports.
    pub fn title(self) -> &'static str {
        match self {
            Objective::Mclp => "maximal covering (MCLP)",
            Objective::Lscp => "set covering (LSCP)",
            Objective::PMedian => "p-median",
            Objective::Backup => "backup coverage",
        }
    }

    /// True when the solver works on the nodes within the target (sparse
    /// lists); false when it needs every travel time (p-median).
    pub fn uses_coverage(self) -> bool {
        !matches!(self, Objective::PMedian)
    }

    /// True when more is better for [`Objective::figure`].
    pub fn maximises(self) -> bool {
        matches!(self, Objective::Mclp | Objective::Backup)
    }

    /// The headline figure of a layout for this objective: share of demand
    /// within the target (MCLP, LSCP), demand-weighted mean travel time in
    /// seconds (p-median), share of demand within the target of two stations
    /// (backup).
    pub fn figure(self, f: &LayoutFigures) -> f64 {
        match self {
            Objective::Mclp | Objective::Lscp => f.demand_within_target,
            Objective::PMedian => f.mean_time_s,
            Objective::Backup => f.demand_covered_twice,
        }
    }

    fn second_nearest_counts(self) -> bool {
        matches!(self, Objective::Backup)
    }
}

/// The value of a layout on an [`Instance`]: compared by `main`, then by `tie`;
/// more is better. MCLP and LSCP: demand within the target; p-median: minus
/// the demand-weighted travel time (seconds times demand share); backup:
/// demand within the target of two stations, tie: of one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Score {
    /// The objective.
    pub main: f64,
    /// The tie-breaker (backup coverage: single coverage; 0 otherwise).
    pub tie: f64,
}

impl std::ops::Add for Score {
    type Output = Score;
    fn add(self, o: Score) -> Score {
        Score {
            main: self.main + o.main,
            tie: self.tie + o.tie,
        }
    }
}

impl std::ops::Sub for Score {
    type Output = Score;
    fn sub(self, o: Score) -> Score {
        Score {
            main: self.main - o.main,
            tie: self.tie - o.tie,
        }
    }
}

impl Score {
    /// Lexicographic order on (main, tie).
    pub fn order(&self, o: &Score) -> Ordering {
        self.main
            .total_cmp(&o.main)
            .then(self.tie.total_cmp(&o.tie))
    }
    /// A change that counts as an improvement: any gain for the coverage
    /// objectives (their sums are exact); beyond rounding for p-median.
    fn improves(&self, objective: Objective, scale: f64) -> bool {
        let eps = if objective.uses_coverage() {
            0.0
        } else {
            1e-10 * (1.0 + scale.abs())
        };
        self.main > eps || (self.main == 0.0 && self.tie > 0.0)
    }
}

/// A layout: candidate indices, ascending, and its score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Solution {
    /// Candidate indices, ascending.
    pub sites: Vec<usize>,
    /// Its score on the instance.
    pub score: Score,
}

impl Solution {
    /// Better than `o`: higher score, or the same score and a
    /// lexicographically smaller site list.
    pub fn better_than(&self, o: &Solution) -> bool {
        match self.score.order(&o.score) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => self.sites < o.sites,
        }
    }
}

/// How an instance holds its travel times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataMode {
    /// Per candidate, the demand nodes within the target.
    Coverage,
    /// A dense candidate × demand-node matrix of `f32` seconds.
    Dense,
    /// Each candidate's times computed when needed.
    OnDemand,
}

enum Data {
    Cover { first: Vec<usize>, node: Vec<u32> },
    Dense(Vec<f32>),
    OnDemand,
}

/// A placement problem: candidate sites, demand, and travel times from the sites.
pub struct Instance<'a> {
    net: &'a Network,
    /// The objective the data was built for.
    pub objective: Objective,
    /// Candidate sites, in candidate order.
    pub sites: Vec<NodeId>,
    /// Response target, seconds.
    pub target_s: f64,
    /// Network nodes with positive demand, ascending.
    pub demand_nodes: Vec<u32>,
    /// Their demand weights.
    pub weight: Vec<f64>,
    local: Vec<u32>,
    data: Data,
    /// How the times are held.
    pub mode: DataMode,
    /// Entries held: covered (candidate, node) pairs, or matrix cells.
    pub entries: usize,
}

/// Reusable buffers of one worker thread.
struct Scratch {
    search: Option<Search>,
    row: Vec<f32>,
    corr: Vec<Score>,
}

/// One candidate's data.
#[derive(Clone, Copy)]
enum Row<'r> {
    /// Demand indices within the target (time taken as 0, others as infinite).
    Cover(&'r [u32]),
    /// Travel time to every demand node.
    Times(&'r [f32]),
}

/// Per demand node: the nearest three open stations' times and the nearest two stations.
#[derive(Clone, Debug)]
struct State {
    open: Vec<u32>,
    pos: Vec<u32>,
    d1: Vec<f32>,
    d2: Vec<f32>,
    d3: Vec<f32>,
    c1: Vec<u32>,
    c2: Vec<u32>,
    /// Per open position: the change of closing it alone.
    rem: Vec<Score>,
    score: Score,
}

/// The two smallest of `a <= b` and `c`, in order.
#[inline]
fn two(a: f32, b: f32, c: f32) -> (f32, f32) {
    if c < a {
        (c, a)
    } else if c < b {
        (a, c)
    } else {
        (a, b)
    }
}

impl<'a> Instance<'a> {
    /// Build the data for `objective`: sparse coverage lists within
    /// `target_s`, or (p-median) the dense matrix when candidates × demand
    /// nodes is at most `dense_max_entries`, else times on demand. `weight`
    /// is the demand per network node (the expected share of calls).
    pub fn new(
        net: &'a Network,
        weight: &[f64],
        sites: Vec<NodeId>,
        target_s: f64,
        objective: Objective,
        dense_max_entries: usize,
    ) -> Instance<'a> {
        let n = net.node_count();
        let mut local = vec![NONE; n];
        let mut demand_nodes = Vec::new();
        let mut w = Vec::new();
        // Weights as whole multiples of 2^-40 of the total: every sum of
        // them is exact in f64, whatever the order of summation, so coverage
        // scores compare exactly (ties included) and nothing depends on the
        // order in which threads or swaps add them up.
        let total: f64 = weight.iter().take(n).filter(|x| **x > 0.0).sum();
        for (v, &x) in weight.iter().enumerate().take(n) {
            let q = if total > 0.0 && x > 0.0 {
                (x / total * QUANTUM_INV).round() / QUANTUM_INV
            } else {
                0.0
            };
            if q > 0.0 {
                local[v] = demand_nodes.len() as u32;
                demand_nodes.push(v as u32);
                w.push(q);
            }
        }
        let nd = demand_nodes.len();
        let mut inst = Instance {
            net,
            objective,
            sites,
            target_s,
            demand_nodes,
            weight: w,
            local,
            data: Data::OnDemand,
            mode: DataMode::OnDemand,
            entries: 0,
        };
        if objective.uses_coverage() {
            let lists: Vec<Vec<u32>> = inst
                .sites
                .par_iter()
                .map_init(
                    || Search::new(n),
                    |s, &v| {
                        let mut out = Vec::new();
                        s.start(Direction::Forward);
                        s.add_source(v, 0.0);
                        s.run(net, |u, d| {
                            if d > target_s {
                                return Step::Stop;
                            }
                            let l = inst.local[u.idx()];
                            if l != NONE {
                                out.push(l);
                            }
                            Step::Continue
                        });
                        out.sort_unstable();
                        out
                    },
                )
                .collect();
            let mut first = Vec::with_capacity(lists.len() + 1);
            first.push(0);
            let total: usize = lists.iter().map(Vec::len).sum();
            let mut node = Vec::with_capacity(total);
            for l in lists {
                node.extend_from_slice(&l);
                first.push(node.len());
            }
            inst.entries = node.len();
            inst.data = Data::Cover { first, node };
            inst.mode = DataMode::Coverage;
        } else if inst.sites.len().saturating_mul(nd) <= dense_max_entries {
            let mut m = vec![INF; inst.sites.len() * nd];
            if nd > 0 {
                m.par_chunks_mut(nd)
                    .zip(inst.sites.par_iter())
                    .for_each_init(|| Search::new(n), |s, (row, &v)| inst.fill_row(s, v, row));
            }
            inst.entries = m.len();
            inst.data = Data::Dense(m);
            inst.mode = DataMode::Dense;
        }
        inst
    }

    /// Travel times from `v` to every demand node into `row`.
    fn fill_row(&self, s: &mut Search, v: NodeId, row: &mut [f32]) {
        row.fill(INF);
        s.start(Direction::Forward);
        s.add_source(v, 0.0);
        s.run(self.net, |u, d| {
            let l = self.local[u.idx()];
            if l != NONE {
                row[l as usize] = d as f32;
            }
            Step::Continue
        });
    }

    /// Bytes held by the travel-time data.
    pub fn bytes(&self) -> usize {
        match &self.data {
            Data::Cover { first, node } => first.len() * 8 + node.len() * 4,
            Data::Dense(m) => m.len() * 4,
            Data::OnDemand => 0,
        }
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.sites.len()
    }

    /// True without candidates.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// Total demand weight.
    pub fn total_weight(&self) -> f64 {
        self.weight.iter().sum()
    }

    /// The demand indices candidate `i` covers (coverage data only).
    pub fn covered_by(&self, i: usize) -> &[u32] {
        match &self.data {
            Data::Cover { first, node } => &node[first[i]..first[i + 1]],
            _ => &[],
        }
    }

    /// Share of all demand that some candidate covers (coverage data only).
    pub fn coverable_share(&self) -> f64 {
        let mut seen = vec![false; self.weight.len()];
        if let Data::Cover { node, .. } = &self.data {
            for &u in node {
                seen[u as usize] = true;
            }
        }
        let total = self.total_weight();
        let got: f64 = seen
            .iter()
            .zip(&self.weight)
            .filter(|(s, _)| **s)
            .map(|(_, w)| w)
            .sum();
        if total > 0.0 {
            got / total
        } else {
            0.0
        }
    }

    fn scratch(&self, open: usize) -> Scratch {
        let on_demand = matches!(self.data, Data::OnDemand);
        Scratch {
            search: on_demand.then(|| Search::new(self.net.node_count())),
            row: if on_demand {
                vec![INF; self.weight.len()]
            } else {
                Vec::new()
            },
            corr: vec![Score::default(); open],
        }
    }

    /// Run `f` on candidate `i`'s data.
    fn with_row<R>(
        &self,
        i: usize,
        sc: &mut Scratch,
        f: impl FnOnce(Row<'_>, &mut Vec<Score>) -> R,
    ) -> R {
        match &self.data {
            Data::Cover { first, node } => {
                f(Row::Cover(&node[first[i]..first[i + 1]]), &mut sc.corr)
            }
            Data::Dense(m) => {
                let nd = self.weight.len();
                f(Row::Times(&m[i * nd..(i + 1) * nd]), &mut sc.corr)
            }
            Data::OnDemand => {
                let s = sc
                    .search
                    .get_or_insert_with(|| Search::new(self.net.node_count()));
                if sc.row.len() != self.weight.len() {
                    sc.row = vec![INF; self.weight.len()];
                }
                self.fill_row(s, self.sites[i], &mut sc.row);
                f(Row::Times(&sc.row), &mut sc.corr)
            }
        }
    }

    /// A node's value for its two nearest open stations' times.
    #[inline]
    fn value(&self, w: f64, d1: f32, d2: f32) -> Score {
        match self.objective {
            Objective::Mclp | Objective::Lscp => Score {
                main: if d1 <= 0.0 { w } else { 0.0 },
                tie: 0.0,
            },
            Objective::Backup => Score {
                main: if d2 <= 0.0 { w } else { 0.0 },
                tie: if d1 <= 0.0 { w } else { 0.0 },
            },
            Objective::PMedian => Score {
                main: -w * d1.min(UNSERVED_S) as f64,
                tie: 0.0,
            },
        }
    }

    // ----- state

    fn empty_state(&self) -> State {
        let nd = self.weight.len();
        State {
            open: Vec::new(),
            pos: vec![NONE; self.sites.len()],
            d1: vec![INF; nd],
            d2: vec![INF; nd],
            d3: vec![INF; nd],
            c1: vec![NONE; nd],
            c2: vec![NONE; nd],
            rem: Vec::new(),
            score: Score::default(),
        }
    }

    /// Rebuild the per-node state, removal changes and score of `st.open`.
    fn recompute(&self, st: &mut State) {
        st.open.sort_unstable();
        st.open.dedup();
        st.pos.fill(NONE);
        for (p, &c) in st.open.iter().enumerate() {
            st.pos[c as usize] = p as u32;
        }
        st.d1.fill(INF);
        st.d2.fill(INF);
        st.d3.fill(INF);
        st.c1.fill(NONE);
        st.c2.fill(NONE);
        let insert = |st: &mut State, u: usize, d: f32, c: u32| {
            if d < st.d1[u] {
                st.d3[u] = st.d2[u];
                st.d2[u] = st.d1[u];
                st.c2[u] = st.c1[u];
                st.d1[u] = d;
                st.c1[u] = c;
            } else if d < st.d2[u] {
                st.d3[u] = st.d2[u];
                st.d2[u] = d;
                st.c2[u] = c;
            } else if d < st.d3[u] {
                st.d3[u] = d;
            }
        };
        let open = st.open.clone();
        match &self.data {
            Data::Cover { first, node } => {
                for &c in &open {
                    for &u in &node[first[c as usize]..first[c as usize + 1]] {
                        insert(st, u as usize, 0.0, c);
                    }
                }
            }
            Data::Dense(m) => {
                let nd = self.weight.len();
                for &c in &open {
                    let row = &m[c as usize * nd..(c as usize + 1) * nd];
                    for (u, &d) in row.iter().enumerate() {
                        insert(st, u, d, c);
                    }
                }
            }
            Data::OnDemand => {
                let rows: Vec<Vec<f32>> = open
                    .par_iter()
                    .map_init(
                        || Search::new(self.net.node_count()),
                        |s, &c| {
                            let mut row = vec![INF; self.weight.len()];
                            self.fill_row(s, self.sites[c as usize], &mut row);
                            row
                        },
                    )
                    .collect();
                for (&c, row) in open.iter().zip(&rows) {
                    for (u, &d) in row.iter().enumerate() {
                        insert(st, u, d, c);
                    }
                }
            }
        }
        let second = self.objective.second_nearest_counts();
        st.rem = vec![Score::default(); st.open.len()];
        let mut score = Score::default();
        for u in 0..self.weight.len() {
            let w = self.weight[u];
            let old = self.value(w, st.d1[u], st.d2[u]);
            score = score + old;
            let c1 = st.c1[u];
            if c1 != NONE {
                let p = st.pos[c1 as usize] as usize;
                st.rem[p] = st.rem[p] + (self.value(w, st.d2[u], st.d3[u]) - old);
            }
            let c2 = st.c2[u];
            if second && c2 != NONE {
                let p = st.pos[c2 as usize] as usize;
                st.rem[p] = st.rem[p] + (self.value(w, st.d1[u], st.d3[u]) - old);
            }
        }
        st.score = score;
    }

    fn state_of(&self, sites: &[usize]) -> State {
        let mut st = self.empty_state();
        st.open = sites.iter().map(|&c| c as u32).collect();
        self.recompute(&mut st);
        st
    }

    /// The score of a layout (candidate indices), from scratch.
    pub fn evaluate(&self, sites: &[usize]) -> Score {
        self.state_of(sites).score
    }

    // ----- moves

    /// The change of opening candidate `i` in `st`.
    fn add_gain(&self, st: &State, row: Row<'_>) -> Score {
        let mut g = Score::default();
        match (row, self.objective) {
            (Row::Times(t), Objective::PMedian) => {
                let mut s = 0.0;
                for (u, &di) in t.iter().enumerate() {
                    let d1 = st.d1[u].min(UNSERVED_S);
                    if di < d1 {
                        s += self.weight[u] * (d1 as f64 - di as f64);
                    }
                }
                g.main = s;
            }
            (Row::Times(t), _) => {
                for (u, &di) in t.iter().enumerate() {
                    g = g + self.node_add(st, u, di);
                }
            }
            (Row::Cover(c), _) => {
                for &u in c {
                    g = g + self.node_add(st, u as usize, 0.0);
                }
            }
        }
        g
    }

    #[inline]
    fn node_add(&self, st: &State, u: usize, di: f32) -> Score {
        let w = self.weight[u];
        let (d1, d2) = (st.d1[u], st.d2[u]);
        let (a1, a2) = two(d1, d2, di);
        self.value(w, a1, a2) - self.value(w, d1, d2)
    }

    /// Whitaker's fast interchange: the best station to close when
    /// candidate `i` (with data `row`) opens, and the change in score;
    /// `None` when every open station is fixed.
    fn best_swap(
        &self,
        st: &State,
        fixed: &[bool],
        row: Row<'_>,
        corr: &mut Vec<Score>,
    ) -> Option<(Score, usize)> {
        corr.clear();
        corr.resize(st.open.len(), Score::default());
        let mut base = Score::default();
        let second = self.objective.second_nearest_counts();
        let mut node = |u: usize, di: f32, corr: &mut [Score]| {
            let w = self.weight[u];
            let (d1, d2, d3) = (st.d1[u], st.d2[u], st.d3[u]);
            let old = self.value(w, d1, d2);
            let (a1, a2) = two(d1, d2, di);
            let add = self.value(w, a1, a2) - old;
            base = base + add;
            let c1 = st.c1[u];
            if c1 != NONE {
                let (r1, r2) = two(d2, d3, di);
                let both = self.value(w, r1, r2) - old;
                let alone = self.value(w, d2, d3) - old;
                let p = st.pos[c1 as usize] as usize;
                corr[p] = corr[p] + (both - alone - add);
            }
            let c2 = st.c2[u];
            if second && c2 != NONE {
                let (r1, r2) = two(d1, d3, di);
                let both = self.value(w, r1, r2) - old;
                let alone = self.value(w, d1, d3) - old;
                let p = st.pos[c2 as usize] as usize;
                corr[p] = corr[p] + (both - alone - add);
            }
        };
        match (row, self.objective) {
            (Row::Times(t), Objective::PMedian) => {
                // Specialised: the value depends on the nearest station only.
                let mut s = 0.0;
                for (u, &di) in t.iter().enumerate() {
                    let d2 = st.d2[u].min(UNSERVED_S);
                    if di < d2 {
                        let w = self.weight[u];
                        let d1 = st.d1[u].min(UNSERVED_S);
                        let c1 = st.c1[u];
                        let extra = if di < d1 {
                            s += w * (d1 as f64 - di as f64);
                            w * (d2 as f64 - d1 as f64)
                        } else {
                            w * (d2 as f64 - di as f64)
                        };
                        if c1 != NONE {
                            corr[st.pos[c1 as usize] as usize].main += extra;
                        }
                    }
                }
                base.main = s;
            }
            (Row::Times(t), _) => {
                for (u, &di) in t.iter().enumerate() {
                    node(u, di, corr);
                }
            }
            (Row::Cover(c), _) => {
                for &u in c {
                    node(u as usize, 0.0, corr);
                }
            }
        }
        let mut best: Option<(Score, usize)> = None;
        for (p, &c) in st.open.iter().enumerate() {
            if fixed[c as usize] {
                continue;
            }
            let d = base + st.rem[p] + corr[p];
            if best.is_none_or(|(b, _)| d.order(&b) == Ordering::Greater) {
                best = Some((d, p));
            }
        }
        best
    }

    /// Swap local search from `st`: returns swaps made and candidates evaluated.
    fn local_search(&self, st: &mut State, fixed: &[bool]) -> (usize, u64) {
        let m = self.sites.len();
        if st.open.len() >= m || st.open.iter().all(|&c| fixed[c as usize]) {
            return (0, 0);
        }
        let (mut start, mut quiet, mut swaps, mut evals) = (0usize, 0usize, 0usize, 0u64);
        while quiet < m {
            let end = (start + BLOCK).min(m);
            let found: Vec<Option<(Score, usize)>> = (start..end)
                .into_par_iter()
                .map_init(
                    || self.scratch(st.open.len()),
                    |sc, i| {
                        if st.pos[i] != NONE {
                            return None;
                        }
                        self.with_row(i, sc, |row, corr| self.best_swap(st, fixed, row, corr))
                    },
                )
                .collect();
            evals += found.iter().filter(|f| f.is_some()).count() as u64;
            let mut best: Option<(Score, usize, usize)> = None;
            for (k, f) in found.iter().enumerate() {
                if let Some((d, p)) = *f {
                    if d.improves(self.objective, st.score.main)
                        && best.is_none_or(|(b, _, _)| d.order(&b) == Ordering::Greater)
                    {
                        best = Some((d, start + k, p));
                    }
                }
            }
            match best {
                Some((_, i, p)) => {
                    let before = st.score;
                    let old = st.open[p];
                    st.open[p] = i as u32;
                    self.recompute(st);
                    if !(st.score - before).improves(self.objective, before.main) {
                        // Rounding fooled the incremental change: undo and stop.
                        let q = st.open.iter().position(|&c| c == i as u32).unwrap_or(0);
                        st.open[q] = old;
                        self.recompute(st);
                        break;
                    }
                    swaps += 1;
                    quiet = 0;
                }
                None => quiet += end - start,
            }
            start = if end == m { 0 } else { end };
        }
        (swaps, evals)
    }

    /// Greedy from `st` up to `k` open stations. With `seed`, each pick is
    /// drawn among the three best (GRASP); without, it is the best.
    fn greedy(&self, st: &mut State, k: usize, seed: Option<u64>) -> u64 {
        let m = self.sites.len();
        let lazy = self.objective != Objective::Backup;
        let rcl = if seed.is_some() { 3 } else { 1 };
        let mut rng = seed.map(|s| s ^ 0x5DEE_CE66_D1CE_4E5B);
        let mut evals = 0u64;
        let eval_all = |st: &State| -> Vec<(Score, usize)> {
            (0..m)
                .into_par_iter()
                .filter(|&i| st.pos[i] == NONE)
                .map_init(
                    || self.scratch(0),
                    |sc, i| (self.with_row(i, sc, |row, _| self.add_gain(st, row)), i),
                )
                .collect()
        };
        let mut heap: BinaryHeap<Entry> = BinaryHeap::new();
        let mut round = 0usize;
        if lazy && st.open.len() < k {
            let all = eval_all(st);
            evals += all.len() as u64;
            heap.extend(all.into_iter().map(|(g, i)| Entry { g, i, round }));
        }
        let mut sc = self.scratch(0);
        while st.open.len() < k && st.open.len() < m {
            let mut picks: Vec<Entry> = Vec::with_capacity(rcl);
            if lazy {
                while picks.len() < rcl {
                    let Some(mut e) = heap.pop() else { break };
                    if e.round == round {
                        picks.push(e);
                    } else {
                        e.g = self.with_row(e.i, &mut sc, |row, _| self.add_gain(st, row));
                        e.round = round;
                        evals += 1;
                        heap.push(e);
                    }
                }
            } else {
                let mut all = eval_all(st);
                evals += all.len() as u64;
                all.sort_by(|a, b| b.0.order(&a.0).then(a.1.cmp(&b.1)));
                picks = all
                    .into_iter()
                    .take(rcl)
                    .map(|(g, i)| Entry { g, i, round })
                    .collect();
            }
            if picks.is_empty() {
                break;
            }
            let k_pick = match rng.as_mut() {
                Some(r) => (splitmix64(r) % picks.len() as u64) as usize,
                None => 0,
            };
            let chosen = picks.remove(k_pick);
            if lazy {
                heap.extend(picks);
            }
            st.open.push(chosen.i as u32);
            self.recompute(st);
            round += 1;
        }
        evals
    }
}

/// A greedy candidate with its (possibly stale) gain.
#[derive(Clone, Copy, Debug)]
struct Entry {
    g: Score,
    i: usize,
    round: usize,
}
impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    // Max-heap on gain, then the lowest index.
    fn cmp(&self, o: &Self) -> Ordering {
        self.g.order(&o.g).then(o.i.cmp(&self.i))
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What [`solve`] is asked.
#[derive(Clone, Debug, Default)]
pub struct SolveOptions {
    /// Stations in the layout, fixed ones included.
    pub k: usize,
    /// Candidate indices that must be in every layout.
    pub fixed: Vec<usize>,
    /// Starts: the greedy one, then `starts - 1` randomised greedy ones.
    pub starts: usize,
    /// Further starts: layouts of at most `k` sites (completed greedily),
    /// each followed by the swap search; typically the current stations.
    pub initial: Vec<Vec<usize>>,
    /// Among layouts of equal score, prefer the one sharing the most sites
    /// with this one (typically the current stations), then the
    /// lexicographically smallest.
    pub prefer: Vec<usize>,
}

/// What [`solve`] found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Solved {
    /// The best layout.
    pub best: Solution,
    /// Distinct local optima, best first (the best included).
    pub found: Vec<Solution>,
    /// The plain greedy layout, before any swap.
    pub greedy: Solution,
    /// Swaps made over all starts.
    pub swaps: usize,
    /// Candidate evaluations over all starts (greedy gains and swap scans).
    pub evaluations: u64,
}

/// Check `k` and `fixed` against the instance.
fn check_k(inst: &Instance<'_>, k: usize, fixed: &[usize]) -> Result<()> {
    let m = inst.len();
    if k == 0 {
        return Err(Error::Option {
            option: "--stations".into(),
            message: "must be at least 1".into(),
        });
    }
    if k > m {
        return Err(Error::Option {
            option: "--stations".into(),
            message: format!("{k} stations asked for, but there are only {m} candidate sites"),
        });
    }
    if let Some(&f) = fixed.iter().find(|&&f| f >= m) {
        return Err(Error::Internal(format!(
            "fixed site {f} is not a candidate"
        )));
    }
    let mut fx = fixed.to_vec();
    fx.sort_unstable();
    fx.dedup();
    if fx.len() > k {
        return Err(Error::Option {
            option: "--stations".into(),
            message: format!(
                "{k} stations asked for, but {} are kept (--keep existing); K counts the total, so ask for at least {}",
                fx.len(),
                fx.len()
            ),
        });
    }
    Ok(())
}

/// Greedy start plus swap local search, from `opts.starts` starts.
pub fn solve(inst: &Instance<'_>, opts: &SolveOptions) -> Result<Solved> {
    check_k(inst, opts.k, &opts.fixed)?;
    let mut fixed = vec![false; inst.len()];
    for &f in &opts.fixed {
        fixed[f] = true;
    }
    let mut found: Vec<Solution> = Vec::new();
    let (mut swaps, mut evals) = (0usize, 0u64);
    let mut greedy = None;
    let starts = opts.starts.max(1);
    let initial: Vec<&Vec<usize>> = opts
        .initial
        .iter()
        .filter(|l| l.len() <= opts.k && l.iter().all(|&c| c < inst.len()))
        .collect();
    for s in 0..starts + initial.len() {
        let mut st = inst.empty_state();
        st.open = opts.fixed.iter().map(|&c| c as u32).collect();
        if s >= starts {
            st.open
                .extend(initial[s - starts].iter().map(|&c| c as u32));
        }
        inst.recompute(&mut st);
        let seed = (s > 0 && s < starts).then_some(s as u64);
        evals += inst.greedy(&mut st, opts.k, seed);
        if s == 0 {
            greedy = Some(Solution {
                sites: st.open.iter().map(|&c| c as usize).collect(),
                score: st.score,
            });
        }
        let (sw, ev) = inst.local_search(&mut st, &fixed);
        swaps += sw;
        evals += ev;
        let sol = Solution {
            sites: st.open.iter().map(|&c| c as usize).collect(),
            score: st.score,
        };
        if !found.iter().any(|f| f.sites == sol.sites) {
            found.push(sol);
        }
    }
    let shared = |s: &Solution| s.sites.iter().filter(|c| opts.prefer.contains(c)).count();
    found.sort_by(|a, b| {
        b.score
            .order(&a.score)
            .then(shared(b).cmp(&shared(a)))
            .then(a.sites.cmp(&b.sites))
    });
    let best = found[0].clone();
    Ok(Solved {
        best,
        found,
        greedy: greedy.unwrap_or_else(|| Solution {
            sites: Vec::new(),
            score: Score::default(),
        }),
        swaps,
        evaluations: evals,
    })
}

/// What [`solve_lscp`] found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LscpSolved {
    /// The smallest layout found that reaches the share: irredundant (no
    /// station can be closed without falling short).
    pub best: Solution,
    /// The required share of demand within the target.
    pub share: f64,
    /// The largest share any layout of these candidates reaches (all open).
    pub coverable_share: f64,
    /// Sizes tried below the greedy one, with the best share each reached.
    pub tried: Vec<(usize, f64)>,
    /// Other layouts of the best size that reach the share, best covering first.
    pub alternatives: Vec<Solution>,
}

/// Set covering: the fewest stations (fixed ones included) putting `share`
/// of demand within the target. Greedy until the share is reached, closing
/// redundant stations, then maximal covering with one station fewer each
/// time while the share is still reached. `max_k` bounds the answer; among
/// equally good layouts of one size, those sharing the most sites with
/// `prefer` come first.
pub fn solve_lscp(
    inst: &Instance<'_>,
    fixed: &[usize],
    share: f64,
    max_k: Option<usize>,
    starts: usize,
    prefer: &[usize],
) -> Result<LscpSolved> {
    if !inst.objective.uses_coverage() {
        return Err(Error::Internal("set covering needs coverage data".into()));
    }
    let total = inst.total_weight();
    let need = share * total - 1e-12 * (1.0 + total);
    let coverable = inst.coverable_share();
    if coverable * total < need {
        return Err(Error::Option {
            option: "--share".into(),
            message: format!(
                "{:.1}% of demand asked for within the target, but only {:.2}% is within it \
                 of any candidate site; lower --share to at most {:.4} or add candidates",
                share * 100.0,
                coverable * 100.0,
                (coverable * 1e4).floor() / 1e4
            ),
        });
    }
    let mut fx = fixed.to_vec();
    fx.sort_unstable();
    fx.dedup();
    let mut is_fixed = vec![false; inst.len()];
    for &f in &fx {
        is_fixed[f] = true;
    }
    // Greedy until the share is reached.
    let mut st = inst.empty_state();
    st.open = fx.iter().map(|&c| c as u32).collect();
    inst.recompute(&mut st);
    while st.score.main < need && st.open.len() < inst.len() {
        let n = st.open.len() + 1;
        inst.greedy(&mut st, n, None);
    }
    let mut best = prune(
        inst,
        &st.open.iter().map(|&c| c as usize).collect::<Vec<_>>(),
        &is_fixed,
        need,
    );
    let mut alternatives = Vec::new();
    let mut tried = Vec::new();
    let lower = fx.len().max(1);
    while best.sites.len() > lower {
        let k = best.sites.len() - 1;
        let sol = solve(
            inst,
            &SolveOptions {
                k,
                fixed: fx.clone(),
                starts,
                prefer: prefer.to_vec(),
                ..SolveOptions::default()
            },
        )?;
        tried.push((k, sol.best.score.main / total));
        if sol.best.score.main < need {
            break;
        }
        let feasible: Vec<Solution> = sol
            .found
            .iter()
            .filter(|s| s.score.main >= need)
            .map(|s| prune(inst, &s.sites, &is_fixed, need))
            .collect();
        best = feasible[0].clone();
        alternatives = feasible
            .into_iter()
            .skip(1)
            .filter(|s| s.sites.len() == best.sites.len())
            .collect();
    }
    if let Some(mk) = max_k {
        if best.sites.len() > mk {
            return Err(Error::Option {
                option: "--stations".into(),
                message: format!(
                    "at most {mk} stations allowed, but the best layout found needs {} to put {:.1}% of demand within the target",
                    best.sites.len(),
                    share * 100.0
                ),
            });
        }
    }
    Ok(LscpSolved {
        best,
        share,
        coverable_share: coverable,
        tried,
        alternatives,
    })
}

/// Close stations (highest index first, fixed ones never) while the covered
/// demand stays at least `need`.
fn prune(inst: &Instance<'_>, sites: &[usize], fixed: &[bool], need: f64) -> Solution {
    let mut open: Vec<usize> = sites.to_vec();
    open.sort_unstable();
    for &c in sites.iter().rev() {
        if fixed[c] {
            continue;
        }
        let trial: Vec<usize> = open.iter().copied().filter(|&x| x != c).collect();
        if trial.is_empty() {
            continue;
        }
        if inst.evaluate(&trial).main >= need {
            open = trial;
        }
    }
    let score = inst.evaluate(&open);
    Solution { sites: open, score }
}

/// Number of `k`-subsets of `n` things, saturating at `u128::MAX`.
pub fn binomial(n: usize, k: usize) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let mut r: u128 = 1;
    for i in 0..k {
        r = match r.checked_mul((n - i) as u128) {
            Some(x) => x / (i as u128 + 1),
            None => return u128::MAX,
        };
    }
    r
}

/// Layouts [`exhaustive`] would enumerate for `k` stations with `fixed` kept.
pub fn exhaustive_count(inst: &Instance<'_>, k: usize, fixed: &[usize]) -> u128 {
    let mut fx = fixed.to_vec();
    fx.sort_unstable();
    fx.dedup();
    if fx.len() > k {
        return 0;
    }
    binomial(inst.len() - fx.len(), k - fx.len())
}

/// The optimum over every layout of `k` stations that contains `fixed`
/// (ties: the lexicographically smallest). For small instances: it
/// evaluates [`exhaustive_count`] layouts.
pub fn exhaustive(inst: &Instance<'_>, k: usize, fixed: &[usize]) -> Result<Solution> {
    check_k(inst, k, fixed)?;
    let mut fx = fixed.to_vec();
    fx.sort_unstable();
    fx.dedup();
    let nd = inst.weight.len();
    let free: Vec<usize> = (0..inst.len()).filter(|c| !fx.contains(c)).collect();
    let r = k - fx.len();
    // Rows as times (coverage: 0 within the target).
    let row_of = |c: usize, sc: &mut Scratch| -> Vec<f32> {
        inst.with_row(c, sc, |row, _| match row {
            Row::Cover(l) => {
                let mut t = vec![INF; nd];
                for &u in l {
                    t[u as usize] = 0.0;
                }
                t
            }
            Row::Times(t) => t.to_vec(),
        })
    };
    let mut sc = inst.scratch(0);
    let rows: Vec<Vec<f32>> = (0..inst.len()).map(|c| row_of(c, &mut sc)).collect();
    let mut base = (vec![INF; nd], vec![INF; nd]);
    for &c in &fx {
        merge(&mut base, &rows[c]);
    }
    if r == 0 {
        return Ok(Solution {
            sites: fx.clone(),
            score: inst.evaluate(&fx),
        });
    }
    let score_of = |s: &(Vec<f32>, Vec<f32>)| -> Score {
        let mut t = Score::default();
        for u in 0..nd {
            t = t + inst.value(inst.weight[u], s.0[u], s.1[u]);
        }
        t
    };
    // Depth-first over subsets in lexicographic order, split by first pick.
    let bests: Vec<Option<(Score, Vec<usize>)>> = (0..=free.len() - r)
        .into_par_iter()
        .map(|f0| {
            let mut dfs = Dfs {
                free: &free,
                rows: &rows,
                r,
                levels: vec![base.clone(); r + 1],
                pick: vec![0; r],
                best: None,
                score_of: &score_of,
            };
            dfs.descend(0, f0, f0 + 1);
            dfs.best
        })
        .collect();
    let mut best: Option<(Score, Vec<usize>)> = None;
    for b in bests.into_iter().flatten() {
        if best
            .as_ref()
            .is_none_or(|(s, _)| b.0.order(s) == Ordering::Greater)
        {
            best = Some(b);
        }
    }
    let (_, pick) = best.ok_or_else(|| Error::Internal("no layout to enumerate".into()))?;
    let mut sites: Vec<usize> = fx;
    sites.extend(pick.iter().map(|&x| free[x]));
    sites.sort_unstable();
    let score = inst.evaluate(&sites);
    Ok(Solution { sites, score })
}

/// Per node, the nearest and second nearest open station's times.
type Nearest2 = (Vec<f32>, Vec<f32>);

/// The score of a [`Nearest2`].
type ScoreFn<'x> = dyn Fn(&Nearest2) -> Score + Sync + 'x;

/// Depth-first enumeration of the free sites to add, in lexicographic order.
struct Dfs<'x> {
    free: &'x [usize],
    rows: &'x [Vec<f32>],
    r: usize,
    levels: Vec<Nearest2>,
    pick: Vec<usize>,
    best: Option<(Score, Vec<usize>)>,
    score_of: &'x ScoreFn<'x>,
}

impl Dfs<'_> {
    /// Pick free site `first..last` at depth `t` (each in turn), then go deeper.
    fn descend(&mut self, t: usize, first: usize, last: usize) {
        for x in first..last {
            let (lo, hi) = self.levels.split_at_mut(t + 1);
            hi[0].0.copy_from_slice(&lo[t].0);
            hi[0].1.copy_from_slice(&lo[t].1);
            merge(&mut hi[0], &self.rows[self.free[x]]);
            self.pick[t] = x;
            if t + 1 == self.r {
                let s = (self.score_of)(&self.levels[t + 1]);
                if self
                    .best
                    .as_ref()
                    .is_none_or(|(b, _)| s.order(b) == Ordering::Greater)
                {
                    self.best = Some((s, self.pick.clone()));
                }
            } else {
                let left = self.r - (t + 1);
                self.descend(t + 1, x + 1, self.free.len() + 1 - left);
            }
        }
    }
}

/// Merge a candidate's times into the two nearest per node.
fn merge(s: &mut (Vec<f32>, Vec<f32>), row: &[f32]) {
    for (u, &d) in row.iter().enumerate() {
        if d < s.0[u] {
            s.1[u] = s.0[u];
            s.0[u] = d;
        } else if d < s.1[u] {
            s.1[u] = d;
        }
    }
}

/// Every `k`-th node, so that at most `max` are taken (k = ceil(n / max)).
pub fn sample_nodes(n: usize, max: usize) -> Vec<NodeId> {
    let step = n.div_ceil(max.max(1)).max(1);
    (0..n).step_by(step).map(|v| NodeId(v as u32)).collect()
}

/// The figures of a layout, exact (f64 travel times on the network).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayoutFigures {
    /// Stations (distinct nodes).
    pub stations: usize,
    /// Share of expected calls within the target of the nearest station.
    pub demand_within_target: f64,
    /// Share of nodes within the target.
    pub nodes_within_target: f64,
    /// Share of expected calls within the target less call handling.
    pub demand_within_budget: f64,
    /// Share of expected calls within the target of at least two stations.
    pub demand_covered_twice: f64,
    /// Demand-weighted mean travel time from the nearest station, seconds.
    pub mean_time_s: f64,
    /// Longest travel time from the nearest station to any node, seconds.
    pub max_time_s: f64,
}

impl LayoutFigures {
    /// Figures of the stations at `sites` for demand `weight` (per node);
    /// also each node's travel time from its nearest station.
    pub fn of(
        net: &Network,
        weight: &[f64],
        sites: &[NodeId],
        target_s: f64,
        budget_s: f64,
    ) -> (LayoutFigures, Vec<f64>) {
        let mut s: Vec<NodeId> = sites.to_vec();
        s.sort_unstable();
        s.dedup();
        let n = net.node_count();
        let (time, _) = nearest_source_times(net, &s);
        let total: f64 = weight.iter().sum();
        let total = if total > 0.0 { total } else { 1.0 };
        let counts: Vec<u8> = s
            .par_iter()
            .map_init(
                || Search::new(n),
                |search, &v| {
                    let mut hit = Vec::new();
                    search.start(Direction::Forward);
                    search.add_source(v, 0.0);
                    search.run(net, |u, d| {
                        if d > target_s {
                            return Step::Stop;
                        }
                        hit.push(u.0);
                        Step::Continue
                    });
                    hit
                },
            )
            .collect::<Vec<_>>()
            .into_iter()
            .fold(vec![0u8; n], |mut acc, hit| {
                for u in hit {
                    acc[u as usize] = acc[u as usize].saturating_add(1);
                }
                acc
            });
        let (mut dt, mut nt, mut db, mut d2, mut mean, mut max) =
            (0.0, 0usize, 0.0, 0.0, 0.0, 0.0f64);
        for (v, &t) in time.iter().enumerate() {
            let w = weight.get(v).copied().unwrap_or(0.0);
            if t <= target_s {
                nt += 1;
                dt += w;
            }
            if t <= budget_s {
                db += w;
            }
            if counts[v] >= 2 {
                d2 += w;
            }
            mean += w * t;
            max = max.max(t);
        }
        (
            LayoutFigures {
                stations: s.len(),
                demand_within_target: dt / total,
                nodes_within_target: nt as f64 / n.max(1) as f64,
                demand_within_budget: db / total,
                demand_covered_twice: d2 / total,
                mean_time_s: mean / total,
                max_time_s: max,
            },
            time,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{load, Scenario};

    fn city(rows: usize, seed: u64) -> Scenario {
        let text = format!(
            r#"
[network]
synthetic = {{ seed = {seed}, rows = {rows}, cols = {rows}, block_m = 150.0, rings = 0 }}
[[stations]]
name = "A"
node = 0
[demand]
calls_per_hour = 6
[simulation]
horizon_s = 3600
"#
        );
        load::from_str(&text, "t.toml".as_ref(), ".".as_ref()).unwrap()
    }

    fn inst<'a>(
        scn: &'a Scenario,
        obj: Objective,
        sites: Vec<NodeId>,
        target: f64,
    ) -> Instance<'a> {
        Instance::new(
            &scn.net,
            &scn.demand.spatial.prob,
            sites,
            target,
            obj,
            DENSE_MAX_ENTRIES,
        )
    }

    /// The incremental swap change equals the change recomputed from scratch.
    #[test]
    fn fast_interchange_matches_recomputation() {
        let scn = city(14, 3);
        let sites = sample_nodes(scn.net.node_count(), 25);
        for obj in [Objective::Mclp, Objective::PMedian, Objective::Backup] {
            let inst = inst(&scn, obj, sites.clone(), 180.0);
            let open = vec![1usize, 5, 9, 17];
            let st = inst.state_of(&open);
            let fixed = vec![false; inst.len()];
            let mut sc = inst.scratch(open.len());
            for i in 0..inst.len() {
                if open.contains(&i) {
                    continue;
                }
                let (d, p) = inst
                    .with_row(i, &mut sc, |row, corr| {
                        inst.best_swap(&st, &fixed, row, corr)
                    })
                    .unwrap();
                // Brute force over every station to close.
                let mut best: Option<(Score, usize)> = None;
                for q in 0..open.len() {
                    let mut s = open.clone();
                    s[q] = i;
                    let delta = inst.evaluate(&s) - st.score;
                    if best.is_none_or(|(b, _)| delta.order(&b) == Ordering::Greater) {
                        best = Some((delta, q));
                    }
                }
                let (bd, _) = best.unwrap();
                if obj.uses_coverage() {
                    // Weights on a 2^-40 grid: exact, ties included.
                    assert_eq!(d, bd, "{obj:?} i={i} (p {p})");
                } else {
                    assert!(
                        (d.main - bd.main).abs() < 1e-9 * (1.0 + bd.main.abs()),
                        "{obj:?} i={i}: {d:?} vs {bd:?} (p {p})"
                    );
                }
                // The gain of adding alone, too.
                let g = inst.with_row(i, &mut sc, |row, _| inst.add_gain(&st, row));
                let mut s = open.clone();
                s.push(i);
                let want = inst.evaluate(&s) - st.score;
                assert!(
                    (g.main - want.main).abs() < 1e-9 * (1.0 + want.main.abs()),
                    "{obj:?} add {i}"
                );
            }
        }
    }

    #[test]
    fn on_demand_times_equal_the_dense_matrix() {
        let scn = city(12, 5);
        let sites = sample_nodes(scn.net.node_count(), 30);
        let dense = inst(&scn, Objective::PMedian, sites.clone(), 300.0);
        let lazy = Instance::new(
            &scn.net,
            &scn.demand.spatial.prob,
            sites,
            300.0,
            Objective::PMedian,
            0,
        );
        assert_eq!(dense.mode, DataMode::Dense);
        assert_eq!(lazy.mode, DataMode::OnDemand);
        let opts = SolveOptions {
            k: 4,
            starts: 2,
            ..Default::default()
        };
        let a = solve(&dense, &opts).unwrap();
        let b = solve(&lazy, &opts).unwrap();
        assert_eq!(a.best, b.best);
        assert_eq!(a.found, b.found);
    }

    #[test]
    fn the_heuristic_finds_the_optimum_of_small_instances() {
        let scn = city(10, 9);
        let sites = sample_nodes(scn.net.node_count(), 18);
        for obj in [Objective::Mclp, Objective::PMedian, Objective::Backup] {
            let inst = inst(&scn, obj, sites.clone(), 150.0);
            for k in 1..=4 {
                let h = solve(
                    &inst,
                    &SolveOptions {
                        k,
                        starts: 4,
                        ..Default::default()
                    },
                )
                .unwrap();
                let x = exhaustive(&inst, k, &[]).unwrap();
                assert!(x.score.order(&h.best.score) != Ordering::Less);
                let gap = (x.score.main - h.best.score.main) / x.score.main.abs().max(1e-12);
                assert!(gap < 0.02, "{obj:?} k={k}: gap {gap}");
            }
        }
    }

    #[test]
    fn fixed_sites_stay_and_binomials_are_exact() {
        assert_eq!(binomial(10, 3), 120);
        assert_eq!(binomial(5, 0), 1);
        assert_eq!(binomial(3, 4), 0);
        let scn = city(10, 2);
        let sites = sample_nodes(scn.net.node_count(), 20);
        let inst = inst(&scn, Objective::Mclp, sites, 120.0);
        let s = solve(
            &inst,
            &SolveOptions {
                k: 3,
                fixed: vec![0, 7],
                starts: 2,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(s.best.sites.contains(&0) && s.best.sites.contains(&7));
        let x = exhaustive(&inst, 3, &[0, 7]).unwrap();
        assert_eq!(x.score, s.best.score);
        assert!(solve(
            &inst,
            &SolveOptions {
                k: 1,
                fixed: vec![0, 7],
                starts: 1,
                ..Default::default()
            }
        )
        .is_err());
    }

    #[test]
    fn sampling_keeps_at_most_max() {
        assert_eq!(sample_nodes(10, 3).len(), 3);
        assert_eq!(sample_nodes(10, 20).len(), 10);
        assert_eq!(sample_nodes(22_500, 2_000).len(), 1_875);
    }
}
