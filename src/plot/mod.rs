//! Plots of a layout and of a run: maps and charts, each as PNG and SVG.
//!
//! [`write_all`] writes the seven pictures of a run into a directory:
//!
//! | file | what it shows |
//! |---|---|
//! | `map` | roads by class, stations, hotspots by kind, patrol loops, calls by response |
//! | `coverage` | travel time from the nearest station (and, with loops, from the nearest loop) |
//! | `response` | response-time histogram and empirical CDF per priority, target and goal |
//! | `hourly` | call volume and compliance by hour of day against the goal |
//! | `utilisation` | busy share of every unit, grouped by station |
//! | `loops` | static and observed lap times per loop against the lap target (only with loops) |
//! | `hotspots` | gaps between patrol passes per hotspot against its revisit limit (only with hotspots) |
//!
//! Every picture has a public `draw_*` function that draws it onto any
//! plotters drawing area (any size, any backend), and a function of the same
//! name without the prefix that writes `NAME.png` and `NAME.svg` at the default
//! size ([`MAP_SIZE`] for maps, [`CHART_SIZE`] for charts). Text is drawn with
//! the embedded DejaVu Sans, so no system font is needed. Files are written
//! under a temporary name and renamed into place.

mod animate;
pub mod batch;
mod charts;
mod common;
mod map;
pub mod placement;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use rayon::prelude::*;

use crate::analysis::coverage::Coverage;
use crate::error::{Error, Result};
use crate::metrics::Outcome;
use crate::scenario::Scenario;
use crate::sim::Prepared;

pub use animate::{animate, AnimateOptions, AnimationInfo, MAX_FRAMES};
pub use charts::{draw_hotspots, draw_hourly, draw_loops, draw_response, draw_utilisation};
pub use map::{draw_city_map, draw_coverage_map};

/// Default size of the maps (`map`, `coverage`), pixels.
pub const MAP_SIZE: (u32, u32) = (1200, 900);
/// Default size of the charts, pixels.
pub const CHART_SIZE: (u32, u32) = (1000, 600);

/// What a `draw_*` function returns: plotters' error for the backend.
pub type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Register DejaVu Sans as plotters' `sans-serif` (once per process).
///
/// The `draw_*` functions need it when called directly; the writing
/// functions call it themselves.
pub fn register_fonts() -> Result<()> {
    static FONTS: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            for (style, bytes) in [
                (FontStyle::Normal, dejavu::sans::regular()),
                (FontStyle::Bold, dejavu::sans::bold()),
                (FontStyle::Italic, dejavu::sans::oblique()),
                (FontStyle::Oblique, dejavu::sans::oblique()),
            ] {
                register_font("sans-serif", style, bytes)
                    .map_err(|_| format!("cannot load the embedded font ({})", style.as_str()))?;
            }
            Ok(())
        })
        .clone()
        .map_err(|m| Error::write(Path::new("<font>"), std::io::Error::other(m)))
}

/// The pictures [`write_all`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Map,
    Coverage,
    Response,
    Hourly,
    Utilisation,
    Loops,
    Hotspots,
}

const KINDS: [Kind; 7] = [
    Kind::Map,
    Kind::Coverage,
    Kind::Response,
    Kind::Hourly,
    Kind::Utilisation,
    Kind::Loops,
    Kind::Hotspots,
];

/// Write every picture of a run into `dir` (created if needed) as PNG and
/// SVG; return the files written, PNG before SVG, in the order of the
/// module's table. The loop and hotspot charts are left out when the
/// scenario has no loops or no hotspots.
pub fn write_all(
    dir: &Path,
    scn: &Scenario,
    prepared: &crate::sim::Prepared,
    outcome: &crate::metrics::Outcome,
    coverage: &crate::analysis::coverage::Coverage,
) -> Result<Vec<PathBuf>> {
    crate::output::ensure_dir(dir)?;
    register_fonts()?;
    let written: Vec<Vec<PathBuf>> = KINDS
        .par_iter()
        .map(|kind| match kind {
            Kind::Map => city_map(dir, scn, prepared, outcome),
            Kind::Coverage => coverage_map(dir, scn, prepared, coverage),
            Kind::Response => response(dir, scn, outcome),
            Kind::Hourly => hourly(dir, scn, outcome),
            Kind::Utilisation => utilisation(dir, scn, outcome),
            Kind::Loops => loops(dir, scn, outcome),
            Kind::Hotspots => hotspots(dir, scn, outcome),
        })
        .collect::<Result<_>>()?;
    Ok(written.into_iter().flatten().collect())
}

/// Write `map.png` and `map.svg`: the city map (see [`draw_city_map`]).
pub fn city_map(
    dir: &Path,
    scn: &Scenario,
    prepared: &Prepared,
    outcome: &Outcome,
) -> Result<Vec<PathBuf>> {
    struct F<'a>(&'a Scenario, &'a Prepared, &'a Outcome);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_city_map(root, self.0, self.1, self.2)
        }
    }
    write_figure(dir, "map", MAP_SIZE, &F(scn, prepared, outcome))
}

