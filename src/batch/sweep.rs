//! Parameter sweeps: a grid over scenario keys, each point a batch.
//!
//! `--set dispatch.call_handling_s=30,60,90 --set stations.units=1..3`
//! names keys by their TOML path. A path that passes through an array of
//! tables (`stations`) sets the key in every element; `stations[2].units`
//! sets it in one. Values are a comma-separated list, or an integer range
//! `a..b` (both ends included). The grid is the product of all `--set`s, in
//! the order given, the last varying fastest.

use std::path::Path;

use serde::Serialize;

use serde::Deserialize;

use super::{read_rows, rows_csv, BatchHeader, BatchSummary, Estimate, RepRow, Shard};
use crate::error::{Error, Result};
use crate::output::{ensure_dir, write_string};

/// One `--set` of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Axis {
    /// The TOML path of the key.
    pub key: String,
    /// The values it takes.
    pub values: Vec<toml::Value>,
}

fn bad(spec: &str, msg: impl Into<String>) -> Error {
    Error::Option {
        option: "--set".into(),
        message: format!("`{spec}`: {}", msg.into()),
    }
}

fn value(s: &str) -> toml::Value {
    if let Ok(i) = s.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(f) = s.parse::<f64>() {
        toml::Value::Float(f)
    } else if let Ok(b) = s.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(s.to_string())
    }
}

impl Axis {
    /// Parse `key=v1,v2,...` or `key=a..b`.
    pub fn parse(spec: &str) -> Result<Axis> {
        let (key, vals) = spec.split_once('=').ok_or_else(|| {
            bad(
                spec,
                "expected key=values, e.g. dispatch.call_handling_s=30,60,90",
            )
        })?;
        let key = key.trim();
        if key.is_empty() {
            return Err(bad(spec, "the key is empty"));
        }
        let vals = vals.trim();
        let values: Vec<toml::Value> = match vals.split_once("..") {
            Some((a, b)) => {
                let (a, b): (i64, i64) = (
                    a.trim()
                        .parse()
                        .map_err(|_| bad(spec, "a range needs whole numbers, a..b"))?,
                    b.trim()
                        .parse()
                        .map_err(|_| bad(spec, "a range needs whole numbers, a..b"))?,
                );
                if b < a || b - a > 10_000 {
                    return Err(bad(
                        spec,
                        "a range a..b needs a <= b (and at most 10,001 values)",
                    ));
                }
                (a..=b).map(toml::Value::Integer).collect()
            }
            None => vals.split(',').map(|v| value(v.trim())).collect(),
        };
        if values.is_empty() || vals.is_empty() {
            return Err(bad(spec, "no values"));
        }
        Ok(Axis {
            key: key.to_string(),
            values,
        })
    }
}

/// Set `path` to `v` in a parsed scenario; arrays of tables on the way are
/// set element by element (or one element with `name[i]`).
pub fn set_path(
    doc: &mut toml::Value,
    path: &str,
    v: &toml::Value,
) -> std::result::Result<(), String> {
    fn go(
        node: &mut toml::Value,
        parts: &[&str],
        v: &toml::Value,
        full: &str,
    ) -> std::result::Result<(), String> {
        let (head, rest) = (parts[0], &parts[1..]);
        let (name, index) = match head.split_once('[') {
            Some((n, i)) => {
                let i: usize = i
                    .trim_end_matches(']')
                    .parse()
                    .map_err(|_| format!("`{head}` in `{full}` has a bad index"))?;
                (n, Some(i))
            }
            None => (head, None),
        };
        let table = node
            .as_table_mut()
            .ok_or_else(|| format!("`{full}`: `{name}` is not inside a table"))?;
        if rest.is_empty() {
            if index.is_some() {
                return Err(format!("`{full}`: the last part cannot be indexed"));
            }
            table.insert(name.to_string(), v.clone());
            return Ok(());
        }
        let child = table
            .entry(name.to_string())
            .or_insert_with(|| toml::Value::Table(Default::default()));
        match (child, index) {
            (toml::Value::Array(items), Some(i)) => {
                let n = items.len();
                let item = items
                    .get_mut(i)
                    .ok_or_else(|| format!("`{full}`: `{name}` has {n} entries, no [{i}]"))?;
                go(item, rest, v, full)
            }
            (toml::Value::Array(items), None) => {
                if items.is_empty() {
                    return Err(format!("`{full}`: `{name}` has no entries"));
                }
                items
                    .iter_mut()
                    .try_for_each(|item| go(item, rest, v, full))
            }
            (child, None) => go(child, rest, v, full),
            (_, Some(_)) => Err(format!("`{full}`: `{name}` is not an array")),
        }
    }
    let parts: Vec<&str> = path.split('.').collect();
    go(doc, &parts, v, path)
}

