//! Monte Carlo batches: many independent replications of one scenario, their
//! per-replication figures, and means with Student-t confidence intervals.
//!
//! Replication `r` draws its calls from streams keyed by (scenario seed, `r`)
//! (see [`crate::rng`]), so any replication can be re-run alone
//! (`patrolsim run --rep r`), results do not depend on how many threads run
//! them, and two layouts of one city see the same calls (common random
//! numbers). Each replication is reduced to a [`RepRow`] as soon as it
//! finishes, so memory does not grow with the number of calls times
//! replications. Rows are always kept and written in replication order.

pub mod compare;
pub mod sweep;

use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::Summary;
use crate::output::{ensure_dir, write_string};
use crate::scenario::Scenario;
use crate::sim::{self, Prepared};

/// The figures of one replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepRow {
    /// Replication index.
    pub rep: u64,
    /// Counted calls.
    pub calls: u64,
    /// Share of counted calls reached within the response target.
    pub compliance: f64,
    /// Mean response time, seconds.
    pub mean_response_s: f64,
    /// 90th percentile of response time, seconds.
    pub p90_response_s: f64,
    /// Share of counted calls that found no unit free.
    pub share_queued: f64,
    /// Mean wait in the queue over all counted calls, seconds.
    pub mean_wait_s: f64,
    /// Mean unit utilisation.
    pub utilisation: f64,
    /// Share of patrol loops that meet the lap target (NaN without loops).
    pub loops_meeting: f64,
    /// Share of all observed laps within the lap target (NaN without laps).
    pub laps_within_target: f64,
    /// Mean observed lap, seconds (NaN without laps).
    pub mean_lap_s: f64,
    /// Share of all gaps at hotspots within their revisit limit (NaN without gaps).
    pub gaps_within_revisit: f64,
    /// Mean presence over hotspots (NaN without hotspots).
    pub presence: f64,
}

/// The metrics of a [`RepRow`], by name, in column order.
pub const METRICS: [&str; 12] = [
    "compliance",
    "mean_response_s",
    "p90_response_s",
    "share_queued",
    "mean_wait_s",
    "utilisation",
    "loops_meeting",
    "laps_within_target",
    "mean_lap_s",
    "gaps_within_revisit",
    "presence",
    "calls",
];

impl RepRow {
    /// Reduce a replication's summary.
    pub fn of(rep: u64, s: &Summary) -> RepRow {
        let nan = f64::NAN;
        let laps: usize = s.loops.iter().map(|l| l.laps.n).sum();
        let laps_ok: f64 = s
            .loops
            .iter()
            .map(|l| l.laps.n as f64 * l.laps_within_target.unwrap_or(0.0))
            .sum();
        let lap_sum: f64 = s
            .loops
            .iter()
            .map(|l| l.laps.n as f64 * l.laps.mean.unwrap_or(0.0))
            .sum();
        let gaps: usize = s.hotspots.iter().map(|h| h.gaps_s.n).sum();
        let gaps_ok: f64 = s
            .hotspots
            .iter()
            .map(|h| h.gaps_s.n as f64 * h.gaps_within_revisit.unwrap_or(0.0))
            .sum();
        RepRow {
            rep,
            calls: s.calls.counted as u64,
            compliance: s.target.compliance.unwrap_or(nan),
            mean_response_s: s.response_s.mean.unwrap_or(nan),
            p90_response_s: s.response_s.p90.unwrap_or(nan),
            share_queued: s.queue.share_queued.unwrap_or(nan),
            mean_wait_s: s.queue.mean_wait_s.unwrap_or(nan),
            utilisation: s.utilisation.mean,
            loops_meeting: if s.loops.is_empty() {
                nan
            } else {
                s.patrol.loops_meeting as f64 / s.loops.len() as f64
            },
            laps_within_target: if laps > 0 { laps_ok / laps as f64 } else { nan },
            mean_lap_s: if laps > 0 { lap_sum / laps as f64 } else { nan },
            gaps_within_revisit: if gaps > 0 { gaps_ok / gaps as f64 } else { nan },
            presence: if s.hotspots.is_empty() {
                nan
            } else {
                s.hotspots.iter().map(|h| h.presence).sum::<f64>() / s.hotspots.len() as f64
            },
        }
    }

    /// A metric by name (see [`METRICS`]).
    pub fn get(&self, metric: &str) -> f64 {
        match metric {
            "compliance" => self.compliance,
            "mean_response_s" => self.mean_response_s,
            "p90_response_s" => self.p90_response_s,
            "share_queued" => self.share_queued,
            "mean_wait_s" => self.mean_wait_s,
            "utilisation" => self.utilisation,
            "loops_meeting" => self.loops_meeting,
            "laps_within_target" => self.laps_within_target,
            "mean_lap_s" => self.mean_lap_s,
            "gaps_within_revisit" => self.gaps_within_revisit,
            "presence" => self.presence,
            "calls" => self.calls as f64,
            _ => f64::NAN,
        }
    }
}

