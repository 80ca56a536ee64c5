//! Road networks from CSV in the OSMnx column convention.
//!
//! `nodes.csv` has `osmid` (or `id`), `x`, `y` and optionally a demand-weight
//! column; `edges.csv` has `u`, `v` and any of `length` (m), `speed_kph`,
//! `travel_time` (s, wins over speed) and `highway`. Extra columns are ignored,
//! so an OSMnx export loads as it is. Every bad cell is reported with its file,
//! line and column.

use std::collections::HashMap;
use std::path::Path;

use super::build::{RawEdge, RawNetwork, RawNode};
use super::{CoordSystem, RoadClass};
use crate::error::{Error, Result};

/// Options for reading a CSV network.
#[derive(Clone, Debug)]
pub struct CsvOptions {
    /// Coordinate system of `x`/`y`.
    pub coords: CoordSystem,
    /// Add the reverse of every edge.
    pub undirected: bool,
    /// Name of a `nodes.csv` column holding demand weights.
    pub weight_column: Option<String>,
}

/// A CSV file opened with its header resolved.
pub(crate) struct Table {
    path: std::path::PathBuf,
    reader: csv::Reader<std::fs::File>,
    headers: Vec<String>,
}

impl Table {
    /// Open a CSV file with a header row.
    pub(crate) fn open(path: &Path) -> Result<Table> {
        let file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(file);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, &[], &e))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        if headers.iter().all(|h| h.is_empty()) {
            return Err(Error::csv(
                path,
                1,
                "header",
                "the file is empty (no header row)",
            ));
        }
        Ok(Table {
            path: path.to_path_buf(),
            reader,
            headers,
        })
    }

    /// Index of the first of `names` present in the header.
    pub(crate) fn col(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.headers.iter().position(|h| h == n))
    }

    /// Like [`Table::col`], but an error naming the missing column.
    pub(crate) fn require(&self, names: &[&str]) -> Result<usize> {
        self.col(names).ok_or_else(|| {
            let or = match names {
                [_, rest @ ..] if !rest.is_empty() => format!(" (or `{}`)", rest.join("` or `")),
                _ => String::new(),
            };
            Error::csv(
                &self.path,
                1,
                names[0],
                format!(
                    "missing column{or}; the header has: {}",
                    self.headers.join(", ")
                ),
            )
        })
    }

    /// Visit every data row with its 1-based line number.
    pub(crate) fn rows(&mut self, mut f: impl FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
        let mut rec = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut rec) {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    let line = rec.position().map(|p| p.line()).unwrap_or(0);
                    f(&Row {
                        path: &self.path,
                        line,
                        rec: &rec,
                        headers: &self.headers,
                    })?;
                }
                Err(e) => return Err(csv_error(&self.path, &self.headers, &e)),
            }
        }
    }

    /// The name of column `c` as written in the header.
    pub(crate) fn name(&self, c: usize) -> &str {
        &self.headers[c]
    }
}

/// A plain message for an error of the CSV reader itself.
fn csv_error(path: &Path, headers: &[String], e: &csv::Error) -> Error {
    let line = e.position().map_or(1, |p| p.line());
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::csv(
            path,
            line,
            "row",
            format!("has {len} fields, the header has {expected_len}"),
        ),
        csv::ErrorKind::Utf8 { err, .. } => {
            let column = headers
                .get(err.field())
                .cloned()
                .unwrap_or_else(|| format!("#{}", err.field() + 1));
            Error::csv(path, line, column, "not valid UTF-8 text")
        }
        csv::ErrorKind::Io(io) => Error::read(path, std::io::Error::new(io.kind(), io.to_string())),
        _ => Error::csv(path, line, "row", e.to_string()),
    }
}

/// One data row of a [`Table`].
pub(crate) struct Row<'a> {
    pub(crate) path: &'a Path,
    pub(crate) line: u64,
    rec: &'a csv::StringRecord,
    headers: &'a [String],
}