/// Every point of the grid: one value per axis.
pub fn grid(axes: &[Axis]) -> Vec<Vec<toml::Value>> {
    let mut points: Vec<Vec<toml::Value>> = vec![Vec::new()];
    for a in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                a.values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push(v.clone());
                    q
                })
            })
            .collect();
    }
    points
}

/// The scenario text of a grid point: the file with every axis set.
pub fn point_text(text: &str, path: &Path, axes: &[Axis], point: &[toml::Value]) -> Result<String> {
    let mut doc: toml::Value = toml::from_str(text).map_err(|e| Error::Toml {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: e.message().to_string(),
    })?;
    for (a, v) in axes.iter().zip(point) {
        set_path(&mut doc, &a.key, v).map_err(|m| Error::Option {
            option: "--set".into(),
            message: m,
        })?;
    }
    toml::to_string(&doc).map_err(|e| Error::Internal(format!("scenario does not serialise: {e}")))
}

/// One point of a sweep and its batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The values, one per axis.
    pub values: Vec<String>,
    /// The batch at this point.
    pub summary: BatchSummary,
}

/// `sweep.csv`: a row per point; the values, then mean and 95 % interval of the main metrics.
pub fn sweep_csv(axes: &[Axis], points: &[SweepPoint]) -> String {
    const SHOWN: [&str; 5] = [
        "compliance",
        "mean_response_s",
        "p90_response_s",
        "utilisation",
        "laps_within_target",
    ];
    let mut t = String::new();
    for a in axes {
        t.push_str(&crate::report::csv_text(&a.key));
        t.push(',');
    }
    t.push_str("replications,meets");
    for m in SHOWN {
        t.push_str(&format!(",{m},{m}_ci_low,{m}_ci_high"));
    }
    t.push('\n');
    let f = |x: Option<f64>| x.map_or_else(String::new, |v| format!("{v}"));
    for p in points {
        for v in &p.values {
            t.push_str(&crate::report::csv_text(v));
            t.push(',');
        }
        t.push_str(&format!(
            "{},{}",
            p.summary.replications,
            p.summary.meets.map_or_else(String::new, |m| m.to_string())
        ));
        for m in SHOWN {
            let e = p
                .summary
                .metric(m)
                .cloned()
                .unwrap_or_else(|| Estimate::of([]));
            t.push_str(&format!(",{},{},{}", f(e.mean), f(e.ci_low), f(e.ci_high)));
        }
        t.push('\n');
    }
    t
}

/// A value as it reads in a table.
pub fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What a sweep shard writes (`shard.json`): the sweep, and which of its
/// jobs (point, replication) this shard ran. Job `j` is replication
/// `j % reps` of point `j / reps`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepShard {
    /// Always `"sweep"`.
    pub kind: String,
    /// The `--set` specifications, as given.
    pub set: Vec<String>,
    /// Replications per point.
    pub reps: u64,
    /// Per point: its values and the header of its batch.
    pub points: Vec<(Vec<String>, BatchHeader)>,
    /// This shard.
    pub shard: Shard,
}

impl SweepShard {
    /// The replications of each point that this shard runs.
    pub fn jobs(&self) -> Vec<Vec<u64>> {
        let mut per = vec![Vec::new(); self.points.len()];
        for j in self.shard.jobs(self.reps * self.points.len() as u64) {
            per[(j / self.reps) as usize].push(j % self.reps);
        }
        per
    }

    /// Write this shard's files: `shard.json` and `rows-<point>.csv`.
    pub fn write(&self, dir: &Path, rows: &[Vec<RepRow>]) -> Result<()> {
        ensure_dir(dir)?;
        for (p, r) in rows.iter().enumerate() {
            if !r.is_empty() {
                write_string(&dir.join(format!("rows-{p}.csv")), &rows_csv(r))?;
            }
        }
        let json =
            serde_json::to_string_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        write_string(&dir.join("shard.json"), &(json + "\n"))
    }
}

