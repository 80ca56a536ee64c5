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
  patrolsim run scenarios/default.toml --out out  simulate; write incidents.csv, units.csv, summary.json
  patrolsim run my-city.toml --seed 42            the same with another random seed

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
        Command::Demo { out } => {
            let scn = load::default_scenario()?;
            let cov = Coverage::of(&scn, 5);
            print!("{}", report::check_report(&scn, &cov));
            println!();
            simulate_and_write(&scn, &out, 0)
        }
    }
}

fn simulate_and_write(scn: &Scenario, out: &Path, rep: u64) -> Result<()> {
    let prepared = sim::Prepared::new(scn);
    let outcome = sim::run(scn, &prepared, rep)?;
    report::write_outputs(out, &outcome)?;
    print!("{}", report::console_summary(scn, &outcome));
    println!(
        "\nWrote {}/: incidents.csv (one row per call), units.csv (per unit), summary.json (all figures).",
        out.display()
    );
    Ok(())
}