/// Write `coverage.png` and `coverage.svg`: static coverage from the
/// stations, and from the loops when there are any (see [`draw_coverage_map`]).
pub fn coverage_map(
    dir: &Path,
    scn: &Scenario,
    prepared: &Prepared,
    coverage: &Coverage,
) -> Result<Vec<PathBuf>> {
    struct F<'a>(&'a Scenario, &'a Prepared, &'a Coverage);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_coverage_map(root, self.0, self.1, self.2)
        }
    }
    write_figure(dir, "coverage", MAP_SIZE, &F(scn, prepared, coverage))
}

/// Write `response.png` and `response.svg`: the response-time distribution
/// (see [`draw_response`]).
pub fn response(dir: &Path, scn: &Scenario, outcome: &Outcome) -> Result<Vec<PathBuf>> {
    struct F<'a>(&'a Scenario, &'a Outcome);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_response(root, self.0, self.1)
        }
    }
    write_figure(dir, "response", CHART_SIZE, &F(scn, outcome))
}

/// Write `hourly.png` and `hourly.svg`: compliance and call volume by hour
/// of day (see [`draw_hourly`]).
pub fn hourly(dir: &Path, scn: &Scenario, outcome: &Outcome) -> Result<Vec<PathBuf>> {
    struct F<'a>(&'a Scenario, &'a Outcome);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_hourly(root, self.0, self.1)
        }
    }
    write_figure(dir, "hourly", CHART_SIZE, &F(scn, outcome))
}

/// Write `utilisation.png` and `utilisation.svg`: the busy share of every
/// unit (see [`draw_utilisation`]).
pub fn utilisation(dir: &Path, scn: &Scenario, outcome: &Outcome) -> Result<Vec<PathBuf>> {
    struct F<'a>(&'a Scenario, &'a Outcome);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_utilisation(root, self.0, self.1)
        }
    }
    write_figure(dir, "utilisation", CHART_SIZE, &F(scn, outcome))
}

/// Write `loops.png` and `loops.svg`: lap times per patrol loop (see
/// [`draw_loops`]). Writes nothing, and returns no file, without loops.
pub fn loops(dir: &Path, scn: &Scenario, outcome: &Outcome) -> Result<Vec<PathBuf>> {
    if outcome.summary.loops.is_empty() {
        return Ok(Vec::new());
    }
    struct F<'a>(&'a Scenario, &'a Outcome);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_loops(root, self.0, self.1)
        }
    }
    write_figure(dir, "loops", CHART_SIZE, &F(scn, outcome))
}

/// Write `hotspots.png` and `hotspots.svg`: gaps between patrol passes per
/// hotspot (see [`draw_hotspots`]). Writes nothing, and returns no file,
/// without hotspots.
pub fn hotspots(dir: &Path, scn: &Scenario, outcome: &Outcome) -> Result<Vec<PathBuf>> {
    if outcome.summary.hotspots.is_empty() {
        return Ok(Vec::new());
    }
    struct F<'a>(&'a Scenario, &'a Outcome);
    impl Figure for F<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            draw_hotspots(root, self.0, self.1)
        }
    }
    write_figure(dir, "hotspots", CHART_SIZE, &F(scn, outcome))
}

/// A picture that can be drawn on any backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// plotters' error as a write error of `path`.
fn draw_error<E: std::error::Error + Send + Sync>(
    path: &Path,
    e: DrawingAreaErrorKind<E>,
) -> Error {
    Error::write(path, std::io::Error::other(e.to_string()))
}

/// Draw `fig` into `STEM.png` and `STEM.svg` in `dir`, each through a
/// temporary file renamed into place.
fn write_figure(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    fig: &impl Figure,
) -> Result<Vec<PathBuf>> {
    register_fonts()?;
    let png = dir.join(format!("{stem}.png"));
    // plotters picks the image format from the extension, so the temporary
    // name must end in `.png`.
    let tmp = dir.join(format!(".{stem}.tmp-{}.png", std::process::id()));
    let drawn = (|| {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        fig.draw(&root)?;
        root.present()
    })();
    let renamed = drawn
        .map_err(|e| draw_error(&png, e))
        .and_then(|()| std::fs::rename(&tmp, &png).map_err(|e| Error::write(&png, e)));
    if let Err(e) = renamed {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }

    let svg = dir.join(format!("{stem}.svg"));
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        fig.draw(&root).map_err(|e| draw_error(&svg, e))?;
        root.present().map_err(|e| draw_error(&svg, e))?;
    }
    crate::output::write_string(&svg, &text)?;
    Ok(vec![png, svg])
}