/// Combine sweep shards into the axes and points of the whole sweep.
pub fn merge(dirs: &[std::path::PathBuf]) -> Result<(Vec<Axis>, Vec<SweepPoint>)> {
    let mut first: Option<SweepShard> = None;
    let mut seen = std::collections::BTreeSet::new();
    let mut rows: Vec<Vec<RepRow>> = Vec::new();
    for d in dirs {
        let path = d.join("shard.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::read(&path, e))?;
        let info: SweepShard = serde_json::from_str(&text)
            .map_err(|e| Error::field(&path, "shard", format!("not a sweep shard.json: {e}")))?;
        let same =
            |a: &SweepShard| a.set == info.set && a.reps == info.reps && a.points == info.points;
        match &first {
            None => {
                rows = vec![Vec::new(); info.points.len()];
                first = Some(info.clone());
            }
            Some(f) if !same(f) => {
                return Err(Error::field(
                    &path,
                    "sweep",
                    "belongs to another sweep than the first directory",
                ))
            }
            Some(_) => {}
        }
        if !seen.insert(info.shard.index) {
            return Err(Error::field(
                &path,
                "shard",
                format!("shard {} is given twice", info.shard.index),
            ));
        }
        for (p, want) in info.jobs().iter().enumerate() {
            if want.is_empty() {
                continue;
            }
            let file = d.join(format!("rows-{p}.csv"));
            let part = read_rows(&file)?;
            let got: Vec<u64> = part.iter().map(|r| r.rep).collect();
            if &got != want {
                return Err(Error::field(
                    &file,
                    "rep",
                    format!("holds replications {got:?}, expected {want:?}"),
                ));
            }
            rows[p].extend(part);
        }
    }
    let info = first.ok_or_else(|| Error::Option {
        option: "DIR".into(),
        message: "no shard directories given".into(),
    })?;
    let axes = info
        .set
        .iter()
        .map(|s| Axis::parse(s))
        .collect::<Result<Vec<_>>>()?;
    let mut points = Vec::with_capacity(rows.len());
    for ((values, header), mut r) in info.points.into_iter().zip(rows) {
        r.sort_by_key(|x| x.rep);
        if r.len() as u64 != info.reps {
            return Err(Error::Option {
                option: "DIR".into(),
                message: format!(
                    "the shards do not cover the sweep: point {} has {} of {} replications",
                    values.join(", "),
                    r.len(),
                    info.reps
                ),
            });
        }
        points.push(SweepPoint {
            summary: BatchSummary::from_parts(&header, &r),
            values,
        });
    }
    Ok((axes, points))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_parse_lists_and_ranges() {
        let a = Axis::parse("dispatch.call_handling_s=30,60,90").unwrap();
        assert_eq!(a.key, "dispatch.call_handling_s");
        assert_eq!(a.values.len(), 3);
        let b = Axis::parse("stations.units=1..3").unwrap();
        assert_eq!(b.values, vec![1.into(), 2.into(), 3.into()]);
        assert!(Axis::parse("nothing").is_err());
        assert!(Axis::parse("a=3..1").is_err());
        assert_eq!(grid(&[a, b]).len(), 9);
    }

    #[test]
    fn paths_set_tables_and_every_array_element() {
        let mut doc: toml::Value = toml::from_str(
            "[dispatch]\ncall_handling_s = 60\n[[stations]]\nunits = 1\n[[stations]]\nunits = 2\n",
        )
        .unwrap();
        set_path(
            &mut doc,
            "dispatch.call_handling_s",
            &toml::Value::Integer(30),
        )
        .unwrap();
        set_path(&mut doc, "stations.units", &toml::Value::Integer(5)).unwrap();
        set_path(&mut doc, "stations[1].units", &toml::Value::Integer(7)).unwrap();
        set_path(&mut doc, "targets.compliance", &toml::Value::Float(0.8)).unwrap();
        assert_eq!(doc["dispatch"]["call_handling_s"].as_integer(), Some(30));
        assert_eq!(doc["stations"][0]["units"].as_integer(), Some(5));
        assert_eq!(doc["stations"][1]["units"].as_integer(), Some(7));
        assert_eq!(doc["targets"]["compliance"].as_float(), Some(0.8));
        assert!(set_path(&mut doc, "stations[9].units", &1.into()).is_err());
    }
}
