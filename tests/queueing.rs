//! The engine against queueing theory.
//!
//! With every station and every call at one node, travel time is zero and the
//! dispatch model is an M/M/c queue: Poisson calls (rate lambda), exponential
//! service (rate mu), c units, first come first served. Erlang C gives the
//! probability that a call waits and the mean wait; a long run must contain
//! both in its 95 % confidence interval (batch means over 20 batches).
//!
//! Parameters: c = 3 units, lambda = 12 calls/h, mean service 600 s
//! (mu = 6/h), so the offered load is a = 2 and the utilisation 2/3.
//! Erlang C: P(wait) = 4/9 = 0.4444; mean wait = P(wait) / (c mu - lambda)
//! = 0.0741 h = 266.7 s. Horizon 10,000 h (about 120,000 calls), warm-up 10 h.

use patrolsim::demand::Spatial;
use patrolsim::scenario::load;
use patrolsim::sim;

fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / k as f64;
        }
        sum += term;
    }
    let last = term * a / c as f64 * (c as f64 / (c as f64 - a));
    last / (sum + last)
}

/// Student t quantile 0.975 for 19 degrees of freedom.
const T19: f64 = 2.093;

fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, T19 * (var / n).sqrt())
}

#[test]
fn zero_travel_mmc_matches_erlang_c() {
    let (c, lambda_h, mean_service) = (3u32, 12.0, 600.0);
    let horizon_h = 10_000.0;
    let warmup_h = 10.0;
    let text = format!(
        r#"
[network]
synthetic = {{ seed = 1, rows = 3, cols = 3, missing_share = 0.0, oneway_share = 0.0 }}
[[stations]]
name = "Only"
node = 4
units = {c}
[demand]
calls_per_hour = {lambda_h}
[service]
on_scene = [{{ distribution = "exponential", mean_s = {mean_service} }}]
[dispatch]
call_handling_s = 0
[simulation]
horizon_s = {}
warmup_s = {}
seed = 11
"#,
        horizon_h * 3600.0,
        warmup_h * 3600.0
    );
    let mut scn = load::from_str(&text, "erlang.toml".as_ref(), ".".as_ref()).unwrap();
    // Every call at the station's node: zero travel time.
    let station = scn.stations[0].node;
    let mut w = vec![0.0; scn.net.node_count()];
    w[station.idx()] = 1.0;
    scn.demand.spatial = Spatial::from_weights(w);

    let prep = sim::Prepared::new(&scn);
    let out = sim::run(&scn, &prep, 0).unwrap();
    assert!(out.calls.iter().all(|r| r.travel_s == 0.0));

    let mu_h = 3600.0 / mean_service;
    let a = lambda_h / mu_h;
    let p_wait = erlang_c(c, a);
    let mean_wait_s = p_wait / (c as f64 * mu_h - lambda_h) * 3600.0;
    assert!((p_wait - 4.0 / 9.0).abs() < 1e-12);

    let batches = 20;
    let span = (horizon_h - warmup_h) * 3600.0 / batches as f64;
    let mut waited = vec![(0usize, 0usize, 0.0f64); batches];
    for r in out.calls.iter().filter(|r| r.counted) {
        let b = (((r.time_s - warmup_h * 3600.0) / span) as usize).min(batches - 1);
        waited[b].0 += 1;
        waited[b].1 += r.queued as usize;
        waited[b].2 += r.wait_s;
    }
    let pw: Vec<f64> = waited.iter().map(|b| b.1 as f64 / b.0 as f64).collect();
    let wq: Vec<f64> = waited.iter().map(|b| b.2 / b.0 as f64).collect();
    let (pm, ph) = mean_ci(&pw);
    let (wm, wh) = mean_ci(&wq);
    eprintln!("P(wait) {pm:.4} ± {ph:.4} (Erlang C {p_wait:.4}); Wq {wm:.1} ± {wh:.1} s (theory {mean_wait_s:.1} s)");
    assert!(
        (pm - p_wait).abs() <= ph,
        "P(wait) {pm} ± {ph}, theory {p_wait}"
    );
    assert!(
        (wm - mean_wait_s).abs() <= wh,
        "Wq {wm} ± {wh}, theory {mean_wait_s}"
    );
    // The interval is tight enough to mean something.
    assert!(ph < 0.02 && wh < 20.0, "intervals too wide: {ph}, {wh}");
    // Utilisation is lambda / (c mu) = 2/3 for every unit on average.
    let util = out.summary.utilisation.mean;
    assert!((util - 2.0 / 3.0).abs() < 0.02, "utilisation {util}");
}
