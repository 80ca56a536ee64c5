//! The command line: argument definitions (clap) and what each command does.
//!
//! The binary only parses arguments, calls [`execute`] and maps errors to
//! exit codes (2 for bad input, 1 otherwise).

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::analysis::coverage::Coverage;
use crate::error::Result;
use crate::scenario::{load, Scenario};
use crate::{report, sim};

const EXAMPLES: &str = "\
Examples:
  patrolsim demo                                  run the built-in city, write ./patrolsim-demo/
  patrolsim check scenarios/default.toml          validate; print network size and static coverage
  patrolsim run scenarios/default.toml --out out  simulate; write the CSV files and summary.json
  patrolsim run my-city.toml --seed 42            the same with another random seed
  patrolsim patrols design my-city.toml           propose 15-minute loops through every hotspot
  patrolsim import osm city.osm.pbf --out city    a real city's roads as nodes.csv and edges.csv
  patrolsim export geojson my-city.toml --out gis map layers for QGIS or kepler.gl

Exit codes: 0 success (whatever the verdict), 2 bad input, 1 anything else.";

/// patrolsim: does this layout of police stations and units reach every call
/// within the response target?
#[derive(Debug, Parser)]
#[command(name = "patrolsim", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and judge it against the response target.
    Run(RunArgs),
    /// Validate a scenario; print the network size, each station's snapping
    /// distance and the static coverage.
    Check {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Run the built-in default scenario and write ./patrolsim-demo/.
    Demo {
        /// Output directory.
        #[arg(long, default_value = "patrolsim-demo")]
        out: PathBuf,
    },
    /// Export a scenario as GeoJSON layers (stations, hotspots, loops, node
    /// coverage, roads) for QGIS or kepler.gl.
    Export {
        /// The format.
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Bring a real city's road network in.
    Import {
        /// The source.
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Patrol loops: design them from a scenario's stations and hotspots.
    Patrols {
        /// What to do.
        #[command(subcommand)]
        command: PatrolsCommand,
    },
}

/// `patrolsim export ...`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write stations.geojson, hotspots.geojson, loops.geojson,
    /// coverage.geojson (every node: travel time from the nearest station and
    /// whether it is within the target) and roads.geojson.
    Geojson {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "patrolsim-geojson")]
        out: PathBuf,
    },
}

/// `patrolsim import ...`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an OpenStreetMap extract (.osm.pbf): drivable roads, speeds from
    /// maxspeed or per road class, one-way rules, the largest strongly
    /// connected part. Writes nodes.csv and edges.csv (OSMnx columns) and keeps
    /// a binary cache beside the source, so the next load is fast.
    Osm {
        /// The extract.
        file: PathBuf,
        /// Output directory for nodes.csv and edges.csv.
        #[arg(long, default_value = "patrolsim-import")]
        out: PathBuf,
        /// Keep `highway=service` roads too.
        #[arg(long)]
        service: bool,
    },
}

/// `patrolsim patrols ...`.
#[derive(Debug, Subcommand)]
pub enum PatrolsCommand {
    /// Design loops through every hotspot, each starting at a station and
    /// closing within `targets.patrol_loop_s`; write them as a scenario
    /// fragment (patrols.toml) and as GeoJSON (patrols.geojson).
    Design {
        /// Scenario file (TOML); its stations, hotspots and lap target are used.
        scenario: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "patrolsim-patrols")]
        out: PathBuf,
        /// Units per designed loop, written into the fragment.
        #[arg(long, default_value_t = 1)]
        units: u32,
    },
}

/// Options of `patrolsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Output directory for incidents.csv, units.csv and summary.json.
    #[arg(long, default_value = "patrolsim-out")]
    pub out: PathBuf,
    /// Seed of every random stream; overrides `simulation.seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replication index: a distinct random stream for the same seed (0 = the first).
    #[arg(long, default_value_t = 0)]
    pub rep: u64,
}

