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
    /// Patrol loops: design them from a scenario's stations and hotspots.
    Patrols {
        /// What to do.
        #[command(subcommand)]
        command: PatrolsCommand,
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
    print!("{}", report::console_summary(scn, &outcome));
    println!(
        "\nWrote {}/: incidents.csv (per call), units.csv (per unit), loops.csv (per patrol loop), hotspots.csv (per hotspot), summary.json (all figures).",
        out.display()
    );
    Ok(())
}