/// Mean, spread and 95 % confidence interval of one metric over replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Replications with a value (NaN values are left out).
    pub n: usize,
    /// Sample mean.
    pub mean: Option<f64>,
    /// Sample standard deviation (n - 1 in the denominator).
    pub sd: Option<f64>,
    /// Half-width of the 95 % Student-t confidence interval for the mean.
    pub half_width: Option<f64>,
    /// `mean - half_width`.
    pub ci_low: Option<f64>,
    /// `mean + half_width`.
    pub ci_high: Option<f64>,
}

impl Estimate {
    /// The estimate from a sample (NaN values are ignored).
    pub fn of(values: impl IntoIterator<Item = f64>) -> Estimate {
        let xs: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
        let n = xs.len();
        if n == 0 {
            return Estimate {
                n,
                mean: None,
                sd: None,
                half_width: None,
                ci_low: None,
                ci_high: None,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Estimate {
                n,
                mean: Some(mean),
                sd: None,
                half_width: None,
                ci_low: None,
                ci_high: None,
            };
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let sd = var.sqrt();
        let hw = student_t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt();
        Estimate {
            n,
            mean: Some(mean),
            sd: Some(sd),
            half_width: Some(hw),
            ci_low: Some(mean - hw),
            ci_high: Some(mean + hw),
        }
    }
}

/// ln Γ(x) by the Lanczos approximation (g = 7, n = 9), good to about 1e-15.
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let mut a = G[0];
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete beta function I_x(a, b), by Lentz's continued fraction.
fn inc_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - inc_beta(1.0 - x, b, a);
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp() / a;
    let tiny = 1e-300;
    let (mut f, mut c, mut d) = (1.0, 1.0, 0.0);
    for i in 0..400 {
        let m = (i / 2) as f64;
        let num = if i == 0 {
            1.0
        } else if i % 2 == 0 {
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
        } else {
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
        };
        d = 1.0 + num * d;
        d = if d.abs() < tiny { tiny } else { d };
        d = 1.0 / d;
        c = 1.0 + num / c;
        c = if c.abs() < tiny { tiny } else { c };
        let cd = c * d;
        f *= cd;
        if (1.0 - cd).abs() < 1e-15 {
            break;
        }
    }
    front * (f - 1.0)
}

/// The Student-t distribution function with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * inc_beta(x, df / 2.0, 0.5);
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The `p` quantile of the Student-t distribution with `df` degrees of freedom
/// (by bisection on [`student_t_cdf`], to about 1e-12).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    if p == 0.5 {
        return 0.0;
    }
    let (mut lo, mut hi) = (-1.0e3, 1.0e3);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Which replications a shard runs: `i` of `n` takes replications
/// `i, i + n, i + 2n, ...` below `reps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole batch in one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parse `i/n` (0 <= i < n).
    pub fn parse(s: &str) -> Result<Shard> {
        let bad = |m: &str| Error::Option {
            option: "--shard".into(),
            message: format!("`{s}`: {m}"),
        };
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| bad("expected i/n, e.g. 0/4"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| bad("i is not a whole number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| bad("n is not a whole number"))?;
        if count == 0 || index >= count {
            return Err(bad("needs 0 <= i < n"));
        }
        Ok(Shard { index, count })
    }

    /// The jobs of this shard among `0..jobs`.
    pub fn jobs(&self, jobs: u64) -> Vec<u64> {
        (self.index..jobs).step_by(self.count as usize).collect()
    }
}

/// Run replications `reps` of a scenario on `threads` threads (0: all cores),
/// calling `progress` after each finishes; rows come back in the order of `reps`.
pub fn run_reps(
    scn: &Scenario,
    prepared: &Prepared,
    reps: &[u64],
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<RepRow>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))?;
    pool.install(|| {
        reps.par_iter()
            .map(|&r| {
                let out = sim::run(scn, prepared, r)?;
                progress();
                Ok(RepRow::of(r, &out.summary))
            })
            .collect()
    })
}

/// The batch verdict and every metric's estimate, as in `batch.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the random streams.
    pub seed: u64,
    /// Replications in the batch.
    pub replications: u64,
    /// Response target, seconds.
    pub response_target_s: f64,
    /// Required share of calls within it.
    pub compliance_goal: f64,
    /// Mean compliance at least the goal.
    pub meets: Option<bool>,
    /// The lower end of the 95 % interval of compliance at least the goal.
    pub meets_with_confidence: Option<bool>,
    /// Per metric, in [`METRICS`] order.
    pub metrics: Vec<(String, Estimate)>,
}