/// Run a parsed command line, printing to stdout.
pub fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(a) => {
            let mut scn = load::from_path(&a.scenario)?;
            if let Some(seed) = a.seed {
                scn.sim.seed = seed;
            }
            simulate_and_write(&scn, &a.out, a.rep)
        }
        Command::Check { scenario } => {
            let scn = load::from_path(&scenario)?;
            let cov = Coverage::of(&scn, 5);
            print!("{}", report::check_report(&scn, &cov));
            Ok(())
        }
        Command::Patrols {
            command:
                PatrolsCommand::Design {
                    scenario,
                    out,
                    units,
                },
        } => {
            if units == 0 {
                return Err(crate::Error::Option {
                    option: "--units".into(),
                    message: "must be at least 1".into(),
                });
            }
            let scn = load::from_path(&scenario)?;
            design_patrols(&scn, &out, units)
        }
        Command::Export {
            command: ExportCommand::Geojson { scenario, out },
        } => {
            let scn = load::from_path(&scenario)?;
            let files = crate::export::write_geojson(&out, &scn)?;
            for f in &files {
                println!("wrote {}", f.display());
            }
            if !matches!(
                scn.net.projection.coords,
                crate::network::CoordSystem::LonLat
            ) {
                println!(
                    "note: the network is planar, so coordinates are its planar x, y, not lon/lat"
                );
            }
            Ok(())
        }
        Command::Import {
            command: ImportCommand::Osm { file, out, service },
        } => {
            use crate::network::osm;
            let opts = osm::OsmOptions {
                include_service: service,
            };
            let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let (net, info) = osm::load(&file, &opts, progress)?;
            osm::write_csv(&net, &out)?;
            println!(
                "{}: {} ways kept; {} nodes and {} directed edges, of which the largest strongly connected part keeps {} nodes and {} edges ({:.0} km of road)",
                file.display(),
                report::thousands(info.ways_kept),
                report::thousands(info.nodes_before_scc),
                report::thousands(info.edges_before_scc),
                report::thousands(info.nodes),
                report::thousands(info.edges),
                net.total_km()
            );
            println!(
                "{} in {:.2} s{}",
                if info.from_cache {
                    "loaded from the cache"
                } else {
                    "imported"
                },
                info.elapsed.as_secs_f64(),
                info.cache_note
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            );
            println!(
                "Wrote {0}/nodes.csv and {0}/edges.csv; use them with [network] nodes = \"nodes.csv\", edges = \"edges.csv\", or point a scenario at the extract with osm = \"{1}\".",
                out.display(),
                file.display()
            );
            Ok(())
        }
        Command::Demo { out } => {
            let scn = load::default_scenario()?;
            let cov = Coverage::of(&scn, 5);
            print!("{}", report::check_report(&scn, &cov));
            println!();
            simulate_and_write(&scn, &out, 0)
        }
    }
}

fn design_patrols(scn: &Scenario, out: &Path, units: u32) -> Result<()> {
    use crate::analysis::patrol_design;
    let snodes: Vec<_> = scn.stations.iter().map(|s| s.node).collect();
    let hnodes: Vec<_> = scn.hotspots.iter().map(|h| h.node).collect();
    if hnodes.is_empty() {
        return Err(crate::Error::field(
            &scn.path,
            "hotspots",
            "the scenario has no [[hotspots]] to design loops through",
        ));
    }
    let snames: Vec<String> = scn.stations.iter().map(|s| s.name.clone()).collect();
    let hnames: Vec<String> = scn.hotspots.iter().map(|h| h.name.clone()).collect();
    let d = patrol_design::design(&scn.net, &snodes, &hnodes, scn.targets.patrol_loop_s);
    crate::output::ensure_dir(out)?;
    crate::output::write_string(
        &out.join("patrols.toml"),
        &d.to_toml(&snames, &hnames, units),
    )?;
    let geo = d.to_geojson(&scn.net, &snodes, &hnodes, &snames, &hnames);
    crate::output::write_string(&out.join("patrols.geojson"), &(geo.to_string() + "\n"))?;
    print!("{}", report::design_report(scn, &d, &snames, &hnames));
    println!(
        "\nWrote {0}/patrols.toml (paste into a scenario, or use `[[patrols]] auto = true`) and {0}/patrols.geojson (for QGIS or kepler.gl).",
        out.display()
    );
    Ok(())
}

fn simulate_and_write(scn: &Scenario, out: &Path, rep: u64) -> Result<()> {
    let prepared = sim::Prepared::new(scn);
    let outcome = sim::run(scn, &prepared, rep)?;
    report::write_outputs(out, &outcome)?;
    let coverage = Coverage::of(scn, 5);
    let plots = crate::plot::write_all(out, scn, &prepared, &outcome, &coverage)?;
    print!("{}", report::console_summary(scn, &outcome));
    let names: Vec<String> = plots
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    println!(
        "\nWrote {}/: incidents.csv (per call), units.csv (per unit), loops.csv (per patrol loop), hotspots.csv (per hotspot), summary.json (all figures),\nand plots as PNG and SVG: {}.",
        out.display(),
        names.join(", ")
    );
    Ok(())
}