impl Row<'_> {
    /// The raw text of column `c`.
    pub(crate) fn text(&self, c: usize) -> &str {
        self.rec.get(c).unwrap_or("")
    }

    /// An error at column `c` of this row.
    pub(crate) fn err(&self, c: usize, msg: impl Into<String>) -> Error {
        Error::csv(self.path, self.line, self.headers[c].clone(), msg)
    }

    /// A required finite number.
    pub(crate) fn f64(&self, c: usize) -> Result<f64> {
        let t = self.text(c);
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(self.err(c, format!("`{t}` is not a finite number"))),
            Err(_) if t.is_empty() => Err(self.err(c, "empty cell")),
            Err(_) => Err(self.err(c, format!("`{t}` is not a number"))),
        }
    }

    /// An optional finite number (empty cell or no column = `None`).
    pub(crate) fn opt_f64(&self, c: Option<usize>) -> Result<Option<f64>> {
        match c {
            Some(c) if !self.text(c).is_empty() => self.f64(c).map(Some),
            _ => Ok(None),
        }
    }

    /// An optional number that must be >= 0 (or > 0 when `strict`).
    pub(crate) fn opt_nonneg(&self, c: Option<usize>, strict: bool) -> Result<Option<f64>> {
        let v = self.opt_f64(c)?;
        if let (Some(x), Some(c)) = (v, c) {
            if x < 0.0 || (strict && x == 0.0) {
                let what = if strict {
                    "positive"
                } else {
                    "zero or positive"
                };
                return Err(self.err(c, format!("must be {what}, got {x}")));
            }
        }
        Ok(v)
    }

    /// A required integer id (OSM ids are integers; `12.0` is accepted).
    pub(crate) fn id(&self, c: usize) -> Result<i64> {
        let t = self.text(c);
        if let Ok(v) = t.parse::<i64>() {
            return Ok(v);
        }
        match t.parse::<f64>() {
            Ok(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => Ok(v as i64),
            _ if t.is_empty() => Err(self.err(c, "empty cell")),
            _ => Err(self.err(c, format!("`{t}` is not an integer id"))),
        }
    }
}

/// Read `nodes.csv` and `edges.csv` into a [`RawNetwork`].
pub fn read(nodes: &Path, edges: &Path, opts: &CsvOptions) -> Result<RawNetwork> {
    let mut raw_nodes = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut t = Table::open(nodes)?;
    let c_id = t.require(&["osmid", "id"])?;
    let c_x = t.require(&["x"])?;
    let c_y = t.require(&["y"])?;
    let c_w = match &opts.weight_column {
        Some(name) => Some(t.require(&[name.as_str()])?),
        None => None,
    };
    let lonlat = opts.coords == CoordSystem::LonLat;
    t.rows(|r| {
        let id = r.id(c_id)?;
        let x = r.f64(c_x)?;
        let y = r.f64(c_y)?;
        if lonlat && !(-180.0..=180.0).contains(&x) {
            return Err(r.err(c_x, format!("longitude {x} is outside -180..180")));
        }
        if lonlat && !(-90.0..=90.0).contains(&y) {
            return Err(r.err(c_y, format!("latitude {y} is outside -90..90")));
        }
        let weight = r.opt_nonneg(c_w, false)?;
        if index.insert(id, raw_nodes.len()).is_some() {
            return Err(r.err(c_id, format!("duplicate node id {id}")));
        }
        raw_nodes.push(RawNode {
            ext_id: id,
            pos: [x, y],
            weight,
        });
        Ok(())
    })?;
    if raw_nodes.is_empty() {
        return Err(Error::csv(nodes, 1, t.name(c_id), "the file has no nodes"));
    }

    let mut raw_edges = Vec::new();
    let mut t = Table::open(edges)?;
    let c_u = t.require(&["u"])?;
    let c_v = t.require(&["v"])?;
    let c_len = t.col(&["length"]);
    let c_speed = t.col(&["speed_kph"]);
    let c_time = t.col(&["travel_time"]);
    let c_class = t.col(&["highway"]);
    t.rows(|r| {
        let lookup = |c: usize| -> Result<usize> {
            let id = r.id(c)?;
            index
                .get(&id)
                .copied()
                .ok_or_else(|| r.err(c, format!("node {id} is not in {}", nodes.display())))
        };
        let u = lookup(c_u)?;
        let v = lookup(c_v)?;
        let length_m = r.opt_nonneg(c_len, false)?;
        let speed_kph = r.opt_nonneg(c_speed, true)?;
        let time_s = r.opt_nonneg(c_time, false)?;
        let class = match c_class {
            Some(c) => RoadClass::from_tag(first_tag(r.text(c))),
            None => RoadClass::Other,
        };
        let e = RawEdge {
            u,
            v,
            length_m,
            time_s,
            speed_kph,
            class,
        };
        let rev = opts.undirected.then(|| RawEdge {
            u: v,
            v: u,
            ..e.clone()
        });
        raw_edges.push(e);
        raw_edges.extend(rev);
        Ok(())
    })?;
    if raw_edges.is_empty() {
        return Err(Error::csv(edges, 1, "u", "the file has no edges"));
    }
    Ok(RawNetwork {
        coords: opts.coords,
        nodes: raw_nodes,
        edges: raw_edges,
    })
}

/// OSMnx writes multi-valued tags as `['primary', 'secondary']`: take the first.
fn first_tag(s: &str) -> &str {
    s.trim_start_matches(['[', '\'', '"', ' '])
        .split(['\'', '"', ',', ']'])
        .next()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_tag_of_lists() {
        assert_eq!(first_tag("['primary', 'secondary']"), "primary");
        assert_eq!(first_tag("residential"), "residential");
        assert_eq!(first_tag(""), "");
    }
}