impl BatchSummary {
    /// Summarise rows (in replication order).
    pub fn of(scn: &Scenario, reps: u64, rows: &[RepRow]) -> BatchSummary {
        BatchSummary::from_parts(&BatchHeader::of(scn, reps), rows)
    }

    /// Summarise rows under a header.
    pub fn from_parts(h: &BatchHeader, rows: &[RepRow]) -> BatchSummary {
        let metrics: Vec<(String, Estimate)> = METRICS
            .iter()
            .map(|m| (m.to_string(), Estimate::of(rows.iter().map(|r| r.get(m)))))
            .collect();
        let c = &metrics[0].1;
        let goal = h.compliance_goal;
        BatchSummary {
            scenario: h.scenario.clone(),
            seed: h.seed,
            replications: h.replications,
            response_target_s: h.response_target_s,
            compliance_goal: goal,
            meets: c.mean.map(|m| m >= goal),
            meets_with_confidence: c.ci_low.map(|l| l >= goal),
            metrics,
        }
    }

    /// The estimate of a metric.
    pub fn metric(&self, name: &str) -> Option<&Estimate> {
        self.metrics.iter().find(|(n, _)| n == name).map(|(_, e)| e)
    }
}

/// `replications.csv`: one row per replication; floats in shortest exact form.
pub fn rows_csv(rows: &[RepRow]) -> String {
    let mut t = String::from("rep");
    for m in METRICS {
        t.push(',');
        t.push_str(m);
    }
    t.push('\n');
    for r in rows {
        let _ = write!(t, "{}", r.rep);
        for m in METRICS {
            let v = r.get(m);
            if v.is_nan() {
                t.push(',');
            } else {
                let _ = write!(t, ",{v}");
            }
        }
        t.push('\n');
    }
    t
}

/// Read `replications.csv` back (for `merge`).
pub fn read_rows(path: &Path) -> Result<Vec<RepRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let want: Vec<&str> = std::iter::once("rep").chain(METRICS).collect();
    if header != want {
        return Err(Error::csv(
            path,
            1,
            "header",
            "not a patrolsim replications.csv",
        ));
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let lno = i as u64 + 2;
        if cells.len() != want.len() {
            return Err(Error::csv(
                path,
                lno,
                "row",
                format!("has {} fields, the header has {}", cells.len(), want.len()),
            ));
        }
        let num = |k: usize| -> Result<f64> {
            if cells[k].is_empty() {
                return Ok(f64::NAN);
            }
            cells[k].parse::<f64>().map_err(|_| {
                Error::csv(
                    path,
                    lno,
                    want[k],
                    format!("`{}` is not a number", cells[k]),
                )
            })
        };
        let rep: u64 = cells[0].parse().map_err(|_| {
            Error::csv(
                path,
                lno,
                "rep",
                format!("`{}` is not a replication index", cells[0]),
            )
        })?;
        let calls = num(12)?;
        rows.push(RepRow {
            rep,
            compliance: num(1)?,
            mean_response_s: num(2)?,
            p90_response_s: num(3)?,
            share_queued: num(4)?,
            mean_wait_s: num(5)?,
            utilisation: num(6)?,
            loops_meeting: num(7)?,
            laps_within_target: num(8)?,
            mean_lap_s: num(9)?,
            gaps_within_revisit: num(10)?,
            presence: num(11)?,
            calls: calls as u64,
        });
    }
    Ok(rows)
}

/// What a batch is about: enough to summarise its rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchHeader {
    /// Scenario name.
    pub scenario: String,
    /// A fingerprint of the resolved scenario file (all shards must agree).
    pub fingerprint: String,
    /// Seed.
    pub seed: u64,
    /// Replications in the whole batch.
    pub replications: u64,
    /// Response target, seconds.
    pub response_target_s: f64,
    /// Required share of calls within it.
    pub compliance_goal: f64,
}

impl BatchHeader {
    /// The header of a batch of `reps` replications of a scenario.
    pub fn of(scn: &Scenario, reps: u64) -> BatchHeader {
        BatchHeader {
            scenario: scn.name.clone(),
            fingerprint: fingerprint(scn),
            seed: scn.sim.seed,
            replications: reps,
            response_target_s: scn.targets.response_s,
            compliance_goal: scn.targets.compliance,
        }
    }
}

/// What a shard writes beside its rows (`shard.json`), so `merge` can check and combine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// The batch.
    pub batch: BatchHeader,
    /// This shard.
    pub shard: Shard,
}

/// A fingerprint of a scenario's resolved file (seed included).
pub fn fingerprint(scn: &Scenario) -> String {
    let text = toml::to_string(&scn.file).unwrap_or_default();
    format!("{:016x}", crate::network::osm::hash64(text.as_bytes()))
}

/// Write a batch's (or shard's) files into `dir`.
pub fn write_batch(
    dir: &Path,
    summary: &BatchSummary,
    rows: &[RepRow],
    shard: Option<&ShardInfo>,
) -> Result<()> {
    ensure_dir(dir)?;
    write_string(&dir.join("replications.csv"), &rows_csv(rows))?;
    match shard {
        Some(info) => {
            let json =
                serde_json::to_string_pretty(info).map_err(|e| Error::Internal(e.to_string()))?;
            write_string(&dir.join("shard.json"), &(json + "\n"))
        }
        None => {
            let json = serde_json::to_string_pretty(summary)
                .map_err(|e| Error::Internal(e.to_string()))?;
            write_string(&dir.join("batch.json"), &(json + "\n"))
        }
    }
}

/// True when a shard directory holds a sweep shard (not a batch shard).
pub fn is_sweep_shard(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("shard.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v["kind"] == "sweep")
}

/// Combine shard directories into the rows and summary of the whole batch.
/// Every shard must belong to the same batch, and together they must hold
/// each replication exactly once.
pub fn merge(dirs: &[std::path::PathBuf]) -> Result<(BatchSummary, Vec<RepRow>)> {
    let mut header: Option<BatchHeader> = None;
    let mut rows = Vec::new();
    let mut shards = std::collections::BTreeSet::new();
    for d in dirs {
        let info_path = d.join("shard.json");
        let text = std::fs::read_to_string(&info_path).map_err(|e| Error::read(&info_path, e))?;
        let info: ShardInfo = serde_json::from_str(&text).map_err(|e| {
            Error::field(
                &info_path,
                "shard",
                format!("not a patrolsim shard.json: {e}"),
            )
        })?;
        match &header {
            None => header = Some(info.batch.clone()),
            Some(h) if *h != info.batch => {
                return Err(Error::field(
                    &info_path,
                    "batch",
                    format!(
                        "belongs to another batch than {} (scenario, seed or replications differ)",
                        dirs[0].display()
                    ),
                ))
            }
            Some(_) => {}
        }
        if !shards.insert(info.shard.index) {
            return Err(Error::field(
                &info_path,
                "shard",
                format!("shard {} is given twice", info.shard.index),
            ));
        }
        let part = read_rows(&d.join("replications.csv"))?;
        let want = info.shard.jobs(info.batch.replications);
        let got: Vec<u64> = part.iter().map(|r| r.rep).collect();
        if got != want {
            return Err(Error::field(
                &d.join("replications.csv"),
                "rep",
                format!(
                    "holds replications {got:?}, shard {}/{} should hold {want:?}",
                    info.shard.index, info.shard.count
                ),
            ));
        }
        rows.extend(part);
    }
    let header = header.ok_or_else(|| Error::Option {
        option: "DIR".into(),
        message: "no shard directories given".into(),
    })?;
    rows.sort_by_key(|r| r.rep);
    let expected: Vec<u64> = (0..header.replications).collect();
    let got: Vec<u64> = rows.iter().map(|r| r.rep).collect();
    if got != expected {
        let missing: Vec<u64> = expected
            .iter()
            .filter(|r| !got.contains(r))
            .copied()
            .collect();
        return Err(Error::Option {
            option: "DIR".into(),
            message: format!(
                "the shards do not cover the batch: replications {missing:?} are missing"
            ),
        });
    }
    Ok((BatchSummary::from_parts(&header, &rows), rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_quantiles_match_tables() {
        for (df, want) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (5.0, 2.570_581_836),
            (19.0, 2.093_024_054),
            (30.0, 2.042_272_456),
            (1000.0, 1.962_339_081),
        ] {
            let q = student_t_quantile(0.975, df);
            assert!((q - want).abs() < 1e-6, "df {df}: {q} vs {want}");
        }
        assert!((student_t_cdf(0.0, 7.0) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn estimate_of_a_known_sample() {
        let e = Estimate::of([1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!(e.n, 4);
        assert_eq!(e.mean, Some(2.5));
        let sd = (5.0f64 / 3.0).sqrt();
        assert!((e.sd.unwrap() - sd).abs() < 1e-12);
        let hw = 3.182_446_305 * sd / 2.0;
        assert!((e.half_width.unwrap() - hw).abs() < 1e-6);
    }

    #[test]
    fn shards_partition_the_jobs() {
        let s = Shard::parse("1/3").unwrap();
        assert_eq!(s.jobs(8), vec![1, 4, 7]);
        let all: Vec<u64> = (0..3)
            .flat_map(|i| Shard { index: i, count: 3 }.jobs(8))
            .collect();
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(sorted, (0..8).collect::<Vec<_>>());
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("x").is_err());
    }
}
